/* Ending tasks (Linux: kernel/exit.c): exit, zombies, wait4. */
#include "kernel.h"
#include "mm.h"
#include "printk.h"
#include "sched.h"
#include "uapi/switchyard.h"

/* Unlinks a dead task and drops its parent's reference. tasklist_lock held. */
static void release_task(struct task_struct *p)
{
    list_del_init(&p->sibling);
    list_del_init(&p->tasks);
    p->exit_state = EXIT_DEAD;
    put_task_struct(p);
}

/* The user address space goes; what stays in CR3 until the switch away is
 * only borrowed (active_mm), like a kernel thread's. */
static void exit_mm(struct task_struct *tsk)
{
    struct mm_struct *mm = tsk->mm;
    if (!mm) return;
    mmgrab(mm); /* for active_mm, dropped by finish_task_switch() */
    unsigned long flags = local_irq_save();
    tsk->mm = NULL;
    local_irq_restore(flags);
    mmput(mm);
}

/* The reaper for an exiting task's children: init (pid 1), or, when init
 * itself is the one exiting, nobody (pid 0 releases them). */
static struct task_struct *find_child_reaper(struct task_struct *father)
{
    struct task_struct *init = find_task_by_pid(1);
    return init && init != father ? init : &init_task;
}

static void exit_notify(struct task_struct *tsk, int code)
{
    unsigned long flags = spin_lock_irqsave(&tasklist_lock);
    tsk->exit_code = code;
    struct task_struct *reaper = find_child_reaper(tsk), *c, *n;
    list_for_each_entry_safe(c, n, &tsk->children, sibling) {
        c->parent = reaper;
        list_del_init(&c->sibling);
        if (reaper == &init_task && c->exit_state == EXIT_ZOMBIE) {
            release_task(c);
            continue;
        }
        if (reaper == &init_task) c->autoreap = 1;
        list_add_tail(&c->sibling, &reaper->children);
        if (c->exit_state == EXIT_ZOMBIE) wake_up(&reaper->wait_chldexit);
    }
    if (tsk->autoreap || tsk->parent == &init_task || is_idle_task(tsk->parent)) {
        release_task(tsk);
    } else {
        tsk->exit_state = EXIT_ZOMBIE;
        wake_up(&tsk->parent->wait_chldexit);
    }
    spin_unlock_irqrestore(&tasklist_lock, flags);
}

/* do_exit: the end of a task. `code` is its wait4 status (exit(n): n << 8;
 * killed by signal s: s). The task becomes a zombie for its parent to reap,
 * then switches away for the last time; its stack is freed by whoever runs
 * next on this CPU (finish_task_switch), never by itself. */
__noreturn void do_exit(int code)
{
    struct task_struct *tsk = current;
    if (in_interrupt()) panic("do_exit in an interrupt handler (task \"%s\")", tsk->comm);
    if (is_idle_task(tsk)) panic("the idle task \"%s\" tried to exit", tsk->comm);
    if (preempt_count()) panic("do_exit with preempt_count %d (task \"%s\")", preempt_count(), tsk->comm);
    if (tsk->pid == 1) {
        printk("init (%s) exited with status %d\n", tsk->comm, WIFEXITED(code) ? WEXITSTATUS(code) : 128 + code);
        machine_power_off(WIFEXITED(code) && WEXITSTATUS(code) == 0 ? EXIT_SUCCESS_CODE : EXIT_FAILURE_CODE);
    }
    tsk->flags |= PF_EXITING;
    exit_mm(tsk);
    exit_notify(tsk, code);
    do_task_dead();
}

/* wait4: reap a zombie child (pid, or any when pid is -1). Sleeps until one
 * exits unless WNOHANG. Returns its pid, 0 (WNOHANG, none yet) or -ECHILD. */
long do_wait(int pid, int *wstatus, int options)
{
    struct task_struct *tsk = current;
    struct wait_queue_entry w = {NULL, {NULL, NULL}};
    long ret;
    for (;;) {
        prepare_to_wait(&tsk->wait_chldexit, &w, TASK_INTERRUPTIBLE);
        unsigned long flags = spin_lock_irqsave(&tasklist_lock);
        bool have = false;
        struct task_struct *c;
        ret = 0;
        list_for_each_entry(c, &tsk->children, sibling) {
            if (pid > 0 && c->pid != pid) continue;
            have = true;
            if (c->exit_state == EXIT_ZOMBIE) {
                ret = c->pid;
                if (wstatus) *wstatus = c->exit_code;
                release_task(c);
                break;
            }
        }
        spin_unlock_irqrestore(&tasklist_lock, flags);
        if (ret) break;
        if (!have) {
            ret = -ECHILD;
            break;
        }
        if (options & WNOHANG) break;
        tsk->blocked_on = "wait4";
        schedule();
    }
    finish_wait(&tsk->wait_chldexit, &w);
    return ret;
}
