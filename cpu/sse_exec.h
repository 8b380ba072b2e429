// Shared machinery of the SSE and MMX handler files (ops_sse.cpp, sse_int.cpp,
// sse_int4.cpp, sse_float.cpp, sse_string.cpp): the operand shapes, resolved at
// decode time into template parameters, and the way a floating-point operation
// runs on the host under the guest's MXCSR (SDM Vol. 1, 10.2.3 "MXCSR control
// and status register" and 11.5 "SSE, SSE2 and SSE3 exceptions").
//
// Operands follow the SDM opcode-map notation (Vol. 2D, A.2): V an XMM register
// in ModRM.reg, W an XMM register or memory in ModRM.r/m, U an XMM register in
// ModRM.r/m, G a general register in ModRM.reg, E a general register or memory.
//
// Every SSE operation is an "op" struct with
//   static void run(Cpu&, Xmm& dst, const Xmm& src, u8 imm)
// (or `template <class T> static T run(Cpu&, const Xmm& src, u8 imm)` when the
// destination is a general register) and `kMem`, the width of its memory operand
// in bytes (0: register operand only). A floating-point op raises #XM from run() before `dst` is written.
#pragma once
#include <immintrin.h>

#include "decode.h"
#include "sse_unbounded.h"
#include "x87.h"

