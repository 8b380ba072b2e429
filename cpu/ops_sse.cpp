// SSE, SSE2, SSE3, SSE4.1 and MMX data movement and MXCSR state management
// (SDM Vol. 1, 9.4.1, 10.4.1, 10.4.6, 11.4.1.1, 11.4.4, 12.3.3, 12.8.8; Vol. 2
// per instruction), EMMS (9.6.4), and the builder list of the whole group: the
// arithmetic lives in sse_float.cpp, the packed integer instructions in
// sse_int.cpp and sse_int4.cpp, the SSE4.2 string and CRC32 instructions in
// sse_string.cpp, the shared operand shapes in sse_exec.h.
#include <cstring>
#include <vector>

#include "sse_exec.h"

namespace sy {
namespace sse {
namespace {

// ---- Register and load forms (Vx, Wx) ------------------------------------------
// 0F 28/10 MOVAPS/MOVUPS, 66 0F 28/10 MOVAPD/MOVUPD, 66/F3 0F 6F MOVDQA/MOVDQU
// (and their 29/11/7F register-to-register encodings): the whole register.
// (0F 6F/7F MOVQ mm, mm on MMX.)
struct Copy {
    static constexpr unsigned kMem = 16;
    template <class R> static void run(Cpu&, R& d, const R& s, u8) { d = s; }
};
// 66 0F 6E MOVD xmm, r/m32; 66 REX.W 0F 6E / F3 0F 7E / 66 0F D6 MOVQ xmm, r/m64|xmm;
// F3 0F 10 MOVSS xmm, m32; F2 0F 10 MOVSD xmm, m64: the low N bytes, the rest
// zeroed. (0F 6E MOVD/MOVQ mm, r/m32|r/m64 on MMX.)
template <unsigned N> struct ZeroExtend {
    static constexpr unsigned kMem = N;
    template <class R> static void run(Cpu&, R& d, const R& s, u8) {
        if constexpr (sizeof(R) == 8) d = R{N == 4 ? s.lo & 0xFFFFFFFF : s.lo};
        else d = R{N == 4 ? s.lo & 0xFFFFFFFF : s.lo, 0};
    }
};
// F3 0F 10 MOVSS xmm, xmm; F2 0F 10 MOVSD xmm, xmm; 0F 12 MOVLPS / 66 0F 12 MOVLPD
// xmm, m64: the low N bytes replaced, the rest kept.
template <unsigned N> struct MergeLow {
    static constexpr unsigned kMem = N;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8) {
        d.lo = N == 4 ? (d.lo & ~0xFFFFFFFFull) | (s.lo & 0xFFFFFFFF) : s.lo;
    }
};
// 0F 16 MOVHPS / 66 0F 16 MOVHPD xmm, m64; 0F 16 MOVLHPS xmm, xmm: high quadword
// from the low quadword of the source.
struct LowToHigh {
    static constexpr unsigned kMem = 8;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8) { d.hi = s.lo; }
};
// 0F 12 MOVHLPS xmm, xmm: low quadword from the high quadword of the source.
struct HighToLow {
    static constexpr unsigned kMem = 0;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8) { d.lo = s.hi; }
};

// ---- To general registers (Gy, Ux) ---------------------------------------------
// 66 0F 7E MOVD r32, xmm; 66 REX.W 0F 7E MOVQ r64, xmm
// (0F 7E MOVD r32, mm; REX.W MOVQ r64, mm on MMX.)
struct LowBits {
    static constexpr unsigned kMem = 0;
    template <class T, class R> static T run(Cpu&, const R& s, u8) { return static_cast<T>(s.lo); }
};
// 0F 50 MOVMSKPS r32, xmm; 66 0F 50 MOVMSKPD: the sign bit of each element.
struct Movmskps {
    static constexpr unsigned kMem = 0;
    template <class T> static T run(Cpu&, const Xmm& s, u8) { return static_cast<u32>(_mm_movemask_ps(_mm_castsi128_ps(vec(s)))); }
};
struct Movmskpd {
    static constexpr unsigned kMem = 0;
    template <class T> static T run(Cpu&, const Xmm& s, u8) { return static_cast<u32>(_mm_movemask_pd(_mm_castsi128_pd(vec(s)))); }
};

