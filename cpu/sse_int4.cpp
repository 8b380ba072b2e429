// SSSE3 and SSE4.1 integer instructions, and PCMPGTQ of SSE4.2 (SDM Vol. 1,
// 12.7 "SSSE3 instructions", 12.8 "SSE4.1 instructions", 12.10.2; Vol. 2 per
// instruction). The SSSE3 ones exist on MMX registers too and are written once
// for both widths (sse_exec.h); the rest are XMM only. None touches MXCSR.
#include <limits>

#include "sse_exec.h"

namespace sy::sse {
namespace {

// An operation on each pair of elements of type T: dst[k] = F(dst[k], src[k]).
template <class T, auto F> struct Lanewise {
    static constexpr unsigned kMem = 16;
    template <class R> static void run(Cpu&, R& d, const R& s, u8) {
        for (unsigned k = 0; k < kLanes<T, R>; ++k) set_lane<T>(d, k, static_cast<T>(F(lane<T>(d, k), lane<T>(s, k))));
    }
};

template <class T> T sat(i32 v) {
    return static_cast<T>(std::clamp<i32>(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}

// ---- SSSE3 (both widths) ---------------------------------------------------------
// 66 0F 38 00 PSHUFB (0F 38 00 on MMX): each byte from the byte of dst the source
// byte indexes (modulo the register size), or 0 when its top bit is set.
struct Pshufb {
    static constexpr unsigned kMem = 16;
    template <class R> static void run(Cpu&, R& d, const R& s, u8) {
        constexpr unsigned n = sizeof(R);
        R r;
        for (unsigned k = 0; k < n; ++k) {
            const u8 x = lane<u8>(s, k);
            set_lane<u8>(r, k, (x & 0x80) ? u8(0) : lane<u8>(d, x & (n - 1)));
        }
        d = r;
    }
};

// 66 0F 3A 0F PALIGNR (0F 3A 0F on MMX): dst:src shifted right by imm8 bytes.
struct Palignr {
    static constexpr unsigned kMem = 16;
    template <class R> static void run(Cpu&, R& d, const R& s, u8 imm) {
        constexpr unsigned n = sizeof(R);
        u8 both[2 * n];
        std::memcpy(both, &s, n);
        std::memcpy(both + n, &d, n);
        R r;
        for (unsigned k = 0; k < n; ++k) set_lane<u8>(r, k, imm + k < 2 * n ? both[imm + k] : u8(0));
        d = r;
    }
};

// 66 0F 38 01/02/03 PHADDW/PHADDD/PHADDSW, 05/06/07 PHSUBW/PHSUBD/PHSUBSW: each
// result element from an adjacent pair, the destination's pairs first.
template <class T, auto F> struct Horizontal {
    static constexpr unsigned kMem = 16;
    template <class R> static void run(Cpu&, R& d, const R& s, u8) {
        constexpr unsigned half = kLanes<T, R> / 2;
        R r;
        for (unsigned k = 0; k < half; ++k) {
            set_lane<T>(r, k, static_cast<T>(F(lane<T>(d, 2 * k), lane<T>(d, 2 * k + 1))));
            set_lane<T>(r, half + k, static_cast<T>(F(lane<T>(s, 2 * k), lane<T>(s, 2 * k + 1))));
        }
        d = r;
    }
};

// 66 0F 38 04 PMADDUBSW: unsigned bytes of dst times signed bytes of src, pairs
// added into signed-saturated words.
struct Pmaddubsw {
    static constexpr unsigned kMem = 16;
    template <class R> static void run(Cpu&, R& d, const R& s, u8) {
        R r;
        for (unsigned k = 0; k < kLanes<u16, R>; ++k) {
            const i32 v = lane<u8>(d, 2 * k) * lane<i8>(s, 2 * k) + lane<u8>(d, 2 * k + 1) * lane<i8>(s, 2 * k + 1);
            set_lane<i16>(r, k, sat<i16>(v));
        }
        d = r;
    }
};

// 66 0F 38 0B PMULHRSW: (a * b >> 14) + 1 >> 1, per signed word.
constexpr auto kMulhrs = [](i16 a, i16 b) { return static_cast<i16>(((i32(a) * b >> 14) + 1) >> 1); };
// 66 0F 38 08/09/0A PSIGNB/W/D: dst negated, zeroed or kept by the sign of src.
template <class T> constexpr auto kSign = [](T a, T b) {
    using U = std::make_unsigned_t<T>;
    return b < 0 ? static_cast<T>(U(0) - U(a)) : b == 0 ? T(0) : a;
};
// 66 0F 38 1C/1D/1E PABSB/W/D: |src| (as unsigned: |-128| is 80h).
template <class T> constexpr auto kAbs = [](T, T b) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(b < 0 ? U(0) - U(b) : U(b));
};

// ---- SSE4.1 ----------------------------------------------------------------------
// 66 0F 38 17 PTEST: ZF = (dst AND src) = 0, CF = (src AND NOT dst) = 0; AF OF PF SF cleared.
struct Ptest {
    static constexpr unsigned kMem = 16;
    static void run(Cpu& c, Xmm& d, const Xmm& s, u8) {
        const bool zf = !((d.lo & s.lo) | (d.hi & s.hi)), cf = !((~d.lo & s.lo) | (~d.hi & s.hi));
        c.s.rflags = (c.s.rflags & ~fl::ARITH) | (zf ? fl::ZF : 0) | (cf ? fl::CF : 0);
    }
};

// 66 0F 38 41 PHMINPOSUW: the smallest unsigned word and its (lowest) index.
struct Phminposuw {
    static constexpr unsigned kMem = 16;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8) {
        unsigned at = 0;
        for (unsigned k = 1; k < 8; ++k)
            if (lane<u16>(s, k) < lane<u16>(s, at)) at = k;
        d = Xmm{lane<u16>(s, at) | (u64(at) << 16), 0};
    }
};

// 66 0F 3A 42 MPSADBW: eight sums of absolute differences of 4-byte groups:
// dst bytes from offset imm8[2]*4 (sliding), src bytes at imm8[1:0]*4.
struct Mpsadbw {
    static constexpr unsigned kMem = 16;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8 imm) {
        const unsigned so = (imm & 3) * 4, dof = ((imm >> 2) & 1) * 4;
        Xmm r;
        for (unsigned k = 0; k < 8; ++k) {
            unsigned sum = 0;
            for (unsigned j = 0; j < 4; ++j) sum += std::abs(int(lane<u8>(d, dof + k + j)) - int(lane<u8>(s, so + j)));
            set_lane<u16>(r, k, static_cast<u16>(sum));
        }
        d = r;
    }
};

// 66 0F 3A 0E PBLENDW: word k from src when imm8 bit k is set.
struct Pblendw {
    static constexpr unsigned kMem = 16;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8 imm) {
        for (unsigned k = 0; k < 8; ++k)
            if ((imm >> k) & 1) set_lane<u16>(d, k, lane<u16>(s, k));
    }
};
// 66 0F 38 10 PBLENDVB xmm, xmm/m128, <XMM0>: byte k from src when byte k of XMM0 has its top bit set.
struct Pblendvb {
    static constexpr unsigned kMem = 16;
    static void run(Cpu& c, Xmm& d, const Xmm& s, u8) {
        const Xmm m = c.s.xmm[0];
        for (unsigned k = 0; k < 16; ++k)
            if (lane<u8>(m, k) & 0x80) set_lane<u8>(d, k, lane<u8>(s, k));
    }
};

