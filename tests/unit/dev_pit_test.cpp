// 8254 PIT channel 0/2 as kernels program it. Expected edges are computed from
// the datasheet's mode definitions (count loaded on the clock after the write;
// mode 2 OUT low for one clock at count 1 and high again on reload, period N;
// mode 3 high for ceil(N/2) and low for floor(N/2) clocks; mode 0 OUT high
// N + 1 clocks after the count is written) and the PC's 1.193182 MHz input.
#include <doctest/doctest.h>

#include "dev_support.h"
#include "pit8254.h"

using namespace sy;
using namespace sy::dev;

namespace {
// A CPU at exactly 1000 cycles per PIT clock makes expected cycles readable.
constexpr u64 kCyclesPerTick = 1000;
constexpr u64 kCpuHz = 1193182 * kCyclesPerTick;

struct Rig {
    explicit Rig(u64 hz = kCpuHz) : pit(hz, IrqLine{&irq, 0}) {}
    test::IrqRecorder irq;
    Pit8254 pit;
    void out(u16 port, u8 v, u64 now) { irq.now = now, pit.io_write(port, 1, v, now); }
    u8 in(u16 port, u64 now) { return irq.now = now, u8(pit.io_read(port, 1, now)); }
    void program(unsigned ch, u8 mode, u16 count, u64 now) {
        out(0x43, u8(ch << 6 | 0x30 | mode << 1), now);
        out(u16(0x40 + ch), u8(count), now);
        out(u16(0x40 + ch), u8(count >> 8), now);
    }
};
}  // namespace

TEST_CASE("pit: mode 2 periodic IRQ 0 at the cycles the spec frequency gives") {
    Rig r;
    const u16 latch = 1193;  // Linux's LATCH for HZ = 1000
    r.program(0, 2, latch, 0);
    test::run_until(r.pit, r.irq, 4 * latch * kCyclesPerTick);
    // Written during tick 0, loaded on tick 1; OUT rises on each reload, N clocks apart.
    auto rises = r.irq.rises(0, 1);
    REQUIRE(rises.size() >= 3);
    CHECK(rises[0] == (1 + latch) * kCyclesPerTick);
    CHECK(rises[1] == (1 + 2 * latch) * kCyclesPerTick);
    CHECK(rises[2] == (1 + 3 * latch) * kCyclesPerTick);
    // Between rises OUT is low for exactly one clock (count 1).
    bool found_fall = false;
    for (auto& c : r.irq.changes)
        if (!c.level && c.cycle == latch * kCyclesPerTick) found_fall = true;
    CHECK(found_fall);
}

TEST_CASE("pit: at 2 GHz the first tick edge falls on ceil(k * 2e9 / 1193182)") {
    const u64 hz = 2'000'000'000;
    Rig r(hz);
    r.program(0, 2, 100, 0);
    auto cycle_of = [&](u64 k) { return (k * hz + 1193182 - 1) / 1193182; };
    CHECK(r.pit.next_event() == cycle_of(100));  // OUT falls at count 1: tick 1 + 99
    test::run_until(r.pit, r.irq, cycle_of(301));
    auto rises = r.irq.rises(0, 1);
    REQUIRE(rises.size() == 3);
    CHECK(rises[0] == cycle_of(101));
    CHECK(rises[1] == cycle_of(201));
    CHECK(rises[2] == cycle_of(301));
}

TEST_CASE("pit: reading the count live and through the latch command") {
    Rig r;
    r.program(0, 2, 1000, 0);
    const u64 now = (1 + 100) * kCyclesPerTick + 500;  // 100 clocks after the load
    r.out(0x43, 0x00, now);                            // latch channel 0
    u8 lo = r.in(0x40, now + 50 * kCyclesPerTick);      // later reads still see the latch
    u8 hi = r.in(0x40, now + 60 * kCyclesPerTick);
    CHECK((lo | hi << 8) == 900);
    lo = r.in(0x40, now);
    hi = r.in(0x40, now);
    CHECK((lo | hi << 8) == 900);
    // Lobyte-only access mode.
    r.out(0x43, 0x14, 0);  // channel 0, LSB only, mode 2
    r.out(0x40, 50, 0);
    CHECK(r.in(0x40, (1 + 10) * kCyclesPerTick) == 40);
}

TEST_CASE("pit: read-back status byte") {
    Rig r;
    r.out(0x43, 0x34, 0);     // channel 0, lo/hi, mode 2
    r.out(0x43, 0xE2, 0);     // read-back: status only, counter 0
    CHECK(r.in(0x40, 0) == 0xF4);  // OUT high, NULL COUNT, RW = 11, mode 010
    r.out(0x40, 0x10, 0), r.out(0x40, 0x00, 0);
    r.out(0x43, 0xE2, 5 * kCyclesPerTick);
    CHECK(r.in(0x40, 5 * kCyclesPerTick) == 0xB4);  // count loaded: NULL COUNT clear
}