// ---- Stores (Mx, Vx) --------------------------------------------------------------
// Bytes of the register (the high quadword when High) to memory. 16-byte stores
// of the aligned forms (MOVAPS/MOVAPD/MOVDQA, MOVNTPS/MOVNTPD/MOVNTDQ) fault
// with #GP(0) when misaligned; non-temporal hints have no architectural effect.
template <unsigned Bytes, bool Align, bool High> void STORE_Mx_Vx(Cpu& c, const Insn& i) {
    const Xmm v = c.s.xmm[i.r1];
    u64 a = checked_ea(c, i, Align);
    if constexpr (Bytes == 16) {
        c.check_write(a, 16);
        c.write<u64>(a, v.lo);
        c.write<u64>(a + 8, v.hi);
    } else if constexpr (Bytes == 8) {
        c.write<u64>(a, High ? v.hi : v.lo);
    } else {
        c.write<u32>(a, static_cast<u32>(v.lo));
    }
    next(c, i);
}

// 0F C3 MOVNTI m32/m64, r32/r64
template <class T> void MOVNTI_My_Gy(Cpu& c, const Insn& i) {
    c.write<T>(ea(c, i), getr<T>(c, i.r1));
    next(c, i);
}

// A store form: memory destination of `bytes`, XMM source.
template <unsigned Bytes, bool Align, bool High = false> bool build_store(Insn& i, const Decoded& d) {
    if (!is_mem(d, 0, Bytes) || !is_xmm(d, 1)) return false;
    i.fn = STORE_Mx_Vx<Bytes, Align, High>;
    i.cycles = cost(Cls::SseMove, d);
    return true;
}

// MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU: load, store or register copy.
template <bool Align> bool build_mov128(Insn& i, const Decoded& d) {
    if (d.count() == 2 && d.kind(0) == K::M) return build_store<16, Align>(i, d);
    return build_vw<Copy, Cls::SseMove, Align>(i, d);
}

// ---- MMX moves ------------------------------------------------------------------
// 0F 7E MOVD r/m32, mm; 0F 7F MOVQ mm/m64, mm; 0F E7 MOVNTQ m64, mm (to memory):
// an MMX instruction like any other (pending #MF, then TOP = 0 and valid tags).
// A store that faults has already set TOP to 0, but not the tags (measured).
template <unsigned Bytes> void STORE_M_Pq(Cpu& c, const Insn& i) {
    if (!x87::fpu_ready(c)) return;
    X87& f = c.s.fpu;
    const u64 v = f.r[i.r1 & 7].sig;
    f.set_top(0);
    if constexpr (Bytes == 8) c.write<u64>(ea(c, i), v);
    else c.write<u32>(ea(c, i), static_cast<u32>(v));
    x87::enter_mmx(f);
    next(c, i);
}
// F3 0F D6 MOVQ2DQ xmm, mm: the MMX value, zero-extended.
void MOVQ2DQ_Vdq_Nq(Cpu& c, const Insn& i) {
    if (!x87::fpu_ready(c)) return;
    X87& f = c.s.fpu;
    c.s.xmm[i.r0] = Xmm{f.r[i.r1 & 7].sig, 0};
    x87::enter_mmx(f);
    next(c, i);
}
// F2 0F D6 MOVDQ2Q mm, xmm: the low quadword.
void MOVDQ2Q_Pq_Uq(Cpu& c, const Insn& i) {
    if (!x87::fpu_ready(c)) return;
    X87& f = c.s.fpu;
    const u64 v = c.s.xmm[i.r1].lo;
    x87::enter_mmx(f);
    x87::write_mm(f, i.r0, v);
    next(c, i);
}
// 0F 77 EMMS: every tag empty, so that x87 code finds a free stack (SDM Vol. 1,
// 9.6.4); TOP becomes 0 as with every MMX instruction (measured).
void EMMS(Cpu& c, const Insn& i) {
    if (!x87::fpu_ready(c)) return;
    c.s.fpu.set_top(0);
    c.s.fpu.ftw = 0;
    next(c, i);
}

// MOVD and MOVQ on MMX registers: loads into mm, stores and moves from mm.
bool build_movd_movq_mmx(Insn& i, const Decoded& d) {
    if (is_mmx(d, 0)) {
        if (is_gpr(d, 1, 4)) i.fn = OP_Pq_Qq<ZeroExtend<4>, Src::Gpr, 4>;
        else if (is_gpr(d, 1, 8)) i.fn = OP_Pq_Qq<ZeroExtend<8>, Src::Gpr, 8>;
        else if (is_mem(d, 1, 4)) i.fn = OP_Pq_Qq<ZeroExtend<4>, Src::Mem, 4>;
        else if (is_mem(d, 1, 8)) i.fn = OP_Pq_Qq<ZeroExtend<8>, Src::Mem, 8>;
        else if (is_mmx(d, 1)) i.fn = OP_Pq_Qq<Copy, Src::Mmx, 8>;
        else return false;
    } else if (is_mmx(d, 1)) {
        if (is_gpr(d, 0, 4)) i.fn = OP_Gy_Nq<LowBits, u32>;
        else if (is_gpr(d, 0, 8)) i.fn = OP_Gy_Nq<LowBits, u64>;
        else if (is_mem(d, 0, 4)) i.fn = STORE_M_Pq<4>;
        else if (is_mem(d, 0, 8)) i.fn = STORE_M_Pq<8>;
        else return false;
    } else {
        return false;
    }
    i.cycles = cost(Cls::SseMove, d);
    return true;
}

