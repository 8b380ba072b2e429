// Intel 8254 programmable interval timer, as wired on the PC, plus the PC's
// port 0x61 (system control port B: channel 2 gate and speaker, status bits).
// Source: Intel 8254 datasheet (order no. 231164):
//   "Control Word Format" (SC, RW, M, BCD), "Write Operations" (LSB/MSB
//   sequences), "Read Operations": simple read, "Counter Latch Command",
//   "Read-Back Command" and the status byte (OUT, NULL COUNT, RW, M, BCD);
//   "Mode Definitions": Mode 0 (interrupt on terminal count), Mode 2 (rate
//   generator), Mode 3 (square wave, even and odd counts); Figure "Gate pin
//   operations summary".
// PC wiring: input clock 1.193182 MHz on all channels; channel 0 OUT -> IRQ 0;
// channel 1 (DRAM refresh) unconnected; channel 2 gate = port 0x61 bit 0, OUT2
// readable as port 0x61 bit 5 (IBM PC/AT Technical Reference, system board I/O).
//
// Time. The PIT input clock runs at kInputHz = 1193182 Hz (the value QEMU and
// Linux's PIT_TICK_RATE use; the crystal gives 14.31818 MHz / 12). The CPU runs
// at cpu_hz (a constructor parameter). PIT tick k, the k-th input clock edge
// after cycle 0, falls on cycle ceil(k * cpu_hz / 1193182), computed exactly in
// 128-bit integers (ClockRatio in device.h), so every run sees the same edges.
// At 2 GHz that is 1e9/596591 (~1676.2) cycles per tick. A count written during
// tick T is loaded on tick T + 1 ("the count is loaded on the next CLK pulse").
//
// Power-on state (not specified by the datasheet; taken from QEMU so guests see
// the same thing): all channels in mode 3 counting 65536, so IRQ 0 pulses at
// ~18.2 Hz until the guest reprograms channel 0; channel 2's gate is low.
//
// Deviations:
//   * Binary counting only; the BCD bit is stored and reported in the status
//     byte but counts are binary.
//   * Modes 1, 4 and 5 are accepted and count down like mode 0 for reads, but
//     their OUT stays high (no one-shot or strobe waveform).
//   * Only channel 2's gate is wired (channels 0 and 1 have gate high, as on PC).
//   * A mode 2/3 count written while counting takes effect at the next reload,
//     as specified; a mode 2 count of 1 (illegal) behaves as 2.
//   * Port 0x61 bit 4 (refresh detect) toggles every 18 PIT ticks (what a BIOS
//     programs channel 1 to) instead of following channel 1. Bits 6-7 (parity /
//     IOCHK NMI status) read 0. The speaker makes no sound.
#pragma once
#include <array>

#include "device.h"

namespace sy::dev {

class Pit8254 : public PortDevice, public Timed {
public:
    static constexpr u64 kInputHz = 1193182;
    static constexpr u16 kBase = 0x40, kControl = 0x43, kPortB = 0x61;
    static constexpr unsigned kIrq = 0;

    Pit8254(u64 cpu_hz, IrqLine irq0);

    u32 io_read(u16 port, unsigned size, u64 now) override;
    void io_write(u16 port, unsigned size, u32 value, u64 now) override;
    u64 next_event() const override;
    void advance(u64 now) override;

    // Debugger/test views, no side effects.
    u16 peek_count(unsigned channel, u64 now) const;
    bool peek_out(unsigned channel, u64 now) const;
    const ClockRatio& clock() const { return ratio_; }

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    void serialize(Archive& ar) { ar(ch_, port_b_, processed_, out0_reported_); }

private:
    struct Channel {
        u8 mode = 0, rw = 3, bcd = 0;
        bool programmed = false;  // a count has been written since the control word
        bool running = false;     // counting (programmed, gate high, not stopped mid-write)
        bool gate = true;
        u32 n = 0x10000;          // initial count, 0 written = 65536
        u64 load_tick = 0;        // tick on which `start` was loaded into the counter
        u32 start = 0x10000;      // counter value at load_tick (mode 0 after a gate pause)
        bool tc_before = false;   // mode 0: terminal count already reached before load_tick
        u32 frozen = 0;           // counter value while stopped
        // Deferred mode 2/3 reload: before load_tick the previous period runs.
        bool has_prev = false;
        u32 prev_n = 0;
        u64 prev_load = 0;
        // Byte sequencing.
        bool write_msb = false, read_msb = false;
        u8 lsb = 0;
        bool count_latched = false, status_latched = false;
        u16 latch = 0;
        bool latch_msb = false;
        u8 status = 0;

        void serialize(Archive& ar) {
            ar(mode, rw, bcd, programmed, running, gate, n, load_tick, start, tc_before, frozen, has_prev, prev_n,
               prev_load, write_msb, read_msb, lsb, count_latched, status_latched, latch, latch_msb, status);
        }
        u32 count_at(u64 t) const;  // 1..65536 or 0 (mode 0 wraps through 0)
        bool out_at(u64 t) const;
        u64 next_change(u64 after) const;  // first tick > after where OUT changes, or kNever
        u32 period() const { return mode == 2 && n < 2 ? 2 : n; }
    };

    void write_control(u8 v, u64 t);
    void write_count(Channel& c, u8 v, u64 t);
    u8 read_counter(Channel& c, u64 t);
    void set_gate2(bool gate, u64 t);
    void report_out0(bool level);

    ClockRatio ratio_;
    IrqLine irq0_;
    std::array<Channel, 3> ch_;
    u8 port_b_ = 0;          // bits 3:0 as written
    u64 processed_ = 0;      // channel 0 OUT reported up to this tick
    bool out0_reported_ = false;
};

}  // namespace sy::dev
