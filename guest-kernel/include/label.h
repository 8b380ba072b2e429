/* The Solaris model (switch=solaris; illumos: uts/intel/ia32/ml/swtch.s and
 * sys/machtypes.h), beside Linux's in switch_to.h.
 *
 * resume(prev, t) saves prev's non-volatile registers (RBX, RBP, R12-R15),
 * its stack pointer and the PC it will resume at in prev->thread.label, a
 * label_t in the thread rather than a frame on its stack (the label_t that
 * setjmp/longjmp use). It then takes t's stack pointer from t's label_t,
 * calls __switch_to(prev, t) on t's stack, reloads t's registers from the
 * label_t of the new curthread, pushes t's saved PC and jumps to spl0, whose
 * ret "returns" to it: resume_return for a thread that switched out through
 * resume(), ret_from_fork for a new one.
 *
 * resume_from_zombie(prev, t) does the same for a prev that has exited
 * (TASK_DEAD): nothing of prev is saved, and once on t's stack it frees prev's
 * kernel stack itself (Solaris puts the zombie on death row).
 *
 * SAVE_REGS pushes one frame (RBP) before saving RSP, so a switched-out
 * thread's stack still shows it called resume():
 *     [label.sp]      the caller's RBP (= label.rbp)
 *     [label.sp + 8]  the return address into __schedule
 * Shared with assembly: resume.S; the offsets are checked below. */
#ifndef _LABEL_H
#define _LABEL_H

#define LABEL_PC 0  /* where the thread resumes (Solaris: LABEL_PC is 0) */
#define LABEL_SP 8
#define LABEL_RBP 16
#define LABEL_RBX 24
#define LABEL_R12 32
#define LABEL_R13 40
#define LABEL_R14 48
#define LABEL_R15 56
#define LABEL_SIZE 64

#ifndef __ASSEMBLER__
#include "types.h"

typedef struct label {
    unsigned long pc;
    unsigned long sp;
    unsigned long rbp, rbx, r12, r13, r14, r15;
} label_t;
#ifdef __x86_64__ /* resume.S's layout; no i386 assembly uses it */
ASSERT_OFFSET(label_t, pc, LABEL_PC);
ASSERT_OFFSET(label_t, sp, LABEL_SP);
ASSERT_OFFSET(label_t, rbp, LABEL_RBP);
ASSERT_OFFSET(label_t, rbx, LABEL_RBX);
ASSERT_OFFSET(label_t, r12, LABEL_R12);
ASSERT_OFFSET(label_t, r13, LABEL_R13);
ASSERT_OFFSET(label_t, r14, LABEL_R14);
ASSERT_OFFSET(label_t, r15, LABEL_R15);
ASSERT_SIZE(label_t, LABEL_SIZE);
#endif

struct task_struct;
/* arch/x86/resume.S. Both return prev (switch_to's `last`) when prev runs again;
 * resume_from_zombie never returns. */
struct task_struct *resume(struct task_struct *prev, struct task_struct *t);
struct task_struct *resume_from_zombie(struct task_struct *prev, struct task_struct *t);
extern char resume_return[];
/* The end of resume: where a resumed thread's saved PC is reached from. */
void spl0(void);
/* copy_thread(): a new thread's label_t. */
struct pt_regs;
void copy_thread_solaris(struct task_struct *p, struct pt_regs *childregs, unsigned long fn, unsigned long arg);
/* resume_from_zombie: frees the dead thread's stack, on the next thread's. */
void resume_reap_zombie(struct task_struct *dead);
#endif
#endif
