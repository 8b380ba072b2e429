// CMOS RAM and real-time clock: Motorola MC146818A (as in the IBM PC/AT), at
// ports 0x70 (index; bit 7 = NMI disable) and 0x71 (data), interrupt on IRQ 8.
// Source: Motorola MC146818A datasheet:
//   "Address Map" (registers 0x00-0x0D, 50 bytes of user RAM; the PC has 128),
//   "Time, Calendar and Alarm Locations" (Table 3: BCD and binary ranges, 12/24
//   hour format with the PM bit 7, day of week 1 = Sunday, alarm "don't care"
//   codes 0xC0-0xFF), "Register A" (UIP, DV2-0, RS3-0 and Table 5 periodic
//   rates), "Register B" (SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE),
//   "Register C" (IRQF, PF, AF, UF; cleared by reading), "Register D" (VRT),
//   "Update Cycle" (UIP set 244 us before the update).
// PC layout of the RAM bytes follows QEMU's pc_cmos_init (hw/i386/pc.c):
//   0x15/0x16 base memory in KiB (max 640), 0x17/0x18 and 0x30/0x31 extended
//   memory above 1 MiB in KiB (max 65535), 0x34/0x35 memory above 16 MiB in
//   64 KiB blocks (below 4 GiB), 0x5B-0x5D memory above 4 GiB in 64 KiB blocks,
//   0x32 century (BCD).
//
// Time. The clock starts at a fixed date, kDefaultStart = 2024-01-01 00:00:00
// (a Monday), at cycle 0, and advances by one second every cpu_hz cycles of the
// machine clock. The guest may set the time (SET bit, then the time registers);
// the clock then runs on from the new time. Nothing depends on the host clock.
//
// Deviations:
//   * The divider bits DV2-0 are stored only; the clock always runs.
//   * Daylight saving (DSE) and the square-wave output (SQWE) are stored only.
//   * UIP reads 1 during the last 244 us before each second; the update itself
//     is instantaneous (the registers are never seen mid-update).
//   * The date is kept through a Unix-style seconds count, so invalid dates
//     written by the guest (Feb 30) are normalised instead of kept verbatim.
#pragma once
#include <array>

#include "device.h"

namespace sy::dev {

class CmosRtc : public PortDevice, public Timed {
public:
    static constexpr u16 kIndexPort = 0x70, kDataPort = 0x71;
    static constexpr unsigned kIrq = 8;
    static constexpr i64 kDefaultStart = 1704067200;  // 2024-01-01T00:00:00Z, seconds since 1970

    CmosRtc(u64 cpu_hz, u64 ram_below_4g, u64 ram_above_4g, IrqLine irq8, i64 start = kDefaultStart);

    u32 io_read(u16 port, unsigned size, u64 now) override;
    void io_write(u16 port, unsigned size, u32 value, u64 now) override;
    u64 next_event() const override;
    void advance(u64 now) override;

    bool nmi_disabled() const { return nmi_disabled_; }
    // Seconds since 1970 at cycle `now` (debugger, tests).
    i64 time_at(u64 now) const;
    // Raw CMOS byte, no side effects.
    u8 peek(unsigned index) const { return ram_[index & 0x7F]; }

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    void serialize(Archive& ar) {
        ar(ram_, index_, nmi_disabled_, base_time_, base_cycle_, frozen_time_, last_, irq_level_);
    }

private:
    struct Fields {
        i64 year;
        int month, day, hour, minute, second, weekday;
    };
    static Fields to_fields(i64 unix_time);
    static i64 from_fields(const Fields& f);

    u8 encode(int value) const;  // binary or BCD per register B
    int decode(u8 value) const;
    u8 read_register(unsigned index, u64 now);
    void write_register(unsigned index, u8 value, u64 now);
    void catch_up(u64 now);  // sets PF/UF/AF for boundaries passed since last_
    void update_irq();
    u64 periodic_ticks() const;  // PF period in 32768 Hz ticks, 0 = off
    bool alarm_matches(i64 unix_time) const;

    u64 cpu_hz_;
    IrqLine irq_;
    std::array<u8, 128> ram_{};
    u8 index_ = 0;
    bool nmi_disabled_ = false;
    i64 base_time_;       // seconds since 1970 at base_cycle_
    u64 base_cycle_ = 0;
    i64 frozen_time_ = 0; // the time while SET = 1
    u64 last_ = 0;        // flags are up to date for boundaries at or before this cycle
    bool irq_level_ = false;
};

}  // namespace sy::dev
