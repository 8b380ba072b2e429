// Control transfer, stack and miscellaneous instructions.
// SDM Vol. 1, 6.2-6.3 (stack, calls and returns), 7.3.8 (control transfer).
#include "decode.h"

namespace sy {
namespace {

using timing::Cls;

inline void taken(Cpu& c, u64 target) {
    c.s.rip = target;
    c.cycles += timing::kTakenBranch;
}

// ---- JMP / Jcc / CALL / RET --------------------------------------------------
// EB/E9 JMP rel; 70-7F / 0F 80-8F Jcc rel
void JMP_rel(Cpu& c, const Insn& i) { taken(c, i.imm); }
void Jcc_rel(Cpu& c, const Insn& i) {
    if (cond(c.s.rflags, i.cond)) taken(c, i.imm);
    else next(c, i);
}
// FF /4 JMP Ev
template <K S> void JMP_Ev(Cpu& c, const Insn& i) { taken(c, get<u64, S, 0>(c, i)); }
// E8 CALL rel32
void CALL_rel(Cpu& c, const Insn& i) {
    push<u64>(c, c.s.rip + i.len);
    taken(c, i.imm);
}
// FF /2 CALL Ev
template <K S> void CALL_Ev(Cpu& c, const Insn& i) {
    u64 target = get<u64, S, 0>(c, i);
    push<u64>(c, c.s.rip + i.len);
    taken(c, target);
}
// C3 RET; C2 RET Iw
template <bool Imm> void RET_near(Cpu& c, const Insn& i) {
    u64 target = pop<u64>(c);
    if constexpr (Imm) c.s.gpr[RSP] += static_cast<u16>(i.imm);
    taken(c, target);
}

bool build_jmp(Insn& i, const Decoded& d) {
    if (d.kind(0) == K::I) i.fn = JMP_rel;
    else if (d.op[0].size != 64) return false;  // far jumps: CPU core II
    else i.fn = d.kind(0) == K::R ? JMP_Ev<K::R> : JMP_Ev<K::M>;
    i.cycles = cost(Cls::Branch, d);
    return true;
}

bool build_jcc(Insn& i, const Decoded& d) {
    // Zydis mnemonics JO..JNLE follow the tttn order.
    static constexpr ZydisMnemonic order[16] = {
        ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB,  ZYDIS_MNEMONIC_JNB,
        ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
        ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP,  ZYDIS_MNEMONIC_JNP,
        ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE};
    for (u8 k = 0; k < 16; ++k)
        if (order[k] == d.in.mnemonic) i.cond = k;
    i.fn = Jcc_rel;
    i.cycles = cost(Cls::Branch, d);
    return true;
}

bool build_call(Insn& i, const Decoded& d) {
    if (d.kind(0) == K::I) i.fn = CALL_rel;
    else if (d.op[0].size != 64) return false;
    else i.fn = d.kind(0) == K::R ? CALL_Ev<K::R> : CALL_Ev<K::M>;
    i.cycles = cost(Cls::Call, d);
    return true;
}

bool build_ret(Insn& i, const Decoded& d) {
    i.fn = d.count() == 1 ? RET_near<true> : RET_near<false>;
    i.cycles = cost(Cls::Call, d);
    return true;
}

// ---- PUSH / POP --------------------------------------------------------------
// 50+/FF /6/6A/68 PUSH; 58+/8F /0 POP. Default operand size 64, 66h gives 16.
template <class T, K S> void PUSH_E(Cpu& c, const Insn& i) {
    push<T>(c, get<T, S, 0>(c, i));
    next(c, i);
}
// POP with RSP as the base of a memory destination uses the incremented RSP
// (SDM Vol. 2B, POP).
template <class T, K D> void POP_E(Cpu& c, const Insn& i) {
    u64 old_sp = c.s.gpr[RSP];
    T v = c.read<T>(old_sp + c.s.seg_base[SS]);
    if constexpr (D == K::M) {
        c.s.gpr[RSP] = old_sp + sizeof(T);
        u64 a = ea(c, i);
        c.s.gpr[RSP] = old_sp;
        c.write<T>(a, v);
        c.s.gpr[RSP] = old_sp + sizeof(T);
    } else {
        c.s.gpr[RSP] = old_sp + sizeof(T);
        setr<T>(c, i.r0, v);
    }
    next(c, i);
}

bool build_push(Insn& i, const Decoded& d) {
    if (d.kind(0) == K::R && ZydisRegisterGetClass(d.op[0].reg.value) == ZYDIS_REGCLASS_SEGMENT) return false;
    unsigned w = i.osz;
    auto pick = [&]<K S>() -> Handler {
        return w == 2 ? &PUSH_E<u16, S> : w == 8 ? &PUSH_E<u64, S> : nullptr;
    };
    if (d.kind(0) == K::R) i.fn = pick.template operator()<K::R>();
    else if (d.kind(0) == K::M) i.fn = pick.template operator()<K::M>();
    else i.fn = pick.template operator()<K::I>();
    i.cycles = cost(Cls::Stack, d);
    return true;
}

bool build_pop(Insn& i, const Decoded& d) {
    if (d.kind(0) == K::R && ZydisRegisterGetClass(d.op[0].reg.value) == ZYDIS_REGCLASS_SEGMENT) return false;
    unsigned w = i.osz;
    if (d.kind(0) == K::R) i.fn = w == 2 ? &POP_E<u16, K::R> : w == 8 ? &POP_E<u64, K::R> : nullptr;
    else i.fn = w == 2 ? &POP_E<u16, K::M> : w == 8 ? &POP_E<u64, K::M> : nullptr;
    i.cycles = cost(Cls::Stack, d);
    return true;
}

// ---- Miscellaneous -----------------------------------------------------------
// 90, 0F 1F /0 NOP; F3 0F 1E FA ENDBR64 (a NOP without CET)
void NOP(Cpu& c, const Insn& i) { next(c, i); }
// F4 HLT: privileged; at CPL 0 waits for an interrupt (interrupts: CPU core II).
void HLT(Cpu& c, const Insn& i) {
    next(c, i);
    c.halted = true;
}
// CC INT3: a trap; RIP after the instruction (delivery through the IDT: CPU core II).
void INT3(Cpu& c, const Insn& i) { raise(BP); }
// 0F 0B UD2
void UD2(Cpu& c, const Insn& i) { raise(UD); }

template <Handler H, Cls C> bool simple(Insn& i, const Decoded& d) {
    i.fn = H;
    i.cycles = cost(C, d);
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_JMP, build_jmp},
    {ZYDIS_MNEMONIC_JO, build_jcc},   {ZYDIS_MNEMONIC_JNO, build_jcc}, {ZYDIS_MNEMONIC_JB, build_jcc},
    {ZYDIS_MNEMONIC_JNB, build_jcc},  {ZYDIS_MNEMONIC_JZ, build_jcc},  {ZYDIS_MNEMONIC_JNZ, build_jcc},
    {ZYDIS_MNEMONIC_JBE, build_jcc},  {ZYDIS_MNEMONIC_JNBE, build_jcc}, {ZYDIS_MNEMONIC_JS, build_jcc},
    {ZYDIS_MNEMONIC_JNS, build_jcc},  {ZYDIS_MNEMONIC_JP, build_jcc},  {ZYDIS_MNEMONIC_JNP, build_jcc},
    {ZYDIS_MNEMONIC_JL, build_jcc},   {ZYDIS_MNEMONIC_JNL, build_jcc}, {ZYDIS_MNEMONIC_JLE, build_jcc},
    {ZYDIS_MNEMONIC_JNLE, build_jcc},
    {ZYDIS_MNEMONIC_CALL, build_call},
    {ZYDIS_MNEMONIC_RET, build_ret},
    {ZYDIS_MNEMONIC_PUSH, build_push},
    {ZYDIS_MNEMONIC_POP, build_pop},
    {ZYDIS_MNEMONIC_NOP, simple<NOP, Cls::Nop>},
    {ZYDIS_MNEMONIC_ENDBR64, simple<NOP, Cls::Nop>},
    {ZYDIS_MNEMONIC_HLT, simple<HLT, Cls::Nop>},
    {ZYDIS_MNEMONIC_INT3, simple<INT3, Cls::Trap>},
    {ZYDIS_MNEMONIC_UD2, simple<UD2, Cls::Trap>},
};

}  // namespace

std::span<const BuilderEntry> ctrl_builders() { return kBuilders; }

}  // namespace sy
