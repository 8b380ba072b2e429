// Integer instructions: data movement, binary arithmetic and logic, multiply and
// divide, shifts and rotates, bit and byte instructions.
// SDM Vol. 1, 7.3.1-7.3.7 ("General-purpose instructions": data transfer, binary
// arithmetic, logical, shift and rotate, bit and byte); Vol. 2 for each
// instruction (ADD, MOV, IMUL, SHLD, BT, ...). Flags are computed in alu.h, which
// also lists the values we give to flags the SDM leaves undefined.
//
// LOCK: our processors run one at a time, so a locked read-modify-write is the
// same as an unlocked one; it only costs more (Cls::Xchg). Zydis rejects illegal
// LOCK uses itself (#UD).
//
// Where the manuals leave a result undefined we do what the hosts isa-test ran on
// (AMD EPYC, Intel Xeon) do; where the two vendors differ, Cpu::vendor picks:
//   - BSF/BSR with a zero source write nothing, not even the upper half of a
//     64-bit register for a 32-bit destination (AMD APM documents "unchanged";
//     the Intel host measured does the same).
//   - BSWAP r16 gives 0 (SDM: undefined).
//   - SHLD/SHRD r16 with a count of 17..31: Intel and AMD differ (alu::shld).
//   - CMPXCHG r,r writes the destination only on success and rAX only on failure.
// Cost: unlocked XADD/CMPXCHG/CMPXCHG8B/16B with memory are charged as an ALU
// operation with a memory operand, locked ones (and XCHG with memory) Cls::Xchg.
#include <bit>
#include <type_traits>

#include "decode.h"

