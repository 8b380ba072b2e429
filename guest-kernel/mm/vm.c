/* Page tables and address spaces (Linux: arch/x86/mm/init_64.c, kernel/fork.c's
 * mm half, mm/mmap.c). 4-level paging, SDM Vol. 3A 4.5. */
#include "mm.h"
#include "multiboot.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"

struct mm_struct init_mm = {
    .mm_users = 1,
    .mm_count = 1 << 30, /* never freed */
    .page_table_lock = SPINLOCK_INIT("init_mm.page_table_lock"),
};

static u64 nx_bit; /* _PAGE_NX when EFER.NXE is on */

/* The table that entry `idx` of `table` points to, created if missing. */
static pgd_t *walk_alloc(pgd_t *table, unsigned int idx, u64 flags)
{
    if (!(table[idx] & _PAGE_PRESENT)) table[idx] = __pa(alloc_page()) | flags;
    else if (table[idx] & _PAGE_PSE) panic("walk_alloc: a large page is in the way");
    return __va(table[idx] & PTE_ADDR_MASK);
}

pgd_t *lookup_pte(pgd_t *pgd, unsigned long va, bool *large)
{
    pgd_t *t = pgd;
    unsigned int idx[4] = {pgd_index(va), pud_index(va), pmd_index(va), pte_index(va)};
    if (large) *large = false;
    for (int level = 0; level < 3; ++level) {
        pgd_t e = t[idx[level]];
        if (!(e & _PAGE_PRESENT)) return NULL;
        if (level > 0 && (e & _PAGE_PSE)) {
            if (large) *large = true;
            return &t[idx[level]];
        }
        t = __va(e & PTE_ADDR_MASK);
    }
    return &t[idx[3]];
}

static void map_kernel_page(unsigned long va, unsigned long pa, u64 flags)
{
    pgd_t *pud = walk_alloc(init_mm.pgd, pgd_index(va), _PAGE_PRESENT | _PAGE_RW);
    pgd_t *pmd = walk_alloc(pud, pud_index(va), _PAGE_PRESENT | _PAGE_RW);
    pgd_t *pt = walk_alloc(pmd, pmd_index(va), _PAGE_PRESENT | _PAGE_RW);
    pt[pte_index(va)] = pa | flags;
}

/* Kernel mappings (vmap stacks) are added to init_mm below PML4 entries that
 * exist from boot, so every address space sees them. */
void map_kernel_stack_page(unsigned long va, unsigned long pa)
{
    map_kernel_page(va, pa, _PAGE_PRESENT | _PAGE_RW | _PAGE_GLOBAL | nx_bit);
}

/* init_mm's page tables, replacing the boot ones:
 *   - the direct map of physical 0-4 GiB at PAGE_OFFSET, 2 MiB pages,
 *     uncached above 3 GiB (the APICs' MMIO);
 *   - the kernel image at __START_KERNEL_map + physical, 4 KiB pages: text
 *     read-only and executable, rodata read-only, data and bss writable, and
 *     init_task's stack guard page left out;
 *   - an empty third-level table for the vmap stack area, so its PML4 entry
 *     exists before the first user address space copies the kernel half.
 * No identity map: user space starts empty. */
void paging_init(void)
{
    if (rdmsr(MSR_EFER) & EFER_NX) nx_bit = _PAGE_NX;
    init_mm.pgd = alloc_page();

    pgd_t *pud = walk_alloc(init_mm.pgd, pgd_index(PAGE_OFFSET), _PAGE_PRESENT | _PAGE_RW);
    for (unsigned long gb = 0; gb < 4; ++gb) {
        pgd_t *pmd = walk_alloc(pud, pud_index(PAGE_OFFSET + (gb << 30)), _PAGE_PRESENT | _PAGE_RW);
        for (unsigned long i = 0; i < 512; ++i) {
            unsigned long pa = (gb << 30) | (i << 21);
            u64 f = _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE | _PAGE_GLOBAL | nx_bit;
            if (pa >= 0xc0000000) f |= _PAGE_PCD | _PAGE_PWT;
            pmd[i] = pa | f;
        }
    }

    unsigned long start = __START_KERNEL_map + 0x100000; /* .boot too: its GDT is in use */
    for (unsigned long va = start; va < (unsigned long)_end; va += PAGE_SIZE) {
        if (va >= (unsigned long)__init_stack_guard && va < (unsigned long)init_stack) continue;
        u64 f = _PAGE_PRESENT | _PAGE_GLOBAL;
        if (va >= (unsigned long)_text && va < (unsigned long)_etext) {
            /* text: read-only, executable */
        } else if (va >= (unsigned long)_rodata && va < (unsigned long)_erodata) {
            f |= nx_bit;
        } else {
            f |= _PAGE_RW | (va >= (unsigned long)_text ? nx_bit : 0); /* .boot stays executable */
        }
        map_kernel_page(va, va - __START_KERNEL_map, f);
    }

    walk_alloc(init_mm.pgd, pgd_index(VMAP_STACK_START), _PAGE_PRESENT | _PAGE_RW);
    write_cr3(__pa(init_mm.pgd));
}

