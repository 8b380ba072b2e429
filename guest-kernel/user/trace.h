/* Printing the kernel's context-switch trace (sy_trace) for the demos. */
#ifndef _TRACE_H
#define _TRACE_H
#include "ulib.h"

static inline const char *switch_reason(const struct sy_switch_event *e)
{
    static char buf[32];
    switch (e->reason) {
    case SY_SWITCH_PREEMPT: return "preempted: time slice over";
    case SY_SWITCH_YIELD: return "yield";
    case SY_SWITCH_SLEEP:
        snprintf(buf, sizeof buf, "sleeps in %s", e->why[0] ? e->why : "?");
        return buf;
    case SY_SWITCH_EXIT: return "exit";
    case SY_SWITCH_MIGRATE: return "moves to another CPU";
    case SY_SWITCH_IDLE: return "idle: a task woke up";
    }
    return "?";
}

/* Prints the first `max` recorded switches that involve a task named `comm`,
 * then how many there were of each kind. */
static inline void print_switches(const char *comm, int max)
{
    static struct sy_switch_event ev[512];
    int n = sy_trace(SY_TRACE_READ, ev, 512), shown = 0, total = 0, kinds[8] = {0};
    for (int k = 0; k < n; ++k) {
        if (strcmp(ev[k].prev_comm, comm) && strcmp(ev[k].next_comm, comm)) continue;
        ++total;
        if (ev[k].reason > 0 && ev[k].reason < 8) kinds[ev[k].reason]++;
        if (shown++ < max)
            printf("    cpu%d  %s[%d] -> %s[%d]  (%s)\n", ev[k].cpu, ev[k].prev_comm, ev[k].prev_pid, ev[k].next_comm,
                   ev[k].next_pid, switch_reason(&ev[k]));
    }
    if (total > max) printf("    ...\n");
    printf("  %d switches: %d preempted, %d yields, %d sleeps, %d exits, %d moves, %d from idle\n", total,
           kinds[SY_SWITCH_PREEMPT], kinds[SY_SWITCH_YIELD], kinds[SY_SWITCH_SLEEP], kinds[SY_SWITCH_EXIT],
           kinds[SY_SWITCH_MIGRATE], kinds[SY_SWITCH_IDLE]);
}

#endif
