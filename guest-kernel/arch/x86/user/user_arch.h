/* The x86-64 system call of the user programs (user/ulib.h): SYSCALL with the
 * number in RAX and the arguments in RDI, RSI, RDX, R10, R8, R9; RCX and R11
 * are lost (SDM Vol. 2B SYSCALL). */
#ifndef _USER_ARCH_H
#define _USER_ARCH_H
static inline long syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* The thread pointer: the TCB's self-pointer at %fs:0 (x86-64 TLS, variant II). */
static inline unsigned long tls_self(void)
{
    unsigned long v;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(v));
    return v;
}
#define TLS_REG "FS"
/* How the kernel returns from system calls here, for sy_probe counts. */
#define SY_PROBE_SYSCALL_RETURNS SY_PROBE_SYSRET_COUNT
#define A_KERNEL_ADDRESS 0xffff888000000000UL
/* The XMM registers user code has (the fpu demo fills them all). */
#define NR_XMM 16
#define LAST_XMM 15
#define PREV_XMM 14
#endif
