/* Shared by the timing calibration kernels (docs/timing.md, "Calibration"):
 * cycle counting and the result lines the checker (check_calibration.sh)
 * reads. Each kernel prints one line per measurement on port 0xE9,
 *     <bench> <key>=<value> ... cycles=<n>
 * and exits with 0x10 (status 33). The expected values are not here: the
 * checker derives them from the model's parameters (switchyard timing-params). */
#ifndef TESTS_SYSTEM_TIMING_BENCH_H
#define TESTS_SYSTEM_TIMING_BENCH_H
#include "lib.h"

/* LFENCE waits for every earlier instruction (and the model drains there), so
 * the count includes the last load of the measured loop. */
static inline u64 cycles_now(void) {
    u32 lo, hi;
    __asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((u64)hi << 32) | lo;
}

/* The boot library's tables map the first GiB with 2 MiB pages; the kernels
 * add their own mappings in other PDPT slots and reload CR3. */
static inline void reload_cr3(void) { WRITE_CR(3, READ_CR(3)); }

#endif
