/* What the ACPI tables tell the kernel (drivers/acpi.c): the CPUs and the
 * I/O APIC, from the MADT (ACPI 6.x 5.2.12), found through the RSDP in the
 * BIOS area (5.2.5.1). */
#ifndef _ACPI_H
#define _ACPI_H
#include "percpu.h"
#include "types.h"

struct acpi_info {
    int nr_cpus;
    u8 cpu_apic_id[NR_CPUS]; /* in MADT order; index = our CPU number */
    u32 lapic_phys;
    u32 ioapic_phys;
    u8 ioapic_id;
    u32 ioapic_gsi_base;
    /* ISA IRQ -> GSI, with polarity/trigger (interrupt source overrides) */
    u32 isa_gsi[16];
    u16 isa_flags[16];
    unsigned long rsdp_phys;
    bool xsdt;
};
extern struct acpi_info acpi;
void acpi_init(void); /* panics if there is no usable MADT */

#endif
