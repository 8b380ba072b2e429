// isa-test forms: x87 control and status words (see forms.h).
#include "forms.h"

namespace sy::isatest {
namespace {

// A random control word as the register can hold it (reserved bits 13-15 clear,
// bit 6 set: the host normalises what it loads), exceptions masked; FLDCW's
// memory operand stays fully random, so the reserved bits are tested there. The
// status word gets exception flags but not ES (a set ES with an unmasked flag
// would make the host raise #MF at the next waiting instruction).
void random_fpu_words(Case& c, Rng& rng) {
    c.init.fcw = static_cast<u16>((rng() & 0x1F3F) | 0x7F);
    c.init.fsw = static_cast<u16>(rng() & 0x3F);
}

}  // namespace

std::vector<Form> x87_forms() {
    std::vector<Form> f;
    auto add = [&](const char* name, ZydisMnemonic m, std::vector<OperandSpec> ops) {
        Form form{name, "x87-control", m, std::move(ops)};
        form.adjust = random_fpu_words;
        f.push_back(form);
    };
    add("fldcw m16", ZYDIS_MNEMONIC_FLDCW, {mem(16)});
    add("fnstcw m16", ZYDIS_MNEMONIC_FNSTCW, {mem(16)});
    add("fnstsw m16", ZYDIS_MNEMONIC_FNSTSW, {mem(16)});
    add("fnstsw ax", ZYDIS_MNEMONIC_FNSTSW, {fixed(ZYDIS_REGISTER_AX)});
    add("fninit", ZYDIS_MNEMONIC_FNINIT, {});
    add("fnclex", ZYDIS_MNEMONIC_FNCLEX, {});
    add("fwait", ZYDIS_MNEMONIC_FWAIT, {});
    return f;
}

}  // namespace sy::isatest
