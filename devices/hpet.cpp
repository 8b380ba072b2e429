// HPET; see hpet.h for the specification sections, the timing and the deviations.
#include "hpet.h"

#include <algorithm>

namespace sy::dev {

Hpet::Hpet(u64 cpu_hz, IrqSink* isa, IrqSink* ioapic, std::function<void(bool)> legacy_changed)
    : clock_{cpu_hz, kHz}, isa_(isa), ioapic_(ioapic), legacy_changed_(std::move(legacy_changed)) {}

u64 Hpet::counter(u64 now) const {
    return enabled() ? counter_ + (clock_.ticks_at(now) - enable_tick_) : counter_;
}

Hpet::Route Hpet::route(unsigned n) const {
    if (legacy_replacement() && n < 2) return {true, n == 0 ? 0u : 8u};
    return {false, unsigned(timers_[n].config >> 9 & 0x1F)};
}

// The next tick on which the counter equals the comparator (2.3.9.2), from
// the tick in progress at `now` on.
void Hpet::schedule(Timer& t, u64 now) {
    t.next = kNever;
    if (!enabled() || !(t.config & kIntEnable)) return;
    const u64 w = width_mask(t), cur = counter(now) & w, cmp = t.cmp & w;
    if (!(t.config & kMode32) && cmp < cur) return;  // behind a 64-bit counter: no match
    u64 tick = clock_.ticks_at(now) + ((cmp - cur) & w);
    t.next = std::max(clock_.cycle_of_tick(tick), now);
}

void Hpet::set_line(Timer& t, bool level) {
    Route r = t.line_route;
    if (t.line_high && !level) (r.isa ? isa_ : ioapic_)->set_irq(r.line, false);
    if (!t.line_high && level) (r.isa ? isa_ : ioapic_)->set_irq(r.line, true);
    t.line_high = level;
}

// Level-triggered timers hold their line while their status bit is set.
void Hpet::update_lines() {
    for (unsigned n = 0; n < kTimers; ++n) {
        Timer& t = timers_[n];
        bool level = enabled() && (t.config & kLevel) && (t.config & kIntEnable) && (isr_ >> n & 1);
        Route r = route(n);
        if (r.isa != t.line_route.isa || r.line != t.line_route.line) {
            set_line(t, false);
            t.line_route = r;
        }
        if (isa_ && ioapic_) set_line(t, level);
    }
}

void Hpet::fire(unsigned n, u64 now) {
    Timer& t = timers_[n];
    const u64 w = width_mask(t);
    const u64 match_tick = clock_.ticks_at(t.next);
    if (t.config & kLevel) {
        isr_ |= 1u << n;
        update_lines();
    } else if (isa_ && ioapic_) {  // edge: a pulse
        t.line_route = route(n);
        set_line(t, true);
        set_line(t, false);
    }
    if ((t.config & kPeriodic) && (t.period & w)) {
        // 2.3.9.2.2: the comparator moves on by the period (past the counter if
        // the machine is late, so missed periods are not replayed one by one).
        const u64 cur = counter(now) & w;
        t.cmp = (t.cmp + t.period) & w;
        if (!(t.config & kMode32)) {
            while (t.cmp <= cur) t.cmp += t.period;
        }
        schedule(t, now);
    } else if (t.config & kMode32) {
        t.next = clock_.cycle_of_tick(match_tick + (1ull << 32));  // the low 32 bits match again after a wrap
    } else {
        t.next = kNever;
    }
}

u64 Hpet::next_event() const {
    u64 t = kNever;
    for (const Timer& x : timers_) t = std::min(t, x.next);
    return t;
}

void Hpet::advance(u64 now) {
    for (unsigned n = 0; n < kTimers; ++n)
        while (timers_[n].next <= now) fire(n, now);
}

u64 Hpet::read_reg(u64 reg, u64 now) const {
    switch (reg) {
    case CAP: return u64(kPeriodFs) << 32 | kCapabilities;
    case CONFIG: return config_;
    case STATUS: return isr_;
    case COUNTER: return counter(now);
    default: break;
    }
    if (reg >= TIMER0 && reg < TIMER0 + kTimers * TIMER_STRIDE) {
        const Timer& t = timers_[(reg - TIMER0) / TIMER_STRIDE];
        switch ((reg - TIMER0) % TIMER_STRIDE) {
        case 0x00: return t.config;
        case 0x08: return t.cmp;
        case 0x10: return t.fsb;
        default: return 0;
        }
    }
    return 0;
}

void Hpet::write_reg(u64 reg, u64 value, u64 mask, u64 now) {
    auto merge = [&](u64 old) { return (old & ~mask) | (value & mask); };
    switch (reg) {
    case CONFIG: {
        u64 v = merge(config_) & 3;
        bool was_enabled = enabled(), was_legacy = legacy_replacement();
        if (was_enabled && !(v & 1)) counter_ = counter(now);  // halt: the counter keeps its value
        if (!was_enabled && (v & 1)) enable_tick_ = clock_.ticks_at(now);
        config_ = v;
        for (Timer& t : timers_) schedule(t, now);
        update_lines();
        if (was_legacy != legacy_replacement() && legacy_changed_) legacy_changed_(legacy_replacement());
        return;
    }
    case STATUS:
        isr_ &= ~u32(value & mask);  // write 1 to clear
        update_lines();
        return;
    case COUNTER:
        if (!enabled()) counter_ = merge(counter_);
        return;
    default: break;
    }
    if (reg < TIMER0 || reg >= TIMER0 + kTimers * TIMER_STRIDE) return;
    Timer& t = timers_[(reg - TIMER0) / TIMER_STRIDE];
    switch ((reg - TIMER0) % TIMER_STRIDE) {
    case 0x00: {
        u64 v = (t.config & ~kConfigWritable) | (merge(t.config) & kConfigWritable);
        if ((v & kMode32) && !(t.config & kMode32)) t.cmp &= 0xFFFFFFFF, t.period &= 0xFFFFFFFF;
        t.config = v;
        break;
    }
    case 0x08:
        // A periodic timer takes a new comparator only with Tn_VAL_SET_CNF;
        // every write sets the period (QEMU, and what Linux relies on).
        if (!(t.config & kPeriodic) || (t.config & kValSet)) t.cmp = merge(t.cmp);
        t.period = merge(t.period);
        t.config &= ~kValSet;
        break;
    case 0x10: t.fsb = merge(t.fsb); break;
    default: return;
    }
    schedule(t, now);
    update_lines();
}

u64 Hpet::mmio_read(u64 offset, unsigned size, u64 now) {
    u64 v = read_reg(offset & ~7ull, now) >> (8 * (offset & 7));
    return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

void Hpet::mmio_write(u64 offset, unsigned size, u64 value, u64 now) {
    unsigned shift = 8 * unsigned(offset & 7);
    u64 mask = (size >= 8 ? ~0ull : (1ull << (8 * size)) - 1) << shift;
    write_reg(offset & ~7ull, value << shift, mask, now);
}

}  // namespace sy::dev
