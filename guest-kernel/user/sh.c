/* sh: a small shell on the serial console.
 *   PROGRAM ARGS...     run a bundled program and wait for it
 *   PROGRAM ARGS... &   run it in the background
 *   help                list the programs
 *   wait                wait for every background job
 *   poweroff [N]        stop the machine (exit status N)
 * Background jobs that ended are reported before each prompt. */
#include "ulib.h"

static void reap_background(int options)
{
    int status, pid;
    while ((pid = waitpid(-1, &status, options)) > 0)
        printf("[%d] done, %s %d\n", pid, WIFEXITED(status) ? "exit status" : "killed by signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static void help(void)
{
    char name[32];
    printf("builtins: help, wait, poweroff [N]; programs:");
    for (int k = 0; sy_program(k, name, sizeof name) == 0; ++k) printf(" %s", name);
    printf("\n(add & to run in the background)\n");
}

int main(int argc, char **argv)
{
    char line[256];
    printf("switchyard sh: type help for the list of programs\n");
    for (;;) {
        reap_background(WNOHANG);
        printf("$ ");
        long n = read(0, line, sizeof line - 1);
        if (n <= 0) continue;
        line[n] = 0;
        char *args[16];
        int nargs = 0;
        bool background = false;
        for (char *p = line; *p && nargs < 15;) {
            while (*p == ' ' || *p == '\t' || *p == '\n') *p++ = 0;
            if (!*p) break;
            args[nargs++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\n') ++p;
        }
        if (nargs && !strcmp(args[nargs - 1], "&")) {
            background = true;
            --nargs;
        }
        if (!nargs) continue;
        args[nargs] = NULL;
        if (!strcmp(args[0], "help")) {
            help();
            continue;
        }
        if (!strcmp(args[0], "wait")) {
            reap_background(0);
            continue;
        }
        if (!strcmp(args[0], "poweroff")) sy_poweroff(nargs > 1 ? atoi(args[1]) : 0);
        int pid = fork();
        if (pid < 0) {
            printf("sh: fork failed (%d)\n", pid);
            continue;
        }
        if (pid == 0) {
            int r = execve(args[0], args);
            printf("sh: %s: %s\n", args[0], r == -ENOENT ? "no such program (try help)" : "cannot run it");
            exit(127);
        }
        if (background) {
            printf("[%d] %s\n", pid, args[0]);
            continue;
        }
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status)) printf("sh: %s killed by signal %d\n", args[0], WTERMSIG(status));
    }
}
