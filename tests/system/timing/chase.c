/* The latency staircase: a pointer chase over buffers of 16 KiB to 256 MiB,
 * one load per 64-byte line, each load's address the value of the one before.
 * Cycles per load is the load-to-use latency of the level the buffer fits in.
 *
 * The buffer is reached through a 1 GiB page (PDPT slot 1 maps physical 0-1
 * GiB at linear 1 GiB), so after the first load the TLB never misses and the
 * chase measures the caches alone. The lines are visited in the order of a
 * full-period linear congruential sequence (i -> i * A + C mod n), a single
 * cycle through every line that defeats next-line prefetching. Buffers up to
 * twice the LLC are chased once before the measurement (warm); larger ones are
 * measured cold, after reading another 16 MiB so that none of the buffer is
 * left in the LLC from building it. */
#include "bench.h"

#define LINE 64ull
#define ALIAS (1ull << 30)        /* linear 1 GiB -> physical 0 */
#define BUF_PHYS (16ull << 20)    /* the buffer, physical 16 MiB ... */
#define FLUSH_PHYS (288ull << 20) /* 16 MiB read to push the buffer out of the LLC */
#define MEASURED ((u64)65536)     /* loads measured per size */

static u64 chase(u64 p, u64 n) {
    __asm__ volatile("1: mov (%0), %0\n\tdec %1\n\tjnz 1b" : "+r"(p), "+r"(n)::"memory", "cc");
    return p;
}

static void build(u8 *base, u64 lines) {
    const u64 a = 6364136223846793005ull, c = 1442695040888963407ull;  /* a = 1 mod 4, c odd */
    for (u64 i = 0; i < lines; ++i) *(u64 *)(base + i * LINE) = (u64)(base + ((i * a + c) & (lines - 1)) * LINE);
}

static void flush_llc(void) {
    volatile u64 *p = (volatile u64 *)(ALIAS + FLUSH_PHYS);
    for (u64 i = 0; i < (16ull << 20) / 8; i += LINE / 8) (void)p[i];
}

void kmain(void) {
    pdpt[1] = 0x83; /* P, RW, PS: a 1 GiB page at physical 0 */
    reload_cr3();
    u8 *base = (u8 *)(ALIAS + BUF_PHYS);
    for (u64 bytes = 16ull << 10; bytes <= 256ull << 20; bytes *= 2) {
        const u64 lines = bytes / LINE;
        build(base, lines);
        u64 p = (u64)base;
        if (bytes <= 16ull << 20) p = chase(p, lines);
        else flush_llc();
        const u64 t0 = cycles_now();
        p = chase(p, MEASURED);
        const u64 t1 = cycles_now();
        printk("chase bytes=%lu loads=%lu cycles=%lu\n", bytes, MEASURED, t1 - t0);
    }
    exit_qemu(0x10);
}
