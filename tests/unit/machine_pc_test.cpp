// The PC as the firmware leaves it and the machine's newer rules: the BIOS
// hand-off state (values QEMU's SeaBIOS leaves, tests/system/expected/
// pcprobe.txt), the VGA window, the A20 gate, reset, the HPET's legacy gate on
// the PIT, the bounded serial queue, the idle rule, and the console's input
// sources. Guest code is 32-bit machine code assembled with GNU as (the
// listing is in each comment).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "bios.h"
#include "console.h"
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
    void boot(std::vector<u8> code) { boot::load_multiboot(*m, make_kludge(0x200000, std::move(code), 0), {}); }
    u32 read32(u64 pa) {
        u32 v;
        m->read_phys(pa, &v, 4);
        return v;
    }
    u16 read16(u64 pa) {
        u16 v;
        m->read_phys(pa, &v, 2);
        return v;
    }
};

// A host that never has input: records the cycles it was asked to wait at.
struct NoInput : HostIo {
    std::vector<u64> waits;
    unsigned polls = 0;
    void poll(Machine&) override { ++polls; }
    bool wait(Machine& m) override {
        waits.push_back(m.now());
        return false;
    }
    bool stop_requested() override { return false; }
};

}  // namespace

TEST_CASE("bios: the vector table, the BIOS data area and the 8259s as SeaBIOS leaves them") {
    Rig r;
    Machine& m = *r.m;
    CHECK(r.read32(0x08 * 4) == bios::entry_vector(bios::Entry::Timer));
    CHECK((r.read32(0x08 * 4) >> 16) == 0xF000);
    CHECK(r.read32(0x70 * 4) == bios::entry_vector(bios::Entry::Rtc));
    CHECK(r.read32(0x1C * 4) == bios::entry_vector(bios::Entry::Iret));
    u8 first;
    m.read_phys(bios::kCodeBase + (bios::entry_vector(bios::Entry::Iret) & 0xFFFF) - bios::kCodeOffset, &first, 1);
    CHECK(first == 0xCF);  // IRET
    CHECK(r.read16(0x400) == 0x3F8);
    CHECK(r.read16(0x40E) == 0x9FC0);
    CHECK(r.read16(0x413) == 639);
    CHECK(r.read16(0x463) == 0x3D4);
    CHECK(r.read32(0x46C) == 0);  // the RTC starts at midnight
    CHECK(m.pic().master().vector_base == 0x08);
    CHECK(m.pic().slave().vector_base == 0x70);
    CHECK(m.io_in(0x21, 1) == 0xB8);
    CHECK(m.io_in(0xA1, 1) == 0x8E);
    m.io_out(0x43, 1, 0xE2);  // read back channel 0's status: mode 2, low/high byte
    CHECK((m.io_in(0x40, 1) & 0x3F) == 0x34);
    CHECK(m.io_in(0x64, 1) == 0x1C);
    CHECK(m.io_in(0x92, 1) == 0x02);
    CHECK(m.keyboard_controller().command_byte() == 0x61);
    CHECK(m.a20());
}

TEST_CASE("bios: an attached disk is probed: the slave is left selected and the BDA counts it") {
    Rig r;
    Machine& m = *r.m;
    CHECK(m.io_in(0x1F6, 1) == 0x00);  // no drives: the channel floats at 00h
    m.attach_disk(0, std::make_unique<dev::MemoryDisk>(std::vector<u8>(64 * 1024)));
    u8 disks;
    m.read_phys(0x475, &disks, 1);
    CHECK(disks == 1);
    CHECK(m.io_in(0x1F6, 1) == 0xB0);
    CHECK(m.io_in(0x1F7, 1) == 0x00);  // the absent slave
    CHECK_FALSE(m.ata().irq_level());  // nothing left pending for IRQ 14
}

