// The integer flag helpers of cpu/alu.h against the host CPU: each operation is
// also executed natively (inline asm, RFLAGS loaded with popfq and read back
// with pushfq) and the result and the flags the SDM defines must agree. Which
// flags are defined is cited per test from the SDM Vol. 2 "Flags Affected".
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "alu.h"
#include "host_cpu.h"

using namespace sy;

namespace {

// Inline asm must not touch the red zone below RSP: step over it before pushing.
#define HOST_PROLOGUE "lea -128(%%rsp), %%rsp\n\tpush %[f]\n\tpopfq\n\t"
#define HOST_EPILOGUE "\n\tpushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp"

u64 host_flags_in(u64 f) { return (f & fl::ARITH) | fl::FIXED1; }

// `INSN %cl, a` for shifts and rotates.
#define HOST_SHIFT(NAME, INSN)                                                                   \
    template <class T> T NAME(T a, u8 n, u64& f) {                                               \
        u64 fl = host_flags_in(f);                                                               \
        asm(HOST_PROLOGUE INSN " %%cl, %[a]" HOST_EPILOGUE : [a] "+r"(a), [f] "+r"(fl) : "c"(n) : "cc"); \
        f = fl;                                                                                  \
        return a;                                                                                \
    }
HOST_SHIFT(host_shl, "shl")
HOST_SHIFT(host_shr, "shr")
HOST_SHIFT(host_sar, "sar")
HOST_SHIFT(host_rol, "rol")
HOST_SHIFT(host_ror, "ror")
HOST_SHIFT(host_rcl, "rcl")
HOST_SHIFT(host_rcr, "rcr")

#define HOST_SHXD(NAME, INSN)                                                                    \
    template <class T> T NAME(T a, T b, u8 n, u64& f) {                                          \
        u64 fl = host_flags_in(f);                                                               \
        asm(HOST_PROLOGUE INSN " %%cl, %[b], %[a]" HOST_EPILOGUE : [a] "+r"(a), [f] "+r"(fl) : [b] "r"(b), "c"(n) : "cc"); \
        f = fl;                                                                                  \
        return a;                                                                                \
    }
HOST_SHXD(host_shld, "shld")
HOST_SHXD(host_shrd, "shrd")

// `INSN b, a` (AT&T order): a is read and written.
#define HOST_BINARY(NAME, INSN)                                                                  \
    template <class T> T NAME(T a, T b, u64& f) {                                                \
        u64 fl = host_flags_in(f);                                                               \
        asm(HOST_PROLOGUE INSN " %[b], %[a]" HOST_EPILOGUE : [a] "+r"(a), [f] "+r"(fl) : [b] "r"(b) : "cc"); \
        f = fl;                                                                                  \
        return a;                                                                                \
    }
HOST_BINARY(host_bt, "bt")
HOST_BINARY(host_bts, "bts")
HOST_BINARY(host_btr, "btr")
HOST_BINARY(host_btc, "btc")
HOST_BINARY(host_bsf, "bsf")
HOST_BINARY(host_bsr, "bsr")
HOST_BINARY(host_lzcnt, "lzcnt")
HOST_BINARY(host_tzcnt, "tzcnt")
HOST_BINARY(host_popcnt, "popcnt")
HOST_BINARY(host_imul2, "imul")

// One-operand MUL/IMUL: rDX:rAX <- rAX * b (AX <- AL * b).
template <class T, bool Signed> alu::Product<T> host_mul(T a, T b, u64& f) {
    u64 fl = host_flags_in(f);
    alu::Product<T> p;
    if constexpr (sizeof(T) == 1) {
        u16 ax = a;
        if (Signed) asm(HOST_PROLOGUE "imulb %[b]" HOST_EPILOGUE : "+a"(ax), [f] "+r"(fl) : [b] "q"(b) : "cc");
        else asm(HOST_PROLOGUE "mulb %[b]" HOST_EPILOGUE : "+a"(ax), [f] "+r"(fl) : [b] "q"(b) : "cc");
        p = {static_cast<u8>(ax), static_cast<u8>(ax >> 8)};
    } else {
        T lo = a, hi;
        if (Signed) asm(HOST_PROLOGUE "imul %[b]" HOST_EPILOGUE : "+a"(lo), "=d"(hi), [f] "+r"(fl) : [b] "r"(b) : "cc");
        else asm(HOST_PROLOGUE "mul %[b]" HOST_EPILOGUE : "+a"(lo), "=d"(hi), [f] "+r"(fl) : [b] "r"(b) : "cc");
        p = {lo, hi};
    }
    f = fl;
    return p;
}

// One-operand DIV/IDIV; the caller keeps the quotient in range (no #DE).
template <class T, bool Signed> alu::Quotient<T> host_div(T hi, T lo, T d) {
    if constexpr (sizeof(T) == 1) {
        u16 ax = static_cast<u16>(lo | (hi << 8));
        if (Signed) asm("idivb %[d]" : "+a"(ax) : [d] "q"(d) : "cc");
        else asm("divb %[d]" : "+a"(ax) : [d] "q"(d) : "cc");
        return {static_cast<u8>(ax), static_cast<u8>(ax >> 8)};
    } else {
        if (Signed) asm("idiv %[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");
        else asm("div %[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");
        return {lo, hi};
    }
}

// Inputs: edge values of every width and random values, reproducible.
template <class T> std::vector<T> values() {
    std::vector<T> v = {0, 1, 2, 0x7F, 0x80, 0xFF, static_cast<T>(0x7FFF), static_cast<T>(0x8000),
                        static_cast<T>(0x7FFFFFFF), static_cast<T>(0x80000000u), static_cast<T>(~0ull),
                        static_cast<T>(~0ull - 1), static_cast<T>(0x8000000000000000ull),
                        static_cast<T>(0x7FFFFFFFFFFFFFFFull), static_cast<T>(0x5555555555555555ull)};
    std::mt19937_64 rng(12345 + sizeof(T));
    for (int k = 0; k < 40; ++k) v.push_back(static_cast<T>(rng() >> (rng() % 64)));
    return v;
}
constexpr u64 kFlagInputs[] = {0, fl::ARITH, fl::CF, fl::OF | fl::ZF | fl::AF, fl::CF | fl::SF | fl::PF};

std::string show(u64 a, u64 b, u64 n, u64 fin) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "a=%#llx b=%#llx count=%llu flags_in=%#llx", (unsigned long long)a,
                  (unsigned long long)b, (unsigned long long)n, (unsigned long long)fin);
    return buf;
}

