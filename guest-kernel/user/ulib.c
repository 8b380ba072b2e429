/* The user C library (ulib.h). */
#include "ulib.h"

extern char __tls_image[], __tdata_size[], __tls_memsz[], __tls_align[];
long __clone(unsigned long flags, void *stack, unsigned long tls, int (*fn)(void *), void *arg);

/* ---- TLS (x86-64 "variant II": the TLS block ends where FS points) ----
 * A thread's thread pointer (FS base) points at its thread control block,
 * whose first word points at itself (%fs:0, as the ABI requires); its
 * __thread variables are below, at the offsets the linker computed. */
#define MAX_THREADS 16
#define TLS_AREA 1024
static char tls_areas[MAX_THREADS][TLS_AREA] __attribute__((aligned(64)));
static int tls_next;

static unsigned long tls_setup(char *area)
{
    unsigned long align = (unsigned long)__tls_align ? (unsigned long)__tls_align : 1;
    unsigned long size = ((unsigned long)__tls_memsz + align - 1) & ~(align - 1);
    if (size + 16 > TLS_AREA || align > 64) {
        write(2, "ulib: TLS block too large\n", 26);
        exit(127);
    }
    char *block = area, *tp = area + size;
    memcpy(block, __tls_image, (size_t)__tdata_size);
    memset(block + (unsigned long)__tdata_size, 0, (unsigned long)__tls_memsz - (unsigned long)__tdata_size);
    *(char **)tp = tp; /* the TCB's self pointer */
    return (unsigned long)tp;
}

static char *tls_alloc(void)
{
    int k = __atomic_fetch_add(&tls_next, 1, __ATOMIC_SEQ_CST);
    if (k >= MAX_THREADS) {
        write(2, "ulib: too many threads\n", 23);
        exit(127);
    }
    return tls_areas[k];
}

__noreturn void __libc_start(int argc, char **argv)
{
    arch_prctl(ARCH_SET_FS, tls_setup(tls_alloc()));
    exit(main(argc, argv));
}

int thread_create(int (*fn)(void *), void *arg, void *stack_top)
{
    unsigned long tp = tls_setup(tls_alloc());
    return (int)__clone(CLONE_VM | CLONE_SETTLS, stack_top, tp, fn, arg);
}

__noreturn void exit(int code)
{
    syscall1(__NR_exit, code);
    for (;;) {}
}

int msleep(unsigned int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    return (int)syscall2(__NR_nanosleep, &ts, 0);
}

int getcpu(void)
{
    unsigned int cpu = 0;
    syscall2(__NR_getcpu, &cpu, 0);
    return (int)cpu;
}

unsigned long uptime_ms(void)
{
    struct timespec ts;
    syscall2(__NR_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (unsigned long)ts.tv_sec * 1000 + (unsigned long)ts.tv_nsec / 1000000;
}

/* One write per call, so a line from one process is never split by another's. */
int printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
    write(1, buf, (size_t)n);
    return n;
}

int puts(const char *s)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s\n", s);
    if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
    return (int)write(1, buf, (size_t)n);
}

char *strcpy(char *d, const char *s)
{
    char *r = d;
    while ((*d++ = *s++)) {}
    return r;
}

char *strchr(const char *s, int c)
{
    for (; *s; ++s)
        if (*s == (char)c) return (char *)s;
    return c ? NULL : (char *)s;
}

int atoi(const char *s)
{
    int v = 0, neg = 0;
    if (*s == '-') neg = 1, ++s;
    while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
    return neg ? -v : v;
}
