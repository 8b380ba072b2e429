// SSE2 128-bit integer instructions and their 64-bit MMX forms (SDM Vol. 1,
// 11.4.3 "SSE2 128-bit SIMD integer instructions", 9.4 "MMX instructions" and
// 10.4.4 "SSE 64-bit SIMD integer instructions"; Vol. 2 per instruction). None
// of them touches MXCSR. Each operation is written once for both widths
// (sse_exec.h): lane-wise ones are the SSE2 intrinsic of the same operation,
// run on the MMX value zero-extended; those whose result depends on the
// register width (packs, high unpacks, shuffles, word insert/extract) are
// written out over the lanes. EMMS and the MMX moves are in ops_sse.cpp.
#include "sse_exec.h"

namespace sy::sse {
namespace {

// ---- Shifts ------------------------------------------------------------------
// 66 0F F1/F2/F3, E1/E2, D1/D2/D3 PSLLW/D/Q, PSRAW/D, PSRLW/D/Q xmm, xmm/m128
// 66 0F 71/72/73 /6 /4 /2 ib the same by imm8 (0F ...: mm, mm/m64 and mm, imm8).
// The count is the whole low quadword of the source (or the imm8); past the
// element width logical shifts give 0 and arithmetic ones fill with the sign
// (SDM Vol. 2B, PSLLW/PSRAW/PSRLW).
template <Cls C, class Op> bool build_shift(Insn& i, const Decoded& d) {
    if (d.count() == 2 && is_xmm(d, 0) && d.kind(1) == K::I) {
        i.fn = OP_Vx_Wx<Op, Src::Imm, 1, false>;
        i.cycles = cost(C, d);
        return true;
    }
    return build_vw<Op, C>(i, d);
}

// 66 0F 73 /7 ib PSLLDQ xmm, imm8; 66 0F 73 /3 ib PSRLDQ: whole-register byte
// shifts, counts above 15 clear the register.
template <bool Left> struct ByteShift {
    static constexpr unsigned kMem = 0;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8) {
        unsigned n = static_cast<u8>(s.lo);
        u128 v = (u128(d.hi) << 64) | d.lo;
        v = n > 15 ? 0 : Left ? v << (8 * n) : v >> (8 * n);
        d = Xmm{static_cast<u64>(v), static_cast<u64>(v >> 64)};
    }
};

// ---- Packs and unpacks ---------------------------------------------------------
// 66 0F 63 PACKSSWB; 66 0F 67 PACKUSWB; 66 0F 6B PACKSSDW; 66 0F 38 2B PACKUSDW
// (and 0F 63/67/6B on MMX): the destination's elements, then the source's, each
// narrowed with signed or unsigned saturation.
template <class From, class To> To saturate(From v) {
    using L = std::numeric_limits<To>;
    if (v < static_cast<From>(L::min())) return L::min();
    if (v > static_cast<From>(L::max())) return L::max();
    return static_cast<To>(v);
}
template <class From, class To> struct Pack {
    static constexpr unsigned kMem = 16;
    template <class R> static void run(Cpu&, R& d, const R& s, u8) {
        constexpr unsigned n = kLanes<From, R>;
        R r;
        for (unsigned k = 0; k < n; ++k) {
            set_lane<To>(r, k, saturate<From, To>(lane<From>(d, k)));
            set_lane<To>(r, n + k, saturate<From, To>(lane<From>(s, k)));
        }
        d = r;
    }
};

// 66 0F 60/61/62/6C PUNPCKLBW/WD/DQ/QDQ; 66 0F 68/69/6A/6D PUNPCKHBW/WD/DQ/QDQ
// (0F 60-62, 68-6A on MMX): elements of the low (high) half of each, interleaved.
// The MMX low unpacks read only the 32 bits they use from memory.
template <class T, bool High> struct Unpack {
    static constexpr unsigned kMem = 16;
    static constexpr unsigned kMmxMem = High ? 8 : 4;
    template <class R> static void run(Cpu&, R& d, const R& s, u8) {
        constexpr unsigned half = kLanes<T, R> / 2;
        R r;
        for (unsigned k = 0; k < half; ++k) {
            set_lane<T>(r, 2 * k, lane<T>(d, (High ? half : 0) + k));
            set_lane<T>(r, 2 * k + 1, lane<T>(s, (High ? half : 0) + k));
        }
        d = r;
    }
};

// ---- Shuffles ----------------------------------------------------------------
// 66 0F 70 /r ib PSHUFD xmm, xmm/m128, imm8
struct Pshufd {
    static constexpr unsigned kMem = 16;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8 imm) {
        for (unsigned k = 0; k < 4; ++k) set_lane<u32>(d, k, lane<u32>(s, (imm >> (2 * k)) & 3));
    }
};
// F2 0F 70 /r ib PSHUFLW (Base 0); F3 0F 70 /r ib PSHUFHW (Base 4): shuffle the
// four words of one half, copy the other half. 0F 70 /r ib PSHUFW mm, mm/m64 is
// the same on the whole MMX register (Base 0).
template <unsigned Base> struct PshufWords {
    static constexpr unsigned kMem = 16;
    template <class R>
        requires(sizeof(R) >= 2 * (Base + 4))  // PSHUFHW has no MMX form
    static void run(Cpu&, R& d, const R& s, u8 imm) {
        d = s;
        for (unsigned k = 0; k < 4; ++k) set_lane<u16>(d, Base + k, lane<u16>(s, Base + ((imm >> (2 * k)) & 3)));
    }
};
struct Pshufw : PshufWords<0> {};

