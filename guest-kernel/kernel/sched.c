/* The scheduler (Linux: kernel/sched/core.c, reduced to round robin).
 *
 * Each CPU has a run queue: the task it runs (curr), the runnable tasks in
 * the order they will run, and its idle task. A task leaves its CPU only in
 * __schedule(), which every path below ends in:
 *
 *   voluntary    it sleeps (nanosleep, wait4, a read with no input), yields,
 *                or exits: schedule(), do_sched_yield(), do_task_dead()
 *   involuntary  the timer tick used up its time slice and set
 *                TIF_NEED_RESCHED, which is acted on
 *                  - on the way back to user mode (exit_to_user_mode_prepare),
 *                  - with kernel preemption on, on the way back from an
 *                    interrupt to preemptible kernel code (preempt_schedule_irq).
 *
 * __schedule() -> context_switch() -> switch_to() -> __switch_to_asm ->
 * __switch_to -> `ret` into the next task. A wake-up (try_to_wake_up) puts a
 * task on the least busy CPU it may use, which may not be the one it slept
 * on, and an idle CPU pulls runnable tasks from busy ones (idle_balance), so
 * tasks migrate. */
#include "apic.h"
#include "fpu.h"
#include "mm.h"
#include "printk.h"
#include "sched.h"
#include "sched_xv6.h"
#include "switch_model.h"
#include "switch_to.h"
#include "switch_to_linux26.h"
#include "uapi/switchyard.h"

struct rq runqueues[NR_CPUS];
int sched_preempt_enabled = 1;
bool sched_rsb_fill;
unsigned long cpu_online_mask = 1;



void sched_init(void)
{
    for (int cpu = 0; cpu < NR_CPUS; ++cpu) {
        struct rq *rq = cpu_rq(cpu);
        spin_lock_init(&rq->lock, "rq->lock");
        INIT_LIST_HEAD(&rq->queue);
        rq->cpu = cpu;
    }
    init_idle(&init_task, 0);
}

/* `idle` becomes cpu's idle task and what it runs now. */
void init_idle(struct task_struct *idle, int cpu)
{
    struct rq *rq = cpu_rq(cpu);
    idle->state = TASK_RUNNING;
    idle->flags |= PF_IDLE | PF_KTHREAD;
    idle->cpu = cpu;
    idle->on_cpu = 1;
    idle->cpus_mask = 1UL << cpu;
    snprintf(idle->comm, sizeof idle->comm, "swapper/%d", cpu);
    rq->curr = rq->idle = idle;
    cpu_data[cpu].idle = idle;
}

bool task_curr(const struct task_struct *p) { return cpu_rq(p->cpu)->curr == p; }
static bool cpu_allowed(const struct task_struct *p, int cpu) { return (p->cpus_mask >> cpu) & 1; }

static void activate_task(struct rq *rq, struct task_struct *p)
{
    list_add_tail(&p->run_list, &rq->queue);
    p->on_rq = 1;
    rq->nr_running++;
}

/* Takes p off rq: p is either rq->curr (going to sleep) or queued. */
static void deactivate_task(struct rq *rq, struct task_struct *p)
{
    if (rq->curr != p) list_del_init(&p->run_list);
    p->on_rq = 0;
    rq->nr_running--;
}

/* Asks rq's CPU to reschedule: TIF_NEED_RESCHED on what it runs, and an IPI
 * if that is another CPU (it may be halted in its idle loop). rq is locked. */
void resched_curr(struct rq *rq)
{
    struct task_struct *curr = rq->curr;
    if (test_tsk_thread_flag(curr, TIF_NEED_RESCHED)) return;
    set_tsk_thread_flag(curr, TIF_NEED_RESCHED);
    if (rq->cpu != smp_processor_id()) smp_send_reschedule(rq->cpu);
}

/* Round robin: prev (if still runnable) goes to the back of the queue, the
 * front runs; with nothing queued, the idle task. */
static struct task_struct *pick_next_task(struct rq *rq, struct task_struct *prev)
{
    if (prev->on_rq && !is_idle_task(prev)) list_add_tail(&prev->run_list, &rq->queue);
    if (list_empty(&rq->queue)) return rq->idle;
    struct task_struct *next = list_first_entry(&rq->queue, struct task_struct, run_list);
    list_del_init(&next->run_list);
    return next;
}

/* The address-space half of context_switch(); also the scheduler thread's
 * under switch=xv6 (xv6: switchuvm in scheduler()). */
