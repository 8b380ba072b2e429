/* The local APICs and the I/O APIC (drivers/lapic.c, drivers/ioapic.c).
 * SDM Vol. 3A chapter 11 (xAPIC mode, MMIO at 0xFEE00000) and the 82093AA
 * I/O APIC datasheet. */
#ifndef _APIC_H
#define _APIC_H
#include "types.h"

#define APIC_DEFAULT_PHYS_BASE 0xfee00000
#define APIC_ID 0x20
#define APIC_LVR 0x30
#define APIC_TASKPRI 0x80
#define APIC_EOI 0xb0
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_SPIV 0xf0
#define APIC_ESR 0x280
#define APIC_ICR 0x300
#define APIC_ICR2 0x310
#define APIC_LVTT 0x320
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_LVTERR 0x370
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3e0

#define APIC_SPIV_APIC_ENABLED (1 << 8)
#define APIC_LVT_MASKED (1 << 16)
#define APIC_LVT_TIMER_PERIODIC (1 << 17)
#define APIC_DM_FIXED 0x000
#define APIC_DM_NMI 0x400
#define APIC_DM_INIT 0x500
#define APIC_DM_STARTUP 0x600
#define APIC_ICR_BUSY 0x1000
#define APIC_INT_ASSERT 0x4000
#define APIC_INT_LEVELTRIG 0x8000
#define APIC_DEST_ALLBUT 0xc0000
#define APIC_TDR_DIV_16 0x3

u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 v);
void lapic_init(void);           /* this CPU: enable, vectors, timer */
void lapic_calibrate_timer(void); /* boot CPU, against the PIT */
void apic_eoi(void);
unsigned int read_apic_id(void);
void apic_send_ipi(unsigned int apic_id, u32 icr_low);
void apic_send_ipi_allbutself(u32 icr_low);
void smp_send_reschedule(int cpu);
extern u32 lapic_timer_ticks_per_jiffy;

void ioapic_init(void);
void ioapic_route_isa_irq(unsigned int irq, unsigned int vector, unsigned int dest_apic_id);
u32 ioapic_read_rte_low(unsigned int pin);
unsigned int ioapic_isa_irq_to_pin(unsigned int irq);

#endif
