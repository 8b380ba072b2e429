// Local APIC; see lapic.h for the SDM sections, the timer clock and the
// deviations. One register file serves both interfaces: MMIO (xAPIC) and MSRs
// (x2APIC) differ only in which registers exist, which are read- or write-only,
// and whether a bad access is an ESR error or a #GP.
#include "lapic.h"

#include <algorithm>

namespace sy::dev {

namespace {
// Writable bits of each LVT (Figure 11-8): timer, thermal, perf, LINT0, LINT1, error.
constexpr std::array<u32, 6> kLvtWritable = {0x000700FF, 0x000107FF, 0x000107FF,
                                             0x0001A7FF, 0x0001A7FF, 0x000100FF};
constexpr unsigned kLvtTimer = 0, kLvtLint0 = 3, kLvtLint1 = 4, kLvtError = 5;
constexpr u32 kSvrWritable = 0x3FF;            // vector, APIC enable, focus checking
constexpr u32 kIcrLoWritable = 0x000CCFFF;     // vector, mode, dest mode, level, trigger, shorthand
constexpr u32 kDcrWritable = 0xB;
constexpr u64 kBaseAddrMask = 0x000FFFFFFFFFF000ull;

DeliveryMode lvt_mode(u32 lvt) { return DeliveryMode((lvt >> 8) & 7); }
bool masked(u32 lvt) { return lvt & LocalApic::kLvtMask; }
}  // namespace

LocalApic::LocalApic(u32 apic_id, bool bsp, IpiRouter* router)
    : initial_id_(apic_id), router_(router), apic_base_(bsp ? kBaseBsp : 0) {
    reset();
}

void LocalApic::reset() {
    apic_base_ = kDefaultBase | kBaseEnable | (apic_base_ & kBaseBsp);
    id_ = initial_id_ << 24;
    init_reset();
}

// 11.4.7.1 and 11.4.7.3: everything to its power-up value but the ID.
void LocalApic::init_reset() {
    tpr_ = 0, ldr_ = 0, dfr_ = 0xFFFFFFFF, svr_ = 0xFF;
    irr_ = {}, isr_ = {}, tmr_ = {};
    esr_ = 0, esr_pending_ = 0;
    icr_lo_ = 0, icr_hi_ = 0;
    lvt_.fill(kLvtMask);
    timer_init_ = 0, dcr_ = 0;
    counting_ = false, timer_next_ = kNever, tsc_deadline_ = 0;
    nmi_pending_ = false, extint_pending_ = false;
}

void LocalApic::setup_virtual_wire() {
    svr_ |= 0x100;
    // The values SeaBIOS writes (QEMU reads back 8700h and 8400h): the trigger
    // mode bit is set, which ExtINT and NMI delivery ignore (11.5.1).
    lvt_[kLvtLint0] = u32(DeliveryMode::ExtInt) << 8 | 1u << 15;
    lvt_[kLvtLint1] = u32(DeliveryMode::Nmi) << 8 | 1u << 15;
}

// Figure 11-27: disabled <-> xAPIC, xAPIC -> x2APIC, x2APIC -> disabled.
bool LocalApic::set_apic_base(u64 value) {
    if (value & ~(kBaseAddrMask | kBaseEnable | kBaseExtd | kBaseBsp)) return false;
    bool en = value & kBaseEnable, extd = value & kBaseExtd;
    if (extd && !en) return false;             // invalid state
    if (x2apic() && en && !extd) return false;  // x2APIC -> xAPIC
    if (!hw_enabled() && extd) return false;    // disabled -> x2APIC
    bool was_enabled = hw_enabled();
    apic_base_ = (value & ~kBaseBsp) | (apic_base_ & kBaseBsp);
    if (was_enabled && !en) {
        id_ = initial_id_ << 24;
        init_reset();
    }
    return true;
}

int LocalApic::highest(const Bits& b) {
    for (int i = 7; i >= 0; --i)
        if (b[i]) return i * 32 + 31 - __builtin_clz(b[i]);
    return -1;
}

// 11.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0.
u32 LocalApic::ppr() const {
    int isrv = std::max(highest(isr_), 0);
    if ((tpr_ >> 4) >= u32(isrv >> 4)) return tpr_ & 0xFF;
    return u32(isrv) & 0xF0;
}

u32 LocalApic::ldr_value() const {
    if (!x2apic()) return ldr_;
    // 11.12.10.2: cluster ID in 31:16, one bit of 16 in 15:0.
    return (initial_id_ >> 4) << 16 | 1u << (initial_id_ & 0xF);
}

// Figure 11-10: bits 3, 1, 0 give 2, 4, ..., 128, and 111b divides by 1.
u32 LocalApic::divide() const {
    u32 v = (dcr_ & 3) | ((dcr_ >> 1) & 4);
    return v == 7 ? 1 : 2u << v;
}

u32 LocalApic::timer_count(u64 now) const {
    if (!counting_ || timer_mode() == TimerMode::TscDeadline) return 0;
    if (now < seg_start_) return seg_count_;
    u64 d = divide(), e = now - seg_start_, first = u64(seg_count_) * d;
    if (e < first) return seg_count_ - u32(e / d);
    if (timer_mode() != TimerMode::Periodic) return 0;
    u64 r = (e - first) % (u64(timer_init_) * d);
    return timer_init_ - u32(r / d);
}

void LocalApic::arm_count(u64 now, u32 count) {
    timer_init_ = count;
    counting_ = count != 0;
    seg_start_ = now, seg_count_ = count;
    timer_next_ = counting_ ? now + u64(count) * divide() : kNever;
}

u64 LocalApic::next_event() const { return timer_next_; }

void LocalApic::advance(u64 now) {
    if (timer_next_ > now) return;
    if (!masked(lvt_[kLvtTimer])) lvt_fire(kLvtTimer);
    if (timer_mode() == TimerMode::Periodic && counting_) {
        // Expiries missed between timer_next_ and now coalesce into the one IRR bit.
        u64 period = u64(timer_init_) * divide();
        u64 first = seg_start_ + u64(seg_count_) * divide();
        timer_next_ = first + ((now - first) / period + 1) * period;
    } else {
        timer_next_ = kNever;
        tsc_deadline_ = 0;  // 11.5.4.1: the deadline disarms once it fires
    }
}

void LocalApic::error(u32 bits) {
    esr_pending_ |= bits;
    u32 lvt = lvt_[kLvtError];
    if (masked(lvt)) return;
    if ((lvt & 0xFF) < 16) {
        esr_pending_ |= kEsrReceiveIllegalVector;  // no second error interrupt for it
        return;
    }
    set(irr_, u8(lvt), true);
    set(tmr_, u8(lvt), false);
}

// 11.8.4: vectors 0-15 are illegal; the TMR bit records the trigger mode.
void LocalApic::accept_fixed(u8 vector, bool level) {
    if (vector < 16) {
        error(kEsrReceiveIllegalVector);
        return;
    }
    set(irr_, vector, true);
    set(tmr_, vector, level);
}

void LocalApic::lvt_fire(unsigned index) {
    u32 lvt = lvt_[index];
    if (masked(lvt)) return;
    switch (index == kLvtTimer || index == kLvtError ? DeliveryMode::Fixed : lvt_mode(lvt)) {
    case DeliveryMode::Fixed: accept_fixed(u8(lvt), false); break;
    case DeliveryMode::Nmi: nmi_pending_ = true; break;
    default: break;  // ExtINT is a level, seen by has_interrupt(); SMI/INIT ignored
    }
}

void LocalApic::set_lint0(bool level) {
    bool rising = level && !lint_level_[0];
    lint_level_[0] = level;
    if (rising && hw_enabled() && lvt_mode(lvt_[kLvtLint0]) != DeliveryMode::ExtInt) lvt_fire(kLvtLint0);
}

void LocalApic::set_lint1(bool level) {
    bool rising = level && !lint_level_[1];
    lint_level_[1] = level;
    if (!rising) return;
    if (!hw_enabled()) nmi_pending_ = true;  // the pin is NMI again
    else if (lvt_mode(lvt_[kLvtLint1]) != DeliveryMode::ExtInt) lvt_fire(kLvtLint1);
}

bool LocalApic::has_interrupt() const {
    if (!hw_enabled()) return lint_level_[0];
    u32 lint0 = lvt_[kLvtLint0];
    if (extint_pending_ || (lint_level_[0] && !masked(lint0) && lvt_mode(lint0) == DeliveryMode::ExtInt)) return true;
    int v = highest(irr_);
    return v >= 0 && u32(v >> 4) > (ppr() >> 4);
}

// 11.8.3 and 11.9: the highest IRR vector whose class beats the PPR moves to the
// ISR; if nothing qualifies any more the APIC answers with the spurious vector.
u8 LocalApic::acknowledge() {
    u8 spurious = u8(svr_);
    u32 lint0 = lvt_[kLvtLint0];
    bool extint = !hw_enabled() || extint_pending_ ||
                  (lint_level_[0] && !masked(lint0) && lvt_mode(lint0) == DeliveryMode::ExtInt);
    if (extint) {
        extint_pending_ = false;
        return extint_ack_ ? extint_ack_() : spurious;
    }
    int v = highest(irr_);
    if (v < 0 || u32(v >> 4) <= (ppr() >> 4)) return spurious;
    set(irr_, u8(v), false);
    set(isr_, u8(v), true);
    return u8(v);
}

bool LocalApic::matches(const ApicMessage& m) const {
    if (!hw_enabled()) return false;
    switch (m.shorthand) {
    case Shorthand::Self: return id() == m.source_id;
    case Shorthand::AllIncludingSelf: return true;
    case Shorthand::AllExcludingSelf: return id() != m.source_id;
    case Shorthand::None: break;
    }
    if (m.dest == ApicMessage::kBroadcast) return true;
    if (!m.logical) return m.dest == id();
    u32 ldr = ldr_value();
    if (x2apic()) return (m.dest >> 16) == (ldr >> 16) && (m.dest & ldr & 0xFFFF);  // 11.12.10.2
    u32 d = m.dest & 0xFF, logical_id = ldr >> 24;
    if ((dfr_ >> 28) == 0xF) return d & logical_id;  // flat (11.6.2.2)
    return ((d >> 4) == 0xF || (d >> 4) == (logical_id >> 4)) && (d & logical_id & 0xF);  // cluster
}

void LocalApic::receive(const ApicMessage& m) {
    if (!hw_enabled()) return;
    switch (m.mode) {
    case DeliveryMode::Fixed:
    case DeliveryMode::LowestPriority:
        if (sw_enabled()) accept_fixed(m.vector, m.level_triggered);
        break;
    case DeliveryMode::Nmi: nmi_pending_ = true; break;
    case DeliveryMode::ExtInt: extint_pending_ = true; break;
    case DeliveryMode::Init: init_reset(); break;
    default: break;  // SMI; start-up is the machine's (it starts the CPU)
    }
}

std::vector<LocalApic*> LocalApic::select(const ApicMessage& m, std::span<LocalApic* const> apics) {
    std::vector<LocalApic*> out;
    for (LocalApic* a : apics)
        if (a->matches(m)) out.push_back(a);
    if (m.mode == DeliveryMode::LowestPriority && out.size() > 1) {
        LocalApic* lowest = *std::min_element(out.begin(), out.end(),
                                              [](LocalApic* a, LocalApic* b) { return a->id() < b->id(); });
        out.assign(1, lowest);
    }
    return out;
}

// 11.6.1: the ICR low write sends. `dest` is ICR[63:56] (xAPIC) or ICR[63:32] (x2APIC).
void LocalApic::send_ipi(u32 lo, u32 dest) {
    auto mode = DeliveryMode((lo >> 8) & 7);
    bool level = lo & (1u << 14), trigger_level = lo & (1u << 15);
    if (mode == DeliveryMode::Init && !level && trigger_level) return;  // INIT level de-assert
    if (mode == DeliveryMode(3) || mode == DeliveryMode::ExtInt) return;  // reserved for IPIs
    if ((mode == DeliveryMode::Fixed || mode == DeliveryMode::LowestPriority) && u8(lo) < 16) {
        error(kEsrSendIllegalVector);
        return;
    }
    ApicMessage m;
    m.mode = mode;
    m.vector = u8(lo);
    m.logical = lo & (1u << 11);
    m.shorthand = Shorthand((lo >> 18) & 3);
    m.dest = !x2apic() && dest == 0xFF ? ApicMessage::kBroadcast : dest;
    m.source_id = id();
    if (router_) router_->send(m);
}

void LocalApic::write_lvt(unsigned index, u32 value) {
    u32 v = value & kLvtWritable[index];
    if (!sw_enabled()) v |= kLvtMask;  // 11.4.7.2: masks stay set while disabled
    if (index == kLvtTimer) {
        if (((v >> 17) & 3) == 3) v &= ~(1u << 18);  // reserved mode: one-shot
        if (((v >> 17) & 3) != u32(timer_mode())) {
            counting_ = false, timer_next_ = kNever, tsc_deadline_ = 0;
        }
    }
    lvt_[index] = v;
}

bool LocalApic::read_reg(u32 offset, u32& value, u64 now) const {
    bool x2 = x2apic();
    value = 0;
    if (offset >= ISR0 && offset < IRR0 + 0x80) {
        const Bits& b = offset < TMR0 ? isr_ : offset < IRR0 ? tmr_ : irr_;
        value = b[(offset >> 4) & 7];
        return true;
    }
    if (offset >= LVT_TIMER && offset <= LVT_ERROR) {
        value = lvt_[(offset - LVT_TIMER) >> 4];
        return true;
    }
    switch (offset) {
    case ID: value = x2 ? initial_id_ : id_; return true;
    case VERSION: value = kVersion; return true;
    case TPR: value = tpr_; return true;
    case PPR: value = ppr(); return true;
    case APR:
    case RRD:
    case EOI: return !x2;  // EOI is write-only; APR and remote read are not modelled
    case LDR: value = ldr_value(); return true;
    case DFR: value = dfr_; return !x2;
    case SVR: value = svr_; return true;
    case ESR: value = esr_; return true;
    case ICR_LO: value = icr_lo_; return true;
    case ICR_HI: value = icr_hi_; return !x2;
    case TIMER_INIT: value = timer_init_; return true;
    case TIMER_CUR: value = timer_count(now); return true;
    case TIMER_DIV: value = dcr_; return true;
    default: return false;
    }
}

// False: an illegal register (ESR bit 7 in xAPIC mode) or, in x2APIC mode, a
// read-only register or reserved bits set (#GP, 11.12.1.2).
bool LocalApic::write_reg(u32 offset, u32 value, u64 now) {
    bool x2 = x2apic();
    if (offset >= ISR0 && offset < IRR0 + 0x80) return !x2;  // read-only
    if (offset >= LVT_TIMER && offset <= LVT_ERROR) {
        unsigned index = (offset - LVT_TIMER) >> 4;
        if (x2 && (value & ~kLvtWritable[index])) return false;
        write_lvt(index, value);
        return true;
    }
    switch (offset) {
    case ID:
        if (x2) return false;
        id_ = value & 0xFF000000;
        return true;
    case VERSION:
    case PPR:
    case TIMER_CUR: return !x2;
    case APR:
    case RRD: return !x2;
    case TPR:
        if (x2 && (value & ~0xFFu)) return false;
        tpr_ = value & 0xFF;
        return true;
    case EOI: {
        if (x2 && value) return false;
        int v = highest(isr_);
        if (v < 0) return true;
        set(isr_, u8(v), false);
        if (test(tmr_, u8(v)) && eoi_broadcast_) eoi_broadcast_(u8(v));  // 11.8.5
        return true;
    }
    case LDR:
        if (x2) return false;
        ldr_ = value & 0xFF000000;
        return true;
    case DFR:
        if (x2) return false;
        dfr_ = value | 0x0FFFFFFF;
        return true;
    case SVR:
        if (x2 && (value & ~kSvrWritable)) return false;
        svr_ = value & kSvrWritable;
        if (!sw_enabled())
            for (u32& l : lvt_) l |= kLvtMask;
        return true;
    case ESR:
        if (x2 && value) return false;
        esr_ = esr_pending_;  // 11.5.3: a write latches the errors and clears them
        esr_pending_ = 0;
        return true;
    case ICR_LO:
        if (x2) return false;  // the 64-bit MSR 0x830 is handled by msr_write
        icr_lo_ = value & kIcrLoWritable;
        send_ipi(icr_lo_, icr_hi_ >> 24);
        return true;
    case ICR_HI:
        if (x2) return false;
        icr_hi_ = value & 0xFF000000;
        return true;
    case TIMER_INIT:
        if (timer_mode() != TimerMode::TscDeadline) arm_count(now, value);  // 11.5.4.1: ignored
        return true;
    case TIMER_DIV: {
        if (x2 && (value & ~kDcrWritable)) return false;
        u32 cur = timer_count(now);
        dcr_ = value & kDcrWritable;
        if (counting_ && timer_mode() != TimerMode::TscDeadline) {
            if (cur == 0) {
                counting_ = false, timer_next_ = kNever;
            } else {
                seg_start_ = now, seg_count_ = cur;
                timer_next_ = now + u64(cur) * divide();
            }
        }
        return true;
    }
    case SELF_IPI:
        if (!x2 || (value & ~0xFFu)) return false;
        accept_fixed(u8(value), false);  // 11.12.11: fixed, edge, to self
        return true;
    default: return false;
    }
}

u32 LocalApic::peek(u32 offset, u64 now) const {
    u32 v;
    read_reg(offset & ~0xFu, v, now);
    return v;
}

u64 LocalApic::mmio_read(u64 offset, unsigned size, u64 now) {
    u64 ones = ~0ull >> (64 - 8 * size);
    if (x2apic() || !hw_enabled()) return ones;
    advance(now);
    u32 reg = u32(offset & 0xFF0), byte = u32(offset & 0xF);
    u32 v;
    if (!read_reg(reg, v, now)) {
        error(kEsrIllegalRegister);
        return 0;
    }
    if (byte >= 4) return 0;
    return (u64(v) >> (8 * byte)) & ones;
}

void LocalApic::mmio_write(u64 offset, unsigned size, u64 value, u64 now) {
    if (x2apic() || !hw_enabled() || size < 4 || (offset & 0xF)) return;
    advance(now);
    if (!write_reg(u32(offset & 0xFF0), u32(value), now)) error(kEsrIllegalRegister);
    advance(now);
}

bool LocalApic::msr_read(u32 msr, u64& value, u64 now) {
    advance(now);
    if (msr == kMsrApicBase) {
        value = apic_base_;
        return true;
    }
    if (msr == kMsrTscDeadline) {
        value = timer_mode() == TimerMode::TscDeadline ? tsc_deadline_ : 0;
        return true;
    }
    if (msr < kMsrX2First || msr > kMsrX2Last || !x2apic()) return false;
    u32 offset = (msr - kMsrX2First) << 4;
    if (offset == ICR_LO) {
        value = u64(icr_hi_) << 32 | icr_lo_;
        return true;
    }
    u32 v;
    if (!read_reg(offset, v, now)) return false;
    value = v;
    return true;
}

bool LocalApic::msr_write(u32 msr, u64 value, u64 now) {
    advance(now);
    if (msr == kMsrApicBase) return set_apic_base(value);
    if (msr == kMsrTscDeadline) {
        // 11.5.4.1: ignored outside TSC-deadline mode; 0 disarms; a deadline in
        // the past fires at once.
        if (timer_mode() != TimerMode::TscDeadline) return true;
        tsc_deadline_ = value;
        timer_next_ = value == 0 ? kNever : value > tsc_offset_ ? value - tsc_offset_ : 0;
        advance(now);
        return true;
    }
    if (msr < kMsrX2First || msr > kMsrX2Last || !x2apic()) return false;
    u32 offset = (msr - kMsrX2First) << 4;
    if (offset == ICR_LO) {
        if (u32(value) & ~kIcrLoWritable) return false;
        icr_lo_ = u32(value), icr_hi_ = u32(value >> 32);
        send_ipi(icr_lo_, icr_hi_);
        return true;
    }
    if (value >> 32) return false;
    bool ok = write_reg(offset, u32(value), now);
    advance(now);
    return ok;
}

}  // namespace sy::dev
