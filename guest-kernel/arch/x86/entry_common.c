/* The C half of kernel entry and exit (Linux: kernel/entry/common.c and
 * arch/x86/entry/common.c): running a system call, and the work due before
 * returning to user mode or to interrupted kernel code. */
#include "fpu.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"
#include "segment.h"
#include "uapi/switchyard.h"

typedef long (*sys_call_ptr_t)(unsigned long, unsigned long, unsigned long, unsigned long, unsigned long,
                               unsigned long);
extern const sys_call_ptr_t sys_call_table[NR_syscalls];

/* Before any return to user mode, with interrupts disabled on return: run
 * the scheduler while TIF_NEED_RESCHED is set (the timer tick sets it when the
 * time slice is over: an involuntary switch), then load the task's FPU
 * registers if __switch_to left them out (TIF_NEED_FPU_LOAD). */
static void exit_to_user_mode_prepare(struct pt_regs *regs)
{
    for (;;) {
        local_irq_disable();
        if (!need_resched()) break;
        local_irq_enable();
        schedule();
    }
    switch_fpu_return();
    if (preempt_count() != 0) panic("returning to user mode with preempt_count %d", preempt_count());
}

void syscall_exit_to_user_mode(struct pt_regs *regs) { exit_to_user_mode_prepare(regs); }

#ifdef __x86_64__
/* SYSRETQ restores RIP from RCX and RFLAGS from R11 and cannot restore RCX
 * and R11 themselves, nor CS/SS other than the STAR defaults; and on Intel
 * CPUs a non-canonical RCX makes it fault in ring 0 with the user's RSP. So it
 * is only used when pt_regs says the result would be the same as IRETQ's. */
static bool syscall_can_sysret(const struct pt_regs *regs)
{
    if (regs->cx != regs->ip || regs->r11 != regs->flags) return false;
    if (regs->cs != __USER_CS || regs->ss != __USER_DS) return false;
    if (regs->ip >= TASK_SIZE_MAX) return false;
    if (regs->flags & (X86_EFLAGS_RF | X86_EFLAGS_TF)) return false;
    return true;
}

/* Called by entry_SYSCALL_64 with interrupts disabled. Returns true when the
 * return may use SYSRETQ. */
bool do_syscall_64(struct pt_regs *regs, int nr)
{
    this_cpu()->nr_syscalls++;
    local_irq_enable();
    if ((unsigned int)nr < NR_syscalls && sys_call_table[nr])
        regs->ax = (unsigned long)sys_call_table[nr](regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9);
    else
        regs->ax = (unsigned long)-ENOSYS;
    syscall_exit_to_user_mode(regs);
    bool sysret = syscall_can_sysret(regs);
    if (sysret) this_cpu()->nr_sysret++;
    else this_cpu()->nr_iret_to_user++;
    return sysret;
}
#else
/* Called by entry_INT80_32 (arch/i386/entry_32.S) with interrupts disabled:
 * the call number is in pt_regs->orig_ax, the arguments in EBX, ECX, EDX,
 * ESI, EDI, EBP (Linux i386's int $0x80 convention), the result goes to EAX.
 * The return is always IRET. */
void do_int80_syscall_32(struct pt_regs *regs)
{
    unsigned long nr = regs->orig_ax;
    this_cpu()->nr_syscalls++;
    local_irq_enable();
    if (nr < NR_syscalls && sys_call_table[nr])
        regs->ax = (unsigned long)sys_call_table[nr](regs->bx, regs->cx, regs->dx, regs->si, regs->di, regs->bp);
    else
        regs->ax = (unsigned long)-ENOSYS;
    syscall_exit_to_user_mode(regs);
    this_cpu()->nr_iret_to_user++;
}
#endif

/* The end of every exception and interrupt (error_return), interrupts off.
 * To user mode: the same work as after a syscall. To the kernel: with kernel
 * preemption on, an interrupted preemptible context (preempt_count 0,
 * interrupts were on) gives way if the tick asked for it. */
void irqentry_exit(struct pt_regs *regs)
{
    if (user_mode(regs)) {
        exit_to_user_mode_prepare(regs);
        this_cpu()->nr_iret_to_user++;
        return;
    }
    if (sched_preempt_enabled && preempt_count() == 0 && (regs->flags & X86_EFLAGS_IF) && need_resched())
        preempt_schedule_irq();
}
