// The one place where arithmetic flags are computed (SDM Vol. 1, 3.4.3.1 and
// Appendix A "EFLAGS cross-reference"). Each function takes the current RFLAGS,
// returns the result and updates exactly the flags the instruction defines.
// Flags the manual leaves undefined are given a fixed, documented value here; the
// isa-test masks them (see docs/cpu.md).
#pragma once
#include <algorithm>
#include <limits>
#include <type_traits>

#include "state.h"

// The core helpers are forced inline: they are the body of the hottest handlers.
#define SY_ALU_INLINE inline __attribute__((always_inline))

namespace sy::alu {

template <class T> inline constexpr u64 kSign = u64(1) << (sizeof(T) * 8 - 1);
template <class T> inline constexpr unsigned kBits = sizeof(T) * 8;

// Flags are assembled without branches: `flag_if(c, F)` is F when c holds.
// Written as `if (c) f |= F` gcc emits a conditional jump per flag, and on
// data that changes every time (a loop's counters) those mispredict.
SY_ALU_INLINE u64 flag_if(bool c, u64 flag) { return static_cast<u64>(c) * flag; }

SY_ALU_INLINE u64 parity(u64 v) { return flag_if(!__builtin_parity(static_cast<u8>(v)), fl::PF); }

#if defined(__x86_64__)
// On an x86-64 host the host's own ADD, ADC, SUB, SBB and TEST compute the
// flags the guest's would: the SDM defines all six for them (Vol. 2A ADD,
// ADC; Vol. 2B SUB, SBB, TEST: SF, ZF, PF from the result, CF=OF=0), at the
// same bit positions of the same register. LAHF copies SF:ZF:0:AF:0:PF:1:CF
// into AH and SETO gives OF: about 8 host instructions where computing the
// flags from the operands takes 20 (the ALU loop of `bench` is bound by the
// instructions it executes, docs/performance.md). Only flags the manual
// defines are taken from the host; undefined ones (AF after a logical
// operation or a shift) keep the values this file gives them, so results do
// not depend on the host's vendor.
SY_ALU_INLINE u64 lahf_seto_flags(u16 ax) {
    return ((ax >> 8) & (fl::SF | fl::ZF | fl::AF | fl::PF | fl::CF)) | (static_cast<u64>(ax & 1) << 11);
}
// SF, ZF, PF of a result.
template <class T> SY_ALU_INLINE u64 szp(T r) {
    u16 ax;
    asm("test %[r], %[r]\n\tlahf" : "=a"(ax) : [r] "r"(r) : "cc");
    return (ax >> 8) & (fl::SF | fl::ZF | fl::PF);
}
#else
// SF, ZF, PF of a result.
template <class T> SY_ALU_INLINE u64 szp(T r) {
    return parity(r) | flag_if(r == 0, fl::ZF) | flag_if(r & kSign<T>, fl::SF);
}
#endif

inline void set_arith(u64& f, u64 nf, u64 mask = fl::ARITH) { f = (f & ~mask) | nf; }

template <class T> SY_ALU_INLINE T add(u64& f, T a, T b, unsigned cin = 0) {
#if defined(__x86_64__)
    u16 ax;
    if (__builtin_constant_p(cin) && cin == 0)
        asm("add %[b], %[a]\n\tlahf\n\tseto %%al" : [a] "+r"(a), "=&a"(ax) : [b] "r"(b) : "cc");
    else  // CF = cin first (BT copies bit 0 into CF), then ADC
        asm("bt $0, %k[c]\n\tadc %[b], %[a]\n\tlahf\n\tseto %%al"
            : [a] "+r"(a), "=&a"(ax)
            : [b] "r"(b), [c] "r"(cin)
            : "cc");
    set_arith(f, lahf_seto_flags(ax));
    return a;
#else
    T r = static_cast<T>(a + b + cin);
    u64 nf = szp(r) | flag_if(cin ? r <= a : r < a, fl::CF) | flag_if((a ^ r) & (b ^ r) & kSign<T>, fl::OF) |
             flag_if((a ^ b ^ r) & 0x10, fl::AF);
    set_arith(f, nf);
    return r;
#endif
}

template <class T> SY_ALU_INLINE T sub(u64& f, T a, T b, unsigned bin = 0) {
#if defined(__x86_64__)
    u16 ax;
    if (__builtin_constant_p(bin) && bin == 0)
        asm("sub %[b], %[a]\n\tlahf\n\tseto %%al" : [a] "+r"(a), "=&a"(ax) : [b] "r"(b) : "cc");
    else  // CF = bin first, then SBB
        asm("bt $0, %k[c]\n\tsbb %[b], %[a]\n\tlahf\n\tseto %%al"
            : [a] "+r"(a), "=&a"(ax)
            : [b] "r"(b), [c] "r"(bin)
            : "cc");
    set_arith(f, lahf_seto_flags(ax));
    return a;
#else
    T r = static_cast<T>(a - b - bin);
    u64 nf = szp(r) | flag_if(bin ? a <= b : a < b, fl::CF) | flag_if((a ^ b) & (a ^ r) & kSign<T>, fl::OF) |
             flag_if((a ^ b ^ r) & 0x10, fl::AF);
    set_arith(f, nf);
    return r;
#endif
}

// AND/OR/XOR/TEST: CF=OF=0, SF/ZF/PF from the result, AF undefined (we clear it).
template <class T> SY_ALU_INLINE T logic(u64& f, T r) {
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

// ============================================================================
// Integer group helpers: multiply/divide, shifts and rotates, bit operations.
// Policy for flags the SDM leaves undefined (the isa-test masks all of them):
//   * they are cleared, except where a rule is given below;
//   * SHL/SHR with a count >= the operand width: CF is the bit a shift of an
//     infinitely wide value would move out, i.e. 0 (SDM Vol. 2B, SAL/SAR/SHL/SHR:
//     "CF undefined for SHL and SHR where the count is >= the operand size");
//   * OF of a shift or rotate whose masked count is not 1 uses the count-1
//     formula on the result (SHL/ROL/RCL: MSB(r) ^ CF; SHR: MSB(original);
//     SAR: 0; ROR/RCR: MSB(r) ^ MSB-1(r); SHLD/SHRD: MSB(r) ^ MSB(original)).
// ============================================================================

template <class T> inline constexpr T kMax = static_cast<T>(~T(0));
template <class T> inline bool msb(T v) { return v & kSign<T>; }
template <class T> using Signed = std::make_signed_t<T>;
// The type twice as wide, for products and dividends (unsigned and signed).
// Spelled out because std::make_signed does not know __int128 in strict C++.
template <class T> struct Wide;
template <> struct Wide<u8> { using type = u16; using stype = i16; };
template <> struct Wide<u16> { using type = u32; using stype = i32; };
template <> struct Wide<u32> { using type = u64; using stype = i64; };
template <> struct Wide<u64> { using type = u128; using stype = i128; };
template <class T> using WideT = typename Wide<T>::type;
template <class T> using SWideT = typename Wide<T>::stype;

inline void set_flag(u64& f, u64 bit, bool on) { f = on ? (f | bit) : (f & ~bit); }

// ---- MUL / IMUL (SDM Vol. 2A MUL, Vol. 2A IMUL) ------------------------------
// CF = OF = 1 when the high half is significant; SF, ZF, AF, PF undefined (cleared).
template <class T> struct Product {
    T lo, hi;
};
template <class T> inline Product<T> mul(u64& f, T a, T b) {
    WideT<T> p = static_cast<WideT<T>>(a) * b;
    Product<T> r{static_cast<T>(p), static_cast<T>(p >> kBits<T>)};
    set_arith(f, r.hi ? (fl::CF | fl::OF) : 0);
    return r;
}
template <class T> inline Product<T> imul(u64& f, T a, T b) {
    using SW = SWideT<T>;
    SW p = static_cast<SW>(static_cast<Signed<T>>(a)) * static_cast<SW>(static_cast<Signed<T>>(b));
    Product<T> r{static_cast<T>(p), static_cast<T>(static_cast<WideT<T>>(p) >> kBits<T>)};
    bool fits = p == static_cast<SW>(static_cast<Signed<T>>(r.lo));
    set_arith(f, fits ? 0 : (fl::CF | fl::OF));
    return r;
}

// ---- DIV / IDIV (SDM Vol. 2A DIV, IDIV) --------------------------------------
// Divides hi:lo by d. Returns false (and changes nothing) when the CPU raises
// #DE: a zero divisor or a quotient that does not fit T (INT_MIN / -1 included).
// All six arithmetic flags are undefined (cleared).
template <class T> struct Quotient {
    T q, r;
};
template <class T> inline bool div(u64& f, T hi, T lo, T d, Quotient<T>& out) {
    using W = WideT<T>;
    if (d == 0) return false;
    W n = (static_cast<W>(hi) << kBits<T>) | lo;
    W q = n / d;
    if (q > kMax<T>) return false;
    out = {static_cast<T>(q), static_cast<T>(n % d)};
    set_arith(f, 0);
    return true;
}
template <class T> inline bool idiv(u64& f, T hi, T lo, T d, Quotient<T>& out) {
    using W = WideT<T>;
    using SW = SWideT<T>;
    using S = Signed<T>;
    if (d == 0) return false;
    SW n = static_cast<SW>((static_cast<W>(hi) << kBits<T>) | lo);
    SW sd = static_cast<S>(d);
    if (sd == -1 && n == static_cast<SW>(W(1) << (2 * kBits<T> - 1))) return false;  // C++ overflow too
    SW q = n / sd;
    if (q < std::numeric_limits<S>::min() || q > std::numeric_limits<S>::max()) return false;
    out = {static_cast<T>(q), static_cast<T>(n % sd)};
    set_arith(f, 0);
    return true;
}

// ---- Shifts and rotates (SDM Vol. 2B SAL/SAR/SHL/SHR, Vol. 2B RCL/RCR/ROL/ROR) --
// `count` is the raw count operand; it is masked to 5 bits (6 for 64-bit). A
// masked count of 0 changes neither the value nor any flag.
template <class T> inline unsigned shift_count(u8 count) { return count & (sizeof(T) == 8 ? 63 : 31); }

template <class T> inline T shl(u64& f, T a, u8 count) {
    unsigned n = shift_count<T>(count);
    if (n == 0) return a;
    T r = n < kBits<T> ? static_cast<T>(a << n) : T(0);
    bool cf = n <= kBits<T> && ((a >> (kBits<T> - n)) & 1);
    set_arith(f, szp(r) | flag_if(cf, fl::CF) | flag_if(msb(r) != cf, fl::OF));
    return r;
}
template <class T> inline T shr(u64& f, T a, u8 count) {
    unsigned n = shift_count<T>(count);
    if (n == 0) return a;
    T r = n < kBits<T> ? static_cast<T>(a >> n) : T(0);
    bool cf = n <= kBits<T> && ((a >> (n - 1)) & 1);
    set_arith(f, szp(r) | flag_if(cf, fl::CF) | flag_if(msb(a), fl::OF));
    return r;
}
template <class T> inline T sar(u64& f, T a, u8 count) {
    unsigned n = shift_count<T>(count);
    if (n == 0) return a;
    Signed<T> s = static_cast<Signed<T>>(a);
    T r = static_cast<T>(s >> std::min(n, kBits<T> - 1));
    bool cf = (s >> std::min(n - 1, kBits<T> - 1)) & 1;
    set_arith(f, szp(r) | flag_if(cf, fl::CF));
    return r;
}
// Rotates change CF and OF only.
inline void set_cf_of(u64& f, bool cf, bool of) {
    f = (f & ~(fl::CF | fl::OF)) | (cf ? fl::CF : 0) | (of ? fl::OF : 0);
}
template <class T> inline T rol(u64& f, T a, u8 count) {
    unsigned n = shift_count<T>(count);
    if (n == 0) return a;
    unsigned k = n % kBits<T>;
    T r = k ? static_cast<T>((a << k) | (a >> (kBits<T> - k))) : a;
    set_cf_of(f, r & 1, msb(r) != (r & 1));
    return r;
}
template <class T> inline T ror(u64& f, T a, u8 count) {
    unsigned n = shift_count<T>(count);
    if (n == 0) return a;
    unsigned k = n % kBits<T>;
    T r = k ? static_cast<T>((a >> k) | (a << (kBits<T> - k))) : a;
    set_cf_of(f, msb(r), msb(r) != msb(static_cast<T>(r << 1)));
    return r;
}
// RCL/RCR rotate the (width+1)-bit value CF:a; 8- and 16-bit counts are taken
// modulo 9 and 17 after masking.
template <class T> inline unsigned rc_count(u8 count) {
    unsigned n = shift_count<T>(count);
    if constexpr (sizeof(T) == 1) return n % 9;
    else if constexpr (sizeof(T) == 2) return n % 17;
    else return n;
}
template <class T> inline T rcl(u64& f, T a, u8 count) {
    unsigned k = rc_count<T>(count);
    if (k == 0) return a;
    constexpr unsigned W = kBits<T> + 1;
    u128 v = (static_cast<u128>(f & fl::CF) << kBits<T>) | a;
    u128 r = ((v << k) | (v >> (W - k))) & ((u128(1) << W) - 1);
    T res = static_cast<T>(r);
    bool cf = (r >> kBits<T>) & 1;
    set_cf_of(f, cf, msb(res) != cf);
    return res;
}
template <class T> inline T rcr(u64& f, T a, u8 count) {
    unsigned k = rc_count<T>(count);
    if (k == 0) return a;
    constexpr unsigned W = kBits<T> + 1;
    u128 v = (static_cast<u128>(f & fl::CF) << kBits<T>) | a;
    u128 r = ((v >> k) | (v << (W - k))) & ((u128(1) << W) - 1);
    T res = static_cast<T>(r);
    set_cf_of(f, (r >> kBits<T>) & 1, msb(res) != msb(static_cast<T>(res << 1)));
    return res;
}

// SHLD/SHRD (SDM Vol. 2B): count masked to 5 bits (6 for 64-bit), so for 32 and
// 64 bits it is below the width. A 16-bit count above 16 is undefined in the SDM,
// and the vendors differ (both measured by isa-test on the host): Intel cores
// shift the 48-bit value dest:src:dest, AMD cores dest:src:src (SHLD) and
// src:src:dest (SHRD). CF is the last bit shifted out of that value. AF undefined
// (cleared).
template <class T> inline T shd_flags(u64& f, T a, T r, bool cf) {
    u64 nf = szp(r);
    if (cf) nf |= fl::CF;
    if (msb(r) != msb(a)) nf |= fl::OF;
    set_arith(f, nf);
    return r;
}
template <class T> inline T shld(u64& f, T a, T b, u8 count, bool intel) {
    unsigned n = shift_count<T>(count);
    if (n == 0) return a;
    if constexpr (sizeof(T) == 2) {
        // the result is bits 47-n..32-n of the 48-bit value
        u64 v = (u64(a) << 32) | (u64(b) << 16) | (intel ? a : b);
        return shd_flags<T>(f, a, static_cast<T>(v >> (32 - n)), (v >> (48 - n)) & 1);
    } else {
        T r = static_cast<T>((a << n) | (b >> (kBits<T> - n)));
        return shd_flags<T>(f, a, r, (a >> (kBits<T> - n)) & 1);
    }
}
template <class T> inline T shrd(u64& f, T a, T b, u8 count, bool intel) {
    unsigned n = shift_count<T>(count);
    if (n == 0) return a;
    if constexpr (sizeof(T) == 2) {
        // the result is bits n+15..n of the 48-bit value
        u64 v = (u64(intel ? a : b) << 32) | (u64(b) << 16) | a;
        return shd_flags<T>(f, a, static_cast<T>(v >> n), (v >> (n - 1)) & 1);
    } else {
        T r = static_cast<T>((a >> n) | (b << (kBits<T> - n)));
        return shd_flags<T>(f, a, r, (a >> (n - 1)) & 1);
    }
}

// The shift/rotate operations as functors the handlers are templated on.
struct Shl { template <class T> static T op(u64& f, T a, u8 n) { return shl<T>(f, a, n); } };
struct Shr { template <class T> static T op(u64& f, T a, u8 n) { return shr<T>(f, a, n); } };
struct Sar { template <class T> static T op(u64& f, T a, u8 n) { return sar<T>(f, a, n); } };
struct Rol { template <class T> static T op(u64& f, T a, u8 n) { return rol<T>(f, a, n); } };
struct Ror { template <class T> static T op(u64& f, T a, u8 n) { return ror<T>(f, a, n); } };
struct Rcl { template <class T> static T op(u64& f, T a, u8 n) { return rcl<T>(f, a, n); } };
struct Rcr { template <class T> static T op(u64& f, T a, u8 n) { return rcr<T>(f, a, n); } };

// ---- BT / BTS / BTR / BTC (SDM Vol. 2A BT) -----------------------------------
// CF = the selected bit; ZF unaffected; OF, SF, AF, PF undefined (cleared).
template <class T> inline void bit_test(u64& f, T v, unsigned bit) {
    set_arith(f, ((v >> bit) & 1) ? fl::CF : 0, fl::ARITH & ~fl::ZF);
}
struct Bt  { static constexpr bool kWrites = false; template <class T> static T op(T v, T m) { return v; } };
struct Bts { static constexpr bool kWrites = true;  template <class T> static T op(T v, T m) { return v | m; } };
struct Btr { static constexpr bool kWrites = true;  template <class T> static T op(T v, T m) { return v & ~m; } };
struct Btc { static constexpr bool kWrites = true;  template <class T> static T op(T v, T m) { return v ^ m; } };

// ---- Bit scans and counts (SDM Vol. 2A BSF/BSR, Vol. 2A LZCNT, Vol. 2B TZCNT,
// POPCNT). Each returns false when the destination is left unchanged.
// BSF/BSR: ZF = (source == 0); the destination is not written when the source is
// 0 (AMD documents this; the Intel and AMD hosts isa-test ran on both keep all
// 64 bits of it). CF, OF, SF, AF, PF undefined (cleared).
template <class T> inline bool bsf(u64& f, T v, T& out) {
    set_arith(f, v ? 0 : fl::ZF);
    if (!v) return false;
    out = static_cast<T>(__builtin_ctzll(v));
    return true;
}
template <class T> inline bool bsr(u64& f, T v, T& out) {
    set_arith(f, v ? 0 : fl::ZF);
    if (!v) return false;
    out = static_cast<T>(63 - __builtin_clzll(v));
    return true;
}
// LZCNT/TZCNT: CF = (source == 0), ZF = (result == 0); OF, SF, AF, PF undefined (cleared).
template <class T> inline bool lzcnt(u64& f, T v, T& out) {
    out = static_cast<T>(v ? __builtin_clzll(v) - (64 - kBits<T>) : kBits<T>);
    set_arith(f, (v ? 0 : fl::CF) | (out ? 0 : fl::ZF));
    return true;
}
template <class T> inline bool tzcnt(u64& f, T v, T& out) {
    out = static_cast<T>(v ? __builtin_ctzll(v) : kBits<T>);
    set_arith(f, (v ? 0 : fl::CF) | (out ? 0 : fl::ZF));
    return true;
}
// POPCNT: ZF = (source == 0), every other arithmetic flag cleared (all defined).
template <class T> inline bool popcnt(u64& f, T v, T& out) {
    out = static_cast<T>(__builtin_popcountll(v));
    set_arith(f, v ? 0 : fl::ZF);
    return true;
}
struct Bsf { template <class T> static bool op(u64& f, T v, T& out) { return bsf<T>(f, v, out); } };
struct Bsr { template <class T> static bool op(u64& f, T v, T& out) { return bsr<T>(f, v, out); } };
struct Lzcnt { template <class T> static bool op(u64& f, T v, T& out) { return lzcnt<T>(f, v, out); } };
struct Tzcnt { template <class T> static bool op(u64& f, T v, T& out) { return tzcnt<T>(f, v, out); } };
struct Popcnt { template <class T> static bool op(u64& f, T v, T& out) { return popcnt<T>(f, v, out); } };

// CMPXCHG8B/16B change ZF only (SDM Vol. 2A CMPXCHG8B/CMPXCHG16B).
inline void set_zf(u64& f, bool z) { set_flag(f, fl::ZF, z); }


// COMISS/COMISD/UCOMISS/UCOMISD: the comparison sets ZF, PF and CF (unordered:
// all three; greater: none; less: CF; equal: ZF) and clears OF, SF and AF
// (SDM Vol. 2A, COMISS "Operation"). `zf`/`pf`/`cf` are the outcome as the
// SSE unit reports it.
inline void fp_compare(u64& f, bool zf, bool pf, bool cf) {
    set_arith(f, (zf ? fl::ZF : 0) | (pf ? fl::PF : 0) | (cf ? fl::CF : 0));
}

}  // namespace sy::alu
