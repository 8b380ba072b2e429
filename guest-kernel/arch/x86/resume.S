/* The Solaris model's context switch (switch=solaris; illumos:
 * uts/intel/ia32/ml/swtch.s), include/label.h. */
#include "label.h"
#include "percpu.h"
#include "sched.h"

/* Save the non-volatile registers other than RSP in the label_t at \lbl,
 * then make a frame (so the stack shows a call of resume()), and save RSP
 * and the resume address \retaddr. */
.macro SAVE_REGS lbl, retaddr
    movq %rbp, LABEL_RBP(\lbl)
    movq %rbx, LABEL_RBX(\lbl)
    movq %r12, LABEL_R12(\lbl)
    movq %r13, LABEL_R13(\lbl)
    movq %r14, LABEL_R14(\lbl)
    movq %r15, LABEL_R15(\lbl)
    pushq %rbp                              /* the frame tracebacks start from */
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    movq %rsp, %rbp
    movq %rsp, LABEL_SP(\lbl)
    movq \retaddr, LABEL_PC(\lbl)
.endm

/* Reload the non-volatile registers other than RSP (already loaded from the
 * label_t) from the label_t of the thread this CPU now runs; \scratch ends
 * up pointing at that label_t. */
.macro RESTORE_REGS scratch
    movq %gs:PCPU_current_task, \scratch
    leaq TASK_label(\scratch), \scratch
    movq LABEL_RBP(\scratch), %rbp
    movq LABEL_RBX(\scratch), %rbx
    movq LABEL_R12(\scratch), %r12
    movq LABEL_R13(\scratch), %r13
    movq LABEL_R14(\scratch), %r14
    movq LABEL_R15(\scratch), %r15
.endm

/* Unwind rules once on t's stack: t's non-volatile registers are in its
 * label_t until RESTORE_REGS loads them, not in the registers (which hold
 * prev's, or scratch values), so a debugger says "not saved" rather than show
 * prev's values as t's caller's. RBP's rule (the SAVE_REGS frame) holds. */
.macro UNSAVED_UNTIL_RESTORE_REGS
    .cfi_undefined %rbx
    .cfi_undefined %r12
    .cfi_undefined %r13
    .cfi_undefined %r14
    .cfi_undefined %r15
.endm
.macro SAVED_AGAIN
    .cfi_same_value %rbx
    .cfi_same_value %r12
    .cfi_same_value %r13
    .cfi_same_value %r14
    .cfi_same_value %r15
.endm

    /* gcc writes the C files' unwind tables to .debug_frame
     * (-fno-asynchronous-unwind-tables); these go beside them. */
    .cfi_sections .debug_frame
    /* With the scheduler's code, like Solaris' swtch.s: a debugger's "is this
     * task in the scheduler" covers resume_return. */
    .section .sched.text, "ax"
/* struct task_struct *resume(struct task_struct *prev, struct task_struct *t)
 *
 * Called from context_switch() on prev's stack, interrupts off, the run
 * queue locked, t's address space loaded. RDI = prev (Solaris takes it from
 * curthread), RSI = t. Saves prev in its label_t with resume_return as the PC,
 * runs t. Returns (through resume_return) when some CPU resumes prev, with
 * RAX = the thread that CPU ran before. Both stacks hold SAVE_REGS' frame at
 * RSP while RSP is switched: the unwind rules (CFA = RSP + 16) take a
 * debugger stopped in here into whichever thread's caller the CPU's stack
 * belongs to. */
    .globl resume
    .type resume, @function
resume:
    .cfi_startproc
    leaq resume_return(%rip), %r11
    leaq TASK_label(%rdi), %rax
    SAVE_REGS %rax, %r11
    movq %rdi, %r13                         /* prev: r12/r13 are saved, free */
    movq %rsi, %r12                         /* t */
    .cfi_undefined %r12                     /* (in the label_t, not in a register) */
    .cfi_undefined %r13
    leaq TASK_label(%r12), %r11
    movq LABEL_SP(%r11), %rsp               /* switch to t's stack */
    UNSAVED_UNTIL_RESTORE_REGS
    movq TASK_stack_canary(%r12), %rbx      /* and to its stack canary */
    movq %rbx, %gs:PCPU_stack_canary
    movq %r13, %rdi
    movq %r12, %rsi
    call __switch_to                        /* current = t, TSS.RSP0, FS/GS, FPU; RAX = prev */
    RESTORE_REGS %r11
    SAVED_AGAIN
    pushq LABEL_PC(%r11)                    /* the return address for spl0() */
    .cfi_adjust_cfa_offset 8
    jmp spl0
    .cfi_endproc
    .size resume, . - resume

/* Where a thread that switched out through resume() continues: spl0's ret
 * lands here with RSP = label.sp. Remove the frame SAVE_REGS made (RBP is
 * already the caller's, from the label_t) and return from resume(). Its
 * unwind rules say where that frame is, so that a debugger's backtrace of a
 * sleeping thread goes from here to resume()'s caller. */
    .globl resume_return
    .type resume_return, @function
resume_return:
    .cfi_startproc
    .cfi_def_cfa %rsp, 16                   /* [label.sp + 8]: the return into resume()'s caller */
    .cfi_offset %rbp, -16                   /* [label.sp]: the caller's RBP */
    addq $8, %rsp
    .cfi_def_cfa_offset 8
    ret
    .cfi_endproc
    .size resume_return, . - resume_return

/* struct task_struct *resume_from_zombie(struct task_struct *prev, struct task_struct *t)
 *
 * resume() for a prev that has exited (TASK_DEAD): nothing of it is saved,
 * since it never runs again. Once on t's stack, and after __switch_to (which
 * may still save prev's FPU registers into its task_struct), prev's kernel
 * stack is freed: nothing runs on it any more. Never returns to prev. */
    .globl resume_from_zombie
    .type resume_from_zombie, @function
resume_from_zombie:
    .cfi_startproc
    movq %rdi, %r13                         /* prev */
    movq %rsi, %r12                         /* t */
    .cfi_undefined %r12
    .cfi_undefined %r13
    leaq TASK_label(%r12), %r11
    movq LABEL_SP(%r11), %rsp               /* switch to t's stack */
    .cfi_def_cfa_offset 16                  /* t's SAVE_REGS frame: its RBP, its return into resume()'s caller */
    .cfi_offset %rbp, -16
    UNSAVED_UNTIL_RESTORE_REGS
    movq TASK_stack_canary(%r12), %rbx
    movq %rbx, %gs:PCPU_stack_canary
    movq %r13, %rdi
    movq %r12, %rsi
    call __switch_to
    movq %rax, %r13                         /* prev, to return */
    movq %rax, %rdi
    call resume_reap_zombie                 /* free prev's stack */
    movq %r13, %rax
    RESTORE_REGS %r11
    SAVED_AGAIN
    pushq LABEL_PC(%r11)
    .cfi_adjust_cfa_offset 8
    jmp spl0
    .cfi_endproc
    .size resume_from_zombie, . - resume_from_zombie

/* int spl0(void) in Solaris: lower the interrupt priority level to 0, with
 * the resumed thread's PC as its return address. Here: the local APIC's task
 * priority (CR8) to 0, so every interrupt class may be delivered once
 * interrupts are enabled again, which finish_task_switch() does after it has
 * released the run queue (not here: the lock is still held). Preserves RAX,
 * the `last` resume returns. */
    .globl spl0
    .type spl0, @function
spl0:
    xorl %ecx, %ecx
    movq %rcx, %cr8
    ret
    .size spl0, . - spl0

    .section .note.GNU-stack, "", @progbits
