/* bench: the kernel-like workload of `switchyard bench` and scripts/compare-peers.sh.
 *   bench [N]: two processes on this CPU, each making N getpid() calls and N
 *   sched_yield() calls in turn (default 10000), so that every yield switches
 *   to the other. Each prints its context-switch counts (getrusage) when done;
 *   the host counts the calls and switches from these lines. */
#include "ulib.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    sched_setaffinity(0, 1UL << getcpu()); /* the child inherits it */
    printf("bench: %d getpid and %d sched_yield per process\n", n, n);
    int child = fork();
    for (int k = 0; k < n; ++k) {
        getpid();
        sched_yield();
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("bench: %s done: %ld voluntary switches, %ld involuntary\n", child ? "parent" : "child", ru.ru_nvcsw,
           ru.ru_nivcsw);
    if (!child) return 0;
    int status;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