// MOVD and MOVQ in all their forms.
bool build_movd_movq(Insn& i, const Decoded& d) {
    if (d.count() != 2) return false;
    if (is_mmx(d, 0) || is_mmx(d, 1)) return build_movd_movq_mmx(i, d);
    if (is_xmm(d, 0)) {
        if (is_gpr(d, 1, 4)) i.fn = OP_Vx_Wx<ZeroExtend<4>, Src::Gpr, 4, false>;
        else if (is_gpr(d, 1, 8)) i.fn = OP_Vx_Wx<ZeroExtend<8>, Src::Gpr, 8, false>;
        else if (is_mem(d, 1, 4)) i.fn = OP_Vx_Wx<ZeroExtend<4>, Src::Mem, 4, false>;
        else if (is_mem(d, 1, 8)) i.fn = OP_Vx_Wx<ZeroExtend<8>, Src::Mem, 8, false>;
        else if (is_xmm(d, 1)) i.fn = OP_Vx_Wx<ZeroExtend<8>, Src::Xmm, 16, false>;
        else return false;
    } else if (is_xmm(d, 1)) {
        if (is_gpr(d, 0, 4)) i.fn = OP_Gy_Wx<LowBits, u32, Src::Xmm, 16>;
        else if (is_gpr(d, 0, 8)) i.fn = OP_Gy_Wx<LowBits, u64, Src::Xmm, 16>;
        else if (is_mem(d, 0, 4)) i.fn = STORE_Mx_Vx<4, false, false>;
        else if (is_mem(d, 0, 8)) i.fn = STORE_Mx_Vx<8, false, false>;
        else return false;
    } else {
        return false;
    }
    i.cycles = cost(Cls::SseMove, d);
    return true;
}

// MOVSS (N = 4) and MOVSD (N = 8): the register form merges, the load zeroes.
template <unsigned N> bool build_movs(Insn& i, const Decoded& d) {
    if (d.count() != 2) return false;
    if (d.kind(0) == K::M) return build_store<N, false>(i, d);
    if (!is_xmm(d, 0)) return false;
    if (is_xmm(d, 1)) i.fn = OP_Vx_Wx<MergeLow<N>, Src::Xmm, 16, false>;
    else if (is_mem(d, 1, N)) i.fn = OP_Vx_Wx<ZeroExtend<N>, Src::Mem, N, false>;
    else return false;
    i.cycles = cost(Cls::SseMove, d);
    return true;
}

// MOVLPS/MOVLPD (Op = MergeLow<8>) and MOVHPS/MOVHPD (Op = LowToHigh): memory only.
template <class Op, bool High> bool build_movlh(Insn& i, const Decoded& d) {
    if (d.count() != 2) return false;
    if (d.kind(0) == K::M) return build_store<8, false, High>(i, d);
    if (d.kind(1) != K::M) return false;
    return build_vw<Op, Cls::SseMove>(i, d);
}

bool build_movnti(Insn& i, const Decoded& d) {
    if (d.count() != 2 || d.kind(0) != K::M) return false;
    if (is_gpr(d, 1, 4)) i.fn = MOVNTI_My_Gy<u32>;
    else if (is_gpr(d, 1, 8)) i.fn = MOVNTI_My_Gy<u64>;
    else return false;
    i.cycles = cost(Cls::Mov, d);
    return true;
}

