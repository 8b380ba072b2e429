/* The xv6 model (switch=xv6; xv6: proc.h, proc.c, swtch.S), beside Linux's
 * in switch_to.h.
 *
 * Each CPU has a scheduler thread of its own: a stack and a saved struct
 * context, but no task_struct. A task never switches to another task
 * directly. __schedule() calls sched(), which swtch()es from the task to its
 * CPU's scheduler; scheduler() picks the next task, switches the address
 * space and the per-task CPU state (__switch_to: FPU, FS/GS bases, current,
 * TSS.RSP0), loads next's stack canary and swtch()es to next. So every
 * switch is task -> scheduler -> task, two swtch() calls, and every
 * switched-out task resumes at the same place: the return of its swtch() in
 * sched(); the scheduler thread resumes at the return of its swtch() in
 * scheduler().
 *
 * swtch() pushes the callee-saved registers on the stack it leaves, as a
 * struct context (its return address, pushed by the call, is context.rip)
 * and stores the stack pointer, which is the context's address, through its
 * first argument: thread.sp for a task (xv6: p->context), xv6_cpus[n].scheduler
 * for the scheduler thread (xv6: c->scheduler).
 *
 * Differences from xv6: the pick (pick_next_task) and the bookkeeping are
 * this kernel's (round robin per CPU, the idle tasks stay: the scheduler
 * thread runs only while a switch is in progress, with the run-queue lock
 * held and interrupts off, instead of looping with interrupts on); swtch
 * returns its third argument, the task the scheduler switched from, which
 * becomes switch_to's `last`. Shared with assembly: swtch.S. */
#ifndef _SCHED_XV6_H
#define _SCHED_XV6_H

#define CONTEXT_r15 0
#define CONTEXT_r14 8
#define CONTEXT_r13 16
#define CONTEXT_r12 24
#define CONTEXT_rbx 32
#define CONTEXT_rbp 40
#define CONTEXT_rip 48
#define CONTEXT_SIZE 56

#define XV6_SCHED_STACK_SIZE 8192 /* each CPU's scheduler thread */

#ifndef __ASSEMBLER__
#include "sched.h"
#include "switch_to.h"

/* From low to high addresses: the order of swtch's pops. */
struct context {
    unsigned long r15;
    unsigned long r14;
    unsigned long r13;
    unsigned long r12;
    unsigned long rbx;
    unsigned long rbp;
    unsigned long rip; /* the return address of the call to swtch */
};
#ifdef __x86_64__ /* swtch.S's layout; no i386 assembly uses it */
ASSERT_OFFSET(struct context, r15, CONTEXT_r15);
ASSERT_OFFSET(struct context, r14, CONTEXT_r14);
ASSERT_OFFSET(struct context, r13, CONTEXT_r13);
ASSERT_OFFSET(struct context, r12, CONTEXT_r12);
ASSERT_OFFSET(struct context, rbx, CONTEXT_rbx);
ASSERT_OFFSET(struct context, rbp, CONTEXT_rbp);
ASSERT_OFFSET(struct context, rip, CONTEXT_rip);
ASSERT_SIZE(struct context, CONTEXT_SIZE);
/* A new task's first context is the inactive_task_frame of its fork_frame
 * (copy_thread()): the same registers in the same order, rip = ret_from_fork. */
_Static_assert(sizeof(struct context) == sizeof(struct inactive_task_frame), "context and inactive_task_frame differ");
_Static_assert(CONTEXT_rip == FRAME_ret_addr && CONTEXT_rbx == FRAME_bx && CONTEXT_r12 == FRAME_r12,
               "context and inactive_task_frame differ");
#endif

/* xv6's struct cpu, the part the switch needs. */
struct xv6_cpu {
    struct context *scheduler;     /* the scheduler thread's saved context */
    /* What sched() hands to the scheduler thread: */
    struct task_struct *prev;      /* the task that called sched() */
    int reason;                    /* SY_SWITCH_* for the trace */
    unsigned long *switch_count;   /* prev's nvcsw or nivcsw */
};
extern struct xv6_cpu xv6_cpus[NR_CPUS];

/* arch/x86/swtch.S: saves the callee-saved registers as a struct context on
 * the current stack, stores its address in *old, loads new's registers and
 * returns into new's call to swtch (or to new->rip's routine), with RAX = last. */
struct task_struct *swtch(struct context **old, struct context *new, struct task_struct *last);

/* kernel/sched_xv6.c */
struct task_struct *sched(struct rq *rq, struct task_struct *prev, int reason, unsigned long *switch_count);
__noreturn void scheduler(void);

/* kernel/sched.c: the halves of __schedule() the scheduler thread runs. */
struct task_struct *sched_pick_next(struct rq *rq, struct task_struct *prev, int reason, unsigned long *switch_count);
void context_switch_mm(struct rq *rq, struct task_struct *prev, struct task_struct *next);
#endif
#endif