// 66 0F C4 /r ib PINSRW xmm, r32/m16, imm8 (0F C4 on MMX): word imm8 (modulo the
// number of words) from the low word of the source.
struct Pinsrw {
    static constexpr unsigned kMem = 2;
    template <class R> static void run(Cpu&, R& d, const R& s, u8 imm) {
        set_lane<u16>(d, imm % kLanes<u16, R>, static_cast<u16>(s.lo));
    }
};
bool build_pinsrw(Insn& i, const Decoded& d) {
    if (d.count() != 3) return false;
    const bool mm = is_mmx(d, 0);
    if (!mm && !is_xmm(d, 0)) return false;
    if (is_gpr(d, 1, 4) || is_gpr(d, 1, 8))
        i.fn = mm ? OP_Pq_Qq<Pinsrw, Src::Gpr, 4> : OP_Vx_Wx<Pinsrw, Src::Gpr, 4, false>;
    else if (is_mem(d, 1, 2))
        i.fn = mm ? OP_Pq_Qq<Pinsrw, Src::Mem, 2> : OP_Vx_Wx<Pinsrw, Src::Mem, 2, false>;
    else return false;
    i.cycles = cost(Cls::SseInt, d);
    return true;
}

// (PEXTRW, in all its forms, is with the SSE4.1 extracts in sse_int4.cpp.)
// 66 0F D7 /r PMOVMSKB r32, xmm (0F D7 on MMX): the sign bit of each byte.
struct Pmovmskb {
    static constexpr unsigned kMem = 0;
    template <class T, class R> static T run(Cpu&, const R& s, u8) { return static_cast<u32>(_mm_movemask_epi8(vec(s))); }
};

