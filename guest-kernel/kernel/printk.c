/* printk() and panic(). Messages go to the serial console, one whole line at
 * a time under console_lock, so lines from different CPUs never interleave. */
#include "console.h"
#include "kernel.h"
#include "printk.h"
#include "processor.h"
#include "ptrace.h"
#include "sched.h"

volatile int panic_in_progress;

void printk(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    console_write(buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

static __noreturn void vpanic(const struct pt_regs *regs, const char *fmt, va_list ap)
{
    local_irq_disable();
    /* Only the first CPU to panic reports; the others stop. */
    if (__atomic_exchange_n(&panic_in_progress, 1, __ATOMIC_SEQ_CST))
        for (;;) halt();
    smp_stop_other_cpus();
    /* The console lock may be held by a CPU we just stopped. */
    console_lock.locked = 0;
    console_lock.owner_cpu = -1;
    char buf[256];
    vsnprintf(buf, sizeof buf, fmt, ap);
    struct task_struct *t = current;
    printk("Kernel panic - not syncing: %s\n", buf);
    printk("CPU: %d PID: %d Comm: %s\n", smp_processor_id(), t ? t->pid : -1, t ? t->comm : "?");
    if (regs) show_regs(regs);
    printk("---[ end Kernel panic - not syncing: %s ]---\n", buf);
    machine_power_off(PANIC_EXIT_CODE);
}

__noreturn void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vpanic(NULL, fmt, ap);
}

__noreturn void panic_regs(const struct pt_regs *regs, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vpanic(regs, fmt, ap);
}

__noreturn void machine_power_off(int code)
{
    local_irq_disable();
    outb(EXIT_PORT, (u8)code);
    /* Bochs has no isa-debug-exit; its power-off port takes "Shutdown"
     * (scripts/compare-peers.sh boots this kernel there). */
    for (const char *p = "Shutdown"; *p; ++p) outb(BOCHS_SHUTDOWN_PORT, (u8)*p);
    /* Without an exit device (real hardware): stop here. */
    for (;;) halt();
}