namespace sy {
namespace {

using timing::Cls;

// Read-modify-write of operand 0: `f` maps the old value to the new one. The
// write is checked before the read, so a fault changes nothing; `f` may update
// flags or other registers because nothing after it can fault.
template <class T, K D, class F> inline void rmw(Cpu& c, const Insn& i, F f) {
    if constexpr (D == K::M) {
        u64 a = ea(c, i);
        c.check_write(a, sizeof(T));
        c.write<T>(a, f(c.read<T>(a)));
    } else {
        setr<T>(c, i.r0, f(getr<T>(c, i.r0)));
    }
}

// Locked read-modify-writes cost a locked bus cycle.
inline Cls locked(const Insn& i, Cls c) { return i.lock ? Cls::Xchg : c; }

// Handler for a register or memory operand kind; other kinds give nullptr (#UD).
template <class F> Handler by_kind_rm(K k, F f) {
    if (k == K::R) return f.template operator()<K::R>();
    if (k == K::M) return f.template operator()<K::M>();
    return nullptr;
}
// Same for a count or bit-offset operand: an immediate or a register.
template <class F> Handler by_kind_ri(K k, F f) {
    if (k == K::R) return f.template operator()<K::R>();
    if (k == K::I) return f.template operator()<K::I>();
    return nullptr;
}

// ---- MOV ---------------------------------------------------------------------
// 88/89 MOV Ev,Gv; 8A/8B MOV Gv,Ev; B0+/B8+ MOV reg,imm; C6/C7 MOV Ev,Iz
template <class T, K D, K S> void MOV_E_G(Cpu& c, const Insn& i) {
    put<T, D, 0>(c, i, get<T, S, 1>(c, i));
    next(c, i);
}

bool build_mov(Insn& i, const Decoded& d) {
    if (d.count() != 2) return false;
    bool system;  // control, debug and segment register moves live in ops_priv.cpp
    bool ok = build_mov_system(i, d, system);
    if (system) return ok;
    K a = d.kind(0), b = d.kind(1);
    if (a == K::R && b == K::R) i.fn = by_width(i.osz, []<class T>() { return &MOV_E_G<T, K::R, K::R>; });
    else if (a == K::R && b == K::M) i.fn = by_width(i.osz, []<class T>() { return &MOV_E_G<T, K::R, K::M>; });
    else if (a == K::M && b == K::R) i.fn = by_width(i.osz, []<class T>() { return &MOV_E_G<T, K::M, K::R>; });
    else if (a == K::R && b == K::I) i.fn = by_width(i.osz, []<class T>() { return &MOV_E_G<T, K::R, K::I>; });
    else if (a == K::M && b == K::I) i.fn = by_width(i.osz, []<class T>() { return &MOV_E_G<T, K::M, K::I>; });
    i.cycles = cost(Cls::Mov, d);
    return true;
}

// ---- The eight ALU operations ------------------------------------------------
// 00-3F: ADD/OR/ADC/SBB/AND/SUB/XOR/CMP Ev,Gv / Gv,Ev / AL,Ib / eAX,Iz; 80/81/83 group 1.
// 84/85/A8/A9/F6 /0/F7 /0 TEST.
template <class Op, class T, K D, K S> void ALU_E_G(Cpu& c, const Insn& i) {
    if constexpr (D == K::M) {
        u64 a = ea(c, i);
        if constexpr (Op::kWrites) c.check_write(a, sizeof(T));
        T r = Op::template op<T>(c.s.rflags, c.read<T>(a), get<T, S, 1>(c, i));
        if constexpr (Op::kWrites) c.write<T>(a, r);
    } else {
        T r = Op::template op<T>(c.s.rflags, getr<T>(c, i.r0), get<T, S, 1>(c, i));
        if constexpr (Op::kWrites) setr<T>(c, i.r0, r);
    }
    next(c, i);
}

template <class Op> bool build_alu(Insn& i, const Decoded& d) {
    if (d.count() != 2) return false;
    K a = d.kind(0), b = d.kind(1);
    if (a == K::R && b == K::R) i.fn = by_width(i.osz, []<class T>() { return &ALU_E_G<Op, T, K::R, K::R>; });
    else if (a == K::R && b == K::M) i.fn = by_width(i.osz, []<class T>() { return &ALU_E_G<Op, T, K::R, K::M>; });
    else if (a == K::M && b == K::R) i.fn = by_width(i.osz, []<class T>() { return &ALU_E_G<Op, T, K::M, K::R>; });
    else if (a == K::R && b == K::I) i.fn = by_width(i.osz, []<class T>() { return &ALU_E_G<Op, T, K::R, K::I>; });
    else if (a == K::M && b == K::I) i.fn = by_width(i.osz, []<class T>() { return &ALU_E_G<Op, T, K::M, K::I>; });
    i.cycles = cost(Op::kWrites ? locked(i, Cls::Alu) : Cls::Alu, d);
    return true;
}

// ---- INC / DEC / NOT / NEG ---------------------------------------------------
// FE/FF /0 INC Ev; FE/FF /1 DEC Ev; F6/F7 /2 NOT Ev; F6/F7 /3 NEG Ev
struct IncOp { template <class T> static T op(u64& f, T a) { return alu::inc<T>(f, a); } };
struct DecOp { template <class T> static T op(u64& f, T a) { return alu::dec<T>(f, a); } };
struct NotOp { template <class T> static T op(u64&, T a) { return static_cast<T>(~a); } };
struct NegOp { template <class T> static T op(u64& f, T a) { return alu::sub<T>(f, T(0), a); } };

template <class Op, class T, K D> void UNARY_E(Cpu& c, const Insn& i) {
    rmw<T, D>(c, i, [&](T a) { return Op::template op<T>(c.s.rflags, a); });
    next(c, i);
}

template <class Op> bool build_unary(Insn& i, const Decoded& d) {
    if (d.count() != 1) return false;
    if (d.kind(0) == K::R) i.fn = by_width(i.osz, []<class T>() { return &UNARY_E<Op, T, K::R>; });
    else i.fn = by_width(i.osz, []<class T>() { return &UNARY_E<Op, T, K::M>; });
    i.cycles = cost(locked(i, Cls::Alu), d);
    return true;
}

// ---- LEA ---------------------------------------------------------------------
// 8D LEA Gv,M: the effective address, truncated to the operand size.
template <class T> void LEA_Gv_M(Cpu& c, const Insn& i) {
    setr<T>(c, i.r0, static_cast<T>(ea(c, i)));
    next(c, i);
}

bool build_lea(Insn& i, const Decoded& d) {
    i.seg = SEG_NONE;
    i.fn = by_width_wdq(i.osz, []<class T>() { return &LEA_Gv_M<T>; });
    i.cycles = cost(Cls::Mov, d, false);
    return true;
}

// ---- MOVZX / MOVSX / MOVSXD --------------------------------------------------
// 0F B6/B7 MOVZX Gv,Eb/Ew; 0F BE/BF MOVSX Gv,Eb/Ew; 63 MOVSXD Gv,Ed.
// MOVSXD without REX.W (Gd,Ed, or Gw,Ew with 66h) is a plain move of the operand
// size, which is what sign-extending to the same width gives.
template <class D, class S, bool Sx, K k> void MOVX_Gv_E(Cpu& c, const Insn& i) {
    S v = get<S, k, 1>(c, i);
    if constexpr (Sx) setr<D>(c, i.r0, static_cast<D>(static_cast<alu::Signed<D>>(static_cast<alu::Signed<S>>(v))));
    else setr<D>(c, i.r0, static_cast<D>(v));
    next(c, i);
}

template <bool Sx> bool build_movx(Insn& i, const Decoded& d) {
    unsigned src = d.size(1);
    if (d.count() != 2 || d.kind(0) != K::R || src > i.osz) return false;
    i.fn = by_kind_rm(d.kind(1), [&]<K S>() {
        return by_width_wdq(i.osz, [&]<class D>() {
            return by_width(src, []<class Src>() -> Handler {
                if constexpr (sizeof(Src) > sizeof(D)) return nullptr;
                else return &MOVX_Gv_E<D, Src, Sx, S>;
            });
        });
    });
    i.cycles = cost(Cls::Mov, d);
    return true;
}

// ---- XCHG / XADD / CMPXCHG ---------------------------------------------------
// 86/87 XCHG Eb/Ev,Gv; 90+r XCHG r,rAX. With memory it is always locked.
template <class T, K D> void XCHG_E_G(Cpu& c, const Insn& i) {
    T b = getr<T>(c, i.r1);
    rmw<T, D>(c, i, [&](T a) {
        setr<T>(c, i.r1, a);
        return b;
    });
    next(c, i);
}

// 0F C0/C1 XADD Eb/Ev,Gv: SRC <- DEST, then DEST <- sum (DEST wins when they are
// the same register).
template <class T, K D> void XADD_E_G(Cpu& c, const Insn& i) {
    T b = getr<T>(c, i.r1);
    rmw<T, D>(c, i, [&](T a) {
        T r = alu::add<T>(c.s.rflags, a, b);
        setr<T>(c, i.r1, a);
        return r;
    });
    next(c, i);
}

// 0F B0/B1 CMPXCHG Eb/Ev,Gv. Flags as CMP rAX,DEST. A memory destination is
// always written (its old value when the comparison fails); a register
// destination is written only on success, and rAX only on failure, so neither is
// zero-extended otherwise (SDM Vol. 2A CMPXCHG).
template <class T, K D> void CMPXCHG_E_G(Cpu& c, const Insn& i) {
    T acc = getr<T>(c, RAX * 8);
    T src = getr<T>(c, i.r1);
    if constexpr (D == K::M) {
        rmw<T, D>(c, i, [&](T cur) {
            alu::sub<T>(c.s.rflags, acc, cur);
            if (acc != cur) setr<T>(c, RAX * 8, cur);
            return acc == cur ? src : cur;
        });
    } else {
        T cur = getr<T>(c, i.r0);
        alu::sub<T>(c.s.rflags, acc, cur);
        if (acc == cur) setr<T>(c, i.r0, src);
        else setr<T>(c, RAX * 8, cur);
    }
    next(c, i);
}

// 0F C7 /1 CMPXCHG8B m64 (T = u32), REX.W 0F C7 /1 CMPXCHG16B m128 (T = u64).
// Compares rDX:rAX with the memory operand: equal -> ZF=1, m <- rCX:rBX; else
// ZF=0, rDX:rAX <- m (and m is written back). CMPXCHG16B needs a 16-byte aligned
// operand, else #GP(0).
template <class T> void CMPXCHG_DBL_M(Cpu& c, const Insn& i) {
    u64 a = ea(c, i);
    if (sizeof(T) == 8 && (a & 15)) raise(GP, 0);
    c.check_write(a, 2 * sizeof(T));
    T lo = c.read<T>(a), hi = c.read<T>(a + sizeof(T));
    bool eq = lo == getr<T>(c, RAX * 8) && hi == getr<T>(c, RDX * 8);
    alu::set_zf(c.s.rflags, eq);
    if (eq) {
        lo = getr<T>(c, RBX * 8);
        hi = getr<T>(c, RCX * 8);
    } else {
        setr<T>(c, RAX * 8, lo);
        setr<T>(c, RDX * 8, hi);
    }
    c.write<T>(a, lo);
    c.write<T>(a + sizeof(T), hi);
    next(c, i);
}

bool build_xchg(Insn& i, const Decoded& d) {
    if (d.count() != 2 || d.kind(1) != K::R) return false;
    i.fn = by_kind_rm(d.kind(0), [&]<K D>() { return by_width(i.osz, []<class T>() { return &XCHG_E_G<T, D>; }); });
    i.cycles = cost(d.kind(0) == K::M ? Cls::Xchg : Cls::Alu, d);
    return true;
}

bool build_xadd(Insn& i, const Decoded& d) {
    if (d.count() != 2 || d.kind(1) != K::R) return false;
    i.fn = by_kind_rm(d.kind(0), [&]<K D>() { return by_width(i.osz, []<class T>() { return &XADD_E_G<T, D>; }); });
    i.cycles = cost(locked(i, Cls::Alu), d);
    return true;
}

bool build_cmpxchg(Insn& i, const Decoded& d) {
    if (d.count() != 2 || d.kind(1) != K::R) return false;
    i.fn = by_kind_rm(d.kind(0), [&]<K D>() { return by_width(i.osz, []<class T>() { return &CMPXCHG_E_G<T, D>; }); });
    i.cycles = cost(locked(i, Cls::Alu), d);
    return true;
}

template <class T> bool build_cmpxchg_dbl(Insn& i, const Decoded& d) {
    if (d.count() != 1 || d.kind(0) != K::M) return false;
    i.fn = &CMPXCHG_DBL_M<T>;
    i.cycles = cost(locked(i, Cls::Alu), d);
    return true;
}

// ---- BSWAP / CBW..CQO --------------------------------------------------------
// 0F C8+r BSWAP r32/r64. With a 16-bit operand the SDM leaves the result
// undefined; we write 0, as Intel and AMD processors do.
template <class T> void BSWAP_r(Cpu& c, const Insn& i) {
    T v = getr<T>(c, i.r0);
    if constexpr (sizeof(T) == 2) v = 0;
    else if constexpr (sizeof(T) == 4) v = __builtin_bswap32(v);
    else v = __builtin_bswap64(v);
    setr<T>(c, i.r0, v);
    next(c, i);
}

bool build_bswap(Insn& i, const Decoded& d) {
    if (d.count() != 1 || d.kind(0) != K::R) return false;
    i.fn = by_width_wdq(i.osz, []<class T>() { return &BSWAP_r<T>; });
    i.cycles = cost(Cls::Alu, d);
    return true;
}

template <class T> using Half = std::conditional_t<sizeof(T) == 8, u32, std::conditional_t<sizeof(T) == 4, u16, u8>>;

// 98 CBW / CWDE / CDQE: sign-extend the low half of rAX into the operand size.
template <class T> void CBW(Cpu& c, const Insn& i) {
    auto h = static_cast<alu::Signed<Half<T>>>(getr<Half<T>>(c, RAX * 8));
    setr<T>(c, RAX * 8, static_cast<T>(static_cast<alu::Signed<T>>(h)));
    next(c, i);
}
// 99 CWD / CDQ / CQO: rDX <- the sign of rAX, replicated.
template <class T> void CWD(Cpu& c, const Insn& i) {
    setr<T>(c, RDX * 8, alu::msb(getr<T>(c, RAX * 8)) ? alu::kMax<T> : T(0));
    next(c, i);
}

template <Handler H2, Handler H4, Handler H8> bool build_rax_ext(Insn& i, const Decoded& d) {
    i.fn = i.osz == 2 ? H2 : i.osz == 4 ? H4 : i.osz == 8 ? H8 : nullptr;
    i.cycles = cost(Cls::Alu, d);
    return true;
}

// ---- SETcc / CMOVcc ----------------------------------------------------------
// 0F 90-9F SETcc Eb: 1 or 0 by the condition.
template <K D> void SETcc_Eb(Cpu& c, const Insn& i) {
    put<u8, D, 0>(c, i, cond(c.s.rflags, i.cond) ? 1 : 0);
    next(c, i);
}
// 0F 40-4F CMOVcc Gv,Ev. The source is read (and may fault) whatever the
// condition; a 32-bit destination is written, hence zero-extended, even when the
// condition is false (SDM Vol. 2A CMOVcc, "Operation").
template <class T, K S> void CMOVcc_Gv_Ev(Cpu& c, const Insn& i) {
    T v = get<T, S, 1>(c, i);
    setr<T>(c, i.r0, cond(c.s.rflags, i.cond) ? v : getr<T>(c, i.r0));
    next(c, i);
}

// The tttn condition number of a SETcc/CMOVcc mnemonic (Zydis lists the 16 in
// tttn order within each family).
constexpr ZydisMnemonic kSetcc[16] = {
    ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,  ZYDIS_MNEMONIC_SETNB,
    ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
    ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP,  ZYDIS_MNEMONIC_SETNP,
    ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE};
constexpr ZydisMnemonic kCmovcc[16] = {
    ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,  ZYDIS_MNEMONIC_CMOVNB,
    ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
    ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP,  ZYDIS_MNEMONIC_CMOVNP,
    ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE};

bool find_cond(const ZydisMnemonic (&order)[16], ZydisMnemonic m, u8& cc) {
    for (u8 k = 0; k < 16; ++k)
        if (order[k] == m) {
            cc = k;
            return true;
        }
    return false;
}

bool build_setcc(Insn& i, const Decoded& d) {
    if (d.count() != 1 || !find_cond(kSetcc, d.in.mnemonic, i.cond)) return false;
    i.fn = by_kind_rm(d.kind(0), []<K D>() { return &SETcc_Eb<D>; });
    i.cycles = cost(Cls::Mov, d);
    return true;
}

bool build_cmovcc(Insn& i, const Decoded& d) {
    if (d.count() != 2 || d.kind(0) != K::R || !find_cond(kCmovcc, d.in.mnemonic, i.cond)) return false;
    i.fn = by_kind_rm(d.kind(1), [&]<K S>() { return by_width_wdq(i.osz, []<class T>() { return &CMOVcc_Gv_Ev<T, S>; }); });
    i.cycles = cost(Cls::Mov, d);
    return true;
}

// ---- MUL / IMUL / DIV / IDIV -------------------------------------------------
// F6/F7 /4 MUL Ev; F6/F7 /5 IMUL Ev: rDX:rAX <- rAX * Ev (AX <- AL * Eb).
template <class T, K S, bool Sgn> void MUL_Ev(Cpu& c, const Insn& i) {
    T b = get<T, S, 0>(c, i);
    T a = getr<T>(c, RAX * 8);
    alu::Product<T> p = Sgn ? alu::imul<T>(c.s.rflags, a, b) : alu::mul<T>(c.s.rflags, a, b);
    if constexpr (sizeof(T) == 1) {
        setr<u16>(c, RAX * 8, static_cast<u16>(p.lo | (p.hi << 8)));
    } else {
        setr<T>(c, RAX * 8, p.lo);
        setr<T>(c, RDX * 8, p.hi);
    }
    next(c, i);
}
// 0F AF IMUL Gv,Ev
template <class T, K S> void IMUL_Gv_Ev(Cpu& c, const Insn& i) {
    T b = get<T, S, 1>(c, i);
    setr<T>(c, i.r0, alu::imul<T>(c.s.rflags, getr<T>(c, i.r0), b).lo);
    next(c, i);
}
// 6B IMUL Gv,Ev,Ib; 69 IMUL Gv,Ev,Iz (the immediate is sign-extended at decode)
template <class T, K S> void IMUL_Gv_Ev_Iz(Cpu& c, const Insn& i) {
    T a = get<T, S, 1>(c, i);
    setr<T>(c, i.r0, alu::imul<T>(c.s.rflags, a, static_cast<T>(i.imm)).lo);
    next(c, i);
}
// F6/F7 /6 DIV Ev; F6/F7 /7 IDIV Ev: rAX <- rDX:rAX / Ev, rDX <- remainder (AL,
// AH <- AX / Eb). #DE on a zero divisor or a quotient that does not fit.
template <class T, K S, bool Sgn> void DIV_Ev(Cpu& c, const Insn& i) {
    T d = get<T, S, 0>(c, i);
    T hi, lo;
    if constexpr (sizeof(T) == 1) {
        u16 ax = getr<u16>(c, RAX * 8);
        lo = static_cast<u8>(ax);
        hi = static_cast<u8>(ax >> 8);
    } else {
        lo = getr<T>(c, RAX * 8);
        hi = getr<T>(c, RDX * 8);
    }
    alu::Quotient<T> q;
    if (!(Sgn ? alu::idiv<T>(c.s.rflags, hi, lo, d, q) : alu::div<T>(c.s.rflags, hi, lo, d, q))) raise(DE);
    if constexpr (sizeof(T) == 1) {
        setr<u16>(c, RAX * 8, static_cast<u16>(q.q | (q.r << 8)));
    } else {
        setr<T>(c, RAX * 8, q.q);
        setr<T>(c, RDX * 8, q.r);
    }
    next(c, i);
}

template <bool Sgn> bool build_mul(Insn& i, const Decoded& d) {
    if (d.count() != 1) return false;
    i.fn = by_kind_rm(d.kind(0), [&]<K S>() { return by_width(i.osz, []<class T>() { return &MUL_Ev<T, S, Sgn>; }); });
    i.cycles = cost(Cls::Mul, d);
    return true;
}

bool build_imul(Insn& i, const Decoded& d) {
    if (d.count() == 1) return build_mul<true>(i, d);
    if (d.kind(0) != K::R) return false;
    if (d.count() == 2)
        i.fn = by_kind_rm(d.kind(1), [&]<K S>() { return by_width_wdq(i.osz, []<class T>() { return &IMUL_Gv_Ev<T, S>; }); });
    else if (d.count() == 3 && d.kind(2) == K::I)
        i.fn = by_kind_rm(d.kind(1), [&]<K S>() { return by_width_wdq(i.osz, []<class T>() { return &IMUL_Gv_Ev_Iz<T, S>; }); });
    i.cycles = cost(Cls::Mul, d);
    return true;
}

template <bool Sgn> bool build_div(Insn& i, const Decoded& d) {
    if (d.count() != 1) return false;
    i.fn = by_kind_rm(d.kind(0), [&]<K S>() { return by_width(i.osz, []<class T>() { return &DIV_Ev<T, S, Sgn>; }); });
    static constexpr Cls kByWidth[] = {Cls::Div8, Cls::Div16, Cls::Div32, Cls::Div64};
    i.cycles = cost(kByWidth[i.osz == 1 ? 0 : i.osz == 2 ? 1 : i.osz == 4 ? 2 : 3], d);
    return true;
}

// ---- Shifts and rotates ------------------------------------------------------
// C0/C1 /r Ev,Ib; D0/D1 /r Ev,1 (Zydis gives the 1 as an immediate); D2/D3 /r
// Ev,CL. /0 ROL /1 ROR /2 RCL /3 RCR /4 SHL (/6 SAL is the same) /5 SHR /7 SAR.
// The value is written back even when the masked count is 0 (flags then do not
// change), so a 32-bit register destination is zero-extended as on hardware.
template <class Op, class T, K D, K C> void SHIFT_Ev(Cpu& c, const Insn& i) {
    u8 n = get<u8, C, 1>(c, i);
    rmw<T, D>(c, i, [&](T a) { return Op::template op<T>(c.s.rflags, a, n); });
    next(c, i);
}

template <class Op, Cls Cost> bool build_shift(Insn& i, const Decoded& d) {
    if (d.count() != 2) return false;
    i.fn = by_kind_rm(d.kind(0), [&]<K D>() {
        return by_kind_ri(d.kind(1), [&]<K C>() { return by_width(i.osz, []<class T>() { return &SHIFT_Ev<Op, T, D, C>; }); });
    });
    i.cycles = cost(Cost, d);
    return true;
}

// 0F A4 SHLD Ev,Gv,Ib; 0F A5 SHLD Ev,Gv,CL; 0F AC SHRD Ev,Gv,Ib; 0F AD SHRD Ev,Gv,CL
template <bool Right, class T, K D, K C> void SHxD_Ev_Gv(Cpu& c, const Insn& i) {
    u8 n = get<u8, C, 2>(c, i);
    T b = getr<T>(c, i.r1);
    const bool intel = c.vendor == Vendor::Intel;
    rmw<T, D>(c, i, [&](T a) { return Right ? alu::shrd<T>(c.s.rflags, a, b, n, intel) : alu::shld<T>(c.s.rflags, a, b, n, intel); });
    next(c, i);
}

template <bool Right> bool build_shxd(Insn& i, const Decoded& d) {
    if (d.count() != 3 || d.kind(1) != K::R) return false;
    i.fn = by_kind_rm(d.kind(0), [&]<K D>() {
        return by_kind_ri(d.kind(2), [&]<K C>() {
            return by_width_wdq(i.osz, []<class T>() { return &SHxD_Ev_Gv<Right, T, D, C>; });
        });
    });
    i.cycles = cost(Cls::Shift, d);
    return true;
}

// ---- BT / BTS / BTR / BTC ----------------------------------------------------
// 0F A3 BT Ev,Gv; 0F AB BTS; 0F B3 BTR; 0F BB BTC; 0F BA /4../7 Ev,Ib.
// An immediate offset, and any offset into a register, is taken modulo the
// operand width. A register offset into memory is a signed bit index from the
// operand's address: the access moves by whole operands, floor(offset / width)
// (SDM Vol. 2A BT, "BitBase").
template <class Op, class T, K D, K B> void BT_Ev(Cpu& c, const Insn& i) {
    constexpr unsigned kBits = alu::kBits<T>;
    T off = get<T, B, 1>(c, i);
    unsigned bit = off & (kBits - 1);
    T mask = static_cast<T>(T(1) << bit);
    if constexpr (D == K::R) {
        T v = getr<T>(c, i.r0);
        alu::bit_test<T>(c.s.rflags, v, bit);
        if constexpr (Op::kWrites) setr<T>(c, i.r0, Op::template op<T>(v, mask));
    } else {
        u64 a = ea(c, i);
        if constexpr (B == K::R) {
            i64 units = static_cast<i64>(static_cast<alu::Signed<T>>(off)) >> std::countr_zero(kBits);
            a += static_cast<u64>(units) * sizeof(T);
        }
        if constexpr (Op::kWrites) c.check_write(a, sizeof(T));
        T v = c.read<T>(a);
        alu::bit_test<T>(c.s.rflags, v, bit);
        if constexpr (Op::kWrites) c.write<T>(a, Op::template op<T>(v, mask));
    }
    next(c, i);
}

template <class Op> bool build_bt(Insn& i, const Decoded& d) {
    if (d.count() != 2) return false;
    i.fn = by_kind_rm(d.kind(0), [&]<K D>() {
        return by_kind_ri(d.kind(1), [&]<K B>() { return by_width_wdq(i.osz, []<class T>() { return &BT_Ev<Op, T, D, B>; }); });
    });
    i.cycles = cost(Op::kWrites ? locked(i, Cls::Shift) : Cls::Shift, d);
    return true;
}

// ---- BSF / BSR / LZCNT / TZCNT / POPCNT --------------------------------------
// 0F BC BSF Gv,Ev; 0F BD BSR Gv,Ev; F3 0F BD LZCNT; F3 0F BC TZCNT; F3 0F B8 POPCNT.
template <class Op, class T, K S> void BITSCAN_Gv_Ev(Cpu& c, const Insn& i) {
    T out;
    if (Op::template op<T>(c.s.rflags, get<T, S, 1>(c, i), out)) setr<T>(c, i.r0, out);
    next(c, i);
}

template <class Op> bool build_bitscan(Insn& i, const Decoded& d) {
    if (d.count() != 2 || d.kind(0) != K::R) return false;
    i.fn = by_kind_rm(d.kind(1), [&]<K S>() { return by_width_wdq(i.osz, []<class T>() { return &BITSCAN_Gv_Ev<Op, T, S>; }); });
    i.cycles = cost(Cls::BitScan, d);
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_MOV, build_mov},
    {ZYDIS_MNEMONIC_ADD, build_alu<alu::Add>},
    {ZYDIS_MNEMONIC_OR, build_alu<alu::Or>},
    {ZYDIS_MNEMONIC_ADC, build_alu<alu::Adc>},
    {ZYDIS_MNEMONIC_SBB, build_alu<alu::Sbb>},
    {ZYDIS_MNEMONIC_AND, build_alu<alu::And>},
    {ZYDIS_MNEMONIC_SUB, build_alu<alu::Sub>},
    {ZYDIS_MNEMONIC_XOR, build_alu<alu::Xor>},
    {ZYDIS_MNEMONIC_CMP, build_alu<alu::Cmp>},
    {ZYDIS_MNEMONIC_TEST, build_alu<alu::Test>},
    {ZYDIS_MNEMONIC_INC, build_unary<IncOp>},
    {ZYDIS_MNEMONIC_DEC, build_unary<DecOp>},
    {ZYDIS_MNEMONIC_NOT, build_unary<NotOp>},
    {ZYDIS_MNEMONIC_NEG, build_unary<NegOp>},
    {ZYDIS_MNEMONIC_LEA, build_lea},
    {ZYDIS_MNEMONIC_MOVZX, build_movx<false>},
    {ZYDIS_MNEMONIC_MOVSX, build_movx<true>},
    {ZYDIS_MNEMONIC_MOVSXD, build_movx<true>},
    {ZYDIS_MNEMONIC_XCHG, build_xchg},
    {ZYDIS_MNEMONIC_XADD, build_xadd},
    {ZYDIS_MNEMONIC_CMPXCHG, build_cmpxchg},
    {ZYDIS_MNEMONIC_CMPXCHG8B, build_cmpxchg_dbl<u32>},
    {ZYDIS_MNEMONIC_CMPXCHG16B, build_cmpxchg_dbl<u64>},
    {ZYDIS_MNEMONIC_BSWAP, build_bswap},
    {ZYDIS_MNEMONIC_CBW, build_rax_ext<CBW<u16>, CBW<u32>, CBW<u64>>},
    {ZYDIS_MNEMONIC_CWDE, build_rax_ext<CBW<u16>, CBW<u32>, CBW<u64>>},
    {ZYDIS_MNEMONIC_CDQE, build_rax_ext<CBW<u16>, CBW<u32>, CBW<u64>>},
    {ZYDIS_MNEMONIC_CWD, build_rax_ext<CWD<u16>, CWD<u32>, CWD<u64>>},
    {ZYDIS_MNEMONIC_CDQ, build_rax_ext<CWD<u16>, CWD<u32>, CWD<u64>>},
    {ZYDIS_MNEMONIC_CQO, build_rax_ext<CWD<u16>, CWD<u32>, CWD<u64>>},
    {ZYDIS_MNEMONIC_SETO, build_setcc},
    {ZYDIS_MNEMONIC_SETNO, build_setcc},
    {ZYDIS_MNEMONIC_SETB, build_setcc},
    {ZYDIS_MNEMONIC_SETNB, build_setcc},
    {ZYDIS_MNEMONIC_SETZ, build_setcc},
    {ZYDIS_MNEMONIC_SETNZ, build_setcc},
    {ZYDIS_MNEMONIC_SETBE, build_setcc},
    {ZYDIS_MNEMONIC_SETNBE, build_setcc},
    {ZYDIS_MNEMONIC_SETS, build_setcc},
    {ZYDIS_MNEMONIC_SETNS, build_setcc},
    {ZYDIS_MNEMONIC_SETP, build_setcc},
    {ZYDIS_MNEMONIC_SETNP, build_setcc},
    {ZYDIS_MNEMONIC_SETL, build_setcc},
    {ZYDIS_MNEMONIC_SETNL, build_setcc},
    {ZYDIS_MNEMONIC_SETLE, build_setcc},
    {ZYDIS_MNEMONIC_SETNLE, build_setcc},
    {ZYDIS_MNEMONIC_CMOVO, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVNO, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVB, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVNB, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVZ, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVNZ, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVBE, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVNBE, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVS, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVNS, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVP, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVNP, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVL, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVNL, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVLE, build_cmovcc},
    {ZYDIS_MNEMONIC_CMOVNLE, build_cmovcc},
    {ZYDIS_MNEMONIC_MUL, build_mul<false>},
    {ZYDIS_MNEMONIC_IMUL, build_imul},
    {ZYDIS_MNEMONIC_DIV, build_div<false>},
    {ZYDIS_MNEMONIC_IDIV, build_div<true>},
    {ZYDIS_MNEMONIC_SHL, build_shift<alu::Shl, Cls::Shift>},
    {ZYDIS_MNEMONIC_SHR, build_shift<alu::Shr, Cls::Shift>},
    {ZYDIS_MNEMONIC_SAR, build_shift<alu::Sar, Cls::Shift>},
    {ZYDIS_MNEMONIC_ROL, build_shift<alu::Rol, Cls::Shift>},
    {ZYDIS_MNEMONIC_ROR, build_shift<alu::Ror, Cls::Shift>},
    {ZYDIS_MNEMONIC_RCL, build_shift<alu::Rcl, Cls::Rcx>},
    {ZYDIS_MNEMONIC_RCR, build_shift<alu::Rcr, Cls::Rcx>},
    {ZYDIS_MNEMONIC_SHLD, build_shxd<false>},
    {ZYDIS_MNEMONIC_SHRD, build_shxd<true>},
    {ZYDIS_MNEMONIC_BT, build_bt<alu::Bt>},
    {ZYDIS_MNEMONIC_BTS, build_bt<alu::Bts>},
    {ZYDIS_MNEMONIC_BTR, build_bt<alu::Btr>},
    {ZYDIS_MNEMONIC_BTC, build_bt<alu::Btc>},
    {ZYDIS_MNEMONIC_BSF, build_bitscan<alu::Bsf>},
    {ZYDIS_MNEMONIC_BSR, build_bitscan<alu::Bsr>},
    {ZYDIS_MNEMONIC_LZCNT, build_bitscan<alu::Lzcnt>},
    {ZYDIS_MNEMONIC_TZCNT, build_bitscan<alu::Tzcnt>},
    {ZYDIS_MNEMONIC_POPCNT, build_bitscan<alu::Popcnt>},
};

}  // namespace

std::span<const BuilderEntry> int_builders() { return kBuilders; }

}  // namespace sy
