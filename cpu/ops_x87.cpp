// x87 FPU instructions (SDM Vol. 1, ch. 8 "Programming with the x87 FPU"; Vol.
// 2 per instruction): loads and stores of every format, arithmetic, compares,
// the register stack and its faults, constants, the transcendentals, and the
// control and status words. FNSTENV/FLDENV/FNSAVE/FRSTOR are in ops_fpstate.cpp.
//
// The arithmetic is fp80.cpp's software core; the transcendentals run on the
// host's x87 (x87_host.cpp). What this file adds is the machine around them:
//   - every waiting instruction first services a pending unmasked exception
//     (#MF, or FERR#/IGNNE# when CR0.NE = 0: see pending_error());
//   - an empty source or a full destination register is a stack fault, IE + SF
//     with C1 telling overflow (1) from underflow (0) (SDM Vol. 1, 8.5.1.1);
//   - the flags an operation raised are sticky in the status word; C1 reports
//     rounding up; an unmasked IE, DE or ZE keeps the destination and TOP, an
//     unmasked OE or UE keeps a memory destination (SDM Vol. 1, 8.5 and 8.7);
//   - FIP/FCS record every non-control instruction; FOP and FDP change only
//     with an unmasked exception, as on the Intel host (CPUID.7.EBX[6],
//     FDP_EXCPTN_ONLY), and FCS/FDS are stored as zero (CPUID.7.EBX[13]).
// CR0.EM/TS (and MP for FWAIT) are applied by the decoder's state gate
// (decode.cpp, kGateRules).
#include "decode.h"
#include "fp80.h"
#include "x87.h"

