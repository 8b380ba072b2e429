/* The IDT and the C side of exceptions and interrupts
 * (Linux: arch/x86/kernel/traps.c, idt.c, irq.c).
 *
 * An exception in user mode kills the task, as the signal Linux would send
 * would (there are no signal handlers here); in kernel mode it is a panic,
 * except that a #PF on a stack guard page, or a #DF because the stack itself
 * is gone, is reported as what it is: a kernel stack overflow in that task. */
#include "apic.h"
#include "console.h"
#include "desc.h"
#include "irq_vectors.h"
#include "kernel.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"
#include "segment.h"
#include "uapi/switchyard.h"

static struct gate_struct idt_table[256] __aligned(4096);

extern char irq_entries_start[];
#define DECLARE_ENTRY(n) extern char n[];
DECLARE_ENTRY(asm_exc_divide_error)
DECLARE_ENTRY(asm_exc_debug)
DECLARE_ENTRY(asm_exc_nmi)
DECLARE_ENTRY(asm_exc_int3)
DECLARE_ENTRY(asm_exc_overflow)
DECLARE_ENTRY(asm_exc_bounds)
DECLARE_ENTRY(asm_exc_invalid_op)
DECLARE_ENTRY(asm_exc_device_not_available)
DECLARE_ENTRY(asm_exc_double_fault)
DECLARE_ENTRY(asm_exc_invalid_tss)
DECLARE_ENTRY(asm_exc_segment_not_present)
DECLARE_ENTRY(asm_exc_stack_segment)
DECLARE_ENTRY(asm_exc_general_protection)
DECLARE_ENTRY(asm_exc_page_fault)
DECLARE_ENTRY(asm_exc_coprocessor_error)
DECLARE_ENTRY(asm_exc_alignment_check)
DECLARE_ENTRY(asm_exc_machine_check)
DECLARE_ENTRY(asm_exc_simd_coprocessor_error)
DECLARE_ENTRY(asm_exc_reserved)
DECLARE_ENTRY(entry_INT80_32)

static void set_gate(int n, const void *addr, int ist, int dpl) { pack_gate(&idt_table[n], (unsigned long)addr, ist, dpl); }

void idt_setup(void)
{
    for (int v = 0; v < 32; ++v) set_gate(v, asm_exc_reserved, 0, 0);
    set_gate(X86_TRAP_DE, asm_exc_divide_error, 0, 0);
    set_gate(X86_TRAP_DB, asm_exc_debug, 0, 0);
    set_gate(X86_TRAP_NMI, asm_exc_nmi, IST_INDEX_NMI, 0);
    set_gate(X86_TRAP_BP, asm_exc_int3, 0, 3); /* int3 works from user mode */
    set_gate(X86_TRAP_OF, asm_exc_overflow, 0, 3);
    set_gate(X86_TRAP_BR, asm_exc_bounds, 0, 0);
    set_gate(X86_TRAP_UD, asm_exc_invalid_op, 0, 0);
    set_gate(X86_TRAP_NM, asm_exc_device_not_available, 0, 0);
    set_gate(X86_TRAP_DF, asm_exc_double_fault, IST_INDEX_DF, 0);
    set_gate(X86_TRAP_TS, asm_exc_invalid_tss, 0, 0);
    set_gate(X86_TRAP_NP, asm_exc_segment_not_present, 0, 0);
    set_gate(X86_TRAP_SS, asm_exc_stack_segment, 0, 0);
    set_gate(X86_TRAP_GP, asm_exc_general_protection, 0, 0);
    set_gate(X86_TRAP_PF, asm_exc_page_fault, 0, 0);
    set_gate(X86_TRAP_MF, asm_exc_coprocessor_error, 0, 0);
    set_gate(X86_TRAP_AC, asm_exc_alignment_check, 0, 0);
    set_gate(X86_TRAP_MC, asm_exc_machine_check, 0, 0);
    set_gate(X86_TRAP_XF, asm_exc_simd_coprocessor_error, 0, 0);
    for (int v = FIRST_EXTERNAL_VECTOR; v < 256; ++v)
        set_gate(v, irq_entries_start + (v - FIRST_EXTERNAL_VECTOR) * 16, 0, 0);
#ifdef IA32_SYSCALL_VECTOR
    set_gate(IA32_SYSCALL_VECTOR, entry_INT80_32, 0, 3); /* i386: int $0x80 from ring 3 */
#endif
}

void load_idt(void)
{
    struct {
        u16 size;
        unsigned long address;
    } __packed d = {sizeof idt_table - 1, (unsigned long)idt_table};
    __asm__ volatile("lidt %0" ::"m"(d));
}

bool print_user_faults = true; /* the self-tests turn it off: they fault on purpose */

/* A user task did something the CPU refused: it dies as if by `signal`. */
static void kill_user_task(struct pt_regs *regs, const char *what, unsigned long detail, int signal)
{
    struct task_struct *t = current;
    if (print_user_faults)
        printk("%s[%d]: %s at ip %lx sp %lx (%lx): killed\n", t->comm, t->pid, what, regs->ip, regs->sp, detail);
    local_irq_enable();
    do_exit(signal);
}

static unsigned long guard_hits;
unsigned long stack_guard_hits(void) { return guard_hits; }

