// Control transfer, stack, flag-control and miscellaneous instructions.
// SDM Vol. 1, 6.2-6.3 (stack, calls and returns), 6.5 (procedure calls for
// block-structured languages: ENTER/LEAVE), 7.3.8 (control transfer), 7.3.13
// (flag control); Vol. 2 for each instruction.
//
// Written for 64-bit mode and checked there (isa-test, unit tests); the handlers
// also follow the operand, address and stack sizes of the other modes (near
// branches, PUSH/POP, ENTER/LEAVE, PUSHF/POPF, LOOP/JrCXZ, INT/INTO), which
// only the unit tests of those modes will confirm. Far transfers and segment
// register PUSH/POP are #UD for now.
//
// Known gaps (listed here, not hidden in the handlers):
// - POPF with TF=1 sets TF; the single-step #DB trap comes after the next
//   instruction (Cpu::run).
// - PUSH/POP/CALL/RET raise #SS(0) for a non-canonical stack address (exec.h);
//   an explicit RSP/RBP-based memory operand still raises #GP(0).
// - The 66h operand-size prefix on near branches is ignored (Intel behaviour in
//   64-bit mode; AMD truncates RIP to 16 bits).
// - CLI/STI/POPF follow the protected-mode IOPL rules; virtual-8086 mode and
//   the VME/PVI virtual interrupt flag are not modelled.
// INTO (CE) is invalid in 64-bit mode: Zydis rejects it there, so it raises #UD.
#include "decode.h"

