// isa-test forms: control transfer, stack, strings and flag instructions (see forms.h).
#include "forms.h"

namespace sy::isatest {

std::vector<Form> ctrl_forms() {
    std::vector<Form> f;
    f.push_back({"jmp rel8", "branch", ZYDIS_MNEMONIC_JMP, {rel(8)}});
    f.push_back({"jmp rel32", "branch", ZYDIS_MNEMONIC_JMP, {rel(32)}});
    f.push_back({"jnz rel8", "branch", ZYDIS_MNEMONIC_JNZ, {rel(8)}});
    f.push_back({"call rel32", "branch", ZYDIS_MNEMONIC_CALL, {rel(32)}});
    f.push_back({"push r64", "stack", ZYDIS_MNEMONIC_PUSH, {gpr(64)}});
    f.push_back({"pop r64", "stack", ZYDIS_MNEMONIC_POP, {gpr(64)}});
    return f;
}

}  // namespace sy::isatest
