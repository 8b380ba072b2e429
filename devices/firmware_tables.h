// Boot-time firmware tables for an operating system to find the CPUs and the
// interrupt wiring: ACPI (RSDP, RSDT, XSDT, MADT) and the Intel MultiProcessor
// Specification tables (floating pointer and configuration table).
// Sources:
//   ACPI Specification 6.x: 5.2.5 RSDP (revision 2, 36 bytes, checksum over the
//   first 20 bytes and extended checksum over all), 5.2.6 system description
//   table header, 5.2.7 RSDT, 5.2.8 XSDT, 5.2.12 MADT with 5.2.12.2 Processor
//   Local APIC, 5.2.12.3 I/O APIC, 5.2.12.5 Interrupt Source Override,
//   5.2.12.7 Local APIC NMI.
//   IA-PC HPET Specification 1.0a, 3.2.4 the ACPI 2.0 HPET description table
//   (event timer block ID, base address as a Generic Address Structure of ACPI
//   5.2.3.2, HPET number, minimum clock tick, page protection).
//   Intel MultiProcessor Specification 1.4: 4.1 MP floating pointer structure,
//   4.2 configuration table header, 4.3.1 processor, 4.3.2 bus, 4.3.3 I/O APIC,
//   4.3.4 I/O interrupt assignment and 4.3.5 local interrupt assignment entries.
//
// The tables are generated into one byte buffer that the machine copies to
// physical address `base` (16-byte aligned, inside 0xE0000-0xFFFFF where the
// RSDP is searched for; the MP floating pointer is only found by OS scans in
// 0xF0000-0xFFFFF, hence the default base 0xF0000). All pointers inside the
// tables are physical addresses computed from `base`.
//
// Wiring described: CPUs with local APIC IDs 0..N-1 (CPU 0 the bootstrap
// processor), local APICs at 0xFEE00000, one I/O APIC at 0xFEC00000 with GSI
// base 0 and ID 0 (what QEMU's PC reports in its MADT and SeaBIOS in its MP
// table, and what the IOAPIC's own ID register holds), ISA IRQ n on I/O APIC pin n except IRQ 0 -> pin
// (GSI) 2, as on PC chipsets where the PIT feeds pin 2; the 8259 on LINT0 as
// ExtINT and NMI on LINT1 of every local APIC; the HPET at 0xFED00000 with
// QEMU's event timer block ID 0x8086A201.
//
// Deviations:
//   * No FADT, DSDT or other ACPI tables: only what interrupt routing and the
//     HPET need.
//     An OS that insists on a FADT has to fall back to the MP tables.
//   * ISA interrupts other than IRQ 0 get no override (active high, edge, as
//     ISA defaults to); there is no PCI bus in either table.
#pragma once
#include <vector>

#include "types.h"

namespace sy::dev {

struct FirmwareConfig {
    unsigned cpu_count = 1;
    u32 lapic_base = 0xFEE00000;
    u32 ioapic_base = 0xFEC00000;
    u8 ioapic_id = 0;
    u64 hpet_base = 0xFED00000;  // 0: no HPET table
    u32 hpet_block_id = 0x8086A201;  // the HPET's General Capabilities and ID, low half
};

struct FirmwareTables {
    u64 base = 0;             // physical address of bytes[0]
    std::vector<u8> bytes;
    // Physical addresses of each structure.
    u64 rsdp = 0, rsdt = 0, xsdt = 0, madt = 0, hpet = 0, mp_floating = 0, mp_config = 0;
};

// Throws std::invalid_argument for a misplaced base or cpu_count outside 1..254.
FirmwareTables build_firmware_tables(const FirmwareConfig& cfg, u64 base = 0xF0000);

}  // namespace sy::dev
