// MC146818A RTC / CMOS. Expected values from the MC146818A datasheet: Table 3
// (BCD/binary encodings, 12-hour PM bit, day of week 1 = Sunday, alarm don't
// care 0xC0), Register A rates (Table 5: RS = 0110 -> 1024 Hz), Register B-D bit
// layout; memory bytes from QEMU pc_cmos_init's documented layout; 2024-01-01 is
// a Monday.
#include <doctest/doctest.h>

#include "cmos_rtc.h"
#include "dev_support.h"

using namespace sy;
using namespace sy::dev;

namespace {
constexpr u64 kHz = 32768 * 100;  // 100 cycles per 32.768 kHz tick
constexpr u64 kMiB = 1 << 20;

struct Rig {
    explicit Rig(u64 below = 128 * kMiB, u64 above = 0) : rtc(kHz, below, above, IrqLine{&irq, 8}) {}
    test::IrqRecorder irq;
    CmosRtc rtc;
    u8 read(u8 index, u64 now = 0) {
        rtc.io_write(0x70, 1, index, now);
        return u8(rtc.io_read(0x71, 1, now));
    }
    void write(u8 index, u8 v, u64 now = 0) {
        rtc.io_write(0x70, 1, index, now);
        rtc.io_write(0x71, 1, v, now);
    }
};
}  // namespace

TEST_CASE("rtc: starts at 2024-01-01 00:00:00, BCD, 24-hour") {
    Rig r;
    CHECK(r.read(0x00) == 0x00);
    CHECK(r.read(0x02) == 0x00);
    CHECK(r.read(0x04) == 0x00);
    CHECK(r.read(0x06) == 0x02);  // Monday
    CHECK(r.read(0x07) == 0x01);
    CHECK(r.read(0x08) == 0x01);
    CHECK(r.read(0x09) == 0x24);
    CHECK(r.read(0x32) == 0x20);
    CHECK(r.read(0x0A) == 0x26);
    CHECK(r.read(0x0B) == 0x02);
    CHECK(r.read(0x0D) == 0x80);
}

TEST_CASE("rtc: time advances with the cycle count, binary and 12-hour modes") {
    Rig r;
    const u64 t = (13 * 3600 + 59 * 60 + 58) * kHz + 7;  // 13:59:58 plus a bit
    CHECK(r.read(0x00, t) == 0x58);
    CHECK(r.read(0x02, t) == 0x59);
    CHECK(r.read(0x04, t) == 0x13);
    r.write(0x0B, 0x06);  // binary, 24-hour
    CHECK(r.read(0x00, t) == 58);
    CHECK(r.read(0x04, t) == 13);
    r.write(0x0B, 0x00);  // BCD, 12-hour
    CHECK(r.read(0x04, t) == 0x81);  // 1 PM
    CHECK(r.read(0x04, 0) == 0x12);  // midnight is 12 AM
    CHECK(r.read(0x07, 40 * 86400 * kHz) == 0x10);  // 2024-02-10
    CHECK(r.read(0x08, 40 * 86400 * kHz) == 0x02);
}

TEST_CASE("rtc: setting the time under SET, across the 2024 leap day") {
    Rig r;
    r.write(0x0B, 0x82);  // SET, 24-hour, BCD
    r.write(0x09, 0x24), r.write(0x08, 0x02), r.write(0x07, 0x28);
    r.write(0x04, 0x23), r.write(0x02, 0x59), r.write(0x00, 0x59);
    const u64 t = 5 * kHz;  // frozen while SET
    CHECK(r.read(0x00, t) == 0x59);
    r.write(0x0B, 0x02, t);  // clock runs from here
    CHECK(r.read(0x00, t + kHz) == 0x00);
    CHECK(r.read(0x07, t + kHz) == 0x29);  // 2024 is a leap year
    CHECK(r.read(0x08, t + kHz) == 0x02);
    CHECK(r.read(0x06, t + kHz) == 0x05);  // Thursday
}

TEST_CASE("rtc: memory size bytes follow QEMU's layout") {
    Rig r(128 * kMiB);
    CHECK((r.read(0x15) | r.read(0x16) << 8) == 640);
    CHECK((r.read(0x17) | r.read(0x18) << 8) == 65535);  // 127 MiB in KiB, capped
    CHECK((r.read(0x30) | r.read(0x31) << 8) == 65535);
    CHECK((r.read(0x34) | r.read(0x35) << 8) == (128 - 16) * 16);  // 64 KiB units
    Rig small(8 * kMiB, 2048 * kMiB);
    CHECK((small.read(0x17) | small.read(0x18) << 8) == 7 * 1024);
    CHECK((small.read(0x34) | small.read(0x35) << 8) == 0);
    CHECK((small.read(0x5B) | small.read(0x5C) << 8 | small.read(0x5D) << 16) == 2048 * 16);
    r.write(0x40, 0xAB);  // general-purpose CMOS RAM
    CHECK(r.read(0x40) == 0xAB);
}

TEST_CASE("rtc: periodic interrupt at 1024 Hz on IRQ 8, cleared by reading C") {
    Rig r;
    r.write(0x0B, 0x42);  // PIE
    const u64 period = 32 * 100;  // 32768 / 1024 = 32 ticks
    CHECK(r.rtc.next_event() == period);
    test::run_until(r.rtc, r.irq, period - 1);
    CHECK_FALSE(r.irq.level[8]);
    test::run_until(r.rtc, r.irq, period);
    CHECK(r.irq.level[8]);
    CHECK(r.read(0x0C, period) == 0xC0);  // IRQF | PF
    CHECK_FALSE(r.irq.level[8]);
    CHECK(r.read(0x0C, period) == 0x00);
    CHECK(r.rtc.next_event() == 2 * period);
}

TEST_CASE("rtc: update-ended and alarm interrupts once per second") {
    Rig r;
    r.write(0x01, 0x02);  // alarm at second 2 ...
    r.write(0x03, 0xC0);  // ... of any minute
    r.write(0x05, 0xC0);  // ... of any hour
    r.write(0x0B, 0x22);  // AIE only
    test::run_until(r.rtc, r.irq, kHz);
    CHECK_FALSE(r.irq.level[8]);  // second 1: no match
    test::run_until(r.rtc, r.irq, 2 * kHz);
    CHECK(r.irq.level[8]);
    CHECK(r.irq.rises(8) == std::vector<u64>{2 * kHz});
    CHECK(r.read(0x0C, 2 * kHz) == 0xF0);  // IRQF | AF, plus PF and UF: flags set whatever the enables
    r.write(0x0B, 0x12, 2 * kHz);  // UIE
    test::run_until(r.rtc, r.irq, 3 * kHz);
    CHECK(r.read(0x0C, 3 * kHz) == 0xD0);  // IRQF | PF | UF
}

TEST_CASE("rtc: UIP in the last 244 us of a second, NMI disable bit of port 0x70") {
    Rig r;
    const u64 window = kHz * 244 / 1000000;
    CHECK((r.read(0x0A, kHz - window - 1) & 0x80) == 0);
    CHECK((r.read(0x0A, kHz - window) & 0x80) == 0x80);
    CHECK((r.read(0x0A, kHz) & 0x80) == 0);
    r.rtc.io_write(0x70, 1, 0x80 | 0x0B, kHz);
    CHECK(r.rtc.nmi_disabled());
    CHECK(r.rtc.io_read(0x71, 1, kHz) == 0x02);  // the index ignores bit 7
    r.rtc.io_write(0x70, 1, 0x0B, kHz);
    CHECK_FALSE(r.rtc.nmi_disabled());
}
