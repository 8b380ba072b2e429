/* Tasks and the scheduler: struct task_struct, struct thread_struct, the run
 * queues, and the functions that make a CPU change tasks (kernel/sched.c).
 *
 * A task is always in exactly one of these situations:
 *   running     on_cpu = 1, rq->curr of its CPU, state TASK_RUNNING
 *   runnable    on a run queue's list, on_cpu = 0, state TASK_RUNNING
 *   sleeping    on no run queue, state TASK_INTERRUPTIBLE or TASK_UNINTERRUPTIBLE
 *   zombie      exit_state EXIT_ZOMBIE: it has exited, its parent has not
 *               reaped it; its kernel stack is gone (stack = NULL) once the CPU
 *               has switched away from it.
 * A task that is switched out (runnable or sleeping) has its callee-saved
 * registers in a struct inactive_task_frame at thread.sp (switch_to.h), or
 * where the boot's other switch model keeps them (switch_model.h). */
#ifndef _SCHED_H
#define _SCHED_H

/* Offsets used by assembly (switch_to.S, entry_64.S), checked below. */
#define TASK_threadsp 288
#define TASK_stack_canary 24
#define TASK_flags 36
#define TASK_label 848

/* thread_info flags (Linux's bit numbers). */
#define TIF_NEED_RESCHED 3   /* schedule() before returning to user / on preemption */
#define TIF_NEED_FPU_LOAD 14 /* the CPU's FPU registers are not this task's user state */

#define PF_IDLE 0x00000002
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000

#ifndef __ASSEMBLER__
#include "label.h"
#include "list.h"
#include "mm.h"
#include "percpu.h"
#include "ptrace.h"
#include "spinlock.h"
#include "types.h"
#include "wait.h"

#define TASK_RUNNING 0x0000
#define TASK_INTERRUPTIBLE 0x0001
#define TASK_UNINTERRUPTIBLE 0x0002
#define TASK_NORMAL (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)
#define TASK_DEAD 0x0080
#define EXIT_ZOMBIE 0x0020
#define EXIT_DEAD 0x0010

#define TASK_COMM_LEN 16
#define HZ 100               /* timer ticks per second */
#define SCHED_SLICE_TICKS 2  /* a time slice: 20 ms */

struct thread_info {
    unsigned long flags; /* TIF_*: set by other CPUs and interrupts, so atomic */
};

/* The FXSAVE image (SDM Vol. 1 10.5.1, Table 10-2). */
struct fxregs_state {
    u16 cwd, swd, twd, fop;
    u64 rip, rdp;
    u32 mxcsr, mxcsr_mask;
    u32 st_space[32];  /* 8 x87 registers, 16 bytes each */
    u32 xmm_space[64]; /* 16 XMM registers, 16 bytes each */
    u32 padding[24];
} __aligned(16);
ASSERT_SIZE(struct fxregs_state, 512);

struct fpu {
    int last_cpu; /* where the registers were last saved from; -1: nowhere */
    struct fxregs_state state;
};

/* The part of a task's state that is x86's own. */
struct thread_struct {
    unsigned long sp;     /* switched out: RSP, pointing at its inactive_task_frame
                           * (linux26: SAVE_CONTEXT's pushes; xv6: its struct context;
                           * i386: ESP, pointing at the EBP and EFLAGS switch_to pushed) */
#ifdef __i386__
    unsigned long ip;     /* i386: EIP to resume at, switch_to's `$1f`, or ret_from_fork
                           * (Linux 2.6.24 and older called these two esp and eip) */
    u64 tls_desc;         /* i386: the GDT_ENTRY_TLS descriptor (set_thread_area) */
    unsigned long gs;     /* i386: GS while switched out (Linux's lazy_save_gs) */
#endif
    unsigned long fsbase; /* user FS base (arch_prctl(ARCH_SET_FS)): TLS */
    unsigned long gsbase; /* user GS base (ARCH_SET_GS) */
    struct fpu fpu;       /* user FPU/SSE registers while they are not in the CPU */
    label_t label;        /* switch=solaris: the registers resume() saved (label.h) */
};

