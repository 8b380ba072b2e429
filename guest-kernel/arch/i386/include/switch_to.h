/* The i386 context switch: Linux i386's switch_to macro
 * (arch/x86/include/asm/switch_to.h, CONFIG_X86_32, Linux 2.6.x - 4.8),
 * inlined in context_switch() inside __schedule().
 *
 *   pushfl                         prev's EFLAGS, on prev's stack
 *   pushl %ebp                     prev's EBP (the frame pointer)
 *   movl %esp, prev->thread.sp     all that is left of prev: ESP ...
 *   movl next->thread.sp, %esp     from here on, next's stack
 *   movl $1f, prev->thread.ip      ... and EIP: label 1 below
 *   pushl next->thread.ip          where next resumes: its own 1:, or
 *                                  ret_from_fork for a task that never ran
 *   (next's stack canary into %fs:20, Linux's __switch_canary)
 *   jmp __switch_to                regparm(3): EAX = prev, EDX = next; its
 *                                  ret pops what was just pushed
 * 1: popl %ebp                     next's EBP and EFLAGS, pushed when next
 *    popfl                         switched away long ago
 *
 * So a sleeping task's stack holds, at thread.sp, only EBP and EFLAGS
 * (struct inactive_task_frame below), and its resume address is not on the
 * stack at all: it is thread.ip. Every task that slept in __schedule() has the
 * same thread.ip, the address of `1:` (exported as switch_to_resume, for the
 * debugger and the self-tests). The other registers are caller-saved as far
 * as the asm statement is concerned: gcc saves what it needs around it. */
#ifndef _SWITCH_TO_H
#define _SWITCH_TO_H

#define FRAME_bp 0
#define FRAME_flags 4
#define FRAME_SIZE 8

#ifndef __ASSEMBLER__
#include "percpu.h"
#include "ptrace.h"
#include "sched.h"

/* What switch_to left at a sleeping task's thread.sp, from low to high
 * addresses: the reverse of its two pushes. */
struct inactive_task_frame {
    unsigned long bp;    /* pushl %ebp: __schedule's frame pointer */
    unsigned long flags; /* pushfl */
};
ASSERT_OFFSET(struct inactive_task_frame, bp, FRAME_bp);
ASSERT_OFFSET(struct inactive_task_frame, flags, FRAME_flags);
ASSERT_SIZE(struct inactive_task_frame, FRAME_SIZE);

/* process_32.c: the C half of the switch, already on next's stack; regparm(3)
 * because switch_to jumps to it with prev in EAX and next in EDX. */
__attribute__((regparm(3))) struct task_struct *__switch_to(struct task_struct *prev, struct task_struct *next);
/* entry_32.S: where a new task starts (its first thread.ip). */
void ret_from_fork(void);
void ret_from_kernel_thread(void);
/* The `1:` of switch_to, where every switched-out task resumes. */
extern char switch_to_resume[];
/* The pushfl that starts switch_to (the begin of the switch, for debuggers). */
extern char switch_to_i386[];

#define switch_to(prev, next, last)                                                            \
    do {                                                                                       \
        unsigned long ebx, ecx, edx, esi, edi;                                                 \
        __asm__ volatile(".globl switch_to_i386\n"                                             \
                         "switch_to_i386:\n\t"                                                 \
                         "pushfl\n\t"                    /* save flags */                      \
                         "pushl %%ebp\n\t"               /* save EBP */                        \
                         "movl %%esp, %[prev_sp]\n\t"    /* save ESP */                        \
                         "movl %[next_sp], %%esp\n\t"    /* restore ESP */                     \
                         "movl $1f, %[prev_ip]\n\t"      /* save EIP */                        \
                         "pushl %[next_ip]\n\t"          /* restore EIP */                     \
                         "movl %c[task_canary](%[next]), %%ebx\n\t"                            \
                         "movl %%ebx, %%fs:%c[pcpu_canary]\n\t" /* next's stack canary */      \
                         "jmp __switch_to\n"             /* regparm call */                    \
                         "1:\n"                                                                \
                         ".globl switch_to_resume\n"                                           \
                         "switch_to_resume:\n\t"                                               \
                         "popl %%ebp\n\t"                /* restore EBP */                     \
                         "popfl\n"                       /* restore flags */                   \
                         : [prev_sp] "=m"((prev)->thread.sp), [prev_ip] "=m"((prev)->thread.ip), \
                           "=a"(last), "=b"(ebx), "=c"(ecx), "=d"(edx), "=S"(esi), "=D"(edi)   \
                         : [next_sp] "m"((next)->thread.sp), [next_ip] "m"((next)->thread.ip),  \
                           [task_canary] "i"(offsetof(struct task_struct, stack_canary)),      \
                           [pcpu_canary] "i"(PCPU_stack_canary), [prev] "a"(prev), [next] "d"(next) \
                         : "memory");                                                          \
    } while (0)

#endif
#endif
