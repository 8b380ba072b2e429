/* The entry point of every user program. The kernel starts it with RSP at
 * argc, followed by argv[] and NULL (System V x86-64 ABI 3.4.1).
 *   void _start(void): calls __libc_start(argc, argv), which never returns.
 *
 * long __clone(unsigned long flags, void *stack, unsigned long tls,
 *              int (*fn)(void *), void *arg)
 *   clone(2) for threads: the child starts on `stack` (16-byte aligned top),
 *   so fn and arg are parked there before the system call; the child pops
 *   them, calls fn(arg) and exits with its result. The parent gets the pid. */
#include "../include/uapi/switchyard.h"

    .section .text.start, "ax"
    .globl _start
_start:
    xorl %ebp, %ebp
    movq (%rsp), %rdi           /* argc */
    leaq 8(%rsp), %rsi          /* argv */
    call __libc_start
    hlt                         /* not reached */

    .text
    .globl __clone
__clone:
    movq %rcx, -8(%rsi)         /* fn, for the child */
    movq %r8, -16(%rsi)         /* arg, for the child */
    subq $16, %rsi              /* newsp */
    movq %rdx, %r8              /* tls: clone's 5th argument */
    xorl %edx, %edx             /* parent_tid */
    xorl %r10d, %r10d           /* child_tid */
    movl $__NR_clone, %eax
    syscall
    testq %rax, %rax
    jnz 1f                      /* the parent, or an error */
    xorl %ebp, %ebp             /* the child, on its own stack */
    popq %rdi                   /* arg */
    popq %rax                   /* fn */
    call *%rax
    movl %eax, %edi
    movl $__NR_exit, %eax
    syscall
1:  ret

    .section .note.GNU-stack, "", @progbits
