/* spin: busy loops that never give up the CPU; the timer tick takes it away
 * from them when their time slice (2 ticks, 20 ms) is over.
 *   spin [N [MS]]: N spinners (default 3) on this CPU for MS ms (default 100). */
#include "ulib.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    unsigned long ms = argc > 2 ? (unsigned long)atoi(argv[2]) : 100;
    sched_setaffinity(0, 1UL << getcpu());
    int pids[8];
    for (int k = 0; k < n && k < 8; ++k) {
        pids[k] = fork();
        if (pids[k] == 0) {
            /* Pure user-mode work, with a look at the clock now and then: the
             * switches happen when the timer interrupts this loop. With company
             * on this CPU a spinner also keeps going until the timer has taken
             * the CPU from it once (bounded, in case the tick never comes): on
             * QEMU the clock is the host's, and a late tick must not make the
             * outcome depend on how busy the host was. */
            unsigned long start = uptime_ms(), end = start + ms, limit = start + 50 * ms + 1000;
            struct rusage ru;
            for (;;) {
                for (int i = 0; i < 20000; ++i) __asm__ volatile("");
                unsigned long now = uptime_ms();
                if (now >= limit) break;
                if (now < end) continue;
                if (n < 2) break;
                getrusage(RUSAGE_SELF, &ru);
                if (ru.ru_nivcsw > 0) break;
            }
            printf("spinner %d (pid %d, cpu%d): preempted %ld times by the timer, %ld voluntary switches\n", k,
                   getpid(), getcpu(), ru.ru_nivcsw, ru.ru_nvcsw);
            return ru.ru_nivcsw > 0 || n < 2 ? 0 : 1;
        }
    }
    int failed = 0, status;
    for (int k = 0; k < n && k < 8; ++k) {
        waitpid(pids[k], &status, 0);
        failed |= !WIFEXITED(status) || WEXITSTATUS(status);
    }
    return failed;
}
