/* The I/O APIC (Intel 82093AA datasheet, 3.2): a window of two registers,
 * IOREGSEL at +0x00 and IOWIN at +0x10; the redirection table entry of pin n
 * is registers 0x10 + 2n (low: vector, delivery, polarity, trigger, mask) and
 * 0x11 + 2n (high: destination APIC ID in bits 56-63). */
#include "acpi.h"
#include "apic.h"
#include "mm.h"
#include "printk.h"

#define IOAPIC_REG_VER 0x01
#define IOAPIC_RTE_MASKED (1 << 16)
#define IOAPIC_RTE_LEVEL (1 << 15)
#define IOAPIC_RTE_ACTIVE_LOW (1 << 13)

static volatile u32 *ioapic_base;
static unsigned int ioapic_nr_pins;

static u32 io_apic_read(u32 reg)
{
    ioapic_base[0] = reg;
    return ioapic_base[4];
}
static void io_apic_write(u32 reg, u32 v)
{
    ioapic_base[0] = reg;
    ioapic_base[4] = v;
}

void ioapic_init(void)
{
    if (!acpi.ioapic_phys) panic("no I/O APIC in the MADT");
    ioapic_base = ioremap(acpi.ioapic_phys);
    ioapic_nr_pins = ((io_apic_read(IOAPIC_REG_VER) >> 16) & 0xff) + 1;
    if (ioapic_nr_pins < 16) panic("I/O APIC has %u pins, fewer than the 16 ISA IRQs", ioapic_nr_pins);
    for (unsigned int pin = 0; pin < ioapic_nr_pins; ++pin) {
        io_apic_write(0x10 + 2 * pin, IOAPIC_RTE_MASKED);
        io_apic_write(0x11 + 2 * pin, 0);
    }
}

unsigned int ioapic_isa_irq_to_pin(unsigned int irq) { return acpi.isa_gsi[irq] - acpi.ioapic_gsi_base; }

/* Routes ISA IRQ `irq` (through the MADT's source overrides) to `vector` on
 * the CPU with APIC ID dest, fixed delivery, unmasked. */
void ioapic_route_isa_irq(unsigned int irq, unsigned int vector, unsigned int dest)
{
    unsigned int pin = ioapic_isa_irq_to_pin(irq);
    if (pin >= ioapic_nr_pins) panic("ISA IRQ %u maps to I/O APIC pin %u, which does not exist", irq, pin);
    u32 low = vector;
    u16 flags = acpi.isa_flags[irq];
    if ((flags & 3) == 3) low |= IOAPIC_RTE_ACTIVE_LOW; /* MPS INTI flags: polarity */
    if (((flags >> 2) & 3) == 3) low |= IOAPIC_RTE_LEVEL; /* trigger mode */
    io_apic_write(0x11 + 2 * pin, dest << 24);
    io_apic_write(0x10 + 2 * pin, low);
}

u32 ioapic_read_rte_low(unsigned int pin) { return io_apic_read(0x10 + 2 * pin); }
