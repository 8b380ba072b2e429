// HPET: expected cycles follow from the specification's counter and
// comparator rules (IA-PC HPET 1.0a 2.3.9: a match when the main counter
// equals the comparator; periodic mode adds the period; a 32-bit timer
// compares the low 32 bits) and a 100 MHz counter on a 2 GHz clock, so tick k
// of an HPET enabled at cycle e is at cycle e' + 20k, e' the first tick edge
// at or after e. Register values are QEMU's (tests/system/expected/pcprobe.txt).
#include <doctest/doctest.h>

#include <vector>

#include "dev_support.h"
#include "hpet.h"

using namespace sy;
using namespace sy::dev;

namespace {
constexpr u64 kHz = 2'000'000'000;
struct Rig {
    test::IrqRecorder isa, ioapic;
    std::vector<bool> legacy;
    Hpet hpet{kHz, &isa, &ioapic, [this](bool on) { legacy.push_back(on); }};
    void wr(u64 off, u64 v, u64 now, unsigned size = 8) { isa.now = ioapic.now = now, hpet.mmio_write(off, size, v, now); }
    u64 rd(u64 off, u64 now, unsigned size = 8) { return hpet.mmio_read(off, size, now); }
    // Advances through every event up to `end`, recording IRQ changes at their cycles.
    void run_until(u64 end) {
        for (u64 t; (t = hpet.next_event()) <= end;) {
            isa.now = ioapic.now = t;
            hpet.advance(t);
        }
    }
    static u64 tconf(unsigned n) { return Hpet::TIMER0 + Hpet::TIMER_STRIDE * n; }
    static u64 tcmp(unsigned n) { return tconf(n) + 8; }
};
}  // namespace

TEST_CASE("hpet: capabilities, reset values and the writable bits (QEMU's)") {
    Rig r;
    CHECK(r.rd(Hpet::CAP, 0) == (u64(10'000'000) << 32 | 0x8086A201));
    CHECK(r.rd(Hpet::CAP + 4, 0, 4) == 10'000'000);
    for (unsigned n = 0; n < 3; ++n) {
        CHECK(r.rd(Rig::tconf(n), 0) == (u64(4) << 32 | 0x30));
        CHECK(r.rd(Rig::tcmp(n), 0) == ~0ull);
    }
    CHECK(r.rd(Rig::tconf(3), 0) == 0);  // no fourth timer
    r.wr(Hpet::CONFIG, ~0ull, 0);
    CHECK(r.rd(Hpet::CONFIG, 0) == 3);
    r.wr(Hpet::CONFIG, 0, 0);
    r.wr(Rig::tconf(1), 0xFFFFFFFF, 0, 4);
    CHECK(r.rd(Rig::tconf(1), 0, 4) == 0x7F7E);
    r.wr(Hpet::CAP, 0, 0);
    CHECK(r.rd(Hpet::CAP, 0, 4) == 0x8086A201);
}

