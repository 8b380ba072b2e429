/* The per-CPU area. Each CPU's GS base (IA32_GS_BASE while in the kernel)
 * points at its struct percpu; user mode has its own GS base, kept in
 * IA32_KERNEL_GS_BASE while the kernel runs, and SWAPGS exchanges the two on
 * every entry from ring 3 and every return to it (and only then).
 *
 * The first 48 bytes are shared with assembly and with gcc: entry_64.S reads
 * current_task, top_of_stack and user_rsp_scratch through %gs, and gcc's
 * -fstack-protector code reads the canary at %gs:40, which is why Linux's
 * x86-64 per-CPU area began with struct fixed_percpu_data { char gs_base[40];
 * unsigned long stack_canary; }. */
#ifndef _PERCPU_H
#define _PERCPU_H

#define NR_CPUS 16

/* The fixed part is the same list of longs in both builds; the i386 build
 * reaches it through FS (a GDT segment whose base is the area, as Linux
 * i386's per-CPU segment), and gcc's canary is at %fs:20 there. */
#ifdef __x86_64__
#define PCPU_self 0
#define PCPU_current_task 8
#define PCPU_top_of_stack 16 /* Linux: cpu_current_top_of_stack */
#define PCPU_user_rsp_scratch 24 /* entry_SYSCALL_64 parks the user RSP here */
#define PCPU_cpu_number 32
#define PCPU_stack_canary 40 /* gcc: %gs:40 */
#define PCPU_preempt_count 48
#define PCPU_hardirq_count 52
#define __percpu_seg "gs"
#else
#define PCPU_self 0
#define PCPU_current_task 4
#define PCPU_top_of_stack 8
#define PCPU_user_rsp_scratch 12 /* unused: int $0x80 switches stacks itself */
#define PCPU_cpu_number 16
#define PCPU_stack_canary 20 /* gcc -mstack-protector-guard-reg=fs: %fs:20 */
#define PCPU_preempt_count 24
#define PCPU_hardirq_count 28
#define __percpu_seg "fs"
#endif

#ifndef __ASSEMBLER__
#include "segment.h"
#include "types.h"

struct task_struct;
struct fpu;

/* struct x86_hw_tss, the TSS of this build: segment.h. */

struct percpu {
    /* --- fixed layout, used by assembly and by the stack protector --- */
    struct percpu *self;              /* 0: this area's own address */
    struct task_struct *current_task; /* 8: `current` */
    unsigned long top_of_stack;       /* 16: top of current's kernel stack */
    unsigned long user_rsp_scratch;   /* 24: user RSP during syscall entry */
    unsigned long cpu_number;         /* 32: smp_processor_id() */
    unsigned long stack_canary;       /* 40: current's canary, for gcc */
    int preempt_count;                /* 48: > 0: no kernel preemption */
    int hardirq_count;                /* 52: nesting of interrupt handlers */
    /* --- C only --- */
    unsigned int apic_id;
    volatile int online;
    struct task_struct *idle;          /* this CPU's idle task ("swapper/N") */
    struct fpu *fpregs_owner_ctx;      /* whose user FPU state the registers hold */
    u64 gdt[GDT_ENTRIES] __aligned(16); /* this CPU's GDT */
    struct x86_hw_tss tss __aligned(16); /* this CPU's TSS (Linux: cpu_tss_rw) */
    /* Event counters, for the tests and `ps`. */
    unsigned long nr_irqs, nr_timer_ticks, nr_resched_ipis, nr_syscalls;
    unsigned long nr_sysret, nr_iret_to_user, nr_cr3_writes, nr_preempt_irq;
} __aligned(64);

ASSERT_OFFSET(struct percpu, self, PCPU_self);
ASSERT_OFFSET(struct percpu, current_task, PCPU_current_task);
ASSERT_OFFSET(struct percpu, top_of_stack, PCPU_top_of_stack);
ASSERT_OFFSET(struct percpu, user_rsp_scratch, PCPU_user_rsp_scratch);
ASSERT_OFFSET(struct percpu, cpu_number, PCPU_cpu_number);
ASSERT_OFFSET(struct percpu, stack_canary, PCPU_stack_canary);
ASSERT_OFFSET(struct percpu, preempt_count, PCPU_preempt_count);
ASSERT_OFFSET(struct percpu, hardirq_count, PCPU_hardirq_count);

extern struct percpu cpu_data[NR_CPUS];
extern int nr_cpu_ids;     /* CPUs listed in the MADT (and started) */
extern int nr_online_cpus; /* CPUs that have come up */

#define this_cpu_read_ulong(off)                                           \
    ({                                                                     \
        unsigned long __v;                                                 \
        __asm__ volatile("mov %%" __percpu_seg ":%c1, %0" : "=r"(__v) : "i"(off));      \
        __v;                                                               \
    })

/* A pointer to this CPU's area. Only meaningful while the caller cannot
 * migrate (interrupts or preemption disabled). */
static inline struct percpu *this_cpu(void) { return (struct percpu *)this_cpu_read_ulong(PCPU_self); }
static inline int smp_processor_id(void) { return (int)this_cpu_read_ulong(PCPU_cpu_number); }
/* One instruction: correct even if the task migrates right after. */
static inline struct task_struct *get_current(void)
{
    return (struct task_struct *)this_cpu_read_ulong(PCPU_current_task);
}
#define current get_current()

static inline void preempt_disable(void) { __asm__ volatile("incl %%" __percpu_seg ":%c0" ::"i"(PCPU_preempt_count) : "memory"); }
static inline void preempt_enable_no_resched(void)
{
    __asm__ volatile("decl %%" __percpu_seg ":%c0" ::"i"(PCPU_preempt_count) : "memory");
}
static inline int preempt_count(void)
{
    int v;
    __asm__ volatile("movl %%" __percpu_seg ":%c1, %0" : "=r"(v) : "i"(PCPU_preempt_count));
    return v;
}
void preempt_enable(void);         /* sched.c: may reschedule */
void preempt_check_resched(void); /* reschedule now if that is due and allowed */
static inline bool in_interrupt(void)
{
    int v;
    __asm__ volatile("movl %%" __percpu_seg ":%c1, %0" : "=r"(v) : "i"(PCPU_hardirq_count));
    return v != 0;
}

#endif
#endif
