/* sleeper: processes that sleep (a voluntary switch) and are woken by the
 * timer. A wake-up puts a task on the least busy CPU it may use. The sleepers
 * start on CPU 0, which a busy loop keeps occupied, so (with more than one
 * CPU) each wakes from its first sleep on another CPU than it slept on.
 *   sleeper [N]: N sleepers (default 3), plus the busy loop. */
#include "ulib.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    int burner = fork();
    if (burner == 0) { /* keeps CPU 0 busy while the others sleep */
        sched_setaffinity(0, 1);
        unsigned long end = uptime_ms() + 60UL * (unsigned long)n + 60;
        do {
            for (int i = 0; i < 20000; ++i) __asm__ volatile("");
        } while (uptime_ms() < end);
        return 0;
    }
    int pids[8];
    sched_setaffinity(0, 1); /* the children start on CPU 0 too */
    for (int k = 0; k < n && k < 8; ++k) {
        pids[k] = fork();
        if (pids[k] == 0) {
            sched_setaffinity(0, ~0UL); /* free to wake up anywhere */
            for (int round = 0; round < 3; ++round) {
                int before = getcpu();
                unsigned long t0 = uptime_ms();
                msleep(10 * (unsigned)(k + 1));
                int after = getcpu();
                printf("sleeper %d (pid %d): slept %lu ms on cpu%d, woke on cpu%d%s\n", k, getpid(),
                       uptime_ms() - t0, before, after, before != after ? " (migrated)" : "");
            }
            return 0;
        }
    }
    int status;
    for (int k = 0; k < n && k < 8; ++k) waitpid(pids[k], &status, 0);
    waitpid(burner, &status, 0);
    return 0;
}
