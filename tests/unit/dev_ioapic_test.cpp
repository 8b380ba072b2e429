// I/O APIC. Expected values come from the 82093AA datasheet: 3.1 IOREGSEL/IOWIN,
// 3.2.2 IOAPICVER (version 11h, maximum redirection entry 17h), 3.2.4 the
// redirection table (reset masked; edge-sensitive interrupts on a masked pin are
// ignored; remote IRR set when a level interrupt is accepted by the local APIC
// and cleared by its EOI). The end-to-end case follows SDM Vol. 3A 11.8.4/11.8.5
// (TMR set for level-triggered interrupts, EOI broadcast).
#include <doctest/doctest.h>

#include <vector>

#include "dev_support.h"
#include "ioapic.h"
#include "lapic.h"

using namespace sy;
using namespace sy::dev;

namespace {
using test::RecordingRouter;

u32 reg(IoApic& io, u8 index) {
    io.mmio_write(IoApic::kRegSel, 4, index, 0);
    return u32(io.mmio_read(IoApic::kWindow, 4, 0));
}
void set_reg(IoApic& io, u8 index, u32 v) {
    io.mmio_write(IoApic::kRegSel, 4, index, 0);
    io.mmio_write(IoApic::kWindow, 4, v, 0);
}
void program(IoApic& io, unsigned pin, u64 entry) {
    set_reg(io, u8(0x11 + 2 * pin), u32(entry >> 32));
    set_reg(io, u8(0x10 + 2 * pin), u32(entry));
}
}  // namespace

TEST_CASE("ioapic: ID, version, arbitration and reset entries (82093AA 3.2)") {
    IoApic io(nullptr, 1);
    CHECK(reg(io, 0x00) == 1u << 24);
    CHECK(reg(io, 0x01) == 0x00170020);
    CHECK(((reg(io, 0x01) >> 16) & 0xFF) + 1 == IoApic::kPins);
    CHECK(reg(io, 0x02) == 1u << 24);
    set_reg(io, 0x00, 0x0F000000);
    CHECK(reg(io, 0x00) == 0x0F000000);
    set_reg(io, 0x01, 0);  // read-only
    CHECK(reg(io, 0x01) == 0x00170020);
    for (unsigned pin = 0; pin < IoApic::kPins; ++pin) CHECK((reg(io, u8(0x10 + 2 * pin)) & (1u << 16)) != 0);
    // IOREGSEL reads back; entries round-trip except the read-only bits 12 and 14.
    io.mmio_write(IoApic::kRegSel, 4, 0x12, 0);
    CHECK(io.mmio_read(IoApic::kRegSel, 4, 0) == 0x12);
    // dest 3, masked, level, low active, logical, ExtINT, vector 35h (Table 3 fields).
    const u64 fields = (u64(3) << 56) | IoApic::kMasked | IoApic::kLevel | IoApic::kPolarityLow |
                       IoApic::kDestLogical | 0x700 | 0x35;
    program(io, 5, fields | IoApic::kDeliveryStatus | IoApic::kRemoteIrr);
    CHECK(io.entry(5) == fields);
}

TEST_CASE("ioapic: edge-triggered pin delivers once per rising edge") {
    RecordingRouter r;
    IoApic io(&r);
    program(io, 1, 0x31);  // fixed, physical, dest 0, edge, unmasked
    io.set_irq(1, true);
    io.set_irq(1, true);   // no new edge
    REQUIRE(r.sent.size() == 1);
    CHECK(r.sent[0].mode == DeliveryMode::Fixed);
    CHECK(r.sent[0].vector == 0x31);
    CHECK(r.sent[0].dest == 0);
    CHECK_FALSE(r.sent[0].level_triggered);
    io.set_irq(1, false);
    io.set_irq(1, true);
    CHECK(r.sent.size() == 2);
    // A masked pin ignores edges and does not deliver them on unmask (3.2.4 bit 16).
    program(io, 1, 0x31 | IoApic::kMasked);
    io.set_irq(1, false), io.set_irq(1, true);
    program(io, 1, 0x31);
    CHECK(r.sent.size() == 2);
    // Destination fields: logical mode, broadcast 0xFF, lowest priority, NMI.
    program(io, 2, (u64(0x0F) << 56) | IoApic::kDestLogical | 0x100 | 0x42);
    io.set_irq(2, true);
    CHECK(r.sent[2].logical);
    CHECK(r.sent[2].dest == 0x0F);
    CHECK(r.sent[2].mode == DeliveryMode::LowestPriority);
    program(io, 3, (u64(0xFF) << 56) | 0x400);
    io.set_irq(3, true);
    CHECK(r.sent[3].dest == ApicMessage::kBroadcast);
    CHECK(r.sent[3].mode == DeliveryMode::Nmi);
}

