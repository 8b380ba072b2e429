/* The context switch itself (Linux: __switch_to_asm in arch/x86/entry/entry_64.S). */
#include "lab.h"
#include "percpu.h"
#include "sched.h"
#include "switch_to.h"

#define RSB_CLEAR_LOOPS 32 /* enough to overwrite every return-stack-buffer entry */

/* gcc writes the C files' unwind tables to .debug_frame
 * (-fno-asynchronous-unwind-tables); these go beside them. */
    .cfi_sections .debug_frame

    .text
/* struct task_struct *__switch_to_asm(struct task_struct *prev, struct task_struct *next)
 *
 * Called from context_switch() (inlined in __schedule()) on prev's kernel
 * stack, with interrupts disabled and this CPU's run queue locked.
 *   RDI = prev, RSI = next: left untouched for __switch_to(prev, next).
 * Saves prev's callee-saved registers on prev's stack as a struct
 * inactive_task_frame, whose ret_addr is the return address the call to this
 * routine pushed; saves RSP in prev->thread.sp; loads next->thread.sp, which
 * points at the inactive_task_frame next saved when it switched away (or that
 * copy_thread() built); loads next's stack canary; pops next's registers and
 * jumps to __switch_to. __switch_to's final `ret` then pops next's ret_addr:
 * next resumes after its own call to __switch_to_asm, or in ret_from_fork.
 * The value returned, in RAX, is __switch_to's: prev.
 * Its unwind rules (CFI) say where each push went: since both stacks hold an
 * inactive_task_frame at RSP while RSP is switched, a debugger stopped in here
 * unwinds into whichever task's __schedule the CPU's stack belongs to. */
    .globl __switch_to_asm
    .type __switch_to_asm, @function
__switch_to_asm:
    .cfi_startproc
    /* Save callee-saved registers; the order must match struct inactive_task_frame. */
    pushq %rbp                              /* inactive_task_frame->bp */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    pushq %rbx                              /* inactive_task_frame->bx */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    pushq %r12                              /* inactive_task_frame->r12 */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r12, 0
    pushq %r13                              /* inactive_task_frame->r13 */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r13, 0
    pushq %r14                              /* inactive_task_frame->r14 */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r14, 0
    pushq %r15                              /* inactive_task_frame->r15 */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r15, 0

    /* Switch stacks. */
    movq %rsp, TASK_threadsp(%rdi)          /* prev->thread.sp */
    movq TASK_threadsp(%rsi), %rsp          /* next->thread.sp: now on next's stack */

    /* gcc's -fstack-protector code compares against %gs:40: give it next's canary. */
    movq TASK_stack_canary(%rsi), %rbx
    testl $LAB_BREAK_CANARY, lab_breaks(%rip) /* --append break=canary: skip it */
    jnz 7f
    movq %rbx, %gs:PCPU_stack_canary
7:

    /* --append rsb_fill: overwrite the return stack buffer, so that no `ret`
     * on next's (deeper) stack is predicted from prev's call history. Linux
     * does this when X86_FEATURE_RSB_CTXSW is set (FILL_RETURN_BUFFER). Each
     * call pushes one RSB entry whose target is a speculation trap that only
     * a mispredicted return would ever reach. */
    cmpb $0, sched_rsb_fill(%rip)
    je 3f
    movl $(RSB_CLEAR_LOOPS / 2), %r12d
1:  call 2f
    .cfi_adjust_cfa_offset 8                /* (from the trap below to 5:) */
4:  pause                                   /* speculation trap */
    lfence
    jmp 4b
2:  call 5f
    .cfi_adjust_cfa_offset 8
6:  pause                                   /* speculation trap */
    lfence
    jmp 6b
5:  addq $16, %rsp                          /* drop the two return addresses */
    .cfi_adjust_cfa_offset -16
    decl %r12d
    jnz 1b
    lfence
3:
    /* Restore next's callee-saved registers. */
    popq %r15                               /* inactive_task_frame->r15 */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r15
    popq %r14                               /* inactive_task_frame->r14 */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r14
    popq %r13                               /* inactive_task_frame->r13 */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r13
    popq %r12                               /* inactive_task_frame->r12 */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r12
    popq %rbx                               /* inactive_task_frame->bx */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbx
    popq %rbp                               /* inactive_task_frame->bp */
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbp
    /* RSP -> next's inactive_task_frame->ret_addr */
    jmp __switch_to
    .cfi_endproc
    .size __switch_to_asm, . - __switch_to_asm

    .section .note.GNU-stack, "", @progbits
