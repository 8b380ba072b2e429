/* utest: the user-mode halves of the kernel's self-tests (kernel/ktest.c runs
 * `utest NAME` and checks its exit status). Each test is silent when it
 * passes and prints what differed when it fails. */
#include "ulib.h"

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            printf("utest %s: check failed: %s (line %d)\n", test_name, #cond, __LINE__); \
            return 1;                                                                \
        }                                                                            \
    } while (0)

static const char *test_name;

/* getpid/getppid through SYSCALL, and which return path the kernel used:
 * a plain call returns with SYSRETQ. */
static int t_syscall(int argc, char **argv)
{
    int pid = getpid();
    CHECK(pid > 1);
    CHECK(getppid() >= 1);
    sched_setaffinity(0, 1UL << getcpu()); /* keep the per-CPU counters one CPU's */
    long s0 = sy_probe(SY_PROBE_SYSCALL_RETURNS);
    for (int k = 0; k < 10; ++k) CHECK(getpid() == pid);
    long s1 = sy_probe(SY_PROBE_SYSCALL_RETURNS);
    CHECK(s1 - s0 >= 11); /* ten getpids and the first probe */
    CHECK(syscall0(9999) == -ENOSYS);
    CHECK(write(5, "x", 1) == -EBADF);
    CHECK(write(1, (void *)A_KERNEL_ADDRESS, 1) == -EFAULT); /* a kernel address */
    return 0;
}

/* fork: the child sees 0, the parent the child's pid; N children exit with
 * distinct codes, all reaped, then there are none left. */
static int t_fork(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 4, pids[16], seen = 0;
    int parent = getpid();
    for (int k = 0; k < n; ++k) {
        pids[k] = fork();
        if (pids[k] == 0) {
            if (getppid() != parent) exit(100);
            exit(10 + k);
        }
        CHECK(pids[k] > parent);
    }
    for (int k = 0; k < n; ++k) {
        int status, pid = wait(&status);
        int j = 0;
        while (j < n && pids[j] != pid) ++j;
        CHECK(j < n);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 10 + j);
        seen |= 1 << j;
    }
    CHECK(seen == (1 << n) - 1);
    int status;
    CHECK(wait(&status) == -ECHILD);
    CHECK(waitpid(-1, &status, WNOHANG) == -ECHILD);
    return 0;
}

/* execve replaces the program; argv arrives on the new stack. */
static int t_exec(int argc, char **argv)
{
    char *args[] = {"utest", "exec2", "alpha", "beta", NULL};
    int r = execve("utest", args);
    printf("utest exec: execve returned %d\n", r);
    return 1;
}
static int t_exec2(int argc, char **argv)
{
    CHECK(argc == 4);
    CHECK(!strcmp(argv[2], "alpha") && !strcmp(argv[3], "beta"));
    CHECK(((unsigned long)argv & (sizeof(void *) - 1)) == 0);
    unsigned long fs = 1;
    arch_prctl(ARCH_GET_FS, (unsigned long)&fs);
    CHECK(fs != 0); /* crt0 set up TLS again for the new program */
    return 42;
}

#ifdef __x86_64__ /* i386 has no GS base of its own: GS is the TLS selector */
/* arch_prctl(ARCH_SET_GS): user mode sees its own GS base, the kernel
 * keeps it in IA32_KERNEL_GS_BASE while it runs (swapgs on entry). */
static unsigned long gs_block[4] = {0x1122334455667788UL};
static int t_gs(int argc, char **argv)
{
    CHECK(arch_prctl(ARCH_SET_GS, (unsigned long)gs_block) == 0);
    for (int k = 0; k < 5; ++k) {
        unsigned long v;
        __asm__ volatile("movq %%gs:0, %0" : "=r"(v));
        CHECK(v == gs_block[0]);
        CHECK(sy_probe(SY_PROBE_KERNEL_GS_BASE) == (long)gs_block); /* the user's, parked */
        long kgs = sy_probe(SY_PROBE_GS_BASE);
        CHECK(kgs == sy_probe(SY_PROBE_PERCPU)); /* the kernel's: this CPU's area */
        CHECK(kgs < 0);                          /* a kernel address */
        msleep(5);                               /* switched out and back */
    }
    unsigned long got = 0;
    CHECK(arch_prctl(ARCH_GET_GS, (unsigned long)&got) == 0 && got == (unsigned long)gs_block);
    CHECK(arch_prctl(ARCH_SET_FS, 0xffff800000000000UL) == -EINVAL);
    return 0;
}
#endif

