/* forktree: every process forks two children until the given depth; each
 * parent waits for (reaps) its children, whose exit status tells their depth. */
#include "ulib.h"

static int grow(int depth, int max)
{
    printf("forktree: pid %d (parent %d) at depth %d on cpu%d\n", getpid(), getppid(), depth, getcpu());
    if (depth == max) return depth;
    int kids[2];
    for (int k = 0; k < 2; ++k) {
        kids[k] = fork();
        if (kids[k] == 0) exit(grow(depth + 1, max));
    }
    int deepest = depth;
    for (int k = 0; k < 2; ++k) {
        int status;
        waitpid(kids[k], &status, 0);
        printf("forktree: pid %d reaped child %d (exit status %d)\n", getpid(), kids[k], WEXITSTATUS(status));
        if (WEXITSTATUS(status) > deepest) deepest = WEXITSTATUS(status);
    }
    return deepest;
}

int main(int argc, char **argv)
{
    int max = argc > 1 ? atoi(argv[1]) : 2;
    int deepest = grow(0, max);
    printf("forktree: %d processes, deepest %d\n", (1 << (max + 1)) - 1, deepest);
    return deepest == max ? 0 : 1;
}
