// The small contracts between the machine (emu/) and the PC devices.
//
// Time. The machine owns one global cycle counter (u64, CPU clock cycles since
// power-on). A device has no other notion of time: no host clock, no thread, no
// sleep. The counter reaches a device in exactly two ways:
//   * every register access carries `now`, the cycle at which the access happens,
//     so a device can bring itself up to date before answering (lazy catch-up);
//   * a device with timed behaviour (a timer reaching zero, a character timeout)
//     implements Timed: the machine asks next_event() for the earliest cycle at
//     which the device needs attention, runs the CPUs no further than that, and
//     calls advance(now). advance() may be called early or late; the device does
//     whatever became due at or before `now` and nothing else.
// Both paths see a non-decreasing `now` (the machine interleaves its CPUs
// deterministically and never goes back in time), so the same guest run always
// produces the same device behaviour.
//
// Interrupts. A device that raises an interrupt holds an IrqSink* and a line
// number and calls set_irq(line, level) whenever the level of its output pin
// changes (calling it again with the same level is harmless). Edge-triggered
// receivers (the 8259A in its PC configuration) latch the 0 -> 1 transition;
// level-triggered ones follow the level.
#pragma once
#include "archive.h"
#include "types.h"

namespace sy::dev {

// Sentinel for next_event(): "no event scheduled".
inline constexpr u64 kNever = ~0ull;

// A device on the x86 I/O port space. `port` is the absolute port number (PC
// ports are fixed, and a device with several ranges, such as the PIT at 0x40 and
// 0x61, needs to tell them apart). `size` is 1, 2 or 4 and never exceeds the
// width the device registered with (the IoBus splits wider accesses, see io_bus.h).
class PortDevice {
public:
    virtual ~PortDevice() = default;
    virtual u32 io_read(u16 port, unsigned size, u64 now) = 0;
    virtual void io_write(u16 port, unsigned size, u32 value, u64 now) = 0;
};

// A device in the physical address space outside RAM. `offset` is relative to the
// base of the registered range (memory-mapped devices, such as the LAPIC, can be
// moved by the guest). `size` is 1, 2, 4 or 8.
class MmioDevice {
public:
    virtual ~MmioDevice() = default;
    virtual u64 mmio_read(u64 offset, unsigned size, u64 now) = 0;
    virtual void mmio_write(u64 offset, unsigned size, u64 value, u64 now) = 0;
};

// The receiving side of interrupt lines: the PIC pair, the IOAPIC, a LAPIC's LINT pins.
class IrqSink {
public:
    virtual ~IrqSink() = default;
    virtual void set_irq(unsigned line, bool level) = 0;
};

// A device that needs attention at a future cycle without being accessed.
class Timed {
public:
    virtual ~Timed() = default;
    // Earliest cycle at which advance() has work to do, or kNever.
    virtual u64 next_event() const = 0;
    // Perform everything due at or before `now`.
    virtual void advance(u64 now) = 0;
};

// One interrupt output pin wired to a sink; unconnected pins are silently dropped
// so devices can be unit-tested alone.
struct IrqLine {
    IrqSink* sink = nullptr;
    unsigned line = 0;
    void set(bool level) const {
        if (sink) sink->set_irq(line, level);
    }
};

// Exact conversion between CPU cycles and a slower device clock of `dev_hz`
// ticks per second, for a CPU of `cpu_hz` cycles per second. The ratio is kept as
// the fraction cpu_hz / dev_hz (no floating point), so tick boundaries fall on the
// same cycles on every host. Tick k (k >= 1) is the k-th rising edge of the
// device clock after cycle 0; it happens at cycle ceil(k * cpu_hz / dev_hz).
struct ClockRatio {
    u64 cpu_hz;
    u64 dev_hz;
    // Number of device ticks that happened at or before cycle `c`.
    u64 ticks_at(u64 c) const { return u64((u128(c) * dev_hz) / cpu_hz); }
    // The cycle of device tick `k`.
    u64 cycle_of_tick(u64 k) const { return u64((u128(k) * cpu_hz + dev_hz - 1) / dev_hz); }
};

}  // namespace sy::dev
