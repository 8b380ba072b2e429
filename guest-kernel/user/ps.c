/* ps: every task with its pid, parent, state, CPU, switch counts and name. */
#include "ulib.h"

static const char *state_name(int s)
{
    switch (s) {
    case SY_TASK_RUNNING: return "running";
    case SY_TASK_RUNNABLE: return "runnable";
    case SY_TASK_SLEEPING: return "sleeping";
    case SY_TASK_ZOMBIE: return "zombie";
    case SY_TASK_IDLE: return "idle";
    }
    return "?";
}

int main(int argc, char **argv)
{
    static struct sy_task_info t[64];
    int n = sy_tasks(t, 64);
    printf("  PID  PPID STATE     CPU  VOL  INVOL WCHAN      NAME\n");
    for (int k = 0; k < n; ++k)
        printf("%5d %5d %-9s %3d %4ld %6ld %-10s %s%s%s\n", t[k].pid, t[k].ppid, state_name(t[k].state), t[k].cpu,
               t[k].nvcsw, t[k].nivcsw, t[k].wchan[0] ? t[k].wchan : "-", t[k].kthread ? "[" : "", t[k].comm,
               t[k].kthread ? "]" : "");
    return 0;
}
