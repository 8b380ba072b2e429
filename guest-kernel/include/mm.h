/* Memory: page tables, the page allocator, address spaces, kernel stacks.
 * The virtual layout and the page-table format are in pgtable.h: x86-64's
 * (include/pgtable.h) or i386's (arch/i386/include/pgtable.h). */
#ifndef _MM_H
#define _MM_H

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096
#define THREAD_SIZE (4 * PAGE_SIZE) /* kernel stack, as Linux x86-64 (16 KiB) */
#define USER_STACK_TOP TASK_SIZE_MAX
#define USER_STACK_PAGES 16

/* The virtual layout and the page-table format: pgtable.h (the i386 build has its own). */
#include "pgtable.h"

/* Page-table entry bits, the same in 4-level and 32-bit paging (SDM Vol. 3A
 * Tables 4-5 and 4-15 to 4-19); _PAGE_NX is pgtable.h's. */
#define _PAGE_PRESENT 0x001
#define _PAGE_RW 0x002
#define _PAGE_USER 0x004
#define _PAGE_PWT 0x008
#define _PAGE_PCD 0x010
#define _PAGE_ACCESSED 0x020
#define _PAGE_DIRTY 0x040
#define _PAGE_PSE 0x080
#define _PAGE_GLOBAL 0x100

#ifndef __ASSEMBLER__
#include "spinlock.h"
#include "types.h"

#define __va(pa) ((void *)((unsigned long)(pa) + PAGE_OFFSET))
static inline unsigned long __pa(const void *va)
{
    unsigned long v = (unsigned long)va;
    return v >= __START_KERNEL_map ? v - __START_KERNEL_map : v - PAGE_OFFSET;
}
/* The index of va in a table of `level` (0: the top, PGTABLE_LEVELS - 1: the leaf table). */
static inline unsigned int pt_index(unsigned long va, int level)
{
    return (unsigned int)(va >> (PAGE_SHIFT + (PGTABLE_LEVELS - 1 - level) * PT_INDEX_BITS)) & (PTRS_PER_TABLE - 1);
}

/* The physical page allocator (mm/page_alloc.c). Pages are zeroed. */
void *alloc_page(void);
void free_page(void *page);
unsigned long nr_free_pages(void);
unsigned long nr_total_pages(void);
void page_alloc_init(void);

/* An address space. mm_users counts the tasks that use it as their mm; while
 * it is > 0 they hold one mm_count reference together. Kernel threads that
 * borrow it as their active_mm (lazy TLB) hold mm_count references of their
 * own, so the page tables outlive the last user until the last borrower has
 * switched away. Linux's rule. */
struct mm_struct {
    pgd_t *pgd;       /* the top-level table (PML4; i386: page directory), in the direct map */
    int mm_users;     /* tasks with ->mm == this */
    int mm_count;     /* references to the struct and its PML4 */
    spinlock_t page_table_lock;
    unsigned long nr_user_pages;
};

extern struct mm_struct init_mm; /* the kernel's page tables; kernel threads' home */

void paging_init(void);
struct mm_struct *mm_alloc(void);
struct mm_struct *dup_mm(struct mm_struct *old);
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);
void mmput(struct mm_struct *mm);
/* Maps a fresh zeroed page at user address va; returns its kernel address. */
void *map_user_page(struct mm_struct *mm, unsigned long va, bool writable, bool exec);
/* The leaf entry mapping va in pgd, or NULL (no table on the way). */
pgd_t *lookup_pte(pgd_t *pgd, unsigned long va, bool *large);
struct task_struct;
void switch_mm_irqs_off(struct mm_struct *prev, struct mm_struct *next, struct task_struct *tsk);
/* A kernel address for device memory at physical pa (uncached): the direct
 * map where it reaches, else a page of the fixmap area (i386). */
void *ioremap(unsigned long pa);

/* Kernel stacks (mm/vmap_stack.c). */
void *alloc_thread_stack(void);
void free_thread_stack(void *stack);
unsigned long nr_stacks_in_use(void);
bool addr_in_stack_guard(unsigned long addr, unsigned long *stack_base);
void set_task_stack_end_magic(void *stack);
bool task_stack_end_corrupted(const void *stack);

/* User memory access (mm/uaccess.c): 0 or -EFAULT. */
int copy_from_user(void *dst, const void *usrc, size_t n);
int copy_to_user(void *udst, const void *src, size_t n);
long strncpy_from_user(char *dst, const char *usrc, size_t n);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy(char *d, const char *s, size_t n);

extern char _text[], _etext[], _end[], __sched_text_start[], __sched_text_end[];
extern char __init_stack_guard[], init_stack[], __init_stack_end[];
extern char _rodata[], _erodata[], _data[], _edata[], __bss_start[];

#endif
#endif