__attribute__((always_inline)) inline void context_switch_mm(struct rq *rq, struct task_struct *prev,
                                                             struct task_struct *next)
{
    if (!next->mm) {
        /* To a kernel thread: no address space of its own, so it borrows
         * prev's (lazy TLB: CR3 stays, no TLB flush), taking a reference. */
        next->active_mm = prev->active_mm;
        if (prev->mm) mmgrab(prev->active_mm);
        else prev->active_mm = NULL; /* kernel -> kernel: hand the reference over */
    } else {
        switch_mm_irqs_off(prev->active_mm, next->mm, next); /* writes CR3 if it changes */
        if (!prev->mm) {
            /* From a kernel thread: drop its borrowed mm after the switch. */
            rq->prev_mm = prev->active_mm;
            prev->active_mm = NULL;
        }
    }
}

/* context_switch: switch to next's address space, then to its registers and
 * stack. Runs with rq locked and interrupts off, and returns - as prev - when
 * some CPU switches back to prev. (Linux: the same function, same order.)
 * The stack switch is the boot-time model's (switch_model.h); switch=xv6 does
 * not come here: its scheduler thread switches. */
static __attribute__((always_inline)) inline void context_switch(struct rq *rq, struct task_struct *prev,
                                                                 struct task_struct *next)
{
    context_switch_mm(rq, prev, next);
    if (switch_model == SWITCH_LINUX26)
        switch_to_linux26(prev, next, prev);
    else if (switch_model == SWITCH_SOLARIS)
        prev = prev->state == TASK_DEAD ? resume_from_zombie(prev, next) : resume(prev, next);
    else
        switch_to(prev, next, prev);
    barrier();
    /* Here runs prev again, on whatever CPU switched back to it; "prev" now
     * names the task that CPU ran before it (switch_to's `last`). */
    finish_task_switch(prev);
}

/* The switch is over: this CPU runs the new task, on its stack. Releases the
 * run queue lock taken in __schedule() (by the task that switched away, maybe
 * long ago), then cleans up after prev: the mm a kernel thread borrowed, a
 * task that moves to another CPU, and the stack and task_struct reference of a
 * task that died - only now, because until __switch_to_asm changed stacks this
 * CPU was running on that stack. Returns prev. */
struct task_struct *finish_task_switch(struct task_struct *prev)
{
    struct rq *rq = this_rq();
    struct mm_struct *mm = rq->prev_mm;
    long prev_state = prev->state;
    bool migrate = prev->migrate_pending;

    if (preempt_count() != 2)
        panic("finish_task_switch: preempt_count %d (expected 2: schedule() and rq->lock)", preempt_count());
    rq->prev_mm = NULL;
    __atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
    __spin_unlock(&rq->lock);
    preempt_enable_no_resched();
    local_irq_enable();

    if (mm) mmdrop(mm);
    if (migrate) {
        /* prev is off every run queue and off this CPU: start it elsewhere. */
        prev->migrate_pending = 0;
        wake_up_process_migrated(prev);
    }
    if (prev_state == TASK_DEAD) {
        put_task_stack(prev);
        put_task_struct(prev);
    }
    return prev;
}

/* The first thing a new task does (from ret_from_fork). */
void schedule_tail(struct task_struct *prev)
{
    finish_task_switch(prev);
    preempt_enable();
}

/* The pick and its bookkeeping, with rq locked: next becomes rq->curr (it may
 * be prev again: then nothing switches). */
__attribute__((always_inline)) inline struct task_struct *sched_pick_next(struct rq *rq, struct task_struct *prev,
                                                                          int reason, unsigned long *switch_count)
{
    struct task_struct *next = pick_next_task(rq, prev);
    clear_tsk_thread_flag(prev, TIF_NEED_RESCHED);
    if (likely(prev != next)) {
        rq->nr_switches++;
        rq->curr = next;
        ++*switch_count;
        next->on_cpu = 1;
        next->cpu = rq->cpu;
        next->last_ran_jiffies = jiffies;
        trace_sched_switch(prev, next, reason);
    }
    return next;
}

/* __schedule: pick the next task for this CPU and switch to it.
 * Called with preemption disabled (preempt_count 1). prev is current; if its
 * state is not TASK_RUNNING and this is not a preemption, it is going to
 * sleep (or to die) and leaves the run queue. */
