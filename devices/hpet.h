// High Precision Event Timer, modelled on the IA-PC HPET (High Precision Event
// Timers) Specification 1.0a:
//   2.3.1 register overview and 2.3.4-2.3.9: General Capabilities and ID,
//   General Configuration (ENABLE_CNF, LEG_RT_CNF), General Interrupt Status,
//   Main Counter Value, Timer N Configuration and Capability (Tn_INT_TYPE_CNF,
//   Tn_INT_ENB_CNF, Tn_TYPE_CNF, Tn_VAL_SET_CNF, Tn_32MODE_CNF,
//   Tn_INT_ROUTE_CNF, Tn_INT_ROUTE_CAP), Timer N Comparator Value;
//   2.3.9.2.1 one-shot and 2.3.9.2.2 periodic mode; 2.4 interrupt mapping and
//   the legacy replacement route (timer 0 -> IRQ 0, timer 1 -> IRQ 8).
//
// As QEMU's PC has it (probed by tests/system/c/pcprobe.c): MMIO at
// 0xFED00000 (1 KiB), capabilities 0x8086A201 (vendor 8086h, legacy
// replacement capable, 64-bit counter, 3 timers, revision 1), a 100 MHz counter
// (period 10 ns = 0x00989680 fs), each timer periodic-capable and 64-bit with
// interrupt routing capability bit 2 only (IOAPIC input 2), comparators ~0 at
// reset. The ACPI HPET table (firmware_tables.h) announces it.
//
// Time. The counter counts 100 MHz ticks from the machine clock: at 2 GHz, one
// tick every 20 cycles exactly (ClockRatio). While ENABLE_CNF is set the value
// is (value when enabled) + (ticks since); a timer whose interrupt is enabled
// is a Timed event at the cycle of the tick on which the counter equals its
// comparator (in the low 32 bits for a 32-bit timer, which therefore also
// matches after the counter wraps them).
//
// Interrupts. Legacy replacement: timer 0 drives ISA IRQ 0 and timer 1 ISA IRQ
// 8 (through the ISA fan-out: PIC and IOAPIC pin 2 / 8), and the machine
// disconnects the PIT's and the RTC's own IRQ outputs while it is on (QEMU
// does the same). Otherwise a timer drives the IOAPIC input Tn_INT_ROUTE_CNF
// names. Edge-triggered timers pulse the line; level-triggered ones set their
// General Interrupt Status bit and hold the line until the guest writes 1 to
// the bit.
//
// Deviations:
//   * As in QEMU, only timers with Tn_INT_ENB_CNF set run: a disabled
//     timer's periodic comparator does not advance and sets no status bit
//     (the specification sets the status bit of a level timer regardless).
//   * The writable configuration bits are QEMU's (mask 7F4Eh); the route field
//     accepts any input even where Tn_INT_ROUTE_CAP does not list it.
//   * Writing the main counter while the HPET is enabled has no effect.
//   * No FSB (MSI) delivery (Tn_FSB_INT_DEL_CAP is 0; the route register is
//     stored only). A comparator already behind the counter in 64-bit mode never
//     matches (QEMU fires it one tick later).
#pragma once
#include <array>
#include <functional>

#include "device.h"

namespace sy::dev {

class Hpet : public MmioDevice, public Timed {
public:
    static constexpr u64 kBase = 0xFED00000, kMmioSize = 0x400;
    static constexpr u64 kHz = 100'000'000;
    static constexpr u32 kPeriodFs = 10'000'000;  // femtoseconds per tick
    static constexpr unsigned kTimers = 3;
    static constexpr u32 kCapabilities = 0x8086A201;
    static constexpr u32 kRouteCap = 0x00000004;  // IOAPIC input 2
    // Register offsets.
    enum : u64 { CAP = 0x000, CONFIG = 0x010, STATUS = 0x020, COUNTER = 0x0F0, TIMER0 = 0x100, TIMER_STRIDE = 0x20 };
    // Timer configuration bits.
    static constexpr u64 kLevel = 1u << 1, kIntEnable = 1u << 2, kPeriodic = 1u << 3, kPeriodicCap = 1u << 4,
                         kSize64Cap = 1u << 5, kValSet = 1u << 6, kMode32 = 1u << 8;
    static constexpr u64 kConfigWritable = 0x7F4E;

    // `isa` receives the legacy replacement routes (lines 0 and 8), `ioapic` the
    // others (lines = IOAPIC inputs). `legacy_changed` is told when
    // LEG_RT_CNF flips, so the machine can gate the PIT and the RTC.
    Hpet(u64 cpu_hz, IrqSink* isa, IrqSink* ioapic, std::function<void(bool)> legacy_changed = {});

    u64 mmio_read(u64 offset, unsigned size, u64 now) override;
    void mmio_write(u64 offset, unsigned size, u64 value, u64 now) override;
    u64 next_event() const override;
    void advance(u64 now) override;

    bool enabled() const { return config_ & 1; }
    bool legacy_replacement() const { return config_ & 2; }
    u64 counter(u64 now) const;
    // The line timer n's interrupt goes to: {isa?, line}.
    struct Route {
        bool isa;
        unsigned line;
    };
    Route route(unsigned n) const;
    u64 timer_config(unsigned n) const { return timers_[n].config; }
    u64 comparator(unsigned n) const { return timers_[n].cmp; }
    u64 timer_next(unsigned n) const { return timers_[n].next; }  // cycle of its next interrupt, or kNever
    u32 status() const { return isr_; }

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    void serialize(Archive& ar) { ar(config_, isr_, counter_, enable_tick_, timers_); }

private:
    struct Timer {
        u64 config = kPeriodicCap | kSize64Cap | u64(kRouteCap) << 32;
        u64 cmp = ~0ull, period = 0, fsb = 0;
        u64 next = kNever;  // cycle of the next match while it runs
        bool line_high = false;
        Route line_route{false, 0};
        void serialize(Archive& ar) { ar(config, cmp, period, fsb, next, line_high, line_route.isa, line_route.line); }
    };
    u64 read_reg(u64 reg, u64 now) const;
    void write_reg(u64 reg, u64 value, u64 mask, u64 now);
    u64 width_mask(const Timer& t) const { return t.config & kMode32 ? 0xFFFFFFFFull : ~0ull; }
    void schedule(Timer& t, u64 now);
    void fire(unsigned n, u64 now);
    void set_line(Timer& t, bool level);
    void update_lines();

    ClockRatio clock_;
    IrqSink* isa_;
    IrqSink* ioapic_;
    std::function<void(bool)> legacy_changed_;
    u64 config_ = 0;
    u32 isr_ = 0;
    u64 counter_ = 0;        // the counter while halted; its value at enable_tick_ while enabled
    u64 enable_tick_ = 0;    // clock tick at which the counter was last enabled
    std::array<Timer, kTimers> timers_;
};

}  // namespace sy::dev
