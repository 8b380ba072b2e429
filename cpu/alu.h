// The one place where arithmetic flags are computed (SDM Vol. 1, 3.4.3.1 and
// Appendix A "EFLAGS cross-reference"). Each function takes the current RFLAGS,
// returns the result and updates exactly the flags the instruction defines.
// Flags the manual leaves undefined are given a fixed, documented value here; the
// isa-test masks them (see docs/cpu.md).
#pragma once
#include "state.h"

namespace sy::alu {

template <class T> inline constexpr u64 kSign = u64(1) << (sizeof(T) * 8 - 1);
template <class T> inline constexpr unsigned kBits = sizeof(T) * 8;

inline u64 parity(u64 v) { return __builtin_parity(static_cast<u8>(v)) ? 0 : fl::PF; }

// SF, ZF, PF of a result.
template <class T> inline u64 szp(T r) {
    u64 f = parity(r);
    if (r == 0) f |= fl::ZF;
    if (r & kSign<T>) f |= fl::SF;
    return f;
}

inline void set_arith(u64& f, u64 nf, u64 mask = fl::ARITH) { f = (f & ~mask) | nf; }

template <class T> inline T add(u64& f, T a, T b, unsigned cin = 0) {
    T r = static_cast<T>(a + b + cin);
    u64 nf = szp(r);
    if (cin ? r <= a : r < a) nf |= fl::CF;
    if ((a ^ r) & (b ^ r) & kSign<T>) nf |= fl::OF;
    if ((a ^ b ^ r) & 0x10) nf |= fl::AF;
    set_arith(f, nf);
    return r;
}

template <class T> inline T sub(u64& f, T a, T b, unsigned bin = 0) {
    T r = static_cast<T>(a - b - bin);
    u64 nf = szp(r);
    if (bin ? a <= b : a < b) nf |= fl::CF;
    if ((a ^ b) & (a ^ r) & kSign<T>) nf |= fl::OF;
    if ((a ^ b ^ r) & 0x10) nf |= fl::AF;
    set_arith(f, nf);
    return r;
}

// AND/OR/XOR/TEST: CF=OF=0, SF/ZF/PF from the result, AF undefined (we clear it).
template <class T> inline T logic(u64& f, T r) {
    set_arith(f, szp(r));
    return r;
}

// INC/DEC: like ADD/SUB 1 but CF is preserved.
template <class T> inline T inc(u64& f, T a) {
    u64 cf = f & fl::CF;
    T r = add<T>(f, a, 1);
    f = (f & ~fl::CF) | cf;
    return r;
}
template <class T> inline T dec(u64& f, T a) {
    u64 cf = f & fl::CF;
    T r = sub<T>(f, a, 1);
    f = (f & ~fl::CF) | cf;
    return r;
}

// The eight classic ALU operations, as functors the handlers are templated on.
struct Add { static constexpr bool kWrites = true; template <class T> static T op(u64& f, T a, T b) { return add<T>(f, a, b); } };
struct Or  { static constexpr bool kWrites = true; template <class T> static T op(u64& f, T a, T b) { return logic<T>(f, a | b); } };
struct Adc { static constexpr bool kWrites = true; template <class T> static T op(u64& f, T a, T b) { return add<T>(f, a, b, f & fl::CF); } };
struct Sbb { static constexpr bool kWrites = true; template <class T> static T op(u64& f, T a, T b) { return sub<T>(f, a, b, f & fl::CF); } };
struct And { static constexpr bool kWrites = true; template <class T> static T op(u64& f, T a, T b) { return logic<T>(f, a & b); } };
struct Sub { static constexpr bool kWrites = true; template <class T> static T op(u64& f, T a, T b) { return sub<T>(f, a, b); } };
struct Xor { static constexpr bool kWrites = true; template <class T> static T op(u64& f, T a, T b) { return logic<T>(f, a ^ b); } };
struct Cmp { static constexpr bool kWrites = false; template <class T> static T op(u64& f, T a, T b) { return sub<T>(f, a, b); } };
struct Test { static constexpr bool kWrites = false; template <class T> static T op(u64& f, T a, T b) { return logic<T>(f, a & b); } };

// COMISS/COMISD/UCOMISS/UCOMISD: the comparison sets ZF, PF and CF (unordered:
// all three; greater: none; less: CF; equal: ZF) and clears OF, SF and AF
// (SDM Vol. 2A, COMISS "Operation"). `zf`/`pf`/`cf` are the outcome as the
// SSE unit reports it.
inline void fp_compare(u64& f, bool zf, bool pf, bool cf) {
    set_arith(f, (zf ? fl::ZF : 0) | (pf ? fl::PF : 0) | (cf ? fl::CF : 0));
}

}  // namespace sy::alu
