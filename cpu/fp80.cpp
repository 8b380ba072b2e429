// The x87 arithmetic core (see fp80.h): exact integer arithmetic on the
// significands, then one rounding step that applies the precision and rounding
// controls, detects tininess, denormalises, and produces the masked or
// bias-adjusted response to overflow and underflow (SDM Vol. 1, 4.8.4, 4.9.1.4,
// 4.9.1.5, 8.5.4, 8.5.5).
#include "fp80.h"

#include <bit>
#include <utility>

namespace sy::fp80 {
namespace {

constexpr int kBias = 16383;
constexpr int kMaxExp = 0x7FFF;
constexpr u64 kInt = 1ull << 63;    // the explicit integer bit
constexpr int kBiasAdjust = 24576;  // 3 * 2^13 (SDM Vol. 1, 8.5.4)

bool sign(const F80& a) { return a.se >> 15; }
int biased(const F80& a) { return a.se & 0x7FFF; }
F80 make(bool neg, int exp, u64 sig) { return {sig, static_cast<u16>((neg ? 0x8000 : 0) | exp)}; }
F80 zero(bool neg) { return make(neg, 0, 0); }
F80 inf(bool neg) { return make(neg, kMaxExp, kInt); }
F80 quiet(F80 a) {
    a.sig |= kQuietBit;
    return a;
}

// A finite nonzero value with its significand normalised: value = sig * 2^(exp
// - kBias - 63) with bit 63 of sig set. Denormals get an exponent below 1;
// pseudo-denormals (exponent field 0, integer bit set) are worth what the
// smallest normal exponent gives them (SDM Vol. 1, 8.2.2).
struct Num {
    bool neg;
    int exp;
    u64 sig;
};
Num unpack(const F80& a) {
    Num n{sign(a), biased(a) ? biased(a) : 1, a.sig};
    int lz = std::countl_zero(n.sig);
    n.sig <<= lz;
    n.exp -= lz;
    return n;
}

// An intermediate result: value = v * 2^(exp - kBias - 127), bit 127 of v set.
// Bit 0 is sticky: it is set when nonzero bits were shifted out below it. Every
// rounding position is at bit 64 or above, so this keeps rounding exact.
struct Wide {
    bool neg;
    int exp;
    u128 v;
};

int clz128(u128 v) {
    u64 hi = static_cast<u64>(v >> 64);
    return hi ? std::countl_zero(hi) : 64 + std::countl_zero(static_cast<u64>(v));
}

// `mag` (nonzero) is a magnitude whose bit `point` is worth 2^(exp - kBias).
Wide normalize(bool neg, int exp, u128 mag, int point) {
    int lz = clz128(mag);
    return {neg, exp + (127 - lz) - point, mag << lz};
}
Wide wide(const Num& n) { return {n.neg, n.exp, static_cast<u128>(n.sig) << 64}; }

// n / d and n % d when the quotient fits in 64 bits (n >> 64 < d): one DIV.
u64 div_128_64(u128 n, u64 d, u64& rem) {
#if defined(__x86_64__)
    u64 q, r;
    asm("divq %4" : "=a"(q), "=d"(r) : "a"(static_cast<u64>(n)), "d"(static_cast<u64>(n >> 64)), "rm"(d));
    rem = r;
    return q;
#else
    rem = static_cast<u64>(n % d);
    return static_cast<u64>(n / d);
#endif
}

u128 shift_right_sticky(u128 v, int n) {
    if (n <= 0) return v;
    if (n >= 128) return v != 0;
    return (v >> n) | ((v & ((u128(1) << n) - 1)) != 0);
}

// A destination: significand bits and exponent range in 80-bit biased terms.
// `reg`: an x87 register, which takes the bias-adjusted result when OE or UE is
// unmasked (memory destinations are then left alone by ops_x87.cpp).
struct Format {
    int prec, emin, emax;
    bool reg;
};
Format reg_format(int prec) { return {prec, 1, kMaxExp - 1, true}; }
constexpr Format kSingle{24, kBias - 126, kBias + 127, false};
constexpr Format kDouble{53, kBias - 1022, kBias + 1023, false};

// A rounded finite value (sig's bit 63 clear: a denormal of the format, exp is
// then emin) or an infinity.
struct Rounded {
    bool neg;
    int exp;
    u64 sig;
    bool inf;
};

Rounded round(const Wide& w, const Format& f, const Ctl& c, Status& st) {
    const int shift = 128 - f.prec;
    const u128 unit = u128(1) << shift, low = unit - 1, half = unit >> 1;
    const bool neg = w.neg;
    auto round_up = [&](u128 v) {
        u128 rest = v & low;
        if (!rest) return false;
        switch (c.rc) {
            case 0: return rest > half || (rest == half && (v & unit) != 0);
            case 1: return neg;
            case 2: return !neg;
            default: return false;
        }
    };
    int exp = w.exp;
    u128 v = w.v;
    // Tiny: nonzero and below the smallest normal once rounded to the precision
    // with an unbounded exponent (SDM Vol. 1, 8.5.5: tininess after rounding).
    const bool tiny = exp < f.emin && !(exp == f.emin - 1 && (v | low) == ~u128(0) && round_up(v));
    if (tiny && (c.masks & ex::UE)) {
        // Masked underflow: denormalise, then round; UE only if that loses bits.
        v = shift_right_sticky(v, f.emin - exp);
        const bool inexact = (v & low) != 0, up = round_up(v);
        v = (v & ~low) + (up ? unit : 0);  // cannot carry out: bit 127 is clear
        if (inexact) st.flags |= ex::UE | ex::PE;
        st.c1 = up;
        return {neg, f.emin, static_cast<u64>(v >> 64), false};
    }
    const bool inexact = (v & low) != 0, up = round_up(v);
    v &= ~low;
    if (up) {
        v += unit;
        if (v == 0) {  // all ones rounded up to the next power of two
            v = u128(1) << 127;
            ++exp;
        }
    }
    st.c1 = up;
    if (inexact && (f.reg || !tiny)) st.flags |= ex::PE;
    if (tiny) {
        // Unmasked underflow: every tiny result signals, the register gets the
        // exponent biased up by 24576. (A memory destination is not written and
        // PE is not reported: measured.)
        st.flags |= ex::UE;
        if (f.reg) {
            exp += kBiasAdjust;
            if (exp < f.emin) {  // too tiny even biased (FSCALE): zero, inexact
                st.flags |= ex::PE;
                return {neg, f.emin, 0, false};
            }
        }
    } else if (exp > f.emax) {
        if (c.masks & ex::OE) {
            // Masked overflow: infinity or the largest finite value, by rounding
            // direction (SDM Vol. 1, Table 4-10).
            st.flags |= ex::OE | ex::PE;
            const bool to_inf = c.rc == 0 || (c.rc == 1 && neg) || (c.rc == 2 && !neg);
            st.c1 = to_inf;
            if (to_inf) return {neg, 0, 0, true};
            return {neg, f.emax, ~0ull << (64 - f.prec), false};
        }
        st.flags |= ex::OE;
        if (!f.reg) st.flags &= static_cast<u8>(~ex::PE);  // memory: not written, no PE (as for UE)
        if (f.reg) {
            exp -= kBiasAdjust;
            if (exp > f.emax) {  // massive overflow (FSCALE): infinity, inexact, rounded up
                st.flags |= ex::PE;
                st.c1 = true;
                return {neg, 0, 0, true};
            }
        }
    }
    return {neg, exp, static_cast<u64>(v >> 64), false};
}

F80 pack_reg(const Rounded& r) {
    if (r.inf) return inf(r.neg);
    if (!(r.sig >> 63)) return make(r.neg, 0, r.sig);  // denormal or zero
    return make(r.neg, r.exp, r.sig);
}

// Rounds to an x87 register at the instruction's precision.
F80 finish(const Wide& w, const Ctl& c, Status& st) { return pack_reg(round(w, reg_format(c.prec), c, st)); }

// ---- memory formats (single and double precision) ----
struct MemFormat {
    Format f;
    int mant_bits, exp_bits, bias;
};
constexpr MemFormat kF32{kSingle, 23, 8, 127}, kF64{kDouble, 52, 11, 1023};

u64 pack_mem(const Rounded& r, const MemFormat& m) {
    const u64 s = u64(r.neg) << (m.mant_bits + m.exp_bits);
    const u64 exp_all = (u64(1) << m.exp_bits) - 1;
    if (r.inf) return s | (exp_all << m.mant_bits);
    if (!r.sig) return s;
    const u64 mant = (r.sig >> (63 - m.mant_bits)) & ((u64(1) << m.mant_bits) - 1);
    const u64 e = (r.sig >> 63) ? u64(r.exp - kBias + m.bias) : 0;
    return s | (e << m.mant_bits) | mant;
}

// The exact 80-bit value; an SNaN stays signalling (its payload is nonzero).
F80 widen_mem(u64 bits, const MemFormat& m, bool& denormal) {
    const bool neg = (bits >> (m.mant_bits + m.exp_bits)) & 1;
    const u64 e = (bits >> m.mant_bits) & ((u64(1) << m.exp_bits) - 1);
    const u64 mant = bits & ((u64(1) << m.mant_bits) - 1);
    const u64 sig = mant << (63 - m.mant_bits);
    denormal = false;
    if (e == (u64(1) << m.exp_bits) - 1) return make(neg, kMaxExp, kInt | sig);
    if (e == 0) {
        if (!mant) return zero(neg);
        denormal = true;  // normalised on the way in (SDM Vol. 1, 8.5.2)
        int lz = std::countl_zero(sig);
        return make(neg, kBias - m.bias + 1 - lz, sig << lz);
    }
    return make(neg, static_cast<int>(e) - m.bias + kBias, kInt | sig);
}
F80 from_mem(u64 bits, const MemFormat& m, Status& st) {
    bool denormal;
    F80 r = widen_mem(bits, m, denormal);
    if (denormal) st.flags |= ex::DE;
    if (classify(r) == Kind::SNaN) {
        st.flags |= ex::IE;  // an SNaN is converted to a QNaN
        r = quiet(r);
    }
    return r;
}

u64 to_mem(const F80& a, const MemFormat& m, const Ctl& c, Status& st) {
    const u64 s = u64(sign(a)) << (m.mant_bits + m.exp_bits);
    const u64 exp_all = ((u64(1) << m.exp_bits) - 1) << m.mant_bits;
    switch (classify(a)) {
        case Kind::Unsupported:
            st.flags |= ex::IE;
            return (u64(1) << (m.mant_bits + m.exp_bits)) | exp_all | (u64(1) << (m.mant_bits - 1));
        case Kind::SNaN: st.flags |= ex::IE; [[fallthrough]];
        case Kind::QNaN: return s | exp_all | ((quiet(a).sig >> (63 - m.mant_bits)) & ((u64(1) << m.mant_bits) - 1));
        case Kind::Inf: return s | exp_all;
        case Kind::Zero: return s;
        default: return pack_mem(round(wide(unpack(a)), m.f, c, st), m);  // no DE for a denormal source (measured)
    }
}

// ---- NaN operands (SDM Vol. 1, 4.8.3.5, Table 4-7, the x87 column) ----
F80 pick_nan(const F80& a, Kind ka, const F80& b, Kind kb) {
    if (!is_nan(ka)) return quiet(b);
    if (!is_nan(kb)) return quiet(a);
    if (ka != kb) return ka == Kind::QNaN ? a : b;  // a QNaN beats an SNaN
    if (a.sig != b.sig) return quiet(a.sig > b.sig ? a : b);
    return quiet(sign(a) ? b : a);
}

// The first checks of every two-operand arithmetic instruction: an unsupported
// operand is #IA with the indefinite; an SNaN is #IA; a NaN is the result
// (and stops the lower-priority checks, SDM Vol. 1, 4.9.2).
bool special_operands(const F80& a, Kind ka, const F80& b, Kind kb, Status& st, F80& r) {
    if (ka == Kind::Unsupported || kb == Kind::Unsupported) {
        st.flags |= ex::IE;
        r = kIndefinite;
        return true;
    }
    if (is_nan(ka) || is_nan(kb)) {
        if (ka == Kind::SNaN || kb == Kind::SNaN) st.flags |= ex::IE;
        r = pick_nan(a, ka, b, kb);
        return true;
    }
    return false;
}
F80 invalid(Status& st) {
    st.flags |= ex::IE;
    return kIndefinite;
}

// The operands' classes, with the memory denormals of `from_denormal` counted as denormals.
struct Kinds {
    Kind a, b;
    bool denormal() const { return a == Kind::Denormal || b == Kind::Denormal; }
};
Kinds kinds(const F80& a, const F80& b, u8 from_denormal) {
    Kinds k{classify(a), classify(b)};
    if (from_denormal & kDenormalA) k.a = Kind::Denormal;
    if (from_denormal & kDenormalB) k.b = Kind::Denormal;
    return k;
}

F80 add_signed(const F80& a, const F80& b, bool negate_b, const Ctl& c, Status& st, u8 from_denormal) {
    const Kinds k = kinds(a, b, from_denormal);
    const Kind ka = classify(a), kb = classify(b);
    F80 r;
    if (special_operands(a, ka, b, kb, st, r)) return r;
    const bool na = sign(a), nb = sign(b) ^ negate_b;
    if (k.denormal()) st.flags |= ex::DE;
    if (ka == Kind::Inf || kb == Kind::Inf) {
        if (ka == Kind::Inf && kb == Kind::Inf && na != nb) return invalid(st);
        return inf(ka == Kind::Inf ? na : nb);
    }
    // Exact zero sums are +0, or -0 when rounding down (IEEE 754-2008, 6.3).
    if (ka == Kind::Zero && kb == Kind::Zero) return zero(na == nb ? na : c.rc == 1);
    if (ka == Kind::Zero) {
        Num y = unpack(b);
        y.neg = nb;
        return finish(wide(y), c, st);
    }
    if (kb == Kind::Zero) return finish(wide(unpack(a)), c, st);
    Num x = unpack(a), y = unpack(b);
    y.neg = nb;
    if (x.exp < y.exp) std::swap(x, y);
    // One bit of headroom for the carry, 63 guard bits below the significands.
    const u128 A = u128(x.sig) << 63, B = shift_right_sticky(u128(y.sig) << 63, x.exp - y.exp);
    u128 m;
    bool neg = x.neg;
    if (x.neg == y.neg) {
        m = A + B;
    } else if (A >= B) {
        m = A - B;
    } else {
        m = B - A;
        neg = y.neg;
    }
    if (m == 0) return zero(c.rc == 1);
    return finish(normalize(neg, x.exp, m, 126), c, st);
}

// Integer part of |a| and the rounding of the fraction by `rc` (FRNDINT, FIST,
// FBSTP). `frac`: fraction bits of the significand; the integer fits in 64 bits.
struct Integral {
    u64 mag;
    bool inexact, up;
};
Integral integer_part(const Num& n, u8 rc) {
    const int frac = kBias + 63 - n.exp;  // >= 1
    const u128 x = u128(n.sig) << 64;     // binary point at bit 64 + frac
    const int point = 64 + frac;
    const u64 ip = point >= 128 ? 0 : static_cast<u64>(x >> point);
    const bool round_bit = point - 1 < 128 && ((x >> (point - 1)) & 1);
    const u128 below = point - 1 >= 128 ? x : (x & ((u128(1) << (point - 1)) - 1));
    const bool sticky = below != 0;
    bool up = false;
    switch (rc) {
        case 0: up = round_bit && (sticky || (ip & 1)); break;
        case 1: up = n.neg && (round_bit || sticky); break;
        case 2: up = !n.neg && (round_bit || sticky); break;
        default: break;
    }
    return {ip + (up ? 1 : 0), round_bit || sticky, up};
}

// floor(sqrt(4^2 * r)) for r in [2^126, 2^128), as a 66-bit root and whether the
// square root is inexact. The 64-bit root of r starts from the host's double
// square root (an estimate only: the integer steps that follow make the result
// exact whatever it is) and one Newton step; the two bits below it come from
// the remainder: (4s + t)^2 <= 16r  <=>  8st + t^2 <= 16(r - s^2).
u128 sqrt66(u128 r, bool& inexact) {
    double estimate = __builtin_sqrt(static_cast<double>(r));
    u64 s = estimate >= 18446744073709551615.0 ? ~0ull : static_cast<u64>(estimate);
    if (s < (1ull << 63)) s = 1ull << 63;
    s = static_cast<u64>((u128(s) + r / s) >> 1);  // Newton: error below 1 from here
    while (u128(s) * s > r) --s;
    while (s != ~0ull && u128(s + 1) * (s + 1) <= r) ++s;
    const u128 rem16 = (r - u128(s) * s) << 4;  // r - s^2 <= 2s < 2^65
    unsigned t = 3;
    while (u128(8) * s * t + t * t > rem16) --t;
    inexact = rem16 != u128(8) * s * t + t * t;
    return (u128(s) << 2) | t;
}

struct Wide128Const {
    int exp;  // biased exponent of bit 127
    u128 v;
};
constexpr u128 hex128(u64 hi, u64 lo) { return (u128(hi) << 64) | lo; }

}  // namespace

Kind classify(const F80& a) {
    const int e = biased(a);
    const bool integer_bit = a.sig >> 63;
    if (e == kMaxExp) {
        if (!integer_bit) return Kind::Unsupported;  // pseudo-infinity, pseudo-NaN
        if (!(a.sig << 1)) return Kind::Inf;
        return (a.sig & kQuietBit) ? Kind::QNaN : Kind::SNaN;
    }
    if (e == 0) return a.sig ? Kind::Denormal : Kind::Zero;
    return integer_bit ? Kind::Normal : Kind::Unsupported;  // unnormal
}


F80 add(const F80& a, const F80& b, const Ctl& c, Status& st, u8 from_denormal) {
    return add_signed(a, b, false, c, st, from_denormal);
}
F80 sub(const F80& a, const F80& b, const Ctl& c, Status& st, u8 from_denormal) {
    return add_signed(a, b, true, c, st, from_denormal);
}

F80 mul(const F80& a, const F80& b, const Ctl& c, Status& st, u8 from_denormal) {
    const Kinds k = kinds(a, b, from_denormal);
    const Kind ka = classify(a), kb = classify(b);
    F80 r;
    if (special_operands(a, ka, b, kb, st, r)) return r;
    const bool neg = sign(a) ^ sign(b);
    if ((ka == Kind::Inf && kb == Kind::Zero) || (ka == Kind::Zero && kb == Kind::Inf)) return invalid(st);
    if (k.denormal()) st.flags |= ex::DE;
    if (ka == Kind::Inf || kb == Kind::Inf) return inf(neg);
    if (ka == Kind::Zero || kb == Kind::Zero) return zero(neg);
    const Num x = unpack(a), y = unpack(b);
    return finish(normalize(neg, x.exp + y.exp - kBias, u128(x.sig) * y.sig, 126), c, st);
}

F80 div(const F80& a, const F80& b, const Ctl& c, Status& st, u8 from_denormal) {
    const Kinds k = kinds(a, b, from_denormal);
    const Kind ka = classify(a), kb = classify(b);
    F80 r;
    if (special_operands(a, ka, b, kb, st, r)) return r;
    const bool neg = sign(a) ^ sign(b);
    if ((ka == Kind::Inf && kb == Kind::Inf) || (ka == Kind::Zero && kb == Kind::Zero)) return invalid(st);
    if (ka == Kind::Inf) {  // infinity / 0 is no division by zero
        if (k.denormal()) st.flags |= ex::DE;
        return inf(neg);
    }
    if (kb == Kind::Zero) {  // ZE, and no DE for a denormal dividend (measured)
        st.flags |= ex::ZE;
        return inf(neg);
    }
    if (k.denormal()) st.flags |= ex::DE;
    if (kb == Kind::Inf) return zero(neg);
    if (ka == Kind::Zero) return zero(neg);
    const Num x = unpack(a), y = unpack(b);
    // Long division: one integer bit, then 128 fraction bits and a sticky remainder.
    const u64 q1 = x.sig >= y.sig;
    const u64 r0 = x.sig - (q1 ? y.sig : 0);
    u64 r1, r2;
    const u64 q2 = div_128_64(u128(r0) << 64, y.sig, r1);
    const u64 q3 = div_128_64(u128(r1) << 64, y.sig, r2);
    const bool rest = r2 != 0;
    const u128 m = (u128(q1) << 127) | (u128(q2) << 63) | (q3 >> 1) | ((q3 & 1) | rest);
    return finish(normalize(neg, x.exp - y.exp + kBias, m, 127), c, st);
}

F80 sqrt(const F80& a, const Ctl& c, Status& st) {
    switch (classify(a)) {
        case Kind::Unsupported: return invalid(st);
        case Kind::SNaN: st.flags |= ex::IE; return quiet(a);
        case Kind::QNaN:
        case Kind::Zero: return a;  // sqrt(-0) = -0
        case Kind::Inf: return sign(a) ? invalid(st) : a;
        default: break;
    }
    if (sign(a)) return invalid(st);  // IE before DE for a negative denormal
    if (classify(a) == Kind::Denormal) st.flags |= ex::DE;
    const Num x = unpack(a);
    // value = sig * 2^t; the radicand sig * 2^sh makes t - sh even.
    const int t = x.exp - kBias - 63;
    const int sh = (t - 64) % 2 == 0 ? 64 : 63;
    bool inexact;
    const u128 root = sqrt66(u128(x.sig) << sh, inexact);  // 66 bits: in [2^65, 2^66)
    // root's bit 0 is worth 2^((t - sh) / 2 - 2); with the sticky bit below it, bit 3 is 2^((t-sh)/2).
    return finish(normalize(false, kBias + (t - sh) / 2, (root << 1) | inexact, 3), c, st);
}

F80 round_to_integer(const F80& a, const Ctl& c, Status& st) {
    switch (classify(a)) {
        case Kind::Unsupported: return invalid(st);
        case Kind::SNaN: st.flags |= ex::IE; return quiet(a);
        case Kind::QNaN:
        case Kind::Inf:
        case Kind::Zero: return a;
        case Kind::Denormal: st.flags |= ex::DE; break;
        default: break;
    }
    const Num n = unpack(a);
    if (n.exp >= kBias + 63) return a;  // no fraction bits
    const Integral i = integer_part(n, c.rc);
    if (i.inexact) st.flags |= ex::PE;
    st.c1 = i.up;
    if (!i.mag) return zero(n.neg);
    const int lz = std::countl_zero(i.mag);  // at most 2^63: exact
    return make(n.neg, kBias + 63 - lz, i.mag << lz);
}

F80 scale(const F80& a, const F80& b, const Ctl& c, Status& st) {
    const Kind ka = classify(a), kb = classify(b);
    F80 r;
    if (special_operands(a, ka, b, kb, st, r)) return r;
    if (kb == Kind::Inf) {
        // SDM Vol. 2A, FSCALE, "FSCALE Results": 0 * 2^+inf and inf * 2^-inf are invalid.
        if (sign(b)) {
            if (ka == Kind::Inf) return invalid(st);
            if (ka == Kind::Denormal) st.flags |= ex::DE;
            return zero(sign(a));
        }
        if (ka == Kind::Zero) return invalid(st);
        if (ka == Kind::Denormal) st.flags |= ex::DE;
        return inf(sign(a));
    }
    if (ka == Kind::Denormal || kb == Kind::Denormal) st.flags |= ex::DE;
    if (ka == Kind::Zero || ka == Kind::Inf) return a;
    int s = 0;
    if (kb != Kind::Zero) {
        const Num y = unpack(b);
        if (y.exp >= kBias + 20) s = 1 << 20;  // beyond any exponent, even bias-adjusted
        else if (y.exp >= kBias) s = static_cast<int>(y.sig >> (kBias + 63 - y.exp));
        if (y.neg) s = -s;
    }
    Num x = unpack(a);
    x.exp += s;
    return finish(wide(x), c, st);
}

Remainder remainder(const F80& a, const F80& b, bool nearest, const Ctl& c, Status& st) {
    const Kind ka = classify(a), kb = classify(b);
    F80 r;
    if (special_operands(a, ka, b, kb, st, r)) return {r};
    if (ka == Kind::Inf || kb == Kind::Zero) return {invalid(st)};
    if (ka == Kind::Denormal || kb == Kind::Denormal) st.flags |= ex::DE;
    // |a| below |b| (or b infinite): the remainder is a, normalised (a pseudo-denormal
    // comes back with exponent 1, measured).
    if (ka == Kind::Zero) return {a, true, true};
    // b infinite: a itself, never rounded or signalling underflow; a pseudo-denormal
    // gets its exponent 1 (measured).
    if (kb == Kind::Inf) return {biased(a) == 0 && (a.sig >> 63) ? make(sign(a), 1, a.sig) : a, true, true};
    const Num x = unpack(a), y = unpack(b);
    const int d = x.exp - y.exp;
    if (d >= 64) {
        // Partial remainder: the quotient's top bits only, N = 32 + (D mod 32)
        // (SDM Vol. 2A, FPREM: "implementation-dependent, between 32 and 63").
        const int n = 32 + d % 32;
        u64 m;
        div_128_64(u128(x.sig) << n, y.sig, m);
        if (!m) return {zero(x.neg), false, true};
        return {finish(normalize(x.neg, x.exp - n, m, 63), c, st), false, true};
    }
    if (d < 0 && !(nearest && d == -1)) return {finish(wide(unpack(a)), c, st), true, true};
    // d == -1 (FPREM1 only): |a| is compared with |b| / 2.
    const u128 num = d >= 0 ? u128(x.sig) << d : u128(x.sig);
    const u128 den = d >= 0 ? u128(y.sig) : u128(y.sig) << 1;
    u128 q, m;
    if (d >= 0) {  // the quotient fits in 64 bits: x.sig << d < 2^127, y.sig >= 2^63
        u64 r;
        q = div_128_64(num, y.sig, r);
        m = r;
    } else {
        q = num / den;
        m = num % den;
    }
    bool neg = x.neg;
    if (nearest) {
        const u128 twice = m << 1;
        if (twice > den || (twice == den && (q & 1))) {
            m = den - m;
            ++q;
            neg = !neg;
        }
    }
    const u8 qbits = static_cast<u8>(q & 7);
    if (!m) return {zero(x.neg), true, true, qbits};
    return {finish(normalize(neg, d >= 0 ? y.exp : x.exp, m, 63), c, st), true, true, qbits};
}

Extracted extract(const F80& a, Status& st) {
    switch (classify(a)) {
        case Kind::Unsupported: st.flags |= ex::IE; return {kIndefinite, kIndefinite};
        case Kind::SNaN: st.flags |= ex::IE; return {quiet(a), quiet(a)};
        case Kind::QNaN: return {a, a};
        case Kind::Zero: st.flags |= ex::ZE; return {inf(true), a};
        case Kind::Inf: return {inf(false), a};
        case Kind::Denormal: st.flags |= ex::DE; break;
        default: break;
    }
    const Num n = unpack(a);
    return {from_int(n.exp - kBias), make(n.neg, kBias, n.sig)};
}

Order compare(const F80& a, const F80& b, bool quiet_nan, Status& st, u8 from_denormal) {
    const Kinds k = kinds(a, b, from_denormal);
    const Kind ka = classify(a), kb = classify(b);
    if (ka == Kind::Unsupported || kb == Kind::Unsupported) {
        st.flags |= ex::IE;
        return Order::Unordered;
    }
    if (is_nan(ka) || is_nan(kb)) {
        if (!quiet_nan || ka == Kind::SNaN || kb == Kind::SNaN) st.flags |= ex::IE;
        return Order::Unordered;
    }
    if (k.denormal()) st.flags |= ex::DE;
    const bool za = ka == Kind::Zero, zb = kb == Kind::Zero;
    if (za && zb) return Order::Equal;
    const bool na = !za && sign(a), nb = !zb && sign(b);
    if (na != nb) return na ? Order::Less : Order::Greater;
    // Same sign: compare magnitudes; a zero is below everything.
    int mag;  // -1, 0, 1: |a| against |b|
    if (za) mag = -1;
    else if (zb) mag = 1;
    else if (ka == Kind::Inf || kb == Kind::Inf) mag = (ka == Kind::Inf) - (kb == Kind::Inf);
    else {
        const Num x = unpack(a), y = unpack(b);
        mag = x.exp != y.exp ? (x.exp > y.exp ? 1 : -1) : x.sig != y.sig ? (x.sig > y.sig ? 1 : -1) : 0;
    }
    if (mag == 0) return Order::Equal;
    return (mag > 0) != na ? Order::Greater : Order::Less;
}

F80 from_f32(u32 bits, Status& st) { return from_mem(bits, kF32, st); }
F80 from_f64(u64 bits, Status& st) { return from_mem(bits, kF64, st); }
F80 widen_f32(u32 bits, bool& denormal) { return widen_mem(bits, kF32, denormal); }
F80 widen_f64(u64 bits, bool& denormal) { return widen_mem(bits, kF64, denormal); }

F80 from_int(i64 v) {
    if (!v) return zero(false);
    const bool neg = v < 0;
    const u64 mag = neg ? 0 - static_cast<u64>(v) : static_cast<u64>(v);
    const int lz = std::countl_zero(mag);
    return make(neg, kBias + 63 - lz, mag << lz);
}

F80 from_bcd(const u8 bcd[10]) {
    // Digit nibbles above 9 are undefined (SDM Vol. 1, 4.7); they count with their value here.
    u64 v = 0;
    for (int k = 8; k >= 0; --k) v = v * 100 + (bcd[k] >> 4) * 10 + (bcd[k] & 15);
    const bool neg = bcd[9] & 0x80;
    if (!v) return zero(neg);
    F80 r = from_int(static_cast<i64>(v));
    r.se |= neg ? 0x8000 : 0;
    return r;
}

u32 to_f32(const F80& a, const Ctl& c, Status& st) { return static_cast<u32>(to_mem(a, kF32, c, st)); }
u64 to_f64(const F80& a, const Ctl& c, Status& st) { return to_mem(a, kF64, c, st); }

u64 to_int(const F80& a, unsigned bits, bool truncate, const Ctl& c, Status& st) {
    const u64 indefinite = u64(1) << (bits - 1);
    const u64 mask = bits == 64 ? ~0ull : (u64(1) << bits) - 1;
    switch (classify(a)) {
        case Kind::Zero: return 0;
        case Kind::Normal:
        case Kind::Denormal: break;
        default: st.flags |= ex::IE; return indefinite;
    }
    const Num n = unpack(a);
    // 2^63 <= |a|: only -2^63 fits, as a 64-bit integer.
    if (n.exp >= kBias + 63) {
        if (bits == 64 && n.neg && n.exp == kBias + 63 && n.sig == kInt) return indefinite;
        st.flags |= ex::IE;
        return indefinite;
    }
    const Integral i = integer_part(n, truncate ? 3 : c.rc);
    const u64 limit = (u64(1) << (bits - 1)) - (n.neg ? 0 : 1);
    if (i.mag > limit) {
        st.flags |= ex::IE;
        return indefinite;
    }
    if (i.inexact) st.flags |= ex::PE;
    st.c1 = i.up;
    return (n.neg ? 0 - i.mag : i.mag) & mask;
}

void to_bcd(const F80& a, u8 out[10], const Ctl& c, Status& st) {
    auto indefinite = [&] {
        // The packed BCD indefinite: FFFF C000 0000 0000 0000h (SDM Vol. 1, Table 4-5).
        st.flags |= ex::IE;
        for (int k = 0; k < 7; ++k) out[k] = 0;
        out[7] = 0xC0;
        out[8] = out[9] = 0xFF;
    };
    u64 mag = 0;
    bool neg = sign(a);
    switch (classify(a)) {
        case Kind::Zero: break;
        case Kind::Normal:
        case Kind::Denormal: {
            const Num n = unpack(a);
            if (n.exp >= kBias + 63) return indefinite();
            const Integral i = integer_part(n, c.rc);
            if (i.mag > 999'999'999'999'999'999ull) return indefinite();
            if (i.inexact) st.flags |= ex::PE;
            st.c1 = i.up;
            mag = i.mag;
            break;
        }
        default: return indefinite();
    }
    for (int k = 0; k < 9; ++k) {
        out[k] = static_cast<u8>((mag % 10) | ((mag / 10 % 10) << 4));
        mag /= 100;
    }
    out[9] = neg ? 0x80 : 0;
}

F80 constant(Constant k, u8 rc) {
    static constexpr Wide128Const kValues[] = {
        {kBias, hex128(0x8000000000000000, 0)},                               // 1
        {kBias + 1, hex128(0xd49a784bcd1b8afe, 0x492bf6ff4dafdb4c)},          // log2(10)
        {kBias, hex128(0xb8aa3b295c17f0bb, 0xbe87fed0691d3e88)},              // log2(e)
        {kBias + 1, hex128(0xc90fdaa22168c234, 0xc4c6628b80dc1cd1)},          // pi
        {kBias - 2, hex128(0x9a209a84fbcff798, 0x8f8959ac0b7c9178)},          // log10(2)
        {kBias - 1, hex128(0xb17217f7d1cf79ab, 0xc9e3b39803f2f6af)},          // ln(2)
    };
    if (k == Constant::Zero) return zero(false);
    const Wide128Const& w = kValues[static_cast<int>(k)];
    Ctl c;
    c.rc = rc;
    Status ignored;
    return finish({false, w.exp, w.v}, c, ignored);
}

}  // namespace sy::fp80
