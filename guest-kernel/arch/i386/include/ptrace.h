/* struct pt_regs of the i386 build: Linux i386's layout (arch/x86/include/
 * asm/ptrace.h, CONFIG_X86_32). entry_32.S builds it with the pushes of
 * SAVE_ALL below the hardware frame, so the offsets are fixed and checked.
 * The CPU pushes sp and ss only on an entry from ring 3 (SDM Vol. 3A 6.12.1):
 * for an interrupt of kernel code the struct ends at flags, and the
 * interrupted ESP is &regs->sp. */
#ifndef _PTRACE_H
#define _PTRACE_H

#define PTREGS_BX 0
#define PTREGS_CX 4
#define PTREGS_DX 8
#define PTREGS_SI 12
#define PTREGS_DI 16
#define PTREGS_BP 20
#define PTREGS_AX 24
#define PTREGS_DS 28
#define PTREGS_ES 32
#define PTREGS_FS 36
#define PTREGS_GS 40
#define PTREGS_ORIG_AX 44
#define PTREGS_IP 48
#define PTREGS_CS 52
#define PTREGS_FLAGS 56
#define PTREGS_SP 60
#define PTREGS_SS 64
#define PTREGS_SIZE 68

#ifndef __ASSEMBLER__
#include "types.h"

struct pt_regs {
    unsigned long bx;
    unsigned long cx;
    unsigned long dx;
    unsigned long si;
    unsigned long di;
    unsigned long bp;
    unsigned long ax;
    unsigned long ds;
    unsigned long es;
    unsigned long fs;
    unsigned long gs;
    /* syscall: the call number; exception: the error code (or -1);
     * hardware interrupt: the vector. */
    unsigned long orig_ax;
    /* The frame IRET pops (sp and ss only when returning to ring 3). */
    unsigned long ip;
    unsigned long cs;
    unsigned long flags;
    unsigned long sp;
    unsigned long ss;
};

ASSERT_OFFSET(struct pt_regs, bx, PTREGS_BX);
ASSERT_OFFSET(struct pt_regs, cx, PTREGS_CX);
ASSERT_OFFSET(struct pt_regs, dx, PTREGS_DX);
ASSERT_OFFSET(struct pt_regs, si, PTREGS_SI);
ASSERT_OFFSET(struct pt_regs, di, PTREGS_DI);
ASSERT_OFFSET(struct pt_regs, bp, PTREGS_BP);
ASSERT_OFFSET(struct pt_regs, ax, PTREGS_AX);
ASSERT_OFFSET(struct pt_regs, ds, PTREGS_DS);
ASSERT_OFFSET(struct pt_regs, gs, PTREGS_GS);
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