TEST_CASE("pit: mode 3 square wave, even and odd counts") {
    Rig r;
    r.program(0, 3, 4, 0);  // high 2, low 2
    CHECK(r.pit.peek_out(0, 1 * kCyclesPerTick));
    CHECK(r.pit.peek_out(0, 2 * kCyclesPerTick));
    CHECK_FALSE(r.pit.peek_out(0, 3 * kCyclesPerTick));
    CHECK_FALSE(r.pit.peek_out(0, 4 * kCyclesPerTick));
    CHECK(r.pit.peek_out(0, 5 * kCyclesPerTick));
    CHECK(r.pit.peek_count(0, 1 * kCyclesPerTick) == 4);
    CHECK(r.pit.peek_count(0, 2 * kCyclesPerTick) == 2);  // decrements by two
    r.program(0, 3, 5, 100 * kCyclesPerTick);  // odd: high 3, low 2; loads N - 1
    const u64 t0 = 101;
    CHECK(r.pit.peek_count(0, t0 * kCyclesPerTick) == 4);
    for (u64 k = 0; k < 3; ++k) CHECK(r.pit.peek_out(0, (t0 + k) * kCyclesPerTick));
    for (u64 k = 3; k < 5; ++k) CHECK_FALSE(r.pit.peek_out(0, (t0 + k) * kCyclesPerTick));
    CHECK(r.pit.peek_out(0, (t0 + 5) * kCyclesPerTick));
}

TEST_CASE("pit: mode 0 on channel 0 raises IRQ 0 once, N + 1 clocks after the write") {
    Rig r;
    CHECK(r.irq.level[0]);  // power-on: mode 3, OUT high
    r.program(0, 0, 50, 10 * kCyclesPerTick + 3);
    CHECK_FALSE(r.irq.level[0]);
    test::run_until(r.pit, r.irq, 1000 * kCyclesPerTick);
    auto rises = r.irq.rises(0, 1);
    REQUIRE(rises.size() == 1);
    CHECK(rises[0] == (10 + 1 + 50) * kCyclesPerTick);
    CHECK(r.pit.next_event() == kNever);
}

TEST_CASE("pit: Linux calibration loop on channel 2 via port 0x61") {
    Rig r;
    const u16 latch = 1193182 / 20;  // 50 ms, as pit_calibrate_tsc()
    u64 now = 0;
    r.out(0x61, u8((r.in(0x61, now) & ~0x02) | 0x01), now);  // gate high, speaker off
    r.out(0x43, 0xB0, now);  // channel 2, lo/hi, mode 0
    r.out(0x42, u8(latch), now);
    r.out(0x42, u8(latch >> 8), now);
    CHECK((r.in(0x61, now) & 0x20) == 0);
    const u64 tc = (1 + latch) * kCyclesPerTick;
    CHECK((r.in(0x61, tc - 1) & 0x20) == 0);
    CHECK((r.in(0x61, tc) & 0x20) == 0x20);
    CHECK((r.in(0x61, tc) & 0x01) == 0x01);  // gate bit reads back
}

TEST_CASE("pit: channel 2 gate low pauses mode 0 and forces mode 2 OUT high") {
    Rig r;
    r.out(0x61, 0x01, 0);
    r.program(2, 0, 100, 0);
    r.out(0x61, 0x00, (1 + 40) * kCyclesPerTick);   // gate low after 40 clocks
    CHECK(r.pit.peek_count(2, 500 * kCyclesPerTick) == 60);
    r.out(0x61, 0x01, 1000 * kCyclesPerTick);       // resume on the next clock
    CHECK(r.pit.peek_count(2, (1001 + 10) * kCyclesPerTick) == 50);
    CHECK_FALSE(r.pit.peek_out(2, (1001 + 59) * kCyclesPerTick));
    CHECK(r.pit.peek_out(2, (1001 + 60) * kCyclesPerTick));

    r.program(2, 2, 10, 2000 * kCyclesPerTick);
    CHECK_FALSE(r.pit.peek_out(2, (2001 + 9) * kCyclesPerTick));
    r.out(0x61, 0x00, (2001 + 9) * kCyclesPerTick);
    CHECK(r.pit.peek_out(2, (2001 + 9) * kCyclesPerTick));
}

TEST_CASE("pit: a mode 2 count written while counting starts at the next reload") {
    // Only the count is rewritten (a control word would reset the counter).
    Rig s;
    s.program(0, 2, 100, 0);
    s.out(0x40, 10, 50 * kCyclesPerTick), s.out(0x40, 0, 50 * kCyclesPerTick);
    test::run_until(s.pit, s.irq, 140 * kCyclesPerTick);
    auto rises = s.irq.rises(0, 1);
    REQUIRE(rises.size() == 4);  // 101, 111, 121, 131
    CHECK(rises[0] == 101 * kCyclesPerTick);  // old period finishes
    CHECK(rises[1] == 111 * kCyclesPerTick);  // then every 10 clocks
    CHECK(rises[2] == 121 * kCyclesPerTick);
}