// 66 0F F7 /r MASKMOVDQU xmm1, xmm2: the bytes of xmm1 whose mask byte in xmm2
// has its top bit set go to DS:[RDI] (segment overridable). Every selected byte is
// checked before the first is written; unselected bytes are not accessed.
void MASKMOVDQU_Vdq_Udq(Cpu& c, const Insn& i) {
    u8 data[16], mask[16];
    std::memcpy(data, &c.s.xmm[i.r0], 16);
    std::memcpy(mask, &c.s.xmm[i.r1], 16);
    u64 a = ea(c, i);
    for (unsigned k = 0; k < 16; ++k)
        if (mask[k] & 0x80) c.check_write(a + k, 1);
    for (unsigned k = 0; k < 16; ++k)
        if (mask[k] & 0x80) c.write<u8>(a + k, data[k]);
    next(c, i);
}
// The implicit [rDI] operand of MASKMOVDQU and MASKMOVQ, as decode_one() forms
// the visible ones.
bool build_maskmovdqu_address(Insn& i, const Decoded& d) {
    if (d.in.operand_count < 3) return false;
    const ZydisDecodedOperand& m = d.op[2];
    if (m.type != ZYDIS_OPERAND_TYPE_MEMORY) return false;
    i.base = static_cast<u8>(ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, m.mem.base) - ZYDIS_REGISTER_RAX);
    i.index = ZERO_REG;
    i.disp = 0;
    // As decode_one() does for visible operands: in 64-bit mode only FS and GS have a base.
    if (m.mem.segment >= ZYDIS_REGISTER_ES && m.mem.segment <= ZYDIS_REGISTER_GS) {
        u8 sg = static_cast<u8>(m.mem.segment - ZYDIS_REGISTER_ES);
        if (!d.long64() || sg == FS || sg == GS) i.seg = sg;
    }
    return true;
}
bool build_maskmovdqu(Insn& i, const Decoded& d) {
    if (d.count() != 2 || !is_xmm(d, 0) || !is_xmm(d, 1) || !build_maskmovdqu_address(i, d)) return false;
    i.fn = MASKMOVDQU_Vdq_Udq;
    i.cycles = cost(Cls::SseMove, d) + timing::kMemOperand;
    return true;
}

// 0F F7 MASKMOVQ mm1, mm2: MASKMOVDQU's byte stores for an MMX register. The
// switch to MMX use comes before a fault of the stores (measured).
void MASKMOVQ_Pq_Nq(Cpu& c, const Insn& i) {
    if (!x87::fpu_ready(c)) return;
    X87& f = c.s.fpu;
    x87::enter_mmx(f);
    u8 data[8], mask[8];
    std::memcpy(data, &f.r[i.r0 & 7].sig, 8);
    std::memcpy(mask, &f.r[i.r1 & 7].sig, 8);
    u64 a = ea(c, i);
    for (unsigned k = 0; k < 8; ++k)
        if (mask[k] & 0x80) c.check_write(a + k, 1);
    for (unsigned k = 0; k < 8; ++k)
        if (mask[k] & 0x80) c.write<u8>(a + k, data[k]);
    next(c, i);
}
bool build_maskmovq(Insn& i, const Decoded& d) {
    if (d.count() != 2 || !is_mmx(d, 0) || !is_mmx(d, 1)) return false;
    // The implicit [rDI] operand is located as MASKMOVDQU's.
    if (!build_maskmovdqu_address(i, d)) return false;
    i.fn = MASKMOVQ_Pq_Nq;
    i.cycles = cost(Cls::SseMove, d) + timing::kMemOperand;
    return true;
}
bool build_movntq(Insn& i, const Decoded& d) {
    if (d.count() != 2 || !is_mem(d, 0, 8) || !is_mmx(d, 1)) return false;
    i.fn = STORE_M_Pq<8>;
    i.cycles = cost(Cls::SseMove, d);
    return true;
}
template <Handler H> bool build_xmm_mmx(Insn& i, const Decoded& d) {
    if (d.count() != 2) return false;
    if (!((is_xmm(d, 0) && is_mmx(d, 1)) || (is_mmx(d, 0) && is_xmm(d, 1)))) return false;
    i.fn = H;
    i.cycles = cost(Cls::SseMove, d);
    return true;
}
// F2 0F F0 LDDQU xmm, m128 (unaligned); 66 0F 38 2A MOVNTDQA xmm, m128 (aligned).
template <bool Align> bool build_load128(Insn& i, const Decoded& d) {
    if (d.count() != 2 || d.kind(1) != K::M) return false;
    return build_vw<Copy, Cls::SseMove, Align>(i, d);
}

// ---- MXCSR ------------------------------------------------------------------------
// 0F AE /2 LDMXCSR m32: #GP(0) when a reserved bit (31:16) is set (SDM Vol. 2A, LDMXCSR).
void LDMXCSR_Md(Cpu& c, const Insn& i) {
    u32 v = c.read<u32>(ea(c, i));
    if (v & mx::RESERVED) raise(GP, 0);
    c.s.mxcsr = v;
    next(c, i);
}
// 0F AE /3 STMXCSR m32
void STMXCSR_Md(Cpu& c, const Insn& i) {
    c.write<u32>(ea(c, i), c.s.mxcsr);
    next(c, i);
}
template <Handler H> bool build_mxcsr(Insn& i, const Decoded& d) {
    if (d.count() != 1 || !is_mem(d, 0, 4)) return false;
    i.fn = H;
    i.cycles = cost(Cls::SseMove, d);
    return true;
}

