/* Call depths past the return stack buffer: D nested calls and their D
 * returns, each from its own call site, for D = 2 ... 64. The chain is 64
 * pieces of `call next; ret`; entering it at piece 64 - (D - 1) makes D - 1
 * calls inside it, plus the loop's own call. While D fits the RSB every return
 * is predicted; beyond, the returns after the first rsb_entries find entries
 * that later calls overwrote (the buffer wraps) and mispredict. */
#include "bench.h"

#define ITERS ((u64)2000)
#define PIECE 6 /* call rel32 (5 bytes) + ret */

extern char call_chain[];
__asm__(".text\n"
        ".globl call_chain\n"
        "call_chain:\n"
        ".rept 64\n"
        "  call 1f\n"
        "  ret\n"
        "1:\n"
        ".endr\n"
        "  ret\n");

static void calls(u64 depth, u64 iters) {
    u64 entry = (u64)call_chain + (64 - (depth - 1)) * PIECE;
    __asm__ volatile(
        "1: call *%[e]\n\t"
        "dec %[n]\n\t"
        "jnz 1b"
        : [n] "+&r"(iters)
        : [e] "r"(entry)
        : "memory", "cc");
}

void kmain(void) {
    static const u64 depths[] = {2, 4, 8, 12, 14, 15, 16, 17, 18, 20, 24, 32, 48, 64};
    for (unsigned k = 0; k < sizeof depths / sizeof depths[0]; ++k) {
        const u64 d = depths[k];
        calls(d, ITERS);  /* train the BTB and the indirect call */
        const u64 t0 = cycles_now();
        calls(d, ITERS);
        const u64 t1 = cycles_now();
        printk("rsb depth=%lu iters=%lu cycles=%lu\n", d, ITERS, t1 - t0);
    }
    exit_qemu(0x10);
}
