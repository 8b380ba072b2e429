/* Kernel entry and exit: system calls, exceptions and interrupts
 * (Linux: arch/x86/entry/entry_64.S).
 *
 * Every entry from user mode builds a struct pt_regs (ptrace.h) at the top of
 * the current task's kernel stack and every exit to user mode pops it, so the
 * user registers of a task that is not running are always in task_pt_regs().
 * An entry from the kernel builds the same struct on the current stack.
 *
 * GS: user mode has its own GS base; the kernel's (the per-CPU area) waits in
 * IA32_KERNEL_GS_BASE. SWAPGS exchanges them, exactly once on every entry from
 * ring 3 and once on every return to it. An entry from the kernel must not
 * swap (it would give the kernel the user's GS), so the exception and
 * interrupt entries look at the saved CS first. The paranoid entries (NMI and
 * #DF, which can arrive between an entry's first instruction and its SWAPGS)
 * read IA32_GS_BASE instead, as Linux's paranoid_entry does. */
#include "irq_vectors.h"
#include "lab.h"
#include "percpu.h"
#include "processor.h"
#include "ptrace.h"
#include "segment.h"

#define ENOSYS 38

/* Pushes the general registers below the orig_ax slot, completing struct
 * pt_regs; RSP then points at pt_regs->r15. */
.macro PUSH_REGS rax=%rax
    pushq %rdi                      /* pt_regs->di */
    pushq %rsi                      /* pt_regs->si */
    pushq %rdx                      /* pt_regs->dx */
    pushq %rcx                      /* pt_regs->cx */
    pushq \rax                      /* pt_regs->ax */
    pushq %r8                       /* pt_regs->r8 */
    pushq %r9                       /* pt_regs->r9 */
    pushq %r10                      /* pt_regs->r10 */
    pushq %r11                      /* pt_regs->r11 */
    pushq %rbx                      /* pt_regs->bx */
    pushq %rbp                      /* pt_regs->bp */
    pushq %r12                      /* pt_regs->r12 */
    pushq %r13                      /* pt_regs->r13 */
    pushq %r14                      /* pt_regs->r14 */
    pushq %r15                      /* pt_regs->r15 */
.endm

/* The reverse: leaves RSP at pt_regs->orig_ax. */
.macro POP_REGS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rax
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
.endm

    .text
/* ------------------------------------------------------------------ */
/* entry_SYSCALL_64: the SYSCALL instruction lands here (IA32_LSTAR).
 *   RAX = system call number; RDI, RSI, RDX, R10, R8, R9 = arguments;
 *   RCX = user RIP to return to; R11 = user RFLAGS;
 *   RSP = still the user stack (SYSCALL does not switch stacks);
 *   GS base = still the user's; RFLAGS.IF = 0 (IA32_FMASK clears IF, TF, DF, AC).
 * Switches to current's kernel stack, builds pt_regs, and calls
 * do_syscall_64(regs, nr), which runs the call, handles pending work
 * (rescheduling, the FPU load) and returns with interrupts disabled and true
 * when SYSRETQ may return (pt_regs->cx == ip, r11 == flags, ...), false when
 * only IRETQ can restore pt_regs as they are (after execve, for a new task). */
    .globl entry_SYSCALL_64
    .type entry_SYSCALL_64, @function
