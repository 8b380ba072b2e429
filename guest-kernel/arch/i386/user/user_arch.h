/* The i386 system call of the user programs (user/ulib.h): int $0x80 with the
 * number in EAX and the arguments in EBX, ECX, EDX, ESI, EDI, EBP (Linux
 * i386's convention); only EAX changes. The sixth argument goes through EBP,
 * which is the frame pointer here, so it is swapped in and out around the
 * int. */
#ifndef _USER_ARCH_H
#define _USER_ARCH_H
static inline long syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    long ret;
    __asm__ volatile("pushl %%ebp\n\t"
                     "movl %7, %%ebp\n\t"
                     "int $0x80\n\t"
                     "popl %%ebp"
                     : "=a"(ret)
                     : "a"(n), "b"(a1), "c"(a2), "d"(a3), "S"(a4), "D"(a5), "m"(a6)
                     : "memory");
    return ret;
}

/* The thread pointer: the TCB's self-pointer at %gs:0 (i386 TLS, variant II:
 * GS = the thread area's GDT entry, which the kernel loads for us). */
static inline unsigned long tls_self(void)
{
    unsigned long v;
    __asm__ volatile("movl %%gs:0, %0" : "=r"(v));
    return v;
}
#define TLS_REG "GS"
/* Every int $0x80 returns with IRET. */
#define SY_PROBE_SYSCALL_RETURNS SY_PROBE_IRET_COUNT
#define A_KERNEL_ADDRESS 0xc0000000UL
/* The XMM registers user code has (the fpu demo fills them all). */
#define NR_XMM 8
#define LAST_XMM 7
#define PREV_XMM 6
#endif
