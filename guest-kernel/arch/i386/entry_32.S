/* Kernel entry and exit of the i386 build: int $0x80 system calls,
 * exceptions and interrupts (Linux: arch/x86/entry/entry_32.S).
 *
 * Every entry builds a struct pt_regs (arch/i386/include/ptrace.h) below the
 * hardware frame: on an entry from ring 3 the CPU has switched to SS0:ESP0
 * from the TSS, the top of the current task's kernel stack, so the user
 * registers of a task that is not running are always in task_pt_regs(). An
 * entry from the kernel builds the same struct on the current stack, without
 * sp and ss (the CPU pushes those only on a privilege change).
 *
 * Segments: the kernel runs with DS = ES = __USER_DS (flat, as Linux i386),
 * FS = __KERNEL_PERCPU (the per-CPU area: `current`, the canary at %fs:20) and
 * the user's GS (its TLS selector, restored on the way out: "lazy GS"). SAVE_ALL
 * saves all four in pt_regs and RESTORE_ALL pops them, so an entry from either
 * ring needs no test of where it came from - the i386 analogue of x86-64's
 * SWAPGS rule is that FS is always reloaded and always restored. */
#include "irq_vectors.h"
#include "lab.h"
#include "percpu.h"
#include "processor.h"
#include "ptrace.h"
#include "segment.h"

/* Below orig_ax (already pushed): the segment and general registers,
 * completing pt_regs; ESP then points at pt_regs->bx. */
.macro SAVE_ALL
    cld
    pushl %gs                       /* pt_regs->gs */
    pushl %fs                       /* pt_regs->fs */
    pushl %es                       /* pt_regs->es */
    pushl %ds                       /* pt_regs->ds */
    pushl %eax                      /* pt_regs->ax */
    pushl %ebp                      /* pt_regs->bp */
    pushl %edi                      /* pt_regs->di */
    pushl %esi                      /* pt_regs->si */
    pushl %edx                      /* pt_regs->dx */
    pushl %ecx                      /* pt_regs->cx */
    pushl %ebx                      /* pt_regs->bx */
    movl $__USER_DS, %edx
    movl %edx, %ds
    movl %edx, %es
    movl $__KERNEL_PERCPU, %edx
    movl %edx, %fs
.endm

/* The reverse, then orig_ax skipped and IRET (pops ip, cs, flags, and sp,
 * ss when the return is to ring 3). */
.macro RESTORE_ALL_AND_IRET
    popl %ebx
    popl %ecx
    popl %edx
    popl %esi
    popl %edi
    popl %ebp
    popl %eax
    popl %ds
    popl %es
    popl %fs
    popl %gs
    addl $4, %esp                   /* pt_regs->orig_ax */
    iret
.endm

    .text
/* ------------------------------------------------------------------ */
/* entry_INT80_32: int $0x80 from ring 3 (an interrupt gate with DPL 3).
 *   EAX = system call number; EBX, ECX, EDX, ESI, EDI, EBP = arguments;
 *   ESP = ESP0 (current's stack top), the CPU pushed SS, ESP, EFLAGS, CS, EIP;
 *   EFLAGS.IF = 0 (interrupt gate).
 * Builds pt_regs and calls do_int80_syscall_32(regs), which runs the call,
 * handles pending work (rescheduling, the FPU load) and returns with
 * interrupts disabled; the result is pt_regs->ax. Always returns with IRET. */
    .globl entry_INT80_32
    .type entry_INT80_32, @function
entry_INT80_32:
    pushl %eax                      /* pt_regs->orig_ax: the call number */
    SAVE_ALL
    pushl %esp                      /* do_int80_syscall_32(regs) */
    call do_int80_syscall_32
    addl $4, %esp
    RESTORE_ALL_AND_IRET
    .size entry_INT80_32, . - entry_INT80_32

/* ------------------------------------------------------------------ */
/* void ret_from_fork(void): the first thread.ip of a task forked from user
 * mode (copy_thread), reached by __switch_to's `ret` the first time it runs,
 * instead of switch_to's `1:`.
 *   EAX = the task this CPU ran before (__switch_to's return value)
 *   ESP = task_pt_regs(): a copy of the parent's, with EAX = 0
 * Finishes the switch (schedule_tail) and returns to user mode. */
    .globl ret_from_fork
    .type ret_from_fork, @function
ret_from_fork:
    pushl %eax
    call schedule_tail              /* finish_task_switch(prev), IRQs on */
    addl $4, %esp
ret_to_user:
    pushl %esp
    call syscall_exit_to_user_mode  /* returns with IRQs off */
    addl $4, %esp
    RESTORE_ALL_AND_IRET
    .size ret_from_fork, . - ret_from_fork