TEST_CASE("ioapic: level-triggered pin, remote IRR and EOI (82093AA 3.2.4 bit 14)") {
    RecordingRouter r;
    IoApic io(&r);
    program(io, 10, IoApic::kLevel | 0x3A);
    io.set_irq(10, true);
    REQUIRE(r.sent.size() == 1);
    CHECK(r.sent[0].level_triggered);
    CHECK((reg(io, 0x10 + 20) & IoApic::kRemoteIrr) != 0);
    // Still asserted, remote IRR set: nothing more.
    io.set_irq(10, true);
    CHECK(r.sent.size() == 1);
    // EOI for another vector changes nothing.
    io.eoi(0x3B);
    CHECK((io.entry(10) & IoApic::kRemoteIrr) != 0);
    // EOI with the line still asserted: remote IRR cleared and the interrupt sent again.
    io.eoi(0x3A);
    CHECK(r.sent.size() == 2);
    CHECK((io.entry(10) & IoApic::kRemoteIrr) != 0);
    // Line released, then EOI: remote IRR clear, no delivery.
    io.set_irq(10, false);
    io.eoi(0x3A);
    CHECK(r.sent.size() == 2);
    CHECK((io.entry(10) & IoApic::kRemoteIrr) == 0);
    // A level pin asserted while masked is delivered when unmasked.
    program(io, 10, IoApic::kLevel | IoApic::kMasked | 0x3A);
    io.set_irq(10, true);
    CHECK(r.sent.size() == 2);
    program(io, 10, IoApic::kLevel | 0x3A);
    CHECK(r.sent.size() == 3);
}

TEST_CASE("ioapic: version 20h's EOI register at offset 0x40 clears remote IRR") {
    RecordingRouter r;
    IoApic io(&r);
    program(io, 5, IoApic::kLevel | 0x45);
    io.set_irq(5, true);
    REQUIRE(r.sent.size() == 1);
    io.set_irq(5, false);
    CHECK((io.entry(5) & IoApic::kRemoteIrr) != 0);
    io.mmio_write(IoApic::kEoi, 4, 0x44, 0);  // another vector: nothing
    CHECK((io.entry(5) & IoApic::kRemoteIrr) != 0);
    io.mmio_write(IoApic::kEoi, 4, 0x45, 0);
    CHECK((io.entry(5) & IoApic::kRemoteIrr) == 0);
    CHECK(r.sent.size() == 1);  // the line is low: nothing resent
}

namespace {
// The machine's router for one CPU: resolve with select(), deliver with receive().
struct OneCpuRouter : IpiRouter {
    std::vector<LocalApic*> apics;
    void send(const ApicMessage& m) override {
        for (LocalApic* a : LocalApic::select(m, apics)) a->receive(m);
    }
};
}  // namespace

TEST_CASE("ioapic: level interrupt through a local APIC and back by EOI broadcast") {
    OneCpuRouter r;
    LocalApic lapic(0, true, &r);
    r.apics = {&lapic};
    IoApic io(&r);
    lapic.set_eoi_broadcast([&](u8 v) { io.eoi(v); });
    lapic.mmio_write(LocalApic::SVR, 4, 0x1FF, 0);
    program(io, 9, IoApic::kLevel | 0x29);  // ACPI SCI style: level, active
    io.set_irq(9, true);
    REQUIRE(lapic.has_interrupt());
    CHECK(lapic.acknowledge() == 0x29);
    CHECK(lapic.tmr_bit(0x29));
    // The handler quiets the device, then EOIs: nothing is pending afterwards.
    io.set_irq(9, false);
    lapic.mmio_write(LocalApic::EOI, 4, 0, 0);
    CHECK((io.entry(9) & IoApic::kRemoteIrr) == 0);
    CHECK_FALSE(lapic.has_interrupt());
    // A handler that EOIs with the device still asserting gets the interrupt again.
    io.set_irq(9, true);
    CHECK(lapic.acknowledge() == 0x29);
    lapic.mmio_write(LocalApic::EOI, 4, 0, 0);
    CHECK(lapic.has_interrupt());
    CHECK(lapic.acknowledge() == 0x29);
}
