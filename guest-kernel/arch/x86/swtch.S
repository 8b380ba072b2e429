/* The xv6 model's context switch (switch=xv6; xv6: swtch.S), include/sched_xv6.h. */
#include "sched_xv6.h"

    .text
/* struct task_struct *swtch(struct context **old, struct context *new,
 *                           struct task_struct *last)
 *
 * Called by sched() on a task's stack (old = &prev->thread.sp, new = its
 * CPU's scheduler context) and by scheduler() on the scheduler's stack
 * (old = &xv6_cpus[n].scheduler, new = next's context), interrupts off.
 *   RDI = old, RSI = new, RDX = last: returned in RAX.
 * Only the callee-saved registers need saving: both sides are inside a call
 * to swtch, so the caller-saved ones are dead. The call pushed context.rip;
 * the pushes below complete the struct context, from rbp down to r15. */
    .globl swtch
    .type swtch, @function
swtch:
    pushq %rbp                              /* context->rbp */
    pushq %rbx                              /* context->rbx */
    pushq %r12                              /* context->r12 */
    pushq %r13                              /* context->r13 */
    pushq %r14                              /* context->r14 */
    pushq %r15                              /* context->r15 */

    movq %rsp, (%rdi)                       /* *old = this context */
    movq %rsi, %rsp                         /* now on new's stack */

    popq %r15                               /* context->r15 */
    popq %r14                               /* context->r14 */
    popq %r13                               /* context->r13 */
    popq %r12                               /* context->r12 */
    popq %rbx                               /* context->rbx */
    popq %rbp                               /* context->rbp */
    movq %rdx, %rax                         /* last */
    ret                                     /* pops context->rip */
    .size swtch, . - swtch

    .section .note.GNU-stack, "", @progbits
