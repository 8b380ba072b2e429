/* Creating tasks (Linux: kernel/fork.c): fork, clone (threads), kernel
 * threads, and the idle tasks of the other CPUs. */
#include "fpu.h"
#include "kernel.h"
#include "mm.h"
#include "printk.h"
#include "sched.h"
#include "switch_to.h"
#include "uapi/switchyard.h"

/* pid 0 on CPU 0: the boot path runs as this task, which then becomes CPU
 * 0's idle task. Its stack is init_stack (kernel.ld). */
struct task_struct init_task = {
    .state = TASK_RUNNING,
    .stack = init_stack,
    .usage = 2,
    .flags = PF_KTHREAD,
    .on_cpu = 1,
    .cpus_mask = 1,
    .active_mm = &init_mm,
    .children = LIST_HEAD_INIT(init_task.children),
    .sibling = LIST_HEAD_INIT(init_task.sibling),
    .tasks = LIST_HEAD_INIT(task_list),
    .run_list = LIST_HEAD_INIT(init_task.run_list),
    .pi_lock = SPINLOCK_INIT("init_task.pi_lock"),
    .wait_chldexit = WAIT_QUEUE_HEAD_INIT(init_task.wait_chldexit),
    .comm = "swapper/0",
    .thread = {.fpu = {.last_cpu = -1}},
};
struct list_head task_list = {&init_task.tasks, &init_task.tasks};
DEFINE_SPINLOCK(tasklist_lock);
static int last_pid;

void task_set_comm(struct task_struct *t, const char *name)
{
    strncpy(t->comm, name, sizeof t->comm - 1);
    t->comm[sizeof t->comm - 1] = 0;
}

struct task_struct *find_task_by_pid(int pid)
{
    struct task_struct *t;
    list_for_each_entry(t, &task_list, tasks) if (t->pid == pid && !is_idle_task(t)) return t;
    return NULL;
}

/* task_structs are one page each; freed when the last reference goes (the
 * task's own, dropped after its final switch, and its parent's, dropped when
 * it is reaped). */
void put_task_struct(struct task_struct *t)
{
    if (__atomic_sub_fetch(&t->usage, 1, __ATOMIC_SEQ_CST) == 0) {
        if (t->stack) panic("put_task_struct: \"%s\" still has its stack", t->comm);
        free_page(t);
    }
}

void put_task_stack(struct task_struct *t)
{
    if (t->stack) {
        free_thread_stack(t->stack);
        t->stack = NULL;
    }
}

/* A task_struct with a fresh kernel stack and the fields every task needs. */
static struct task_struct *alloc_task(const char *name)
{
    _Static_assert(sizeof(struct task_struct) <= PAGE_SIZE, "task_struct must fit a page");
    struct task_struct *p = alloc_page();
    p->stack = alloc_thread_stack();
    p->usage = 2;
    p->state = TASK_RUNNING;
    p->stack_canary = (unsigned long)get_random_long();
    p->cpus_mask = ~0UL;
    p->time_slice = SCHED_SLICE_TICKS;
    p->cpu = smp_processor_id();
    p->thread_info.flags = 1UL << TIF_NEED_FPU_LOAD; /* its registers are nowhere yet */
    INIT_LIST_HEAD(&p->children);
    INIT_LIST_HEAD(&p->sibling);
    INIT_LIST_HEAD(&p->tasks);
    INIT_LIST_HEAD(&p->run_list);
    spin_lock_init(&p->pi_lock, "task->pi_lock");
    init_waitqueue_head(&p->wait_chldexit, "task->wait_chldexit");
    task_set_comm(p, name);
    fpstate_init(&p->thread.fpu);
    return p;
}



/* kernel_clone: fork(2), clone(2) and kernel threads. Returns the new pid. */
long kernel_clone(struct kernel_clone_args *args)
{
    struct task_struct *parent = current;
    struct task_struct *p = alloc_task(args->name ? args->name : parent->comm);
    p->cpus_mask = args->cpus_mask ? args->cpus_mask : args->fn ? ~0UL : parent->cpus_mask;
    if (args->fn) {
        p->flags = PF_KTHREAD;
    } else if (args->flags & CLONE_VM) {
        p->mm = parent->mm; /* a thread: the same address space */
        __atomic_fetch_add(&p->mm->mm_users, 1, __ATOMIC_SEQ_CST);
        p->active_mm = p->mm;
        fpu_clone(p);
    } else {
        p->mm = dup_mm(parent->mm);
        p->active_mm = p->mm;
        fpu_clone(p);
    }
    copy_thread(p, args);
    p->autoreap = args->autoreap;

    unsigned long flags = spin_lock_irqsave(&tasklist_lock);
    p->pid = ++last_pid;
    p->parent = parent;
    list_add_tail(&p->sibling, &parent->children);
    list_add_tail(&p->tasks, &task_list);
    spin_unlock_irqrestore(&tasklist_lock, flags);

    int pid = p->pid;
    wake_up_new_task(p);
    return pid;
}

/* Starts fn(arg) as a kernel thread; it exits when fn returns. */
int kernel_thread(int (*fn)(void *), void *arg, const char *name, unsigned long cpus_mask)
{
    struct kernel_clone_args args = {.fn = fn, .fn_arg = arg, .name = name, .cpus_mask = cpus_mask};
    return (int)kernel_clone(&args);
}

/* A kernel thread's function returned (ret_from_fork): if it exec'd a user
 * program, return to let ret_from_fork enter user mode; otherwise exit. */
void kthread_returned(long ret)
{
    if (!current->mm) do_exit(((int)ret & 0xff) << 8);
}

/* The idle task of another CPU, created on the boot CPU. */
struct task_struct *fork_idle(int cpu)
{
    struct task_struct *idle = alloc_task("swapper");
    idle->active_mm = &init_mm;
    mmgrab(&init_mm);
    init_idle(idle, cpu);
    unsigned long flags = spin_lock_irqsave(&tasklist_lock);
    idle->parent = &init_task;
    list_add_tail(&idle->tasks, &task_list);
    spin_unlock_irqrestore(&tasklist_lock, flags);
    return idle;
}
