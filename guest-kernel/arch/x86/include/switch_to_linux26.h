/* The Linux 2.6 x86-64 switch (switch=linux26; Linux: include/asm-x86_64/system.h
 * of 2.6.11 - 2.6.24), beside today's in switch_to.h.
 *
 * switch_to_linux26(prev, next, last) is one asm statement, inlined into
 * __schedule() through context_switch(). It
 *   - SAVE_CONTEXT: pushes RFLAGS and RBP on prev's stack and keeps next in
 *     RBP (callee-saved, so it survives the call below);
 *   - saves RSP in prev->thread.sp and loads next->thread.sp: from here on
 *     the CPU is on next's stack; loads next's stack canary (2.6.2x added
 *     that, for -fstack-protector);
 *   - calls __switch_to(prev, next) *on next's stack*: the return address the
 *     call pushes, thread_return, lands on next's stack, and is popped by
 *     __switch_to's ret at once. No switched-out stack ever holds it;
 *   - thread_return: if the task never ran
 *     (TIF_FORK, set by copy_thread) jumps to ret_from_fork_linux26;
 *   - RESTORE_CONTEXT: pops RBP and RFLAGS.
 * Every other register is declared clobbered, so gcc saves what it needs in
 * __schedule's own frame. So a switched-out task has at thread.sp just
 *     [thread.sp]      rbp     (its __schedule's frame pointer)
 *     [thread.sp + 8]  rflags
 * and resumes at thread_return, the same address for every task: which is
 * why the crash utility's `bt` starts every sleeping task there (it cannot
 * read a saved RIP because thread_struct has none).
 *
 * The statement is a jump to its instructions, which jump back to its end:
 * they sit out of line, in subsection 1 of __schedule's section (after the
 * functions of sched.c, before __sched_text_end), as two
 * routines with their own symbols, sizes and unwind rules: linux26_switch_to
 * (the start, prev in RDI and next in RSI: where a debugger sees a switch
 * begin) and thread_return. In 2.6 they were inline and thread_return a label
 * inside schedule(): crash named it by its symbol, while gdb, going by the
 * DWARF of schedule(), said schedule. Out of __schedule's DWARF range, gdb
 * names thread_return as crash does, and the unwind rules below take it on to
 * __schedule()'s caller. The CPU runs two jumps more than 2.6 did. */
#ifndef _SWITCH_TO_LINUX26_H
#define _SWITCH_TO_LINUX26_H

#define TIF_FORK 18 /* 2.6: "ret_from_fork" is still to come (Linux's number) */

#define LINUX26_CTX_bp 0    /* SAVE_CONTEXT's pushes, at thread.sp */
#define LINUX26_CTX_flags 8
#define LINUX26_CTX_SIZE 16

#ifndef __ASSEMBLER__
#include "percpu.h"
#include "sched.h"

#define __LINUX26_STR(x) #x
#define LINUX26_STR(x) __LINUX26_STR(x)

#define LINUX26_SAVE_CONTEXT "pushfq\n\tpushq %%rbp\n\tmovq %%rsi, %%rbp\n\t"
/* (RESTORE_CONTEXT is `movq %rbp, %rsi; popq %rbp; popfq`, in the statement
 * with the unwind rule that changes after its pop.) */

/* Unwind rules (DWARF CFI) for the out-of-line instructions, which run in
 * __schedule()'s frame: gcc's frame pointer, then the pushes of its prologue
 * (every callee-saved register: the statement clobbers them all), at these
 * offsets from its CFA. The ctest guest_linux26_cfi checks them against gcc's
 * own table for __schedule (readelf) at the jump to linux26_switch_to. */
#define LINUX26_CFI_SCHEDULE_SAVES                                                                  \
    ".cfi_offset %%rbp, -16\n\t.cfi_offset %%r15, -24\n\t.cfi_offset %%r14, -32\n\t"              \
    ".cfi_offset %%r13, -40\n\t.cfi_offset %%r12, -48\n\t.cfi_offset %%rbx, -56\n\t"