entry_SYSCALL_64:
    swapgs                                  /* GS base: this CPU's per-CPU area */
    movq %rsp, %gs:PCPU_user_rsp_scratch    /* park the user RSP */
    movq %gs:PCPU_top_of_stack, %rsp        /* current's kernel stack */
    pushq $__USER_DS                        /* pt_regs->ss */
    pushq %gs:PCPU_user_rsp_scratch         /* pt_regs->sp */
    pushq %r11                              /* pt_regs->flags */
    pushq $__USER_CS                        /* pt_regs->cs */
    pushq %rcx                              /* pt_regs->ip */
    pushq %rax                              /* pt_regs->orig_ax: the call number */
    PUSH_REGS rax=$-ENOSYS                  /* pt_regs->ax: the result so far */
    movq %rsp, %rdi                         /* do_syscall_64(regs, ... */
    movslq %eax, %rsi                       /*               nr) */
    call do_syscall_64
    testb %al, %al
    jz swapgs_restore_regs_and_return_to_usermode
    /* SYSRETQ: RIP = RCX, RFLAGS = R11, CS/SS from IA32_STAR. pt_regs->cx and
     * ->r11 hold the same values as ->ip and ->flags (checked in C). */
    POP_REGS
    movq PTREGS_SP - PTREGS_ORIG_AX(%rsp), %rsp /* the user stack */
    swapgs                                  /* GS base: the user's */
    sysretq
    .size entry_SYSCALL_64, . - entry_SYSCALL_64

/* void entry_SYSCALL_compat(void): SYSCALL from 32-bit code (IA32_CSTAR).
 * There is no 32-bit user mode here: fail the call (EAX = -ENOSYS) and
 * SYSRETL straight back, as Linux's ignore_sysret does. Saves nothing. */
    .globl entry_SYSCALL_compat
entry_SYSCALL_compat:
    movl $-ENOSYS, %eax
    sysretl

/* void swapgs_restore_regs_and_return_to_usermode(void), jumped to with
 * RSP = a pt_regs for ring 3, interrupts disabled, the kernel's GS base.
 * Pops every register from it, swaps to the user's GS base and IRETQs. */
    .globl swapgs_restore_regs_and_return_to_usermode
swapgs_restore_regs_and_return_to_usermode:
    POP_REGS
    addq $8, %rsp                           /* pt_regs->orig_ax */
    swapgs                                  /* GS base: the user's */
    iretq                                   /* pops ip, cs, flags, sp, ss */

/* ------------------------------------------------------------------ */
/* void ret_from_fork(void): the ret_addr of every new task's fork_frame
 * (copy_thread), reached by __switch_to's `ret` the first time the task runs.
 *   RAX = the task this CPU ran before (__switch_to's return value)
 *   RBX = kernel thread function, or 0 for a task forked from user mode
 *   R12 = its argument
 *   RSP = &fork_frame->regs, the pt_regs at the top of the stack
 * A forked task returns to user mode through those pt_regs with RAX = 0 (its
 * fork() result). A kernel thread calls fn(arg); if fn returns, it either
 * exec'd a user program (then it leaves to user mode like a forked task) or it
 * is done (kthread_returned() calls do_exit). */
    .globl ret_from_fork
    .type ret_from_fork, @function
ret_from_fork:
    movq %rax, %rdi
    call schedule_tail                      /* finish_task_switch(prev), IRQs on */
    testq %rbx, %rbx
    jnz 1f
2:  movq %rsp, %rdi
    call syscall_exit_to_user_mode          /* returns with IRQs off */
    jmp swapgs_restore_regs_and_return_to_usermode
1:  movq %r12, %rdi
    call *%rbx                              /* fn(arg) */
    movq %rax, %rdi
    call kthread_returned                   /* only returns after kernel_execve() */
    movq $0, PTREGS_AX(%rsp)                /* execve() returns 0 in the new program */
    jmp 2b
    .size ret_from_fork, . - ret_from_fork

/* ------------------------------------------------------------------ */
/* Exceptions. Each idtentry stub makes the frame uniform (a -1 in the orig_ax
 * slot when the CPU pushed no error code), swaps GS when the exception came
 * from ring 3, completes pt_regs and calls
 *     void cfunc(struct pt_regs *regs, unsigned long error_code);
 * then leaves through error_return. */
.macro idtentry asmsym cfunc has_error_code
    .globl \asmsym
    .type \asmsym, @function
\asmsym:
    .if \has_error_code == 0
    pushq $-1                               /* pt_regs->orig_ax: no error code */
    .endif                                  /* else: the CPU pushed it there */
    testb $3, PTREGS_CS - PTREGS_ORIG_AX(%rsp) /* from ring 3? */
    jz 1f
    swapgs
