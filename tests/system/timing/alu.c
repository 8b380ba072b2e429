/* Dependent against independent ALU chains: 64 ADDs per iteration into one
 * register (each needs the one before: one per ALU latency), into eight
 * registers round robin (limited only by the issue width), and 64 IMULs into
 * one register (one per multiply latency). */
#include "bench.h"

#define ITERS ((u64)2000)

#define REP64(x) ".rept 64\n\t" x "\n\t.endr\n\t"

static u64 dependent_add(u64 n) {
    u64 a = 0, b = 1;
    __asm__ volatile("1:\n\t" REP64("add %[b], %[a]") "dec %[n]\n\tjnz 1b"
                     : [a] "+&r"(a), [n] "+&r"(n)
                     : [b] "r"(b)
                     : "cc");
    return a;
}

static void independent_add(u64 n) {
    __asm__ volatile("1:\n\t"
                     ".rept 8\n\t"
                     "add $1, %%r8\n\tadd $1, %%r9\n\tadd $1, %%r10\n\tadd $1, %%r11\n\t"
                     "add $1, %%r12\n\tadd $1, %%r13\n\tadd $1, %%r14\n\tadd $1, %%r15\n\t"
                     ".endr\n\t"
                     "dec %[n]\n\tjnz 1b"
                     : [n] "+r"(n)
                     :
                     : "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc");
}

static u64 dependent_mul(u64 n) {
    u64 a = 3, b = 5;
    __asm__ volatile("1:\n\t" REP64("imul %[b], %[a]") "dec %[n]\n\tjnz 1b"
                     : [a] "+&r"(a), [n] "+&r"(n)
                     : [b] "r"(b)
                     : "cc");
    return a;
}

void kmain(void) {
    for (int pass = 0; pass < 2; ++pass) {  /* the first pass warms the caches and predictors */
        u64 t0 = cycles_now();
        dependent_add(ITERS);
        u64 t1 = cycles_now();
        independent_add(ITERS);
        u64 t2 = cycles_now();
        dependent_mul(ITERS);
        u64 t3 = cycles_now();
        if (!pass) continue;
        printk("alu chain=dependent-add insns=%lu cycles=%lu\n", 64 * ITERS, t1 - t0);
        printk("alu chain=independent-add insns=%lu cycles=%lu\n", 64 * ITERS, t2 - t1);
        printk("alu chain=dependent-mul insns=%lu cycles=%lu\n", 64 * ITERS, t3 - t2);
    }
    exit_qemu(0x10);
}
