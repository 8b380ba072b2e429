/* demo: what runs when the kernel is booted with no command line. Each part
 * runs one of the programs (fork + execve + wait4, as a shell would) with
 * the kernel's switch trace on, then shows the first few context switches it
 * caused, from the trace: which CPU, which task left, which one came, and why. */
#include "trace.h"
#include "ulib.h"

static int run(const char *what, char *const argv[], int show)
{
    printf("\n== %s\n", what);
    sy_trace(SY_TRACE_START, NULL, 0);
    int pid = fork();
    if (pid == 0) {
        execve(argv[0], argv);
        printf("demo: cannot run %s\n", argv[0]);
        exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    sy_trace(SY_TRACE_STOP, NULL, 0);
    if (show) {
        printf("  context switches of %s (from the kernel's trace):\n", argv[0]);
        print_switches(argv[0], show);
    }
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) printf("demo: %s failed (status %x)\n", argv[0], status);
    return ok;
}

int main(int argc, char **argv)
{
    printf("switchyard demo: pid %d on cpu%d. Each part below makes the kernel switch tasks in a\n"
           "different way; __switch_to_asm does every one of those switches.\n",
           getpid(), getcpu());
    int ok = 1;
    ok &= run("ping-pong: two processes on one CPU alternate through sched_yield()",
              (char *[]){"pingpong", "3", NULL}, 6);
    ok &= run("spinners: three busy loops on one CPU, preempted by the timer tick every 20 ms",
              (char *[]){"spin", "3", "100", NULL}, 6);
    ok &= run("sleepers: sleeping is a voluntary switch; a wake-up may pick another CPU",
              (char *[]){"sleeper", "3", NULL}, 8);
    ok &= run("fork tree: fork, exit, and the parent reaping its zombie children", (char *[]){"forktree", "2", NULL},
              0);
    ok &= run("TLS: threads of one process, each with its own FS base", (char *[]){"tls", NULL}, 0);
    ok &= run("FPU: SSE registers survive preemption and migration", (char *[]){"fpu", "3", "150", NULL}, 0);
    printf("\n== tasks now\n");
    char *ps[] = {"ps", NULL};
    int pid = fork();
    if (pid == 0) {
        execve("ps", ps);
        exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("\ndemo: %s. Boot with --append sh for a shell, --append ktest for the self-tests.\n",
           ok ? "done" : "SOMETHING FAILED");
    sy_poweroff(ok ? 0 : 1);
}
