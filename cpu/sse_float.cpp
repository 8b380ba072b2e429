// SSE, SSE2, SSE3 and SSE4.1 floating-point instructions: arithmetic,
// comparison, logic, shuffles, conversions, horizontal and alternating
// arithmetic, dot products, rounding and blends (SDM Vol. 1, 10.4.2-10.4.6,
// 11.4.1-11.4.6, 12.3 "SSE3 instructions", 12.8 "SSE4.1 instructions"; Vol. 2
// per instruction).
//
// Every operation that can round or raise a floating-point exception runs as the
// host's own instruction under the guest's MXCSR (sse_exec.h): rounding control,
// FTZ, DAZ, the NaN rules of SDM Vol. 1, 4.8.3.5 (Table 4-7), the
// second-operand rule of MIN/MAX and the six exception flags are then exactly the
// hardware's. Bitwise ops and shuffles cannot raise and are written out.
#include <array>
#include <utility>

#include "sse_exec.h"

namespace sy::sse {
namespace {

// ---- Arithmetic (mnemonic, memory operand width) ------------------------------
// 0F 58 ADDPS; F3 0F 58 ADDSS; 66 0F 58 ADDPD; F2 0F 58 ADDSD
SY_FP_OP(Addps, "addps", 16, Fp::Add, PS);
SY_FP_OP(Addss, "addss", 4, Fp::Add, SS);
SY_FP_OP(Addpd, "addpd", 16, Fp::Add, PD);
SY_FP_OP(Addsd, "addsd", 8, Fp::Add, SD);
// 0F 5C SUBPS; F3 0F 5C SUBSS; 66 0F 5C SUBPD; F2 0F 5C SUBSD
SY_FP_OP(Subps, "subps", 16, Fp::Sub, PS);
SY_FP_OP(Subss, "subss", 4, Fp::Sub, SS);
SY_FP_OP(Subpd, "subpd", 16, Fp::Sub, PD);
SY_FP_OP(Subsd, "subsd", 8, Fp::Sub, SD);
// 0F 59 MULPS; F3 0F 59 MULSS; 66 0F 59 MULPD; F2 0F 59 MULSD
SY_FP_OP(Mulps, "mulps", 16, Fp::Mul, PS);
SY_FP_OP(Mulss, "mulss", 4, Fp::Mul, SS);
SY_FP_OP(Mulpd, "mulpd", 16, Fp::Mul, PD);
SY_FP_OP(Mulsd, "mulsd", 8, Fp::Mul, SD);
// 0F 5E DIVPS; F3 0F 5E DIVSS; 66 0F 5E DIVPD; F2 0F 5E DIVSD
SY_FP_OP(Divps, "divps", 16, Fp::Div, PS);
SY_FP_OP(Divss, "divss", 4, Fp::Div, SS);
SY_FP_OP(Divpd, "divpd", 16, Fp::Div, PD);
SY_FP_OP(Divsd, "divsd", 8, Fp::Div, SD);
// 0F 51 SQRTPS; F3 0F 51 SQRTSS; 66 0F 51 SQRTPD; F2 0F 51 SQRTSD
SY_FP_OP(Sqrtps, "sqrtps", 16, Fp::Other, NONE);
SY_FP_OP(Sqrtss, "sqrtss", 4, Fp::Other, NONE);
SY_FP_OP(Sqrtpd, "sqrtpd", 16, Fp::Other, NONE);
SY_FP_OP(Sqrtsd, "sqrtsd", 8, Fp::Other, NONE);
// 0F 5D MINPS; F3 0F 5D MINSS; 66 0F 5D MINPD; F2 0F 5D MINSD (5F: MAX*)
SY_FP_OP(Minps, "minps", 16, Fp::Other, NONE);
SY_FP_OP(Minss, "minss", 4, Fp::Other, NONE);
SY_FP_OP(Minpd, "minpd", 16, Fp::Other, NONE);
SY_FP_OP(Minsd, "minsd", 8, Fp::Other, NONE);
SY_FP_OP(Maxps, "maxps", 16, Fp::Other, NONE);
SY_FP_OP(Maxss, "maxss", 4, Fp::Other, NONE);
SY_FP_OP(Maxpd, "maxpd", 16, Fp::Other, NONE);
SY_FP_OP(Maxsd, "maxsd", 8, Fp::Other, NONE);
// 0F 53 RCPPS; F3 0F 53 RCPSS; 0F 52 RSQRTPS; F3 0F 52 RSQRTSS. The
// approximations are implementation-specific (SDM Vol. 2B, RCPPS): these are
// the host's.
SY_FP_OP(Rcpps, "rcpps", 16, Fp::Other, NONE);
SY_FP_OP(Rcpss, "rcpss", 4, Fp::Other, NONE);
SY_FP_OP(Rsqrtps, "rsqrtps", 16, Fp::Other, NONE);
SY_FP_OP(Rsqrtss, "rsqrtss", 4, Fp::Other, NONE);

// ---- Conversions between float formats and packed integers --------------------
// F3 0F 5A CVTSS2SD; F2 0F 5A CVTSD2SS; 0F 5B CVTDQ2PS; 66 0F 5B CVTPS2DQ;
// F3 0F 5B CVTTPS2DQ; F3 0F E6 CVTDQ2PD; F2 0F E6 CVTPD2DQ; 66 0F E6 CVTTPD2DQ;
// 0F 5A CVTPS2PD; 66 0F 5A CVTPD2PS
SY_FP_OP(Cvtss2sd, "cvtss2sd", 4, Fp::Other, NONE);
SY_FP_OP(Cvtsd2ss, "cvtsd2ss", 8, Fp::Narrow, SD2SS);
SY_FP_OP(Cvtdq2ps, "cvtdq2ps", 16, Fp::Other, NONE);
SY_FP_OP(Cvtps2dq, "cvtps2dq", 16, Fp::Other, NONE);
SY_FP_OP(Cvttps2dq, "cvttps2dq", 16, Fp::Other, NONE);
SY_FP_OP(Cvtdq2pd, "cvtdq2pd", 8, Fp::Other, NONE);
SY_FP_OP(Cvtpd2dq, "cvtpd2dq", 16, Fp::Other, NONE);
SY_FP_OP(Cvttpd2dq, "cvttpd2dq", 16, Fp::Other, NONE);
SY_FP_OP(Cvtps2pd, "cvtps2pd", 8, Fp::Other, NONE);
SY_FP_OP(Cvtpd2ps, "cvtpd2ps", 16, Fp::Narrow, PD2PS);

// F3 0F 2A CVTSI2SS xmm, r/m32|r/m64; F2 0F 2A CVTSI2SD: T is the source width.
#define SY_FP_FROM_INT(Name, mnem)                                                         \
    template <class T> struct Name {                                                       \
        static constexpr unsigned kMem = sizeof(T);                                        \
        static void run(Cpu& c, Xmm& d, const Xmm& s, u8) {                                \
            __m128i a = vec(d);                                                            \
            T v = static_cast<T>(s.lo);                                                    \
            u32 csr = host_csr(c), saved;                                                  \
            asm volatile(SY_UNDER_GUEST_CSR(mnem " %[b], %[a]")                            \
                         : [a] "+x"(a), [csr] "+m"(csr), [saved] "=m"(saved)               \
                         : [b] "r"(v));                                                    \
            commit_flags(c, csr);                                                          \
            d = xmm(a);                                                                    \
        }                                                                                  \
    }
SY_FP_FROM_INT(Cvtsi2ss, "cvtsi2ss");
SY_FP_FROM_INT(Cvtsi2sd, "cvtsi2sd");

// F3 0F 2C CVTTSS2SI; F3 0F 2D CVTSS2SI; F2 0F 2C CVTTSD2SI; F2 0F 2D CVTSD2SI
// (r32 or r64). NaN or out of range: IE and the integer indefinite, 1 << (w-1).
#define SY_FP_TO_INT(Name, mnem, mem_bytes)                                                \
    struct Name {                                                                          \
        static constexpr unsigned kMem = mem_bytes;                                        \
        template <class T> static T run(Cpu& c, const Xmm& s, u8) {                        \
            __m128i b = vec(s);                                                            \
            T r;                                                                           \
            u32 csr = host_csr(c), saved;                                                  \
            asm volatile(SY_UNDER_GUEST_CSR(mnem " %[b], %[a]")                            \
                         : [a] "=r"(r), [csr] "+m"(csr), [saved] "=m"(saved)               \
                         : [b] "x"(b));                                                    \
            commit_flags(c, csr);                                                          \
            return r;                                                                      \
        }                                                                                  \
    }
SY_FP_TO_INT(Cvttss2si, "cvttss2si", 4);
SY_FP_TO_INT(Cvtss2si, "cvtss2si", 4);
SY_FP_TO_INT(Cvttsd2si, "cvttsd2si", 8);
SY_FP_TO_INT(Cvtsd2si, "cvtsd2si", 8);

// ---- Comparisons --------------------------------------------------------------
// 0F C2 /r ib CMPPS; F3 0F C2 CMPSS; 66 0F C2 CMPPD; F2 0F C2 CMPSD: legacy SSE
// uses predicate imm8[2:0] (EQ LT LE UNORD NEQ NLT NLE ORD).
#define SY_FP_CMP(Name, mnem, mem_bytes)                                                   \
    template <u8 P> struct Name {                                                          \
        static constexpr unsigned kMem = mem_bytes;                                        \
        static void run(Cpu& c, Xmm& d, const Xmm& s, u8) {                                \
            __m128i a = vec(d), b = vec(s);                                                \
            u32 csr = host_csr(c), saved;                                                  \
            asm volatile(SY_UNDER_GUEST_CSR(mnem " %[p], %[b], %[a]")                      \
                         : [a] "+x"(a), [csr] "+m"(csr), [saved] "=m"(saved)               \
                         : [b] "x"(b), [p] "i"(P));                                        \
            commit_flags(c, csr);                                                          \
            d = xmm(a);                                                                    \
        }                                                                                  \
    }
SY_FP_CMP(Cmpps, "cmpps", 16);
SY_FP_CMP(Cmpss, "cmpss", 4);
SY_FP_CMP(Cmppd, "cmppd", 16);
SY_FP_CMP(Cmpsd, "cmpsd", 8);

template <template <u8> class Op> bool build_cmp(Insn& i, const Decoded& d) {
    if (d.count() != 3) return false;
    switch (i.imm & 7) {
        case 0: return build_vw<Op<0>, Cls::SseCmp>(i, d);
        case 1: return build_vw<Op<1>, Cls::SseCmp>(i, d);
        case 2: return build_vw<Op<2>, Cls::SseCmp>(i, d);
        case 3: return build_vw<Op<3>, Cls::SseCmp>(i, d);
        case 4: return build_vw<Op<4>, Cls::SseCmp>(i, d);
        case 5: return build_vw<Op<5>, Cls::SseCmp>(i, d);
        case 6: return build_vw<Op<6>, Cls::SseCmp>(i, d);
        default: return build_vw<Op<7>, Cls::SseCmp>(i, d);
    }
}

// 0F 2F COMISS; 66 0F 2F COMISD (IE on any NaN); 0F 2E UCOMISS; 66 0F 2E
// UCOMISD (IE on SNaN only). Result in ZF PF CF; OF SF AF cleared (alu.h).
#define SY_FP_COMI(Name, mnem, mem_bytes)                                                  \
    struct Name {                                                                          \
        static constexpr unsigned kMem = mem_bytes;                                        \
        static void run(Cpu& c, const Xmm& x, const Xmm& s) {                              \
            __m128i a = vec(x), b = vec(s);                                                \
            bool zf, pf, cf;                                                               \
            u32 csr = host_csr(c), saved;                                                  \
            asm volatile(SY_UNDER_GUEST_CSR(mnem " %[b], %[a]")                            \
                         : "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf), [csr] "+m"(csr),         \
                           [saved] "=m"(saved)                                             \
                         : [a] "x"(a), [b] "x"(b));                                        \
            commit_flags(c, csr);                                                          \
            alu::fp_compare(c.s.rflags, zf, pf, cf);                                       \
        }                                                                                  \
    }
SY_FP_COMI(Comiss, "comiss", 4);
SY_FP_COMI(Comisd, "comisd", 8);
SY_FP_COMI(Ucomiss, "ucomiss", 4);
SY_FP_COMI(Ucomisd, "ucomisd", 8);

template <class Op, Src S> void COMIS_Vx_Wx(Cpu& c, const Insn& i) {
    Op::run(c, c.s.xmm[i.r0], source<S, Op::kMem, false>(c, i));
    next(c, i);
}
template <class Op> bool build_comi(Insn& i, const Decoded& d) {
    if (d.count() != 2 || !is_xmm(d, 0)) return false;
    if (is_xmm(d, 1)) i.fn = COMIS_Vx_Wx<Op, Src::Xmm>;
    else if (is_mem(d, 1, Op::kMem)) i.fn = COMIS_Vx_Wx<Op, Src::Mem>;
    else return false;
    i.cycles = cost(Cls::SseCmp, d);
    return true;
}

// ---- Bitwise logic and shuffles (no rounding, no exceptions) ------------------
// 0F C6 /r ib SHUFPS: two singles from the destination, two from the source.
struct Shufps {
    static constexpr unsigned kMem = 16;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8 imm) {
        Xmm r;
        set_lane<u32>(r, 0, lane<u32>(d, imm & 3));
        set_lane<u32>(r, 1, lane<u32>(d, (imm >> 2) & 3));
        set_lane<u32>(r, 2, lane<u32>(s, (imm >> 4) & 3));
        set_lane<u32>(r, 3, lane<u32>(s, (imm >> 6) & 3));
        d = r;
    }
};
// 66 0F C6 /r ib SHUFPD: one double from each.
struct Shufpd {
    static constexpr unsigned kMem = 16;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8 imm) { d = Xmm{imm & 1 ? d.hi : d.lo, imm & 2 ? s.hi : s.lo}; }
};

// ---- SSE3 horizontal and alternating arithmetic ----------------------------------
// F2 0F 7C HADDPS, F2 0F 7D HSUBPS, 66 0F 7C HADDPD, 66 0F 7D HSUBPD: result lane
// k is a[k] op b[k] with the pairs regrouped (HADDPS: a = d0 d2 s0 s2, b = d1 d3
// s1 s3), so the packed host instruction on them gives the same results, NaN
// choice (the pair's first element) and flags, unbounded ones included.
template <class Packed, bool Double> struct HorizontalFp {
    static constexpr unsigned kMem = 16;
    static void run(Cpu& c, Xmm& d, const Xmm& s, u8) {
        Xmm a, b;
        if constexpr (Double) {
            a = Xmm{d.lo, s.lo};
            b = Xmm{d.hi, s.hi};
        } else {
            for (unsigned k = 0; k < 2; ++k) {
                set_lane<u32>(a, k, lane<u32>(d, 2 * k));
                set_lane<u32>(b, k, lane<u32>(d, 2 * k + 1));
                set_lane<u32>(a, 2 + k, lane<u32>(s, 2 * k));
                set_lane<u32>(b, 2 + k, lane<u32>(s, 2 * k + 1));
            }
        }
        Packed::run(c, a, b, 0);
        d = a;
    }
};

// F2 0F D0 ADDSUBPS, 66 0F D0 ADDSUBPD: even lanes subtract, odd lanes add. The
// packed subtraction and addition run with the other lanes at 1.0 (which
// raises nothing); their flags and lanes are merged.
template <class Sub, class Add, bool Double> struct AddSub {
    static constexpr unsigned kMem = 16;
    static void run(Cpu& c, Xmm& d, const Xmm& s, u8) {
        using T = std::conditional_t<Double, u64, u32>;
        constexpr T one = Double ? T(0x3FF0000000000000ull) : T(0x3F800000u);
        constexpr unsigned n = kLanes<T, Xmm>;
        Xmm ds = d, ss = s, da = d, sa = s;
        for (unsigned k = 0; k < n; ++k) {
            Xmm& x = (k & 1) ? ds : da;
            Xmm& y = (k & 1) ? ss : sa;
            set_lane<T>(x, k, one);
            set_lane<T>(y, k, one);
        }
        const u32 csr = host_csr(c);
        const Layout l = Double ? PD : PS;
        Xmm rs = ds, ra = da;
        const u32 fs = Sub::host(csr, rs, ss), fa = Add::host(csr, ra, sa);
        commit_flags(c, unbounded_flags(Fp::Sub, l, c.s.mxcsr, fs, ds, ss, rs, Sub::host, csr) |
                            unbounded_flags(Fp::Add, l, c.s.mxcsr, fa, da, sa, ra, Add::host, csr));
        for (unsigned k = 0; k < n; ++k) set_lane<T>(d, k, lane<T>((k & 1) ? ra : rs, k));
    }
};

// ---- SSE4.1 dot products and rounding: the host instruction with the same imm8 ----
// 66 0F 3A 40 DPPS, 41 DPPD; 66 0F 3A 08/09/0A/0B ROUNDPS/PD/SS/SD. The immediate
// is part of the host instruction, so there is one instantiation per value
// (ROUND: imm8[3:0], the bits it defines).
#define SY_FP_IMM(Name, mnem)                                                                        \
    template <u8 Imm> u32 Name##_host(u32 csr, Xmm& d, const Xmm& s) {                               \
        __m128i a = vec(d), b = vec(s);                                                              \
        u32 saved;                                                                                   \
        asm volatile(SY_UNDER_GUEST_CSR(mnem " %[p], %[b], %[a]")                                    \
                     : [a] "+x"(a), [csr] "+m"(csr), [saved] "=m"(saved)                             \
                     : [b] "x"(b), [p] "i"(Imm));                                                    \
        d = xmm(a);                                                                                  \
        return csr & mx::FLAGS;                                                                      \
    }
SY_FP_IMM(roundps, "roundps")
SY_FP_IMM(roundpd, "roundpd")
SY_FP_IMM(roundss, "roundss")
SY_FP_IMM(roundsd, "roundsd")

#define SY_IMM_TABLE(Name, N)                                                                         \
    const std::array<HostOp, N>& Name##_table() {                                                     \
        static const std::array<HostOp, N> t = []<size_t... I>(std::index_sequence<I...>) {           \
            return std::array<HostOp, N>{&Name##_host<static_cast<u8>(I)>...};                       \
        }(std::make_index_sequence<N>{});                                                             \
        return t;                                                                                     \
    }
SY_IMM_TABLE(roundps, 16)
SY_IMM_TABLE(roundpd, 16)
SY_IMM_TABLE(roundss, 16)
SY_IMM_TABLE(roundsd, 16)

// 66 0F 3A 40 DPPS, 41 DPPD: the SDM's steps (Vol. 2A, DPPS "Operation"), each
// a scalar host operation under the guest's MXCSR: the products of the lanes
// imm8[7:4] selects (+0.0 for the others), then sums, then the lanes imm8[3:0]
// selects get the total (+0.0 the others). Each lane adds in its own order,
// which decides which NaN a sum of two NaNs returns (measured; the orders are
// below). An
// unmasked exception stops at the step that raised it, with the flags of the
// steps before (measured: a denormal product does not raise DE in the sums when
// the products' UE or PE already trapped); within a step commit_flags' rule
// for pre-computation exceptions applies.
//   DPPS: s[k] = p[k^1] + p[k], total[k] = s[k] + s[k^2]; DPPD: total[k] = p[k] + p[k^1].
template <class Mul, class Add, bool Double> struct DotProduct {
    static constexpr unsigned kMem = 16;
    using T = std::conditional_t<Double, u64, u32>;
    struct Steps {
        Cpu& c;
        u32 csr, recorded = 0;
        // One scalar op on lane 0 of a and b; its flags as the hardware reports them.
        template <class Op> T step(T x, T y, u32& flags) {
            Xmm a{x, 0}, b{y, 0}, r = a;
            const u32 raised = Op::host(csr, r, b);
            flags |= unbounded_flags(Op::kOp, Op::kLayout, c.s.mxcsr, raised, a, b, r, Op::host, csr);
            return static_cast<T>(r.lo);
        }
        // The end of a step: trap if it raised an unmasked exception.
        void end(u32 flags) {
            if (flags & ~(c.s.mxcsr >> mx::MASK_SHIFT) & mx::FLAGS) {
                c.s.mxcsr |= recorded;
                commit_flags(c, flags);  // raises #XM
            }
            recorded |= flags;
        }
    };
    static void run(Cpu& c, Xmm& d, const Xmm& s, u8 imm) {
        constexpr unsigned n = kLanes<T, Xmm>;
        Steps st{c, host_csr(c)};
        T p[4] = {}, total[4] = {};
        u32 f1 = 0, f2 = 0, f3 = 0;
        for (unsigned k = 0; k < n; ++k)
            if ((imm >> (4 + k)) & 1) p[k] = st.template step<Mul>(lane<T>(d, k), lane<T>(s, k), f1);
        st.end(f1);
        if constexpr (Double) {
            for (unsigned k = 0; k < 2; ++k) total[k] = st.template step<Add>(p[k], p[k ^ 1], f2);
            st.end(f2);
        } else {
            T sum[4];
            for (unsigned k = 0; k < 4; ++k) sum[k] = st.template step<Add>(p[k ^ 1], p[k], f2);
            st.end(f2);
            for (unsigned k = 0; k < 4; ++k) total[k] = st.template step<Add>(sum[k], sum[k ^ 2], f3);
            st.end(f3);
        }
        c.s.mxcsr |= st.recorded;
        for (unsigned k = 0; k < n; ++k) set_lane<T>(d, k, ((imm >> k) & 1) ? total[k] : T(0));
    }
};

// The 16-entry tables, seen through one shape.
template <const std::array<HostOp, 16>& (*Table)(), unsigned Mem> struct RoundImm {
    static constexpr unsigned kMem = Mem;
    static void run(Cpu& c, Xmm& d, const Xmm& s, u8 imm) {
        Xmm r = d;
        commit_flags(c, Table()[imm & 15](host_csr(c), r, s));
        d = r;
    }
};

// ---- Conversions with an MMX operand ------------------------------------------------
// 0F 2A CVTPI2PS xmm, mm/m64 (the low two singles; the high quadword stays);
// 66 0F 2A CVTPI2PD xmm, mm/m64 (two doubles). The conversion is the packed
// one of the same lanes (CVTDQ2PS/CVTDQ2PD) on the MMX value zero-extended:
// zero lanes convert exactly and raise nothing. An MMX register source is an
// MMX instruction (pending #MF, TOP = 0, tags valid); a memory source is not.
// The switch to MMX use comes before an unmasked exception's #XM (measured).
template <class Op, bool KeepHigh, Src S> void CVT_Vx_Qq(Cpu& c, const Insn& i) {
    if constexpr (S == Src::Mmx) {
        if (!x87::fpu_ready(c)) return;
        x87::enter_mmx(c.s.fpu);
    }
    const u64 v = S == Src::Mmx ? c.s.fpu.r[i.r1 & 7].sig : c.read<u64>(ea(c, i));
    Xmm r{};
    Op::run(c, r, Xmm{v, 0}, 0);
    Xmm& d = c.s.xmm[i.r0];
    if constexpr (KeepHigh) d.lo = r.lo;
    else d = r;
    next(c, i);
}
// 0F 2D CVTPS2PI, 0F 2C CVTTPS2PI mm, xmm/m64; 66 0F 2D CVTPD2PI, 66 0F 2C
// CVTTPD2PI mm, xmm/m128: to two signed doublewords in an MMX register (an MMX
// instruction: it writes MMn). The single forms use the low two lanes only.
// Measured order: the memory read's faults (#PF, and #GP for a misaligned m128)
// come first, then the switch to MMX use, then the #XM of an unmasked exception.
template <class Op, bool Singles, Src S> void CVT_Pq_Wx(Cpu& c, const Insn& i) {
    if (!x87::fpu_ready(c)) return;
    Xmm s = source<S, Singles ? 8 : 16, !Singles>(c, i);
    x87::enter_mmx(c.s.fpu);
    if constexpr (Singles) s.hi = 0;
    Xmm r{};
    Op::run(c, r, s, 0);
    x87::write_mm(c.s.fpu, i.r0, r.lo);
    next(c, i);
}
template <class Op, bool KeepHigh> bool build_cvt_from_mm(Insn& i, const Decoded& d) {
    if (d.count() != 2 || !is_xmm(d, 0)) return false;
    if (is_mmx(d, 1)) i.fn = CVT_Vx_Qq<Op, KeepHigh, Src::Mmx>;
    else if (is_mem(d, 1, 8)) i.fn = CVT_Vx_Qq<Op, KeepHigh, Src::Mem>;
    else return false;
    i.cycles = cost(Cls::SseCvt, d);
    return true;
}
template <class Op, bool Singles> bool build_cvt_to_mm(Insn& i, const Decoded& d) {
    if (d.count() != 2 || !is_mmx(d, 0)) return false;
    if (is_xmm(d, 1)) i.fn = CVT_Pq_Wx<Op, Singles, Src::Xmm>;
    else if (is_mem(d, 1, Singles ? 8 : 16)) i.fn = CVT_Pq_Wx<Op, Singles, Src::Mem>;
    else return false;
    i.cycles = cost(Cls::SseCvt, d);
    return true;
}

// ---- SSE3/SSE4.1 data movement (no exceptions) ----------------------------------
// F2 0F 12 MOVDDUP xmm, xmm/m64; F3 0F 16 MOVSHDUP; F3 0F 12 MOVSLDUP
struct Movddup {
    static constexpr unsigned kMem = 8;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8) { d = Xmm{s.lo, s.lo}; }
};
template <unsigned Odd> struct MovDupSingle {
    static constexpr unsigned kMem = 16;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8) {
        for (unsigned k = 0; k < 4; ++k) set_lane<u32>(d, k, lane<u32>(s, (k & ~1u) + Odd));
    }
};
// 66 0F 3A 0C BLENDPS, 0D BLENDPD: element k from src when imm8 bit k is set.
template <class T> struct Blend {
    static constexpr unsigned kMem = 16;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8 imm) {
        for (unsigned k = 0; k < kLanes<T, Xmm>; ++k)
            if ((imm >> k) & 1) set_lane<T>(d, k, lane<T>(s, k));
    }
};
// 66 0F 38 14 BLENDVPS, 15 BLENDVPD xmm, xmm/m128, <XMM0>: by the sign of XMM0's elements.
template <class T> struct BlendV {
    static constexpr unsigned kMem = 16;
    static void run(Cpu& c, Xmm& d, const Xmm& s, u8) {
        const Xmm m = c.s.xmm[0];
        for (unsigned k = 0; k < kLanes<T, Xmm>; ++k)
            if (lane<T>(m, k) >> (8 * sizeof(T) - 1)) set_lane<T>(d, k, lane<T>(s, k));
    }
};
// 66 0F 3A 21 INSERTPS xmm, xmm/m32, imm8: source element imm8[7:6] (the m32
// itself from memory) into element imm8[5:4], then the elements of imm8[3:0] zeroed.
template <bool FromMem> struct Insertps {
    static constexpr unsigned kMem = 4;
    static void run(Cpu&, Xmm& d, const Xmm& s, u8 imm) {
        set_lane<u32>(d, (imm >> 4) & 3, lane<u32>(s, FromMem ? 0 : imm >> 6));
        for (unsigned k = 0; k < 4; ++k)
            if ((imm >> k) & 1) set_lane<u32>(d, k, 0u);
    }
};
bool build_insertps(Insn& i, const Decoded& d) {
    if (d.count() != 3 || !is_xmm(d, 0)) return false;
    if (is_xmm(d, 1)) i.fn = OP_Vx_Wx<Insertps<false>, Src::Xmm, 16, false>;
    else if (is_mem(d, 1, 4)) i.fn = OP_Vx_Wx<Insertps<true>, Src::Mem, 4, false>;
    else return false;
    i.cycles = cost(Cls::SseInt, d);
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_HADDPS, build_vw<HorizontalFp<Addps, false>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_HSUBPS, build_vw<HorizontalFp<Subps, false>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_HADDPD, build_vw<HorizontalFp<Addpd, true>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_HSUBPD, build_vw<HorizontalFp<Subpd, true>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_ADDSUBPS, build_vw<AddSub<Subps, Addps, false>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_ADDSUBPD, build_vw<AddSub<Subpd, Addpd, true>, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_DPPS, build_vw<DotProduct<Mulss, Addss, false>, Cls::SseMul>},
    {ZYDIS_MNEMONIC_DPPD, build_vw<DotProduct<Mulsd, Addsd, true>, Cls::SseMul>},
    {ZYDIS_MNEMONIC_ROUNDPS, build_vw<RoundImm<roundps_table, 16>, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_ROUNDPD, build_vw<RoundImm<roundpd_table, 16>, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_ROUNDSS, build_vw<RoundImm<roundss_table, 4>, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_ROUNDSD, build_vw<RoundImm<roundsd_table, 8>, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_MOVDDUP, build_vw<Movddup, Cls::SseMove>},
    {ZYDIS_MNEMONIC_MOVSHDUP, build_vw<MovDupSingle<1>, Cls::SseMove>},
    {ZYDIS_MNEMONIC_MOVSLDUP, build_vw<MovDupSingle<0>, Cls::SseMove>},
    {ZYDIS_MNEMONIC_BLENDPS, build_vw<Blend<u32>, Cls::SseLogic>},
    {ZYDIS_MNEMONIC_BLENDPD, build_vw<Blend<u64>, Cls::SseLogic>},
    {ZYDIS_MNEMONIC_BLENDVPS, build_vw<BlendV<u32>, Cls::SseLogic>},
    {ZYDIS_MNEMONIC_BLENDVPD, build_vw<BlendV<u64>, Cls::SseLogic>},
    {ZYDIS_MNEMONIC_INSERTPS, build_insertps},
    {ZYDIS_MNEMONIC_CVTPI2PS, build_cvt_from_mm<Cvtdq2ps, true>},
    {ZYDIS_MNEMONIC_CVTPI2PD, build_cvt_from_mm<Cvtdq2pd, false>},
    {ZYDIS_MNEMONIC_CVTPS2PI, build_cvt_to_mm<Cvtps2dq, true>},
    {ZYDIS_MNEMONIC_CVTTPS2PI, build_cvt_to_mm<Cvttps2dq, true>},
    {ZYDIS_MNEMONIC_CVTPD2PI, build_cvt_to_mm<Cvtpd2dq, false>},
    {ZYDIS_MNEMONIC_CVTTPD2PI, build_cvt_to_mm<Cvttpd2dq, false>},
    {ZYDIS_MNEMONIC_ADDPS, build_vw<Addps, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_ADDSS, build_vw<Addss, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_ADDPD, build_vw<Addpd, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_ADDSD, build_vw<Addsd, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_SUBPS, build_vw<Subps, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_SUBSS, build_vw<Subss, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_SUBPD, build_vw<Subpd, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_SUBSD, build_vw<Subsd, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_MULPS, build_vw<Mulps, Cls::SseMul>},
    {ZYDIS_MNEMONIC_MULSS, build_vw<Mulss, Cls::SseMul>},
    {ZYDIS_MNEMONIC_MULPD, build_vw<Mulpd, Cls::SseMul>},
    {ZYDIS_MNEMONIC_MULSD, build_vw<Mulsd, Cls::SseMul>},
    {ZYDIS_MNEMONIC_DIVPS, build_vw<Divps, Cls::SseDiv>},
    {ZYDIS_MNEMONIC_DIVSS, build_vw<Divss, Cls::SseDiv>},
    {ZYDIS_MNEMONIC_DIVPD, build_vw<Divpd, Cls::SseDiv>},
    {ZYDIS_MNEMONIC_DIVSD, build_vw<Divsd, Cls::SseDiv>},
    {ZYDIS_MNEMONIC_SQRTPS, build_vw<Sqrtps, Cls::SseSqrt>},
    {ZYDIS_MNEMONIC_SQRTSS, build_vw<Sqrtss, Cls::SseSqrt>},
    {ZYDIS_MNEMONIC_SQRTPD, build_vw<Sqrtpd, Cls::SseSqrt>},
    {ZYDIS_MNEMONIC_SQRTSD, build_vw<Sqrtsd, Cls::SseSqrt>},
    {ZYDIS_MNEMONIC_MINPS, build_vw<Minps, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_MINSS, build_vw<Minss, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_MINPD, build_vw<Minpd, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_MINSD, build_vw<Minsd, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_MAXPS, build_vw<Maxps, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_MAXSS, build_vw<Maxss, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_MAXPD, build_vw<Maxpd, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_MAXSD, build_vw<Maxsd, Cls::SseAdd>},
    {ZYDIS_MNEMONIC_RCPPS, build_vw<Rcpps, Cls::SseMul>},
    {ZYDIS_MNEMONIC_RCPSS, build_vw<Rcpss, Cls::SseMul>},
    {ZYDIS_MNEMONIC_RSQRTPS, build_vw<Rsqrtps, Cls::SseMul>},
    {ZYDIS_MNEMONIC_RSQRTSS, build_vw<Rsqrtss, Cls::SseMul>},
    {ZYDIS_MNEMONIC_CVTSS2SD, build_vw<Cvtss2sd, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTSD2SS, build_vw<Cvtsd2ss, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTDQ2PS, build_vw<Cvtdq2ps, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTPS2DQ, build_vw<Cvtps2dq, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTTPS2DQ, build_vw<Cvttps2dq, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTDQ2PD, build_vw<Cvtdq2pd, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTPD2DQ, build_vw<Cvtpd2dq, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTTPD2DQ, build_vw<Cvttpd2dq, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTPS2PD, build_vw<Cvtps2pd, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTPD2PS, build_vw<Cvtpd2ps, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTSI2SS, build_ve<Cvtsi2ss, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTSI2SD, build_ve<Cvtsi2sd, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTTSS2SI, build_gw<Cvttss2si, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTSS2SI, build_gw<Cvtss2si, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTTSD2SI, build_gw<Cvttsd2si, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CVTSD2SI, build_gw<Cvtsd2si, Cls::SseCvt>},
    {ZYDIS_MNEMONIC_CMPPS, build_cmp<Cmpps>},
    {ZYDIS_MNEMONIC_CMPSS, build_cmp<Cmpss>},
    {ZYDIS_MNEMONIC_CMPPD, build_cmp<Cmppd>},
    {ZYDIS_MNEMONIC_COMISS, build_comi<Comiss>},
    {ZYDIS_MNEMONIC_COMISD, build_comi<Comisd>},
    {ZYDIS_MNEMONIC_UCOMISS, build_comi<Ucomiss>},
    {ZYDIS_MNEMONIC_UCOMISD, build_comi<Ucomisd>},
    // 0F 54/55/56/57 ANDPS ANDNPS ORPS XORPS; 66 0F 54..57 the PD forms
    {ZYDIS_MNEMONIC_ANDPS, build_vw<SY_VEC(_mm_and_si128), Cls::SseLogic>},
    {ZYDIS_MNEMONIC_ANDNPS, build_vw<SY_VEC(_mm_andnot_si128), Cls::SseLogic>},
    {ZYDIS_MNEMONIC_ORPS, build_vw<SY_VEC(_mm_or_si128), Cls::SseLogic>},
    {ZYDIS_MNEMONIC_XORPS, build_vw<SY_VEC(_mm_xor_si128), Cls::SseLogic>},
    {ZYDIS_MNEMONIC_ANDPD, build_vw<SY_VEC(_mm_and_si128), Cls::SseLogic>},
    {ZYDIS_MNEMONIC_ANDNPD, build_vw<SY_VEC(_mm_andnot_si128), Cls::SseLogic>},
    {ZYDIS_MNEMONIC_ORPD, build_vw<SY_VEC(_mm_or_si128), Cls::SseLogic>},
    {ZYDIS_MNEMONIC_XORPD, build_vw<SY_VEC(_mm_xor_si128), Cls::SseLogic>},
    // 0F 14/15 UNPCKLPS/UNPCKHPS; 66 0F 14/15 UNPCKLPD/UNPCKHPD
    {ZYDIS_MNEMONIC_UNPCKLPS, build_vw<SY_VEC(_mm_unpacklo_epi32), Cls::SseInt>},
    {ZYDIS_MNEMONIC_UNPCKHPS, build_vw<SY_VEC(_mm_unpackhi_epi32), Cls::SseInt>},
    {ZYDIS_MNEMONIC_UNPCKLPD, build_vw<SY_VEC(_mm_unpacklo_epi64), Cls::SseInt>},
    {ZYDIS_MNEMONIC_UNPCKHPD, build_vw<SY_VEC(_mm_unpackhi_epi64), Cls::SseInt>},
    {ZYDIS_MNEMONIC_SHUFPS, build_vw<Shufps, Cls::SseInt>},
    {ZYDIS_MNEMONIC_SHUFPD, build_vw<Shufpd, Cls::SseInt>},
};

}  // namespace

std::span<const BuilderEntry> float_builders() { return kBuilders; }

// F2 0F C2 /r ib CMPSD xmm, xmm/m64, imm8 (ZYDIS_MNEMONIC_CMPSD is registered by
// the string group, which forwards the XMM form here).
bool build_cmpsd(Insn& i, const Decoded& d) { return build_cmp<Cmpsd>(i, d); }

}  // namespace sy::sse