const BuilderEntry kBuilders[] = {
    // 66 0F EF PXOR; 66 0F EB POR; 66 0F DB PAND; 66 0F DF PANDN
    {ZYDIS_MNEMONIC_PXOR, build_vw<SY_VEC(_mm_xor_si128), Cls::SseLogic>},
    {ZYDIS_MNEMONIC_POR, build_vw<SY_VEC(_mm_or_si128), Cls::SseLogic>},
    {ZYDIS_MNEMONIC_PAND, build_vw<SY_VEC(_mm_and_si128), Cls::SseLogic>},
    {ZYDIS_MNEMONIC_PANDN, build_vw<SY_VEC(_mm_andnot_si128), Cls::SseLogic>},
    // 66 0F FC/FD/FE/D4 PADDB/W/D/Q; 66 0F F8/F9/FA/FB PSUBB/W/D/Q
    {ZYDIS_MNEMONIC_PADDB, build_vw<SY_VEC(_mm_add_epi8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PADDW, build_vw<SY_VEC(_mm_add_epi16), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PADDD, build_vw<SY_VEC(_mm_add_epi32), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PADDQ, build_vw<SY_VEC(_mm_add_epi64), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSUBB, build_vw<SY_VEC(_mm_sub_epi8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSUBW, build_vw<SY_VEC(_mm_sub_epi16), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSUBD, build_vw<SY_VEC(_mm_sub_epi32), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSUBQ, build_vw<SY_VEC(_mm_sub_epi64), Cls::SseInt>},
    // 66 0F DC/DD PADDUSB/W; 66 0F D8/D9 PSUBUSB/W; 66 0F EC/ED PADDSB/W; 66 0F E8/E9 PSUBSB/W
    {ZYDIS_MNEMONIC_PADDUSB, build_vw<SY_VEC(_mm_adds_epu8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PADDUSW, build_vw<SY_VEC(_mm_adds_epu16), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSUBUSB, build_vw<SY_VEC(_mm_subs_epu8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSUBUSW, build_vw<SY_VEC(_mm_subs_epu16), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PADDSB, build_vw<SY_VEC(_mm_adds_epi8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PADDSW, build_vw<SY_VEC(_mm_adds_epi16), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSUBSB, build_vw<SY_VEC(_mm_subs_epi8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSUBSW, build_vw<SY_VEC(_mm_subs_epi16), Cls::SseInt>},
    // 66 0F 74/75/76 PCMPEQB/W/D; 66 0F 64/65/66 PCMPGTB/W/D
    {ZYDIS_MNEMONIC_PCMPEQB, build_vw<SY_VEC(_mm_cmpeq_epi8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PCMPEQW, build_vw<SY_VEC(_mm_cmpeq_epi16), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PCMPEQD, build_vw<SY_VEC(_mm_cmpeq_epi32), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PCMPGTB, build_vw<SY_VEC(_mm_cmpgt_epi8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PCMPGTW, build_vw<SY_VEC(_mm_cmpgt_epi16), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PCMPGTD, build_vw<SY_VEC(_mm_cmpgt_epi32), Cls::SseInt>},
    // 66 0F D5 PMULLW; 66 0F E5 PMULHW; 66 0F E4 PMULHUW; 66 0F F4 PMULUDQ; 66 0F F5 PMADDWD
    {ZYDIS_MNEMONIC_PMULLW, build_vw<SY_VEC(_mm_mullo_epi16), Cls::SseMul>},
    {ZYDIS_MNEMONIC_PMULHW, build_vw<SY_VEC(_mm_mulhi_epi16), Cls::SseMul>},
    {ZYDIS_MNEMONIC_PMULHUW, build_vw<SY_VEC(_mm_mulhi_epu16), Cls::SseMul>},
    {ZYDIS_MNEMONIC_PMULUDQ, build_vw<SY_VEC(_mm_mul_epu32), Cls::SseMul>},
    {ZYDIS_MNEMONIC_PMADDWD, build_vw<SY_VEC(_mm_madd_epi16), Cls::SseMul>},
    // 66 0F F6 PSADBW; 66 0F DA/DE PMINUB/PMAXUB; 66 0F EA/EE PMINSW/PMAXSW; 66 0F E0/E3 PAVGB/W
    {ZYDIS_MNEMONIC_PSADBW, build_vw<SY_VEC(_mm_sad_epu8), Cls::SseMul>},
    {ZYDIS_MNEMONIC_PMINUB, build_vw<SY_VEC(_mm_min_epu8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMAXUB, build_vw<SY_VEC(_mm_max_epu8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMINSW, build_vw<SY_VEC(_mm_min_epi16), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PMAXSW, build_vw<SY_VEC(_mm_max_epi16), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PAVGB, build_vw<SY_VEC(_mm_avg_epu8), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PAVGW, build_vw<SY_VEC(_mm_avg_epu16), Cls::SseInt>},
    {ZYDIS_MNEMONIC_PUNPCKLBW, build_vw<Unpack<u8, false>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PUNPCKLWD, build_vw<Unpack<u16, false>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PUNPCKLDQ, build_vw<Unpack<u32, false>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PUNPCKLQDQ, build_vw<Unpack<u64, false>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PUNPCKHBW, build_vw<Unpack<u8, true>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PUNPCKHWD, build_vw<Unpack<u16, true>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PUNPCKHDQ, build_vw<Unpack<u32, true>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PUNPCKHQDQ, build_vw<Unpack<u64, true>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PACKSSWB, build_vw<Pack<i16, i8>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PACKUSWB, build_vw<Pack<i16, u8>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PACKSSDW, build_vw<Pack<i32, i16>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PACKUSDW, build_vw<Pack<i32, u16>, Cls::SseInt>},
    // shifts (see build_shift)
    {ZYDIS_MNEMONIC_PSLLW, build_shift<Cls::SseInt, SY_VEC(_mm_sll_epi16)>},
    {ZYDIS_MNEMONIC_PSLLD, build_shift<Cls::SseInt, SY_VEC(_mm_sll_epi32)>},
    {ZYDIS_MNEMONIC_PSLLQ, build_shift<Cls::SseInt, SY_VEC(_mm_sll_epi64)>},
    {ZYDIS_MNEMONIC_PSRLW, build_shift<Cls::SseInt, SY_VEC(_mm_srl_epi16)>},
    {ZYDIS_MNEMONIC_PSRLD, build_shift<Cls::SseInt, SY_VEC(_mm_srl_epi32)>},
    {ZYDIS_MNEMONIC_PSRLQ, build_shift<Cls::SseInt, SY_VEC(_mm_srl_epi64)>},
    {ZYDIS_MNEMONIC_PSRAW, build_shift<Cls::SseInt, SY_VEC(_mm_sra_epi16)>},
    {ZYDIS_MNEMONIC_PSRAD, build_shift<Cls::SseInt, SY_VEC(_mm_sra_epi32)>},
    {ZYDIS_MNEMONIC_PSLLDQ, build_shift<Cls::SseInt, ByteShift<true>>},
    {ZYDIS_MNEMONIC_PSRLDQ, build_shift<Cls::SseInt, ByteShift<false>>},
    // shuffles, word insert/extract, byte mask
    {ZYDIS_MNEMONIC_PSHUFD, build_vw<Pshufd, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSHUFLW, build_vw<PshufWords<0>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSHUFHW, build_vw<PshufWords<4>, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PSHUFW, build_pq<Pshufw, Cls::SseInt>},
    {ZYDIS_MNEMONIC_PINSRW, build_pinsrw},
    {ZYDIS_MNEMONIC_PMOVMSKB, build_gw<Pmovmskb, Cls::SseInt>},
};

}  // namespace

std::span<const BuilderEntry> int_builders() { return kBuilders; }

}  // namespace sy::sse
