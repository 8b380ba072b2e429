/* Page tables and address spaces (Linux: arch/x86/mm/init_64.c, kernel/fork.c's
 * mm half, mm/mmap.c). 4-level paging (SDM Vol. 3A 4.5) or, in the i386 build,
 * 2-level 32-bit paging (4.3): the walks below take the shape from pgtable.h. */
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

static u64 nx_bit; /* _PAGE_NX when EFER.NXE is on (never on i386: pgtable.h) */

/* The table that entry `idx` of `table` points to, created if missing. */
static pgd_t *walk_alloc(pgd_t *table, unsigned int idx, u64 flags)
{
    if (!(table[idx] & _PAGE_PRESENT)) table[idx] = __pa(alloc_page()) | flags;
    else if (table[idx] & _PAGE_PSE) panic("walk_alloc: a large page is in the way");
    return __va(table[idx] & PTE_ADDR_MASK);
}

/* The leaf table for va, with the tables on the way created (flags `tf`). */
static pgd_t *walk_to_leaf_table(pgd_t *pgd, unsigned long va, u64 tf)
{
    pgd_t *t = pgd;
    for (int level = 0; level < PGTABLE_LEVELS - 1; ++level) t = walk_alloc(t, pt_index(va, level), tf);
    return t;
}

pgd_t *lookup_pte(pgd_t *pgd, unsigned long va, bool *large)
{
    pgd_t *t = pgd;
    if (large) *large = false;
    for (int level = 0; level < PGTABLE_LEVELS - 1; ++level) {
        pgd_t e = t[pt_index(va, level)];
        if (!(e & _PAGE_PRESENT)) return NULL;
        if (e & _PAGE_PSE) { /* a large page (the bit is reserved in a PML4 entry) */
            if (large) *large = true;
            return &t[pt_index(va, level)];
        }
        t = __va(e & PTE_ADDR_MASK);
    }
    return &t[pt_index(va, PGTABLE_LEVELS - 1)];
}

static void map_kernel_page(unsigned long va, unsigned long pa, u64 flags)
{
    walk_to_leaf_table(init_mm.pgd, va, _PAGE_PRESENT | _PAGE_RW)[pt_index(va, PGTABLE_LEVELS - 1)] = pa | flags;
}

/* Kernel mappings (vmap stacks) are added to init_mm below top-level entries
 * that exist from boot, so every address space sees them. */
void map_kernel_stack_page(unsigned long va, unsigned long pa)
{
    map_kernel_page(va, pa, _PAGE_PRESENT | _PAGE_RW | _PAGE_GLOBAL | nx_bit);
}

/* The rights of a page of the kernel image: text read-only and executable,
 * rodata read-only, data and bss writable. */
static u64 kernel_image_flags(unsigned long va)
{
    u64 f = _PAGE_PRESENT | _PAGE_GLOBAL;
    if (va >= (unsigned long)_text && va < (unsigned long)_etext) return f;
    if (va >= (unsigned long)_rodata && va < (unsigned long)_erodata) return f | nx_bit;
    return f | _PAGE_RW | (va >= (unsigned long)_text ? nx_bit : 0); /* .boot stays executable */
}

/* init_mm's page tables, replacing the boot ones:
 *   - the direct map of physical 0 - DIRECT_MAP_SIZE at PAGE_OFFSET, large
 *     pages, uncached from DIRECT_MAP_UNCACHED (x86-64: the APICs' MMIO);
 *     where the kernel image lies inside it (i386), 4 KiB pages instead;
 *   - the kernel image at __START_KERNEL_map + physical, 4 KiB pages with
 *     kernel_image_flags(), and init_task's stack guard page left out;
 *   - the tables for the vmap stack area and the fixmap, so their top-level
 *     entries exist before the first user address space copies the kernel half.
 * No identity map: user space starts empty. */
