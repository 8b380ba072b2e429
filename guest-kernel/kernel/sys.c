/* The system calls and their table (Linux: kernel/sys.c and friends).
 * Arguments arrive as do_syscall_64() took them from pt_regs; user pointers
 * are only touched through copy_from_user/copy_to_user. */
#include "console.h"
#include "kernel.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"
#include "uapi/switchyard.h"

typedef unsigned long ul;

static long sys_read(ul fd, ul ubuf, ul count)
{
    if (fd != 0) return -EBADF;
    char kbuf[256];
    long n = tty_read(kbuf, MIN(count, sizeof kbuf));
    if (n > 0 && copy_to_user((void *)ubuf, kbuf, (size_t)n)) return -EFAULT;
    return n;
}

static long sys_write(ul fd, ul ubuf, ul count)
{
    if (fd != 1 && fd != 2) return -EBADF;
    char kbuf[256];
    ul done = 0;
    while (done < count) {
        size_t n = MIN(count - done, sizeof kbuf);
        if (copy_from_user(kbuf, (const char *)ubuf + done, n)) return done ? (long)done : -EFAULT;
        console_write(kbuf, n);
        done += n;
    }
    return (long)done;
}

static long sys_sched_yield(void)
{
    do_sched_yield();
    return 0;
}

static long sys_nanosleep(ul ureq, ul urem)
{
    struct timespec ts;
    if (copy_from_user(&ts, (const void *)ureq, sizeof ts)) return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -EINVAL;
    unsigned long ms = (unsigned long)ts.tv_sec * 1000 + ((unsigned long)ts.tv_nsec + 999999) / 1000000;
    if (ms) msleep((unsigned int)MIN(ms, 0x7fffffffUL));
    return 0;
}

static long sys_getpid(void) { return current->pid; }

static long sys_getppid(void)
{
    unsigned long flags = spin_lock_irqsave(&tasklist_lock);
    long pid = current->parent ? current->parent->pid : 0;
    spin_unlock_irqrestore(&tasklist_lock, flags);
    return pid;
}

static long sys_fork(void)
{
    struct kernel_clone_args args = {0};
    return kernel_clone(&args);
}

/* clone(flags, newsp, parent_tid, child_tid, tls): CLONE_VM threads with their
 * own stack and TLS; other flags are not supported. */
static long sys_clone(ul flags, ul newsp, ul ptid, ul ctid, ul tls)
{
    if (flags & ~(ul)(CLONE_VM | CLONE_SETTLS | 0xff)) return -EINVAL;
    if ((flags & CLONE_VM) && !newsp) return -EINVAL;
    struct kernel_clone_args args = {.flags = flags, .stack = newsp, .tls = tls};
    return kernel_clone(&args);
}

long sys_execve(const char *uname, const char *const *uargv, const char *const *uenvp);
static long sys_execve_(ul name, ul argv, ul envp)
{
    return sys_execve((const char *)name, (const char *const *)argv, (const char *const *)envp);
}

static long sys_exit(ul code) { do_exit(((int)code & 0xff) << 8); }

static long sys_wait4(ul pid, ul uwstatus, ul options, ul rusage)
{
    int status = 0;
    long r = do_wait((int)pid, &status, (int)options);
    if (r > 0 && uwstatus && copy_to_user((void *)uwstatus, &status, sizeof status)) return -EFAULT;
    return r;
}

static long sys_getrusage(ul who, ul uru)
{
    if (who != RUSAGE_SELF) return -EINVAL;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    ru.ru_nvcsw = (long)current->nvcsw;
    ru.ru_nivcsw = (long)current->nivcsw;
    return copy_to_user((void *)uru, &ru, sizeof ru) ? -EFAULT : 0;
}

static long sys_arch_prctl(ul code, ul addr) { return do_arch_prctl((int)code, addr); }

static long sys_sched_setaffinity(ul pid, ul len, ul umask)
{
    unsigned long mask = 0;
    if (copy_from_user(&mask, (const void *)umask, MIN(len, sizeof mask))) return -EFAULT;
    struct task_struct *p = current;
    if (pid && pid != (ul)current->pid) return -ESRCH; /* only the caller */
    return sched_setaffinity(p, mask);
}

static long sys_clock_gettime(ul clk, ul uts)
{
    if (clk != CLOCK_MONOTONIC) return -EINVAL;
    unsigned long j = jiffies;
    struct timespec ts = {(long)(j / HZ), (long)(j % HZ) * (1000000000 / HZ)};
    return copy_to_user((void *)uts, &ts, sizeof ts) ? -EFAULT : 0;
}

/* getcpu(&cpu, &node): where the caller runs at this instant. */
static long sys_getcpu(ul ucpu, ul unode)
{
    unsigned int cpu = (unsigned int)smp_processor_id(), node = 0;
    if (ucpu && copy_to_user((void *)ucpu, &cpu, sizeof cpu)) return -EFAULT;
    if (unode && copy_to_user((void *)unode, &node, sizeof node)) return -EFAULT;
    return 0;
}