1:  PUSH_REGS
    movq %rsp, %rdi
    movq PTREGS_ORIG_AX(%rsp), %rsi
    call \cfunc
    jmp error_return
    .size \asmsym, . - \asmsym
.endm

/* NMI and #DF: on their own IST stacks, possibly with the user GS base live
 * even though CS says ring 0. EBX remembers whether we swapped. */
.macro idtentry_paranoid asmsym cfunc has_error_code
    .globl \asmsym
    .type \asmsym, @function
\asmsym:
    .if \has_error_code == 0
    pushq $-1                               /* pt_regs->orig_ax */
    .endif
    PUSH_REGS
    movl $MSR_GS_BASE, %ecx
    rdmsr
    xorl %ebx, %ebx
    testl %edx, %edx                        /* kernel addresses are negative */
    js 1f
    swapgs
    movl $1, %ebx
1:  movq %rsp, %rdi
    movq PTREGS_ORIG_AX(%rsp), %rsi
    call \cfunc
    testl %ebx, %ebx
    jz 2f
    swapgs
2:  POP_REGS
    addq $8, %rsp
    iretq
    .size \asmsym, . - \asmsym
.endm

idtentry asm_exc_divide_error          exc_divide_error          0
idtentry asm_exc_debug                 exc_debug                 0
idtentry_paranoid asm_exc_nmi          exc_nmi                   0
idtentry asm_exc_int3                  exc_int3                  0
idtentry asm_exc_overflow              exc_overflow              0
idtentry asm_exc_bounds                exc_bounds                0
idtentry asm_exc_invalid_op            exc_invalid_op            0
idtentry asm_exc_device_not_available  exc_device_not_available  0
idtentry_paranoid asm_exc_double_fault exc_double_fault          1
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

/* void error_return(void), jumped to with RSP = the pt_regs of an exception
 * or interrupt. irqentry_exit(regs) does the work due before returning (to
 * user: rescheduling, the FPU load; to the kernel: preemption) and returns
 * with interrupts disabled; then the registers are popped and IRETQ returns,
 * through swapgs_restore_regs_and_return_to_usermode when CS is ring 3. */
error_return:
    movq %rsp, %rdi
    call irqentry_exit
    testb $3, PTREGS_CS(%rsp)
    jnz swapgs_restore_regs_and_return_to_usermode
    POP_REGS
    addq $8, %rsp                           /* pt_regs->orig_ax */
    iretq

/* ------------------------------------------------------------------ */
/* External interrupts, vectors 0x20-0xff: stub n pushes n into the orig_ax
 * slot and enters common_interrupt, which calls do_IRQ(regs). The stubs are
 * 16 bytes apart, so the IDT entry of vector v is irq_entries_start + (v - 0x20) * 16.
 *   void common_interrupt(void): RSP = the hardware frame below the vector;
 *   swaps GS if the interrupt came from ring 3, completes pt_regs (every
 *   register is saved: the interrupted code expects all of them back). */
    .balign 16
    .globl irq_entries_start
irq_entries_start:
    .set vector, FIRST_EXTERNAL_VECTOR
    .rept 256 - FIRST_EXTERNAL_VECTOR
    .balign 16
    .byte 0x68                              /* pushq imm32: pt_regs->orig_ax = vector */
    .long vector
    jmp common_interrupt
    .set vector, vector + 1
    .endr

common_interrupt:
    testb $3, PTREGS_CS - PTREGS_ORIG_AX(%rsp)
    jz 1f
    testl $LAB_BREAK_SWAPGS, lab_breaks(%rip) /* --append break=swapgs: forget it */
    jnz 1f
    swapgs
1:  PUSH_REGS
    movq %rsp, %rdi
    call do_IRQ
    jmp error_return

    .section .note.GNU-stack, "", @progbits
