/* The x86-specific halves of task switching and creation
 * (Linux: arch/x86/kernel/process_64.c and process.c). */
#include "desc.h"
#include "fpu.h"
#include "lab.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"
#include "segment.h"
#include "switch_model.h"
#include "switch_to.h"
#include "switch_to_linux26.h"
#include "uapi/switchyard.h"

/* __switch_to: the C half of a context switch.
 *
 * Entered by a jmp from __switch_to_asm, already on next's stack with next's
 * callee-saved registers and canary loaded, interrupts off, the run queue
 * locked; RDI = prev, RSI = next. Its `ret` pops next's
 * inactive_task_frame->ret_addr, so it "returns" into next's __schedule()
 * (or ret_from_fork), not into prev's. It switches what the CPU keeps per task
 * outside the general registers:
 *   - the FPU: stage 1 (save prev's registers) now, stage 2 (mark next
 *     TIF_NEED_FPU_LOAD) for the return to user mode;
 *   - the user FS base (TLS) and GS base, which live in MSRs;
 *   - `current` and the kernel stack top in the per-CPU area, and TSS.RSP0,
 *     so the next interrupt from ring 3 lands on next's stack.
 * Returns prev, which becomes __switch_to_asm's (and switch_to's `last`). */
__attribute__((used, noinline)) struct task_struct *__switch_to(struct task_struct *prev_p,
                                                                struct task_struct *next_p)
{
    struct percpu *pc = this_cpu();
    int cpu = (int)pc->cpu_number;

    if (!test_tsk_thread_flag(prev_p, TIF_NEED_FPU_LOAD)) switch_fpu_prepare(prev_p, cpu);

    /* User code can change its FS base without telling us (loading a selector
     * into FS clears it), so read it back, as Linux's save_fsgs() does. The
     * user GS base is in IA32_KERNEL_GS_BASE while the kernel runs. */
    if (!(prev_p->flags & PF_KTHREAD)) {
        prev_p->thread.fsbase = rdmsr(MSR_FS_BASE);
        prev_p->thread.gsbase = rdmsr(MSR_KERNEL_GS_BASE);
    }
    if (!lab_broken(LAB_BREAK_FSBASE)) wrmsr(MSR_FS_BASE, next_p->thread.fsbase);
    wrmsr(MSR_KERNEL_GS_BASE, next_p->thread.gsbase);

    pc->current_task = next_p;
    if (!lab_broken(LAB_BREAK_RSP0)) {
        pc->top_of_stack = task_top_of_stack(next_p);
        update_task_stack(pc->top_of_stack);
    }

    switch_fpu_finish(next_p);
    return prev_p;
}

/* copy_thread: the new task's first frames (Linux's copy_thread()).
 *
 * At the top of p's stack goes a struct fork_frame: the pt_regs it will
 * return to user mode with, and below them an inactive_task_frame as if p had
 * called __switch_to_asm itself, with ret_addr = ret_from_fork. thread.sp
 * points at that frame, so the first switch to p pops it like any other. A
 * kernel thread gets RBX = fn and R12 = arg (ret_from_fork calls fn(arg)) and
 * zeroed pt_regs; a forked user task gets a copy of the parent's pt_regs with
 * RAX = 0, the child's fork() result. */
int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
    struct pt_regs *childregs = task_pt_regs(p);
    struct fork_frame *fork_frame = container_of(childregs, struct fork_frame, regs);
    struct inactive_task_frame *frame = &fork_frame->frame;

    memset(frame, 0, sizeof *frame);
    frame->bp = 0; /* ends the frame-pointer chain */
    frame->ret_addr = (unsigned long)ret_from_fork;
    p->thread.sp = (unsigned long)fork_frame;

    /* The other switch models start a new task from the same fork_frame
     * (switch_model.h): 2.6 through TIF_FORK, xv6 pops it as a struct
     * context, Solaris resumes it from a label_t. */
    if (switch_model == SWITCH_LINUX26) copy_thread_linux26(p);
    if (switch_model == SWITCH_SOLARIS)
        copy_thread_solaris(p, childregs, (unsigned long)args->fn, (unsigned long)args->fn_arg);

    if (args->fn) {
        memset(childregs, 0, sizeof *childregs);
        frame->bx = (unsigned long)args->fn;
        frame->r12 = (unsigned long)args->fn_arg;
        p->thread.fsbase = p->thread.gsbase = 0;
        return 0;
    }
    *childregs = *task_pt_regs(current);
    childregs->ax = 0;
    if (args->stack) childregs->sp = args->stack;
    p->thread.fsbase = current->thread.fsbase;
    p->thread.gsbase = current->thread.gsbase;
    if (args->flags & CLONE_SETTLS) p->thread.fsbase = args->tls;
    return 0;
}

/* execve: the new program starts without TLS (Linux: flush_thread's part).
 * Interrupts off: the MSRs and thread_struct change together. */
void flush_thread_tls(struct task_struct *tsk)
{
    tsk->thread.fsbase = tsk->thread.gsbase = 0;
    wrmsr(MSR_FS_BASE, 0);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}

/* The registers of a panic (Linux: __show_regs). */
void show_regs(const struct pt_regs *r)
{
    printk("RIP: %04lx:%016lx RSP: %04lx:%016lx RFLAGS: %08lx\n", r->cs, r->ip, r->ss, r->sp, r->flags);
    printk("RAX: %016lx RBX: %016lx RCX: %016lx\n", r->ax, r->bx, r->cx);
    printk("RDX: %016lx RSI: %016lx RDI: %016lx\n", r->dx, r->si, r->di);
    printk("RBP: %016lx R08: %016lx R09: %016lx\n", r->bp, r->r8, r->r9);
    printk("R10: %016lx R11: %016lx R12: %016lx\n", r->r10, r->r11, r->r12);
    printk("R13: %016lx R14: %016lx R15: %016lx\n", r->r13, r->r14, r->r15);
    printk("CR2: %016lx CR3: %016lx orig_ax: %lx\n", read_cr2(), read_cr3(), r->orig_ax);
}

/* Sets up pt_regs so that the return to user mode starts a new program. */
void start_thread(struct pt_regs *regs, unsigned long ip, unsigned long sp)
{
    memset(regs, 0, sizeof *regs);
    regs->ip = ip;
    regs->sp = sp;
    regs->cs = __USER_CS;
    regs->ss = __USER_DS;
    regs->flags = X86_EFLAGS_IF | X86_EFLAGS_FIXED;
}

/* arch_prctl(2): the user FS and GS bases. The MSR and thread_struct change
 * together with interrupts off, so a switch never sees them differ. */
long do_arch_prctl(int code, unsigned long addr)
{
    struct task_struct *t = current;
    unsigned long v, flags;
    switch (code) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
        if (addr >= TASK_SIZE_MAX) return -EINVAL;
        flags = local_irq_save();
        if (code == ARCH_SET_FS) {
            t->thread.fsbase = addr;
            wrmsr(MSR_FS_BASE, addr);
        } else {
            t->thread.gsbase = addr;
            wrmsr(MSR_KERNEL_GS_BASE, addr); /* swapped in on the return */
        }
        local_irq_restore(flags);
        return 0;
    case ARCH_GET_FS:
    case ARCH_GET_GS:
        flags = local_irq_save();
        v = rdmsr(code == ARCH_GET_FS ? MSR_FS_BASE : MSR_KERNEL_GS_BASE);
        local_irq_restore(flags);
        return copy_to_user((void *)addr, &v, sizeof v) ? -EFAULT : 0;
    }
    return -EINVAL;
}
