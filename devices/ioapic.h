// I/O APIC, modelled on the Intel 82093AA datasheet (order no. 290566):
//   3.0 register description: IOREGSEL (3.1.1), IOWIN (3.1.2), IOAPICID (3.2.1),
//   IOAPICVER (3.2.2), IOAPICARB (3.2.3), I/O redirection table (3.2.4, Table 3:
//   vector, delivery mode, destination mode, delivery status, polarity, remote
//   IRR, trigger mode, mask, destination).
// The version is 0x00170020 (version 20h, maximum redirection entry 17h: 24
// pins), what QEMU 7.2's ioapic reports (read back by tests/system/c/pcprobe.c):
// the version with the EOI register at offset 0x40 (a write of a vector there
// does what the EOI broadcast of a level-triggered interrupt does). PC wiring:
// MMIO at 0xFEC00000; ISA IRQ n on pin n except the PIT, whose IRQ 0 is on pin 2
// (the MADT interrupt source override built by firmware_tables.h).
//
// Delivery. A pin whose input goes active sends a message (apic_bus.h) to the
// IpiRouter: edge-triggered pins on each rising edge, level-triggered pins while
// the input is active and remote IRR is clear. A level delivery sets remote IRR;
// eoi(vector), called by the machine when a local APIC broadcasts the EOI of a
// level-triggered vector, clears remote IRR in every level entry with that
// vector and delivers again if the input is still active (3.2.4, bit 14).
//
// Deviations:
//   * The input level from set_irq() is taken as "asserted"; the polarity bit is
//     stored but does not invert it (QEMU does the same; the PC's ISA lines are
//     active high and a guest that programs low-active for them still works).
//   * An edge on a masked pin is dropped, as the datasheet says (bit 16); QEMU
//     instead remembers it and delivers on unmask.
//   * Delivery is instantaneous: delivery status (bit 12) always reads 0.
//   * The arbitration register reads the ID in bits 27:24 (its value after
//     reset) and never rotates.
//   * IOWIN accesses narrower than 32 bits read the addressed bytes and are
//     ignored on write; IOREGSEL takes its low byte from any write. Registers
//     beyond the redirection table read 0.
#pragma once
#include <array>

#include "apic_bus.h"
#include "device.h"

namespace sy::dev {

class IoApic : public MmioDevice, public IrqSink {
public:
    static constexpr u64 kDefaultBase = 0xFEC00000;
    static constexpr u64 kMmioSize = 0x1000;  // the page QEMU maps; only 0x00 and 0x10 decode
    static constexpr unsigned kPins = 24;
    static constexpr u32 kVersion = 0x00170020;
    static constexpr u64 kRegSel = 0x00, kWindow = 0x10, kEoi = 0x40;
    // Redirection entry bits (Table 3).
    static constexpr u64 kDestLogical = 1u << 11, kDeliveryStatus = 1u << 12, kPolarityLow = 1u << 13,
                         kRemoteIrr = 1u << 14, kLevel = 1u << 15, kMasked = 1u << 16;

    explicit IoApic(IpiRouter* router = nullptr, u8 id = 0);
    void set_router(IpiRouter* r) { router_ = r; }

    u64 mmio_read(u64 offset, unsigned size, u64 now) override;
    void mmio_write(u64 offset, unsigned size, u64 value, u64 now) override;
    // Interrupt inputs, pins 0-23.
    void set_irq(unsigned line, bool level) override;
    // EOI broadcast from a local APIC for `vector`.
    void eoi(u8 vector);

    // Views for the debugger and tests.
    u64 entry(unsigned pin) const { return redir_[pin]; }
    u32 read_register(u8 index) const;

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    void serialize(Archive& ar) { ar(regsel_, id_, redir_, levels_); }

private:
    void write_register(u8 index, u32 value);
    void service(unsigned pin);

    IpiRouter* router_;
    u8 regsel_ = 0;
    u32 id_;  // bits 27:24
    std::array<u64, kPins> redir_;
    u32 levels_ = 0;  // input levels, one bit per pin
};

}  // namespace sy::dev
