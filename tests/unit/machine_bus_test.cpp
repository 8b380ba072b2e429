// The machine's bus routing (RAM pages, ports, MMIO) and its run loop: where
// each access lands, the PC port map of docs/machine.md, the firmware tables in
// RAM, serial input, and the round-robin clock with halts, cycle limits and
// startup IPIs.
#include <doctest/doctest.h>

#include <cstring>
#include <deque>
#include <string>

#include "machine.h"
#include "machine_support.h"
#include "multiboot.h"

using namespace sy;
using namespace sy::test;

namespace {

struct Rig {
    std::string serial, debugcon;
    std::optional<Machine> m;
    explicit Rig(unsigned cpus = 1, u64 quantum = 1000) {
        MachineConfig c;
        c.ram_bytes = 8 * mem::MiB;
        c.cpus = cpus;
        c.quantum = quantum;
        c.serial_out = [this](u8 b) { serial.push_back(char(b)); };
        c.debugcon_out = [this](u8 b) { debugcon.push_back(char(b)); };
        m.emplace(c);
    }
    // Boots CPU 0 into 32-bit code `code` at 0x200020 (a.out kludge image).
    void boot(std::vector<u8> code) { boot::load_multiboot(*m, make_kludge(0x200000, std::move(code), 0), {}); }
};

}  // namespace

TEST_CASE("bus: RAM pages are host pointers, everything above RAM is not RAM") {
    Rig r;
    Machine& m = *r.m;
    CHECK(m.ram_page(0) == m.ram());
    CHECK(m.ram_page(0x1234) == m.ram() + 0x1000);
    CHECK(m.ram_page(m.ram_size() - 1) == m.ram() + m.ram_size() - 0x1000);
    CHECK(m.ram_page(m.ram_size()) == nullptr);
    CHECK(m.ram_page(0xFEE00000) == nullptr);
    CHECK(m.mmio_read(0xD0000000, 4) == 0xFFFFFFFF);  // unclaimed: floating bus
    CHECK(m.mmio_read(0xD0000000, 8) == ~0ull);
    CHECK_THROWS_AS(m.write_phys(m.ram_size() - 2, "abcd", 4), std::out_of_range);
}

TEST_CASE("bus: the PC port map") {
    Rig r;
    Machine& m = *r.m;
    // isa-debugcon
    CHECK(m.io_in(0xE9, 1) == 0xE9);
    m.io_out(0xE9, 1, 'x');
    CHECK(r.debugcon == "x");
    // COM1: THR goes to the serial sink; LSR says the transmitter is empty.
    m.io_out(0x3F8, 1, 'A');
    CHECK(r.serial == "A");
    CHECK((m.io_in(0x3FD, 1) & 0x60) == 0x60);
    // fw_cfg: the signature, then the CPU count.
    m.io_out(0x510, 2, 0x0000);
    std::string sig;
    for (int k = 0; k < 4; ++k) sig.push_back(char(m.io_in(0x511, 1)));
    CHECK(sig == "QEMU");
    m.io_out(0x510, 2, 0x0005);
    CHECK(m.io_in(0x511, 1) == 1);
    // PIC: the master's mask register reads back.
    m.io_out(0x21, 1, 0xA5);
    CHECK(m.io_in(0x21, 1) == 0xA5);
    // CMOS: the RAM size above 1 MiB in 0x30/0x31 (KiB), as QEMU fills it.
    m.io_out(0x70, 1, 0x30);
    u32 lo = m.io_in(0x71, 1);
    m.io_out(0x70, 1, 0x31);
    u32 hi = m.io_in(0x71, 1);
    CHECK((lo | (hi << 8)) == (8 * 1024 - 1024));
    // Unclaimed ports float high at every width.
    CHECK(m.io_in(0x80, 1) == 0xFF);
    CHECK(m.io_in(0x80, 2) == 0xFFFF);
    CHECK(m.io_in(0x80, 4) == 0xFFFFFFFF);
    // isa-debug-exit
    CHECK_FALSE(m.debug_exit().exit_request().has_value());
    m.io_out(0xF4, 4, 0x10);
    CHECK(m.debug_exit().exit_request() == 0x21);
}

TEST_CASE("bus: the ACPI and MP tables are in RAM at 0xF0000") {
    Rig r(2);
    Machine& m = *r.m;
    const auto& t = m.firmware_tables();
    CHECK(t.base == 0xF0000);
    char sig[8];
    m.read_phys(t.rsdp, sig, 8);
    CHECK(std::string(sig, 8) == "RSD PTR ");
    m.read_phys(t.mp_floating, sig, 4);
    CHECK(std::string(sig, 4) == "_MP_");
    m.read_phys(t.madt, sig, 4);
    CHECK(std::string(sig, 4) == "APIC");
}

