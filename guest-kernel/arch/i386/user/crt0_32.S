/* The entry point of every user program in the i386 build. The kernel starts
 * it with ESP at argc, followed by argv[] and NULL (i386 System V ABI, the
 * process stack).
 *   void _start(void): calls __libc_start(argc, argv), which never returns.
 *
 * long __clone(unsigned long flags, void *stack, unsigned long tls,
 *              int (*fn)(void *), void *arg)
 *   clone(2) for threads (cdecl): the child starts on `stack`, so fn and arg
 *   are parked there before the int $0x80 (EBX = flags, ECX = stack, EDX =
 *   parent_tid, ESI = child_tid, EDI = tls, the kernel's argument order); the
 *   child pops them, calls fn(arg) and exits with its result. The parent gets
 *   the pid. */
#include "../../../include/uapi/switchyard.h"

    .section .text.start, "ax"
    .globl _start
_start:
    xorl %ebp, %ebp
    movl (%esp), %eax           /* argc */
    leal 4(%esp), %edx          /* argv */
    andl $-16, %esp
    subl $8, %esp
    pushl %edx
    pushl %eax
    call __libc_start
    hlt                         /* not reached */

    .text
    .globl __clone
__clone:
    pushl %ebx
    pushl %esi
    pushl %edi
    movl 16(%esp), %ebx         /* flags */
    movl 20(%esp), %ecx         /* the child's stack */
    movl 24(%esp), %edi         /* tls: clone's 5th argument */
    movl 28(%esp), %eax
    movl %eax, -4(%ecx)         /* fn, for the child */
    movl 32(%esp), %eax
    movl %eax, -8(%ecx)         /* arg, for the child */
    subl $8, %ecx
    xorl %edx, %edx             /* parent_tid */
    xorl %esi, %esi             /* child_tid */
    movl $__NR_clone, %eax
    int $0x80
    testl %eax, %eax
    jnz 1f                      /* the parent, or an error */
    xorl %ebp, %ebp             /* the child, on its own stack: [ESP] = arg, fn */
    call *4(%esp)               /* fn(arg) */
    movl %eax, %ebx
    movl $__NR_exit, %eax
    int $0x80
1:  popl %edi
    popl %esi
    popl %ebx
    ret

    .section .note.GNU-stack, "", @progbits