#define ALL_WIDTHS u8, u16, u32, u64
#define WIDE_WIDTHS u16, u32, u64

}  // namespace

// SDM Vol. 2B SAL/SAR/SHL/SHR: count 0 changes no flag; otherwise CF, SF, ZF, PF
// are defined (CF not for SHL/SHR when count >= width), OF only for count 1, AF never.
TEST_CASE_TEMPLATE("shl/shr/sar agree with the host CPU on result and defined flags", T, ALL_WIDTHS) {
    constexpr unsigned bits = sizeof(T) * 8;
    for (T a : values<T>())
        for (unsigned count = 0; count < 70; ++count)
            for (u64 fin : kFlagInputs) {
                u8 n = static_cast<u8>(count);
                unsigned m = n & (bits == 64 ? 63 : 31);
                u64 defined = m == 0 ? fl::ARITH : (fl::SF | fl::ZF | fl::PF | fl::CF | (m == 1 ? fl::OF : 0));
                INFO(show(a, 0, n, fin));
                u64 hf = fin, ef = fin;
                CHECK(alu::shl<T>(ef, a, n) == host_shl<T>(a, n, hf));
                u64 d = m >= bits ? defined & ~fl::CF : defined;
                CHECK((ef & d) == (hf & d));
                hf = ef = fin;
                CHECK(alu::shr<T>(ef, a, n) == host_shr<T>(a, n, hf));
                CHECK((ef & d) == (hf & d));
                hf = ef = fin;
                CHECK(alu::sar<T>(ef, a, n) == host_sar<T>(a, n, hf));
                CHECK((ef & defined) == (hf & defined));
            }
}