struct task_struct {
    struct thread_info thread_info; /* first, as with THREAD_INFO_IN_TASK */
    volatile long state;            /* TASK_RUNNING, TASK_INTERRUPTIBLE, ... */
    void *stack;                    /* lowest address of the THREAD_SIZE stack */
    unsigned long stack_canary;     /* loaded into %gs:40 by __switch_to_asm */
    int usage;                      /* references (the task itself, its parent) */
    unsigned int flags;             /* PF_* */
    volatile int on_cpu;            /* a CPU runs it, or is still switching away */
    int cpu;                        /* its run queue's CPU */
    int on_rq;                      /* queued or running (not sleeping) */
    int pid;
    int exit_state;                 /* EXIT_ZOMBIE once it has exited */
    int exit_code;                  /* wait4 status */
    int time_slice;                 /* ticks left before TIF_NEED_RESCHED */
    int migrate_pending;            /* running on a CPU outside cpus_mask */
    int autoreap;                   /* released at exit; nobody waits for it */
    unsigned long cpus_mask;        /* CPUs it may run on (bit n: CPU n) */
    struct mm_struct *mm;           /* its address space; NULL for kernel threads */
    struct mm_struct *active_mm;    /* the one in CR3 while it runs */
    struct task_struct *parent;
    struct list_head children;      /* its children, linked by their ->sibling */
    struct list_head sibling;
    struct list_head tasks;         /* every task: task_list */
    struct list_head run_list;      /* on rq->queue while runnable */
    spinlock_t pi_lock;             /* serialises wake-ups of this task */
    struct wait_queue_head wait_chldexit; /* the parent sleeps here in wait4 */
    const char *blocked_on;         /* why it sleeps (for the trace and ps) */
    unsigned long nvcsw, nivcsw;    /* voluntary / involuntary switches away */
    unsigned long nr_migrations;    /* times it moved to another CPU */
    unsigned long last_ran_jiffies;
    char comm[TASK_COMM_LEN];
    struct thread_struct thread;    /* last, as in Linux */
};

#ifdef __x86_64__ /* the i386 switch_to takes its offsets from C operands */
ASSERT_OFFSET(struct task_struct, thread.sp, TASK_threadsp);
ASSERT_OFFSET(struct task_struct, stack_canary, TASK_stack_canary);
ASSERT_OFFSET(struct task_struct, flags, TASK_flags);
ASSERT_OFFSET(struct task_struct, thread.label, TASK_label);
#endif

/* A CPU's run queue. curr runs; queue holds the runnable tasks in the order
 * they will run (round robin); idle runs when the queue is empty. The lock
 * is held from __schedule() until the next task has finished switching in
 * (finish_task_switch()), so no other CPU sees a half-switched CPU. */
struct rq {
    spinlock_t lock;
    struct task_struct *curr;
    struct task_struct *idle;
    struct list_head queue;
    unsigned int nr_running;     /* queued + curr (if not idle) */
    unsigned long nr_switches;
    struct mm_struct *prev_mm;   /* borrowed mm to drop after the switch */
    int cpu;
};

extern struct rq runqueues[NR_CPUS];
#define cpu_rq(cpu) (&runqueues[(cpu)])
#define this_rq() cpu_rq(smp_processor_id())

extern struct task_struct init_task; /* pid 0 on CPU 0: "swapper/0", the boot CPU's idle task */
extern struct list_head task_list;
extern spinlock_t tasklist_lock;
extern int sched_preempt_enabled; /* kernel preemption on return from interrupts */
extern bool sched_rsb_fill;       /* __switch_to_asm fills the RSB (rsb_fill) */

static inline struct pt_regs *task_pt_regs(struct task_struct *t)
{
    return (struct pt_regs *)((char *)t->stack + THREAD_SIZE) - 1;
}
static inline unsigned long task_top_of_stack(struct task_struct *t)
{
    return (unsigned long)t->stack + THREAD_SIZE;
}

