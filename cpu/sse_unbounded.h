// Exception flags of an SSE operation whose overflow or underflow exception is
// unmasked. The host always runs the operation with every exception masked
// (sse_exec.h); that reports what the masked response would raise. When OE or
// UE is unmasked the hardware answers differently (SDM Vol. 1, 4.9.1.4-4.9.1.5
// and 11.5.2.3; IEEE 754-2008, 7.4-7.5):
//   - underflow is signalled for every tiny result, exact or not (masked: only
//     when the denormalised result is also inexact);
//   - precision is judged on the result rounded to the format's precision with
//     an unbounded exponent, not on the overflowed/denormalised one.
// This file recomputes both per lane from the operands, exactly, with integer
// arithmetic on the significands.
#pragma once
#include <bit>

#include "state.h"

namespace sy::sse {

// Which operation a floating-point op performs, for the unbounded analysis.
enum class Fp : u8 { Add, Sub, Mul, Div, Narrow, Other };

// Lanes an op computes: count, whether inputs / results are doubles.
struct Layout {
    u8 lanes;
    bool in64, out64;
};
inline constexpr Layout NONE{0, false, false}, PS{4, false, false}, SS{1, false, false}, PD{2, true, true}, SD{1, true, true},
    PD2PS{2, true, false}, SD2SS{1, true, false};

namespace unbounded {

// A finite nonzero value as ±odd * 2^exp; `special` for NaN/infinity, `zero`
// for zeros (and denormals under DAZ).
struct Num {
    bool zero = false, special = false, neg = false;
    u64 odd = 0;
    int exp = 0;
};

inline Num decode(u64 bits, bool is64, bool daz) {
    const int mant_bits = is64 ? 52 : 23, exp_bits = is64 ? 11 : 8, bias = is64 ? 1023 : 127;
    Num n;
    n.neg = (bits >> (mant_bits + exp_bits)) & 1;
    u64 e = (bits >> mant_bits) & ((1u << exp_bits) - 1);
    u64 m = bits & ((u64(1) << mant_bits) - 1);
    if (e == (1u << exp_bits) - 1) {
        n.special = true;
        return n;
    }
    if (e == 0 && (m == 0 || daz)) {
        n.zero = true;
        return n;
    }
    int ex = e == 0 ? 1 - bias - mant_bits : static_cast<int>(e) - bias - mant_bits;
    if (e != 0) m |= u64(1) << mant_bits;
    int tz = std::countr_zero(m);
    n.odd = m >> tz;
    n.exp = ex + tz;
    return n;
}

// Significant bits of |v| (from the highest to the lowest set bit).
inline int span(u128 v) {
    u64 hi = static_cast<u64>(v >> 64), lo = static_cast<u64>(v);
    int top = hi ? 128 - std::countl_zero(hi) : 64 - std::countl_zero(lo);
    int low = lo ? std::countr_zero(lo) : 64 + std::countr_zero(hi);
    return top - low;
}

// Whether op(a, b), rounded to `prec` bits with an unbounded exponent, is inexact.
inline bool inexact(Fp op, const Num& a, const Num& b, int prec) {
    switch (op) {
        case Fp::Narrow: return !b.special && !b.zero && span(b.odd) > prec;
        case Fp::Mul:
            if (a.special || b.special || a.zero || b.zero) return false;
            return span(u128(a.odd) * b.odd) > prec;
        case Fp::Div:
            if (a.special || b.special || a.zero || b.zero) return false;
            return a.odd % b.odd != 0 || span(a.odd / b.odd) > prec;
        case Fp::Add:
        case Fp::Sub: {
            if (a.special || b.special || a.zero || b.zero) return false;
            bool bneg = op == Fp::Sub ? !b.neg : b.neg;
            const Num& hi = a.exp >= b.exp ? a : b;
            const Num& lo = a.exp >= b.exp ? b : a;
            bool hineg = &hi == &a ? a.neg : bneg, loneg = &lo == &a ? a.neg : bneg;
            int k = hi.exp - lo.exp;
            if (k >= 64) return true;  // at least k + 1 significant bits
            i128 v = (i128(hi.odd) << k) * (hineg ? -1 : 1) + i128(lo.odd) * (loneg ? -1 : 1);
            if (v == 0) return false;
            return span(static_cast<u128>(v < 0 ? -v : v)) > prec;
        }
        default: return false;
    }
}

inline u64 lane_bits(const Xmm& x, unsigned k, bool is64) {
    if (is64) return k ? x.hi : x.lo;
    u64 q = k >= 2 ? x.hi : x.lo;
    return (k & 1) ? q >> 32 : q & 0xFFFFFFFF;
}

inline void set_lane_bits(Xmm& x, unsigned k, bool is64, u64 v) {
    if (is64) {
        (k ? x.hi : x.lo) = v;
        return;
    }
    u64& q = k >= 2 ? x.hi : x.lo;
    q = (k & 1) ? (q & 0xFFFFFFFFull) | (v << 32) : (q & ~0xFFFFFFFFull) | v;
}

inline bool is_denormal(u64 bits, bool is64) {
    u64 exp_mask = is64 ? 0x7FF0000000000000ull : 0x7F800000ull;
    u64 mant_mask = is64 ? 0x000FFFFFFFFFFFFFull : 0x007FFFFFull;
    return (bits & exp_mask) == 0 && (bits & mant_mask) != 0;
}

}  // namespace unbounded

// `raised` as the hardware reports it when OE or UE is unmasked (see above).
// a, b: the operands (a the destination's old value); r: the masked result;
// mxcsr: the guest's. Each lane is judged on its own: a lane whose overflow or
// underflow takes the unmasked path gets the unbounded PE, a lane that stays on
// the masked path keeps the masked PE. For packed ops the masked flags of one
// lane come from rerunning the host op (`host` under `csr`) with the other
// lanes set to 1.0, which raises nothing. Flag bits as in MXCSR[5:0].
using HostOp = u32 (*)(u32 csr, Xmm& a, const Xmm& b);
inline u32 unbounded_flags(Fp op, Layout l, u32 mxcsr, u32 raised, const Xmm& a, const Xmm& b, const Xmm& r,
                           HostOp host, u32 csr) {
    constexpr u32 OE = 8, UE = 16, PE = 32;
    u32 unmasked = ~(mxcsr >> 7) & 0x3F;
    if (op == Fp::Other || !(unmasked & (OE | UE))) return raised;
    bool daz = mxcsr & 0x40;
    int prec = l.out64 ? 53 : 24;
    u32 pe = 0, ue = 0;
    for (unsigned k = 0; k < l.lanes; ++k) {
        u32 lane_flags = raised;
        if (l.lanes > 1) {
            Xmm x = a, y = b;
            for (unsigned j = 0; j < l.lanes; ++j)
                if (j != k) {
                    unbounded::set_lane_bits(x, j, l.in64, l.in64 ? 0x3FF0000000000000ull : 0x3F800000ull);
                    unbounded::set_lane_bits(y, j, l.in64, l.in64 ? 0x3FF0000000000000ull : 0x3F800000ull);
                }
            lane_flags = host(csr, x, y);
        }
        // A tiny exact result is a denormal the masked run did not flag.
        bool tiny = (lane_flags & UE) || unbounded::is_denormal(unbounded::lane_bits(r, k, l.out64), l.out64);
        bool trapped = ((lane_flags & OE) && (unmasked & OE)) || (tiny && (unmasked & UE));
        if (tiny && (unmasked & UE)) ue = UE;
        if (!trapped) {
            pe |= lane_flags & PE;
            continue;
        }
        auto x = unbounded::decode(unbounded::lane_bits(a, k, l.in64), l.in64, daz);
        auto y = unbounded::decode(unbounded::lane_bits(b, k, l.in64), l.in64, daz);
        if (unbounded::inexact(op, x, y, prec)) pe = PE;
    }
    return (raised & ~PE) | pe | ue;
}

}  // namespace sy::sse