struct mm_struct *mm_alloc(void)
{
    struct mm_struct *mm = alloc_page();
    mm->pgd = alloc_page();
    for (int k = 256; k < 512; ++k) mm->pgd[k] = init_mm.pgd[k]; /* the shared kernel half */
    mm->mm_users = 1;
    mm->mm_count = 1;
    spin_lock_init(&mm->page_table_lock, "mm->page_table_lock");
    return mm;
}

void *map_user_page(struct mm_struct *mm, unsigned long va, bool writable, bool exec)
{
    if (va >= TASK_SIZE_MAX) panic("map_user_page(%lx): not a user address", va);
    const u64 tf = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER;
    unsigned long flags = spin_lock_irqsave(&mm->page_table_lock);
    pgd_t *pud = walk_alloc(mm->pgd, pgd_index(va), tf);
    pgd_t *pmd = walk_alloc(pud, pud_index(va), tf);
    pgd_t *pt = walk_alloc(pmd, pmd_index(va), tf);
    pgd_t *pte = &pt[pte_index(va)];
    void *page;
    if (*pte & _PAGE_PRESENT) { /* two segments share this page: the union of their rights */
        if (writable) *pte |= _PAGE_RW;
        if (exec) *pte &= ~_PAGE_NX;
        page = __va(*pte & PTE_ADDR_MASK);
    } else {
        page = alloc_page();
        *pte = __pa(page) | _PAGE_PRESENT | _PAGE_USER | (writable ? _PAGE_RW : 0) | (exec ? 0 : nx_bit);
        mm->nr_user_pages++;
    }
    spin_unlock_irqrestore(&mm->page_table_lock, flags);
    return page;
}

/* Calls fn for every present user page (4 KiB leaves only: the kernel never
 * maps large user pages), and frees the tables on the way if `free_tables`. */
static void walk_user(struct mm_struct *mm, bool free_tables, void (*fn)(void *, unsigned long, pgd_t), void *arg)
{
    for (unsigned int i = 0; i < 256; ++i) {
        if (!(mm->pgd[i] & _PAGE_PRESENT)) continue;
        pgd_t *pud = __va(mm->pgd[i] & PTE_ADDR_MASK);
        for (unsigned int j = 0; j < 512; ++j) {
            if (!(pud[j] & _PAGE_PRESENT)) continue;
            pgd_t *pmd = __va(pud[j] & PTE_ADDR_MASK);
            for (unsigned int k = 0; k < 512; ++k) {
                if (!(pmd[k] & _PAGE_PRESENT)) continue;
                pgd_t *pt = __va(pmd[k] & PTE_ADDR_MASK);
                for (unsigned int l = 0; l < 512; ++l)
                    if (pt[l] & _PAGE_PRESENT)
                        fn(arg, ((unsigned long)i << 39) | ((unsigned long)j << 30) | ((unsigned long)k << 21) |
                                    ((unsigned long)l << 12),
                           pt[l]);
                if (free_tables) free_page(pt);
            }
            if (free_tables) free_page(pmd);
        }
        if (free_tables) {
            free_page(pud);
            mm->pgd[i] = 0;
        }
    }
}

static void copy_one(void *arg, unsigned long va, pgd_t pte)
{
    struct mm_struct *new = arg;
    void *page = map_user_page(new, va, pte & _PAGE_RW, !(pte & _PAGE_NX));
    memcpy(page, __va(pte & PTE_ADDR_MASK), PAGE_SIZE);
}

/* fork: a copy of every user page (no copy-on-write: simple and honest). */
struct mm_struct *dup_mm(struct mm_struct *old)
{
    struct mm_struct *mm = mm_alloc();
    walk_user(old, false, copy_one, mm);
    return mm;
}

static void free_one(void *arg, unsigned long va, pgd_t pte) { free_page(__va(pte & PTE_ADDR_MASK)); }

/* The last user is gone: free the user pages and tables. The PML4 stays until
 * mmdrop(), because a kernel thread may still run on it (lazily). */
static void exit_mmap(struct mm_struct *mm)
{
    walk_user(mm, true, free_one, NULL);
    mm->nr_user_pages = 0;
}

void mmgrab(struct mm_struct *mm) { __atomic_fetch_add(&mm->mm_count, 1, __ATOMIC_SEQ_CST); }

void mmdrop(struct mm_struct *mm)
{
    if (__atomic_sub_fetch(&mm->mm_count, 1, __ATOMIC_SEQ_CST) == 0) {
        if (mm == &init_mm) panic("mmdrop: init_mm's last reference");
        if (mm->pgd == (pgd_t *)__va(read_cr3() & PTE_ADDR_MASK))
            panic("mmdrop: freeing the page tables this CPU is using");
        free_page(mm->pgd);
        free_page(mm);
    }
}

void mmput(struct mm_struct *mm)
{
    if (__atomic_sub_fetch(&mm->mm_users, 1, __ATOMIC_SEQ_CST) == 0) {
        exit_mmap(mm);
        mmdrop(mm);
    }
}

/* switch_mm: a new CR3 only when the address space really changes. A kernel
 * thread never gets here: it keeps whatever CR3 is loaded (lazy TLB). */
void switch_mm_irqs_off(struct mm_struct *prev, struct mm_struct *next, struct task_struct *tsk)
{
    if (prev == next) return;
    write_cr3(__pa(next->pgd));
    this_cpu()->nr_cr3_writes++;
}