void __sched __schedule(enum sched_mode mode)
{
    struct task_struct *prev, *next;
    unsigned long *switch_count;
    int reason;

    local_irq_disable();
    int cpu = smp_processor_id();
    struct rq *rq = cpu_rq(cpu);
    prev = rq->curr;
    if (prev != current) panic("__schedule: rq->curr (%s) is not current (%s)", prev->comm, current->comm);
    if (prev->stack && task_stack_end_corrupted(prev->stack))
        panic("corrupted stack end detected inside scheduler (task \"%s\")", prev->comm);
    if (preempt_count() != 1) panic("__schedule: called with preempt_count %d (%s)", preempt_count(), prev->comm);
    preempt_disable();
    __spin_lock(&rq->lock);

    switch_count = &prev->nivcsw;
    reason = SY_SWITCH_PREEMPT;
    if (mode != SM_PREEMPT && prev->state != TASK_RUNNING) {
        reason = prev->state == TASK_DEAD ? SY_SWITCH_EXIT : SY_SWITCH_SLEEP;
        deactivate_task(rq, prev);
        switch_count = &prev->nvcsw;
    } else if (mode == SM_YIELD) {
        reason = SY_SWITCH_YIELD;
        switch_count = &prev->nvcsw;
    }
    if (is_idle_task(prev)) reason = SY_SWITCH_IDLE;
    if (prev->on_rq && !is_idle_task(prev) && !cpu_allowed(prev, cpu)) {
        /* sched_setaffinity() moved it away from this CPU. */
        deactivate_task(rq, prev);
        prev->migrate_pending = 1;
        reason = SY_SWITCH_MIGRATE;
    }

    if (switch_model == SWITCH_XV6) {
        /* The scheduler thread picks and switches; back here when it resumes prev. */
        struct task_struct *last = sched(rq, prev, reason, switch_count);
        if (last != prev) {
            finish_task_switch(last);
            return;
        }
    } else {
        next = sched_pick_next(rq, prev, reason, switch_count);
        if (likely(prev != next)) {
            context_switch(rq, prev, next);
            return;
        }
    }
    __spin_unlock(&rq->lock);
    preempt_enable_no_resched();
    local_irq_enable();
}


/* schedule: give up the CPU. Sleeps if the caller set a sleeping state. */
void __sched schedule(void)
{
    do {
        preempt_disable();
        __schedule(SM_NONE);
        preempt_enable_no_resched();
    } while (need_resched());
}

/* sched_yield(2): to the back of the run queue; a voluntary switch. */
void __sched do_sched_yield(void)
{
    preempt_disable();
    __schedule(SM_YIELD);
    preempt_enable_no_resched();
}

/* Kernel preemption from the interrupt return path (interrupts off). */
void __sched preempt_schedule_irq(void)
{
    this_cpu()->nr_preempt_irq++;
    do {
        preempt_disable();
        local_irq_enable();
        __schedule(SM_PREEMPT);
        local_irq_disable();
        preempt_enable_no_resched();
    } while (need_resched());
}

static void __sched preempt_schedule(void)
{
    do {
        preempt_disable();
        __schedule(SM_PREEMPT);
        preempt_enable_no_resched();
    } while (need_resched());
}

/* A voluntary preemption point for long kernel loops (Linux: cond_resched):
 * gives way if the tick asked for it, even with kernel preemption off. */
void __sched cond_resched(void)
{
    if (preempt_count() == 0 && !irqs_disabled() && need_resched()) preempt_schedule();
}

void preempt_check_resched(void)
{
    if (sched_preempt_enabled && preempt_count() == 0 && !irqs_disabled() && !in_interrupt() && need_resched())
        preempt_schedule();
}

void preempt_enable(void)
{
    preempt_enable_no_resched();
    preempt_check_resched();
}

/* The end of do_exit(): state TASK_DEAD, one last switch away. */
__noreturn void __sched do_task_dead(void)
{
    preempt_disable();
    current->state = TASK_DEAD;
    __schedule(SM_NONE);
    panic("dead task \"%s\" (pid %d) was scheduled again", current->comm, current->pid);
}

/* The least busy CPU p may run on; p's own CPU on a tie. */
static int select_task_rq(struct task_struct *p)
{
    unsigned long allowed = p->cpus_mask & READ_ONCE(cpu_online_mask);
    if (!allowed) panic("task \"%s\" (pid %d) may run on no online CPU", p->comm, p->pid);
    int best = -1;
    unsigned int best_load = ~0u;
    if (cpu_allowed(p, p->cpu) && ((allowed >> p->cpu) & 1)) {
        best = p->cpu;
        best_load = READ_ONCE(cpu_rq(best)->nr_running);
    }
    for (int cpu = 0; cpu < nr_cpu_ids; ++cpu) {
        if (!((allowed >> cpu) & 1)) continue;
        unsigned int load = READ_ONCE(cpu_rq(cpu)->nr_running);
        if (load < best_load) {
            best = cpu;
            best_load = load;
        }
    }
    return best;
}

