/* The Linux 2.6 x86-64 model's first return of a new task (switch=linux26,
 * arch/x86/include/switch_to_linux26.h). */
#include "switch_to.h"

    .text
/* void ret_from_fork_linux26(void): where thread_return jumps when TIF_FORK
 * was set, the first time a task runs.
 *   RAX = RDI = the task this CPU ran before (__switch_to's return value)
 *   RSP = thread.sp as copy_thread() set it: the task's fork_frame, whose
 *         inactive_task_frame part holds the kernel thread's function in bx
 *         and its argument in r12 (both 0 for a task forked from user mode)
 * 2.6 kept those in pt_regs; this kernel's ret_from_fork takes them in RBX and
 * R12 with RSP at the pt_regs, so load them and step over the frame. RBP and
 * RFLAGS are not restored: SAVE_CONTEXT never ran on this stack, and
 * ret_from_fork starts a fresh frame chain and enables interrupts itself. */
    .globl ret_from_fork_linux26
    .type ret_from_fork_linux26, @function
ret_from_fork_linux26:
    movq FRAME_bx(%rsp), %rbx               /* kernel thread: fn */
    movq FRAME_r12(%rsp), %r12              /* its argument */
    xorl %ebp, %ebp                         /* the outermost frame */
    addq $FRAME_SIZE, %rsp                  /* RSP = &fork_frame->regs */
    jmp ret_from_fork
    .size ret_from_fork_linux26, . - ret_from_fork_linux26

    .section .note.GNU-stack, "", @progbits
