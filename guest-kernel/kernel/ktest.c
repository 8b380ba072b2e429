/* The self-tests: `--append ktest`. Each test prints one line, the last line
 * is "ktest: N passed, M failed", and the exit device gets 0 when all passed
 * (status 1) and 1 otherwise (status 3). Tests that are about a CPU's own
 * state run on every CPU, in a kernel thread pinned there. Tests that need a
 * user program run one of the bundled programs (utest, tls, fpu) and check
 * its exit status. The output is the same on every machine: no addresses,
 * counts or CPU numbers unless the test fails. */
#include "acpi.h"
#include "apic.h"
#include "console.h"
#include "debug_descriptor.h"
#include "desc.h"
#include "fpu.h"
#include "irq_vectors.h"
#include "kernel.h"
#include "multiboot.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"
#include "segment.h"
#include "switch_model.h"
#include "switch_to.h"
#include "switch_to_linux26.h"
#include "uapi/switchyard.h"

extern char entry_SYSCALL_64[], entry_INT80_32[];
extern const struct sy_debug_descriptor switchyard_debug_descriptor;

static int nr_passed, nr_failed, nr_skipped;
static char fail_msg[NR_CPUS + 1][200]; /* per CPU, and [NR_CPUS] for the runner */

static char *msg_slot(void)
{
    return current->pid == 1 ? fail_msg[NR_CPUS] : fail_msg[smp_processor_id()];
}

#define FAIL(...)                                          \
    do {                                                   \
        snprintf(msg_slot(), sizeof fail_msg[0], __VA_ARGS__); \
        return 1;                                          \
    } while (0)
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) FAIL("%s (ktest.c:%d, cpu%d)", #cond, __LINE__, smp_processor_id()); \
    } while (0)
#define SKIP 2
#define SKIP_BECAUSE(...)                                  \
    do {                                                   \
        snprintf(msg_slot(), sizeof fail_msg[0], __VA_ARGS__); \
        return SKIP;                                       \
    } while (0)
