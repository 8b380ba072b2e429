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
    }
    return "?";
}

/* Prints up to `max` recorded switches that involve a task named `comm`,
 * then how many there were in all. */
static inline void print_switches(const char *comm, int max)
{
    static struct sy_switch_event ev[512];
    int n = sy_trace(SY_TRACE_READ, ev, 512), shown = 0, total = 0;
    for (int k = 0; k < n; ++k) {
        if (strcmp(ev[k].prev_comm, comm) && strcmp(ev[k].next_comm, comm)) continue;
        ++total;
        if (shown++ < max)
            printf("    cpu%d  %s[%d] -> %s[%d]  (%s)\n", ev[k].cpu, ev[k].prev_comm, ev[k].prev_pid, ev[k].next_comm,
                   ev[k].next_pid, switch_reason(&ev[k]));
    }
    if (total > max) printf("    ... %d switches in all\n", total);
}

#endif
