/* tls: threads (clone with CLONE_VM | CLONE_SETTLS) that share an address
 * space but each have their own FS base, and so their own __thread variables.
 * Each thread counts in its TLS, yields and sleeps (so it is switched out and
 * may move between CPUs), and checks after each switch that %fs still points
 * at its own thread control block and its counter is its own. */
#include "ulib.h"

#define NTHREADS 3
static __thread int tls_counter;
static __thread int tls_id = -1;
static char stacks[NTHREADS][8192] __attribute__((aligned(16)));
static volatile int results[NTHREADS];
static int quiet; /* -q: print only failures (the self-tests) */

static int thread_main(void *arg)
{
    int id = (int)(long)arg;
    unsigned long fsbase = 0;
    arch_prctl(ARCH_GET_FS, (unsigned long)&fsbase);
    tls_id = id;
    unsigned cpus = 0;
    int bad = 0;
    for (int k = 1; k <= 6; ++k) {
        tls_counter += id + 1;
        cpus |= 1u << getcpu();
        if (k % 2) sched_yield();
        else msleep(5);
        if (tls_self() != fsbase || tls_id != id || tls_counter != k * (id + 1)) bad++;
    }
    cpus |= 1u << getcpu();
    if (!quiet || bad)
        printf("tls: thread %d (pid %d) " TLS_REG " base %lx: counter %d, id %d after 6 switches, on cpus%s%s%s: %s\n", id,
           getpid(), fsbase, tls_counter, tls_id, cpus & 1 ? " 0" : "", cpus & 2 ? " 1" : "", cpus & ~3u ? " ..." : "",
           bad ? "WRONG" : "ok");
    results[id] = bad ? 2 : 1;
    return bad;
}

int main(int argc, char **argv)
{
    quiet = argc > 1 && !strcmp(argv[1], "-q");
    int pids[NTHREADS];
    tls_id = 100;
    for (int k = 0; k < NTHREADS; ++k) pids[k] = thread_create(thread_main, (void *)(long)k, stacks[k] + sizeof stacks[k]);
    int failed = 0, status;
    for (int k = 0; k < NTHREADS; ++k) {
        waitpid(pids[k], &status, 0);
        failed |= !WIFEXITED(status) || WEXITSTATUS(status) || results[k] != 1;
    }
    if (tls_id != 100) failed = 1; /* the main thread's own copy */
    if (!quiet || failed)
        printf("tls: %d threads, one address space, %d " TLS_REG " bases: %s\n", NTHREADS, NTHREADS + 1, failed ? "FAILED" : "ok");
    return failed;
}
