/* The FPU/SSE state of user tasks (arch/x86/fpu.c), switched in Linux's two
 * stages: __switch_to saves the previous task's registers
 * (switch_fpu_prepare) and marks the next one TIF_NEED_FPU_LOAD
 * (switch_fpu_finish); the registers are loaded only on the way back to user
 * mode (switch_fpu_return), and not even then if the CPU still holds them. */
#ifndef _FPU_H
#define _FPU_H
#include "sched.h"

void fpu__init_cpu(void);
void fpstate_init(struct fpu *fpu);
void switch_fpu_prepare(struct task_struct *prev, int cpu);
void switch_fpu_finish(struct task_struct *next);
void switch_fpu_return(void);
void fpu_clone(struct task_struct *dst);
void fpu_flush_thread(void);
extern unsigned long fpu_restores, fpu_restores_skipped;

#endif