void paging_init(void)
{
    if (_PAGE_NX && (rdmsr(MSR_EFER) & EFER_NX)) nx_bit = _PAGE_NX; /* i386: no EFER to ask */
    init_mm.pgd = alloc_page();

    const unsigned long large = 1UL << LARGE_PAGE_SHIFT;
    const unsigned long image_start = __START_KERNEL_map + 0x100000; /* .boot too: its GDT is in use */
    const unsigned long image_end = (unsigned long)_end;
    for (unsigned long pa = 0; pa < DIRECT_MAP_SIZE; pa += large) {
        unsigned long va = PAGE_OFFSET + pa;
        u64 f = _PAGE_PRESENT | _PAGE_RW | _PAGE_GLOBAL | nx_bit;
        if (va + large > image_start && va < image_end) {
            for (unsigned long v = va; v < va + large; v += PAGE_SIZE)
                if (v < image_start || v >= image_end) map_kernel_page(v, v - PAGE_OFFSET, f);
            continue;
        }
        if (pa >= DIRECT_MAP_UNCACHED) f |= _PAGE_PCD | _PAGE_PWT;
        pgd_t *t = init_mm.pgd;
        for (int level = 0; level < PGTABLE_LEVELS - 2; ++level)
            t = walk_alloc(t, pt_index(va, level), _PAGE_PRESENT | _PAGE_RW);
        t[pt_index(va, PGTABLE_LEVELS - 2)] = pa | f | _PAGE_PSE;
    }

    for (unsigned long va = image_start; va < image_end; va += PAGE_SIZE) {
        if (va >= (unsigned long)__init_stack_guard && va < (unsigned long)init_stack) continue;
        map_kernel_page(va, va - __START_KERNEL_map, kernel_image_flags(va));
    }

    const unsigned long top_span = 1UL << (PAGE_SHIFT + (PGTABLE_LEVELS - 1) * PT_INDEX_BITS);
    for (unsigned long va = VMAP_STACK_START; va < VMAP_STACK_END; va += top_span)
        walk_alloc(init_mm.pgd, pt_index(va, 0), _PAGE_PRESENT | _PAGE_RW);
    if (FIXMAP_START) walk_alloc(init_mm.pgd, pt_index(FIXMAP_START, 0), _PAGE_PRESENT | _PAGE_RW);
    write_cr3(__pa(init_mm.pgd));
}

/* Device memory: the direct map where it reaches (x86-64: all of the first
 * 4 GiB, uncached from 3 GiB); else (i386) the next page of the fixmap,
 * uncached. Called at boot only, before other address spaces exist. */
void *ioremap(unsigned long pa)
{
    static unsigned long next_fixmap = FIXMAP_START;
    if (pa < DIRECT_MAP_SIZE) return __va(pa);
    if (!FIXMAP_START || next_fixmap >= FIXMAP_START + (1UL << LARGE_PAGE_SHIFT))
        panic("ioremap(%lx): outside the direct map and no fixmap page left", pa);
    unsigned long va = next_fixmap;
    next_fixmap += PAGE_SIZE;
    map_kernel_page(va, pa & ~(unsigned long)(PAGE_SIZE - 1), _PAGE_PRESENT | _PAGE_RW | _PAGE_PCD | _PAGE_PWT | nx_bit);
    return (void *)(va + (pa & (PAGE_SIZE - 1)));
}

struct mm_struct *mm_alloc(void)
{
    struct mm_struct *mm = alloc_page();
    mm->pgd = alloc_page();
    for (int k = KERNEL_PGD_FIRST; k < PTRS_PER_TABLE; ++k) mm->pgd[k] = init_mm.pgd[k]; /* the shared kernel half */
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
    pgd_t *pte = &walk_to_leaf_table(mm->pgd, va, tf)[pt_index(va, PGTABLE_LEVELS - 1)];
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

/* Calls fn for every present leaf entry below `table` (a table of `level`
 * mapping from `base`), in entries [first, end); frees the tables below it on
 * the way if `free_tables`. The kernel never maps large user pages. */
static void walk_user_level(pgd_t *table, int level, unsigned long base, unsigned int first, unsigned int end,
                            bool free_tables, void (*fn)(void *, unsigned long, pgd_t), void *arg)
{
    const int shift = PAGE_SHIFT + (PGTABLE_LEVELS - 1 - level) * PT_INDEX_BITS;
    for (unsigned int i = first; i < end; ++i) {
        if (!(table[i] & _PAGE_PRESENT)) continue;
        unsigned long va = base + ((unsigned long)i << shift);
        if (level == PGTABLE_LEVELS - 1) {
            fn(arg, va, table[i]);
            continue;
        }
        pgd_t *next = __va(table[i] & PTE_ADDR_MASK);
        walk_user_level(next, level + 1, va, 0, PTRS_PER_TABLE, free_tables, fn, arg);
        if (free_tables) {
            free_page(next);
            table[i] = 0;
        }
    }
}

/* Every present user page of mm (the top-level entries below the kernel half). */
static void walk_user(struct mm_struct *mm, bool free_tables, void (*fn)(void *, unsigned long, pgd_t), void *arg)
{
    walk_user_level(mm->pgd, 0, 0, 0, KERNEL_PGD_FIRST, free_tables, fn, arg);
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
