// x87 control instructions: the control, status and tag words that compiled C
// code saves and restores (SDM Vol. 1, 8.1.2-8.1.7; Vol. 2 FLDCW, FNSTCW, FNSTSW,
// FNINIT, FNCLEX, FWAIT). x87 arithmetic is not modelled: its opcodes are #UD.
//
// Deviations: FLDCW that unmasks an already-pending exception sets ES and B but
// the next waiting x87 instruction does not raise #MF (no x87 arithmetic yet).
// CR0.EM/TS (and MP for FWAIT) are applied by the decoder's state gate
// (decode.cpp, kGateRules).
#include "decode.h"

namespace sy {
namespace {

using timing::Cls;

// Bit 6 of the control word is reserved and reads as 1 on the processors we
// compare against; bits 13-15 are reserved and read as 0. The isa-test checks this
// against the host.
constexpr u16 kFcwWritable = 0x1F3F;
constexpr u16 kFcwFixed1 = 0x0040;

// The status word's ES (bit 7) and B (bit 15) summarise "an exception flag is set
// whose mask bit is clear" (SDM Vol. 1, 8.1.3.1 and 8.4); loading a control word
// recomputes them.
void update_error_summary(CpuState& s) {
    if (s.fsw & ~s.fcw & 0x3F) s.fsw |= 0x8080;
    else s.fsw &= static_cast<u16>(~0x8080);
}

// D9 /5  FLDCW m2byte
void FLDCW_Mw(Cpu& c, const Insn& i) {
    c.s.fcw = static_cast<u16>((c.read<u16>(ea(c, i)) & kFcwWritable) | kFcwFixed1);
    update_error_summary(c.s);
    next(c, i);
}
// D9 /7  FNSTCW m2byte
void FNSTCW_Mw(Cpu& c, const Insn& i) {
    c.write<u16>(ea(c, i), c.s.fcw);
    next(c, i);
}
// DD /7  FNSTSW m2byte; DF E0  FNSTSW AX
template <K D> void FNSTSW(Cpu& c, const Insn& i) {
    if constexpr (D == K::M) c.write<u16>(ea(c, i), c.s.fsw);
    else setr<u16>(c, RAX * 8, c.s.fsw);
    next(c, i);
}
// DB E3  FNINIT
void FNINIT(Cpu& c, const Insn& i) {
    c.s.fcw = 0x037F;
    c.s.fsw = 0;
    c.s.ftw = 0xFFFF;
    next(c, i);
}
// DB E2  FNCLEX: clears the exception flags, ES and B (SDM Vol. 2A, FCLEX/FNCLEX).
void FNCLEX(Cpu& c, const Insn& i) {
    c.s.fsw &= 0x7F00;
    next(c, i);
}
// 9B  FWAIT
void FWAIT(Cpu& c, const Insn& i) { next(c, i); }

bool build_fldcw(Insn& i, const Decoded& d) {
    i.fn = FLDCW_Mw;
    i.cycles = cost(Cls::Stack, d);
    return true;
}
bool build_fnstcw(Insn& i, const Decoded& d) {
    i.fn = FNSTCW_Mw;
    i.cycles = cost(Cls::Mov, d);
    return true;
}
bool build_fnstsw(Insn& i, const Decoded& d) {
    i.fn = d.kind(0) == K::M ? FNSTSW<K::M> : FNSTSW<K::R>;
    i.cycles = cost(Cls::Mov, d);
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_FLDCW, build_fldcw},
    {ZYDIS_MNEMONIC_FNSTCW, build_fnstcw},
    {ZYDIS_MNEMONIC_FNSTSW, build_fnstsw},
    {ZYDIS_MNEMONIC_FNINIT, simple<FNINIT, Cls::Stack>},
    {ZYDIS_MNEMONIC_FNCLEX, simple<FNCLEX, Cls::Stack>},
    {ZYDIS_MNEMONIC_FWAIT, simple<FWAIT, Cls::Stack>},
};

}  // namespace

std::span<const BuilderEntry> x87_builders() { return kBuilders; }

}  // namespace sy
