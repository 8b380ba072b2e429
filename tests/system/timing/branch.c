/* Branch patterns of growing period: a conditional branch taken once every P
 * iterations (T for the taken one, N otherwise: N...NT), for P = 1 ... 128,
 * and never (printed as period 0). Its two ways cost nearly the same (one
 * instruction and one taken branch each); the checker takes what each way
 * costs from the always-taken (P = 1) and never-taken loops, both perfectly
 * predictable, and counts the rest as mispredictions: a predictor that has
 * learnt the period makes none, one that cannot see far enough back
 * mispredicts the T once per period. */
#include "bench.h"

#define ITERS ((u64)20000)

static void pattern(u64 period, u64 iters) {
    if (!period) period = ~0ull >> 1;  /* never taken within the loop */
    u64 c = period, d = 0;
    __asm__ volatile(
        "1: dec %[c]\n\t"
        "jz 2f\n\t"
        "add $1, %[d]\n\t"
        "jmp 3f\n"
        "2: mov %[p], %[c]\n"
        "3: dec %[n]\n\t"
        "jnz 1b"
        : [c] "+&r"(c), [d] "+&r"(d), [n] "+&r"(iters)
        : [p] "r"(period)
        : "cc");
}

void kmain(void) {
    static const u64 periods[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32, 48, 64, 128};
    for (unsigned k = 0; k < sizeof periods / sizeof periods[0]; ++k) {
        const u64 p = periods[k];
        pattern(p, ITERS);  /* train */
        const u64 t0 = cycles_now();
        pattern(p, ITERS);
        const u64 t1 = cycles_now();
        printk("branch period=%lu iters=%lu cycles=%lu\n", p, ITERS, t1 - t0);
    }
    exit_qemu(0x10);
}