/* Queues p (off every run queue, not on any CPU) on cpu and wakes that CPU if
 * it is idle. p->pi_lock is held or p is not visible to wakers. */
static void ttwu_queue(struct task_struct *p, int cpu)
{
    struct rq *rq = cpu_rq(cpu);
    __spin_lock(&rq->lock);
    if (p->cpu != cpu) {
        p->cpu = cpu;
        p->nr_migrations++;
    }
    p->state = TASK_RUNNING;
    activate_task(rq, p);
    if (is_idle_task(rq->curr)) resched_curr(rq);
    __spin_unlock(&rq->lock);
}

/* The run queue p is on, locked (p->cpu can change until we hold it). */
static struct rq *task_rq_lock(struct task_struct *p)
{
    for (;;) {
        struct rq *rq = cpu_rq(READ_ONCE(p->cpu));
        __spin_lock(&rq->lock);
        if (rq == cpu_rq(p->cpu)) return rq;
        __spin_unlock(&rq->lock);
    }
}

/* try_to_wake_up: if p sleeps in one of `state`, make it runnable. Returns
 * whether it did. Safe against p being in the middle of going to sleep: if it
 * has set its state but not yet left its run queue, setting TASK_RUNNING is
 * enough (schedule() will then not dequeue it); once it has left, the rq lock
 * we take cannot be free before its switch away is over, so it is off its CPU. */
int try_to_wake_up(struct task_struct *p, unsigned int state)
{
    unsigned long flags = spin_lock_irqsave(&p->pi_lock);
    int success = 0;
    if (!(READ_ONCE(p->state) & state)) goto out;
    success = 1;
    struct rq *rq = task_rq_lock(p);
    if (p->on_rq) {
        p->state = TASK_RUNNING; /* still queued: it has not slept yet */
        __spin_unlock(&rq->lock);
        goto out;
    }
    if (p->on_cpu) panic("try_to_wake_up: \"%s\" is off its run queue but still on cpu%d", p->comm, p->cpu);
    __spin_unlock(&rq->lock);
    ttwu_queue(p, select_task_rq(p));
out:
    spin_unlock_irqrestore(&p->pi_lock, flags);
    return success;
}

int wake_up_process(struct task_struct *p) { return try_to_wake_up(p, TASK_NORMAL); }

/* A task that left its CPU because of its affinity mask (see __schedule). */
void wake_up_process_migrated(struct task_struct *p)
{
    unsigned long flags = spin_lock_irqsave(&p->pi_lock);
    ttwu_queue(p, select_task_rq(p));
    spin_unlock_irqrestore(&p->pi_lock, flags);
}

/* The first wake-up of a new task (kernel_clone). */
void wake_up_new_task(struct task_struct *p)
{
    unsigned long flags = spin_lock_irqsave(&p->pi_lock);
    int cpu = select_task_rq(p);
    p->cpu = cpu; /* not a migration: it never ran */
    ttwu_queue(p, cpu);
    spin_unlock_irqrestore(&p->pi_lock, flags);
}

/* The timer tick, on every CPU: count down the running task's time slice. */
void scheduler_tick(void)
{
    struct rq *rq = this_rq();
    __spin_lock(&rq->lock);
    struct task_struct *curr = rq->curr;
    if (!is_idle_task(curr) && --curr->time_slice <= 0) {
        curr->time_slice = SCHED_SLICE_TICKS;
        if (!list_empty(&rq->queue)) resched_curr(rq); /* someone is waiting: preempt */
    }
    __spin_unlock(&rq->lock);
}

/* Takes both run queues' locks in CPU order, so two CPUs balancing against
 * each other cannot deadlock. */
static void double_rq_lock(struct rq *a, struct rq *b)
{
    if (a->cpu < b->cpu) {
        __spin_lock(&a->lock);
        __spin_lock(&b->lock);
    } else {
        __spin_lock(&b->lock);
        __spin_lock(&a->lock);
    }
}

/* An idle CPU pulls one waiting task from a busy CPU (Linux: newidle
 * balancing). Interrupts off. */
static bool idle_balance(struct rq *this_rq)
{
    int this_cpu = this_rq->cpu;
    for (int cpu = 0; cpu < nr_cpu_ids; ++cpu) {
        struct rq *src = cpu_rq(cpu);
        if (cpu == this_cpu || READ_ONCE(src->nr_running) < 2) continue;
        bool moved = false;
        preempt_disable();
        double_rq_lock(this_rq, src);
        struct task_struct *p;
        list_for_each_entry(p, &src->queue, run_list) {
            if (p->on_cpu || !cpu_allowed(p, this_cpu)) continue;
            deactivate_task(src, p);
            p->cpu = this_cpu;
            p->nr_migrations++;
            activate_task(this_rq, p);
            resched_curr(this_rq);
            moved = true;
            break;
        }
        __spin_unlock(&src->lock);
        __spin_unlock(&this_rq->lock);
        preempt_enable_no_resched();
        if (moved) return true;
    }
    return false;
}