namespace sy::sse {

using timing::Cls;

// An MMX register's value (SDM Vol. 1, 9.2): the significand of the x87
// register of the same number (x87.h mm(), write_mm()).
struct Mmx {
    u64 lo = 0;
};

inline __m128i vec(const Xmm& x) { return _mm_load_si128(reinterpret_cast<const __m128i*>(&x)); }
inline __m128i vec(const Mmx& x) { return _mm_cvtsi64_si128(static_cast<long long>(x.lo)); }  // upper half 0
inline Xmm xmm(__m128i v) {
    Xmm x;
    _mm_store_si128(reinterpret_cast<__m128i*>(&x), v);
    return x;
}
template <class R> inline R from_vec(__m128i v) {
    if constexpr (sizeof(R) == 8) return Mmx{static_cast<u64>(_mm_cvtsi128_si64(v))};
    else return xmm(v);
}
// Lanes of T in a register of type R.
template <class T, class R> inline constexpr unsigned kLanes = sizeof(R) / sizeof(T);

// Element k of type T of a register.
template <class T, class R> inline T lane(const R& x, unsigned k) {
    T v;
    std::memcpy(&v, reinterpret_cast<const u8*>(&x) + k * sizeof(T), sizeof(T));
    return v;
}
template <class T, class R> inline void set_lane(R& x, unsigned k, T v) {
    std::memcpy(reinterpret_cast<u8*>(&x) + k * sizeof(T), &v, sizeof(T));
}

// ---- MXCSR (SDM Vol. 1, 10.2.3, Figure 10-3) ----------------------------------
namespace mx {
constexpr u32 IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, FLAGS = 0x3F;
constexpr u32 DAZ = 1u << 6, MASKS = 0x1F80, MASK_SHIFT = 7, RC = 3u << 13, FZ = 1u << 15;
constexpr u32 PRE_COMPUTATION = IE | DE | ZE;  // SDM Vol. 1, 11.5.2
constexpr u32 RESERVED = 0xFFFF0000;            // LDMXCSR: #GP(0) when any is set
}  // namespace mx

// The MXCSR the host runs a guest operation with: the guest's RC, FTZ and DAZ,
// every exception masked and every flag clear, so the host reports exactly what
// the operation raised.
inline u32 host_csr(const Cpu& c) { return (c.s.mxcsr & (mx::RC | mx::FZ | mx::DAZ)) | mx::MASKS; }

// Folds the flags an operation raised into the guest MXCSR (they are sticky).
// When one of them is unmasked the instruction raises #XM without writing its
// destination (SDM Vol. 1, 11.5.2): an unmasked pre-computation exception (IE,
// DE, ZE) stops before the result is computed, so then only the pre-computation
// flags are recorded; otherwise all raised flags are. (`raised` is already
// corrected for unmasked OE/UE by unbounded_flags().)
inline void commit_flags(Cpu& c, u32 raised) {
    raised &= mx::FLAGS;
    u32 unmasked = raised & ~(c.s.mxcsr >> mx::MASK_SHIFT);
    if (unmasked) {
        if (unmasked & mx::PRE_COMPUTATION) raised &= mx::PRE_COMPUTATION;
        c.s.mxcsr |= raised;
        // Without CR4.OSXMMEXCPT the OS has no #XM handler: #UD instead (SDM Vol. 3A, 2.5 CR4).
        raise((c.sys.cr4 & cr4::OSXMMEXCPT) ? XM : UD);
    }
    c.s.mxcsr |= raised;
}

// One host instruction run under the guest's MXCSR. The whole sequence is one
// asm statement so that the compiler can neither fold the operation nor move it
// across the MXCSR switch. `insn` names its operands %[a] (destination, also
// first source), %[b] (second source) and optionally %[p] (an immediate).
#define SY_UNDER_GUEST_CSR(insn)                 \
    "stmxcsr %[saved]\n\t"                       \
    "ldmxcsr %[csr]\n\t" insn "\n\t"             \
    "stmxcsr %[csr]\n\t"                         \
    "ldmxcsr %[saved]"

// A packed or scalar floating-point op `mnem xmm, xmm/m` executed by the host.
// host() runs it under `csr` and returns the raised flags; `op` and `layout`
// describe it for unbounded_flags() (sse_unbounded.h).
#define SY_FP_OP(Name, mnem, mem_bytes, op, layout)                                             \
    struct Name {                                                                              \
        static constexpr unsigned kMem = mem_bytes;                                            \
        static constexpr ::sy::sse::Fp kOp = op;                                               \
        static constexpr ::sy::sse::Layout kLayout = layout;                                   \
        static u32 host(u32 csr, Xmm& d, const Xmm& s) {                                       \
            __m128i a = ::sy::sse::vec(d), b = ::sy::sse::vec(s);                              \
            u32 saved;                                                                         \
            asm volatile(SY_UNDER_GUEST_CSR(mnem " %[b], %[a]")                                \
                         : [a] "+x"(a), [csr] "+m"(csr), [saved] "=m"(saved)                   \
                         : [b] "x"(b));                                                        \
            d = ::sy::sse::xmm(a);                                                             \
            return csr & ::sy::sse::mx::FLAGS;                                                 \
        }                                                                                      \
        static void run(Cpu& c, Xmm& d, const Xmm& s, u8) {                                    \
            Xmm r = d;                                                                         \
            u32 csr = ::sy::sse::host_csr(c);                                                  \
            u32 raised = host(csr, r, s);                                                      \
            ::sy::sse::commit_flags(                                                           \
                c, ::sy::sse::unbounded_flags(op, layout, c.s.mxcsr, raised, d, s, r, host, csr)); \
            d = r;                                                                             \
        }                                                                                      \
    }

// ---- Operand shapes ------------------------------------------------------------
enum class Src : u8 { Xmm, Mem, Gpr, Imm, Mmx };

// A 16-byte memory operand of a legacy SSE instruction must be 16-byte aligned
// unless the instruction is one of the explicitly unaligned ones (SDM Vol. 1,
// 11.6.8 "Alignment of 128-bit memory operands"; Vol. 2 MOVAPS/ADDPS "#GP(0)").
inline u64 checked_ea(Cpu& c, const Insn& i, bool aligned) {
    u64 a = ea(c, i);
    if (aligned && (a & 15)) raise(GP, 0);
    return a;
}

inline Xmm load_mem(Cpu& c, u64 a, unsigned bytes) {
    switch (bytes) {
        case 2: return Xmm{c.read<u16>(a), 0};
        case 4: return Xmm{c.read<u32>(a), 0};
        case 8: return Xmm{c.read<u64>(a), 0};
        default: {
            Xmm v;
            v.lo = c.read<u64>(a);
            v.hi = c.read<u64>(a + 8);
            return v;
        }
    }
}

// The source operand as an XMM value: a register; `Bytes` of memory, zero-extended;
// a general register (zero-extended from Bytes); or the imm8 (a shift count).
template <Src S, unsigned Bytes, bool Align> inline Xmm source(Cpu& c, const Insn& i) {
    if constexpr (S == Src::Xmm) return c.s.xmm[i.r1];
    else if constexpr (S == Src::Imm) return Xmm{static_cast<u8>(i.imm), 0};
    else if constexpr (S == Src::Gpr) {
        if constexpr (Bytes == 8) return Xmm{getr<u64>(c, i.r1), 0};
        else return Xmm{getr<u32>(c, i.r1), 0};
    } else return load_mem(c, checked_ea(c, i, Align && Bytes == 16), Bytes);
}

// Vx, Wx/Ex/Ib [, Ib]: the result goes to the XMM register of operand 0.
template <class Op, Src S, unsigned Bytes, bool Align> void OP_Vx_Wx(Cpu& c, const Insn& i) {
    Xmm s = source<S, Bytes, Align>(c, i);
    Xmm d = c.s.xmm[i.r0];
    Op::run(c, d, s, static_cast<u8>(i.imm));
    c.s.xmm[i.r0] = d;
    next(c, i);
}

// Gy, Wx [, Ib]: the result goes to a general register (32-bit writes zero-extend).
template <class Op, class T, Src S, unsigned Bytes> void OP_Gy_Wx(Cpu& c, const Insn& i) {
    Xmm s = source<S, Bytes, false>(c, i);
    setr<T>(c, i.r0, Op::template run<T>(c, s, static_cast<u8>(i.imm)));
    next(c, i);
}

// ---- MMX shapes -------------------------------------------------------------------
// Every MMX instruction first services a pending x87 exception (#MF), then
// switches the FPU to MMX use: TOP = 0, every tag valid; a written MMn also gets
// the exponent bits of its x87 register set (SDM Vol. 1, 9.5.1, Table 9-2).
template <Src S, unsigned Bytes> inline Mmx mmx_source(Cpu& c, const Insn& i) {
    if constexpr (S == Src::Mmx) return Mmx{c.s.fpu.r[i.r1 & 7].sig};
    else if constexpr (S == Src::Imm) return Mmx{static_cast<u8>(i.imm)};
    else if constexpr (S == Src::Gpr) {
        if constexpr (Bytes == 8) return Mmx{getr<u64>(c, i.r1)};
        else return Mmx{getr<u32>(c, i.r1)};
    } else return Mmx{load_mem(c, ea(c, i), Bytes).lo};
}

// Pq, Qq/Ib [, Ib]: the result goes to the MMX register of operand 0.
template <class Op, Src S, unsigned Bytes> void OP_Pq_Qq(Cpu& c, const Insn& i) {
    if (!x87::fpu_ready(c)) return;
    const Mmx s = mmx_source<S, Bytes>(c, i);
    X87& f = c.s.fpu;
    Mmx d{f.r[i.r0 & 7].sig};
    Op::run(c, d, s, static_cast<u8>(i.imm));
    x87::enter_mmx(f);
    x87::write_mm(f, i.r0, d.lo);
    next(c, i);
}

// Gy, Nq [, Ib]: a general-register result from an MMX register.
template <class Op, class T> void OP_Gy_Nq(Cpu& c, const Insn& i) {
    if (!x87::fpu_ready(c)) return;
    X87& f = c.s.fpu;
    const Mmx s{f.r[i.r1 & 7].sig};
    const T v = Op::template run<T>(c, s, static_cast<u8>(i.imm));
    x87::enter_mmx(f);
    setr<T>(c, i.r0, v);
    next(c, i);
}

// ---- Decode-time checks ----------------------------------------------------------
inline bool is_xmm(const Decoded& d, int n) {
    return d.op[n].type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(d.op[n].reg.value) == ZYDIS_REGCLASS_XMM;
}
inline bool is_gpr(const Decoded& d, int n, unsigned bytes) {
    if (d.op[n].type != ZYDIS_OPERAND_TYPE_REGISTER) return false;
    ZydisRegisterClass k = ZydisRegisterGetClass(d.op[n].reg.value);
    return bytes == 8 ? k == ZYDIS_REGCLASS_GPR64 : k == ZYDIS_REGCLASS_GPR32;
}
inline bool is_mem(const Decoded& d, int n, unsigned bytes) {
    return d.op[n].type == ZYDIS_OPERAND_TYPE_MEMORY && d.size(n) == bytes;
}
inline bool is_mmx(const Decoded& d, int n) {
    return d.op[n].type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(d.op[n].reg.value) == ZYDIS_REGCLASS_MMX;
}

// An op written for both widths (see the top of this file).
template <class Op>
concept MmxOp = requires(Cpu& c, Mmx& d, const Mmx& s) { Op::run(c, d, s, u8{}); };

// Pq, Qq [, Ib] (and Pq, Ib for the shifts by an immediate): the MMX forms of a
// two-width op. kMem 16 ("the register") is 8 bytes here; no alignment rule.
template <class Op> constexpr unsigned mmx_mem() {
    if constexpr (requires { Op::kMmxMem; }) return Op::kMmxMem;  // e.g. PUNPCKLBW mm, m32
    else return Op::kMem == 16 ? 8 : Op::kMem;
}
template <class Op, Cls C> bool build_pq(Insn& i, const Decoded& d) {
    constexpr unsigned mem = mmx_mem<Op>();
    if (d.count() < 2 || !is_mmx(d, 0)) return false;
    if (is_mmx(d, 1)) i.fn = OP_Pq_Qq<Op, Src::Mmx, 8>;
    else if (d.kind(1) == K::I) i.fn = OP_Pq_Qq<Op, Src::Imm, 1>;
    else if constexpr (mem != 0) {
        if (is_mem(d, 1, mem)) i.fn = OP_Pq_Qq<Op, Src::Mem, mem>;
        else return false;
    } else return false;
    i.cycles = cost(C, d);
    return true;
}

// Vx, Wx [, Ib]: XMM destination, XMM register or Op::kMem-byte memory source.
// Align: the 16-byte memory form requires alignment (every legacy SSE form but
// the explicitly unaligned moves).
template <class Op, Cls C, bool Align = true> bool build_vw(Insn& i, const Decoded& d) {
    if constexpr (MmxOp<Op>)
        if (d.count() >= 2 && is_mmx(d, 0)) return build_pq<Op, C>(i, d);
    if (d.count() < 2 || !is_xmm(d, 0)) return false;
    if (is_xmm(d, 1)) i.fn = OP_Vx_Wx<Op, Src::Xmm, 16, false>;
    else if constexpr (Op::kMem != 0) {
        if (is_mem(d, 1, Op::kMem)) i.fn = OP_Vx_Wx<Op, Src::Mem, Op::kMem, Align && Op::kMem == 16>;
        else return false;
    } else return false;
    i.cycles = cost(C, d);
    return true;
}

// Gy, Wx [, Ib]: general-register destination (32 or 64 bits), XMM or memory source.
template <class Op, Cls C> bool build_gw(Insn& i, const Decoded& d) {
    if (d.count() < 2) return false;
    bool q = is_gpr(d, 0, 8);
    if (!q && !is_gpr(d, 0, 4)) return false;
    if constexpr (requires(Cpu& c, const Mmx& s) { Op::template run<u32>(c, s, u8{}); }) {
        if (is_mmx(d, 1)) {  // Gy, Nq: PMOVMSKB and PEXTRW on an MMX register
            i.fn = q ? OP_Gy_Nq<Op, u64> : OP_Gy_Nq<Op, u32>;
            i.cycles = cost(C, d);
            return true;
        }
    }
    if (is_xmm(d, 1)) i.fn = q ? OP_Gy_Wx<Op, u64, Src::Xmm, 16> : OP_Gy_Wx<Op, u32, Src::Xmm, 16>;
    else if constexpr (Op::kMem != 0) {
        if (is_mem(d, 1, Op::kMem)) i.fn = q ? OP_Gy_Wx<Op, u64, Src::Mem, Op::kMem> : OP_Gy_Wx<Op, u32, Src::Mem, Op::kMem>;
        else return false;
    } else return false;
    i.cycles = cost(C, d);
    return true;
}

// Vx, Ey: XMM destination, 32- or 64-bit general register or memory source.
// Op<T> is instantiated for the source width T.
template <template <class> class Op, Cls C> bool build_ve(Insn& i, const Decoded& d) {
    if (d.count() < 2 || !is_xmm(d, 0)) return false;
    if (is_gpr(d, 1, 4)) i.fn = OP_Vx_Wx<Op<u32>, Src::Gpr, 4, false>;
    else if (is_gpr(d, 1, 8)) i.fn = OP_Vx_Wx<Op<u64>, Src::Gpr, 8, false>;
    else if (is_mem(d, 1, 4)) i.fn = OP_Vx_Wx<Op<u32>, Src::Mem, 4, false>;
    else if (is_mem(d, 1, 8)) i.fn = OP_Vx_Wx<Op<u64>, Src::Mem, 8, false>;
    else return false;
    i.cycles = cost(C, d);
    return true;
}

// An op that is one SSE2 intrinsic with no MXCSR effect: dst = F(dst, src). The
// MMX form runs the same intrinsic on the register zero-extended to 128 bits and
// keeps the low half, which is exact for lane-wise operations.
template <auto F> struct Vec {
    static constexpr unsigned kMem = 16;
    template <class R> static void run(Cpu&, R& d, const R& s, u8) { d = from_vec<R>(F(vec(d), vec(s))); }
};
#define SY_VEC(intrin) ::sy::sse::Vec<[](__m128i a, __m128i b) { return intrin(a, b); }>

// F2 0F C2 CMPSD xmm, xmm/m64, imm8 (sse_float.cpp), reached through sy::build_sse_cmpsd.
bool build_cmpsd(Insn& i, const Decoded& d);

// The builder lists of the helper files, merged by sse_builders() in ops_sse.cpp.
std::span<const BuilderEntry> int_builders();     // sse_int.cpp
std::span<const BuilderEntry> int4_builders();    // sse_int4.cpp
std::span<const BuilderEntry> float_builders();   // sse_float.cpp
std::span<const BuilderEntry> sse42_builders();   // sse_string.cpp

}  // namespace sy::sse
