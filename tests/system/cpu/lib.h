/* The C side of the shared boot library: console output on the 0xE9 debug
 * port, exit through isa-debug-exit (0xF4), the IDT and TSS, trap dispatch, and
 * wrappers for the system instructions the kernels use. */
#ifndef TESTS_SYSTEM_CPU_LIB_H
#define TESTS_SYSTEM_CPU_LIB_H
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* What trap_common (boot.S) builds on the stack: the registers it pushes, the
 * stub's vector and error code, then the CPU's 64-bit frame (SDM Vol. 3A,
 * 6.14.2). Handlers may change any field; IRETQ uses what they leave. */
struct trap_frame {
    u64 r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
    u64 vector, error;
    u64 rip, cs, rflags, rsp, ss;
};
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "trap_common pushes 15 registers");
_Static_assert(offsetof(struct trap_frame, rip) == 17 * 8, "the CPU frame follows vector and error");

/* The 64-bit TSS (SDM Vol. 3A, 8.7, Figure 8-11). */
struct __attribute__((packed)) tss64 {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
};
_Static_assert(offsetof(struct tss64, rsp) == 4 && offsetof(struct tss64, ist) == 0x24, "TSS layout");
_Static_assert(sizeof(struct tss64) == 104, "TSS size");

extern struct tss64 tss;
/* Tops of the stacks the TSS names (16-byte aligned). */
extern u64 rsp0_top, ist1_top, ist2_top;

/* ---- console ---- */
void putc_e9(char c);
void puts_e9(const char *s);
/* A small printf: %s, %c, %d, %u, %x (with l for 64-bit: %ld %lu %lx). %x
 * prints "0x" and no leading zeros. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* isa-debug-exit: the emulator exits with status (v << 1) | 1. */
__attribute__((noreturn)) void exit_qemu(u8 v);
/* "FAIL: <what>" and exit status (0x7F << 1) | 1. */
__attribute__((noreturn)) void fail(const char *what);

/* ---- traps ---- */
typedef void (*trap_handler)(struct trap_frame *f);
void set_trap_handler(u8 vector, trap_handler h);
/* Rewrites IDT entry `vector`: interrupt gate to its stub, with the given DPL,
 * IST index (0: none) and present bit. */
void set_gate(u8 vector, u8 dpl, u8 ist, int present);
/* Where the stubs of boot.S send an unexpected trap: prints it and exits. */
void trap_dispatch(struct trap_frame *f);

/* ---- ring 3 ---- */
/* Runs fn at CPL 3 on `user_stack` (boot.S). fn's return value comes back. */
u64 run_user(u64 (*fn)(void), u64 user_rsp);
extern char user_return[];
extern u64 user_stack_top;  /* a 16 KiB user stack */

/* ---- paging ---- */
extern u64 pml4[512], pdpt[512], pd[512], pt_low[512], pt_test[512];
/* pt_test maps 0x200000-0x3FFFFF, entry k for 0x200000 + k * 4096. */
#define TEST_PAGE(k) (0x200000ull + (u64)(k) * 4096)
static inline void invlpg(u64 va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }

/* ---- registers ---- */
static inline u64 rdmsr(u32 msr) {
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v) {
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}
#define READ_CR(n) ({ u64 v_; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_)); v_; })
#define WRITE_CR(n, v) __asm__ volatile("mov %0, %%cr" #n ::"r"((u64)(v)) : "memory")
static inline void cpuid(u32 leaf, u32 sub, u32 r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) {
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline u16 read_cs(void) { u16 v; __asm__ volatile("mov %%cs, %0" : "=r"(v)); return v; }
static inline u16 read_ss(void) { u16 v; __asm__ volatile("mov %%ss, %0" : "=r"(v)); return v; }
static inline u64 read_rsp(void) { u64 v; __asm__ volatile("mov %%rsp, %0" : "=r"(v)); return v; }

/* ---- SMP ---- */
#define AP_TRAMPOLINE 0x7000  /* where start_ap copies the real-mode trampoline */
#define LAPIC_BASE 0xFEE00000ull
/* The number of CPUs the firmware reports (fw_cfg FW_CFG_NB_CPUS; QEMU and
 * switchyard both provide it). */
unsigned cpu_count(void);
/* This CPU's initial APIC ID (CPUID.01H:EBX[31:24]). */
unsigned apic_id(void);
/* Maps the local APIC's page (a 2 MiB uncached page at 0xFEE00000, through
 * pdpt[3]) in the boot page tables. start_ap calls it; a kernel that copies
 * the tables calls it first. */
void map_local_apic(void);
/* Starts the AP with APIC ID `id` with INIT-SIPI-SIPI (SDM Vol. 3A 8.4.4.1):
 * the AP enters long mode on the boot page tables (boot.S), loads the IDT and
 * calls fn(id) on `stack_top` (16-byte aligned). fn must not return. Returns
 * once the AP runs fn. One AP at a time. */
void start_ap(unsigned id, void (*fn)(unsigned), u64 stack_top);
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

/* Each kernel's entry point, called in 64-bit mode at CPL 0 after lib_init. */
void kmain(void);

#endif
