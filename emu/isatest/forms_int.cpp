// isa-test forms: integer data movement and arithmetic (see forms.h).
#include <string>

#include "forms.h"

namespace sy::isatest {
namespace {

std::string sz(u16 bits) { return std::to_string(bits); }

// Adds "<name> r, r", "r, m", "m, r", "r, imm", "m, imm" for every operand size.
void binary_forms(std::vector<Form>& out, const char* name, ZydisMnemonic m, const char* group,
                  bool with_imm = true) {
    for (u16 b : {8, 16, 32, 64}) {
        out.push_back({std::string(name) + " r" + sz(b) + ", r" + sz(b), group, m, {gpr(b), gpr(b)}});
        out.push_back({std::string(name) + " r" + sz(b) + ", m" + sz(b), group, m, {gpr(b), mem(b)}});
        out.push_back({std::string(name) + " m" + sz(b) + ", r" + sz(b), group, m, {mem(b), gpr(b)}});
        if (!with_imm) continue;
        u16 ib = b == 64 ? 32 : b;  // imm32 sign-extended for 64-bit operands
        out.push_back({std::string(name) + " r" + sz(b) + ", imm" + sz(ib), group, m, {gpr(b), imm(ib)}});
        out.push_back({std::string(name) + " m" + sz(b) + ", imm" + sz(ib), group, m, {mem(b), imm(ib)}});
        if (b > 8) {
            out.push_back({std::string(name) + " r" + sz(b) + ", imm8", group, m, {gpr(b), imm(8)}});
        }
    }
}

}  // namespace

std::vector<Form> int_forms() {
    std::vector<Form> f;
    binary_forms(f, "add", ZYDIS_MNEMONIC_ADD, "arith");
    binary_forms(f, "sub", ZYDIS_MNEMONIC_SUB, "arith");
    binary_forms(f, "cmp", ZYDIS_MNEMONIC_CMP, "arith");
    // AND/OR/XOR/TEST leave AF undefined (SDM Vol. 2A, AND: "The state of the AF flag is undefined").
    for (auto [n, m] : {std::pair{"and", ZYDIS_MNEMONIC_AND}, {"or", ZYDIS_MNEMONIC_OR}, {"xor", ZYDIS_MNEMONIC_XOR}}) {
        size_t first = f.size();
        binary_forms(f, n, m, "logic");
        for (size_t k = first; k < f.size(); ++k) f[k].undefined_flags = fl::AF;
    }
    for (u16 b : {8, 16, 32, 64}) {
        f.push_back({"mov r" + sz(b) + ", r" + sz(b), "move", ZYDIS_MNEMONIC_MOV, {gpr(b), gpr(b)}});
        f.push_back({"mov r" + sz(b) + ", m" + sz(b), "move", ZYDIS_MNEMONIC_MOV, {gpr(b), mem(b)}});
        f.push_back({"mov m" + sz(b) + ", r" + sz(b), "move", ZYDIS_MNEMONIC_MOV, {mem(b), gpr(b)}});
        f.push_back({"mov r" + sz(b) + ", imm" + sz(b), "move", ZYDIS_MNEMONIC_MOV, {gpr(b), imm(b)}});
    }
    return f;
}

}  // namespace sy::isatest
