/* Time: jiffies, the tick, and sleeping (Linux: kernel/time/timer.c, tick).
 * Every CPU's local APIC timer interrupts HZ times a second; CPU 0's tick also
 * advances jiffies and fires the expired timers (Linux's tick_do_timer_cpu). */
#include "printk.h"
#include "sched.h"

volatile unsigned long jiffies;

struct timer_list {
    unsigned long expires;
    struct task_struct *task;
    struct list_head entry;
    bool pending;
};

static LIST_HEAD(timers); /* sorted by expires */
static DEFINE_SPINLOCK(timer_lock);

static void add_timer(struct timer_list *t)
{
    unsigned long flags = spin_lock_irqsave(&timer_lock);
    struct timer_list *pos;
    list_for_each_entry(pos, &timers, entry) if ((long)(pos->expires - t->expires) > 0) break;
    __list_add(&t->entry, pos->entry.prev, &pos->entry);
    t->pending = true;
    spin_unlock_irqrestore(&timer_lock, flags);
}

static void del_timer(struct timer_list *t)
{
    unsigned long flags = spin_lock_irqsave(&timer_lock);
    if (t->pending) list_del_init(&t->entry);
    t->pending = false;
    spin_unlock_irqrestore(&timer_lock, flags);
}

/* CPU 0, every tick, in the interrupt handler. */
void time_tick(void)
{
    jiffies++;
    __spin_lock(&timer_lock);
    while (!list_empty(&timers)) {
        struct timer_list *t = list_first_entry(&timers, struct timer_list, entry);
        if ((long)(jiffies - t->expires) < 0) break;
        list_del_init(&t->entry);
        t->pending = false;
        wake_up_process(t->task);
    }
    __spin_unlock(&timer_lock);
}

void timer_interrupt(void)
{
    this_cpu()->nr_timer_ticks++;
    if (smp_processor_id() == 0) time_tick();
    scheduler_tick();
}

/* Sleeps for up to `ticks` ticks; the caller has set TASK_INTERRUPTIBLE or
 * TASK_UNINTERRUPTIBLE. Returns the ticks left (0: the timer fired). The timer
 * lives on this stack, which is fine: we do not return before removing it. */
long schedule_timeout(long ticks)
{
    struct timer_list t = {.expires = jiffies + (unsigned long)ticks, .task = current};
    INIT_LIST_HEAD(&t.entry);
    add_timer(&t);
    schedule();
    del_timer(&t);
    long left = (long)(t.expires - jiffies);
    return left > 0 ? left : 0;
}

/* Sleeps at least ms milliseconds, rounded up to whole ticks. */
void msleep(unsigned int ms)
{
    unsigned long ticks = ((unsigned long)ms * HZ + 999) / 1000;
    unsigned long until = jiffies + ticks;
    while ((long)(until - jiffies) > 0) {
        current->state = TASK_INTERRUPTIBLE;
        current->blocked_on = "nanosleep";
        schedule_timeout((long)(until - jiffies));
    }
    current->state = TASK_RUNNING;
}
