// The machine's APIC and disk wiring (docs/machine.md, "What is wired where"):
// each CPU's own LAPIC at 0xFEE00000, the ICR path to INIT/SIPI, x2APIC MSRs
// through the CPU's MsrHandler, ISA IRQs fanned out to the PIC and the IOAPIC,
// and the ATA ports. The guest code is 32-bit machine code assembled with GNU as
// (the listing is in each comment).
#include <doctest/doctest.h>

#include <string>

#include "machine.h"
#include "machine_support.h"
#include "multiboot.h"

using namespace sy;
using namespace sy::test;

namespace {

struct Rig {
    std::optional<Machine> m;
    explicit Rig(unsigned cpus = 1) {
        MachineConfig c;
        c.ram_bytes = 8 * mem::MiB;
        c.cpus = cpus;
        c.quantum = 500;
        m.emplace(c);
    }
    // Boots CPU 0 into 32-bit code `code` at 0x200020 (a.out kludge image).
    void boot(std::vector<u8> code) { boot::load_multiboot(*m, make_kludge(0x200000, std::move(code), 0), {}); }
    u32 read32(u64 pa) {
        u32 v;
        m->read_phys(pa, &v, 4);
        return v;
    }
};

}  // namespace

TEST_CASE("apic: every CPU sees its own LAPIC in the page at 0xFEE00000") {
    Rig r(2);
    Machine& m = *r.m;
    // mov eax, [0xFEE00020]; mov [0x600], eax; hlt       (BSP)
    // mov eax, [0xFEE00020]; mov [0x604], eax; hlt       (AP, at 0x20002B)
    r.boot({0xA1, 0x20, 0x00, 0xE0, 0xFE, 0xA3, 0x00, 0x06, 0x00, 0x00, 0xF4,
            0xA1, 0x20, 0x00, 0xE0, 0xFE, 0xA3, 0x04, 0x06, 0x00, 0x00, 0xF4});
    // Start the AP, then give it the BSP's flat 32-bit state at the second routine.
    m.send_sipi(1, 0x09);
    Cpu &bsp = m.cpu(0), &ap = m.cpu(1);
    for (int s = 0; s < 6; ++s) ap.sys.seg[s] = bsp.sys.seg[s];
    ap.sys.gdtr = bsp.sys.gdtr;
    ap.sys.cr0 = bsp.sys.cr0;
    ap.s.rip = bsp.s.rip + 11;
    ap.update_mode();
    ap.sync_segment_bases();
    m.run(100'000);
    CHECK(r.read32(0x600) == 0u << 24);
    CHECK(r.read32(0x604) == 1u << 24);
    CHECK(m.cpu(0).apic_id == 0);
    CHECK(m.cpu(1).apic_id == 1);
}

TEST_CASE("apic: INIT and SIPI written to the ICR start an AP") {
    Rig r(3);
    Machine& m = *r.m;
    // mov dword [0xFEE00310], 1 << 24    ICR high: APIC ID 1
    // mov dword [0xFEE00300], 0x4500     INIT, assert
    // mov dword [0xFEE00300], 0x4609     start-up, vector 9
    // jmp $
    r.boot({0xC7, 0x05, 0x10, 0x03, 0xE0, 0xFE, 0x00, 0x00, 0x00, 0x01, 0xC7, 0x05, 0x00, 0x03, 0xE0, 0xFE, 0x00,
            0x45, 0x00, 0x00, 0xC7, 0x05, 0x00, 0x03, 0xE0, 0xFE, 0x09, 0x46, 0x00, 0x00, 0xEB, 0xFE});
    // At 0x9000: inc word [0x500]; jmp back (16-bit real-mode code).
    const u8 ap_code[] = {0xFF, 0x06, 0x00, 0x05, 0xEB, 0xFA};
    m.write_phys(0x9000, ap_code, sizeof ap_code);
    m.run(50'000);
    CHECK_FALSE(m.waiting_for_sipi(1));
    CHECK(m.waiting_for_sipi(2));  // not addressed
    CHECK(m.cpu(1).sys.seg[CS].base == 0x9000);
    CHECK((r.read32(0x500) & 0xFFFF) > 100);
}

TEST_CASE("apic: x2APIC registers are MSRs once IA32_APIC_BASE.EXTD is set") {
    Rig r(1);
    Machine& m = *r.m;
    // mov ecx, 0x1B; rdmsr; or eax, 0x400; wrmsr      x2APIC on
    // mov ecx, 0x803; rdmsr; mov [0x600], eax          version
    // mov ecx, 0x802; rdmsr; mov [0x604], eax          x2APIC ID
    // hlt
    r.boot({0xB9, 0x1B, 0x00, 0x00, 0x00, 0x0F, 0x32, 0x0D, 0x00, 0x04, 0x00, 0x00, 0x0F, 0x30,
            0xB9, 0x03, 0x08, 0x00, 0x00, 0x0F, 0x32, 0xA3, 0x00, 0x06, 0x00, 0x00,
            0xB9, 0x02, 0x08, 0x00, 0x00, 0x0F, 0x32, 0xA3, 0x04, 0x06, 0x00, 0x00, 0xF4});
    RunResult res = m.run(100'000);
    CHECK(res.end == RunEnd::AllHalted);
    CHECK(r.read32(0x600) == dev::LocalApic::kVersion);
    CHECK(r.read32(0x604) == 0);
    CHECK(m.lapic(0).x2apic());
    CHECK((m.cpu(0).sys.apic_base & dev::LocalApic::kBaseExtd) != 0);  // the CPU agrees
}

TEST_CASE("apic: an ISA IRQ reaches both the PIC and the IOAPIC, IRQ 0 is on pin 2") {
    Rig r(2);
    Machine& m = *r.m;
    dev::IoApic& io = m.ioapic();
    auto route = [&](unsigned pin, u8 vector, u8 dest) {
        m.mmio_write(dev::IoApic::kDefaultBase, 4, 0x10 + 2 * pin + 1);
        m.mmio_write(dev::IoApic::kDefaultBase + 0x10, 4, u32(dest) << 24);
        m.mmio_write(dev::IoApic::kDefaultBase, 4, 0x10 + 2 * pin);
        m.mmio_write(dev::IoApic::kDefaultBase + 0x10, 4, vector);
    };
    m.lapic(1).mmio_write(dev::LocalApic::SVR, 4, 0x1FF, 0);  // software-enable the AP's APIC
    route(4, 0x34, 1);
    m.io_out(0x3F9, 1, 0x02);  // COM1 IER: THR empty -> IRQ 4 at once
    CHECK(m.lapic(1).irr_bit(0x34));
    CHECK_FALSE(m.lapic(0).irr_bit(0x34));
    CHECK((m.pic().master().irr & 0x10) != 0);  // the PIC sees IRQ 4 too (latched; the BIOS masks it)
    CHECK(io.entry(4) == 0x34 + (u64(1) << 56));

    // The PIT's IRQ 0 is IOAPIC pin 2 (the MADT override): program channel 0
    // for a short mode-2 period and let the machine run to its first edge.
    route(2, 0x32, 0);
    m.io_out(0x43, 1, 0x34);
    m.io_out(0x40, 1, 100);
    m.io_out(0x40, 1, 0);
    m.run(1'000'000);
    CHECK(m.lapic(0).irr_bit(0x32));
}

TEST_CASE("ata: the primary channel answers at 0x1F0-0x1F7 and 0x3F6 with the attached disk") {
    Rig r(1);
    Machine& m = *r.m;
    CHECK(m.io_in(0x1F7, 1) == 0x00);  // empty channel
    std::vector<u8> img(4 * dev::kSectorSize);
    img[512] = 0x5A;
    m.ata().attach(0, std::make_unique<dev::MemoryDisk>(img));
    CHECK(m.io_in(0x3F6, 1) == 0x50);  // DRDY | DSC
    m.io_out(0x1F6, 1, 0xE0);
    m.io_out(0x1F2, 1, 1);
    m.io_out(0x1F3, 1, 1);  // LBA 1
    m.io_out(0x1F4, 1, 0);
    m.io_out(0x1F5, 1, 0);
    m.io_out(0x1F7, 1, 0x20);  // READ SECTORS
    CHECK((m.io_in(0x1F7, 1) & 0x08) != 0);  // DRQ
    CHECK((m.io_in(0x1F0, 2) & 0xFF) == 0x5A);
}
