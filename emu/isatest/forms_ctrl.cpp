// isa-test forms: control transfer, stack, strings and flag instructions (see forms.h).
//
// Not here, because the host runs them at CPL 3 and the interpreter at CPL 0,
// or because their values cannot match the host's: CLI/STI/HLT (#GP at CPL 3),
// INT n (a Linux system call or #GP on the host), CPUID and RDTSC/RDTSCP (host
// values). tests/unit/ctrl_*_test.cpp covers them against the SDM.
// None of these instructions leaves a flag undefined: CMPS/SCAS set all six
// arithmetic flags like CMP, SAHF/POPF load them, the rest do not touch them.
#include <cstring>
#include <string>

#include "forms.h"

namespace sy::isatest {
namespace {

// ---- helpers for adjust hooks ------------------------------------------------

u64 get_data_q(const Case& c, u64 la) {
    u64 v;
    std::memcpy(&v, &c.init.data[la - kData], 8);
    return v;
}
void put_data_q(Case& c, u64 la, u64 v) { std::memcpy(&c.init.data[la - kData], &v, 8); }

// An INT3 on the code page outside the instruction: where a branch may land.
u64 landing(const Case& c, Rng& r) {
    u64 a;
    do a = kCodePage + r() % 0x1000;
    while (a + 1 > kInsnAddr && a < kInsnAddr + c.bytes.size() + 16);
    return a;
}

// Prefixes the encoder has no request field for (67h, 66h on stack forms, a
// segment override on the string source) are put in front of the bytes. A rel8
// target then moves by one, still onto an INT3 outside the instruction.
void prepend(Case& c, u8 prefix) { c.bytes.insert(c.bytes.begin(), prefix); }

// ---- branches ----------------------------------------------------------------

void target_in_reg(Case& c, Rng& r) { c.init.gpr[gpr_number(c.regs[0])] = landing(c, r); }
void target_in_mem(Case& c, Rng& r) { put_data_q(c, c.mem_addr, landing(c, r)); }
void target_on_stack(Case& c, Rng& r) { put_data_q(c, kStackTop, landing(c, r)); }
void small_rcx(Case& c, Rng& r) { c.init.gpr[RCX] = r() % 4; }
void a32(Case& c, Rng& r) {
    prepend(c, 0x67);
    if (r() % 2) c.init.gpr[RCX] = (r() << 32) | (r() % 3);  // ECX 0, 1 or 2 under random high bits
}

// ---- stack ---------------------------------------------------------------------

// POPF at CPL 3 on the host: TF would single-step into a #DB and AC would turn on
// alignment checking; neither is what the form tests.
void popf_value(Case& c, Rng&) {
    put_data_q(c, kStackTop, get_data_q(c, kStackTop) & ~(fl::TF | fl::AC));
}
// LEAVE pops from [RBP] and ENTER reads the enclosing frames below it: keep RBP
// in the data area.
void frame_in_data(Case& c, Rng& r) { c.init.gpr[RBP] = kData + 0x1000 + (r() % 0x300) * 8 + r() % 8; }
void o16_frame(Case& c, Rng& r) {
    prepend(c, 0x66);
    frame_in_data(c, r);
}
// ENTER ends with a write check at the final RSP (RSP - frame - imm16): keep
// the allocation inside the data area, where both runs can write. (Outside it
// the host takes a #PF that the interpreter, whose unmapped memory does not
// fault, cannot raise.) The bytes are [66] C8 iw ib.
void enter_frame(Case& c, Rng& r) {
    frame_in_data(c, r);
    size_t at = c.bytes[0] == 0x66 ? 2 : 1;
    u16 size = static_cast<u16>(r() % 4 == 0 ? r() % 16 : r() % 0x1000);
    c.bytes[at] = static_cast<u8>(size);
    c.bytes[at + 1] = static_cast<u8>(size >> 8);
}
void enter_frame_o16(Case& c, Rng& r) {
    prepend(c, 0x66);
    enter_frame(c, r);
}

// ---- strings -----------------------------------------------------------------

struct StringSpec {
    const char* name;
    ZydisMnemonic m;
    unsigned size;  // element bytes
    bool src, dst;  // uses [RSI] / [RDI]
    bool compares;  // CMPS/SCAS
};

// Pointers somewhere in the middle of the data area, far enough from the edges
// for 40 elements of 8 bytes either way.
u64 in_data(Rng& r) { return kData + 0x400 + r() % 0x3000; }

template <bool Rep> void string_regs(Case& c, Rng& r) {
    c.init.gpr[RSI] = in_data(r);
    c.init.gpr[RDI] = in_data(r);
    if (Rep) c.init.gpr[RCX] = r() % 5 == 0 ? 0 : r() % 40;
    if (r() % 2) {
        // Make the compared runs equal for a while, so REPE/REPNE end on a flag
        // as well as on the count: copy 512 bytes around RSI to RDI, seed RAX's
        // pattern around RDI for SCAS, then change one byte.
        u64 s = c.init.gpr[RSI] - 256 - kData, d = c.init.gpr[RDI] - 256 - kData;
        std::memmove(&c.init.data[d], &c.init.data[s], 512);
        if (r() % 2)
            for (unsigned k = 0; k < 512; ++k) c.init.data[d + k] = static_cast<u8>(c.init.gpr[RAX] >> (8 * (k % 8)));
        c.init.data[d + r() % 512] ^= static_cast<u8>(1 + r() % 255);
    }
}
template <bool Rep> void string_a32(Case& c, Rng& r) {
    string_regs<Rep>(c, r);
    prepend(c, 0x67);
    // Random high halves: with 67h only ESI/EDI/ECX count, and their updates zero-extend.
    c.init.gpr[RSI] |= r() << 32;
    c.init.gpr[RDI] |= r() << 32;
    if (Rep) c.init.gpr[RCX] |= r() << 32;
}
template <bool Rep> void string_gs(Case& c, Rng& r) {
    string_regs<Rep>(c, r);
    prepend(c, 0x65);
    c.init.gpr[RSI] -= kData;  // gs: base is kData
}

void string_forms(std::vector<Form>& f) {
    const StringSpec specs[] = {
        {"movsb", ZYDIS_MNEMONIC_MOVSB, 1, true, true, false}, {"movsw", ZYDIS_MNEMONIC_MOVSW, 2, true, true, false},
        {"movsd", ZYDIS_MNEMONIC_MOVSD, 4, true, true, false}, {"movsq", ZYDIS_MNEMONIC_MOVSQ, 8, true, true, false},
        {"stosb", ZYDIS_MNEMONIC_STOSB, 1, false, true, false}, {"stosw", ZYDIS_MNEMONIC_STOSW, 2, false, true, false},
        {"stosd", ZYDIS_MNEMONIC_STOSD, 4, false, true, false}, {"stosq", ZYDIS_MNEMONIC_STOSQ, 8, false, true, false},
        {"lodsb", ZYDIS_MNEMONIC_LODSB, 1, true, false, false}, {"lodsw", ZYDIS_MNEMONIC_LODSW, 2, true, false, false},
        {"lodsd", ZYDIS_MNEMONIC_LODSD, 4, true, false, false}, {"lodsq", ZYDIS_MNEMONIC_LODSQ, 8, true, false, false},
        {"cmpsb", ZYDIS_MNEMONIC_CMPSB, 1, true, true, true},   {"cmpsw", ZYDIS_MNEMONIC_CMPSW, 2, true, true, true},
        {"cmpsd", ZYDIS_MNEMONIC_CMPSD, 4, true, true, true},   {"cmpsq", ZYDIS_MNEMONIC_CMPSQ, 8, true, true, true},
        {"scasb", ZYDIS_MNEMONIC_SCASB, 1, false, true, true},  {"scasw", ZYDIS_MNEMONIC_SCASW, 2, false, true, true},
        {"scasd", ZYDIS_MNEMONIC_SCASD, 4, false, true, true},  {"scasq", ZYDIS_MNEMONIC_SCASQ, 8, false, true, true},
    };
    for (const StringSpec& s : specs) {
        std::string n = s.name;
        f.push_back({n, "string", s.m, {}, 0, 0, 1, Lanes::Bits, false, string_regs<false>});
        if (s.compares) {
            f.push_back({"repe " + n, "string", s.m, {}, 0, ZYDIS_ATTRIB_HAS_REPE, 1, Lanes::Bits, false, string_regs<true>});
            f.push_back({"repne " + n, "string", s.m, {}, 0, ZYDIS_ATTRIB_HAS_REPNE, 1, Lanes::Bits, false, string_regs<true>});
            f.push_back({"repe " + n + " a32", "string", s.m, {}, 0, ZYDIS_ATTRIB_HAS_REPE, 1, Lanes::Bits, false,
                         string_a32<true>});
        } else {
            f.push_back({"rep " + n, "string", s.m, {}, 0, ZYDIS_ATTRIB_HAS_REP, 1, Lanes::Bits, false, string_regs<true>});
            f.push_back({"rep " + n + " a32", "string", s.m, {}, 0, ZYDIS_ATTRIB_HAS_REP, 1, Lanes::Bits, false,
                         string_a32<true>});
        }
        if (s.src) {
            ZydisInstructionAttributes rep = s.compares ? ZYDIS_ATTRIB_HAS_REPE : ZYDIS_ATTRIB_HAS_REP;
            f.push_back({(s.compares ? "repe " : "rep ") + n + " gs:", "string", s.m, {}, 0, rep, 1, Lanes::Bits, false,
                         string_gs<true>});
        }
    }
}

}  // namespace

std::vector<Form> ctrl_forms() {
    std::vector<Form> f;
    auto add = [&](std::string name, const char* group, ZydisMnemonic m, std::vector<OperandSpec> ops,
                   Adjust adjust = nullptr, ZydisInstructionAttributes prefixes = 0) {
        f.push_back({std::move(name), group, m, std::move(ops), 0, prefixes, 1, Lanes::Bits, false, adjust});
    };

    // ---- branches ----
    add("jmp rel8", "branch", ZYDIS_MNEMONIC_JMP, {rel(8)});
    add("jmp rel32", "branch", ZYDIS_MNEMONIC_JMP, {rel(32)});
    add("jmp r64", "branch", ZYDIS_MNEMONIC_JMP, {gpr(64)}, target_in_reg);
    add("jmp m64", "branch", ZYDIS_MNEMONIC_JMP, {mem(64)}, target_in_mem);
    const std::pair<const char*, ZydisMnemonic> jcc[] = {
        {"jo", ZYDIS_MNEMONIC_JO},   {"jno", ZYDIS_MNEMONIC_JNO}, {"jb", ZYDIS_MNEMONIC_JB},
        {"jnb", ZYDIS_MNEMONIC_JNB}, {"jz", ZYDIS_MNEMONIC_JZ},   {"jnz", ZYDIS_MNEMONIC_JNZ},
        {"jbe", ZYDIS_MNEMONIC_JBE}, {"jnbe", ZYDIS_MNEMONIC_JNBE}, {"js", ZYDIS_MNEMONIC_JS},
        {"jns", ZYDIS_MNEMONIC_JNS}, {"jp", ZYDIS_MNEMONIC_JP},   {"jnp", ZYDIS_MNEMONIC_JNP},
        {"jl", ZYDIS_MNEMONIC_JL},   {"jnl", ZYDIS_MNEMONIC_JNL}, {"jle", ZYDIS_MNEMONIC_JLE},
        {"jnle", ZYDIS_MNEMONIC_JNLE},
    };
    for (auto [n, m] : jcc) {
        add(std::string(n) + " rel8", "branch", m, {rel(8)});
        add(std::string(n) + " rel32", "branch", m, {rel(32)});
    }
    add("loop rel8", "branch", ZYDIS_MNEMONIC_LOOP, {rel(8)}, small_rcx);
    add("loop rel8 a32", "branch", ZYDIS_MNEMONIC_LOOP, {rel(8)}, a32);
    add("loope rel8", "branch", ZYDIS_MNEMONIC_LOOPE, {rel(8)}, small_rcx);
    add("loopne rel8", "branch", ZYDIS_MNEMONIC_LOOPNE, {rel(8)}, small_rcx);
    add("jrcxz rel8", "branch", ZYDIS_MNEMONIC_JRCXZ, {rel(8)}, small_rcx);
    add("jecxz rel8", "branch", ZYDIS_MNEMONIC_JECXZ, {rel(8)}, small_rcx);
    add("call rel32", "branch", ZYDIS_MNEMONIC_CALL, {rel(32)});
    add("call r64", "branch", ZYDIS_MNEMONIC_CALL, {gpr(64)}, target_in_reg);
    add("call m64", "branch", ZYDIS_MNEMONIC_CALL, {mem(64)}, target_in_mem);
    add("ret", "branch", ZYDIS_MNEMONIC_RET, {}, target_on_stack);
    add("ret imm16", "branch", ZYDIS_MNEMONIC_RET, {imm(16)}, target_on_stack);

    // ---- stack ----
    add("push r64", "stack", ZYDIS_MNEMONIC_PUSH, {gpr(64)});
    add("push r16", "stack", ZYDIS_MNEMONIC_PUSH, {gpr(16)});
    add("push m64", "stack", ZYDIS_MNEMONIC_PUSH, {mem(64)});
    add("push m16", "stack", ZYDIS_MNEMONIC_PUSH, {mem(16)});
    add("push imm8", "stack", ZYDIS_MNEMONIC_PUSH, {imm(8)});
    add("push imm32", "stack", ZYDIS_MNEMONIC_PUSH, {imm(32)});
    add("pop r64", "stack", ZYDIS_MNEMONIC_POP, {gpr(64)});
    add("pop r16", "stack", ZYDIS_MNEMONIC_POP, {gpr(16)});
    add("pop m64", "stack", ZYDIS_MNEMONIC_POP, {mem(64)});
    add("pop m16", "stack", ZYDIS_MNEMONIC_POP, {mem(16)});
    add("pushfq", "stack", ZYDIS_MNEMONIC_PUSHFQ, {});
    add("pushf", "stack", ZYDIS_MNEMONIC_PUSHF, {});
    add("popfq", "stack", ZYDIS_MNEMONIC_POPFQ, {}, popf_value);
    add("popf", "stack", ZYDIS_MNEMONIC_POPF, {}, popf_value);
    add("enter imm16, imm8", "stack", ZYDIS_MNEMONIC_ENTER, {imm(16), imm(8)}, enter_frame);
    add("enter imm16, imm8 o16", "stack", ZYDIS_MNEMONIC_ENTER, {imm(16), imm(8)}, enter_frame_o16);
    add("leave", "stack", ZYDIS_MNEMONIC_LEAVE, {}, frame_in_data);
    add("leave o16", "stack", ZYDIS_MNEMONIC_LEAVE, {}, o16_frame);

    // ---- flags and hints ----
    for (auto [n, m] : {std::pair{"clc", ZYDIS_MNEMONIC_CLC}, {"stc", ZYDIS_MNEMONIC_STC}, {"cmc", ZYDIS_MNEMONIC_CMC},
                        {"cld", ZYDIS_MNEMONIC_CLD}, {"std", ZYDIS_MNEMONIC_STD}, {"lahf", ZYDIS_MNEMONIC_LAHF},
                        {"sahf", ZYDIS_MNEMONIC_SAHF}, {"nop", ZYDIS_MNEMONIC_NOP}, {"pause", ZYDIS_MNEMONIC_PAUSE},
                        {"endbr64", ZYDIS_MNEMONIC_ENDBR64}, {"int3", ZYDIS_MNEMONIC_INT3},
                        {"ud2", ZYDIS_MNEMONIC_UD2}})
        add(n, "flags", m, {});
    add("nop m32", "flags", ZYDIS_MNEMONIC_NOP, {mem(32)});
    add("nop m16", "flags", ZYDIS_MNEMONIC_NOP, {mem(16)});

    string_forms(f);
    return f;
}

}  // namespace sy::isatest