TEST_CASE("bus: 0xA0000-0xBFFFF is the VGA window, not RAM") {
    Rig r;
    Machine& m = *r.m;
    CHECK(m.ram_page(0xB8000) == nullptr);
    CHECK(m.ram_page(0xA0000) == nullptr);
    CHECK(m.ram_page(0x9F000) != nullptr);
    CHECK(m.ram_page(0xC0000) != nullptr);
    m.mmio_write(0xB8000 + 2 * 81, 2, 0x1F41);  // 'A' white on blue at row 1, column 1
    CHECK(m.screen().at(1, 1).ch == 'A');
    CHECK(m.screen().at(1, 1).attr == 0x1F);
    CHECK(m.mmio_read(0xB8000 + 2 * 81, 1) == 'A');
    CHECK(m.mmio_read(0xA0000, 1) == 0xFF);
}

TEST_CASE("bus: with A20 off (port 0x92) bit 20 of every physical address reads as 0") {
    Rig r;
    Machine& m = *r.m;
    u8* low = m.ram_page(0x5000);
    CHECK(m.ram_page(0x105000) != low);
    m.io_out(0x92, 1, 0x00);
    CHECK_FALSE(m.a20());
    CHECK(m.ram_page(0x105000) == low);
    CHECK(m.ram_page(0x305000) == m.ram_page(0x205000));
    // The last writer wins: the keyboard controller's output port turns it on again.
    m.io_out(0x64, 1, 0xD1);
    m.io_out(0x60, 1, 0xDF);
    CHECK(m.a20());
    CHECK(m.ram_page(0x105000) != low);
}

TEST_CASE("reset: 8042 command FEh ends run() with Reset, reset() restores the power-on state, RAM kept") {
    Rig r(2);
    Machine& m = *r.m;
    // mov al, 0xFF; out 0x21, al (mask the PIC); mov al, 0xFE; out 0x64, al; jmp $
    r.boot({0xB0, 0xFF, 0xE6, 0x21, 0xB0, 0xFE, 0xE6, 0x64, 0xEB, 0xFE});
    const u32 mark = 0x12345678;
    m.write_phys(0x300000, &mark, 4);
    RunResult res = m.run(1'000'000);
    CHECK(res.end == RunEnd::Reset);
    CHECK(m.io_in(0x21, 1) == 0xFF);
    m.reset();
    CHECK(m.io_in(0x21, 1) == 0xB8);
    CHECK(r.read32(0x300000) == mark);
    CHECK(m.cpu(0).mode() == Mode::Real);
    CHECK(m.cpu(0).sys.seg[CS].sel == 0xF000);
    CHECK(m.waiting_for_sipi(1));
    CHECK(r.read32(0x08 * 4) == bios::entry_vector(bios::Entry::Timer));
    // The firmware tables are written again, too.
    char sig[8];
    m.read_phys(m.firmware_tables().rsdp, sig, 8);
    CHECK(std::string(sig, 8) == "RSD PTR ");
}

TEST_CASE("hpet: legacy replacement takes IOAPIC pin 2 from the PIT") {
    Rig r;
    Machine& m = *r.m;
    auto route = [&](unsigned pin, u8 vector) {
        m.mmio_write(dev::IoApic::kDefaultBase, 4, 0x10 + 2 * pin + 1);
        m.mmio_write(dev::IoApic::kDefaultBase + 0x10, 4, 0);
        m.mmio_write(dev::IoApic::kDefaultBase, 4, 0x10 + 2 * pin);
        m.mmio_write(dev::IoApic::kDefaultBase + 0x10, 4, vector);
    };
    r.boot({0xEB, 0xFE});  // jmp $
    route(2, 0x32);
    m.mmio_write(dev::Hpet::kBase + dev::Hpet::CONFIG, 4, 2);  // legacy replacement on (counter halted)
    m.io_out(0x43, 1, 0x34);  // PIT channel 0: mode 2, count 100
    m.io_out(0x40, 1, 100);
    m.io_out(0x40, 1, 0);
    m.run(1'000'000);
    CHECK_FALSE(m.lapic(0).irr_bit(0x32));
    m.mmio_write(dev::Hpet::kBase + dev::Hpet::CONFIG, 4, 0);  // off: the PIT's edges reach pin 2 again
    m.run(2'000'000);
    CHECK(m.lapic(0).irr_bit(0x32));
}

