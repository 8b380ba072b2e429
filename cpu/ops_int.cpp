// Integer instructions: data movement, binary arithmetic and logic.
// SDM Vol. 1, 7.3.1-7.3.4; Vol. 2 for each instruction (ADD, MOV, ...).
#include "decode.h"

namespace sy {
namespace {

using timing::Cls;

// ---- MOV ---------------------------------------------------------------------
// 88/89 MOV Ev,Gv; 8A/8B MOV Gv,Ev; B0+/B8+ MOV reg,imm; C6/C7 MOV Ev,Iz
template <class T, K D, K S> void MOV_E_G(Cpu& c, const Insn& i) {
    put<T, D, 0>(c, i, get<T, S, 1>(c, i));
    next(c, i);
}

bool build_mov(Insn& i, const Decoded& d) {
    if (d.count() != 2 || (d.op[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                              ZydisRegisterGetClass(d.op[0].reg.value) == ZYDIS_REGCLASS_SEGMENT))
        return false;  // segment, control and debug register moves: CPU core II
    if (d.op[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        ZydisRegisterGetClass(d.op[1].reg.value) == ZYDIS_REGCLASS_SEGMENT)
        return false;
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
    i.cycles = cost(Cls::Alu, d);
    return true;
}

// ---- INC / DEC / NOT / NEG ---------------------------------------------------
// FE/FF /0 INC Ev; FE/FF /1 DEC Ev; F6/F7 /2 NOT Ev; F6/F7 /3 NEG Ev
struct IncOp { template <class T> static T op(u64& f, T a) { return alu::inc<T>(f, a); } };
struct DecOp { template <class T> static T op(u64& f, T a) { return alu::dec<T>(f, a); } };
struct NotOp { template <class T> static T op(u64&, T a) { return static_cast<T>(~a); } };
struct NegOp { template <class T> static T op(u64& f, T a) { return alu::sub<T>(f, T(0), a); } };

template <class Op, class T, K D> void UNARY_E(Cpu& c, const Insn& i) {
    if constexpr (D == K::M) {
        u64 a = ea(c, i);
        c.check_write(a, sizeof(T));
        c.write<T>(a, Op::template op<T>(c.s.rflags, c.read<T>(a)));
    } else {
        setr<T>(c, i.r0, Op::template op<T>(c.s.rflags, getr<T>(c, i.r0)));
    }
    next(c, i);
}

template <class Op> bool build_unary(Insn& i, const Decoded& d) {
    if (d.count() != 1) return false;
    if (d.kind(0) == K::R) i.fn = by_width(i.osz, []<class T>() { return &UNARY_E<Op, T, K::R>; });
    else i.fn = by_width(i.osz, []<class T>() { return &UNARY_E<Op, T, K::M>; });
    i.cycles = cost(Cls::Alu, d);
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
    i.cycles = timing::cost(Cls::Mov, false);
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
};

}  // namespace

std::span<const BuilderEntry> int_builders() { return kBuilders; }

}  // namespace sy
