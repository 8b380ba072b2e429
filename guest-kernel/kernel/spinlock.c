/* Spinlocks (spinlock.h). */
#include "printk.h"
#include "sched.h"
#include "spinlock.h"

void __spin_lock(spinlock_t *l)
{
    int cpu = smp_processor_id();
    if (unlikely(l->owner_cpu == cpu && l->locked)) panic("spinlock %s: taken twice on cpu%d", l->name, cpu);
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (READ_ONCE(l->locked)) cpu_relax();
    l->owner_cpu = cpu;
}

void __spin_unlock(spinlock_t *l)
{
    if (unlikely(!l->locked)) panic("spinlock %s: released while free", l->name);
    l->owner_cpu = -1;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
    __spin_unlock(l);
    preempt_enable_no_resched();
    local_irq_restore(flags);
    /* A wake-up done under the lock may have asked this CPU to reschedule. */
    if (flags & X86_EFLAGS_IF) preempt_check_resched();
}
