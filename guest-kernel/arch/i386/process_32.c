/* The i386 halves of task switching and creation (Linux: arch/x86/kernel/
 * process_32.c and process.c, 2.6 - 4.8, when switch_to was the macro in
 * switch_to.h). */
#include "desc.h"
#include "fpu.h"
#include "lab.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"
#include "segment.h"
#include "switch_to.h"
#include "uapi/switchyard.h"

/* __switch_to: the C half of the i386 switch.
 *
 * Entered by switch_to's jmp, already on next's stack with next's stack
 * canary loaded, interrupts off, the run queue locked; EAX = prev, EDX = next
 * (regparm(3)). The top of next's stack is the thread.ip switch_to pushed, so
 * its `ret` goes to next's `1:` in __schedule(), or to ret_from_fork /
 * ret_from_kernel_thread for a task that never ran. It switches what the CPU
 * keeps per task outside the general registers:
 *   - the FPU: stage 1 (save prev's registers) now, stage 2 (mark next
 *     TIF_NEED_FPU_LOAD) for the return to user mode;
 *   - the TLS descriptor in this CPU's GDT (Linux's load_TLS): next's GS
 *     selector, saved in its pt_regs, is reloaded from it on the way out;
 *   - `current` and the kernel stack top in the per-CPU area, and TSS.ESP0,
 *     so the next interrupt from ring 3 lands on next's stack.
 * Returns prev, which switch_to hands on as `last` (in EAX). */
__attribute__((used, noinline, regparm(3))) struct task_struct *__switch_to(struct task_struct *prev_p,
                                                                            struct task_struct *next_p)
{
    struct percpu *pc = this_cpu();
    int cpu = (int)pc->cpu_number;

    if (!test_tsk_thread_flag(prev_p, TIF_NEED_FPU_LOAD)) switch_fpu_prepare(prev_p, cpu);

    /* GS is the user's TLS selector even in the kernel (entries save and
     * restore it as it is): keep prev's, give next the one it left with,
     * after its descriptor is in place (Linux: lazy_save_gs/lazy_load_gs). */
    __asm__ volatile("movl %%gs, %0" : "=r"(prev_p->thread.gs));
    if (!lab_broken(LAB_BREAK_FSBASE)) pc->gdt[GDT_ENTRY_TLS] = next_p->thread.tls_desc;
    __asm__ volatile("movl %0, %%gs" ::"r"(next_p->thread.gs));

    pc->current_task = next_p;
    if (!lab_broken(LAB_BREAK_RSP0)) {
        pc->top_of_stack = task_top_of_stack(next_p);
        update_task_stack(pc->top_of_stack);
    }

    switch_fpu_finish(next_p);
    return prev_p;
}

/* A user data descriptor for a thread area at `base` (4 GiB limit), the one
 * set_thread_area(2) would make for a glibc TLS block. */
static u64 tls_desc_for(unsigned long base) { return base ? gdt_desc_with_base(GDT_USER_DATA, base) : 0; }

/* copy_thread: the new task's first frames (Linux 2.6 i386's copy_thread()).
 *
 * The pt_regs at the top of p's stack are all it has: thread.sp points at
 * them and thread.ip is where switch_to's pushl/ret sends it the first time:
 * ret_from_fork for a forked user task (a copy of the parent's pt_regs, EAX =
 * 0, the child's fork() result), ret_from_kernel_thread for a kernel thread
 * (zeroed pt_regs but EBX = fn and EBP = arg, as Linux 3.x - 4.8 had it). */
int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
    struct pt_regs *childregs = task_pt_regs(p);
    p->thread.sp = (unsigned long)childregs;
    p->thread.gs = 0; /* its pt_regs give it the user's GS on the way out */

    if (args->fn) {
        memset(childregs, 0, sizeof *childregs);
        childregs->bx = (unsigned long)args->fn;
        childregs->bp = (unsigned long)args->fn_arg;
        p->thread.ip = (unsigned long)ret_from_kernel_thread;
        p->thread.tls_desc = 0;
        return 0;
    }
    *childregs = *task_pt_regs(current);
    childregs->ax = 0;
    if (args->stack) childregs->sp = args->stack;
    p->thread.ip = (unsigned long)ret_from_fork;
    p->thread.tls_desc = current->thread.tls_desc;
    if (args->flags & CLONE_SETTLS) {
        p->thread.tls_desc = tls_desc_for(args->tls);
        childregs->gs = __TLS_SEL;
    }
    return 0;
}

/* execve: no thread area in the new program. Interrupts off. */
void flush_thread_tls(struct task_struct *tsk)
{
    tsk->thread.tls_desc = 0;
    this_cpu()->gdt[GDT_ENTRY_TLS] = 0;
    __asm__ volatile("movl %0, %%gs" ::"r"(0)); /* the old selector would now #GP on reload */
}

/* The registers of a panic (Linux: __show_regs, 32-bit). */
void show_regs(const struct pt_regs *r)
{
    bool user = user_mode(r);
    printk("EIP: %04lx:%08lx EFLAGS: %08lx ESP: %08lx%s\n", r->cs & 0xffff, r->ip, r->flags,
           user ? r->sp : (unsigned long)&r->sp, user ? "" : " (kernel: no SS:ESP pushed)");
    printk("EAX: %08lx EBX: %08lx ECX: %08lx EDX: %08lx\n", r->ax, r->bx, r->cx, r->dx);
    printk("ESI: %08lx EDI: %08lx EBP: %08lx orig_ax: %lx\n", r->si, r->di, r->bp, r->orig_ax);
    printk("DS: %04lx ES: %04lx FS: %04lx GS: %04lx CR2: %08lx CR3: %08lx\n", r->ds & 0xffff, r->es & 0xffff,
           r->fs & 0xffff, r->gs & 0xffff, read_cr2(), read_cr3());
}

/* Sets up pt_regs so that the return to user mode starts a new program. */
void start_thread(struct pt_regs *regs, unsigned long ip, unsigned long sp)
{
    memset(regs, 0, sizeof *regs);
    regs->ip = ip;
    regs->sp = sp;
    regs->cs = __USER_CS;
    regs->ss = regs->ds = regs->es = __USER_DS;
    regs->fs = regs->gs = 0;
    regs->flags = X86_EFLAGS_IF | X86_EFLAGS_FIXED;
}

/* arch_prctl(2) does not exist on i386. Here ARCH_SET_FS/ARCH_GET_FS stand
 * for set_thread_area(2)/get_thread_area(2) with one entry: the base of the
 * thread area, which user code reaches through GS = 0x33, as glibc i386
 * does; the kernel loads GS for it (in pt_regs) instead of the caller's
 * `movw $0x33, %gs`. */
long do_arch_prctl(int code, unsigned long addr)
{
    struct task_struct *t = current;
    unsigned long flags, v;
    u64 d;
    switch (code) {
    case ARCH_SET_FS:
        if (addr >= TASK_SIZE_MAX) return -EINVAL;
        flags = local_irq_save();
        t->thread.tls_desc = tls_desc_for(addr);
        this_cpu()->gdt[GDT_ENTRY_TLS] = t->thread.tls_desc;
        task_pt_regs(t)->gs = __TLS_SEL; /* the return to user mode loads GS with it */
        local_irq_restore(flags);
        return 0;
    case ARCH_GET_FS:
        d = t->thread.tls_desc;
        v = (unsigned long)(((d >> 16) & 0xffffff) | ((d >> 56) << 24));
        return copy_to_user((void *)addr, &v, sizeof v) ? -EFAULT : 0;
    }
    return -EINVAL;
}