/* Sleeps in 10 ms steps until cond holds; fails the test after `secs` seconds. */
#define WAIT_UNTIL(cond, secs)                                                       \
    do {                                                                             \
        unsigned long __t0 = jiffies;                                                \
        while (!(cond)) {                                                            \
            if (jiffies - __t0 > (unsigned long)(secs) * HZ) FAIL("timed out waiting for %s", #cond); \
            msleep(10);                                                              \
        }                                                                            \
    } while (0)

/* ---- helpers ---- */

static struct task_struct *task_by_pid(int pid)
{
    unsigned long f = spin_lock_irqsave(&tasklist_lock);
    struct task_struct *t = find_task_by_pid(pid);
    spin_unlock_irqrestore(&tasklist_lock, f);
    return t;
}

/* Runs fn(cpu) in a kernel thread pinned to each online CPU; all must return 0. */
static int on_each_cpu(int (*fn)(void *), const char *name)
{
    int pids[NR_CPUS];
    for (int cpu = 0; cpu < nr_online_cpus; ++cpu) {
        fail_msg[cpu][0] = 0;
        pids[cpu] = kernel_thread(fn, (void *)(long)cpu, name, 1UL << cpu);
    }
    int bad = 0;
    for (int cpu = 0; cpu < nr_online_cpus; ++cpu) {
        int status = 0;
        do_wait(pids[cpu], &status, 0);
        if (status && !bad) {
            bad = 1;
            snprintf(fail_msg[NR_CPUS], sizeof fail_msg[0], "on cpu%d: %s", cpu,
                     fail_msg[cpu][0] ? fail_msg[cpu] : "the test thread failed");
        }
    }
    return bad;
}

static int exec_thread(void *arg)
{
    const char *const *argv = arg;
    long r = kernel_execve(argv[0], argv);
    return r ? 99 : 0; /* 0: to user mode in the program */
}

/* Runs a bundled program as a child of the test runner; its wait4 status. */
static int run_user(const char *const *argv)
{
    int status = -1;
    int pid = kernel_thread(exec_thread, (void *)argv, argv[0], 0);
    do_wait(pid, &status, 0);
    return status;
}

#define RUN_USER(...) run_user((const char *const[]){__VA_ARGS__, NULL})
#define CHECK_EXIT(status, code)                                                               \
    do {                                                                                       \
        int __s = (status);                                                                    \
        if (!WIFEXITED(__s))                                                                   \
            FAIL("user program killed by signal %d, expected exit(%d)", WTERMSIG(__s), (code)); \
        if (WEXITSTATUS(__s) != (code))                                                        \
            FAIL("user program called exit(%d), expected exit(%d)", WEXITSTATUS(__s), (code)); \
    } while (0)

static unsigned long sgdt_base(void)
{
    struct {
        u16 limit;
        unsigned long base;
    } __packed d;
    __asm__ volatile("sgdt %0" : "=m"(d));
    return d.base;
}

static u16 str_selector(void)
{
    u16 s;
    __asm__ volatile("str %0" : "=r"(s));
    return s;
}

static bool mapped(unsigned long va, u64 *entry)
{
    bool large;
    pgd_t *pte = lookup_pte(init_mm.pgd, va, &large);
    if (!pte || !(*pte & _PAGE_PRESENT)) return false;
    if (entry) *entry = *pte;
    return true;
}

/* ---- boot ---- */

static int t_multiboot(void)
{
    CHECK(boot_params.nr_ram >= 1);
    CHECK(boot_params.ram_bytes >= 32UL << 20);
    CHECK(cmdline_has("ktest"));
    CHECK(boot_params.loader[0] != 0);
    CHECK(nr_total_pages() > 4096);
    return 0;
}

static int t_acpi_madt(void)
{
    CHECK(acpi.rsdp_phys >= 0x80000 && acpi.rsdp_phys < 0x100000);
    CHECK(acpi.nr_cpus >= 1 && acpi.nr_cpus == nr_online_cpus);
    CHECK(acpi.ioapic_phys != 0);
    for (int cpu = 0; cpu < acpi.nr_cpus; ++cpu) CHECK(cpu_data[cpu].apic_id == acpi.cpu_apic_id[cpu]);
    /* COM1's pin: unmasked, fixed delivery, our vector, to the boot CPU */
    u32 rte = ioapic_read_rte_low(ioapic_isa_irq_to_pin(COM1_IRQ));
    CHECK((rte & 0xff) == ISA_IRQ_VECTOR(COM1_IRQ) && !(rte & (1 << 16)) && (rte & 0x700) == 0);
    return 0;
}

static int cpu_online_fn(void *arg)
{
    int cpu = (int)(long)arg;
    CHECK(smp_processor_id() == cpu);
    CHECK(read_apic_id() == cpu_data[cpu].apic_id);
    CHECK(cpu_data[cpu].online);
    CHECK((READ_ONCE(cpu_online_mask) >> cpu) & 1);
    return 0;
}
static int t_smp_online(void)
{
    CHECK(READ_ONCE(cpu_online_mask) == (1UL << nr_online_cpus) - 1);
    return on_each_cpu(cpu_online_fn, "kt-online");
}

static int t_paging(void)
{
    u64 e;
    CHECK(mapped((unsigned long)_text, &e) && !(e & _PAGE_RW) && !(e & _PAGE_NX));
    /* (e & _PAGE_NX) == _PAGE_NX: set, where paging has the bit (not 2-level i386) */
    CHECK(mapped((unsigned long)_rodata, &e) && !(e & _PAGE_RW) && (e & _PAGE_NX) == _PAGE_NX);
    CHECK(mapped((unsigned long)&nr_passed, &e) && (e & _PAGE_RW) && (e & _PAGE_NX) == _PAGE_NX);
    CHECK(!mapped((unsigned long)__init_stack_guard, NULL));
    CHECK(mapped((unsigned long)init_stack, NULL));
    CHECK(mapped(PAGE_OFFSET + DIRECT_MAP_SIZE / 2, &e) && (e & _PAGE_PSE)); /* the direct map, large pages */
    for (int k = 0; k < KERNEL_PGD_FIRST; ++k) CHECK(init_mm.pgd[k] == 0); /* no user half, no identity map */
    return 0;
}

/* ---- per-CPU state ---- */

#ifdef __x86_64__
static int gdt_fn(void *arg)
{
    int cpu = (int)(long)arg;
    struct percpu *pc = this_cpu();
    const u64 accessed = 1UL << 40;
    u64 *gdt = (u64 *)sgdt_base();
    CHECK(gdt == pc->gdt);
    CHECK((gdt[GDT_ENTRY_KERNEL_CS] | accessed) == (GDT_KERNEL_CODE | accessed));
    CHECK((gdt[GDT_ENTRY_KERNEL_DS] | accessed) == (GDT_KERNEL_DATA | accessed));
    CHECK((gdt[GDT_ENTRY_DEFAULT_USER32_CS] | accessed) == (GDT_USER32_CODE | accessed));
    CHECK((gdt[GDT_ENTRY_DEFAULT_USER_DS] | accessed) == (GDT_USER_DATA | accessed));
    CHECK((gdt[GDT_ENTRY_DEFAULT_USER_CS] | accessed) == (GDT_USER_CODE | accessed));
    CHECK(((gdt[GDT_ENTRY_TSS] >> 40) & 0xf) == 0xb); /* busy 64-bit TSS */
    CHECK(str_selector() == GDT_TSS_SELECTOR);
    u64 star = rdmsr(MSR_STAR);
    CHECK(((star >> 32) & 0xffff) == __KERNEL_CS && ((star >> 48) & 0xffff) == __USER32_CS);
    CHECK(((star >> 48) & 0xfff8) + 8 == (__USER_DS & ~3) && ((star >> 48) & 0xfff8) + 16 == (__USER_CS & ~3));
    CHECK(rdmsr(MSR_LSTAR) == (u64)entry_SYSCALL_64);
    CHECK(rdmsr(MSR_SYSCALL_MASK) & X86_EFLAGS_IF);
    CHECK(rdmsr(MSR_EFER) & EFER_SCE);
    (void)cpu;
    return 0;
}
static int t_gdt_syscall(void) { return on_each_cpu(gdt_fn, "kt-gdt"); }

static int tss_fn(void *arg)
{
    int cpu = (int)(long)arg;
    for (int round = 0; round < 3; ++round) {
        struct percpu *pc = this_cpu();
        CHECK(pc->tss.sp0 == task_top_of_stack(current));
        CHECK(pc->top_of_stack == task_top_of_stack(current));
        CHECK(pc->tss.ist[IST_INDEX_DF - 1] == (u64)(df_stacks[cpu] + sizeof df_stacks[cpu]));
        CHECK(pc->tss.ist[IST_INDEX_NMI - 1] == (u64)(nmi_stacks[cpu] + sizeof nmi_stacks[cpu]));
        msleep(10); /* switched out and in again */
    }
    return 0;
}
static int t_tss(void) { return on_each_cpu(tss_fn, "kt-tss"); }

static int gs_fn(void *arg)
{
    int cpu = (int)(long)arg;
    unsigned long flags = local_irq_save();
    CHECK(rdmsr(MSR_GS_BASE) == (u64)&cpu_data[cpu]);
    CHECK(this_cpu() == &cpu_data[cpu]);
    CHECK(this_cpu_read_ulong(PCPU_current_task) == (unsigned long)current);
    CHECK(smp_processor_id() == cpu);
    CHECK(rdmsr(MSR_KERNEL_GS_BASE) == 0); /* a kernel thread's user GS base */
    local_irq_restore(flags);
    return 0;
}
static int t_percpu_gs(void) { return on_each_cpu(gs_fn, "kt-gs"); }

#else
static int gdt_fn(void *arg)
{
    struct percpu *pc = this_cpu();
    const u64 accessed = 1ULL << 40;
    u64 *gdt = (u64 *)sgdt_base();
    CHECK(gdt == pc->gdt);
    CHECK((gdt[GDT_ENTRY_KERNEL_CS] | accessed) == (GDT_KERNEL_CODE | accessed));
    CHECK((gdt[GDT_ENTRY_KERNEL_DS] | accessed) == (GDT_KERNEL_DATA | accessed));
    CHECK((gdt[GDT_ENTRY_DEFAULT_USER_CS] | accessed) == (GDT_USER_CODE | accessed));
    CHECK((gdt[GDT_ENTRY_DEFAULT_USER_DS] | accessed) == (GDT_USER_DATA | accessed));
    CHECK((gdt[GDT_ENTRY_PERCPU] | accessed) == (gdt_desc_with_base(GDT_PERCPU_DATA, (unsigned long)pc) | accessed));
    CHECK(((gdt[GDT_ENTRY_TSS] >> 40) & 0xf) == 0xb); /* busy 32-bit TSS */
    CHECK(str_selector() == GDT_TSS_SELECTOR);
    /* int $0x80: an interrupt gate that ring 3 may use, to entry_INT80_32 */
    struct {
        u16 limit;
        unsigned long base;
    } __packed idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    const struct gate_struct *g = (const struct gate_struct *)idtr.base + IA32_SYSCALL_VECTOR;
    CHECK((g->offset_low | ((unsigned long)g->offset_high << 16)) == (unsigned long)entry_INT80_32);
    CHECK(g->segment == __KERNEL_CS && g->bits == ((GATE_INTERRUPT << 8) | (3 << 13) | (1 << 15)));
    (void)arg;
    return 0;
}
static int t_gdt_syscall(void) { return on_each_cpu(gdt_fn, "kt-gdt"); }

static int tss_fn(void *arg)
{
    for (int round = 0; round < 3; ++round) {
        struct percpu *pc = this_cpu();
        CHECK(pc->tss.sp0 == task_top_of_stack(current));
        CHECK(pc->tss.ss0 == __KERNEL_DS);
        CHECK(pc->top_of_stack == task_top_of_stack(current));
        msleep(10); /* switched out and in again */
    }
    return 0;
}
static int t_tss(void) { return on_each_cpu(tss_fn, "kt-tss"); }

static int fs_fn(void *arg)
{
    int cpu = (int)(long)arg;
    unsigned long flags = local_irq_save();
    u16 fs;
    __asm__ volatile("movw %%fs, %0" : "=r"(fs));
    CHECK(fs == __KERNEL_PERCPU);
    CHECK(this_cpu() == &cpu_data[cpu]);
    CHECK(this_cpu_read_ulong(PCPU_current_task) == (unsigned long)current);
    CHECK(smp_processor_id() == cpu);
    CHECK(this_cpu()->gdt[GDT_ENTRY_TLS] == 0); /* a kernel thread's thread area */
    local_irq_restore(flags);
    return 0;
}
static int t_percpu_gs(void) { return on_each_cpu(fs_fn, "kt-fs"); }

#endif

static int canary_fn(void *arg)
{
    for (int round = 0; round < 3; ++round) {
        CHECK(this_cpu_read_ulong(PCPU_stack_canary) == current->stack_canary);
        CHECK(current->stack_canary != 0);
        if (round == 1) do_sched_yield();
        else msleep(10);
    }
    return 0;
}
static int t_stack_canary(void)
{
    if (on_each_cpu(canary_fn, "kt-canary")) return 1;
    CHECK(init_task.stack_canary != cpu_data[1 % nr_online_cpus].idle->stack_canary || nr_online_cpus == 1);
    return 0;
}

/* ---- stacks and frames ---- */

static int t_guard_pages(void)
{
    struct task_struct *t = current;
    unsigned long s = (unsigned long)t->stack, base;
    CHECK(s % THREAD_SIZE == 0);
    for (unsigned long off = 0; off < THREAD_SIZE; off += PAGE_SIZE) CHECK(mapped(s + off, NULL));
    CHECK(!mapped(s - PAGE_SIZE, NULL));
    CHECK(!mapped(s - THREAD_SIZE, NULL));
    CHECK(addr_in_stack_guard(s - 8, &base) && base == s);
    CHECK(!addr_in_stack_guard(s + 8, &base));
    return 0;
}

static volatile int fn_ran;
static int fork_frame_fn(void *arg)
{
    fn_ran = (int)(long)arg;
    return 0;
}

#ifdef __x86_64__
static int t_fork_frame(void)
{
    fn_ran = 0;
    preempt_disable(); /* the new task, pinned here, cannot run before we look */
    int cpu = smp_processor_id();
    int pid = kernel_thread(fork_frame_fn, (void *)0x5a, "kt-new", 1UL << cpu);
    struct task_struct *p = task_by_pid(pid);
    int r = 0;
    struct fork_frame *ff = p ? (struct fork_frame *)p->thread.sp : NULL;
    if (!p || p->on_cpu || !p->on_rq || fn_ran) r = 1;
    else if (p->thread.sp != task_top_of_stack(p) - sizeof(struct fork_frame)) r = 2;
    else if (ff->frame.ret_addr != (unsigned long)ret_from_fork) r = 3;
    else if (ff->frame.bx != (unsigned long)fork_frame_fn || ff->frame.r12 != 0x5a) r = 4;
    else if ((void *)&ff->regs != task_pt_regs(p) || ff->regs.ip != 0) r = 5;
    else if (switch_model == SWITCH_LINUX26 && !test_tsk_thread_flag(p, TIF_FORK)) r = 6;
    else if (switch_model == SWITCH_SOLARIS &&
             (p->thread.label.pc != (unsigned long)ret_from_fork || p->thread.label.sp != (unsigned long)&ff->regs ||
              p->thread.label.rbx != (unsigned long)fork_frame_fn || p->thread.label.r12 != 0x5a))
        r = 7;
    preempt_enable();
    int status;
    do_wait(pid, &status, 0);
    if (r) FAIL("the new task's fork_frame is wrong (check %d)", r);
    CHECK(fn_ran == 0x5a && status == 0);
    return 0;
}

#else
static int t_fork_frame(void)
{
    fn_ran = 0;
    preempt_disable(); /* the new task, pinned here, cannot run before we look */
    int cpu = smp_processor_id();
    int pid = kernel_thread(fork_frame_fn, (void *)0x5a, "kt-new", 1UL << cpu);
    struct task_struct *p = task_by_pid(pid);
    int r = 0;
    struct pt_regs *regs = p ? task_pt_regs(p) : NULL;
    if (!p || p->on_cpu || !p->on_rq || fn_ran) r = 1;
    else if (p->thread.sp != (unsigned long)regs) r = 2;
    else if (p->thread.ip != (unsigned long)ret_from_kernel_thread) r = 3;
    else if (regs->bx != (unsigned long)fork_frame_fn || regs->bp != 0x5a) r = 4;
    else if (regs->ip != 0) r = 5;
    preempt_enable();
    int status;
    do_wait(pid, &status, 0);
    if (r) FAIL("the new task's first frame is wrong (check %d)", r);
    CHECK(fn_ran == 0x5a && status == 0);
    return 0;
}

#endif

static volatile int sleeper_state;
static int sleeper_fn(void *arg)
{
    sleeper_state = 1;
    msleep(60);
    sleeper_state = 2;
    return 0;
}

/* Where a switched-out task resumes and its first frame pointer, as its
 * switch model keeps them (switch_model.h): *saved = the address of what the
 * model saved (on the stack, or the label_t). */
#ifdef __x86_64__
static void saved_resume_point(struct task_struct *p, unsigned long *saved, unsigned long *pc, unsigned long *bp)
{
    struct inactive_task_frame *f = (void *)p->thread.sp; /* xv6: its struct context, the same layout */
    *saved = p->thread.sp;
    if (switch_model == SWITCH_LINUX26) {
        *pc = (unsigned long)thread_return; /* no stack holds it */
        *bp = *(unsigned long *)(p->thread.sp + LINUX26_CTX_bp);
    } else if (switch_model == SWITCH_SOLARIS) {
        *saved = p->thread.label.sp;
        *pc = p->thread.label.pc;
        *bp = p->thread.label.rbp;
    } else {
        *pc = f->ret_addr;
        *bp = f->bp;
    }
}

#else
static void saved_resume_point(struct task_struct *p, unsigned long *saved, unsigned long *pc, unsigned long *bp)
{
    /* i386: switch_to pushed EBP and EFLAGS at thread.sp; the PC is thread.ip */
    struct inactive_task_frame *f = (void *)p->thread.sp;
    *saved = p->thread.sp;
    *pc = p->thread.ip;
    *bp = f->bp;
}

#endif
/* A sleeping task's stack: thread.sp -> inactive_task_frame, whose ret_addr
 * is in the scheduler (where __schedule called __switch_to_asm), not
 * ret_from_fork, and whose bp starts a frame chain inside the stack. The
 * other models: the same checks of what they saved (2.6: thread_return;
 * xv6: swtch's return into sched(); Solaris: resume_return, label.sp on the
 * stack). */
static int t_switch_frame(void)
{
    sleeper_state = 0;
    int pid = kernel_thread(sleeper_fn, NULL, "kt-sleeper", 0);
    struct task_struct *p = task_by_pid(pid);
    CHECK(p);
    WAIT_UNTIL(READ_ONCE(sleeper_state) == 1 && !READ_ONCE(p->on_cpu) && READ_ONCE(p->state) != TASK_RUNNING, 5);
    int r = 0, frames = 0;
    unsigned long lo = (unsigned long)p->stack, hi = lo + THREAD_SIZE;
    unsigned long saved, pc, bp;
    saved_resume_point(p, &saved, &pc, &bp);
    if (saved < lo || saved + sizeof(struct inactive_task_frame) > hi) r = 1;
    else if (pc < (unsigned long)__sched_text_start || pc >= (unsigned long)__sched_text_end) r = 2;
    else if (switch_model == SWITCH_SOLARIS && pc != (unsigned long)resume_return) r = 2;
#ifdef __i386__
    else if (pc != (unsigned long)switch_to_resume) r = 2; /* switch_to's 1: */
    else if (((struct inactive_task_frame *)saved)->flags & X86_EFLAGS_IF) r = 5; /* pushfl under the rq lock */
#endif
    else if (bp < saved || bp >= hi) r = 3;
    else {
        /* follow the saved frame pointers: each frame is {saved rbp, return address} */
        for (; bp >= lo && bp + 16 <= hi && frames < 32; bp = *(unsigned long *)bp) {
            unsigned long ret = ((unsigned long *)bp)[1];
            if (ret < (unsigned long)_text || ret >= (unsigned long)_etext) break;
            frames++;
        }
        if (frames < 2) r = 4;
    }
    int status;
    do_wait(pid, &status, 0);
    if (r) FAIL("the sleeping task's inactive_task_frame is wrong (check %d)", r);
    CHECK(sleeper_state == 2);
    return 0;
}

static int exit_fn(void *arg) { return 7; }

/* A task that exits is a zombie until reaped; its stack is gone as soon as
 * its CPU has switched away (finish_task_switch), its task_struct stays. */
static int t_zombie(void)
{
    unsigned long stacks = nr_stacks_in_use();
    int pid = kernel_thread(exit_fn, NULL, "kt-exit", 0);
    struct task_struct *p = task_by_pid(pid);
    CHECK(p);
    WAIT_UNTIL(READ_ONCE(p->exit_state) == EXIT_ZOMBIE && !READ_ONCE(p->on_cpu) && !READ_ONCE(p->stack), 5);
    CHECK(p->stack == NULL && p->mm == NULL);
    CHECK(nr_stacks_in_use() == stacks);
    int status;
    CHECK(do_wait(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    CHECK(task_by_pid(pid) == NULL);
    CHECK(do_wait(pid, &status, WNOHANG) == -ECHILD);
    return 0;
}

/* ---- switching ---- */

static volatile int turn_log[NR_CPUS][16], turn_n[NR_CPUS];
struct pair_arg {
    int cpu, who;
};
static struct pair_arg pair_args[NR_CPUS][2];

static int yield_fn(void *arg)
{
    struct pair_arg *a = arg;
    for (int k = 0; k < 6; ++k) {
        /* do_sched_yield() with the logging inside its preemption-off window,
         * so a timer preemption cannot come between the two */
        preempt_disable();
        int n = turn_n[a->cpu]++;
        if (n < 16) turn_log[a->cpu][n] = a->who;
        __schedule(SM_YIELD);
        preempt_enable_no_resched();
    }
    return 0;
}

/* Two kernel threads on one CPU alternate through yield. */
static int yield_pair_fn(void *arg)
{
    int cpu = (int)(long)arg;
    turn_n[cpu] = 0;
    unsigned long nv = current->nvcsw;
    preempt_disable(); /* both queued before either runs */
    int pids[2];
    for (int w = 0; w < 2; ++w) {
        pair_args[cpu][w] = (struct pair_arg){cpu, w};
        pids[w] = kernel_thread(yield_fn, &pair_args[cpu][w], "kt-yield", 1UL << cpu);
    }
    preempt_enable();
    int status;
    for (int w = 0; w < 2; ++w) do_wait(pids[w], &status, 0);
    CHECK(turn_n[cpu] == 12);
    for (int k = 0; k < 12; ++k)
        if (turn_log[cpu][k] != k % 2) FAIL("turn %d went to thread %d (cpu%d)", k, turn_log[cpu][k], cpu);
    CHECK(current->nvcsw > nv); /* the waits */
    return 0;
}
static int t_yield(void) { return on_each_cpu(yield_pair_fn, "kt-pair"); }

static int t_rsb_fill(void)
{
#ifdef __i386__
    SKIP_BECAUSE("the i386 switch_to has no FILL_RETURN_BUFFER; the rsb_fill word is ignored");
#endif
    sched_rsb_fill = true;
    int r = on_each_cpu(yield_pair_fn, "kt-rsb");
    sched_rsb_fill = false;
    return r;
}

static volatile int preempt_flag[NR_CPUS];
static int flag_setter(void *arg)
{
    preempt_flag[(long)arg] = 1;
    return 0;
}

/* A kernel thread that spins without ever calling schedule() still lets
 * another thread on its CPU run: the tick preempts it on the interrupt's
 * return to kernel code (preempt_schedule_irq). */
static int preempt_fn(void *arg)
{
    int cpu = (int)(long)arg;
    preempt_flag[cpu] = 0;
    unsigned long before = this_cpu()->nr_preempt_irq, t0 = jiffies;
    int pid = kernel_thread(flag_setter, (void *)(long)cpu, "kt-setter", 1UL << cpu);
    while (!READ_ONCE(preempt_flag[cpu]))
        if (jiffies - t0 > 5 * HZ) FAIL("the spinning thread was never preempted (cpu%d)", cpu);
    CHECK(cpu_data[cpu].nr_preempt_irq > before);
    CHECK(current->nivcsw > 0);
    int status;
    do_wait(pid, &status, 0);
    return 0;
}
static int t_kernel_preemption(void)
{
    if (!sched_preempt_enabled) SKIP_BECAUSE("kernel preemption is off (nopreempt)");
    return on_each_cpu(preempt_fn, "kt-preempt");
}

static int tick_fn(void *arg)
{
    int cpu = (int)(long)arg;
    unsigned long ticks = cpu_data[cpu].nr_timer_ticks, j = jiffies, nv = current->nvcsw;
    msleep(50);
    CHECK(jiffies - j >= 5);
    CHECK(cpu_data[cpu].nr_timer_ticks > ticks);
    CHECK(current->nvcsw > nv);
    CHECK(smp_processor_id() == cpu);
    return 0;
}
static int t_sleep_tick(void) { return on_each_cpu(tick_fn, "kt-tick"); }

static volatile int burn_stop;
static int burner_fn(void *arg)
{
    while (!READ_ONCE(burn_stop)) {
        cpu_relax();
        cond_resched(); /* with nopreempt, the tick still gets it off its CPU */
    }
    return 0;
}

static volatile int migr_cpu_before, migr_cpu_after;
static int migrating_sleeper(void *arg)
{
    migr_cpu_before = smp_processor_id();
    sched_setaffinity(current, ~0UL); /* may now wake anywhere */
    msleep(30);
    migr_cpu_after = smp_processor_id();
    return 0;
}

/* A task sleeps on CPU 0; meanwhile CPU 0 is busy, so its wake-up puts it
 * on an idle CPU: it resumes elsewhere. */
static int t_wakeup_migration(void)
{
    if (nr_online_cpus < 2) SKIP_BECAUSE("needs two CPUs");
    burn_stop = 0;
    migr_cpu_before = migr_cpu_after = -1;
    int burner = kernel_thread(burner_fn, NULL, "kt-burner", 1);
    int pid = kernel_thread(migrating_sleeper, NULL, "kt-migrant", 1);
    int status;
    do_wait(pid, &status, 0);
    burn_stop = 1;
    do_wait(burner, &status, 0);
    CHECK(migr_cpu_before == 0);
    CHECK(migr_cpu_after != 0 && migr_cpu_after >= 0);
    return 0;
}

static volatile int pulled_cpus;
static int pulled_fn(void *arg)
{
    unsigned long t0 = jiffies;
    while (jiffies - t0 < 6) {
        pulled_cpus |= 1 << smp_processor_id();
        cond_resched();
    }
    return 0;
}

/* Two busy threads queued on CPU 0; one may run anywhere, and an idle CPU
 * pulls it over (idle_balance). */
static int t_idle_pull(void)
{
    if (nr_online_cpus < 2) SKIP_BECAUSE("needs two CPUs");
    pulled_cpus = 0;
    burn_stop = 0;
    int burner = kernel_thread(burner_fn, NULL, "kt-burner", 1);
    int pid = kernel_thread(pulled_fn, NULL, "kt-pulled", 1);
    msleep(10);
    struct task_struct *p = task_by_pid(pid);
    if (p) sched_setaffinity(p, ~0UL);
    int status;
    do_wait(pid, &status, 0);
    burn_stop = 1;
    do_wait(burner, &status, 0);
    CHECK(pulled_cpus & ~1);
    return 0;
}

static volatile int ipi_woken;
static int ipi_sleeper(void *arg)
{
    msleep(20);
    ipi_woken = smp_processor_id();
    return 0;
}

/* Waking a task onto an idle CPU sends it a reschedule IPI. */
static int t_resched_ipi(void)
{
    if (nr_online_cpus < 2) SKIP_BECAUSE("needs two CPUs");
    int target = nr_online_cpus - 1;
    unsigned long before = cpu_data[target].nr_resched_ipis;
    ipi_woken = -1;
    int pid = kernel_thread(ipi_sleeper, NULL, "kt-ipi", 1UL << target);
    int status;
    do_wait(pid, &status, 0);
    CHECK(ipi_woken == target);
    CHECK(cpu_data[target].nr_resched_ipis > before);
    return 0;
}

/* Kernel threads borrow the previous task's address space (CR3 stays: lazy
 * TLB), and a switch between kernel threads (here: to the idle task and back)
 * never writes CR3. Only kernel threads exist while this runs. */
static int lazy_fn(void *arg)
{
    int cpu = (int)(long)arg;
    unsigned long flags = local_irq_save();
    struct mm_struct *a = current->active_mm;
    CHECK(current->mm == NULL && a != NULL);
    CHECK((read_cr3() & PTE_ADDR_MASK) == __pa(a->pgd)); /* runs on a borrowed CR3 */
    unsigned long cr3w = cpu_data[cpu].nr_cr3_writes, sw = cpu_rq(cpu)->nr_switches;
    local_irq_restore(flags);
    for (int k = 0; k < 4; ++k) msleep(10);
    CHECK(cpu_rq(cpu)->nr_switches >= sw + 8);
    CHECK(cpu_data[cpu].nr_cr3_writes == cr3w);
    return 0;
}
static int t_lazy_mm(void) { return on_each_cpu(lazy_fn, "kt-lazy"); }

/* ---- user mode ---- */

static int t_user_syscall(void)
{
    CHECK_EXIT(RUN_USER("utest", "syscall"), 0);
    return 0;
}
static int t_user_fork(void)
{
    CHECK_EXIT(RUN_USER("utest", "fork", "6"), 0);
    return 0;
}
static int t_user_exec(void)
{
    CHECK_EXIT(RUN_USER("utest", "exec"), 42);
    return 0;
}
static int t_user_gs(void)
{
#ifdef __i386__
    SKIP_BECAUSE("i386 has no SWAPGS: every entry reloads FS, percpu_gs checks it; GS is the user's TLS, user_tls checks it");
#endif
    CHECK_EXIT(RUN_USER("utest", "gs"), 0);
    return 0;
}
static int t_user_preempt(void)
{
    CHECK_EXIT(RUN_USER("utest", "spin", "60"), 0);
    return 0;
}
static int t_user_faults(void)
{
    static const char *const how[] = {"segv", "null", "ud", "div", "priv"};
    for (size_t k = 0; k < ARRAY_SIZE(how); ++k) CHECK_EXIT(RUN_USER("utest", "fault", how[k]), 0);
    return 0;
}
static int t_user_affinity(void)
{
    char n[4];
    snprintf(n, sizeof n, "%d", nr_online_cpus);
    CHECK_EXIT(RUN_USER("utest", "affinity", n), 0);
    return 0;
}
static int t_user_badptr(void)
{
    CHECK_EXIT(RUN_USER("utest", "badptr"), 0);
    return 0;
}
static int t_user_tls(void)
{
    CHECK_EXIT(RUN_USER("tls", "-q"), 0);
    return 0;
}
static int t_user_fpu(void)
{
    unsigned long restores = fpu_restores;
    CHECK_EXIT(RUN_USER("fpu", "3", "80", "-q"), 0);
    CHECK(fpu_restores > restores);
    return 0;
}

/* The second FPU stage is skipped when the CPU still holds the task's
 * registers: a user task that sleeps while only the idle task (which has no
 * FPU state) runs on its CPU returns to user mode without an FXRSTOR. */
static int t_fpu_lazy(void)
{
    unsigned long skipped = fpu_restores_skipped, restores = fpu_restores;
    CHECK_EXIT(RUN_USER("utest", "naps"), 0);
    CHECK(fpu_restores_skipped > skipped);
    CHECK(fpu_restores > restores); /* its first return to user mode loads them */
    return 0;
}

/* ---- devices ---- */

static volatile int tty_read_done;
static char tty_got[32];
static int tty_reader(void *arg)
{
    long n = tty_read(tty_got, sizeof tty_got - 1);
    tty_got[n > 0 ? n : 0] = 0;
    tty_read_done = 1;
    return 0;
}

/* A task blocked in a console read is woken by the serial interrupt (IRQ 4
 * through the I/O APIC): the UART in loopback receives what we send. */
static int t_serial_irq(void)
{
    tty_read_done = 0;
    int pid = kernel_thread(tty_reader, NULL, "kt-reader", 0);
    struct task_struct *p = task_by_pid(pid);
    CHECK(p);
    WAIT_UNTIL(READ_ONCE(p->state) != TASK_RUNNING && !READ_ONCE(p->on_cpu), 5); /* blocked in read */
    unsigned long received = tty_chars_received();
    /* Hold the console while the UART loops back, with interrupts on: the
     * receive interrupt may come to this CPU; its handler does not print
     * (echo off), and other CPUs' printk waits. */
    local_irq_disable();
    preempt_disable();
    __spin_lock(&console_lock);
    tty_set_echo(false);
    serial_set_loopback(true);
    /* One byte at a time, each received before the next is sent, as a
     * driver with the FIFOs off would have to: no timing assumptions. */
    unsigned long t0 = jiffies;
    for (const char *s = "ping\n"; *s; ++s) {
        unsigned long want = tty_chars_received() + 1;
        local_irq_disable();
        serial_putc(*s);
        local_irq_enable();
        while (tty_chars_received() < want && jiffies - t0 < 5 * HZ) cpu_relax();
    }
    local_irq_disable();
    serial_set_loopback(false);
    tty_set_echo(true);
    __spin_unlock(&console_lock);
    preempt_enable_no_resched();
    local_irq_enable();
    int status;
    do_wait(pid, &status, 0);
    CHECK(tty_chars_received() - received == 5);
    CHECK(tty_read_done && !strcmp(tty_got, "ping\n"));
    return 0;
}

/* ---- the debugger descriptor ---- */

#ifdef __x86_64__
static int descr_fn(void *arg)
{
    int cpu = (int)(long)arg;
    const struct sy_debug_descriptor *d = &switchyard_debug_descriptor;
    unsigned long flags = local_irq_save();
    u64 gs = rdmsr(MSR_GS_BASE);
    local_irq_restore(flags);
    CHECK(d->gs_base[cpu] == gs);
    CHECK(*(u64 *)(gs + d->percpu.current_task) == (u64)current);
    CHECK(d->percpu_base + (u64)cpu * d->percpu.stride == gs);
    return 0;
}

/* Finds the tasks the way a debugger would, using only the descriptor. */
static int t_debug_descriptor(void)
{
    const struct sy_debug_descriptor *d = &switchyard_debug_descriptor;
    CHECK(!memcmp(d->magic, SY_DEBUG_MAGIC, 16));
    CHECK(d->version == SY_DEBUG_VERSION && d->size == sizeof *d && d->pointer_size == 8);
    CHECK(((u64)d & (PAGE_SIZE - 1)) == 0);
    CHECK(d->thread_size == THREAD_SIZE && d->frame.ret_addr == 48 && d->pt_regs.size == 168);
    int found_me = 0, idles = 0, n = 0;
    u64 head = d->task_list;
    for (u64 p = *(u64 *)(head + d->list_next); p != head && n < 1000; p = *(u64 *)(p + d->list_next), ++n) {
        u64 task = p - d->task.tasks;
        if (*(int *)(task + d->task.pid) == 1 && task == (u64)current) found_me = 1;
        if (*(unsigned int *)(task + d->task.flags) & d->pf_idle) idles++;
    }
    CHECK(found_me);
    CHECK(idles == nr_online_cpus);
    return on_each_cpu(descr_fn, "kt-descr");
}

#else
static int descr_fn(void *arg)
{
    int cpu = (int)(long)arg;
    const struct sy_debug_descriptor *d = &switchyard_debug_descriptor;
    unsigned long pc = (unsigned long)this_cpu(); /* the base of FS */
    CHECK(d->gs_base[cpu] == pc);
    CHECK(*(unsigned long *)(pc + d->percpu.current_task) == (unsigned long)current);
    CHECK(d->percpu_base + (u64)cpu * d->percpu.stride == pc);
    return 0;
}

/* Finds the tasks the way a debugger would, using only the descriptor, with
 * 4-byte pointers (pointer_size), and a sleeping task's resume PC where the
 * i386 model keeps it: thread.ip. */
static int t_debug_descriptor(void)
{
    const struct sy_debug_descriptor *d = &switchyard_debug_descriptor;
    CHECK(!memcmp(d->magic, SY_DEBUG_MAGIC, 16));
    CHECK(d->version == SY_DEBUG_VERSION && d->size == sizeof *d && d->pointer_size == 4);
    CHECK(d->self == (unsigned long)d); /* tools/patch_descriptor.py did its work */
    CHECK(((unsigned long)d & (PAGE_SIZE - 1)) == 0);
    CHECK(d->thread_size == THREAD_SIZE && d->pt_regs.size == 68);
    CHECK(!strcmp(d->models[SY_SWITCH_LINUX].name, "i386") && d->models[SY_SWITCH_LINUX].saved == SY_SAVED_THREAD_IP);
    int found_me = 0, idles = 0, n = 0, sleeping_ok = 0;
    unsigned long head = (unsigned long)d->task_list;
    for (unsigned long p = *(unsigned long *)(head + d->list_next); p != head && n < 1000;
         p = *(unsigned long *)(p + d->list_next), ++n) {
        unsigned long task = p - d->task.tasks;
        if (*(int *)(task + d->task.pid) == 1 && task == (unsigned long)current) found_me = 1;
        if (*(unsigned int *)(task + d->task.flags) & d->pf_idle) idles++;
        if (task != (unsigned long)current && !*(volatile int *)(task + d->task.on_cpu) &&
            *(unsigned long *)(task + d->ia32.task_thread_ip) == d->models[SY_SWITCH_LINUX].resume_pc)
            sleeping_ok++;
    }
    CHECK(found_me);
    CHECK(idles == nr_online_cpus);
    CHECK(sleeping_ok >= 1); /* at least one idle task sleeps at switch_to's 1: */
    return on_each_cpu(descr_fn, "kt-descr");
}

#endif

/* ---- the runner ---- */

struct ktest {
    const char *name;
    int (*fn)(void);
    const char *what;
};

static const struct ktest tests[] = {
    {"multiboot", t_multiboot, "memory map and command line from the Multiboot information"},
    {"acpi_madt", t_acpi_madt, "CPUs and the I/O APIC from the MADT; COM1 routed"},
    {"smp_online", t_smp_online, "every CPU started by INIT-SIPI-SIPI, with its APIC ID"},
    {"paging", t_paging, "kernel W^X mappings, direct map, no identity map"},
#ifdef __x86_64__
    {"gdt_syscall", t_gdt_syscall, "per-CPU GDT in SYSCALL/SYSRET order, STAR, LSTAR, TR"},
    {"tss_rsp0_ist", t_tss, "TSS.RSP0 = top of current's stack after switches; IST for #DF, NMI"},
    {"percpu_gs", t_percpu_gs, "GS base = this CPU's area, current_task, KERNEL_GS_BASE"},
    {"stack_canary", t_stack_canary, "%gs:40 holds the running task's canary across switches"},
#else
    {"gdt_int80", t_gdt_syscall, "per-CPU GDT in Linux i386 order, per-CPU segment, TR, int $0x80 gate"},
    {"tss_esp0", t_tss, "TSS SS0:ESP0 = top of current's stack after switches"},
    {"percpu_fs", t_percpu_gs, "FS = __KERNEL_PERCPU with this CPU's area as base, current_task"},
    {"stack_canary", t_stack_canary, "%fs:20 holds the running task's canary across switches"},
#endif
    {"guard_pages", t_guard_pages, "THREAD_SIZE stacks with unmapped guard pages below"},
#ifdef __x86_64__
    {"fork_frame", t_fork_frame, "a new task: fork_frame with ret_addr = ret_from_fork"},
    {"switch_frame", t_switch_frame, "a sleeping task: inactive_task_frame, ret_addr in __schedule"},
#else
    {"fork_frame", t_fork_frame, "a new task: thread.sp = its pt_regs, thread.ip = ret_from_kernel_thread"},
    {"switch_frame", t_switch_frame, "a sleeping task: EBP, EFLAGS at thread.sp, thread.ip = switch_to's 1:"},
#endif
    {"zombie", t_zombie, "exit -> zombie, stack freed after the switch, reaped by wait"},
    {"yield", t_yield, "two kernel threads alternate through yield"},
    {"rsb_fill", t_rsb_fill, "the same with FILL_RETURN_BUFFER in __switch_to_asm"},
    {"kernel_preemption", t_kernel_preemption, "a spinning kernel thread is preempted by the tick"},
    {"sleep_tick", t_sleep_tick, "msleep and the LAPIC timer tick"},
    {"wakeup_migration", t_wakeup_migration, "a wake-up places the task on an idle CPU"},
    {"idle_pull", t_idle_pull, "an idle CPU pulls a waiting task from a busy one"},
    {"resched_ipi", t_resched_ipi, "a remote wake-up sends a reschedule IPI"},
    {"lazy_mm", t_lazy_mm, "kernel threads borrow the mm; no CR3 write between them"},
#ifdef __x86_64__
    {"user_syscall", t_user_syscall, "SYSCALL/SYSRETQ, getpid, -ENOSYS, -EFAULT"},
#else
    {"user_syscall", t_user_syscall, "int $0x80/IRET, getpid, -ENOSYS, -EFAULT"},
#endif
    {"user_fork_wait", t_user_fork, "fork, exit codes, wait4, ECHILD"},
    {"user_exec", t_user_exec, "execve of a bundled program with arguments (IRETQ return)"},
    {"user_swapgs", t_user_gs, "user GS base vs the kernel's: swapgs on entry and exit"},
    {"user_preemption", t_user_preempt, "user busy loops preempted by the timer"},
    {"user_faults", t_user_faults, "#GP, #PF, #UD, #DE in user mode kill only the task"},
    {"user_affinity", t_user_affinity, "sched_setaffinity moves a task; getcpu agrees"},
    {"user_bad_pointers", t_user_badptr, "bad user pointers are -EFAULT, not a kernel fault"},
#ifdef __x86_64__
    {"user_tls", t_user_tls, "threads with their own FS base and __thread variables"},
#else
    {"user_tls", t_user_tls, "threads with their own thread area (GDT entry 6, GS) and __thread variables"},
#endif
    {"user_fpu", t_user_fpu, "SSE and x87 registers survive preemption and migration"},
    {"fpu_lazy_restore", t_fpu_lazy, "TIF_NEED_FPU_LOAD: no reload when the CPU still holds them"},
    {"serial_irq", t_serial_irq, "a blocked console read woken by IRQ 4 via the I/O APIC"},
    {"debug_descriptor", t_debug_descriptor, "tasks and per-CPU areas found from the descriptor"},
};

extern bool print_user_faults;

__noreturn void ktest_main(void)
{
    print_user_faults = false;
    printk("ktest: %d tests on %d CPU%s\n", (int)ARRAY_SIZE(tests), nr_online_cpus, nr_online_cpus == 1 ? "" : "s");
    for (size_t k = 0; k < ARRAY_SIZE(tests); ++k) {
        fail_msg[NR_CPUS][0] = 0;
        int r = tests[k].fn();
        if (r == 0) {
            nr_passed++;
            printk("ktest: %-20s ok    %s\n", tests[k].name, tests[k].what);
        } else if (r == SKIP) {
            nr_skipped++;
            printk("ktest: %-20s skip  (%s)\n", tests[k].name, fail_msg[NR_CPUS]);
        } else {
            nr_failed++;
            printk("ktest: %-20s FAIL  %s\n", tests[k].name, fail_msg[NR_CPUS]);
        }
        if (preempt_count() != 0) panic("ktest %s left preempt_count %d", tests[k].name, preempt_count());
    }
    printk("ktest: %d passed, %d failed\n", nr_passed, nr_failed);
    machine_power_off(nr_failed ? EXIT_FAILURE_CODE : EXIT_SUCCESS_CODE);
}
