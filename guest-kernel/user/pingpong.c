/* pingpong: two processes on one CPU take turns through sched_yield(): each
 * yield puts the caller at the back of the run queue, so the other runs. */
#include "ulib.h"

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 4;
    int cpu = getcpu();
    sched_setaffinity(0, 1UL << cpu); /* both on this CPU; the child inherits it */
    int child = fork();
    const char *me = child ? "ping" : "pong";
    for (int k = 1; k <= rounds; ++k) {
        printf("%s %d (pid %d, cpu%d)\n", me, k, getpid(), getcpu());
        sched_yield();
    }
    if (!child) return 0;
    int status;
    waitpid(child, &status, 0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("pingpong: ping yielded %d times: %ld voluntary switches, %ld involuntary\n", rounds, ru.ru_nvcsw,
           ru.ru_nivcsw);
    return 0;
}
