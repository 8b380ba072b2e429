/* Registers, MSRs and instructions a kernel needs, as inline functions.
 * Numbers from the SDM Vol. 4 (MSRs) and Vol. 3A 2.5 (control registers). */
#ifndef _PROCESSOR_H
#define _PROCESSOR_H

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_APICBASE 0x1b

#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_NX (1 << 11)

#define X86_CR0_PE (1 << 0)
#define X86_CR0_MP (1 << 1)
#define X86_CR0_EM (1 << 2)
#define X86_CR0_TS (1 << 3)
#define X86_CR0_ET (1 << 4)
#define X86_CR0_NE (1 << 5)
#define X86_CR0_WP (1 << 16)
#define X86_CR0_PG (1 << 31)
#define X86_CR4_PSE (1 << 4)
#define X86_CR4_PAE (1 << 5)
#define X86_CR4_PGE (1 << 7)
#define X86_CR4_OSFXSR (1 << 9)
#define X86_CR4_OSXMMEXCPT (1 << 10)

#define X86_EFLAGS_TF (1 << 8)
#define X86_EFLAGS_IF (1 << 9)
#define X86_EFLAGS_DF (1 << 10)
#define X86_EFLAGS_NT (1 << 14)
#define X86_EFLAGS_RF (1 << 16)
#define X86_EFLAGS_AC (1 << 18)
#define X86_EFLAGS_FIXED (1 << 1)

#ifndef __ASSEMBLER__
#include "types.h"

static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

#define DEFINE_CR(n)                                                          \
    static inline unsigned long read_cr##n(void)                              \
    {                                                                         \
        unsigned long v;                                                                \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)::"memory");           \
        return v;                                                             \
    }                                                                         \
    static inline void write_cr##n(unsigned long v) { __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void invlpg(unsigned long va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

static inline unsigned long native_save_fl(void)
{
    unsigned long f;
    __asm__ volatile("pushf; pop %0" : "=r"(f)::"memory");
    return f;
}
static inline void local_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void local_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline bool irqs_disabled(void) { return !(native_save_fl() & X86_EFLAGS_IF); }
static inline unsigned long local_irq_save(void)
{
    unsigned long f = native_save_fl();
    local_irq_disable();
    return f;
}
static inline void local_irq_restore(unsigned long f)
{
    if (f & X86_EFLAGS_IF) local_irq_enable();
}
/* STI's one-instruction shadow makes "sti; hlt" atomic: an interrupt that is
 * already pending is taken after HLT starts, so it wakes the CPU. */
static inline void safe_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void halt(void) { __asm__ volatile("hlt" ::: "memory"); }

#endif /* __ASSEMBLER__ */
#endif