// 66 0F 38 20-25 PMOVSXBW/BD/BQ/WD/WQ/DQ, 30-35 PMOVZX: the low elements of the
// source widened; the memory form reads only what it needs.
template <class From, class To> struct Extend {
    static constexpr unsigned kMem = 16 / (sizeof(To) / sizeof(From));
    static void run(Cpu&, Xmm& d, const Xmm& s, u8) {
        Xmm r;
        for (unsigned k = 0; k < kLanes<To, Xmm>; ++k) set_lane<To>(r, k, static_cast<To>(lane<From>(s, k)));
        d = r;
    }
};

// 66 0F 3A 20 PINSRB xmm, r32/m8; 66 0F 3A 22 PINSRD/PINSRQ xmm, r/m32|r/m64, imm8.
template <class T> struct Insert {
    static constexpr unsigned kMem = sizeof(T);
    static void run(Cpu&, Xmm& d, const Xmm& s, u8 imm) { set_lane<T>(d, imm % kLanes<T, Xmm>, static_cast<T>(s.lo)); }
};
template <class T> bool build_pinsr(Insn& i, const Decoded& d) {
    if (d.count() != 3 || !is_xmm(d, 0)) return false;
    if (is_gpr(d, 1, sizeof(T) == 8 ? 8 : 4)) i.fn = OP_Vx_Wx<Insert<T>, Src::Gpr, sizeof(T) == 8 ? 8 : 4, false>;
    else if (is_mem(d, 1, sizeof(T))) i.fn = OP_Vx_Wx<Insert<T>, Src::Mem, sizeof(T), false>;
    else return false;
    i.cycles = cost(Cls::SseInt, d);
    return true;
}
// PINSRD and PINSRQ share a mnemonic in some decoders; Zydis names them apart.

