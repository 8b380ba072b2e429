/* Odds and ends that many files use. */
#ifndef _KERNEL_H
#define _KERNEL_H
#include "types.h"

/* isa-debug-exit (port 0xF4): QEMU and switchyard exit with (v << 1) | 1. */
#define EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900
#define EXIT_SUCCESS_CODE 0 /* status 1 */
#define EXIT_FAILURE_CODE 1 /* status 3 */
#define PANIC_EXIT_CODE 2   /* status 5 */
__noreturn void machine_power_off(int code);

/* The command line, split into words (kernel/main.c). */
bool cmdline_has(const char *word);
extern const char *init_argv[16]; /* the program to run as pid 1 and its args */

/* The bundled user programs (user/programs.S). */
struct user_program {
    const char *name;
    const unsigned char *start, *end;
};
extern const struct user_program user_programs[];
extern const int nr_user_programs;
const struct user_program *find_user_program(const char *name);

/* ktest.c */
__noreturn void ktest_main(void);
/* panic.c */
extern volatile int panic_in_progress;
void smp_stop_other_cpus(void);
/* smpboot.c */
void smp_boot_cpus(void);
/* What an AP's start-up code reads (smpboot.c fills it for one AP at a time). */
struct smpboot_params {
    unsigned long stack, gs_base, cr3;
};
extern struct smpboot_params smpboot_params;
/* cpu.c (cpu_32.c): patches the trampoline copied to low memory `t` with its
 * page tables and where it jumps to. */
void prepare_trampoline(char *t);

/* traps.c */
unsigned long stack_guard_hits(void);

long get_random_long(void);

#endif