TEST_CASE("bus: COM1 receives host input when the guest reads the line status") {
    Rig r;
    Machine& m = *r.m;
    const u8 input[] = {'o', 'k'};
    CHECK(m.inject_serial(input, 2) == 2);
    m.io_out(0x3FA, 1, 0x07);  // FIFO on: both bytes fit
    CHECK((m.com1().peek_lsr() & 1) == 0);  // nothing moved before the guest looks
    CHECK((m.io_in(0x3FD, 1) & 1) == 1);
    CHECK(m.io_in(0x3F8, 1) == 'o');
    CHECK(m.io_in(0x3F8, 1) == 'k');
    CHECK((m.io_in(0x3FD, 1) & 1) == 0);
}

TEST_CASE("run: hlt with interrupts off ends the run as AllHalted") {
    Rig r;
    r.boot({0x90, 0xF4});  // nop; hlt
    RunResult res = r.m->run(1'000'000);
    CHECK(res.end == RunEnd::AllHalted);
    CHECK(res.detail.find("cpu0: halted") != std::string::npos);
    CHECK(r.m->cpu(0).insns == 2);
}

TEST_CASE("run: the cycle limit stops a spinning CPU exactly at the limit") {
    Rig r;
    r.boot({0xEB, 0xFE});  // jmp $
    RunResult res = r.m->run(123'457);
    CHECK(res.end == RunEnd::CycleLimit);
    CHECK(r.m->now() == 123'457);
    CHECK(r.m->cpu(0).cycles >= 123'457);
    CHECK(r.m->cpu(0).cycles < 123'457 + 50);
}

TEST_CASE("run: the same program gives the same cycle and instruction counts") {
    // mov ecx, 5000; l: dec ecx; jnz l; hlt
    std::vector<u8> code = {0xB9, 0x88, 0x13, 0x00, 0x00, 0x49, 0x75, 0xFD, 0xF4};
    u64 cycles[2], insns[2];
    for (int k = 0; k < 2; ++k) {
        Rig r(2, 777);
        r.boot(code);
        CHECK(r.m->run(10'000'000).end == RunEnd::AllHalted);
        cycles[k] = r.m->now();
        insns[k] = r.m->total_insns();
    }
    CHECK(cycles[0] == cycles[1]);
    CHECK(insns[0] == insns[1]);
    CHECK(insns[0] == 1 + 2 * 5000 + 1);
}

TEST_CASE("run: APs wait for SIPI, then start in real mode at vector * 0x1000") {
    Rig r(3, 500);
    Machine& m = *r.m;
    r.boot({0xEB, 0xFE});  // the BSP spins
    CHECK(m.waiting_for_sipi(1));
    CHECK(m.waiting_for_sipi(2));
    // At 0x9000: inc word [0x500]; jmp back (16-bit real-mode code).
    const u8 ap_code[] = {0xFF, 0x06, 0x00, 0x05, 0xEB, 0xFA};
    m.write_phys(0x9000, ap_code, sizeof ap_code);
    m.send_sipi(1, 0x09);
    CHECK_FALSE(m.waiting_for_sipi(1));
    Cpu& ap = m.cpu(1);
    CHECK(ap.mode() == Mode::Real);
    CHECK(ap.sys.seg[CS].sel == 0x0900);
    CHECK(ap.sys.seg[CS].base == 0x9000);
    CHECK(ap.s.rip == 0);
    CHECK((ap.sys.apic_base & (1u << 8)) == 0);  // not the BSP

    RunResult res = m.run(100'000);
    CHECK(res.end == RunEnd::CycleLimit);
    u16 counter;
    m.read_phys(0x500, &counter, 2);
    CHECK(counter > 100);                 // the AP ran
    CHECK(m.cpu(2).insns == 0);           // CPU 2 never got its SIPI
    CHECK(m.cpu(2).cycles == m.now());    // but its clock followed the machine's
    CHECK(m.cpu(0).cycles >= 100'000);    // the BSP ran its share too
    CHECK(ap.cycles >= 100'000);
    // A second SIPI to a running CPU is ignored.
    m.send_sipi(1, 0x10);
    CHECK(ap.sys.seg[CS].base == 0x9000);
}
