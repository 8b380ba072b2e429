/* The physical page allocator: one bit per 4 KiB page of the first 4 GiB
 * (set: in use or not RAM). Free pages are the Multiboot memory map's
 * available RAM above 1 MiB, minus the kernel image. */
#include "mm.h"
#include "multiboot.h"
#include "printk.h"

#define MAX_PAGES (DIRECT_MAP_SIZE >> PAGE_SHIFT) /* what the direct map reaches */

static u64 page_bitmap[MAX_PAGES / 64];
static unsigned long nr_free, nr_total, next_hint;
static DEFINE_SPINLOCK(page_lock);

static void set_used(unsigned long pfn) { page_bitmap[pfn / 64] |= (u64)1 << (pfn % 64); }
static void set_free(unsigned long pfn) { page_bitmap[pfn / 64] &= ~((u64)1 << (pfn % 64)); }
static bool is_used(unsigned long pfn) { return (page_bitmap[pfn / 64] >> (pfn % 64)) & 1; }

void page_alloc_init(void)
{
    memset(page_bitmap, 0xff, sizeof page_bitmap);
    unsigned long kernel_end = ALIGN_UP(__pa(_end), PAGE_SIZE);
    for (int k = 0; k < boot_params.nr_ram; ++k) {
        u64 start = ALIGN_UP(boot_params.ram[k].start, PAGE_SIZE), end = ALIGN_DOWN(boot_params.ram[k].end, PAGE_SIZE);
        if (start < kernel_end) start = kernel_end; /* below: low memory and the image */
        if (end > MAX_PAGES * PAGE_SIZE) end = MAX_PAGES * PAGE_SIZE;
        for (u64 pa = start; pa < end; pa += PAGE_SIZE) {
            set_free(pa / PAGE_SIZE);
            nr_free++;
        }
    }
    nr_total = nr_free;
    next_hint = kernel_end / PAGE_SIZE;
    if (nr_free < 1024) panic("only %lu free pages of RAM", nr_free);
}

void *alloc_page(void)
{
    unsigned long flags = spin_lock_irqsave(&page_lock);
    for (unsigned long n = 0; n < MAX_PAGES; ++n) {
        unsigned long pfn = (next_hint + n) % MAX_PAGES;
        if (page_bitmap[pfn / 64] == ~0UL) {
            n += 63 - pfn % 64;
            continue;
        }
        if (is_used(pfn)) continue;
        set_used(pfn);
        nr_free--;
        next_hint = pfn + 1;
        spin_unlock_irqrestore(&page_lock, flags);
        void *p = __va(pfn * PAGE_SIZE);
        memset(p, 0, PAGE_SIZE);
        return p;
    }
    spin_unlock_irqrestore(&page_lock, flags);
    panic("out of memory: no free page");
}

void free_page(void *page)
{
    unsigned long pfn = __pa(page) / PAGE_SIZE;
    unsigned long flags = spin_lock_irqsave(&page_lock);
    if (pfn >= MAX_PAGES || !is_used(pfn)) panic("free_page(%p): not an allocated page", page);
    set_free(pfn);
    nr_free++;
    spin_unlock_irqrestore(&page_lock, flags);
}

unsigned long nr_free_pages(void) { return READ_ONCE(nr_free); }
unsigned long nr_total_pages(void) { return nr_total; }
