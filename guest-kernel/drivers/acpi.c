/* Finding the CPUs and the I/O APIC: the ACPI MADT (ACPI 6.4 5.2.12).
 *
 * The RSDP (5.2.5.1) sits on a 16-byte boundary in the first KiB of the EBDA
 * (whose segment is the word at 0x40E) or in the BIOS area 0xE0000-0xFFFFF.
 * It points to the RSDT (32-bit table pointers) or, from revision 2 on, the
 * XSDT (64-bit); one of those tables is the MADT, signature "APIC", whose
 * entries list a Processor Local APIC per CPU (type 0), the I/O APICs (type 1)
 * and the ISA interrupt source overrides (type 2; QEMU's and switchyard's say
 * IRQ 0 is on pin 2). Every table's bytes sum to 0. */
#include "acpi.h"
#include "apic.h"
#include "mm.h"
#include "printk.h"
#include "processor.h"

struct acpi_info acpi;

struct acpi_table_header {
    char signature[4];
    u32 length;
    u8 revision, checksum;
    char oem_id[6], oem_table_id[8];
    u32 oem_revision, creator_id, creator_revision;
} __packed;

struct acpi_rsdp {
    char signature[8]; /* "RSD PTR " */
    u8 checksum;
    char oem_id[6];
    u8 revision;
    u32 rsdt_address;
    u32 length; /* revision >= 2 */
    u64 xsdt_address;
    u8 extended_checksum;
    u8 reserved[3];
} __packed;

static bool checksum_ok(const void *p, size_t n)
{
    u8 sum = 0;
    for (size_t k = 0; k < n; ++k) sum += ((const u8 *)p)[k];
    return sum == 0;
}

static struct acpi_rsdp *scan_rsdp(unsigned long start, unsigned long len)
{
    for (unsigned long pa = start; pa + 20 <= start + len; pa += 16) {
        struct acpi_rsdp *r = __va(pa);
        if (!memcmp(r->signature, "RSD PTR ", 8) && checksum_ok(r, 20)) return r;
    }
    return NULL;
}

static struct acpi_table_header *find_table(const struct acpi_rsdp *rsdp, const char sig[4])
{
    bool x = rsdp->revision >= 2 && rsdp->xsdt_address;
    struct acpi_table_header *root = __va(x ? rsdp->xsdt_address : rsdp->rsdt_address);
    if (!checksum_ok(root, root->length)) panic("ACPI %s checksum is wrong", x ? "XSDT" : "RSDT");
    acpi.xsdt = x;
    unsigned int entry = x ? 8 : 4, n = (root->length - sizeof *root) / entry;
    for (unsigned int k = 0; k < n; ++k) {
        u8 *p = (u8 *)(root + 1) + k * entry;
        u64 pa = x ? *(u64 *)p : *(u32 *)p;
        struct acpi_table_header *t = __va(pa);
        if (!memcmp(t->signature, sig, 4)) {
            if (!checksum_ok(t, t->length)) panic("ACPI %.4s checksum is wrong", sig);
            return t;
        }
    }
    return NULL;
}

/* The initial APIC ID (CPUID leaf 1, EBX bits 31-24): the APIC is not mapped yet. */
static unsigned int read_apic_id_early(void)
{
    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    return b >> 24;
}

void acpi_init(void)
{
    unsigned long ebda = (unsigned long)(*(u16 *)__va(0x40e)) << 4;
    struct acpi_rsdp *rsdp = NULL;
    if (ebda >= 0x80000 && ebda < 0xa0000) rsdp = scan_rsdp(ebda, 1024);
    if (!rsdp) rsdp = scan_rsdp(0xe0000, 0x20000);
    if (!rsdp) panic("no ACPI RSDP in the EBDA or at 0xE0000-0xFFFFF");
    acpi.rsdp_phys = __pa(rsdp);
    struct acpi_table_header *madt = find_table(rsdp, "APIC");
    if (!madt) panic("no ACPI MADT (\"APIC\" table)");

    for (int irq = 0; irq < 16; ++irq) acpi.isa_gsi[irq] = irq;
    u8 *p = (u8 *)madt + sizeof *madt;
    acpi.lapic_phys = *(u32 *)p;
    u8 *end = (u8 *)madt + madt->length;
    unsigned int bsp = read_apic_id_early();
    for (p += 8; p + 2 <= end && p[1] >= 2; p += p[1]) {
        switch (p[0]) {
        case 0: /* Processor Local APIC: uid, APIC ID, flags (bit 0: enabled) */
            if (!(*(u32 *)(p + 4) & 1)) break;
            if (acpi.nr_cpus == NR_CPUS) {
                printk("acpi: more than %d CPUs; using %d\n", NR_CPUS, NR_CPUS);
                break;
            }
            acpi.cpu_apic_id[acpi.nr_cpus++] = p[3];
            break;
        case 1: /* I/O APIC: id, reserved, address, GSI base */
            if (!acpi.ioapic_phys) {
                acpi.ioapic_id = p[2];
                acpi.ioapic_phys = *(u32 *)(p + 4);
                acpi.ioapic_gsi_base = *(u32 *)(p + 8);
            }
            break;
        case 2: /* Interrupt Source Override: bus, source IRQ, GSI, flags */
            if (p[2] == 0 && p[3] < 16) {
                acpi.isa_gsi[p[3]] = *(u32 *)(p + 4);
                acpi.isa_flags[p[3]] = *(u16 *)(p + 8);
            }
            break;
        }
    }
    if (!acpi.nr_cpus) panic("the MADT lists no enabled CPU");
    /* CPU 0 is the one running this: put the boot CPU first. */
    for (int k = 0; k < acpi.nr_cpus; ++k)
        if (acpi.cpu_apic_id[k] == bsp) {
            acpi.cpu_apic_id[k] = acpi.cpu_apic_id[0];
            acpi.cpu_apic_id[0] = (u8)bsp;
        }
}