/* sy_tasks: one sy_task_info per task, for ps. */
static long sys_sy_tasks(ul ubuf, ul max)
{
    static struct sy_task_info info[64];
    static DEFINE_SPINLOCK(info_lock); /* info[] is shared */
    unsigned long f2 = spin_lock_irqsave(&info_lock);
    unsigned long flags = spin_lock_irqsave(&tasklist_lock);
    long n = 0;
    struct task_struct *t;
    list_for_each_entry(t, &task_list, tasks) {
        if (n == (long)MIN(max, ARRAY_SIZE(info))) break;
        struct sy_task_info *i = &info[n++];
        memset(i, 0, sizeof *i);
        i->pid = t->pid;
        i->ppid = t->parent ? t->parent->pid : 0;
        i->cpu = t->cpu;
        i->kthread = (t->flags & PF_KTHREAD) != 0;
        if (t->exit_state == EXIT_ZOMBIE) i->state = SY_TASK_ZOMBIE;
        else if (t->state == TASK_RUNNING && task_curr(t)) i->state = SY_TASK_RUNNING;
        else if (is_idle_task(t)) i->state = SY_TASK_IDLE;
        else if (t->state == TASK_RUNNING) i->state = SY_TASK_RUNNABLE;
        else i->state = SY_TASK_SLEEPING;
        i->nvcsw = (long)t->nvcsw;
        i->nivcsw = (long)t->nivcsw;
        i->migrations = (long)t->nr_migrations;
        memcpy(i->comm, t->comm, sizeof i->comm);
        if (i->state == SY_TASK_SLEEPING && t->blocked_on) strncpy(i->wchan, t->blocked_on, sizeof i->wchan - 1);
    }
    spin_unlock_irqrestore(&tasklist_lock, flags);
    long r = copy_to_user((void *)ubuf, info, (size_t)n * sizeof info[0]) ? -EFAULT : n;
    spin_unlock_irqrestore(&info_lock, f2);
    return r;
}

static long sys_sy_program(ul index, ul uname, ul len)
{
    if (index >= (ul)nr_user_programs) return -ENOENT;
    const char *name = user_programs[index].name;
    size_t n = strlen(name) + 1;
    if (n > len) return -E2BIG;
    return copy_to_user((void *)uname, name, n) ? -EFAULT : 0;
}

static long sys_sy_trace(ul op, ul ubuf, ul max) { return sched_trace_ctl((int)op, (void *)ubuf, (int)max); }

/* With `schedstat` on the command line, power-off first prints what each CPU
 * counted itself: context switches (rq->nr_switches, counted in __schedule()
 * just before context_switch()), system calls (do_syscall_64) and external
 * interrupts (do_IRQ). `run --trace`'s test compares its trace with these. */
static void show_schedstat(void)
{
    for (int cpu = 0; cpu < nr_cpu_ids; ++cpu)
        if (cpu_online_mask & (1UL << cpu))
            printk("schedstat: cpu%d apic %u switches %lu syscalls %lu irqs %lu\n", cpu, cpu_data[cpu].apic_id,
                   cpu_rq(cpu)->nr_switches, cpu_data[cpu].nr_syscalls, cpu_data[cpu].nr_irqs);
}

static long sys_sy_poweroff(ul code)
{
    if (cmdline_has("schedstat")) show_schedstat();
    printk("poweroff (status %lu)\n", code & 0xff);
    machine_power_off((int)(code & 0xff));
}

/* sy_probe: the kernel state the user-mode self-tests look at. */
static long sys_sy_probe(ul what)
{
    unsigned long flags = local_irq_save();
    long v = -EINVAL;
    struct percpu *pc = this_cpu();
    switch (what) {
    case SY_PROBE_KERNEL_GS_BASE: v = (long)rdmsr(MSR_KERNEL_GS_BASE); break;
    case SY_PROBE_GS_BASE: v = (long)rdmsr(MSR_GS_BASE); break;
    case SY_PROBE_FPU_LOAD: v = test_tsk_thread_flag(current, TIF_NEED_FPU_LOAD); break;
    case SY_PROBE_SYSRET_COUNT: v = (long)pc->nr_sysret; break;
    case SY_PROBE_IRET_COUNT: v = (long)pc->nr_iret_to_user; break;
    case SY_PROBE_CR3: v = (long)read_cr3(); break;
    case SY_PROBE_PERCPU: v = (long)pc; break;
    }
    local_irq_restore(flags);
    return v;
}

/* Every entry is called with six arguments; a function that takes fewer
 * ignores the rest (in the x86-64 calling convention they are just registers
 * it does not read). The cast through void (*)(void) says that on purpose. */
#define SYSCALL(nr, fn) [nr] = (sys_call_ptr_t)(void (*)(void))(fn)
typedef long (*sys_call_ptr_t)(ul, ul, ul, ul, ul, ul);
const sys_call_ptr_t sys_call_table[NR_syscalls] = {
    SYSCALL(__NR_read, sys_read),
    SYSCALL(__NR_write, sys_write),
    SYSCALL(__NR_sched_yield, sys_sched_yield),
    SYSCALL(__NR_nanosleep, sys_nanosleep),
    SYSCALL(__NR_getpid, sys_getpid),
    SYSCALL(__NR_clone, sys_clone),
    SYSCALL(__NR_fork, sys_fork),
    SYSCALL(__NR_execve, sys_execve_),
    SYSCALL(__NR_exit, sys_exit),
    SYSCALL(__NR_wait4, sys_wait4),
    SYSCALL(__NR_getrusage, sys_getrusage),
    SYSCALL(__NR_getppid, sys_getppid),
    SYSCALL(__NR_arch_prctl, sys_arch_prctl),
    SYSCALL(__NR_sched_setaffinity, sys_sched_setaffinity),
    SYSCALL(__NR_clock_gettime, sys_clock_gettime),
    SYSCALL(__NR_getcpu, sys_getcpu),
    SYSCALL(__NR_sy_tasks, sys_sy_tasks),
    SYSCALL(__NR_sy_program, sys_sy_program),
    SYSCALL(__NR_sy_trace, sys_sy_trace),
    SYSCALL(__NR_sy_poweroff, sys_sy_poweroff),
    SYSCALL(__NR_sy_probe, sys_sy_probe),
};
