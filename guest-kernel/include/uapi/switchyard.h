/* The system call interface, shared by the kernel and the user programs.
 * Numbers and semantics follow Linux x86-64 where Linux has the call; the
 * calls from 500 on are switchyard's own. Arguments in RDI, RSI, RDX, R10, R8,
 * R9; the number in RAX; the result (or -errno) in RAX. */
#ifndef _UAPI_SWITCHYARD_H
#define _UAPI_SWITCHYARD_H

#define __NR_read 0
#define __NR_write 1
#define __NR_sched_yield 24
#define __NR_nanosleep 35
#define __NR_getpid 39
#define __NR_clone 56
#define __NR_fork 57
#define __NR_execve 59
#define __NR_exit 60
#define __NR_wait4 61
#define __NR_getrusage 98
#define __NR_getppid 110
#define __NR_arch_prctl 158
#define __NR_sched_setaffinity 203
#define __NR_clock_gettime 228
#define __NR_getcpu 309
#define __NR_sy_tasks 500    /* (struct sy_task_info *buf, int max): the task list */
#define __NR_sy_program 501  /* (int index, char *name, int len): the bundled programs */
#define __NR_sy_trace 502    /* (int op, struct sy_switch_event *buf, int max) */
#define __NR_sy_poweroff 503 /* (int code): write code to the exit device */
#define __NR_sy_probe 504    /* (int what): kernel state, for the self-tests */
#define NR_syscalls 505

#define ENOENT 2
#define ESRCH 3
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define ENOSYS 38

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

#define CLONE_VM 0x00000100
#define CLONE_SETTLS 0x00080000

#define WNOHANG 1
/* wait4 status: exited with code c: c << 8; killed by signal s: s. */
#define WIFEXITED(s) (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s) & 0x7f)
#define SIGILL 4
#define SIGFPE 8
#define SIGSEGV 11

#define CLOCK_MONOTONIC 1
#ifndef __ASSEMBLER__
struct timespec {
    long tv_sec;
    long tv_nsec;
};
struct timeval {
    long tv_sec;
    long tv_usec;
};
/* getrusage(RUSAGE_SELF): only the context-switch counts are filled. */
#define RUSAGE_SELF 0
struct rusage {
    struct timeval ru_utime, ru_stime;
    long ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap, ru_inblock, ru_oublock,
        ru_msgsnd, ru_msgrcv, ru_nsignals;
    long ru_nvcsw;  /* voluntary: sleep, wait, yield, blocking read */
    long ru_nivcsw; /* involuntary: preempted when its time slice ran out */
};

/* sy_tasks */
#define SY_TASK_RUNNING 'R'  /* on a CPU now */
#define SY_TASK_RUNNABLE 'r' /* waiting on a run queue */
#define SY_TASK_SLEEPING 'S'
#define SY_TASK_ZOMBIE 'Z'
#define SY_TASK_IDLE 'I'     /* an idle task while its CPU runs something else */
struct sy_task_info {
    int pid, ppid;
    int state; /* SY_TASK_* */
    int cpu;
    int kthread;
    int pad;
    long nvcsw, nivcsw, migrations;
    char comm[16];
    char wchan[16]; /* what it sleeps on */
};

/* sy_trace: a ring of the last context switches, like ftrace's sched_switch. */
#define SY_TRACE_START 0 /* clear and record */
#define SY_TRACE_STOP 1
#define SY_TRACE_READ 2  /* copy out the recorded events, oldest first */
#define SY_SWITCH_PREEMPT 1 /* time slice over (TIF_NEED_RESCHED from the tick) */
#define SY_SWITCH_YIELD 2
#define SY_SWITCH_SLEEP 3   /* blocked: sleep, wait, read */
#define SY_SWITCH_EXIT 4
#define SY_SWITCH_MIGRATE 5 /* left to run on another CPU */
#define SY_SWITCH_IDLE 6    /* the idle task gives way to a task that became runnable */
struct sy_switch_event {
    unsigned long seq;
    unsigned long jiffies;
    int cpu;
    int reason; /* SY_SWITCH_* */
    int prev_pid, next_pid;
    char prev_comm[16], next_comm[16];
    char why[16]; /* for SY_SWITCH_SLEEP: what prev waits for */
};

/* sy_probe: what a user test asks the kernel about itself. */
#define SY_PROBE_KERNEL_GS_BASE 1 /* IA32_KERNEL_GS_BASE now (the user GS base) */
#define SY_PROBE_GS_BASE 2        /* IA32_GS_BASE now (this CPU's per-CPU area) */
#define SY_PROBE_FPU_LOAD 3       /* TIF_NEED_FPU_LOAD of the caller now */
#define SY_PROBE_SYSRET_COUNT 4   /* syscalls returned with SYSRETQ on this CPU */
#define SY_PROBE_IRET_COUNT 5     /* returns to user with IRETQ on this CPU */
#define SY_PROBE_CR3 6
#define SY_PROBE_PERCPU 7         /* &cpu_data[this CPU] */

#endif /* __ASSEMBLER__ */
#endif
