/* The stack frames of the context switch (Linux: arch/x86/include/asm/switch_to.h).
 *
 * A task that is not running has, at thread.sp, the registers __switch_to_asm
 * pushed when it last switched away: struct inactive_task_frame. Its ret_addr
 * is where the task resumes: the return address of the call to __switch_to_asm
 * in __schedule() for a task that ran before, ret_from_fork for a new one. It is
 * not a return address of __switch_to_asm's own frame in the usual sense: the
 * `ret` that consumes it is __switch_to's, which __switch_to_asm entered with a
 * jmp after changing stacks. Shared with assembly: switch_to.S pushes and pops
 * these fields, and the offsets are checked here. */
#ifndef _SWITCH_TO_H
#define _SWITCH_TO_H

#define FRAME_r15 0
#define FRAME_r14 8
#define FRAME_r13 16
#define FRAME_r12 24
#define FRAME_bx 32
#define FRAME_bp 40
#define FRAME_ret_addr 48
#define FRAME_SIZE 56
#define FORK_FRAME_regs FRAME_SIZE
#define FORK_FRAME_SIZE (FRAME_SIZE + 168)

#ifndef __ASSEMBLER__
#include "ptrace.h"
#include "sched.h"

/* From low to high addresses: the order of the pops in __switch_to_asm, the
 * reverse of its pushes. */
struct inactive_task_frame {
    unsigned long r15;
    unsigned long r14;
    unsigned long r13;
    unsigned long r12;
    unsigned long bx;
    /* bp and ret_addr together form a frame-pointer frame header, so a
     * backtrace of a sleeping task can start at thread.sp + FRAME_bp. */
    unsigned long bp;
    unsigned long ret_addr;
};

/* What copy_thread() puts at the top of a new task's stack: a frame for
 * __switch_to_asm to pop (ret_addr = ret_from_fork), then the pt_regs that
 * ret_from_fork returns to user mode with. */
struct fork_frame {
    struct inactive_task_frame frame;
    struct pt_regs regs;
};

ASSERT_OFFSET(struct inactive_task_frame, r15, FRAME_r15);
ASSERT_OFFSET(struct inactive_task_frame, r14, FRAME_r14);
ASSERT_OFFSET(struct inactive_task_frame, r13, FRAME_r13);
ASSERT_OFFSET(struct inactive_task_frame, r12, FRAME_r12);
ASSERT_OFFSET(struct inactive_task_frame, bx, FRAME_bx);
ASSERT_OFFSET(struct inactive_task_frame, bp, FRAME_bp);
ASSERT_OFFSET(struct inactive_task_frame, ret_addr, FRAME_ret_addr);
ASSERT_SIZE(struct inactive_task_frame, FRAME_SIZE);
ASSERT_OFFSET(struct fork_frame, regs, FORK_FRAME_regs);
ASSERT_SIZE(struct fork_frame, FORK_FRAME_SIZE);

/* switch_to.S: saves prev's callee-saved registers and RSP, loads next's and
 * jumps to __switch_to(prev, next), whose return value it returns. */
struct task_struct *__switch_to_asm(struct task_struct *prev, struct task_struct *next);
/* process_64.c: the C half of the switch, already on next's stack. */
struct task_struct *__switch_to(struct task_struct *prev, struct task_struct *next);
/* entry_64.S: where a new task starts (its first ret_addr). */
void ret_from_fork(void);

/* `last` is the task this CPU ran before `next` resumed: not necessarily the
 * `prev` next switched away from, long ago and maybe on another CPU. */
#define switch_to(prev, next, last) ((last) = __switch_to_asm((prev), (next)))

#endif
#endif