// SDM Vol. 2B RCL/RCR/ROL/ROR: only CF and OF change; OF defined for count 1 only.
TEST_CASE_TEMPLATE("rol/ror/rcl/rcr agree with the host CPU on result and defined flags", T, ALL_WIDTHS) {
    for (T a : values<T>())
        for (unsigned count = 0; count < 70; ++count)
            for (u64 fin : kFlagInputs) {
                u8 n = static_cast<u8>(count);
                unsigned m = n & (sizeof(T) == 8 ? 63 : 31);
                u64 defined = fl::ARITH & ~(m > 1 ? fl::OF : 0);
                INFO(show(a, 0, n, fin));
                u64 hf = fin, ef = fin;
                CHECK(alu::rol<T>(ef, a, n) == host_rol<T>(a, n, hf));
                CHECK((ef & defined) == (hf & defined));
                hf = ef = fin;
                CHECK(alu::ror<T>(ef, a, n) == host_ror<T>(a, n, hf));
                CHECK((ef & defined) == (hf & defined));
                hf = ef = fin;
                CHECK(alu::rcl<T>(ef, a, n) == host_rcl<T>(a, n, hf));
                CHECK((ef & defined) == (hf & defined));
                hf = ef = fin;
                CHECK(alu::rcr<T>(ef, a, n) == host_rcr<T>(a, n, hf));
                CHECK((ef & defined) == (hf & defined));
            }
}

// SDM Vol. 2B SHLD/SHRD: CF SF ZF PF defined for a non-zero count, OF for count 1,
// AF never. A 16-bit count above 16 leaves result and flags undefined: there the
// interpreter follows the host's vendor, and result, CF, SF, ZF and PF must match.
TEST_CASE_TEMPLATE("shld/shrd agree with the host CPU on result and defined flags", T, WIDE_WIDTHS) {
    constexpr unsigned bits = sizeof(T) * 8;
    const bool intel = host_vendor() == Vendor::Intel;
    auto vals = values<T>();
    for (size_t k = 0; k < vals.size(); ++k)
        for (unsigned count = 0; count < 70; ++count) {
            T a = vals[k], b = vals[(k * 7 + 3) % vals.size()];
            u8 n = static_cast<u8>(count);
            unsigned m = n & (bits == 64 ? 63 : 31);
            u64 defined = m == 0 ? fl::ARITH : (fl::SF | fl::ZF | fl::PF | fl::CF | (m == 1 ? fl::OF : 0));
            INFO(show(a, b, n, fl::ARITH));
            u64 hf = fl::ARITH, ef = fl::ARITH;
            CHECK(alu::shld<T>(ef, a, b, n, intel) == host_shld<T>(a, b, n, hf));
            CHECK((ef & defined) == (hf & defined));
            hf = ef = 0;
            CHECK(alu::shrd<T>(ef, a, b, n, intel) == host_shrd<T>(a, b, n, hf));
            CHECK((ef & defined) == (hf & defined));
        }
}

// SDM Vol. 2A MUL/IMUL: CF and OF defined; SF, ZF, AF, PF undefined.
TEST_CASE_TEMPLATE("mul/imul agree with the host CPU on the product, CF and OF", T, ALL_WIDTHS) {
    constexpr u64 defined = fl::CF | fl::OF;
    for (T a : values<T>())
        for (T b : values<T>()) {
            INFO(show(a, b, 0, 0));
            u64 hf = 0, ef = 0;
            auto e = alu::mul<T>(ef, a, b);
            auto h = host_mul<T, false>(a, b, hf);
            CHECK(e.lo == h.lo);
            CHECK(e.hi == h.hi);
            CHECK((ef & defined) == (hf & defined));
            hf = ef = fl::ARITH;
            e = alu::imul<T>(ef, a, b);
            h = host_mul<T, true>(a, b, hf);
            CHECK(e.lo == h.lo);
            CHECK(e.hi == h.hi);
            CHECK((ef & defined) == (hf & defined));
            if constexpr (sizeof(T) > 1) {  // two-operand IMUL: the truncated product
                hf = ef = 0;
                CHECK(alu::imul<T>(ef, a, b).lo == host_imul2<T>(a, b, hf));
                CHECK((ef & defined) == (hf & defined));
            }
        }
}