const BuilderEntry kMoveBuilders[] = {
    {ZYDIS_MNEMONIC_MOVAPS, build_mov128<true>},
    {ZYDIS_MNEMONIC_MOVAPD, build_mov128<true>},
    {ZYDIS_MNEMONIC_MOVDQA, build_mov128<true>},
    {ZYDIS_MNEMONIC_MOVUPS, build_mov128<false>},
    {ZYDIS_MNEMONIC_MOVUPD, build_mov128<false>},
    {ZYDIS_MNEMONIC_MOVDQU, build_mov128<false>},
    {ZYDIS_MNEMONIC_MOVD, build_movd_movq},
    {ZYDIS_MNEMONIC_MOVQ, build_movd_movq},
    {ZYDIS_MNEMONIC_MOVSS, build_movs<4>},
    {ZYDIS_MNEMONIC_MOVLPS, build_movlh<MergeLow<8>, false>},
    {ZYDIS_MNEMONIC_MOVLPD, build_movlh<MergeLow<8>, false>},
    {ZYDIS_MNEMONIC_MOVHPS, build_movlh<LowToHigh, true>},
    {ZYDIS_MNEMONIC_MOVHPD, build_movlh<LowToHigh, true>},
    {ZYDIS_MNEMONIC_MOVLHPS, build_vw<LowToHigh, Cls::SseMove>},
    {ZYDIS_MNEMONIC_MOVHLPS, build_vw<HighToLow, Cls::SseMove>},
    {ZYDIS_MNEMONIC_MOVMSKPS, build_gw<Movmskps, Cls::SseMove>},
    {ZYDIS_MNEMONIC_MOVMSKPD, build_gw<Movmskpd, Cls::SseMove>},
    // 0F 2B MOVNTPS, 66 0F 2B MOVNTPD, 66 0F E7 MOVNTDQ m128, xmm
    {ZYDIS_MNEMONIC_MOVNTPS, build_store<16, true>},
    {ZYDIS_MNEMONIC_MOVNTPD, build_store<16, true>},
    {ZYDIS_MNEMONIC_MOVNTDQ, build_store<16, true>},
    {ZYDIS_MNEMONIC_MOVNTI, build_movnti},
    {ZYDIS_MNEMONIC_MASKMOVDQU, build_maskmovdqu},
    {ZYDIS_MNEMONIC_MASKMOVQ, build_maskmovq},
    {ZYDIS_MNEMONIC_MOVNTQ, build_movntq},
    {ZYDIS_MNEMONIC_MOVQ2DQ, build_xmm_mmx<MOVQ2DQ_Vdq_Nq>},
    {ZYDIS_MNEMONIC_MOVDQ2Q, build_xmm_mmx<MOVDQ2Q_Pq_Uq>},
    {ZYDIS_MNEMONIC_EMMS, simple<EMMS, Cls::SseMove>},
    {ZYDIS_MNEMONIC_LDDQU, build_load128<false>},
    {ZYDIS_MNEMONIC_MOVNTDQA, build_load128<true>},
    {ZYDIS_MNEMONIC_LDMXCSR, build_mxcsr<LDMXCSR_Md>},
    {ZYDIS_MNEMONIC_STMXCSR, build_mxcsr<STMXCSR_Md>},
};

std::vector<BuilderEntry> all_builders() {
    std::vector<BuilderEntry> v(std::begin(kMoveBuilders), std::end(kMoveBuilders));
    for (auto list : {int_builders(), int4_builders(), float_builders(), sse42_builders()})
        v.insert(v.end(), list.begin(), list.end());
    return v;
}

}  // namespace
}  // namespace sse

std::span<const BuilderEntry> sse_builders() {
    static const std::vector<BuilderEntry> all = sse::all_builders();
    return all;
}

// F2 0F 10/11 MOVSD xmm, xmm/m64 and m64, xmm. ZYDIS_MNEMONIC_MOVSD is registered
// by the string group, which forwards these forms here; likewise CMPSD.
bool build_sse_movsd(Insn& i, const Decoded& d) { return sse::build_movs<8>(i, d); }
bool build_sse_cmpsd(Insn& i, const Decoded& d) { return sse::build_cmpsd(i, d); }

}  // namespace sy
