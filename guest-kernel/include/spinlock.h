/* Spinlocks. Every lock here is taken with interrupts disabled (an interrupt
 * handler may want the same lock on the same CPU) and with preemption
 * disabled; a lock records its owner CPU so that taking it twice on one CPU is
 * a panic naming the lock instead of a silent hang. */
#ifndef _SPINLOCK_H
#define _SPINLOCK_H
#include "percpu.h"
#include "processor.h"

typedef struct {
    volatile int locked;
    int owner_cpu; /* -1 when free */
    const char *name;
} spinlock_t;

#define SPINLOCK_INIT(n) { 0, -1, n }
#define DEFINE_SPINLOCK(v) spinlock_t v = SPINLOCK_INIT(#v)
static inline void spin_lock_init(spinlock_t *l, const char *name)
{
    l->locked = 0;
    l->owner_cpu = -1;
    l->name = name;
}

void __spin_lock(spinlock_t *l);   /* with interrupts and preemption already off */
void __spin_unlock(spinlock_t *l); /* leaves interrupts and preemption as they are */

/* Returns the caller's RFLAGS, to give back to spin_unlock_irqrestore(). */
static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
    unsigned long flags = local_irq_save();
    preempt_disable();
    __spin_lock(l);
    return flags;
}
void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags);

static inline bool spin_is_locked(const spinlock_t *l) { return READ_ONCE(l->locked) != 0; }
static inline bool spin_held_by_me(const spinlock_t *l) { return l->locked && l->owner_cpu == smp_processor_id(); }

#endif
