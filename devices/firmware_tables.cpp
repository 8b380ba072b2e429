// ACPI and MP table generation; see firmware_tables.h for the sections and layout.
#include "firmware_tables.h"

#include <cstring>
#include <stdexcept>
#include <string_view>

namespace sy::dev {

namespace {

class Writer {
public:
    explicit Writer(std::vector<u8>& out) : out_(out) {}
    size_t pos() const { return out_.size(); }
    void align(size_t a) {
        while (out_.size() % a) out_.push_back(0);
    }
    void u8_(u8 v) { out_.push_back(v); }
    void le(u64 v, unsigned bytes) {
        for (unsigned i = 0; i < bytes; ++i) out_.push_back(u8(v >> (8 * i)));
    }
    // A fixed-width text field, space- or zero-padded.
    void text(std::string_view s, size_t width, char pad = ' ') {
        for (size_t i = 0; i < width; ++i) out_.push_back(u8(i < s.size() ? s[i] : pad));
    }
    void patch_le(size_t at, u64 v, unsigned bytes) {
        for (unsigned i = 0; i < bytes; ++i) out_[at + i] = u8(v >> (8 * i));
    }
    // Sets out_[at] so that bytes [from, from + len) sum to 0 mod 256.
    void checksum(size_t at, size_t from, size_t len) {
        out_[at] = 0;
        u8 sum = 0;
        for (size_t i = from; i < from + len; ++i) sum = u8(sum + out_[i]);
        out_[at] = u8(-sum);
    }

private:
    std::vector<u8>& out_;
};

// ACPI 5.2.6: the 36-byte header; returns its offset. Length and checksum are
// filled in by end_acpi_table().
size_t begin_acpi_table(Writer& w, std::string_view sig, u8 revision) {
    size_t at = w.pos();
    w.text(sig, 4);
    w.le(0, 4);         // Length
    w.u8_(revision);
    w.u8_(0);           // Checksum
    w.text("SWYARD", 6);
    w.text("SWITCHYD", 8);
    w.le(1, 4);         // OEM Revision
    w.text("SWYD", 4);  // Creator ID
    w.le(1, 4);         // Creator Revision
    return at;
}

void end_acpi_table(Writer& w, size_t at) {
    size_t len = w.pos() - at;
    w.patch_le(at + 4, len, 4);
    w.checksum(at + 9, at, len);
}

}  // namespace

FirmwareTables build_firmware_tables(const FirmwareConfig& cfg, u64 base) {
    if (base % 16 || base < 0xE0000 || base >= 0x100000)
        throw std::invalid_argument("firmware tables: base must be 16-byte aligned in 0xE0000-0xFFFFF");
    if (cfg.cpu_count < 1 || cfg.cpu_count > 254)
        throw std::invalid_argument("firmware tables: cpu_count must be 1..254");
    const u8 ioapic_id = cfg.ioapic_id;

    FirmwareTables t;
    t.base = base;
    Writer w(t.bytes);

    // ACPI 5.2.5 RSDP, revision 2; the table addresses are patched below.
    size_t rsdp = w.pos();
    w.text("RSD PTR ", 8);
    w.u8_(0);  // Checksum (first 20 bytes)
    w.text("SWYARD", 6);
    w.u8_(2);  // Revision: ACPI 2.0+, XSDT present
    w.le(0, 4);   // RsdtAddress
    w.le(36, 4);  // Length
    w.le(0, 8);   // XsdtAddress
    w.u8_(0);     // Extended Checksum
    w.le(0, 3);

    // ACPI 5.2.12 MADT.
    w.align(16);
    size_t madt = begin_acpi_table(w, "APIC", 1);
    w.le(cfg.lapic_base, 4);
    w.le(1, 4);  // Flags: PCAT_COMPAT, dual 8259s present
    for (unsigned i = 0; i < cfg.cpu_count; ++i) {
        w.u8_(0), w.u8_(8);      // Processor Local APIC
        w.u8_(u8(i)), w.u8_(u8(i));  // ACPI processor UID, APIC ID
        w.le(1, 4);              // Enabled
    }
    w.u8_(1), w.u8_(12);  // I/O APIC
    w.u8_(ioapic_id), w.u8_(0);
    w.le(cfg.ioapic_base, 4);
    w.le(0, 4);           // Global System Interrupt base
    w.u8_(2), w.u8_(10);  // Interrupt Source Override: ISA IRQ 0 -> GSI 2
    w.u8_(0), w.u8_(0);   // Bus 0 (ISA), source IRQ 0
    w.le(2, 4);
    w.le(0, 2);           // Flags: conforms to the bus (edge, active high)
    w.u8_(4), w.u8_(6);   // Local APIC NMI on LINT1 of all processors
    w.u8_(0xFF);
    w.le(0, 2);
    w.u8_(1);
    end_acpi_table(w, madt);

    // HPET 3.2.4: the HPET description table.
    size_t hpet = 0;
    if (cfg.hpet_base) {
        w.align(16);
        hpet = begin_acpi_table(w, "HPET", 1);
        w.le(cfg.hpet_block_id, 4);  // Event Timer Block ID
        w.u8_(0), w.u8_(0), w.u8_(0), w.u8_(0);  // GAS: system memory, register width/offset/access 0 (as QEMU)
        w.le(cfg.hpet_base, 8);
        w.u8_(0);    // HPET number
        w.le(0, 2);  // main counter minimum clock tick in periodic mode
        w.u8_(0);    // page protection: none
        end_acpi_table(w, hpet);
    }

    // ACPI 5.2.7 RSDT and 5.2.8 XSDT, each listing the MADT and the HPET table.
    w.align(16);
    size_t rsdt = begin_acpi_table(w, "RSDT", 1);
    w.le(base + madt, 4);
    if (hpet) w.le(base + hpet, 4);
    end_acpi_table(w, rsdt);
    w.align(16);
    size_t xsdt = begin_acpi_table(w, "XSDT", 1);
    w.le(base + madt, 8);
    if (hpet) w.le(base + hpet, 8);
    end_acpi_table(w, xsdt);

    w.patch_le(rsdp + 16, base + rsdt, 4);
    w.patch_le(rsdp + 24, base + xsdt, 8);
    w.checksum(rsdp + 8, rsdp, 20);
    w.checksum(rsdp + 32, rsdp, 36);

    // MP 4.1 floating pointer structure (16 bytes, 16-byte aligned).
    w.align(16);
    size_t mpf = w.pos();
    w.text("_MP_", 4);
    w.le(0, 4);  // Physical address pointer (patched)
    w.u8_(1);    // Length in 16-byte paragraphs
    w.u8_(4);    // Spec revision 1.4
    w.u8_(0);    // Checksum
    w.le(0, 5);  // Feature bytes 1-5: 0 = a configuration table is present

    // MP 4.2 configuration table header (44 bytes) and 4.3 entries.
    w.align(16);
    size_t mpc = w.pos();
    w.text("PCMP", 4);
    w.le(0, 2);  // Base table length (patched)
    w.u8_(4);    // Spec revision
    w.u8_(0);    // Checksum
    w.text("SWYARD", 8);
    w.text("SWITCHYARD", 12);
    w.le(0, 4);  // OEM table pointer
    w.le(0, 2);  // OEM table size
    w.le(0, 2);  // Entry count (patched)
    w.le(cfg.lapic_base, 4);
    w.le(0, 2);  // Extended table length
    w.u8_(0);    // Extended table checksum
    w.u8_(0);
    unsigned entries = 0;
    for (unsigned i = 0; i < cfg.cpu_count; ++i, ++entries) {
        w.u8_(0);                   // Processor
        w.u8_(u8(i));               // Local APIC ID
        w.u8_(0x14);                // Local APIC version (integrated APIC)
        w.u8_(i == 0 ? 0x03 : 0x01);  // EN, BP for the bootstrap processor
        w.le(0x00000600, 4);        // CPU signature: family 6
        w.le(0x00000201, 4);        // Feature flags: FPU, APIC
        w.le(0, 8);
    }
    w.u8_(1), w.u8_(0), w.text("ISA", 6), ++entries;  // Bus 0: ISA
    w.u8_(2), w.u8_(ioapic_id), w.u8_(0x11), w.u8_(1), ++entries;  // I/O APIC, version 0x11, EN
    w.le(cfg.ioapic_base, 4);
    for (unsigned irq = 0; irq < 16; ++irq) {
        if (irq == 2) continue;  // the cascade; IRQ 0 takes its pin
        w.u8_(3), w.u8_(0);      // I/O interrupt, INT
        w.le(0, 2);              // Flags: conforms to the bus
        w.u8_(0), w.u8_(u8(irq));  // Source bus 0, bus IRQ
        w.u8_(ioapic_id), w.u8_(u8(irq == 0 ? 2 : irq));
        ++entries;
    }
    const u8 lint_types[2] = {3, 1};  // ExtINT on LINT0, NMI on LINT1
    for (u8 lint = 0; lint < 2; ++lint, ++entries) {
        w.u8_(4), w.u8_(lint_types[lint]);
        w.le(0, 2);
        w.u8_(0), w.u8_(0);
        w.u8_(0xFF), w.u8_(lint);  // all local APICs
    }
    w.patch_le(mpc + 4, w.pos() - mpc, 2);
    w.patch_le(mpc + 34, entries, 2);
    w.checksum(mpc + 7, mpc, w.pos() - mpc);
    w.patch_le(mpf + 4, base + mpc, 4);
    w.checksum(mpf + 10, mpf, 16);

    if (base + t.bytes.size() > 0x100000) throw std::invalid_argument("firmware tables: do not fit below 1 MiB");
    t.rsdp = base + rsdp, t.rsdt = base + rsdt, t.xsdt = base + xsdt, t.madt = base + madt;
    t.hpet = hpet ? base + hpet : 0;
    t.mp_floating = base + mpf, t.mp_config = base + mpc;
    return t;
}

}  // namespace sy::dev
