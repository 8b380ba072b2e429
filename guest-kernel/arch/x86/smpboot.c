/* Starting the other CPUs (Linux: arch/x86/kernel/smpboot.c).
 *
 * For each CPU the MADT lists, the boot CPU creates its idle task, fills in
 * its per-CPU area and the parameters secondary_startup_64 reads, and sends it
 * INIT, then twice a start-up IPI with the trampoline's page number (the
 * universal algorithm of the MP spec, B.4; SDM Vol. 3A 9.4.4.1). The AP climbs
 * from real mode in trampoline.S, arrives in start_secondary() on its idle
 * task's stack and says it is online. One CPU at a time. */
#include "acpi.h"
#include "apic.h"
#include "desc.h"
#include "kernel.h"
#include "mm.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"

#define TRAMPOLINE_PHYS 0x7000

extern char trampoline_start[], trampoline_end[];

/* Read by secondary_startup_64 (head64.S; i386: secondary_startup_32 in
 * head_32.S): offsets 0, 1 and 2 longs. gs_base is the per-CPU area. */
struct smpboot_params smpboot_params;

/* Busy-waits about ms milliseconds on jiffies (interrupts are on). */
static void mdelay_jiffies(unsigned int ms)
{
    unsigned long until = jiffies + (ms * HZ + 999) / 1000 + 1;
    while ((long)(jiffies - until) < 0) cpu_relax();
}

static void do_boot_cpu(int cpu, unsigned int apic_id)
{
    struct task_struct *idle = fork_idle(cpu);
    struct percpu *pc = &cpu_data[cpu];
    pc->self = pc;
    pc->cpu_number = (unsigned long)cpu;
    pc->apic_id = apic_id;
    pc->current_task = idle;
    pc->top_of_stack = task_top_of_stack(idle);
    pc->stack_canary = idle->stack_canary;
    smpboot_params.stack = task_top_of_stack(idle);
    smpboot_params.gs_base = (unsigned long)pc;
    smpboot_params.cr3 = __pa(init_mm.pgd);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    apic_send_ipi(apic_id, APIC_DM_INIT | APIC_INT_LEVELTRIG | APIC_INT_ASSERT);
    mdelay_jiffies(10);
    apic_send_ipi(apic_id, APIC_DM_INIT | APIC_INT_LEVELTRIG); /* de-assert */
    for (int k = 0; k < 2 && !READ_ONCE(pc->online); ++k) {
        apic_send_ipi(apic_id, APIC_DM_STARTUP | (TRAMPOLINE_PHYS >> 12));
        mdelay_jiffies(1);
    }
    unsigned long until = jiffies + 10 * HZ; /* as Linux: a CPU gets 10 s */
    while (!READ_ONCE(pc->online)) {
        if ((long)(jiffies - until) > 0) panic("CPU %d (APIC ID %u) did not come online", cpu, apic_id);
        cpu_relax();
    }
}

void smp_boot_cpus(void)
{
    cpu_online_mask = 1;
    cpu_data[0].online = 1;
    nr_cpu_ids = acpi.nr_cpus;
    if (nr_cpu_ids == 1) return;
    memcpy(__va(TRAMPOLINE_PHYS), trampoline_start, (size_t)(trampoline_end - trampoline_start));
    prepare_trampoline(__va(TRAMPOLINE_PHYS));
    for (int cpu = 1; cpu < acpi.nr_cpus; ++cpu) do_boot_cpu(cpu, acpi.cpu_apic_id[cpu]);
}

/* An AP's first C function, on its idle task's stack, interrupts off. */
void start_secondary(void)
{
    int cpu = smp_processor_id();
    cpu_init(cpu);
    lapic_init();
    if (read_apic_id() != cpu_data[cpu].apic_id)
        panic("cpu%d: APIC ID %u, the MADT said %u", cpu, read_apic_id(), cpu_data[cpu].apic_id);
    __atomic_fetch_or(&cpu_online_mask, 1UL << cpu, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&nr_online_cpus, 1, __ATOMIC_SEQ_CST);
    WRITE_ONCE(cpu_data[cpu].online, 1);
    local_irq_enable();
    cpu_startup_entry();
}

/* panic(): an NMI to every other CPU; exc_nmi() halts them. */
void smp_stop_other_cpus(void)
{
    if (nr_online_cpus > 1) apic_send_ipi_allbutself(APIC_DM_NMI);
}