/* A busy loop on one CPU with other busy loops: the timer preempts it. */
static int t_spin(int argc, char **argv)
{
    unsigned long ms = argc > 2 ? (unsigned long)atoi(argv[2]) : 60;
    sched_setaffinity(0, 1);
    int kid = fork();
    unsigned long end = uptime_ms() + ms;
    do {
        for (int i = 0; i < 20000; ++i) __asm__ volatile("");
    } while (uptime_ms() < end);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (kid == 0) exit(ru.ru_nivcsw > 0 ? 0 : 1);
    int status;
    waitpid(kid, &status, 0);
    CHECK(ru.ru_nivcsw > 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
}

/* Faults that kill the process (the parent sees the signal). */
static int t_fault(int argc, char **argv)
{
    const char *how = argc > 2 ? argv[2] : "segv";
    int kid = fork();
    if (kid == 0) {
        if (!strcmp(how, "segv")) *(volatile int *)0xffffffff80100000UL = 1; /* kernel text */
        if (!strcmp(how, "null")) *(volatile int *)0 = 1;
        if (!strcmp(how, "ud")) __asm__ volatile("ud2");
        if (!strcmp(how, "div")) { /* in assembly: gcc may turn 1 / z into a compare */
            unsigned int a = 1, d = 0, z = 0;
            __asm__ volatile("divl %2" : "+a"(a), "+d"(d) : "r"(z));
        }
        if (!strcmp(how, "priv")) __asm__ volatile("cli");
        exit(0);
    }
    int status;
    waitpid(kid, &status, 0);
    int want = !strcmp(how, "ud") ? SIGILL : !strcmp(how, "div") ? SIGFPE : SIGSEGV;
    CHECK(!WIFEXITED(status) && WTERMSIG(status) == want);
    return 0;
}

/* sched_setaffinity moves the caller; getcpu agrees. */
static int t_affinity(int argc, char **argv)
{
    int ncpus = argc > 2 ? atoi(argv[2]) : 1;
    for (int round = 0; round < 2; ++round)
        for (int cpu = 0; cpu < ncpus; ++cpu) {
            CHECK(sched_setaffinity(0, 1UL << cpu) == 0);
            CHECK(getcpu() == cpu);
            sched_yield();
            CHECK(getcpu() == cpu);
        }
    CHECK(sched_setaffinity(0, 0) == -EINVAL);
    return 0;
}

/* The console read blocks; here only argument checks (the data path is
 * tested in the kernel with the UART in loopback). */
static int t_badptr(int argc, char **argv)
{
    CHECK(read(3, NULL, 1) == -EBADF);
    CHECK(syscall2(__NR_nanosleep, 0x10, 0) == -EFAULT);
    CHECK(execve("no-such-program", NULL) == -ENOENT);
    CHECK(syscall3(__NR_execve, 0xffff888000000000UL, 0, 0) == -EFAULT);
    return 0;
}

/* Sleeps a few times on one CPU where nothing else runs (for the lazy FPU
 * restore: the CPU still holds this task's registers when it returns). */
static int t_naps(int argc, char **argv)
{
    sched_setaffinity(0, 1UL << getcpu());
    for (int k = 0; k < 5; ++k) msleep(10);
    return 0;
}

struct test {
    const char *name;
    int (*fn)(int, char **);
};
static const struct test tests[] = {
    {"syscall", t_syscall}, {"fork", t_fork}, {"exec", t_exec},     {"exec2", t_exec2},
#ifdef __x86_64__
    {"gs", t_gs},
#endif
    {"spin", t_spin}, {"fault", t_fault},   {"affinity", t_affinity},
    {"badptr", t_badptr},   {"naps", t_naps},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: utest TEST [ARGS]\n");
        return 2;
    }
    for (unsigned k = 0; k < sizeof tests / sizeof tests[0]; ++k)
        if (!strcmp(argv[1], tests[k].name)) {
            test_name = tests[k].name;
            return tests[k].fn(argc, argv);
        }
    printf("utest: no test %s\n", argv[1]);
    return 2;
}