// 66 0F 3A 14 PEXTRB r32/m8, 15 PEXTRW r32/m16, 16 PEXTRD/PEXTRQ r/m32|r/m64,
// 17 EXTRACTPS r/m32, xmm, imm8: element imm8 (modulo the count), to memory or
// zero-extended into the general register. (66 0F C5 PEXTRW r32 and its MMX
// form are also handled here.)
template <class T> struct Extract {
    static constexpr unsigned kMem = 0;
    template <class G, class R> static G run(Cpu&, const R& s, u8 imm) { return lane<T>(s, imm % kLanes<T, R>); }
};
template <class T> void EXTRACT_M_Vx(Cpu& c, const Insn& i) {
    const T v = lane<T>(c.s.xmm[i.r1], static_cast<u8>(i.imm) % kLanes<T, Xmm>);
    c.write<T>(ea(c, i), v);
    next(c, i);
}
template <class T> bool build_extract(Insn& i, const Decoded& d) {
    if (d.count() != 3) return false;
    if (d.kind(0) == K::M) {
        if (!is_mem(d, 0, sizeof(T)) || !is_xmm(d, 1)) return false;
        i.fn = EXTRACT_M_Vx<T>;
        i.cycles = cost(Cls::SseMove, d);
        return true;
    }
    return build_gw<Extract<T>, Cls::SseInt>(i, d);
}

