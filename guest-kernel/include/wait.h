/* Wait queues: a list of tasks sleeping until some condition holds. The
 * sleeper sets its state before testing the condition and the waker changes the
 * condition before waking, so a wake-up between the test and schedule() is not
 * lost: it sets the sleeper back to TASK_RUNNING and schedule() returns. */
#ifndef _WAIT_H
#define _WAIT_H
#include "list.h"
#include "spinlock.h"

struct task_struct;

struct wait_queue_head {
    spinlock_t lock;
    struct list_head head;
};
struct wait_queue_entry {
    struct task_struct *task;
    struct list_head entry;
};

#define WAIT_QUEUE_HEAD_INIT(name) { SPINLOCK_INIT(#name), LIST_HEAD_INIT((name).head) }
#define DECLARE_WAIT_QUEUE_HEAD(name) struct wait_queue_head name = WAIT_QUEUE_HEAD_INIT(name)
void init_waitqueue_head(struct wait_queue_head *wq, const char *name);
void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *w, long state);
void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *w);
void wake_up(struct wait_queue_head *wq); /* every sleeper */

/* Sleeps in TASK_INTERRUPTIBLE until cond is true. `why` names the wait in
 * the switch trace and `ps`. */
#define wait_event(wq, cond, why)                               \
    do {                                                        \
        struct wait_queue_entry __w = {NULL, {NULL, NULL}};                            \
        for (;;) {                                              \
            prepare_to_wait(&(wq), &__w, TASK_INTERRUPTIBLE);   \
            if (cond) break;                                    \
            current->blocked_on = (why);                        \
            schedule();                                         \
        }                                                       \
        finish_wait(&(wq), &__w);                               \
    } while (0)

#endif