TEST_CASE("serial: the machine queues at most kSerialQueue host bytes") {
    Rig r;
    std::vector<u8> lots(Machine::kSerialQueue + 100, 'x');
    CHECK(r.m->inject_serial(lots.data(), lots.size()) == Machine::kSerialQueue);
    CHECK(r.m->serial_room() == 0);
    CHECK(r.m->inject_serial(lots.data(), 1) == 0);
}

TEST_CASE("idle: a CPU in sti, hlt with every interrupt masked waits for input at once, at its cycle") {
    Rig r;
    Machine& m = *r.m;
    NoInput host;
    m.set_host(&host);
    // mov al, 0xFF; out 0x21, al; out 0xA1, al; sti; hlt; jmp $-1
    r.boot({0xB0, 0xFF, 0xE6, 0x21, 0xE6, 0xA1, 0xFB, 0xF4, 0xEB, 0xFD});
    RunResult res = m.run(~0ull);
    CHECK(res.end == RunEnd::AllHalted);
    CHECK(res.nothing_to_wait_for);
    REQUIRE(host.waits.size() == 1);
    // The PIT keeps counting, but its IRQ 0 can reach no CPU: the clock did not
    // run on through its events (the first would be ~55 ms = 110 M cycles away).
    CHECK(host.waits[0] < 100'000);
    CHECK(m.now() == host.waits[0]);
    CHECK(m.cpu(0).insns == 5);  // up to and including the hlt
}

TEST_CASE("idle: with IRQ 0 open the clock jumps to the PIT's next edge instead of waiting") {
    Rig r;
    Machine& m = *r.m;
    NoInput host;
    m.set_host(&host);
    // mov al, 0xFE; out 0x21, al (IRQ 0 only); cli; hlt: IF = 0, nothing can wake it.
    r.boot({0xB0, 0xFE, 0xE6, 0x21, 0xFA, 0xF4});
    RunResult res = m.run(~0ull);
    CHECK(res.end == RunEnd::AllHalted);
    CHECK_FALSE(res.nothing_to_wait_for);  // interrupts off: not a wait for anything
    CHECK(host.waits.empty());
}

TEST_CASE("console: a pipe is read as it arrives, a regular file on demand, output flushed at each poll") {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    char path[64];
    std::snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    std::string out_path = "console_test_out.txt";
    {
        Console::Options o;
        o.serial = "file:" + out_path;
        o.input = path;
        Console c(o);
        Rig r;
        Machine& m = *r.m;
        REQUIRE(write(fds[1], "abc", 3) == 3);
        c.poll(m);
        CHECK(m.serial_room() == Machine::kSerialQueue - 3);
        REQUIRE(write(fds[1], "d", 1) == 1);
        CHECK(c.wait(m));  // there is input: wait returns with it injected
        CHECK(m.serial_room() == Machine::kSerialQueue - 4);
        close(fds[1]);
        CHECK(c.wait(m));        // end of input seen ...
        CHECK_FALSE(c.wait(m));  // ... and nothing more can come
        auto sink = c.serial_sink();
        sink('o'), sink('k');
        c.poll(m);
        std::ifstream f(out_path);
        std::string got;
        f >> got;
        CHECK(got == "ok");
    }
    close(fds[0]);
    std::remove(out_path.c_str());

    std::string in_path = "console_test_in.txt";
    std::ofstream(in_path) << "hello";
    {
        Console::Options o;
        o.serial = "null";
        o.input = in_path;
        Console c(o);
        Rig r;
        Machine& m = *r.m;
        c.poll(m);  // a file is not read ahead
        CHECK(m.serial_room() == Machine::kSerialQueue);
        c.refill(m);
        CHECK(m.serial_room() == Machine::kSerialQueue - 5);
        CHECK_FALSE(c.wait(m));  // all of a file is there from the start: no waiting for more
    }
    std::remove(in_path.c_str());
    CHECK_THROWS_AS(Console(Console::Options{"bogus", "none", "none"}), ConsoleError);
}