/* A kernel access at `addr` (with the stack at `sp`) that hit a stack guard
 * page: the task overflowed its kernel stack. */
static __noreturn void handle_stack_overflow(struct pt_regs *regs, unsigned long addr, unsigned long stack,
                                             const char *how)
{
    struct task_struct *t = current;
    guard_hits++;
    panic_regs(regs, "kernel stack overflow in task \"%s\" (pid %d): guard page hit at %lx (stack %lx-%lx), %s",
               t->comm, t->pid, addr, stack, stack + THREAD_SIZE, how);
}

static void do_error_trap(struct pt_regs *regs, unsigned long error_code, const char *str, int signal)
{
    if (user_mode(regs)) kill_user_task(regs, str, error_code, signal);
    panic_regs(regs, "%s in kernel mode (error code %lx)", str, error_code);
}

#define DEFINE_TRAP(name, str, sig) \
    void name(struct pt_regs *regs, unsigned long error_code) { do_error_trap(regs, error_code, str, sig); }
DEFINE_TRAP(exc_divide_error, "divide error", SIGFPE)
DEFINE_TRAP(exc_debug, "debug exception", SIGILL)
DEFINE_TRAP(exc_int3, "int3", SIGILL)
DEFINE_TRAP(exc_overflow, "overflow", SIGSEGV)
DEFINE_TRAP(exc_bounds, "bounds", SIGSEGV)
DEFINE_TRAP(exc_invalid_op, "invalid opcode", SIGILL)
DEFINE_TRAP(exc_device_not_available, "device not available", SIGFPE)
DEFINE_TRAP(exc_invalid_tss, "invalid TSS", SIGSEGV)
DEFINE_TRAP(exc_segment_not_present, "segment not present", SIGSEGV)
DEFINE_TRAP(exc_stack_segment, "stack segment fault", SIGSEGV)
DEFINE_TRAP(exc_general_protection, "general protection fault", SIGSEGV)
DEFINE_TRAP(exc_coprocessor_error, "x87 floating-point error", SIGFPE)
DEFINE_TRAP(exc_alignment_check, "alignment check", SIGSEGV)
DEFINE_TRAP(exc_machine_check, "machine check", SIGSEGV)
DEFINE_TRAP(exc_simd_coprocessor_error, "SIMD floating-point exception", SIGFPE)
DEFINE_TRAP(exc_reserved, "reserved exception", SIGSEGV)

void exc_page_fault(struct pt_regs *regs, unsigned long error_code)
{
    unsigned long addr = read_cr2(), stack;
    if (user_mode(regs)) kill_user_task(regs, "page fault", addr, SIGSEGV);
    if (addr_in_stack_guard(addr, &stack)) handle_stack_overflow(regs, addr, stack, "#PF");
    panic_regs(regs, "unable to handle kernel page fault at %lx (error code %lx) in task \"%s\"", addr, error_code,
               current->comm);
}

/* #DF, on the IST1 stack. The usual way here from kernel code: a push (or a
 * call) into the guard page faults, and delivering that #PF needs the same
 * stack, which faults again (SDM Vol. 3A 6.15, Table 6-5: #PF during #PF). */
void exc_double_fault(struct pt_regs *regs, unsigned long error_code)
{
    unsigned long addr = read_cr2(), stack;
    const char *how = "#DF: no stack left to deliver the #PF";
    if (addr_in_stack_guard(addr, &stack)) handle_stack_overflow(regs, addr, stack, how);
    if (addr_in_stack_guard(regs->sp, &stack)) handle_stack_overflow(regs, regs->sp, stack, how);
    panic_regs(regs, "double fault in task \"%s\"", current->comm);
}

/* NMI, on the IST2 stack: the panicking CPU stops the others with one. */
void exc_nmi(struct pt_regs *regs, unsigned long error_code)
{
    if (panic_in_progress)
        for (;;) {
            local_irq_disable();
            halt();
        }
    printk("cpu%d: unexpected NMI at %lx\n", smp_processor_id(), regs->ip);
}

void timer_interrupt(void);

/* Every external interrupt: the vector is in orig_ax (common_interrupt). */
void do_IRQ(struct pt_regs *regs)
{
    unsigned long vector = regs->orig_ax;
    struct percpu *pc = this_cpu();
    pc->hardirq_count++;
    pc->nr_irqs++;
    switch (vector) {
    case LOCAL_TIMER_VECTOR:
        timer_interrupt();
        break;
    case RESCHEDULE_VECTOR:
        pc->nr_resched_ipis++; /* the work is TIF_NEED_RESCHED, checked on the way out */
        break;
    case ISA_IRQ_VECTOR(COM1_IRQ):
        serial_interrupt();
        break;
    case SPURIOUS_APIC_VECTOR:
        pc->hardirq_count--;
        return; /* no EOI for a spurious interrupt (SDM Vol. 3A 11.9) */
    case ERROR_APIC_VECTOR:
        apic_write(APIC_ESR, 0);
        printk("cpu%d: APIC error, ESR %x\n", smp_processor_id(), apic_read(APIC_ESR));
        break;
    default:
        printk("cpu%d: unexpected interrupt, vector %lx\n", smp_processor_id(), vector);
    }
    apic_eoi();
    pc->hardirq_count--;
}
