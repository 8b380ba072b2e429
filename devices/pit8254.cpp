// 8254 PIT; see pit8254.h for the datasheet sections, the clock conversion and
// the deviations. Every channel is a function of the PIT tick: the counter value
// and OUT at tick t are computed from the tick on which the count was loaded, so
// reads need no per-tick work and the machine only has to wake the PIT at
// channel 0's OUT transitions.
#include "pit8254.h"

namespace sy::dev {

namespace {
bool periodic(u8 mode) { return mode == 2 || mode == 3; }

// Counter value k ticks after a mode 2/3 load of n (datasheet, Mode 2 and Mode 3).
u32 periodic_count(u8 mode, u32 n, u64 k) {
    u32 r = u32(k % n);
    if (mode == 2) return n - r;  // n, n-1, ..., 1, reload
    // Mode 3 decrements by two; an odd count loads n-1 and spends one extra
    // clock in the high half.
    u32 high = (n + 1) / 2;
    if (n % 2 == 0) return n - 2 * (r % (n / 2));
    return r < high ? n - 1 - 2 * r : n - 1 - 2 * (r - high);
}

bool periodic_out(u8 mode, u32 n, u64 k) {
    u32 r = u32(k % n);
    if (mode == 2) return r != n - 1;  // low for the one clock at count 1
    return r < (n + 1) / 2;            // mode 3: high half first
}

// First tick after `after` (>= base) at which a mode 2/3 OUT changes.
u64 periodic_next(u8 mode, u32 n, u64 base, u64 after) {
    u64 r = (after - base) % n;
    if (mode == 2) return r == n - 1 ? after + 1 : after + (n - 1 - r);
    u32 high = (n + 1) / 2;
    if (n / 2 == 0) return kNever;  // mode 3, count 1: never low
    return r < high ? after + (high - r) : after + (n - r);
}
}  // namespace

u32 Pit8254::Channel::count_at(u64 t) const {
    if (!running) return frozen;
    if (t < load_tick) return has_prev && t >= prev_load ? periodic_count(mode, prev_n, t - prev_load) : frozen;
    u64 k = t - load_tick;
    if (periodic(mode)) return periodic_count(mode, period(), k);
    return u32((u64(start) - k) & 0xFFFF);  // modes 0/1/4/5 wrap through 0 after terminal count
}

bool Pit8254::Channel::out_at(u64 t) const {
    if (mode == 0) {
        if (!programmed || !running || t < load_tick || tc_before) return programmed && tc_before;
        return t - load_tick >= start;  // terminal count: counter reaches 0
    }
    if (!periodic(mode) || !running) return true;
    if (t < load_tick) return has_prev && t >= prev_load ? periodic_out(mode, prev_n, t - prev_load) : true;
    return periodic_out(mode, period(), t - load_tick);
}

u64 Pit8254::Channel::next_change(u64 after) const {
    if (!running) return kNever;
    if (mode == 0) {
        if (tc_before) return kNever;
        u64 tc = load_tick + start;
        return tc > after ? tc : kNever;
    }
    if (!periodic(mode)) return kNever;
    if (after < load_tick) {
        if (has_prev && after >= prev_load) {
            u64 c = periodic_next(mode, prev_n, prev_load, after);
            if (c < load_tick) return c;
            if (out_at(load_tick) != out_at(load_tick - 1)) return load_tick;
        }
        return periodic_next(mode, period(), load_tick, load_tick);
    }
    return periodic_next(mode, period(), load_tick, after);
}

// Power-on state as QEMU's pit_reset(): every channel in mode 3 with count
// 65536 (the 18.2 Hz a BIOS would leave), channel 2 with its gate low.
Pit8254::Pit8254(u64 cpu_hz, IrqLine irq0) : ratio_{cpu_hz, kInputHz}, irq0_(irq0) {
    for (unsigned i = 0; i < 3; ++i) {
        Channel& c = ch_[i];
        c.mode = 3;
        c.programmed = true;
        c.gate = i != 2;
        c.running = c.gate;
    }
    out0_reported_ = ch_[0].out_at(0);
    irq0_.set(out0_reported_);
}

void Pit8254::report_out0(bool level) {
    if (level != out0_reported_) {
        out0_reported_ = level;
        irq0_.set(level);
    }
}

u64 Pit8254::next_event() const {
    u64 c = ch_[0].next_change(processed_);
    return c == kNever ? kNever : ratio_.cycle_of_tick(c);
}

void Pit8254::advance(u64 now) {
    u64 t = ratio_.ticks_at(now);
    const Channel& c0 = ch_[0];
    for (u64 c; (c = c0.next_change(processed_)) <= t;) {
        report_out0(c0.out_at(c));
        processed_ = c;
        // A machine that stayed away for many periods: skip whole periods, keeping
        // the phase, so the catch-up costs a few edges instead of one per period.
        u64 p = c0.period();
        if (periodic(c0.mode) && c >= c0.load_tick && t - c > 4 * p) processed_ = c + ((t - c) / p - 2) * p;
    }
    if (t > processed_) processed_ = t;
}

void Pit8254::write_control(u8 v, u64 t) {
    unsigned sc = v >> 6;
    if (sc == 3) {
        // Read-back: bit 5 = !COUNT, bit 4 = !STATUS, bits 3:1 select counters 2..0.
        for (unsigned i = 0; i < 3; ++i) {
            if (!(v & (2u << i))) continue;
            Channel& c = ch_[i];
            if (!(v & 0x20) && !c.count_latched) {
                c.latch = u16(c.count_at(t)), c.count_latched = true, c.latch_msb = false;
            }
            if (!(v & 0x10) && !c.status_latched) {
                bool null_count = !c.programmed || t < c.load_tick;
                c.status = u8((c.out_at(t) << 7) | (null_count << 6) | (c.rw << 4) | (c.mode << 1) | c.bcd);
                c.status_latched = true;
            }
        }
        return;
    }
    Channel& c = ch_[sc];
    unsigned rw = (v >> 4) & 3;
    if (rw == 0) {
        // Counter latch command; a second latch before the first is read is ignored.
        if (!c.count_latched) c.latch = u16(c.count_at(t)), c.count_latched = true, c.latch_msb = false;
        return;
    }
    // New mode: the counter stops until a count is written; OUT goes to its
    // initial level (low in mode 0, high otherwise).
    c.frozen = c.count_at(t);
    c.rw = u8(rw);
    c.mode = u8((v >> 1) & 7);
    if (c.mode > 5) c.mode -= 4;  // 110 and 111 are modes 2 and 3
    c.bcd = v & 1;
    c.programmed = c.running = c.has_prev = c.tc_before = false;
    c.write_msb = c.read_msb = c.count_latched = c.status_latched = false;
}

void Pit8254::write_count(Channel& c, u8 v, u64 t) {
    u32 value;
    if (c.rw == 1) {
        value = v;
    } else if (c.rw == 2) {
        value = u32(v) << 8;
    } else if (!c.write_msb) {
        c.lsb = v;
        c.write_msb = true;
        if (c.mode == 0 && c.programmed) {
            // Mode 0: writing the first byte stops counting and sets OUT low.
            c.frozen = c.count_at(t);
            c.running = false;
            c.tc_before = false;
        }
        return;
    } else {
        value = c.lsb | (u32(v) << 8);
        c.write_msb = false;
    }
    u32 n = value ? value : 0x10000;
    if (c.has_prev && t < c.load_tick && c.running) {
        c.n = n;  // a reload is already pending at the period end: it takes this count instead
        return;
    }
    bool was_counting = c.programmed && c.running && periodic(c.mode) && t + 1 > c.load_tick;
    u32 old_period = c.period();
    c.n = n;
    if (was_counting) {
        // Modes 2/3: the new count is loaded at the end of the current period.
        u64 done = (t + 1 - c.load_tick + old_period - 1) / old_period;
        c.prev_n = old_period;
        c.prev_load = c.load_tick;
        c.has_prev = true;
        c.load_tick += done * old_period;
        return;
    }
    c.programmed = true;
    c.start = n;
    c.frozen = n & 0xFFFF;
    c.tc_before = false;
    c.has_prev = false;
    c.load_tick = t + 1;
    c.running = c.gate;
}

void Pit8254::set_gate2(bool gate, u64 t) {
    Channel& c = ch_[2];
    if (gate == c.gate) return;
    c.gate = gate;
    if (!c.programmed || (c.rw == 3 && c.write_msb)) return;
    if (!gate) {
        c.frozen = c.count_at(t);
        c.tc_before = c.mode == 0 && c.out_at(t);
        c.running = false;
        return;
    }
    // Gate rising: mode 0 resumes from where it stopped; modes 2/3 reload the
    // initial count. Either way on the next clock.
    if (c.mode == 0) {
        c.start = c.frozen;
    } else {
        c.start = c.n;
        c.has_prev = false;
    }
    c.load_tick = t + 1;
    c.running = true;
}

u8 Pit8254::read_counter(Channel& c, u64 t) {
    if (c.status_latched) {
        c.status_latched = false;
        return c.status;
    }
    if (c.count_latched) {
        if (c.rw == 3 && !c.latch_msb) {
            c.latch_msb = true;
            return u8(c.latch);
        }
        c.count_latched = false;
        return c.rw == 2 || c.rw == 3 ? u8(c.latch >> 8) : u8(c.latch);
    }
    u16 count = u16(c.count_at(t));
    if (c.rw == 1) return u8(count);
    if (c.rw == 2) return u8(count >> 8);
    c.read_msb = !c.read_msb;
    return c.read_msb ? u8(count) : u8(count >> 8);
}

u32 Pit8254::io_read(u16 port, unsigned size, u64 now) {
    advance(now);
    u64 t = ratio_.ticks_at(now);
    if (port == kPortB) {
        bool refresh = (t / 18) & 1;
        return u8((port_b_ & 0x0F) | (refresh << 4) | (ch_[2].out_at(t) << 5));
    }
    if (port >= kBase && port < kControl) return read_counter(ch_[port - kBase], t);
    return 0xFF;  // the control register is write-only
}

void Pit8254::io_write(u16 port, unsigned size, u32 value, u64 now) {
    advance(now);
    u64 t = ratio_.ticks_at(now);
    u8 v = u8(value);
    if (port == kPortB) {
        port_b_ = v & 0x0F;
        set_gate2(v & 1, t);
        return;
    }
    if (port == kControl)
        write_control(v, t);
    else if (port >= kBase && port < kControl)
        write_count(ch_[port - kBase], v, t);
    // Channel 0's OUT may have jumped to its initial level; tell the PIC now.
    report_out0(ch_[0].out_at(t));
}

u16 Pit8254::peek_count(unsigned channel, u64 now) const { return u16(ch_[channel].count_at(ratio_.ticks_at(now))); }

bool Pit8254::peek_out(unsigned channel, u64 now) const { return ch_[channel].out_at(ratio_.ticks_at(now)); }

}  // namespace sy::dev
