/* hello: prints its pid, CPU and arguments. */
#include "ulib.h"

int main(int argc, char **argv)
{
    printf("hello from pid %d on cpu%d:", getpid(), getcpu());
    for (int k = 0; k < argc; ++k) printf(" %s", argv[k]);
    printf("\n");
    return 0;
}
