/* The xv6 model's context switch (switch=xv6; xv6: swtch.S), include/sched_xv6.h. */
#include "sched_xv6.h"

/* gcc writes the C files' unwind tables to .debug_frame
 * (-fno-asynchronous-unwind-tables); these go beside them. */
    .cfi_sections .debug_frame

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
 * the pushes below complete the struct context, from rbp down to r15. Both
 * stacks hold a struct context at RSP while RSP is switched, so the unwind
 * rules take a debugger stopped in here into whichever side's caller the
 * CPU's stack belongs to. */
    .globl swtch
    .type swtch, @function
swtch:
    .cfi_startproc
    pushq %rbp                              /* context->rbp */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    pushq %rbx                              /* context->rbx */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    pushq %r12                              /* context->r12 */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r12, 0
    pushq %r13                              /* context->r13 */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r13, 0
    pushq %r14                              /* context->r14 */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r14, 0
    pushq %r15                              /* context->r15 */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r15, 0

    movq %rsp, (%rdi)                       /* *old = this context */
    movq %rsi, %rsp                         /* now on new's stack */

    popq %r15                               /* context->r15 */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r15
    popq %r14                               /* context->r14 */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r14
    popq %r13                               /* context->r13 */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r13
    popq %r12                               /* context->r12 */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r12
    popq %rbx                               /* context->rbx */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbx
    popq %rbp                               /* context->rbp */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbp
    movq %rdx, %rax                         /* last */
    ret                                     /* pops context->rip */
    .cfi_endproc
    .size swtch, . - swtch

    .section .note.GNU-stack, "", @progbits
