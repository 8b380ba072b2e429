/* User FPU/SSE state (fpu.h). The kernel itself never touches these
 * registers (-mgeneral-regs-only), so only user tasks have FPU state, and
 * interrupts need not save it. FXSAVE64/FXRSTOR64 (SDM Vol. 1 10.5) cover the
 * x87 control state, MXCSR and XMM0-15, which is all this CPU has. */
#include "fpu.h"
#include "printk.h"

unsigned long fpu_restores, fpu_restores_skipped;

void fpu__init_cpu(void)
{
    /* The default MXCSR: all exceptions masked, round to nearest. User
     * tasks bring their own with FXRSTOR; this is what the CPU has meanwhile. */
    static const u32 mxcsr = 0x1f80;
    __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
}

/* The state a new program starts with (FNINIT + default MXCSR). */
void fpstate_init(struct fpu *fpu)
{
    memset(&fpu->state, 0, sizeof fpu->state);
    fpu->state.cwd = 0x037f;
    fpu->state.mxcsr = 0x1f80;
    fpu->state.mxcsr_mask = 0xffff;
    fpu->last_cpu = -1;
}

/* The 64-bit format (FXSAVE64) keeps the full 64-bit FPU IP and data pointer;
 * the i386 build has the 32-bit one, and XMM0-7 only. */
#ifdef __x86_64__
#define FXSAVE "fxsave64"
#define FXRSTOR "fxrstor64"
#else
#define FXSAVE "fxsave"
#define FXRSTOR "fxrstor"
#endif
static void save_fpregs_to_fpstate(struct fpu *fpu) { __asm__ volatile(FXSAVE " %0" : "=m"(fpu->state)); }
static void restore_fpregs_from_fpstate(struct fpu *fpu) { __asm__ volatile(FXRSTOR " %0" ::"m"(fpu->state)); }

/* Stage 1, in __switch_to on prev's behalf: its registers go to memory. The
 * CPU keeps holding them, and fpregs_owner_ctx keeps naming prev's state, so
 * prev can skip the reload if it is the next user task to run here. Called only
 * when TIF_NEED_FPU_LOAD is clear, i.e. the registers really are prev's. */
void switch_fpu_prepare(struct task_struct *prev, int cpu)
{
    if (prev->flags & PF_KTHREAD) return;
    save_fpregs_to_fpstate(&prev->thread.fpu);
    prev->thread.fpu.last_cpu = cpu;
}

/* Stage 2, for next: its registers are not loaded now. They will be on the way
 * to user mode (switch_fpu_return), if the task gets there. */
void switch_fpu_finish(struct task_struct *next) { set_tsk_thread_flag(next, TIF_NEED_FPU_LOAD); }

/* On the way back to user mode with interrupts off: load current's registers
 * unless this CPU still holds exactly them (Linux: fpregs_restore_userregs). */
void switch_fpu_return(void)
{
    struct task_struct *t = current;
    if (!test_tsk_thread_flag(t, TIF_NEED_FPU_LOAD)) return;
    struct percpu *pc = this_cpu();
    struct fpu *fpu = &t->thread.fpu;
    if (pc->fpregs_owner_ctx == fpu && fpu->last_cpu == (int)pc->cpu_number) {
        fpu_restores_skipped++;
    } else {
        restore_fpregs_from_fpstate(fpu);
        pc->fpregs_owner_ctx = fpu;
        fpu->last_cpu = (int)pc->cpu_number;
        fpu_restores++;
    }
    clear_tsk_thread_flag(t, TIF_NEED_FPU_LOAD);
}

/* fork/clone: the child starts with a copy of the parent's registers. */
void fpu_clone(struct task_struct *dst)
{
    unsigned long flags = local_irq_save();
    struct task_struct *t = current;
    if (!test_tsk_thread_flag(t, TIF_NEED_FPU_LOAD)) save_fpregs_to_fpstate(&t->thread.fpu);
    memcpy(&dst->thread.fpu.state, &t->thread.fpu.state, sizeof dst->thread.fpu.state);
    dst->thread.fpu.last_cpu = -1;
    local_irq_restore(flags);
}

/* execve: the new program starts from the initial state. */
void fpu_flush_thread(void)
{
    unsigned long flags = local_irq_save();
    fpstate_init(&current->thread.fpu);
    set_tsk_thread_flag(current, TIF_NEED_FPU_LOAD);
    local_irq_restore(flags);
}
