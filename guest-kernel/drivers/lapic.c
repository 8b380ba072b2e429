/* The local APIC of each CPU in xAPIC mode (SDM Vol. 3A chapter 11), reached
 * through the direct map at its physical base 0xFEE00000: the timer that
 * drives scheduling (periodic, HZ times a second), inter-processor interrupts,
 * EOI. The timer's rate is not architectural, so the boot CPU measures it
 * against the PIT (8254 channel 2, gated through port 0x61), as Linux's
 * calibrate_APIC_clock() does. */
#include "acpi.h"
#include "apic.h"
#include "irq_vectors.h"
#include "mm.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"

static volatile u32 *lapic_base;
u32 lapic_timer_ticks_per_jiffy;

u32 apic_read(u32 reg) { return lapic_base[reg / 4]; }
void apic_write(u32 reg, u32 v) { lapic_base[reg / 4] = v; }
void apic_eoi(void) { apic_write(APIC_EOI, 0); }
unsigned int read_apic_id(void) { return apic_read(APIC_ID) >> 24; }

static void apic_wait_icr_idle(void)
{
    while (apic_read(APIC_ICR) & APIC_ICR_BUSY) cpu_relax();
}

void apic_send_ipi(unsigned int apic_id, u32 icr_low)
{
    unsigned long flags = local_irq_save();
    apic_wait_icr_idle();
    apic_write(APIC_ICR2, apic_id << 24);
    apic_write(APIC_ICR, icr_low);
    local_irq_restore(flags);
}

void apic_send_ipi_allbutself(u32 icr_low)
{
    unsigned long flags = local_irq_save();
    apic_wait_icr_idle();
    apic_write(APIC_ICR, APIC_DEST_ALLBUT | icr_low);
    local_irq_restore(flags);
}

/* Makes `cpu` look at TIF_NEED_RESCHED: the interrupt wakes it from HLT, and
 * its return path reschedules (Linux: native_smp_send_reschedule). */
void smp_send_reschedule(int cpu) { apic_send_ipi(cpu_data[cpu].apic_id, APIC_DM_FIXED | RESCHEDULE_VECTOR); }

static void pic_disable(void)
{
    /* Remap the 8259s away from the exception vectors, then mask every line:
     * interrupts come through the I/O APIC. */
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, 0x20);
    outb(0xa1, 0x28);
    outb(0x21, 0x04);
    outb(0xa1, 0x02);
    outb(0x21, 0x01);
    outb(0xa1, 0x01);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

/* This CPU's APIC: enabled, LINT0 masked (no 8259 through virtual wire),
 * LINT1 NMI on the boot CPU, the error vector, and the periodic timer. */
void lapic_init(void)
{
    if (!lapic_base) {
        lapic_base = ioremap(acpi.lapic_phys ? acpi.lapic_phys : APIC_DEFAULT_PHYS_BASE);
        pic_disable();
    }
    apic_write(APIC_TASKPRI, 0);
    apic_write(APIC_SPIV, APIC_SPIV_APIC_ENABLED | SPURIOUS_APIC_VECTOR);
    apic_write(APIC_LVT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT1, smp_processor_id() == 0 ? APIC_DM_NMI : APIC_LVT_MASKED);
    apic_write(APIC_LVTERR, ERROR_APIC_VECTOR);
    apic_write(APIC_ESR, 0);
    apic_write(APIC_ESR, 0);
    if (lapic_timer_ticks_per_jiffy) {
        apic_write(APIC_TDCR, APIC_TDR_DIV_16);
        apic_write(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | LOCAL_TIMER_VECTOR);
        apic_write(APIC_TMICT, lapic_timer_ticks_per_jiffy);
    }
    apic_eoi();
}

/* Counts how far the APIC timer (divide by 16) gets in 1/HZ s of PIT time. */
void lapic_calibrate_timer(void)
{
    const u32 pit_hz = 1193182;
    u32 latch = pit_hz / HZ;
    apic_write(APIC_TDCR, APIC_TDR_DIV_16);
    apic_write(APIC_LVTT, APIC_LVT_MASKED);
    outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* channel 2 gate on, speaker off */
    outb(0x43, 0xb0);                       /* channel 2, lobyte/hibyte, mode 0 */
    outb(0x42, latch & 0xff);
    outb(0x42, latch >> 8);
    apic_write(APIC_TMICT, 0xffffffff);
    while (!(inb(0x61) & 0x20)) cpu_relax(); /* OUT2 goes high at terminal count */
    u32 left = apic_read(APIC_TMCCT);
    apic_write(APIC_TMICT, 0);
    lapic_timer_ticks_per_jiffy = 0xffffffff - left;
    if (lapic_timer_ticks_per_jiffy < 1000) panic("APIC timer calibration: only %u counts in a tick", lapic_timer_ticks_per_jiffy);
}