// SDM Vol. 2A DIV/IDIV: quotient and remainder (inputs chosen so that no #DE
// occurs; the #DE cases are in int_exec_test.cpp).
TEST_CASE_TEMPLATE("div/idiv agree with the host CPU on quotient and remainder", T, ALL_WIDTHS) {
    using S = alu::Signed<T>;
    for (T lo : values<T>())
        for (T d : values<T>()) {
            if (d == 0) continue;
            INFO(show(lo, d, 0, 0));
            T hi = static_cast<T>(lo % d);  // < d: the quotient fits
            alu::Quotient<T> q{};
            u64 f = 0;
            REQUIRE(alu::div<T>(f, hi, lo, d, q));
            auto h = host_div<T, false>(hi, lo, d);
            CHECK(q.q == h.q);
            CHECK(q.r == h.r);
            T shi = static_cast<S>(lo) < 0 ? static_cast<T>(~T(0)) : T(0);
            if (static_cast<S>(d) == -1 && lo == alu::kSign<T>) continue;  // INT_MIN / -1
            REQUIRE(alu::idiv<T>(f, shi, lo, d, q));
            h = host_div<T, true>(shi, lo, d);
            CHECK(q.q == h.q);
            CHECK(q.r == h.r);
        }
}

// SDM Vol. 2A BT/BTS/BTR/BTC: CF = the bit, ZF unaffected, OF SF AF PF undefined.
TEST_CASE_TEMPLATE("bt/bts/btr/btc agree with the host CPU on CF, ZF and the result", T, WIDE_WIDTHS) {
    constexpr u64 defined = fl::CF | fl::ZF;
    constexpr unsigned bits = sizeof(T) * 8;
    for (T a : values<T>())
        for (unsigned bit = 0; bit < 2 * bits; bit += 3)
            for (u64 fin : kFlagInputs) {
                T off = static_cast<T>(bit);
                INFO(show(a, off, 0, fin));
                unsigned b = bit & (bits - 1);
                T mask = static_cast<T>(T(1) << b);
                u64 ef = fin, hf = fin;
                alu::bit_test<T>(ef, a, b);
                CHECK(host_bt<T>(a, off, hf) == a);
                CHECK((ef & defined) == (hf & defined));
                hf = fin;
                CHECK(alu::Bts::op<T>(a, mask) == host_bts<T>(a, off, hf));
                CHECK((ef & defined) == (hf & defined));
                hf = fin;
                CHECK(alu::Btr::op<T>(a, mask) == host_btr<T>(a, off, hf));
                CHECK((ef & defined) == (hf & defined));
                hf = fin;
                CHECK(alu::Btc::op<T>(a, mask) == host_btc<T>(a, off, hf));
                CHECK((ef & defined) == (hf & defined));
            }
}

// SDM Vol. 2A BSF/BSR (ZF; CF OF SF AF PF undefined; a zero source leaves the
// destination as it was -- AMD APM Vol. 3 BSF/BSR), LZCNT and Vol. 2B TZCNT (CF,
// ZF; OF SF PF AF undefined), POPCNT (all six defined).
TEST_CASE_TEMPLATE("bsf/bsr/lzcnt/tzcnt/popcnt agree with the host CPU", T, WIDE_WIDTHS) {
    const T old = static_cast<T>(0x5A5A5A5A5A5A5A5Aull);
    for (T v : values<T>()) {
        INFO(show(v, 0, 0, 0));
        auto check = [&](auto op, auto host, u64 defined) {
            for (u64 fin : {u64(0), fl::ARITH}) {
                T out = old;
                u64 ef = fin, hf = fin;
                if (!op(ef, v, out)) out = old;
                CHECK(out == host(old, v, hf));
                CHECK((ef & defined) == (hf & defined));
            }
        };
        check(alu::bsf<T>, host_bsf<T>, fl::ZF);
        check(alu::bsr<T>, host_bsr<T>, fl::ZF);
        check(alu::lzcnt<T>, host_lzcnt<T>, fl::CF | fl::ZF);
        check(alu::tzcnt<T>, host_tzcnt<T>, fl::CF | fl::ZF);
        check(alu::popcnt<T>, host_popcnt<T>, fl::ARITH);
    }
}
