/* Wait queues (wait.h). */
#include "sched.h"
#include "wait.h"

void init_waitqueue_head(struct wait_queue_head *wq, const char *name)
{
    spin_lock_init(&wq->lock, name);
    INIT_LIST_HEAD(&wq->head);
}

void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *w, long state)
{
    unsigned long flags = spin_lock_irqsave(&wq->lock);
    w->task = current;
    if (!w->entry.next || list_empty(&w->entry)) list_add_tail(&w->entry, &wq->head);
    current->state = state;
    spin_unlock_irqrestore(&wq->lock, flags);
}

void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *w)
{
    current->state = TASK_RUNNING;
    unsigned long flags = spin_lock_irqsave(&wq->lock);
    if (w->entry.next && !list_empty(&w->entry)) list_del_init(&w->entry);
    spin_unlock_irqrestore(&wq->lock, flags);
}

void wake_up(struct wait_queue_head *wq)
{
    unsigned long flags = spin_lock_irqsave(&wq->lock);
    struct wait_queue_entry *w;
    list_for_each_entry(w, &wq->head, entry) try_to_wake_up(w->task, TASK_NORMAL);
    spin_unlock_irqrestore(&wq->lock, flags);
}
