// I/O APIC; see ioapic.h for the datasheet sections and the deviations.
#include "ioapic.h"

namespace sy::dev {

namespace {
// Writable bits of a redirection entry: everything but delivery status and remote IRR.
constexpr u64 kEntryWritable = 0xFF00000000000000ull | 0x1AFFF;
constexpr u8 kRegId = 0x00, kRegVersion = 0x01, kRegArb = 0x02, kRegRedirFirst = 0x10;
}  // namespace

// 3.2.4: the redirection entries come out of reset masked.
IoApic::IoApic(IpiRouter* router, u8 id) : router_(router), id_(u32(id & 0xF) << 24) {
    redir_.fill(kMasked);
}

u32 IoApic::read_register(u8 index) const {
    switch (index) {
    case kRegId: return id_;
    case kRegVersion: return kVersion;
    case kRegArb: return id_;
    default: break;
    }
    if (index < kRegRedirFirst || index >= kRegRedirFirst + 2 * kPins) return 0;
    u64 e = redir_[(index - kRegRedirFirst) / 2];
    return index & 1 ? u32(e >> 32) : u32(e);
}

void IoApic::write_register(u8 index, u32 value) {
    if (index == kRegId) {
        id_ = value & 0x0F000000;
        return;
    }
    if (index < kRegRedirFirst || index >= kRegRedirFirst + 2 * kPins) return;  // version, arbitration: RO
    unsigned pin = (index - kRegRedirFirst) / 2;
    u64& e = redir_[pin];
    u64 v = index & 1 ? (u64(value) << 32) | (e & 0xFFFFFFFF) : (e & 0xFFFFFFFF00000000ull) | value;
    v = (v & kEntryWritable) | (e & kRemoteIrr);
    if (!(v & kLevel)) v &= ~kRemoteIrr;  // remote IRR is undefined for edge; keep it clear
    e = v;
    // Unmasking (or switching to level) with the input active delivers a level interrupt.
    if (e & kLevel) service(pin);
}

void IoApic::service(unsigned pin) {
    u64& e = redir_[pin];
    if (e & kMasked) return;
    if (e & kLevel) {
        if (!(levels_ >> pin & 1) || (e & kRemoteIrr)) return;
        e |= kRemoteIrr;
    }
    ApicMessage m;
    m.mode = DeliveryMode((e >> 8) & 7);
    m.vector = u8(e);
    m.level_triggered = e & kLevel;
    m.logical = e & kDestLogical;
    u32 dest = u32(e >> 56);
    m.dest = dest == 0xFF ? ApicMessage::kBroadcast : dest;
    if (router_) router_->send(m);
}

void IoApic::set_irq(unsigned line, bool level) {
    if (line >= kPins) return;
    bool was = levels_ >> line & 1;
    levels_ = level ? levels_ | (1u << line) : levels_ & ~(1u << line);
    bool edge_entry = !(redir_[line] & kLevel);
    if (level && (!edge_entry || !was)) service(line);
}

void IoApic::eoi(u8 vector) {
    for (unsigned pin = 0; pin < kPins; ++pin) {
        u64& e = redir_[pin];
        if ((e & kLevel) && (e & kRemoteIrr) && u8(e) == vector) {
            e &= ~kRemoteIrr;
            service(pin);
        }
    }
}

u64 IoApic::mmio_read(u64 offset, unsigned size, u64 now) {
    (void)now;
    u64 ones = ~0ull >> (64 - 8 * size);
    if (offset < kRegSel + 4) return (u64(regsel_) >> (8 * (offset - kRegSel))) & ones;
    if (offset >= kWindow && offset < kWindow + 4) return (u64(read_register(regsel_)) >> (8 * (offset - kWindow))) & ones;
    return 0;
}

void IoApic::mmio_write(u64 offset, unsigned size, u64 value, u64 now) {
    (void)now;
    if (offset == kRegSel) regsel_ = u8(value);
    else if (offset == kWindow && size >= 4) write_register(regsel_, u32(value));
    else if (offset == kEoi && size >= 4) eoi(u8(value));
}

}  // namespace sy::dev