namespace sy {

namespace x87 {

u16 full_tag(const X87& f) {
    u16 t = 0;
    for (unsigned n = 0; n < 8; ++n) {
        unsigned tag = 3;
        if ((f.ftw >> n) & 1) {
            switch (fp80::classify(f.r[n])) {
                case fp80::Kind::Normal: tag = 0; break;
                case fp80::Kind::Zero: tag = 1; break;
                default: tag = 2; break;
            }
        }
        t = static_cast<u16>(t | (tag << (2 * n)));
    }
    return t;
}

// A pending unmasked exception (ES = 1) at a waiting instruction. CR0.NE = 1:
// #MF, a fault on this instruction. CR0.NE = 0 (MS-DOS compatibility, SDM Vol.
// 1, 8.7.2 and D.2): with IGNNE# asserted the instruction runs as if nothing
// were pending; otherwise FERR# is asserted (a PC routes it to IRQ13) and the
// processor freezes before the instruction until an interrupt is taken, after
// which the instruction runs again. Returns whether the instruction may run.
bool pending_error(Cpu& c) {
    if (c.sys.cr0 & cr0::NE) raise(MF);
    if (c.ignne) return true;
    c.set_ferr(true);
    c.halted = true;  // resumes at this instruction: RIP is not advanced
    c.end_block = true;
    return false;
}

}  // namespace x87

namespace {

using namespace x87;
using fp80::Kind;
using fp80::Status;
using timing::Cls;
namespace ex = fp80::ex;

constexpr F80 kIndefinite = fp80::kIndefinite;

// ---- the register stack ---------------------------------------------------------
void set_st(X87& f, unsigned i, const F80& v) {
    f.st(i) = v;
    f.ftw = static_cast<u8>(f.ftw | (1u << ((f.top() + i) & 7)));
}
void push(X87& f, const F80& v) {
    f.set_top(f.top() - 1);
    set_st(f, 0, v);
}
void pop(X87& f) {
    f.ftw = static_cast<u8>(f.ftw & ~(1u << f.top()));
    f.set_top(f.top() + 1);
}

// ---- status and pointers --------------------------------------------------------
// FDP holds the memory operand's offset: its effective address without the segment base.
u64 data_offset(const Cpu& c, const Insn& i, u64 linear) { return linear - c.s.seg_base[i.seg]; }

// The end of every non-control instruction: FIP/FCS name it.
void retire(Cpu& c, const Insn& i) {
    c.s.fpu.fip = c.s.rip;
    c.s.fpu.fcs = c.sys.seg[CS].sel;
    next(c, i);
}

// FDP for an instruction without a memory operand: left as it is.
constexpr u64 kNoData = ~0ull;

// Folds an operation's exceptions into the status word (sticky flags, C1 as
// the round-up bit). An unmasked one sets ES and B and records FOP and FDP;
// an unmasked pre-computation exception (IE, DE, ZE) stops the operation
// before it computes, so only those flags are recorded then and C1 is 0.
// Returns false when an unmasked exception in `keep` leaves the destination
// and TOP alone: IE, DE, ZE for register destinations; OE and UE too for memory.
bool raise_flags(Cpu& c, const Insn& i, Status st, u64 fdp, u8 keep = ex::PRE_COMPUTATION) {
    X87& f = c.s.fpu;
    const u8 unmasked = st.flags & ~f.fcw & sw::FLAGS;
    if (unmasked & ex::PRE_COMPUTATION) {
        st.flags &= ex::PRE_COMPUTATION;
        st.c1 = false;
    }
    f.fsw = static_cast<u16>((f.fsw & ~sw::C1) | st.flags | (st.c1 ? sw::C1 : 0));
    if (unmasked) {
        f.fsw |= sw::ES | sw::B;
        f.fop = static_cast<u16>(i.imm);
        if (fdp != kNoData) f.fdp = fdp;
    }
    return !(unmasked & keep);
}

// A stack overflow (C1 = 1) or underflow (C1 = 0). True when IE is masked: the
// instruction goes on with the indefinite as its value.
bool stack_fault(Cpu& c, const Insn& i, bool overflow, u64 fdp) {
    c.s.fpu.fsw |= sw::SF;
    Status st;
    st.flags = ex::IE;
    const bool masked = raise_flags(c, i, st, fdp);
    if (overflow) c.s.fpu.fsw |= sw::C1;
    return masked;
}

// ---- memory operands ------------------------------------------------------------
enum class Src : u8 { St, M32, M64, M80, I16, I32, I64, Bcd };
struct MemVal {
    u64 lo = 0;
    u16 hi = 0;
};

template <Src S> MemVal read_mem(Cpu& c, u64 a) {
    if constexpr (S == Src::M32 || S == Src::I32) return {c.read<u32>(a)};
    else if constexpr (S == Src::M64 || S == Src::I64) return {c.read<u64>(a)};
    else if constexpr (S == Src::I16) return {c.read<u16>(a)};
    else {
        MemVal m{c.read<u64>(a)};
        m.hi = c.read<u16>(a + 8);
        return m;
    }
}
template <Src S> void write_mem(Cpu& c, u64 a, const MemVal& m) {
    if constexpr (S == Src::M32 || S == Src::I32) c.write<u32>(a, static_cast<u32>(m.lo));
    else if constexpr (S == Src::M64 || S == Src::I64) c.write<u64>(a, m.lo);
    else if constexpr (S == Src::I16) c.write<u16>(a, static_cast<u16>(m.lo));
    else {
        c.check_write(a, 10);
        c.write<u64>(a, m.lo);
        c.write<u16>(a + 8, m.hi);
    }
}
// A memory operand as an x87 value: FLD m32/m64 raise IE for an SNaN and DE for
// a denormal; FLD m80 raises nothing (SDM Vol. 2A, FLD); integers and BCD are exact.
template <Src S> F80 load_value(const MemVal& m, Status& st) {
    if constexpr (S == Src::M32) return fp80::from_f32(static_cast<u32>(m.lo), st);
    else if constexpr (S == Src::M64) return fp80::from_f64(m.lo, st);
    else if constexpr (S == Src::M80) return F80{m.lo, m.hi};
    else if constexpr (S == Src::I16) return fp80::from_int(static_cast<i16>(m.lo));
    else if constexpr (S == Src::I32) return fp80::from_int(static_cast<i32>(m.lo));
    else if constexpr (S == Src::I64) return fp80::from_int(static_cast<i64>(m.lo));
    else {
        u8 b[10];
        std::memcpy(b, &m.lo, 8);
        std::memcpy(b + 8, &m.hi, 2);
        return fp80::from_bcd(b);
    }
}
template <Src S, bool Truncate> MemVal store_value(const F80& v, const fp80::Ctl& ctl, Status& st) {
    if constexpr (S == Src::M32) return {fp80::to_f32(v, ctl, st)};
    else if constexpr (S == Src::M64) return {fp80::to_f64(v, ctl, st)};
    else if constexpr (S == Src::M80) return {v.sig, v.se};
    else if constexpr (S == Src::I16) return {fp80::to_int(v, 16, Truncate, ctl, st)};
    else if constexpr (S == Src::I32) return {fp80::to_int(v, 32, Truncate, ctl, st)};
    else if constexpr (S == Src::I64) return {fp80::to_int(v, 64, Truncate, ctl, st)};
    else {
        u8 b[10];
        fp80::to_bcd(v, b, ctl, st);
        MemVal m;
        std::memcpy(&m.lo, b, 8);
        std::memcpy(&m.hi, b + 8, 2);
        return m;
    }
}
// What a masked stack underflow stores: the format's indefinite.
template <Src S> MemVal indefinite_of() {
    if constexpr (S == Src::M32) return {0xFFC00000};
    else if constexpr (S == Src::M64) return {0xFFF8000000000000};
    else if constexpr (S == Src::M80) return {kIndefinite.sig, kIndefinite.se};
    else if constexpr (S == Src::I16) return {0x8000};
    else if constexpr (S == Src::I32) return {0x80000000};
    else if constexpr (S == Src::I64) return {0x8000000000000000};
    else return {0xC000000000000000, 0xFFFF};
}

// ---- loads ----------------------------------------------------------------------
// D9 /0 FLD m32; DD /0 FLD m64; DB /5 FLD m80; DF /0 FILD m16; DB /0 FILD m32;
// DF /5 FILD m64; DF /4 FBLD m80dec
template <Src S> void FLD_M(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    const u64 a = ea(c, i), fdp = data_offset(c, i, a);
    const MemVal m = read_mem<S>(c, a);
    F80 v = kIndefinite;
    if (!f.empty(7)) {
        if (!stack_fault(c, i, true, fdp)) return retire(c, i);
    } else {
        Status st;
        v = load_value<S>(m, st);
        // An unmasked DE still loads the value (measured); an unmasked IE (SNaN) does not.
        if (!raise_flags(c, i, st, fdp, ex::IE)) return retire(c, i);
    }
    push(f, v);
    retire(c, i);
}

// D9 C0+i FLD ST(i)
void FLD_STi(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    F80 v = kIndefinite;
    if (!f.empty(7) || f.empty(i.r0)) {  // an empty source is an underflow first
        if (!stack_fault(c, i, !f.empty(i.r0), kNoData)) return retire(c, i);
    } else {
        v = f.st(i.r0);
        raise_flags(c, i, {}, kNoData);
    }
    push(f, v);
    retire(c, i);
}

// D9 E8 FLD1; D9 E9 FLDL2T; D9 EA FLDL2E; D9 EB FLDPI; D9 EC FLDLG2; D9 ED FLDLN2; D9 EE FLDZ
template <fp80::Constant K> void FLDCONST(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    F80 v = kIndefinite;
    if (!f.empty(7)) {
        if (!stack_fault(c, i, true, kNoData)) return retire(c, i);
    } else {
        v = fp80::constant(K, (f.fcw >> 10) & 3);
        raise_flags(c, i, {}, kNoData);
    }
    push(f, v);
    retire(c, i);
}

// ---- stores ---------------------------------------------------------------------
// D9 /2 FST m32; DD /2 FST m64; D9 /3 FSTP m32; DD /3 FSTP m64; DB /7 FSTP m80;
// DF /2 FIST m16; DB /2 FIST m32; DF /3 FISTP m16; DB /3 FISTP m32; DF /7 FISTP m64;
// DF /1 DB /1 DD /1 FISTTP m16/m32/m64 (SSE3, truncating); DF /6 FBSTP m80dec.
// The memory is written before the status word changes, so a #PF leaves both alone.
template <Src S, bool Pop, bool Truncate = false> void FST_M(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    const u64 a = ea(c, i), fdp = data_offset(c, i, a);
    Status st;
    MemVal m;
    const bool underflow = f.empty(0);
    if (underflow) {
        st.flags = ex::IE;
        m = indefinite_of<S>();
    } else {
        m = store_value<S, Truncate>(f.st(0), fp80::control(f.fcw, false), st);
    }
    constexpr u8 keep = ex::PRE_COMPUTATION | ex::OE | ex::UE;
    const bool store = !(st.flags & ~f.fcw & keep);
    if (st.flags & ~f.fcw & (ex::OE | ex::UE)) st.c1 = false;  // not written: no rounding (measured)
    if (store) write_mem<S>(c, a, m);
    if (underflow) f.fsw |= sw::SF;
    raise_flags(c, i, st, fdp, keep);
    if (store && Pop) pop(f);
    retire(c, i);
}

// DD D0+i FST ST(i); DD D8+i FSTP ST(i) (and its aliases D9 D8+i, DF D0+i, DF D8+i)
template <bool Pop> void FST_STi(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    F80 v = kIndefinite;
    if (f.empty(0)) {
        if (!stack_fault(c, i, false, kNoData)) return retire(c, i);
    } else {
        v = f.st(0);
        raise_flags(c, i, {}, kNoData);
    }
    set_st(f, i.r0, v);
    if (Pop) pop(f);
    retire(c, i);
}

// ---- arithmetic -----------------------------------------------------------------
enum class Op : u8 { Add, Mul, Sub, SubR, Div, DivR };
// `s_denormal`: the source came from a denormal in memory (see fp80.h).
template <Op O> F80 apply(const F80& d, const F80& s, bool s_denormal, const fp80::Ctl& c, Status& st) {
    const u8 sd = s_denormal ? fp80::kDenormalB : 0, rd = s_denormal ? fp80::kDenormalA : 0;
    if constexpr (O == Op::Add) return fp80::add(d, s, c, st, sd);
    else if constexpr (O == Op::Mul) return fp80::mul(d, s, c, st, sd);
    else if constexpr (O == Op::Sub) return fp80::sub(d, s, c, st, sd);
    else if constexpr (O == Op::SubR) return fp80::sub(s, d, c, st, rd);
    else if constexpr (O == Op::Div) return fp80::div(d, s, c, st, sd);
    else return fp80::div(s, d, c, st, rd);
}

// A memory source of an arithmetic or compare instruction: exact, an SNaN
// still signalling, and whether it was a denormal (the operation raises IE and
// DE in its own order; SDM Vol. 1, 4.9.2).
template <Src S> F80 source_value(const MemVal& m, bool& denormal) {
    denormal = false;
    if constexpr (S == Src::M32) return fp80::widen_f32(static_cast<u32>(m.lo), denormal);
    else if constexpr (S == Src::M64) return fp80::widen_f64(m.lo, denormal);
    else {
        Status exact;
        return load_value<S>(m, exact);
    }
}

// D8 /0-/7 op m32; DC /0-/7 op m64; DA /0-/7 and DE /0-/7 op m32int, m16int:
//   ST(0) = ST(0) op m
// D8 C0+i..F8+i: ST(0) = ST(0) op ST(i); DC C0+i..: ST(i) = ST(i) op ST(0); DE: the same, then pop
template <Op O, Src S, bool ToSti, bool Pop> void FARITH(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    const unsigned dst = ToSti ? i.r0 : 0, src = ToSti ? 0 : i.r0;
    MemVal m;
    u64 fdp = kNoData;
    if constexpr (S != Src::St) {
        const u64 a = ea(c, i);
        m = read_mem<S>(c, a);
        fdp = data_offset(c, i, a);
    }
    F80 r = kIndefinite;
    if (f.empty(dst) || (S == Src::St && f.empty(src))) {
        if (!stack_fault(c, i, false, fdp)) return retire(c, i);
    } else {
        Status st;
        bool denormal = false;
        const F80 b = S == Src::St ? f.st(src) : source_value<S>(m, denormal);
        r = apply<O>(f.st(dst), b, denormal, fp80::control(f.fcw, true), st);
        if (!raise_flags(c, i, st, fdp)) return retire(c, i);
    }
    set_st(f, dst, r);
    if constexpr (Pop) pop(f);
    retire(c, i);
}

// One-operand instructions on ST(0): D9 FA FSQRT (precision control applies),
// D9 FC FRNDINT.
template <F80 (*F)(const F80&, const fp80::Ctl&, Status&), bool PC> void FUNARY(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    F80 r = kIndefinite;
    if (f.empty(0)) {
        if (!stack_fault(c, i, false, kNoData)) return retire(c, i);
    } else {
        Status st;
        r = F(f.st(0), fp80::control(f.fcw, PC), st);
        if (!raise_flags(c, i, st, kNoData)) return retire(c, i);
    }
    set_st(f, 0, r);
    retire(c, i);
}

// D9 E0 FCHS; D9 E1 FABS: the sign bit only, no exception but the stack's.
template <bool Abs> void FSIGN(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    if (f.empty(0)) {
        if (stack_fault(c, i, false, kNoData)) set_st(f, 0, kIndefinite);  // as it is, sign included
        return retire(c, i);
    }
    raise_flags(c, i, {}, kNoData);
    F80& v = f.st(0);
    v.se = Abs ? static_cast<u16>(v.se & 0x7FFF) : static_cast<u16>(v.se ^ 0x8000);
    retire(c, i);
}

// D9 FD FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)).
void FSCALE(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    F80 r = kIndefinite;
    if (f.empty(0) || f.empty(1)) {
        if (!stack_fault(c, i, false, kNoData)) return retire(c, i);
    } else {
        Status st;
        r = fp80::scale(f.st(0), f.st(1), fp80::control(f.fcw, false), st);
        if (!raise_flags(c, i, st, kNoData)) return retire(c, i);
    }
    set_st(f, 0, r);
    retire(c, i);
}

// D9 F8 FPREM; D9 F5 FPREM1: ST(0) = remainder of ST(0) / ST(1). Complete: C2 = 0
// and C0 C3 C1 = the quotient's bits 2, 1, 0. Partial: C2 = 1.
template <bool Nearest> void FPREM_(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    F80 r = kIndefinite;
    u16 cc = f.fsw & (sw::C0 | sw::C1 | sw::C3);
    if (f.empty(0) || f.empty(1)) {
        // A stack fault clears C2 and leaves C0 and C3 (measured).
        const bool masked = stack_fault(c, i, false, kNoData);
        cc = f.fsw & (sw::C0 | sw::C1 | sw::C3);
        if (!masked) {
            f.fsw &= static_cast<u16>(~sw::C2);
            return retire(c, i);
        }
    } else {
        Status st;
        const fp80::Remainder rem = fp80::remainder(f.st(0), f.st(1), Nearest, fp80::control(f.fcw, false), st);
        const bool stored = raise_flags(c, i, st, kNoData);
        cc = f.fsw & (sw::C0 | sw::C1 | sw::C3);  // without a quotient: C0 and C3 kept, C1 cleared
        if (!stored) {
            f.fsw &= static_cast<u16>(~sw::C2);
            return retire(c, i);
        }
        r = rem.r;
        if (!rem.complete) cc = sw::C2;  // partial: C0 C1 C3 cleared (measured)
        else if (rem.quotient)
            cc = static_cast<u16>(((rem.q & 4) ? sw::C0 : 0) | ((rem.q & 2) ? sw::C3 : 0) | ((rem.q & 1) ? sw::C1 : 0));
    }
    f.fsw = static_cast<u16>((f.fsw & ~(sw::C0 | sw::C1 | sw::C2 | sw::C3)) | cc);
    set_st(f, 0, r);
    retire(c, i);
}

// D9 F4 FXTRACT: ST(0) = exponent, then push the significand.
void FXTRACT(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    fp80::Extracted e{kIndefinite, kIndefinite};
    if (f.empty(0) || !f.empty(7)) {
        if (!stack_fault(c, i, !f.empty(0), kNoData)) return retire(c, i);
    } else {
        Status st;
        e = fp80::extract(f.st(0), st);
        if (!raise_flags(c, i, st, kNoData)) return retire(c, i);
    }
    set_st(f, 0, e.exponent);
    push(f, e.significand);
    retire(c, i);
}

// The transcendentals, on the host (x87_host.cpp): D9 FE FSIN, D9 FF FCOS,
// D9 F2 FPTAN, D9 F0 F2XM1 (ST(0) in, out); D9 FB FSINCOS (pushes cos);
// D9 F3 FPATAN, D9 F1 FYL2X, D9 F9 FYL2XP1 (ST(1), ST(0) in; ST(1) out, pop).
// A masked stack fault leaves the indefinite in every destination.
template <Transcendental T, unsigned Inputs, int Delta> void FTRANS(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    const bool underflow = f.empty(0) || (Inputs == 2 && f.empty(1));
    if (underflow || (Delta > 0 && !f.empty(7))) {
        // FSIN, FCOS, FSINCOS, FPTAN: C2 ("out of range") clear after a stack fault (measured).
        if (T == Transcendental::Fsin || T == Transcendental::Fcos || T == Transcendental::Fsincos ||
            T == Transcendental::Fptan)
            f.fsw &= static_cast<u16>(~sw::C2);
        if (!stack_fault(c, i, !underflow, kNoData)) return retire(c, i);
        if constexpr (Delta < 0) pop(f);
        set_st(f, 0, kIndefinite);
        if constexpr (Delta > 0) push(f, kIndefinite);
        return retire(c, i);
    }
    const F80 in[2] = {f.st(0), Inputs == 2 ? f.st(1) : F80{}};
    const HostRun h = run_on_host(T, in, Inputs, f.fcw, f.fsw);
    Status st;
    st.flags = h.fsw & sw::FLAGS;
    st.c1 = h.fsw & sw::C1;
    raise_flags(c, i, st, kNoData);  // an unmasked pre-computation exception: the host kept the operands
    f.fsw = static_cast<u16>((f.fsw & ~(sw::C0 | sw::C2 | sw::C3)) | (h.fsw & (sw::C0 | sw::C2 | sw::C3)));
    for (int k = static_cast<int>(h.depth); k < static_cast<int>(Inputs); ++k) pop(f);
    for (unsigned k = Inputs; k < h.depth; ++k) push(f, F80{});
    for (unsigned k = 0; k < h.depth; ++k) set_st(f, k, h.st[k]);
    retire(c, i);
}

// ---- compares -------------------------------------------------------------------
// C3 C2 C0 = 000 (>), 001 (<), 100 (=), 111 (unordered) (SDM Vol. 2A, FCOM, "FCOM/FCOMP/FCOMPP Results").
void set_order(X87& f, fp80::Order o) {
    u16 cc = 0;
    switch (o) {
        case fp80::Order::Greater: break;
        case fp80::Order::Less: cc = sw::C0; break;
        case fp80::Order::Equal: cc = sw::C3; break;
        case fp80::Order::Unordered: cc = sw::C3 | sw::C2 | sw::C0; break;
    }
    f.fsw = static_cast<u16>((f.fsw & ~(sw::C0 | sw::C2 | sw::C3)) | cc);
}

// ST(0) against its operand; `Zero`: against +0.0 (FTST). IE for any NaN unless Quiet.
// D8 D0+i FCOM ST(i); D8 /2 FCOM m32; DC /2 FCOM m64; D8 D8+i, D8 /3, DC /3 FCOMP;
// DE D9 FCOMPP; DD E0+i FUCOM; DD E8+i FUCOMP; DA E9 FUCOMPP; DE /2 DA /2 FICOM
// m16/m32; DE /3 DA /3 FICOMP; D9 E4 FTST
template <Src S, bool Quiet, int Pops, bool Zero = false> void FCOM_(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    MemVal m;
    u64 fdp = kNoData;
    if constexpr (S != Src::St) {
        const u64 a = ea(c, i);
        m = read_mem<S>(c, a);
        fdp = data_offset(c, i, a);
    }
    fp80::Order o = fp80::Order::Unordered;
    if (f.empty(0) || (S == Src::St && !Zero && f.empty(i.r0))) {
        if (!stack_fault(c, i, false, fdp)) {
            set_order(f, o);
            return retire(c, i);
        }
    } else {
        Status st;
        bool denormal = false;
        const F80 b = Zero ? F80{} : S == Src::St ? f.st(i.r0) : source_value<S>(m, denormal);
        o = fp80::compare(f.st(0), b, Quiet, st, denormal ? fp80::kDenormalB : 0);
        if (!raise_flags(c, i, st, fdp)) {
            set_order(f, o);  // the condition codes are set even then (measured)
            return retire(c, i);
        }
    }
    set_order(f, o);
    for (int k = 0; k < Pops; ++k) pop(f);
    retire(c, i);
}

// DB F0+i FCOMI; DF F0+i FCOMIP; DB E8+i FUCOMI; DF E8+i FUCOMIP: ZF PF CF =
// 000 (>), 001 (<), 100 (=), 111 (unordered); OF SF AF cleared.
template <bool Quiet, bool Pop> void FCOMI_(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    fp80::Order o = fp80::Order::Unordered;
    bool pop_too = Pop;
    if (f.empty(0) || f.empty(i.r0)) {
        pop_too &= stack_fault(c, i, false, kNoData);
    } else {
        Status st;
        o = fp80::compare(f.st(0), f.st(i.r0), Quiet, st);
        const u16 c1 = f.fsw & sw::C1;  // unchanged (measured; the SDM says cleared)
        pop_too &= raise_flags(c, i, st, kNoData);
        f.fsw = static_cast<u16>((f.fsw & ~sw::C1) | c1);
    }
    // RFLAGS are set even when the exception is unmasked (measured), as FCOM's codes.
    u64 flags = 0;
    switch (o) {
        case fp80::Order::Greater: break;
        case fp80::Order::Less: flags = fl::CF; break;
        case fp80::Order::Equal: flags = fl::ZF; break;
        case fp80::Order::Unordered: flags = fl::ZF | fl::PF | fl::CF; break;
    }
    c.s.rflags = (c.s.rflags & ~fl::ARITH) | flags;
    if (pop_too) pop(f);
    retire(c, i);
}

// D9 E5 FXAM: C3 C2 C0 classify ST(0) (SDM Vol. 2A, FXAM, "FXAM Results"); C1 = its sign.
void FXAM(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    const F80& v = f.st(0);
    u16 cc = 0;
    if (f.empty(0)) cc = sw::C3 | sw::C0;
    else {
        switch (fp80::classify(v)) {
            case Kind::Unsupported: cc = 0; break;
            case Kind::QNaN:
            case Kind::SNaN: cc = sw::C0; break;
            case Kind::Normal: cc = sw::C2; break;
            case Kind::Inf: cc = sw::C2 | sw::C0; break;
            case Kind::Zero: cc = sw::C3; break;
            case Kind::Denormal: cc = sw::C3 | sw::C2; break;
        }
    }
    if (v.se & 0x8000) cc |= sw::C1;
    f.fsw = static_cast<u16>((f.fsw & ~sw::CC) | cc);
    retire(c, i);
}

// ---- register stack -------------------------------------------------------------
// D9 C8+i FXCH ST(i) (and the aliases DD C8+i, DF C8+i). A masked underflow
// first fills the empty register(s) with the indefinite.
void FXCH(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    if (f.empty(0) || f.empty(i.r0)) {
        if (!stack_fault(c, i, false, kNoData)) return retire(c, i);
        if (f.empty(0)) set_st(f, 0, kIndefinite);
        if (f.empty(i.r0)) set_st(f, i.r0, kIndefinite);
    } else {
        raise_flags(c, i, {}, kNoData);
    }
    std::swap(f.st(0), f.st(i.r0));
    retire(c, i);
}

// DA C0+i FCMOVB, C8 FCMOVE, D0 FCMOVBE, D8 FCMOVU; DB C0+i FCMOVNB, C8 FCMOVNE,
// D0 FCMOVNBE, D8 FCMOVNU: ST(0) = ST(i) if the condition (tttn) holds.
template <u8 Cond> void FCMOVcc(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    if (f.empty(0) || f.empty(i.r0)) {
        if (!stack_fault(c, i, false, kNoData)) return retire(c, i);
        set_st(f, 0, kIndefinite);
        return retire(c, i);
    }
    if (cond(c.s.rflags, Cond)) set_st(f, 0, f.st(i.r0));  // C1 unchanged (measured)
    retire(c, i);
}

// D9 F7 FINCSTP; D9 F6 FDECSTP: TOP only, the tags stay.
template <int D> void FINCSTP_FDECSTP(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    f.set_top(f.top() + D);
    f.fsw &= static_cast<u16>(~sw::C1);
    retire(c, i);
}

// DD C0+i FFREE ST(i); DF C0+i FFREEP ST(i) (frees, then pops).
template <bool Pop> void FFREE_(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    f.ftw = static_cast<u8>(f.ftw & ~(1u << ((f.top() + i.r0) & 7)));
    f.fsw &= static_cast<u16>(~sw::C1);
    if constexpr (Pop) pop(f);
    retire(c, i);
}

// D9 D0 FNOP; DB E0 FENI, DB E1 FDISI, DB E4 FSETPM (8087/287 controls, no-ops since the 387)
void FNOP(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    retire(c, i);
}

// ---- control --------------------------------------------------------------------
// D9 /5 FLDCW m2byte: may unmask (or mask) a pending exception, which ES then says.
void FLDCW_Mw(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87& f = c.s.fpu;
    f.fcw = loaded_fcw(c.read<u16>(ea(c, i)));
    update_error_summary(f);
    c.update_ferr();
    next(c, i);
}
// D9 /7 FNSTCW m2byte
void FNSTCW_Mw(Cpu& c, const Insn& i) {
    c.write<u16>(ea(c, i), c.s.fpu.fcw);
    next(c, i);
}
// DD /7 FNSTSW m2byte; DF E0 FNSTSW AX
template <K D> void FNSTSW(Cpu& c, const Insn& i) {
    if constexpr (D == K::M) c.write<u16>(ea(c, i), c.s.fpu.fsw);
    else setr<u16>(c, RAX * 8, c.s.fpu.fsw);
    next(c, i);
}
// DB E3 FNINIT
void FNINIT(Cpu& c, const Insn& i) {
    init(c.s.fpu);
    c.update_ferr();
    next(c, i);
}
// DB E2 FNCLEX: clears the flags, SF, ES and B (SDM Vol. 2A, FCLEX/FNCLEX).
void FNCLEX(Cpu& c, const Insn& i) {
    c.s.fpu.fsw &= 0x7F00;
    c.update_ferr();
    next(c, i);
}
// 9B FWAIT
void FWAIT(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    next(c, i);
}

// ---- builders -------------------------------------------------------------------
// FOP: bits 2:0 of the opcode byte (D8-DF) and the ModRM byte (SDM Vol. 1,
// 8.1.8); kept in Insn::imm, which x87 instructions have no other use for.
u16 fop(const Decoded& d) {
    const auto& m = d.in.raw.modrm;
    return static_cast<u16>(((d.in.opcode & 7) << 8) | (m.mod << 6) | (m.reg << 3) | m.rm);
}
unsigned st_number(const Decoded& d, int n) { return static_cast<unsigned>(d.op[n].reg.value - ZYDIS_REGISTER_ST0); }
bool is_st(const Decoded& d, int n) {
    return d.op[n].type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(d.op[n].reg.value) == ZYDIS_REGCLASS_X87;
}
bool is_mem(const Decoded& d, int n, unsigned bytes) {
    return d.op[n].type == ZYDIS_OPERAND_TYPE_MEMORY && d.size(n) == bytes;
}

// Every x87 builder goes through here: FOP and the timing class.
template <bool (*B)(Insn&, const Decoded&), Cls C> bool x87_insn(Insn& i, const Decoded& d) {
    i.imm = fop(d);
    i.cycles = cost(C, d);
    return B(i, d);
}
template <Handler H> bool only(Insn& i, const Decoded&) {
    i.fn = H;
    return true;
}

// The ST(i) of a one- or two-operand register form (the operand that is not ST(0),
// or ST(0) itself), in Insn::r0; with `to_sti` whether it is the destination.
bool st_operands(Insn& i, const Decoded& d, bool& to_sti) {
    if (d.count() == 1 && is_st(d, 0)) {
        i.r0 = static_cast<u8>(st_number(d, 0));
        to_sti = false;
        return true;
    }
    if (d.count() != 2 || !is_st(d, 0) || !is_st(d, 1)) return false;
    const unsigned a = st_number(d, 0), b = st_number(d, 1);
    if (a == 0) {
        i.r0 = static_cast<u8>(b);
        to_sti = false;
    } else if (b == 0) {
        i.r0 = static_cast<u8>(a);
        to_sti = true;
    } else {
        return false;
    }
    return true;
}

template <Op O> bool build_arith(Insn& i, const Decoded& d) {
    if (d.count() == 1 && is_mem(d, 0, 4)) i.fn = FARITH<O, Src::M32, false, false>;
    else if (d.count() == 1 && is_mem(d, 0, 8)) i.fn = FARITH<O, Src::M64, false, false>;
    else {
        bool to_sti;
        if (!st_operands(i, d, to_sti)) return false;
        i.fn = to_sti ? FARITH<O, Src::St, true, false> : FARITH<O, Src::St, false, false>;
    }
    return true;
}
template <Op O> bool build_arith_pop(Insn& i, const Decoded& d) {
    bool to_sti;
    if (d.count() == 0) i.r0 = 1;  // DE C1 with no operands: ST(1), ST(0)
    else if (!st_operands(i, d, to_sti)) return false;
    i.fn = FARITH<O, Src::St, true, true>;
    return true;
}
template <Op O> bool build_arith_int(Insn& i, const Decoded& d) {
    if (is_mem(d, 0, 2)) i.fn = FARITH<O, Src::I16, false, false>;
    else if (is_mem(d, 0, 4)) i.fn = FARITH<O, Src::I32, false, false>;
    else return false;
    return true;
}

bool build_fld(Insn& i, const Decoded& d) {
    if (d.count() != 1) return false;
    if (is_mem(d, 0, 4)) i.fn = FLD_M<Src::M32>;
    else if (is_mem(d, 0, 8)) i.fn = FLD_M<Src::M64>;
    else if (is_mem(d, 0, 10)) i.fn = FLD_M<Src::M80>;
    else if (is_st(d, 0)) {
        i.r0 = static_cast<u8>(st_number(d, 0));
        i.fn = FLD_STi;
    } else return false;
    return true;
}
bool build_fild(Insn& i, const Decoded& d) {
    if (is_mem(d, 0, 2)) i.fn = FLD_M<Src::I16>;
    else if (is_mem(d, 0, 4)) i.fn = FLD_M<Src::I32>;
    else if (is_mem(d, 0, 8)) i.fn = FLD_M<Src::I64>;
    else return false;
    return true;
}
template <bool Pop> bool build_fst(Insn& i, const Decoded& d) {
    if (d.count() != 1) return false;
    if (is_mem(d, 0, 4)) i.fn = FST_M<Src::M32, Pop>;
    else if (is_mem(d, 0, 8)) i.fn = FST_M<Src::M64, Pop>;
    else if (Pop && is_mem(d, 0, 10)) i.fn = FST_M<Src::M80, true>;
    else if (is_st(d, 0)) {
        i.r0 = static_cast<u8>(st_number(d, 0));
        i.fn = FST_STi<Pop>;
    } else return false;
    return true;
}
template <bool Pop, bool Truncate> bool build_fist(Insn& i, const Decoded& d) {
    if (is_mem(d, 0, 2)) i.fn = FST_M<Src::I16, Pop, Truncate>;
    else if (is_mem(d, 0, 4)) i.fn = FST_M<Src::I32, Pop, Truncate>;
    else if (Pop && is_mem(d, 0, 8)) i.fn = FST_M<Src::I64, Pop, Truncate>;
    else return false;
    return true;
}
template <bool Quiet, int Pops> bool build_fcom(Insn& i, const Decoded& d) {
    if (d.count() == 0) {
        i.r0 = 1;  // FCOM, FCOMP, FCOMPP, FUCOM... with no operand: ST(1)
        i.fn = FCOM_<Src::St, Quiet, Pops>;
        return true;
    }
    if (!Quiet && d.count() == 1 && is_mem(d, 0, 4)) i.fn = FCOM_<Src::M32, false, Pops>;
    else if (!Quiet && d.count() == 1 && is_mem(d, 0, 8)) i.fn = FCOM_<Src::M64, false, Pops>;
    else {
        bool to_sti;
        if (!st_operands(i, d, to_sti)) return false;
        i.fn = FCOM_<Src::St, Quiet, Pops>;
    }
    return true;
}
template <int Pops> bool build_ficom(Insn& i, const Decoded& d) {
    if (is_mem(d, 0, 2)) i.fn = FCOM_<Src::I16, false, Pops>;
    else if (is_mem(d, 0, 4)) i.fn = FCOM_<Src::I32, false, Pops>;
    else return false;
    return true;
}
template <Handler H> bool build_sti(Insn& i, const Decoded& d) {
    bool to_sti;
    if (d.count() == 0) i.r0 = 1;
    else if (!st_operands(i, d, to_sti)) return false;
    i.fn = H;
    return true;
}
template <Handler H, unsigned Bytes> bool build_mem(Insn& i, const Decoded& d) {
    if (!is_mem(d, 0, Bytes)) return false;
    i.fn = H;
    return true;
}
bool build_fnstsw(Insn& i, const Decoded& d) {
    i.fn = d.kind(0) == K::M ? FNSTSW<K::M> : FNSTSW<K::R>;
    return true;
}

#define SY_X87(mn, builder, cls) {ZYDIS_MNEMONIC_##mn, x87_insn<builder, Cls::cls>}
const BuilderEntry kBuilders[] = {
    SY_X87(FLD, build_fld, Mov),
    SY_X87(FILD, build_fild, X87),
    SY_X87(FBLD, (build_mem<FLD_M<Src::Bcd>, 10>), X87Misc),
    SY_X87(FLD1, only<FLDCONST<fp80::Constant::One>>, Mov),
    SY_X87(FLDL2T, only<FLDCONST<fp80::Constant::L2T>>, Mov),
    SY_X87(FLDL2E, only<FLDCONST<fp80::Constant::L2E>>, Mov),
    SY_X87(FLDPI, only<FLDCONST<fp80::Constant::Pi>>, Mov),
    SY_X87(FLDLG2, only<FLDCONST<fp80::Constant::Lg2>>, Mov),
    SY_X87(FLDLN2, only<FLDCONST<fp80::Constant::Ln2>>, Mov),
    SY_X87(FLDZ, only<FLDCONST<fp80::Constant::Zero>>, Mov),
    SY_X87(FST, build_fst<false>, Mov),
    SY_X87(FSTP, build_fst<true>, Mov),
    SY_X87(FSTPNCE, build_fst<true>, Mov),
    SY_X87(FIST, (build_fist<false, false>), X87),
    SY_X87(FISTP, (build_fist<true, false>), X87),
    SY_X87(FISTTP, (build_fist<true, true>), X87),
    SY_X87(FBSTP, (build_mem<FST_M<Src::Bcd, true>, 10>), X87Misc),
    SY_X87(FADD, build_arith<Op::Add>, X87),
    SY_X87(FADDP, build_arith_pop<Op::Add>, X87),
    SY_X87(FIADD, build_arith_int<Op::Add>, X87),
    SY_X87(FSUB, build_arith<Op::Sub>, X87),
    SY_X87(FSUBP, build_arith_pop<Op::Sub>, X87),
    SY_X87(FISUB, build_arith_int<Op::Sub>, X87),
    SY_X87(FSUBR, build_arith<Op::SubR>, X87),
    SY_X87(FSUBRP, build_arith_pop<Op::SubR>, X87),
    SY_X87(FISUBR, build_arith_int<Op::SubR>, X87),
    SY_X87(FMUL, build_arith<Op::Mul>, X87Mul),
    SY_X87(FMULP, build_arith_pop<Op::Mul>, X87Mul),
    SY_X87(FIMUL, build_arith_int<Op::Mul>, X87Mul),
    SY_X87(FDIV, build_arith<Op::Div>, X87Div),
    SY_X87(FDIVP, build_arith_pop<Op::Div>, X87Div),
    SY_X87(FIDIV, build_arith_int<Op::Div>, X87Div),
    SY_X87(FDIVR, build_arith<Op::DivR>, X87Div),
    SY_X87(FDIVRP, build_arith_pop<Op::DivR>, X87Div),
    SY_X87(FIDIVR, build_arith_int<Op::DivR>, X87Div),
    SY_X87(FSQRT, (only<FUNARY<fp80::sqrt, true>>), X87Sqrt),
    SY_X87(FRNDINT, (only<FUNARY<fp80::round_to_integer, false>>), X87Misc),
    SY_X87(FCHS, only<FSIGN<false>>, X87),
    SY_X87(FABS, only<FSIGN<true>>, X87),
    SY_X87(FSCALE, only<FSCALE>, X87Misc),
    SY_X87(FPREM, only<FPREM_<false>>, X87Misc),
    SY_X87(FPREM1, only<FPREM_<true>>, X87Misc),
    SY_X87(FXTRACT, only<FXTRACT>, X87Misc),
    SY_X87(FSIN, (only<FTRANS<Transcendental::Fsin, 1, 0>>), X87Trans),
    SY_X87(FCOS, (only<FTRANS<Transcendental::Fcos, 1, 0>>), X87Trans),
    SY_X87(FSINCOS, (only<FTRANS<Transcendental::Fsincos, 1, 1>>), X87Trans),
    SY_X87(FPTAN, (only<FTRANS<Transcendental::Fptan, 1, 1>>), X87Trans),
    SY_X87(F2XM1, (only<FTRANS<Transcendental::F2xm1, 1, 0>>), X87Trans),
    SY_X87(FPATAN, (only<FTRANS<Transcendental::Fpatan, 2, -1>>), X87Trans),
    SY_X87(FYL2X, (only<FTRANS<Transcendental::Fyl2x, 2, -1>>), X87Trans),
    SY_X87(FYL2XP1, (only<FTRANS<Transcendental::Fyl2xp1, 2, -1>>), X87Trans),
    SY_X87(FCOM, (build_fcom<false, 0>), X87),
    SY_X87(FCOMP, (build_fcom<false, 1>), X87),
    SY_X87(FCOMPP, (build_fcom<false, 2>), X87),
    SY_X87(FUCOM, (build_fcom<true, 0>), X87),
    SY_X87(FUCOMP, (build_fcom<true, 1>), X87),
    SY_X87(FUCOMPP, (build_fcom<true, 2>), X87),
    SY_X87(FICOM, build_ficom<0>, X87),
    SY_X87(FICOMP, build_ficom<1>, X87),
    SY_X87(FTST, (only<FCOM_<Src::St, false, 0, true>>), X87),
    SY_X87(FCOMI, (build_sti<FCOMI_<false, false>>), X87),
    SY_X87(FCOMIP, (build_sti<FCOMI_<false, true>>), X87),
    SY_X87(FUCOMI, (build_sti<FCOMI_<true, false>>), X87),
    SY_X87(FUCOMIP, (build_sti<FCOMI_<true, true>>), X87),
    SY_X87(FXAM, only<FXAM>, X87),
    SY_X87(FXCH, build_sti<FXCH>, Mov),
    SY_X87(FCMOVB, build_sti<FCMOVcc<0x2>>, X87),
    SY_X87(FCMOVNB, build_sti<FCMOVcc<0x3>>, X87),
    SY_X87(FCMOVE, build_sti<FCMOVcc<0x4>>, X87),
    SY_X87(FCMOVNE, build_sti<FCMOVcc<0x5>>, X87),
    SY_X87(FCMOVBE, build_sti<FCMOVcc<0x6>>, X87),
    SY_X87(FCMOVNBE, build_sti<FCMOVcc<0x7>>, X87),
    SY_X87(FCMOVU, build_sti<FCMOVcc<0xA>>, X87),
    SY_X87(FCMOVNU, build_sti<FCMOVcc<0xB>>, X87),
    SY_X87(FINCSTP, only<FINCSTP_FDECSTP<1>>, Mov),
    SY_X87(FDECSTP, only<FINCSTP_FDECSTP<-1>>, Mov),
    SY_X87(FFREE, build_sti<FFREE_<false>>, Mov),
    SY_X87(FFREEP, build_sti<FFREE_<true>>, Mov),
    SY_X87(FNOP, only<FNOP>, Nop),
    SY_X87(FENI8087_NOP, only<FNOP>, Nop),
    SY_X87(FDISI8087_NOP, only<FNOP>, Nop),
    SY_X87(FSETPM287_NOP, only<FNOP>, Nop),
    SY_X87(FLDCW, (build_mem<FLDCW_Mw, 2>), Stack),
    SY_X87(FNSTCW, (build_mem<FNSTCW_Mw, 2>), Mov),
    SY_X87(FNSTSW, build_fnstsw, Mov),
    SY_X87(FNINIT, only<FNINIT>, X87Misc),
    SY_X87(FNCLEX, only<FNCLEX>, Stack),
    SY_X87(FWAIT, only<FWAIT>, Nop),
};
#undef SY_X87

}  // namespace

std::span<const BuilderEntry> x87_builders() { return kBuilders; }

}  // namespace sy