namespace sy {
namespace {

using timing::Cls;

constexpr u64 kIOPL = 3u << 12, kVM = 1u << 17;

inline void taken(Cpu& c, u64 target) {
    c.s.rip = target;
    c.cycles += timing::kTakenBranch;
}

// ---- JMP / Jcc / CALL / RET --------------------------------------------------
// Near transfers in every mode: T is the operand size (u64 in 64-bit mode, where
// 66h is ignored; u32 or u16 elsewhere), which sizes the return address on the
// stack and the indirect target. Relative targets come from the decoder already
// wrapped to the mode's IP width.
// EB/E9 JMP rel; 70-7F / 0F 80-8F Jcc rel
void JMP_rel(Cpu& c, const Insn& i) { taken(c, i.imm); }
void Jcc_rel(Cpu& c, const Insn& i) {
    if (cond(c.s.rflags, i.cond)) taken(c, i.imm);
    else next(c, i);
}
// FF /4 JMP Ev
template <class T, K S> void JMP_Ev(Cpu& c, const Insn& i) { taken(c, get<T, S, 0>(c, i)); }
// E8 CALL rel
template <class T> void CALL_rel(Cpu& c, const Insn& i) {
    push<T>(c, static_cast<T>(c.s.rip + i.len));
    taken(c, i.imm);
}
// FF /2 CALL Ev: the target is read before the push (CALL [RSP] uses the old RSP).
template <class T, K S> void CALL_Ev(Cpu& c, const Insn& i) {
    T target = get<T, S, 0>(c, i);
    push<T>(c, static_cast<T>(c.s.rip + i.len));
    taken(c, target);
}
// C3 RET; C2 iw RET imm16 (then releases imm16 bytes of stack)
template <class T, bool Imm> void RET_near(Cpu& c, const Insn& i) {
    T target = pop<T>(c);
    if constexpr (Imm) {
        u64 sp = (c.s.gpr[RSP] + static_cast<u16>(i.imm)) & c.sp_mask;
        c.s.gpr[RSP] = (c.s.gpr[RSP] & ~c.sp_mask) | sp;
    }
    taken(c, target);
}

// Operand size of a near branch: 64-bit mode has only 64.
template <class F> Handler near_width(const Decoded& d, unsigned osz, F f) {
    if (d.long64()) return f.template operator()<u64>();
    return osz == 2 ? f.template operator()<u16>() : osz == 4 ? f.template operator()<u32>() : nullptr;
}

bool build_jmp(Insn& i, const Decoded& d) {
    if (d.in.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) return build_far_jmp(i, d);
    if (d.kind(0) == K::I) {
        i.fn = JMP_rel;
    } else {
        if (d.op[0].size != i.osz * 8u) return false;
        if (d.kind(0) == K::R) i.fn = near_width(d, i.osz, []<class T>() { return &JMP_Ev<T, K::R>; });
        else i.fn = near_width(d, i.osz, []<class T>() { return &JMP_Ev<T, K::M>; });
    }
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
    if (d.in.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) return build_far_call(i, d);
    if (d.kind(0) == K::I) {
        i.fn = near_width(d, i.osz, []<class T>() { return &CALL_rel<T>; });
    } else {
        if (d.op[0].size != i.osz * 8u) return false;
        if (d.kind(0) == K::R) i.fn = near_width(d, i.osz, []<class T>() { return &CALL_Ev<T, K::R>; });
        else i.fn = near_width(d, i.osz, []<class T>() { return &CALL_Ev<T, K::M>; });
    }
    i.cycles = cost(Cls::Call, d);
    return true;
}

bool build_ret(Insn& i, const Decoded& d) {
    if (d.in.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) return build_far_ret(i, d);
    if (d.count() == 1) i.fn = near_width(d, i.osz, []<class T>() { return &RET_near<T, true>; });
    else i.fn = near_width(d, i.osz, []<class T>() { return &RET_near<T, false>; });
    i.cycles = cost(Cls::Call, d);
    return true;
}

// ---- PUSH / POP --------------------------------------------------------------
// 50+/FF /6/6A/68 PUSH; 58+/8F /0 POP. 64-bit mode: 64 or (66h) 16; elsewhere
// 32 or 16. Segment registers: ops_priv.cpp.
template <class T, K S> void PUSH_E(Cpu& c, const Insn& i) {
    push<T>(c, get<T, S, 0>(c, i));
    next(c, i);
}
// POP with RSP as the base of a memory destination uses the incremented RSP
// (SDM Vol. 2B, POP).
template <class T, K D> void POP_E(Cpu& c, const Insn& i) {
    const u64 old_rsp = c.s.gpr[RSP];
    const u64 sp = old_rsp & c.sp_mask;
    const u64 new_rsp = (old_rsp & ~c.sp_mask) | ((sp + sizeof(T)) & c.sp_mask);
    T v = c.read<T>(sp + c.s.seg_base[SS]);
    if constexpr (D == K::M) {
        c.s.gpr[RSP] = new_rsp;
        u64 a = ea(c, i);
        c.s.gpr[RSP] = old_rsp;
        c.write<T>(a, v);
        c.s.gpr[RSP] = new_rsp;
    } else {
        c.s.gpr[RSP] = new_rsp;
        setr<T>(c, i.r0, v);
    }
    next(c, i);
}

// Stack operand width: 64-bit mode allows 8 and 2, the other modes 4 and 2.
inline bool stack_width_ok(const Decoded& d, unsigned w) { return w == 2 || w == (d.long64() ? 8u : 4u); }

bool build_push(Insn& i, const Decoded& d) {
    if (d.kind(0) == K::R && ZydisRegisterGetClass(d.op[0].reg.value) == ZYDIS_REGCLASS_SEGMENT)
        return build_push_sreg(i, d);
    if (!stack_width_ok(d, i.osz)) return false;
    if (d.kind(0) == K::R) i.fn = by_width_wdq(i.osz, []<class T>() { return &PUSH_E<T, K::R>; });
    else if (d.kind(0) == K::M) i.fn = by_width_wdq(i.osz, []<class T>() { return &PUSH_E<T, K::M>; });
    else i.fn = by_width_wdq(i.osz, []<class T>() { return &PUSH_E<T, K::I>; });
    i.cycles = cost(Cls::Stack, d);
    return true;
}

bool build_pop(Insn& i, const Decoded& d) {
    if (d.kind(0) == K::R && ZydisRegisterGetClass(d.op[0].reg.value) == ZYDIS_REGCLASS_SEGMENT)
        return build_pop_sreg(i, d);
    if (!stack_width_ok(d, i.osz)) return false;
    if (d.kind(0) == K::R) i.fn = by_width_wdq(i.osz, []<class T>() { return &POP_E<T, K::R>; });
    else i.fn = by_width_wdq(i.osz, []<class T>() { return &POP_E<T, K::M>; });
    i.cycles = cost(Cls::Stack, d);
    return true;
}

// ---- LOOP / LOOPcc / JrCXZ ------------------------------------------------------
// The count register is RCX, or ECX with a 67h prefix (SDM Vol. 2A, LOOP/LOOPcc:
// "the address-size attribute determines the count register"). Writing ECX
// zero-extends into RCX like any 32-bit register write.
enum class LoopKind : u8 { Always, WhileZ, WhileNZ };
// E2 cb LOOP; E1 cb LOOPE; E0 cb LOOPNE
template <class A, LoopKind L> void LOOP_Jb(Cpu& c, const Insn& i) {
    A count = static_cast<A>(getr<A>(c, RCX * 8) - 1);
    setr<A>(c, RCX * 8, count);
    bool go = count != 0;
    if constexpr (L == LoopKind::WhileZ) go = go && (c.s.rflags & fl::ZF);
    if constexpr (L == LoopKind::WhileNZ) go = go && !(c.s.rflags & fl::ZF);
    if (go) taken(c, i.imm);
    else next(c, i);
}
// E3 cb JRCXZ / 67 E3 cb JECXZ (JCXZ with a 16-bit address size)
template <class A> void JrCXZ_Jb(Cpu& c, const Insn& i) {
    if (getr<A>(c, RCX * 8) == 0) taken(c, i.imm);
    else next(c, i);
}

template <LoopKind L> bool build_loop(Insn& i, const Decoded& d) {
    i.fn = i.asz == 2 ? &LOOP_Jb<u16, L> : i.asz == 4 ? &LOOP_Jb<u32, L> : &LOOP_Jb<u64, L>;
    i.cycles = cost(Cls::Branch, d);
    return true;
}

bool build_jrcxz(Insn& i, const Decoded& d) {
    i.fn = i.asz == 2 ? &JrCXZ_Jb<u16> : i.asz == 4 ? &JrCXZ_Jb<u32> : &JrCXZ_Jb<u64>;
    i.cycles = cost(Cls::Branch, d);
    return true;
}

// ---- ENTER / LEAVE -----------------------------------------------------------
// C8 iw ib ENTER imm16, imm8 (SDM Vol. 2A, ENTER, and Vol. 1, 6.5.1). The
// operand size T picks the frame pointer (RBP, EBP or BP) and the slot width;
// the stack address size (c.sp_mask: 64 in 64-bit mode, else SS.B) wraps every
// stack address. In 64-bit mode with 66h the SDM pseudo-code does not spell
// out the enclosing-frame addresses; they are RBP - 2k at 64 bits here, and
// BP <- FrameTemp[15:0] leaves RBP[63:16] alone.
// The pushes run in SDM order, each enclosing-frame read after the previous
// push, because the frames may overlap the new slots (the hardware reads what
// ENTER has just written). To keep a faulting ENTER from changing anything, a
// first pass reads every enclosing slot and checks every slot for writing
// before the second pass writes. Like the hardware (the host CPU shows it; the
// SDM does not say), ENTER also checks that the final stack top,
// RSP - frame - imm16, is writable.
template <class T> void ENTER_Iw_Ib(Cpu& c, const Insn& i) {
    constexpr u64 W = sizeof(T);
    const unsigned level = i.aux % 32;  // NestingLevel <- imm8 MOD 32
    const u64 size = static_cast<u16>(i.imm);
    const u64 mask = c.sp_mask, ss = c.s.seg_base[SS];
    auto stack = [&](u64 a) { return (a & mask) + ss; };
    const u64 sp = c.s.gpr[RSP] & mask, bp = c.s.gpr[RBP];
    const u64 frame_temp = (sp - W) & mask;
    // Pushes: RBP, level-1 enclosing frame pointers, FrameTemp (none of the last two at level 0).
    const unsigned pushes = level == 0 ? 1 : level + 1;
    const u64 new_sp = (sp - pushes * W - size) & mask;
    for (unsigned k = 1; k < level; ++k) (void)c.read<T>(stack(bp - k * W));
    for (unsigned k = 1; k <= pushes; ++k) c.check_write(stack(sp - k * W), W);
    c.check_write(stack(new_sp), W);

    u64 top = sp;
    auto push_slot = [&](T v) {
        top -= W;
        c.write<T>(stack(top), v);
    };
    push_slot(static_cast<T>(bp));
    if (level > 0) {
        for (unsigned k = 1; k < level; ++k) push_slot(c.read<T>(stack(bp - k * W)));  // RBP <- RBP - 8; Push([RBP])
        push_slot(static_cast<T>(frame_temp));
    }
    setr<T>(c, RBP * 8, static_cast<T>(frame_temp));
    c.s.gpr[RSP] = (c.s.gpr[RSP] & ~mask) | new_sp;
    next(c, i);
}
// C9 LEAVE: RSP <- RBP (at the stack address size); RBP <- Pop() (EBP, BP).
template <class T> void LEAVE(Cpu& c, const Insn& i) {
    const u64 mask = c.sp_mask, frame = c.s.gpr[RBP] & mask;
    T v = c.read<T>(frame + c.s.seg_base[SS]);
    c.s.gpr[RSP] = (c.s.gpr[RSP] & ~mask) | ((frame + sizeof(T)) & mask);
    setr<T>(c, RBP * 8, v);
    next(c, i);
}

bool build_enter(Insn& i, const Decoded& d) {
    if (!stack_width_ok(d, i.osz)) return false;
    i.fn = by_width_wdq(i.osz, []<class T>() { return &ENTER_Iw_Ib<T>; });
    i.cycles = cost(Cls::Stack, d, true);
    return true;
}

bool build_leave(Insn& i, const Decoded& d) {
    if (!stack_width_ok(d, i.osz)) return false;
    i.fn = by_width_wdq(i.osz, []<class T>() { return &LEAVE<T>; });
    i.cycles = cost(Cls::Stack, d, true);
    return true;
}

// ---- PUSHF / POPF and the flag-control instructions --------------------------
// 9C PUSHFQ (66 9C PUSHF; PUSHFD outside 64-bit mode): the image on the stack
// has RF and VM clear (SDM Vol. 2B, PUSHF/PUSHFD/PUSHFQ).
template <class T> void PUSHF(Cpu& c, const Insn& i) {
    push<T>(c, static_cast<T>(c.s.rflags & ~(fl::RF | kVM)));
    next(c, i);
}
// 9D POPFQ (66 9D POPF, POPFD) in protected or long mode (SDM Vol. 2B,
// POPF/POPFD/POPFQ, "Operation"): CF PF AF ZF SF TF DF OF NT AC ID always load;
// IOPL only at CPL 0; IF only when CPL <= IOPL. RF is cleared, VM, VIF and VIP
// never change, reserved bits keep their values and bit 1 stays 1. The 16-bit
// form replaces only FLAGS[15:0] and leaves RF alone.
template <class T> void POPF(Cpu& c, const Insn& i) {
    const u8 cpl = c.cpl(), iopl = static_cast<u8>((c.s.rflags & kIOPL) >> 12);
    u64 writable = fl::ARITH | fl::TF | fl::DF | fl::NT | fl::AC | fl::ID;
    if (cpl == 0) writable |= kIOPL;
    if (cpl <= iopl) writable |= fl::IF;
    if constexpr (sizeof(T) == 2) writable &= 0xFFFF;
    constexpr u64 cleared = sizeof(T) == 2 ? 0 : fl::RF;
    u64 v = pop<T>(c);
    const u64 old = c.s.rflags;
    c.s.rflags = (c.s.rflags & ~(writable | cleared)) | (v & writable) | fl::FIXED1;
    // A new TF (single-step) or IF (pending interrupts) is looked at between
    // blocks: end this one.
    if ((old ^ c.s.rflags) & (fl::TF | fl::IF)) c.end_block = true;
    next(c, i);
}

// PUSHFD/POPFD are not encodable in 64-bit mode; PUSHFQ/POPFQ only exist there.
template <Handler H16, Handler H32, Handler H64> bool build_flags_stack(Insn& i, const Decoded& d) {
    if (i.osz == 2) i.fn = H16;
    else if (i.osz == 4 && !d.long64()) i.fn = H32;
    else if (i.osz == 8 && d.long64()) i.fn = H64;
    else return false;
    i.cycles = cost(Cls::Stack, d, true);
    return true;
}
constexpr auto build_pushf = build_flags_stack<PUSHF<u16>, PUSHF<u32>, PUSHF<u64>>;
constexpr auto build_popf = build_flags_stack<POPF<u16>, POPF<u32>, POPF<u64>>;

// F8 CLC, F9 STC, FC CLD, FD STD: set `Set`, clear `Clear`.
template <u64 Clear, u64 Set> void FLAGS_set(Cpu& c, const Insn& i) {
    c.s.rflags = (c.s.rflags & ~Clear) | Set;
    next(c, i);
}
// FA CLI, FB STI: #GP(0) when CPL > IOPL (protected and long mode; VME and
// PVI are not modelled). STI that sets IF holds interrupts off until the next
// instruction completes: the interrupt shadow, which ends the block so the step
// loop sees it (SDM Vol. 2B, STI).
void CLI(Cpu& c, const Insn& i) {
    if (c.cpl() > ((c.s.rflags & kIOPL) >> 12)) raise(GP, 0);
    c.s.rflags &= ~fl::IF;
    next(c, i);
}
void STI(Cpu& c, const Insn& i) {
    if (c.cpl() > ((c.s.rflags & kIOPL) >> 12)) raise(GP, 0);
    if (!(c.s.rflags & fl::IF)) {
        c.s.rflags |= fl::IF;
        c.interrupt_shadow = true;
        c.end_block = true;
    }
    next(c, i);
}
// F5 CMC
void CMC(Cpu& c, const Insn& i) {
    c.s.rflags ^= fl::CF;
    next(c, i);
}
// 9F LAHF: AH <- SF:ZF:0:AF:0:PF:1:CF. 9E SAHF: SF ZF AF PF CF <- AH (SDM
// Vol. 2A, LAHF; Vol. 2B, SAHF). Valid in 64-bit mode because CPUID
// 8000_0001h:ECX.LAHF-SAHF[bit 0] = 1 (cpu/cpuid.cpp).
constexpr u64 kAhFlags = fl::SF | fl::ZF | fl::AF | fl::PF | fl::CF;
void LAHF(Cpu& c, const Insn& i) {
    setr<u8>(c, RAX * 8 + 1, static_cast<u8>((c.s.rflags & kAhFlags) | fl::FIXED1));
    next(c, i);
}
void SAHF(Cpu& c, const Insn& i) {
    c.s.rflags = (c.s.rflags & ~kAhFlags) | (getr<u8>(c, RAX * 8 + 1) & kAhFlags);
    next(c, i);
}

// ---- Miscellaneous -----------------------------------------------------------
// 90 NOP, 66 90 NOP, 0F 1F /0 NOP Ev (the multi-byte form never touches its
// memory operand), F3 0F 1E FA ENDBR64 and F3 0F 1E FB ENDBR32 (NOPs without
// CET), F3 90 PAUSE (a spin-loop hint; nothing to wait for in an interpreter).
// 87 C0 XCHG EAX,EAX is not a NOP in 64-bit mode (it zero-extends RAX) and
// belongs to XCHG.
void NOP(Cpu& c, const Insn& i) { next(c, i); }
// F4 HLT: #GP(0) outside CPL 0; otherwise waits for an interrupt.
void HLT(Cpu& c, const Insn& i) {
    if (c.cpl() != 0) raise(GP, 0);
    next(c, i);
    c.halted = true;
}
// CC INT3, CD ib INT imm8, CE INTO (not in 64-bit mode): software interrupts,
// traps whose return address is the next instruction (SDM Vol. 3A, 6.5); the
// delivery checks the gate's DPL against CPL (Fault::software).
void INT3(Cpu& c, const Insn& i) {
    next(c, i);
    raise_software(BP, i.len);
}
void INT_Ib(Cpu& c, const Insn& i) {
    next(c, i);
    raise_software(static_cast<u8>(i.imm), i.len);
}
void INTO(Cpu& c, const Insn& i) {
    next(c, i);
    if (c.s.rflags & fl::OF) raise_software(OF_, i.len);
}
// 0F 0B UD2
void UD2(Cpu& c, const Insn& i) { raise(UD); }

// NOP Ev, like the other hints, never accesses its operand: no memory cost.
bool build_nop(Insn& i, const Decoded& d) {
    i.fn = NOP;
    i.cycles = cost(Cls::Nop, d, false);
    return true;
}

// 60 PUSHA/PUSHAD, 61 POPA/POPAD (not in 64-bit mode; SDM Vol. 2B PUSHA, Vol. 2B POPA).
// PUSHA pushes the ESP value from before the first push; POPA skips that slot.
template <class T> void PUSHA(Cpu& c, const Insn& i) {
    const u64 sp0 = c.s.gpr[RSP] & c.sp_mask;
    // Check the whole area first, so a fault leaves ESP and memory as they were.
    c.check_write(c.s.seg_base[SS] + ((sp0 - 8 * sizeof(T)) & c.sp_mask), 8 * sizeof(T));
    const T orig_sp = static_cast<T>(c.s.gpr[RSP]);
    for (u8 r : {RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI}) push<T>(c, r == RSP ? orig_sp : static_cast<T>(c.s.gpr[r]));
    next(c, i);
}
template <class T> void POPA(Cpu& c, const Insn& i) {
    const u64 sp0 = c.s.gpr[RSP] & c.sp_mask;
    T v[8];
    for (int k = 0; k < 8; ++k) v[k] = c.read<T>(c.s.seg_base[SS] + ((sp0 + k * sizeof(T)) & c.sp_mask));
    const u8 order[8] = {RDI, RSI, RBP, RSP, RBX, RDX, RCX, RAX};
    for (int k = 0; k < 8; ++k)
        if (order[k] != RSP) setr<T>(c, order[k] * 8, v[k]);
    c.s.gpr[RSP] = (c.s.gpr[RSP] & ~c.sp_mask) | ((sp0 + 8 * sizeof(T)) & c.sp_mask);
    next(c, i);
}
template <bool Push> bool build_pusha(Insn& i, const Decoded& d) {
    if (d.long64()) return false;
    if (Push) i.fn = i.osz == 2 ? &PUSHA<u16> : &PUSHA<u32>;
    else i.fn = i.osz == 2 ? &POPA<u16> : &POPA<u32>;
    i.cycles = cost(Cls::Stack, d);
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_PUSHA, build_pusha<true>},
    {ZYDIS_MNEMONIC_PUSHAD, build_pusha<true>},
    {ZYDIS_MNEMONIC_POPA, build_pusha<false>},
    {ZYDIS_MNEMONIC_POPAD, build_pusha<false>},
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
    {ZYDIS_MNEMONIC_LOOP, build_loop<LoopKind::Always>},
    {ZYDIS_MNEMONIC_LOOPE, build_loop<LoopKind::WhileZ>},
    {ZYDIS_MNEMONIC_LOOPNE, build_loop<LoopKind::WhileNZ>},
    {ZYDIS_MNEMONIC_JRCXZ, build_jrcxz},
    {ZYDIS_MNEMONIC_JECXZ, build_jrcxz},
    {ZYDIS_MNEMONIC_ENTER, build_enter},
    {ZYDIS_MNEMONIC_LEAVE, build_leave},
    {ZYDIS_MNEMONIC_PUSHF, build_pushf},
    {ZYDIS_MNEMONIC_PUSHFD, build_pushf},
    {ZYDIS_MNEMONIC_PUSHFQ, build_pushf},
    {ZYDIS_MNEMONIC_POPF, build_popf},
    {ZYDIS_MNEMONIC_POPFD, build_popf},
    {ZYDIS_MNEMONIC_POPFQ, build_popf},
    {ZYDIS_MNEMONIC_CLC, simple<FLAGS_set<fl::CF, 0>, Cls::Alu>},
    {ZYDIS_MNEMONIC_STC, simple<FLAGS_set<0, fl::CF>, Cls::Alu>},
    {ZYDIS_MNEMONIC_CMC, simple<CMC, Cls::Alu>},
    {ZYDIS_MNEMONIC_CLD, simple<FLAGS_set<fl::DF, 0>, Cls::Alu>},
    {ZYDIS_MNEMONIC_STD, simple<FLAGS_set<0, fl::DF>, Cls::Alu>},
    {ZYDIS_MNEMONIC_CLI, simple<CLI, Cls::Alu>},
    {ZYDIS_MNEMONIC_STI, simple<STI, Cls::Alu>},
    {ZYDIS_MNEMONIC_LAHF, simple<LAHF, Cls::Alu>},
    {ZYDIS_MNEMONIC_SAHF, simple<SAHF, Cls::Alu>},
    {ZYDIS_MNEMONIC_NOP, build_nop},
    {ZYDIS_MNEMONIC_ENDBR64, build_nop},
    {ZYDIS_MNEMONIC_ENDBR32, build_nop},
    {ZYDIS_MNEMONIC_PAUSE, build_nop},
    {ZYDIS_MNEMONIC_HLT, simple<HLT, Cls::Nop>},
    {ZYDIS_MNEMONIC_INT3, simple<INT3, Cls::Trap>},
    {ZYDIS_MNEMONIC_INT, simple<INT_Ib, Cls::Trap>},
    {ZYDIS_MNEMONIC_INTO, simple<INTO, Cls::Trap>},
    {ZYDIS_MNEMONIC_UD2, simple<UD2, Cls::Trap>},
};

}  // namespace

std::span<const BuilderEntry> ctrl_builders() { return kBuilders; }

}  // namespace sy
