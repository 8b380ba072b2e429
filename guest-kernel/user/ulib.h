/* The user programs' C library: system call wrappers, formatted output,
 * strings, threads with TLS. */
#ifndef _ULIB_H
#define _ULIB_H
#include <stdarg.h>
#include "../include/uapi/switchyard.h"

typedef unsigned long size_t;
typedef long ssize_t;
#define NULL ((void *)0)
#define __noreturn __attribute__((noreturn))
typedef _Bool bool;
#define true 1
#define false 0

/* syscall6() (SYSCALL, or int $0x80 in the i386 build), tls_self() and the
 * other differences of the two builds: arch/x86/user/ or arch/i386/user/. */
#include <user_arch.h>
#define syscall0(n) syscall6(n, 0, 0, 0, 0, 0, 0)
#define syscall1(n, a) syscall6(n, (long)(a), 0, 0, 0, 0, 0)
#define syscall2(n, a, b) syscall6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define syscall3(n, a, b, c) syscall6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define syscall4(n, a, b, c, d) syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static inline ssize_t read(int fd, void *buf, size_t n) { return syscall3(__NR_read, fd, buf, n); }
static inline ssize_t write(int fd, const void *buf, size_t n) { return syscall3(__NR_write, fd, buf, n); }
static inline int getpid(void) { return (int)syscall0(__NR_getpid); }
static inline int getppid(void) { return (int)syscall0(__NR_getppid); }
static inline int sched_yield(void) { return (int)syscall0(__NR_sched_yield); }
static inline int fork(void) { return (int)syscall0(__NR_fork); }
static inline int execve(const char *name, char *const argv[]) { return (int)syscall3(__NR_execve, name, argv, 0); }
static inline int wait4(int pid, int *status, int options) { return (int)syscall4(__NR_wait4, pid, status, options, 0); }
static inline int waitpid(int pid, int *status, int options) { return wait4(pid, status, options); }
static inline int wait(int *status) { return wait4(-1, status, 0); }
static inline long arch_prctl(int code, unsigned long addr) { return syscall2(__NR_arch_prctl, code, addr); }
static inline int sched_setaffinity(int pid, unsigned long mask)
{
    return (int)syscall3(__NR_sched_setaffinity, pid, sizeof mask, &mask);
}
static inline int getrusage(int who, struct rusage *ru) { return (int)syscall2(__NR_getrusage, who, ru); }
static inline int sy_tasks(struct sy_task_info *buf, int max) { return (int)syscall2(__NR_sy_tasks, buf, max); }
static inline int sy_program(int i, char *name, int len) { return (int)syscall3(__NR_sy_program, i, name, len); }
static inline int sy_trace(int op, struct sy_switch_event *buf, int max) { return (int)syscall3(__NR_sy_trace, op, buf, max); }
static inline long sy_probe(int what) { return syscall1(__NR_sy_probe, what); }
static inline __noreturn void sy_poweroff(int code)
{
    syscall1(__NR_sy_poweroff, code);
    for (;;) {}
}

__noreturn void exit(int code);
int msleep(unsigned int ms);
int getcpu(void);
unsigned long uptime_ms(void);
/* Starts fn(arg) as a thread (clone with CLONE_VM | CLONE_SETTLS) on the given
 * stack, with its own TLS block; returns its pid. */
int thread_create(int (*fn)(void *), void *arg, void *stack_top);

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int puts(const char *s);

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *d, const char *s);
char *strchr(const char *s, int c);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int atoi(const char *s);

int main(int argc, char **argv);

#endif
