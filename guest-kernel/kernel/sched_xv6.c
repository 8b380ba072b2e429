/* The xv6 model: a scheduler thread per CPU (switch=xv6; include/sched_xv6.h;
 * xv6: sched() and scheduler() in proc.c). */
#include "percpu.h"
#include "printk.h"
#include "sched.h"
#include "sched_xv6.h"

struct xv6_cpu xv6_cpus[NR_CPUS];
static unsigned long scheduler_stacks[NR_CPUS][XV6_SCHED_STACK_SIZE / sizeof(unsigned long)] __aligned(16);

/* The scheduler thread's first context: as if it had called swtch() from
 * the first instruction of scheduler(), at the top of its own stack. */
static struct context *scheduler_first_context(int cpu)
{
    unsigned long top = (unsigned long)&scheduler_stacks[cpu][XV6_SCHED_STACK_SIZE / sizeof(unsigned long)];
    /* RSP = top - 8 when scheduler() starts: as after a call. */
    struct context *ctx = (struct context *)(top - 8 - sizeof(struct context));
    memset(ctx, 0, sizeof *ctx);
    ctx->rbp = 0; /* the outermost frame */
    ctx->rip = (unsigned long)scheduler;
    return ctx;
}

/* sched: hand this CPU to its scheduler thread (xv6: sched()).
 *
 * Called from __schedule() instead of picking a task: rq locked, interrupts
 * off, preempt_count 2, prev = current, already off the run queue if it
 * sleeps or dies. Returns when a scheduler thread, on whatever CPU, switches
 * back to prev: with the task that CPU's scheduler switched from (switch_to's
 * `last`), or with prev itself if the scheduler found nothing else to run and
 * came straight back. */
struct task_struct *__sched sched(struct rq *rq, struct task_struct *prev, int reason, unsigned long *switch_count)
{
    struct xv6_cpu *c = &xv6_cpus[rq->cpu];
    if (prev != current) panic("sched: prev (%s) is not current (%s)", prev->comm, current->comm);
    if (!c->scheduler) c->scheduler = scheduler_first_context(rq->cpu);
    c->prev = prev;
    c->reason = reason;
    c->switch_count = switch_count;
    struct task_struct *last = swtch((struct context **)&prev->thread.sp, c->scheduler, NULL);
    /* Something after the call, so gcc does not make it a tail jump: the
     * saved context.rip must be here, in sched(), as in xv6. */
    barrier();
    return last;
}

/* scheduler: the loop of a CPU's scheduler thread (xv6: scheduler()).
 *
 * Entered from sched() through swtch(), each time: rq locked, interrupts
 * off, xv6_cpus[cpu].prev = the task that gave up the CPU. Picks next (prev
 * again if nothing else is runnable), switches the address space and
 * __switch_to() the per-task CPU state (current, TSS.RSP0, FS/GS bases, the
 * FPU), gives the stack protector next's canary and swtch()es to next, which
 * returns from its own swtch() in sched(), or starts in ret_from_fork.
 * Not stack-protected: it changes the canary, and never returns. */
__no_stack_protector __noreturn void __sched scheduler(void)
{
    const int cpu = smp_processor_id();
    struct xv6_cpu *c = &xv6_cpus[cpu];
    struct rq *rq = cpu_rq(cpu);
    for (;;) {
        struct task_struct *prev = c->prev;
        struct task_struct *next = sched_pick_next(rq, prev, c->reason, c->switch_count);
        if (next != prev) {
            context_switch_mm(rq, prev, next);
            __switch_to(prev, next);
            this_cpu()->stack_canary = next->stack_canary;
        }
        swtch(&c->scheduler, (struct context *)next->thread.sp, prev);
        /* Back here when the next task on this CPU calls sched(). */
    }
}