/* void ret_from_kernel_thread(void): the first thread.ip of a kernel thread.
 *   EAX = prev; ESP = its zeroed pt_regs, with EBX = fn and EBP = arg.
 * Calls fn(arg); if fn returns, it either exec'd a user program (then it
 * leaves to user mode like a forked task, execve() returning 0) or it is done
 * (kthread_returned() calls do_exit). */
    .globl ret_from_kernel_thread
    .type ret_from_kernel_thread, @function
ret_from_kernel_thread:
    pushl %eax
    call schedule_tail
    addl $4, %esp
    movl PTREGS_BX(%esp), %ebx      /* fn */
    pushl PTREGS_BP(%esp)           /* arg */
    xorl %ebp, %ebp                 /* the end of the frame-pointer chain */
    call *%ebx
    addl $4, %esp
    pushl %eax
    call kthread_returned           /* only returns after kernel_execve() */
    addl $4, %esp
    movl $0, PTREGS_AX(%esp)
    jmp ret_to_user
    .size ret_from_kernel_thread, . - ret_from_kernel_thread

/* ------------------------------------------------------------------ */
/* Exceptions. Each stub makes the frame uniform (a -1 in the orig_ax slot
 * when the CPU pushed no error code), completes pt_regs and calls
 *     void cfunc(struct pt_regs *regs, unsigned long error_code);
 * then leaves through error_return. */
.macro idtentry asmsym cfunc has_error_code
    .globl \asmsym
    .type \asmsym, @function
\asmsym:
    .if \has_error_code == 0
    pushl $-1                       /* pt_regs->orig_ax: no error code */
    .endif                          /* else: the CPU pushed it there */
    SAVE_ALL
    movl %esp, %eax
    pushl PTREGS_ORIG_AX(%eax)      /* cfunc(regs, */
    pushl %eax                      /*       error_code) */
    call \cfunc
    addl $8, %esp
    jmp error_return
    .size \asmsym, . - \asmsym
.endm

idtentry asm_exc_divide_error          exc_divide_error          0
idtentry asm_exc_debug                 exc_debug                 0
idtentry asm_exc_nmi                   exc_nmi                   0
idtentry asm_exc_int3                  exc_int3                  0
idtentry asm_exc_overflow              exc_overflow              0
idtentry asm_exc_bounds                exc_bounds                0
idtentry asm_exc_invalid_op            exc_invalid_op            0
idtentry asm_exc_device_not_available  exc_device_not_available  0
idtentry asm_exc_double_fault          exc_double_fault          1
idtentry asm_exc_invalid_tss           exc_invalid_tss           1
idtentry asm_exc_segment_not_present   exc_segment_not_present   1
idtentry asm_exc_stack_segment         exc_stack_segment         1
idtentry asm_exc_general_protection    exc_general_protection    1
idtentry asm_exc_page_fault            exc_page_fault            1
idtentry asm_exc_coprocessor_error     exc_coprocessor_error     0
idtentry asm_exc_alignment_check       exc_alignment_check       1
idtentry asm_exc_machine_check         exc_machine_check         0
idtentry asm_exc_simd_coprocessor_error exc_simd_coprocessor_error 0
idtentry asm_exc_reserved              exc_reserved              0

/* void error_return(void), jumped to with ESP = the pt_regs of an exception
 * or interrupt. irqentry_exit(regs) does the work due before returning (to
 * user: rescheduling, the FPU load; to the kernel: preemption) and returns
 * with interrupts disabled; then pt_regs are popped and IRET returns. */
error_return:
    pushl %esp
    call irqentry_exit
    addl $4, %esp
    RESTORE_ALL_AND_IRET

/* ------------------------------------------------------------------ */
/* External interrupts, vectors 0x20-0xff: stub n pushes n into the orig_ax
 * slot and enters common_interrupt, which calls do_IRQ(regs). The stubs are
 * 16 bytes apart, so the IDT entry of vector v is irq_entries_start + (v - 0x20) * 16
 * (vector 0x80's gate points at entry_INT80_32 instead). */
    .balign 16
    .globl irq_entries_start
irq_entries_start:
    .set vector, FIRST_EXTERNAL_VECTOR
    .rept 256 - FIRST_EXTERNAL_VECTOR
    .balign 16
    .byte 0x68                      /* pushl imm32: pt_regs->orig_ax = vector */
    .long vector
    jmp common_interrupt
    .set vector, vector + 1
    .endr
common_interrupt:
    SAVE_ALL
    pushl %esp
    call do_IRQ
    addl $4, %esp
    jmp error_return

    .section .note.GNU-stack, "", @progbits