TEST_CASE("hpet: the counter runs at 100 MHz only while enabled and keeps its value when halted") {
    Rig r;
    r.wr(Hpet::COUNTER, 1000, 0);
    CHECK(r.rd(Hpet::COUNTER, 5000) == 1000);
    r.wr(Hpet::CONFIG, 1, 20'000);  // enabled at tick 1000 of the clock
    CHECK(r.rd(Hpet::COUNTER, 20'000) == 1000);
    CHECK(r.rd(Hpet::COUNTER, 20'019) == 1000);
    CHECK(r.rd(Hpet::COUNTER, 20'020) == 1001);
    CHECK(r.rd(Hpet::COUNTER, 2'020'000) == 1000 + 100'000);  // one millisecond
    r.wr(Hpet::COUNTER, 5, 2'020'000);  // ignored while enabled
    CHECK(r.rd(Hpet::COUNTER, 2'020'000) == 101'000);
    r.wr(Hpet::CONFIG, 0, 2'020'000);
    CHECK(r.rd(Hpet::COUNTER, 9'000'000) == 101'000);
    CHECK(r.rd(Hpet::COUNTER + 4, 9'000'000, 4) == 0);
}

TEST_CASE("hpet: a one-shot timer interrupts on the tick its comparator names, once") {
    Rig r;
    r.wr(Hpet::CONFIG, 1, 0);
    r.wr(Rig::tconf(2), Hpet::kIntEnable | 20u << 9, 0);  // edge, IOAPIC input 20
    r.wr(Rig::tcmp(2), 500, 0);
    CHECK(r.hpet.next_event() == 500 * 20);
    r.run_until(100'000);
    CHECK(r.ioapic.rises(20) == std::vector<u64>{10'000});
    CHECK_FALSE(r.ioapic.level[20]);  // a pulse
    CHECK(r.hpet.next_event() == kNever);
    CHECK(r.rd(Hpet::STATUS, 100'000) == 0);  // edge timers set no status bit (QEMU)
    // A comparator behind a 64-bit counter never matches.
    r.wr(Rig::tcmp(2), 100, 100'000);
    CHECK(r.hpet.next_event() == kNever);
}

TEST_CASE("hpet: a periodic timer moves its comparator on by the period at each match") {
    Rig r;
    r.wr(Hpet::CONFIG, 1, 0);
    r.wr(Rig::tconf(0), Hpet::kIntEnable | Hpet::kPeriodic | Hpet::kValSet | 2u << 9, 0);
    r.wr(Rig::tcmp(0), 1000, 0);  // start value (Tn_VAL_SET_CNF)
    r.wr(Rig::tcmp(0), 300, 0);   // then the period
    CHECK((r.rd(Rig::tconf(0), 0) & Hpet::kValSet) == 0);
    r.run_until(1900 * 20);
    CHECK(r.ioapic.rises(2) == std::vector<u64>{1000 * 20, 1300 * 20, 1600 * 20, 1900 * 20});
    CHECK(r.rd(Rig::tcmp(0), 1900 * 20) == 2200);
}

TEST_CASE("hpet: a 32-bit timer matches the low 32 bits, again after they wrap") {
    Rig r;
    r.wr(Hpet::COUNTER, 0xFFFFFF00ull, 0);
    r.wr(Hpet::CONFIG, 1, 0);
    r.wr(Rig::tconf(1), Hpet::kIntEnable | Hpet::kMode32 | 9u << 9, 0);
    r.wr(Rig::tcmp(1), 0x40, 0);  // behind in 64 bits, ahead after the 32-bit wrap
    CHECK(r.hpet.next_event() == (0x100 + 0x40) * 20);
    r.run_until((0x140 + 1) * 20);
    CHECK(r.ioapic.rises(9) == std::vector<u64>{0x140 * 20});
    CHECK(r.hpet.next_event() == (0x140 + (1ull << 32)) * 20);
}

TEST_CASE("hpet: level-triggered timers hold the line until the status bit is written") {
    Rig r;
    r.wr(Hpet::CONFIG, 1, 0);
    r.wr(Rig::tconf(2), Hpet::kIntEnable | Hpet::kLevel | 21u << 9, 0);
    r.wr(Rig::tcmp(2), 10, 0);
    r.run_until(1000);
    CHECK(r.ioapic.level[21]);
    CHECK(r.rd(Hpet::STATUS, 1000) == 0x4);
    r.wr(Hpet::STATUS, 0x3, 1000);  // other bits: nothing
    CHECK(r.ioapic.level[21]);
    r.wr(Hpet::STATUS, 0x4, 1000);
    CHECK_FALSE(r.ioapic.level[21]);
    CHECK(r.rd(Hpet::STATUS, 1000) == 0);
}

TEST_CASE("hpet: legacy replacement routes timers 0 and 1 to ISA IRQ 0 and 8") {
    Rig r;
    r.wr(Hpet::CONFIG, 3, 0);
    CHECK(r.legacy == std::vector<bool>{true});
    CHECK(r.hpet.route(0).isa);
    CHECK(r.hpet.route(0).line == 0);
    CHECK(r.hpet.route(1).line == 8);
    CHECK_FALSE(r.hpet.route(2).isa);
    r.wr(Rig::tconf(0), Hpet::kIntEnable | 5u << 9, 0);  // the route field does not count now
    r.wr(Rig::tcmp(0), 50, 0);
    r.wr(Rig::tconf(1), Hpet::kIntEnable, 0);
    r.wr(Rig::tcmp(1), 60, 0);
    r.run_until(2000);
    CHECK(r.isa.rises(0) == std::vector<u64>{1000});
    CHECK(r.isa.rises(8) == std::vector<u64>{1200});
    CHECK(r.ioapic.changes.empty());
    r.wr(Hpet::CONFIG, 1, 2000);
    CHECK(r.legacy == std::vector<bool>{true, false});
    CHECK(r.hpet.route(0).line == 5);
}