const BuilderEntry kBuilders[] = {
    // SSSE3 (66 0F 38 xx, and 0F 38 xx on MMX)
    {ZYDIS_MNEMONIC_PSHUFB, build_vw<Pshufb, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PALIGNR, build_vw<Palignr, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PHADDW, build_vw<Horizontal<u16, [](u16 a, u16 b) { return a + b; }>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_PHADDD, build_vw<Horizontal<u32, [](u32 a, u32 b) { return a + b; }>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_PHADDSW, build_vw<Horizontal<i16, [](i16 a, i16 b) { return sat<i16>(a + b); }>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_PHSUBW, build_vw<Horizontal<u16, [](u16 a, u16 b) { return a - b; }>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_PHSUBD, build_vw<Horizontal<u32, [](u32 a, u32 b) { return a - b; }>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_PHSUBSW, build_vw<Horizontal<i16, [](i16 a, i16 b) { return sat<i16>(a - b); }>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_PMADDUBSW, build_vw<Pmaddubsw, Cls::SseMul>},
    {ZYDIS_MNEMONIC_PMULHRSW, build_vw<Lanewise<i16, kMulhrs>, Cls::SseMul>},
    {ZYDIS_MNEMONIC_PSIGNB, build_vw<Lanewise<i8, kSign<i8>>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSIGNW, build_vw<Lanewise<i16, kSign<i16>>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSIGND, build_vw<Lanewise<i32, kSign<i32>>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PABSB, build_vw<Lanewise<i8, kAbs<i8>>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PABSW, build_vw<Lanewise<i16, kAbs<i16>>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PABSD, build_vw<Lanewise<i32, kAbs<i32>>, Cls::SseInt>},
    // SSE4.1 (66 0F 38 xx / 66 0F 3A xx)
    {ZYDIS_MNEMONIC_PMULDQ, build_vw<Lanewise<u64, [](u64 a, u64 b) { return u64(i64(i32(a)) * i32(b)); }>, Cls::SseMul>},
    {ZYDIS_MNEMONIC_PMULLD, build_vw<Lanewise<u32, [](u32 a, u32 b) { return a * b; }>, Cls::SseMul>},
    {ZYDIS_MNEMONIC_PMINSB, build_vw<Lanewise<i8, [](i8 a, i8 b) { return std::min(a, b); }>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMAXSB, build_vw<Lanewise<i8, [](i8 a, i8 b) { return std::max(a, b); }>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMINUW, build_vw<Lanewise<u16, [](u16 a, u16 b) { return std::min(a, b); }>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMAXUW, build_vw<Lanewise<u16, [](u16 a, u16 b) { return std::max(a, b); }>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMINSD, build_vw<Lanewise<i32, [](i32 a, i32 b) { return std::min(a, b); }>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMAXSD, build_vw<Lanewise<i32, [](i32 a, i32 b) { return std::max(a, b); }>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMINUD, build_vw<Lanewise<u32, [](u32 a, u32 b) { return std::min(a, b); }>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMAXUD, build_vw<Lanewise<u32, [](u32 a, u32 b) { return std::max(a, b); }>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PCMPEQQ, build_vw<Lanewise<u64, [](u64 a, u64 b) { return a == b ? ~0ull : 0ull; }>, Cls::SseInt>},
    // 66 0F 38 37 PCMPGTQ (SSE4.2)
    {ZYDIS_MNEMONIC_PCMPGTQ, build_vw<Lanewise<i64, [](i64 a, i64 b) { return (a > b) ? i64(-1) : i64(0); }>, Cls::SseCmp>},
    {ZYDIS_MNEMONIC_PTEST, build_vw<Ptest, Cls::SseLogic>},
    {ZYDIS_MNEMONIC_PHMINPOSUW, build_vw<Phminposuw, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_MPSADBW, build_vw<Mpsadbw, Cls::SseMul>},
    {ZYDIS_MNEMONIC_PBLENDW, build_vw<Pblendw, Cls::SseLogic>},
    {ZYDIS_MNEMONIC_PBLENDVB, build_vw<Pblendvb, Cls::SseLogic>},
    {ZYDIS_MNEMONIC_PMOVSXBW, build_vw<Extend<i8, i16>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVSXBD, build_vw<Extend<i8, i32>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVSXBQ, build_vw<Extend<i8, i64>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVSXWD, build_vw<Extend<i16, i32>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVSXWQ, build_vw<Extend<i16, i64>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVSXDQ, build_vw<Extend<i32, i64>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVZXBW, build_vw<Extend<u8, u16>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVZXBD, build_vw<Extend<u8, u32>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVZXBQ, build_vw<Extend<u8, u64>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVZXWD, build_vw<Extend<u16, u32>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVZXWQ, build_vw<Extend<u16, u64>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMOVZXDQ, build_vw<Extend<u32, u64>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PINSRB, build_pinsr<u8>},
    {ZYDIS_MNEMONIC_PINSRD, build_pinsr<u32>},
    {ZYDIS_MNEMONIC_PINSRQ, build_pinsr<u64>},
    {ZYDIS_MNEMONIC_PEXTRB, build_extract<u8>},
    {ZYDIS_MNEMONIC_PEXTRW, build_extract<u16>},
    {ZYDIS_MNEMONIC_PEXTRD, build_extract<u32>},
    {ZYDIS_MNEMONIC_PEXTRQ, build_extract<u64>},
    {ZYDIS_MNEMONIC_EXTRACTPS, build_extract<u32>},
};

}  // namespace

std::span<const BuilderEntry> int4_builders() { return kBuilders; }

}  // namespace sy::sse
