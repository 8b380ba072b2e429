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
 * thread_return and linux26_switch_to (the start of the statement, prev in
 * RDI and next in RSI: where a debugger sees a switch begin) are global
 * symbols with a type and a size, so a symbol lookup of the rest of
 * __schedule still says __schedule. */
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
#define LINUX26_RESTORE_CONTEXT "movq %%rbp, %%rsi\n\tpopq %%rbp\n\tpopfq\n\t"

#define switch_to_linux26(prev, next, last)                                                         \
    do {                                                                                            \
        struct task_struct *__prev = (prev), *__next = (next);                                     \
        __asm__ volatile(".globl linux26_switch_to\n\t"                                             \
                         ".type linux26_switch_to, @function\n"                                     \
                         "linux26_switch_to:\n\t" LINUX26_SAVE_CONTEXT                              \
                         "movq %%rsp, " LINUX26_STR(TASK_threadsp) "(%%rdi)\n\t" /* save RSP */    \
                         "movq " LINUX26_STR(TASK_threadsp) "(%%rsi), %%rsp\n\t" /* restore RSP */ \
                         "movq " LINUX26_STR(TASK_stack_canary) "(%%rsi), %%r8\n\t"                 \
                         "movq %%r8, %%gs:" LINUX26_STR(PCPU_stack_canary) "\n\t"                   \
                         "call __switch_to\n\t"                                                     \
                         ".size linux26_switch_to, . - linux26_switch_to\n\t"                       \
                         ".globl thread_return\n\t"                                                 \
                         ".type thread_return, @function\n"                                         \
                         "thread_return:\n\t"                                                       \
                         "movq %%gs:" LINUX26_STR(PCPU_current_task) ", %%rsi\n\t"                  \
                         "lock btrq $" LINUX26_STR(TIF_FORK) ", (%%rsi)\n\t" /* thread_info.flags */ \
                         "movq %%rax, %%rdi\n\t"                                                    \
                         "jc ret_from_fork_linux26\n\t" LINUX26_RESTORE_CONTEXT                     \
                         ".size thread_return, . - thread_return\n\t"                               \
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