/* The idle loop (Linux: do_idle): halt until an interrupt; reschedule when a
 * task has been woken onto this CPU or pulled here. */
__noreturn void cpu_startup_entry(void)
{
    for (;;) {
        while (!need_resched()) {
            local_irq_disable();
            if (idle_balance(this_rq()) || need_resched()) {
                local_irq_enable();
                break;
            }
            safe_halt(); /* sti; hlt: returns after the next interrupt */
        }
        schedule();
    }
}

/* sched_setaffinity(2): the CPUs p may run on. If p runs on a CPU it may no
 * longer use, it moves at its next pass through __schedule(), which is now if
 * p is the caller. */
int sched_setaffinity(struct task_struct *p, unsigned long mask)
{
    mask &= READ_ONCE(cpu_online_mask);
    if (!mask) return -EINVAL;
    if (is_idle_task(p)) return -EINVAL;
    unsigned long flags = spin_lock_irqsave(&p->pi_lock);
    struct rq *rq = task_rq_lock(p);
    p->cpus_mask = mask;
    bool self = false;
    if (!cpu_allowed(p, p->cpu)) {
        if (task_curr(p)) {
            resched_curr(rq);
            self = p == current;
        } else if (p->on_rq) {
            deactivate_task(rq, p);
            __spin_unlock(&rq->lock);
            ttwu_queue(p, select_task_rq(p));
            spin_unlock_irqrestore(&p->pi_lock, flags);
            return 0;
        }
    }
    __spin_unlock(&rq->lock);
    spin_unlock_irqrestore(&p->pi_lock, flags);
    if (self) schedule();
    return 0;
}

/* ---- The switch trace (like ftrace's sched_switch event) ---- */
#define TRACE_EVENTS 512
static struct sy_switch_event trace_buf[TRACE_EVENTS];
static unsigned long trace_seq, trace_first;
static bool trace_on;
static DEFINE_SPINLOCK(trace_lock);

/* Called from __schedule() with rq->lock held and interrupts off. */
void trace_sched_switch(struct task_struct *prev, struct task_struct *next, int reason)
{
    if (!READ_ONCE(trace_on)) return;
    __spin_lock(&trace_lock);
    struct sy_switch_event *e = &trace_buf[trace_seq % TRACE_EVENTS];
    e->seq = trace_seq++;
    e->jiffies = jiffies;
    e->cpu = smp_processor_id();
    e->reason = reason;
    e->prev_pid = prev->pid;
    e->next_pid = next->pid;
    memcpy(e->prev_comm, prev->comm, sizeof e->prev_comm);
    memcpy(e->next_comm, next->comm, sizeof e->next_comm);
    memset(e->why, 0, sizeof e->why);
    if (reason == SY_SWITCH_SLEEP && prev->blocked_on) strncpy(e->why, prev->blocked_on, sizeof e->why - 1);
    __spin_unlock(&trace_lock);
}

/* sy_trace(op, buf, max) */
long sched_trace_ctl(int op, struct sy_switch_event *ubuf, int max)
{
    unsigned long flags = spin_lock_irqsave(&trace_lock);
    long ret = 0;
    if (op == SY_TRACE_START) {
        trace_first = trace_seq;
        trace_on = true;
    } else if (op == SY_TRACE_STOP) {
        trace_on = false;
    } else if (op == SY_TRACE_READ) {
        /* Oldest first; the ring keeps the last TRACE_EVENTS. The user buffer
         * was checked page by page, so copying under the lock cannot fault. */
        unsigned long first = trace_first;
        if (trace_seq - first > TRACE_EVENTS) first = trace_seq - TRACE_EVENTS;
        unsigned long n = trace_seq - first;
        if (max < 0) max = 0;
        if (n > (unsigned long)max) n = (unsigned long)max;
        for (unsigned long k = 0; k < n && ret == 0; ++k)
            if (copy_to_user(&ubuf[k], &trace_buf[(first + k) % TRACE_EVENTS], sizeof *ubuf)) ret = -EFAULT;
        if (ret == 0) ret = (long)n;
    } else {
        ret = -EINVAL;
    }
    spin_unlock_irqrestore(&trace_lock, flags);
    return ret;
}