static inline void set_tsk_thread_flag(struct task_struct *t, int f)
{
    __atomic_fetch_or(&t->thread_info.flags, 1UL << f, __ATOMIC_SEQ_CST);
}
static inline void clear_tsk_thread_flag(struct task_struct *t, int f)
{
    __atomic_fetch_and(&t->thread_info.flags, ~(1UL << f), __ATOMIC_SEQ_CST);
}
static inline bool test_tsk_thread_flag(struct task_struct *t, int f)
{
    return (READ_ONCE(t->thread_info.flags) >> f) & 1;
}
static inline bool need_resched(void) { return test_tsk_thread_flag(current, TIF_NEED_RESCHED); }
static inline bool is_idle_task(const struct task_struct *t) { return t->flags & PF_IDLE; }

/* sched.c */
void sched_init(void);
void init_idle(struct task_struct *idle, int cpu);
__noreturn void cpu_startup_entry(void);
enum sched_mode { SM_NONE, SM_PREEMPT, SM_YIELD };
void __schedule(enum sched_mode mode); /* the core; callers below */
void schedule(void);
void preempt_schedule_irq(void);
void cond_resched(void);
void schedule_tail(struct task_struct *prev);
void do_sched_yield(void);
int wake_up_process(struct task_struct *p);
int try_to_wake_up(struct task_struct *p, unsigned int state);
void wake_up_new_task(struct task_struct *p);
void scheduler_tick(void);
void resched_curr(struct rq *rq);
int sched_setaffinity(struct task_struct *p, unsigned long mask);
struct task_struct *finish_task_switch(struct task_struct *prev);
void wake_up_process_migrated(struct task_struct *p);
__noreturn void do_task_dead(void);
struct sy_switch_event;
long sched_trace_ctl(int op, struct sy_switch_event *ubuf, int max);
bool task_curr(const struct task_struct *p);
extern unsigned long cpu_online_mask;

/* fork.c */
#define CLONE_VM 0x00000100
#define CLONE_SETTLS 0x00080000
struct kernel_clone_args {
    unsigned long flags;
    unsigned long stack; /* new user RSP (CLONE_VM threads), or 0 */
    unsigned long tls;   /* new FS base with CLONE_SETTLS */
    int (*fn)(void *);   /* kernel thread: function ... */
    void *fn_arg;        /* ... and its argument */
    const char *name;
    unsigned long cpus_mask; /* 0: every CPU */
    bool autoreap;       /* nobody waits: released at exit (Linux: kthreadd's children) */
};
long kernel_clone(struct kernel_clone_args *args);
int kernel_thread(int (*fn)(void *), void *arg, const char *name, unsigned long cpus_mask);
struct task_struct *fork_idle(int cpu);
struct task_struct *find_task_by_pid(int pid); /* caller holds tasklist_lock */
void put_task_struct(struct task_struct *t);
void put_task_stack(struct task_struct *t);
void task_set_comm(struct task_struct *t, const char *name);
int copy_thread(struct task_struct *p, const struct kernel_clone_args *args);
void kthread_returned(long ret);

/* exit.c */
__noreturn void do_exit(int code);
long do_wait(int pid, int *wstatus, int options);
#define WNOHANG 1

/* exec.c */
long kernel_execve(const char *name, const char *const *argv);

/* process_64.c (process_32.c) */
long do_arch_prctl(int code, unsigned long addr);
void flush_thread_tls(struct task_struct *tsk); /* execve: no TLS; interrupts off */
void start_thread(struct pt_regs *regs, unsigned long ip, unsigned long sp);

/* time.c */
extern volatile unsigned long jiffies;
long schedule_timeout(long ticks); /* in TASK_*INTERRUPTIBLE already */
void msleep(unsigned int ms);
void time_tick(void);

/* switch trace */
void trace_sched_switch(struct task_struct *prev, struct task_struct *next, int reason);

#endif
#endif