/* Between SAVE_CONTEXT's `movq %rsi, %rbp` and RESTORE_CONTEXT's `popq %rbp`,
 * __schedule()'s frame pointer is the word at RSP: CFA = [RSP] + 16. Unless
 * that word is 0: RSP is then a never-run task's fork_frame (copy_thread()
 * zeroes its first word; no frame pointer is 0), and CFA = RSP + 8, so that
 * the return address reads as that 0 and a backtrace ends there.
 * DW_CFA_def_cfa_expression, 15 bytes: DW_OP_breg7 (rsp) 0, DW_OP_deref,
 * DW_OP_dup, DW_OP_bra +6, DW_OP_drop, DW_OP_breg7 8, DW_OP_skip +2,
 * DW_OP_plus_uconst 16. */
#define LINUX26_CFI_CFA_SAVED_RBP                                                                   \
    ".cfi_escape 0x0f, 15, 0x77, 0x00, 0x06, 0x12, 0x28, 0x06, 0x00, 0x13, 0x77, 0x08, 0x2f, "     \
    "0x02, 0x00, 0x23, 0x10\n\t"

#define switch_to_linux26(prev, next, last)                                                         \
    do {                                                                                            \
        struct task_struct *__prev = (prev), *__next = (next);                                     \
        __asm__ volatile("jmp linux26_switch_to\n\t"                                                \
                         ".pushsection .sched.text, 1\n\t"                                          \
                         ".globl linux26_switch_to\n\t"                                             \
                         ".type linux26_switch_to, @function\n"                                     \
                         "linux26_switch_to:\n\t"                                                   \
                         ".cfi_startproc\n\t"                                                       \
                         ".cfi_def_cfa %%rbp, 16\n\t" LINUX26_CFI_SCHEDULE_SAVES                    \
                         LINUX26_SAVE_CONTEXT LINUX26_CFI_CFA_SAVED_RBP                             \
                         "movq %%rsp, " LINUX26_STR(TASK_threadsp) "(%%rdi)\n\t" /* save RSP */    \
                         "movq " LINUX26_STR(TASK_threadsp) "(%%rsi), %%rsp\n\t" /* restore RSP */ \
                         "movq " LINUX26_STR(TASK_stack_canary) "(%%rsi), %%r8\n\t"                 \
                         "movq %%r8, %%gs:" LINUX26_STR(PCPU_stack_canary) "\n\t"                   \
                         "call __switch_to\n\t"                                                     \
                         ".cfi_endproc\n\t"                                                         \
                         ".size linux26_switch_to, . - linux26_switch_to\n\t"                       \
                         ".globl thread_return\n\t"                                                 \
                         ".type thread_return, @function\n"                                         \
                         "thread_return:\n\t"                                                       \
                         ".cfi_startproc\n\t" LINUX26_CFI_CFA_SAVED_RBP LINUX26_CFI_SCHEDULE_SAVES  \
                         "movq %%gs:" LINUX26_STR(PCPU_current_task) ", %%rsi\n\t"                  \
                         "lock btrq $" LINUX26_STR(TIF_FORK) ", (%%rsi)\n\t" /* thread_info.flags */ \
                         "movq %%rax, %%rdi\n\t"                                                    \
                         "jc ret_from_fork_linux26\n\t"                                             \
                         "movq %%rbp, %%rsi\n\t" /* RESTORE_CONTEXT */                              \
                         "popq %%rbp\n\t"                                                           \
                         ".cfi_def_cfa %%rbp, 16\n\t"                                               \
                         "popfq\n\t"                                                                \
                         "jmp 1f\n\t" /* back to the statement's end */                            \
                         ".cfi_endproc\n\t"                                                         \
                         ".size thread_return, . - thread_return\n\t"                               \
                         ".popsection\n"                                                            \
                         "1:"                                                                       \
                         : "=a"(last), "+S"(__next), "+D"(__prev)                                   \
                         :                                                                          \
                         : "memory", "cc", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12",    \
                           "r13", "r14", "r15");                                                    \
    } while (0)

/* arch/x86/switch_to_linux26.S: a new task's first thread_return goes here. */
void ret_from_fork_linux26(void);
extern char linux26_switch_to[], thread_return[];
/* copy_thread(): the 2.6 part of a new task's first frames. */
void copy_thread_linux26(struct task_struct *p);
#endif
#endif
