// MC146818A RTC and PC CMOS RAM; see cmos_rtc.h for the sources and deviations.
#include "cmos_rtc.h"

#include <algorithm>

namespace sy::dev {

namespace {
enum : unsigned {
    kSeconds = 0x00, kSecondsAlarm = 0x01, kMinutes = 0x02, kMinutesAlarm = 0x03, kHours = 0x04,
    kHoursAlarm = 0x05, kWeekday = 0x06, kDay = 0x07, kMonth = 0x08, kYear = 0x09,
    kRegA = 0x0A, kRegB = 0x0B, kRegC = 0x0C, kRegD = 0x0D, kCentury = 0x32,
};
constexpr u8 kBSet = 0x80, kBPie = 0x40, kBAie = 0x20, kBUie = 0x10, kBBinary = 0x04, kB24h = 0x02;
constexpr u8 kCIrqf = 0x80, kCPf = 0x40, kCAf = 0x20, kCUf = 0x10;
constexpr u64 kKiB = 1024, kMiB = 1024 * kKiB;
constexpr i64 kSecondsPerDay = 86400;

i64 floor_div(i64 a, i64 b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date, and back (the usual
// era-of-400-years arithmetic: 146097 days per era, March-based years).
i64 days_from_civil(i64 y, int m, int d) {
    y -= m <= 2;
    i64 era = floor_div(y, 400);
    i64 yoe = y - era * 400;
    i64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    i64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
}  // namespace

CmosRtc::Fields CmosRtc::to_fields(i64 t) {
    i64 days = floor_div(t, kSecondsPerDay);
    i64 secs = t - days * kSecondsPerDay;
    Fields f{};
    f.hour = int(secs / 3600), f.minute = int(secs / 60 % 60), f.second = int(secs % 60);
    f.weekday = int(((days + 4) % 7 + 7) % 7) + 1;  // 1970-01-01 was a Thursday; 1 = Sunday
    i64 z = days + 719468;
    i64 era = floor_div(z, 146097);
    i64 doe = z - era * 146097;
    i64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    i64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    i64 mp = (5 * doy + 2) / 153;
    f.day = int(doy - (153 * mp + 2) / 5 + 1);
    f.month = int(mp < 10 ? mp + 3 : mp - 9);
    f.year = yoe + era * 400 + (f.month <= 2);
    return f;
}

i64 CmosRtc::from_fields(const Fields& f) {
    return days_from_civil(f.year, f.month, f.day) * kSecondsPerDay + f.hour * 3600 + f.minute * 60 + f.second;
}

CmosRtc::CmosRtc(u64 cpu_hz, u64 below_4g, u64 above_4g, IrqLine irq8, i64 start)
    : cpu_hz_(cpu_hz), irq_(irq8), base_time_(start) {
    ram_[kRegA] = 0x26;  // DV = 010 (32.768 kHz time base running), RS = 0110 (1024 Hz)
    ram_[kRegB] = kB24h; // BCD, 24-hour, no interrupts
    ram_[kRegD] = 0x80;  // VRT: the battery is fine
    auto put16 = [&](unsigned at, u64 v) {
        ram_[at] = u8(v), ram_[at + 1] = u8(v >> 8);
    };
    put16(0x15, std::min<u64>(below_4g / kKiB, 640));
    u64 ext = below_4g > kMiB ? std::min<u64>((below_4g - kMiB) / kKiB, 65535) : 0;
    put16(0x17, ext);
    put16(0x30, ext);
    put16(0x34, below_4g > 16 * kMiB ? std::min<u64>((below_4g - 16 * kMiB) / (64 * kKiB), 65535) : 0);
    u64 high = above_4g / (64 * kKiB);
    ram_[0x5B] = u8(high), ram_[0x5C] = u8(high >> 8), ram_[0x5D] = u8(high >> 16);
}

i64 CmosRtc::time_at(u64 now) const {
    if (ram_[kRegB] & kBSet) return frozen_time_;
    return base_time_ + i64((now - base_cycle_) / cpu_hz_);
}

u8 CmosRtc::encode(int v) const {
    if (ram_[kRegB] & kBBinary) return u8(v);
    return u8((v / 10) << 4 | (v % 10));
}

int CmosRtc::decode(u8 v) const {
    if (ram_[kRegB] & kBBinary) return v;
    return (v >> 4) * 10 + (v & 0xF);
}

// Table 5: RS = 1, 2 give 256 and 128 Hz; RS = 3..15 give 32768 >> (RS - 1) Hz.
u64 CmosRtc::periodic_ticks() const {
    unsigned rs = ram_[kRegA] & 0xF;
    if (rs == 0) return 0;
    return rs <= 2 ? 1u << (rs + 6) : 1u << (rs - 1);
}

bool CmosRtc::alarm_matches(i64 t) const {
    Fields f = to_fields(t);
    bool h24 = ram_[kRegB] & kB24h;
    u8 hour = h24 ? encode(f.hour) : u8(encode(f.hour % 12 ? f.hour % 12 : 12) | (f.hour >= 12 ? 0x80 : 0));
    const u8 now[3] = {encode(f.second), encode(f.minute), hour};
    const unsigned alarm[3] = {kSecondsAlarm, kMinutesAlarm, kHoursAlarm};
    for (int i = 0; i < 3; ++i) {
        u8 a = ram_[alarm[i]];
        if ((a & 0xC0) == 0xC0) continue;  // don't care
        if (a != now[i]) return false;
    }
    return true;
}

void CmosRtc::catch_up(u64 now) {
    if (now <= last_) return;
    if (u64 p = periodic_ticks()) {
        ClockRatio r{cpu_hz_, 32768};
        if (r.ticks_at(now) / p > r.ticks_at(last_) / p) ram_[kRegC] |= kCPf;
    }
    if (!(ram_[kRegB] & kBSet)) {
        i64 s_last = i64((last_ - base_cycle_) / cpu_hz_);
        i64 s_now = i64((now - base_cycle_) / cpu_hz_);
        if (s_now > s_last) {
            ram_[kRegC] |= kCUf;
            // One day of updates covers every alarm pattern.
            for (i64 s = std::max(s_last + 1, s_now - kSecondsPerDay); s <= s_now; ++s)
                if (alarm_matches(base_time_ + s)) {
                    ram_[kRegC] |= kCAf;
                    break;
                }
        }
    }
    last_ = now;
    update_irq();
}

void CmosRtc::update_irq() {
    u8 c = ram_[kRegC], b = ram_[kRegB];
    bool irqf = ((c & kCPf) && (b & kBPie)) || ((c & kCAf) && (b & kBAie)) || ((c & kCUf) && (b & kBUie));
    if (irqf != irq_level_) {
        irq_level_ = irqf;
        irq_.set(irqf);
    }
}

u64 CmosRtc::next_event() const {
    if (irq_level_) return kNever;  // nothing can change until register C is read
    u64 next = kNever;
    u8 b = ram_[kRegB];
    if ((b & kBPie) && periodic_ticks()) {
        ClockRatio r{cpu_hz_, 32768};
        u64 p = periodic_ticks();
        next = r.cycle_of_tick((r.ticks_at(last_) / p + 1) * p);
    }
    if ((b & (kBUie | kBAie)) && !(b & kBSet)) {
        u64 second = base_cycle_ + ((last_ - base_cycle_) / cpu_hz_ + 1) * cpu_hz_;
        next = std::min(next, second);
    }
    return next;
}

void CmosRtc::advance(u64 now) { catch_up(now); }

u8 CmosRtc::read_register(unsigned i, u64 now) {
    Fields f = to_fields(time_at(now));
    switch (i) {
    case kSeconds: return encode(f.second);
    case kMinutes: return encode(f.minute);
    case kHours:
        if (ram_[kRegB] & kB24h) return encode(f.hour);
        return u8(encode(f.hour % 12 ? f.hour % 12 : 12) | (f.hour >= 12 ? 0x80 : 0));
    case kWeekday: return encode(f.weekday);
    case kDay: return encode(f.day);
    case kMonth: return encode(f.month);
    case kYear: return encode(int(f.year % 100));
    case kCentury: return encode(int(f.year / 100));
    case kRegA: {
        // UIP: the last 244 us of each second, while updates run.
        u64 frac = (now - base_cycle_) % cpu_hz_;
        bool uip = !(ram_[kRegB] & kBSet) && frac >= cpu_hz_ - cpu_hz_ * 244 / 1000000;
        return u8((ram_[kRegA] & 0x7F) | (uip ? 0x80 : 0));
    }
    case kRegC: {
        u8 v = ram_[kRegC] | (irq_level_ ? kCIrqf : 0);
        ram_[kRegC] = 0;  // reading C clears every flag and releases IRQ 8
        update_irq();
        return v;
    }
    case kRegD: return 0x80;
    default: return ram_[i];
    }
}

void CmosRtc::write_register(unsigned i, u8 v, u64 now) {
    Fields f = to_fields(time_at(now));
    switch (i) {
    case kSeconds: f.second = decode(v); break;
    case kMinutes: f.minute = decode(v); break;
    case kHours:
        if (ram_[kRegB] & kB24h) {
            f.hour = decode(v);
        } else {
            int h = decode(v & 0x7F) % 12;
            f.hour = (v & 0x80) ? h + 12 : h;
        }
        break;
    case kDay: f.day = decode(v); break;
    case kMonth: f.month = decode(v); break;
    case kYear: f.year = f.year / 100 * 100 + decode(v); break;
    case kCentury: f.year = decode(v) * 100 + f.year % 100; break;
    case kWeekday: return;  // derived from the date (Deviations)
    case kRegA: ram_[kRegA] = v & 0x7F; return;
    case kRegB: {
        bool was_set = ram_[kRegB] & kBSet;
        if (v & kBSet) v &= ~kBUie;  // SET clears UIE
        if ((v & kBSet) && !was_set) frozen_time_ = time_at(now);
        if (!(v & kBSet) && was_set) base_time_ = frozen_time_, base_cycle_ = now, last_ = now;
        ram_[kRegB] = v;
        update_irq();
        return;
    }
    case kRegC:
    case kRegD: return;  // read-only
    default: ram_[i] = v; return;
    }
    i64 t = from_fields(f);
    if (ram_[kRegB] & kBSet) {
        frozen_time_ = t;
    } else {
        base_cycle_ = now - (now - base_cycle_) % cpu_hz_;  // keep the phase within the second
        base_time_ = t;
    }
}

u32 CmosRtc::io_read(u16 port, unsigned size, u64 now) {
    catch_up(now);
    if (port != kDataPort) return 0xFF;  // the index register is write-only
    return read_register(index_, now);
}

void CmosRtc::io_write(u16 port, unsigned size, u32 value, u64 now) {
    catch_up(now);
    if (port == kIndexPort) {
        index_ = value & 0x7F;
        nmi_disabled_ = value & 0x80;
    } else {
        write_register(index_, u8(value), now);
    }
}

}  // namespace sy::dev
