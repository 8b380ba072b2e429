/* struct pt_regs: the registers of an interrupted context, saved at the top of
 * the kernel stack on every entry from user mode (and below the hardware frame
 * on an entry from the kernel). Shared with assembly: entry_64.S builds it with
 * the pushes below, in Linux's x86-64 order, so the offsets are fixed and
 * checked. The hardware frame (SDM Vol. 3A 6.14.2) is the last five fields. */
#ifndef _PTRACE_H
#define _PTRACE_H

#define PTREGS_R15 0
#define PTREGS_R14 8
#define PTREGS_R13 16
#define PTREGS_R12 24
#define PTREGS_BP 32
#define PTREGS_BX 40
#define PTREGS_R11 48
#define PTREGS_R10 56
#define PTREGS_R9 64
#define PTREGS_R8 72
#define PTREGS_AX 80
#define PTREGS_CX 88
#define PTREGS_DX 96
#define PTREGS_SI 104
#define PTREGS_DI 112
#define PTREGS_ORIG_AX 120
#define PTREGS_IP 128
#define PTREGS_CS 136
#define PTREGS_FLAGS 144
#define PTREGS_SP 152
#define PTREGS_SS 160
#define PTREGS_SIZE 168

#ifndef __ASSEMBLER__
#include "types.h"

struct pt_regs {
    /* Callee-saved: saved on every entry here, because a context switch or
     * fork may need the whole user register set. */
    unsigned long r15;
    unsigned long r14;
    unsigned long r13;
    unsigned long r12;
    unsigned long bp;
    unsigned long bx;
    /* Caller-saved. */
    unsigned long r11;
    unsigned long r10;
    unsigned long r9;
    unsigned long r8;
    unsigned long ax;
    unsigned long cx;
    unsigned long dx;
    unsigned long si;
    unsigned long di;
    /* syscall: the syscall number; exception: the error code (or -1);
     * hardware interrupt: the vector. */
    unsigned long orig_ax;
    /* The frame IRETQ pops (pushed by the CPU, or by entry_SYSCALL_64). */
    unsigned long ip;
    unsigned long cs;
    unsigned long flags;
    unsigned long sp;
    unsigned long ss;
};

ASSERT_OFFSET(struct pt_regs, r15, PTREGS_R15);
ASSERT_OFFSET(struct pt_regs, r12, PTREGS_R12);
ASSERT_OFFSET(struct pt_regs, bp, PTREGS_BP);
ASSERT_OFFSET(struct pt_regs, bx, PTREGS_BX);
ASSERT_OFFSET(struct pt_regs, r11, PTREGS_R11);
ASSERT_OFFSET(struct pt_regs, r8, PTREGS_R8);
ASSERT_OFFSET(struct pt_regs, ax, PTREGS_AX);
ASSERT_OFFSET(struct pt_regs, cx, PTREGS_CX);
ASSERT_OFFSET(struct pt_regs, di, PTREGS_DI);
ASSERT_OFFSET(struct pt_regs, orig_ax, PTREGS_ORIG_AX);
ASSERT_OFFSET(struct pt_regs, ip, PTREGS_IP);
ASSERT_OFFSET(struct pt_regs, cs, PTREGS_CS);
ASSERT_OFFSET(struct pt_regs, flags, PTREGS_FLAGS);
ASSERT_OFFSET(struct pt_regs, sp, PTREGS_SP);
ASSERT_OFFSET(struct pt_regs, ss, PTREGS_SS);
ASSERT_SIZE(struct pt_regs, PTREGS_SIZE);

static inline bool user_mode(const struct pt_regs *regs) { return (regs->cs & 3) == 3; }

#endif
#endif
