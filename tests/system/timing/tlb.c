/* TLB reach: a chase through N distinct 4 KiB pages, one load per page, for
 * N = 8 ... 4096. Every page maps the same physical page (which holds zeros),
 * so the data is one line in the L1 whatever N is and only the translation
 * cost changes: DTLB hits up to its reach, STLB hits up to the STLB's, page
 * walks beyond (their paging entries, 8 bytes per page, in the data caches).
 * Each step is a load, then LEA/CMP/CMOV computing the next page from it (a
 * fixed cost: the checker subtracts the 8-page figure). */
#include "bench.h"

#define VIRT (2ull << 30) /* PDPT slot 2: linear 2 GiB */
#define MAX_PAGES 4096
#define STEPS ((u64)16384)

static u64 pd_tlb[512] __attribute__((aligned(4096)));
static u64 pt_tlb[MAX_PAGES / 512][512] __attribute__((aligned(4096)));
static u8 zero_page[4096] __attribute__((aligned(4096)));

static u64 walk(u64 pages, u64 steps) {
    u64 a = VIRT, d, end = VIRT + pages * 4096, start = VIRT;
    __asm__ volatile(
        "1: mov (%[a]), %[d]\n\t"
        "lea 4096(%[a],%[d]), %[a]\n\t"
        "cmp %[end], %[a]\n\t"
        "cmovae %[start], %[a]\n\t"
        "dec %[n]\n\t"
        "jnz 1b"
        : [a] "+&r"(a), [d] "=&r"(d), [n] "+&r"(steps)
        : [end] "r"(end), [start] "r"(start)
        : "memory", "cc");
    return a;
}

void kmain(void) {
    for (u64 p = 0; p < MAX_PAGES; ++p) pt_tlb[p / 512][p % 512] = (u64)zero_page | 3;
    for (u64 k = 0; k < MAX_PAGES / 512; ++k) pd_tlb[k] = (u64)pt_tlb[k] | 3;
    pdpt[2] = (u64)pd_tlb | 3;
    reload_cr3();
    static const u64 sizes[] = {8, 16, 32, 48, 64, 96, 128, 256, 512, 1024, 1536, 2048, 3072, 4096};
    for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; ++k) {
        const u64 n = sizes[k];
        walk(n, 2 * n);  /* warm: every page once, twice */
        const u64 t0 = cycles_now();
        walk(n, STEPS);
        const u64 t1 = cycles_now();
        printk("tlb pages=%lu steps=%lu cycles=%lu\n", n, STEPS, t1 - t0);
    }
    exit_qemu(0x10);
}
