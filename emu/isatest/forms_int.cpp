// isa-test forms: integer data movement, arithmetic, logic, multiply/divide,
// shifts and rotates, bit instructions, exchanges and conditional moves (see
// forms.h). The handlers are cpu/ops_int.cpp; the values the interpreter gives
// to SDM-undefined flags are listed in cpu/alu.h. Every undefined mask below
// quotes the SDM Vol. 2 page that leaves the flag undefined.
#include <cstring>
#include <string>

#include "forms.h"

namespace sy::isatest {
namespace {

std::string sz(u16 bits) { return std::to_string(bits); }
std::string rm(Opd k, u16 bits) { return (k == Opd::Mem ? "m" : "r") + sz(bits); }
u64 width_mask(u16 bits) { return bits == 64 ? ~0ull : (u64(1) << bits) - 1; }

constexpr ZydisInstructionAttributes kLock = ZYDIS_ATTRIB_HAS_LOCK;

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

// ---- reading and changing a case's initial state ----------------------------

bool is_high_byte(ZydisRegister r) { return r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH; }

// The value of operand k (a register or the memory operand) before the instruction.
u64 operand_value(const Case& c, int k) {
    u16 bits = c.form->ops[k].bits;
    if (c.form->ops[k].kind == Opd::Mem) {
        u64 v = 0;
        std::memcpy(&v, &c.init.data[c.mem_addr - kData], bits / 8);
        return v;
    }
    ZydisRegister r = c.regs[k];
    return (c.init.gpr[gpr_number(r)] >> (is_high_byte(r) ? 8 : 0)) & width_mask(bits);
}

// The memory operand's address registers: changing one of them moves the operand.
bool addresses_through(const Case& c, int gpr) {
    return (c.mem_base != ZYDIS_REGISTER_NONE && gpr_number(c.mem_base) == gpr) ||
           (c.mem_index != ZYDIS_REGISTER_NONE && gpr_number(c.mem_index) == gpr);
}
bool is_reg_operand(const Case& c, int k, int gpr) {
    return c.form->ops[k].kind == Opd::Gpr && gpr_number(c.regs[k]) == gpr;
}
void set_low(u64& reg, u16 bits, u64 v) { reg = (reg & ~width_mask(bits)) | (v & width_mask(bits)); }

// ---- shifts and rotates ------------------------------------------------------
// The count is the immediate or CL, masked to 5 bits (6 for 64-bit). With a
// masked count of 0 no flag changes, so nothing is masked then.
//  SHL/SHR/SAR (SDM Vol. 2B "SAL/SAR/SHL/SHR", Flags Affected): "The OF flag is
//    affected only on 1-bit shifts. For left shifts, the OF flag is set to 0 ...
//    For a non-zero count, the AF flag is undefined." and "The CF flag ... is
//    undefined for SHL and SHR instructions where the count is greater than or
//    equal to the size (in bits) of the destination operand."
//  ROL/ROR/RCL/RCR (SDM Vol. 2B "RCL/RCR/ROL/ROR", Flags Affected): "The OF flag
//    is defined only for the 1-bit rotates; it is undefined in all other cases
//    (except RCL and RCR instructions only: a zero-bit rotate does nothing ...)".
//  SHLD/SHRD (SDM Vol. 2B "SHLD"/"SHRD", Flags Affected): "For a 1-bit shift,
//    the OF flag is set if a sign change occurred; otherwise, it is cleared. For
//    shifts greater than 1 bit, the OF flag is undefined. ... For a non-zero
//    count, the AF flag is undefined." and Description: "If the count is greater
//    than the operand size, the result is undefined" (16-bit counts 17..31).
unsigned masked_count(const Case& c, int k) {
    u64 raw = c.form->ops[k].kind == Opd::Imm ? c.imm : c.init.gpr[RCX];
    return static_cast<unsigned>(raw & (c.form->ops[0].bits == 64 ? 63 : 31));
}

void shift_adjust(Case& c, Rng&) {
    unsigned n = masked_count(c, 1);
    if (n == 0) return;
    c.undefined_flags |= fl::AF;
    if (n != 1) c.undefined_flags |= fl::OF;
    ZydisMnemonic m = c.form->mnemonic;
    if ((m == ZYDIS_MNEMONIC_SHL || m == ZYDIS_MNEMONIC_SHR) && n >= c.form->ops[0].bits) c.undefined_flags |= fl::CF;
}

void rotate_adjust(Case& c, Rng&) {
    unsigned n = masked_count(c, 1);
    if (n > 1) c.undefined_flags |= fl::OF;
}

void shxd_adjust(Case& c, Rng&) {
    unsigned n = masked_count(c, 2);
    if (n == 0) return;
    c.undefined_flags |= fl::AF;
    if (n != 1) c.undefined_flags |= fl::OF;
    // 16-bit counts 17..31: undefined in the SDM; the interpreter follows the
    // host's vendor (Cpu::vendor), so result, CF, SF, ZF and PF are compared.
}

void shift_forms(std::vector<Form>& f) {
    struct S { const char* name; ZydisMnemonic m; Adjust adj; };
    const S shifts[] = {
        {"shl", ZYDIS_MNEMONIC_SHL, shift_adjust}, {"shr", ZYDIS_MNEMONIC_SHR, shift_adjust},
        {"sar", ZYDIS_MNEMONIC_SAR, shift_adjust}, {"rol", ZYDIS_MNEMONIC_ROL, rotate_adjust},
        {"ror", ZYDIS_MNEMONIC_ROR, rotate_adjust}, {"rcl", ZYDIS_MNEMONIC_RCL, rotate_adjust},
        {"rcr", ZYDIS_MNEMONIC_RCR, rotate_adjust},
    };
    for (const S& s : shifts)
        for (u16 b : {8, 16, 32, 64})
            for (Opd k : {Opd::Gpr, Opd::Mem}) {
                OperandSpec d{k, b};
                // imm8 covers the by-1 encoding too: the encoder picks D0/D1 for a count of 1.
                f.push_back({std::string(s.name) + " " + rm(k, b) + ", imm8", "shift", s.m, {d, imm(8)}, 0, 0, 1, Lanes::Bits, false, s.adj});
                f.push_back({std::string(s.name) + " " + rm(k, b) + ", cl", "shift", s.m, {d, fixed(ZYDIS_REGISTER_CL)}, 0, 0, 1, Lanes::Bits, false, s.adj});
            }
    for (auto [name, m] : {std::pair{"shld", ZYDIS_MNEMONIC_SHLD}, {"shrd", ZYDIS_MNEMONIC_SHRD}})
        for (u16 b : {16, 32, 64})
            for (Opd k : {Opd::Gpr, Opd::Mem}) {
                OperandSpec d{k, b};
                std::string base = std::string(name) + " " + rm(k, b) + ", r" + sz(b);
                f.push_back({base + ", imm8", "shift", m, {d, gpr(b), imm(8)}, 0, 0, 1, Lanes::Bits, false, shxd_adjust});
                f.push_back({base + ", cl", "shift", m, {d, gpr(b), fixed(ZYDIS_REGISTER_CL)}, 0, 0, 1, Lanes::Bits, false, shxd_adjust});
            }
}

// ---- multiply and divide -----------------------------------------------------
// MUL/IMUL (SDM Vol. 2A "MUL" and "IMUL", Flags Affected): "The SF, ZF, AF, and
// PF flags are undefined." DIV/IDIV (SDM Vol. 2A "DIV" and "IDIV"): "The CF, OF,
// SF, ZF, AF, and PF flags are undefined."
constexpr u64 kMulUndefined = fl::SF | fl::ZF | fl::AF | fl::PF;

// Random dividends overflow almost always; three cases in four get a high half
// that makes the quotient fit (DIV: high < divisor; IDIV: the sign extension of
// the low half), so the arithmetic is exercised and not only #DE. Edge values
// still produce INT_MIN / -1 and zero divisors.
void div_adjust(Case& c, Rng& rng) {
    if (rng() % 4 == 0) return;
    u16 bits = c.form->ops[0].bits;
    int hi_reg = bits == 8 ? RAX : RDX;
    if (addresses_through(c, RAX) || addresses_through(c, RDX) || is_reg_operand(c, 0, RAX) ||
        is_reg_operand(c, 0, hi_reg))
        return;
    u64 divisor = operand_value(c, 0);
    u64 lo = bits == 8 ? c.init.gpr[RAX] & 0xFF : c.init.gpr[RAX] & width_mask(bits);
    u64 hi;
    if (c.form->mnemonic == ZYDIS_MNEMONIC_DIV) hi = divisor ? rng() % divisor : 0;
    else hi = (lo >> (bits - 1)) & 1 ? width_mask(bits) : 0;
    if (bits == 8) c.init.gpr[RAX] = (c.init.gpr[RAX] & ~0xFF00ull) | (hi << 8);
    else set_low(c.init.gpr[RDX], bits, hi);
}

void muldiv_forms(std::vector<Form>& f) {
    for (u16 b : {8, 16, 32, 64})
        for (Opd k : {Opd::Gpr, Opd::Mem}) {
            OperandSpec s{k, b};
            f.push_back({"mul " + rm(k, b), "muldiv", ZYDIS_MNEMONIC_MUL, {s}, kMulUndefined});
            f.push_back({"imul " + rm(k, b), "muldiv", ZYDIS_MNEMONIC_IMUL, {s}, kMulUndefined});
            f.push_back({"div " + rm(k, b), "muldiv", ZYDIS_MNEMONIC_DIV, {s}, fl::ARITH, 0, 1, Lanes::Bits, false, div_adjust});
            f.push_back({"idiv " + rm(k, b), "muldiv", ZYDIS_MNEMONIC_IDIV, {s}, fl::ARITH, 0, 1, Lanes::Bits, false, div_adjust});
            if (b == 8) continue;
            f.push_back({"imul r" + sz(b) + ", " + rm(k, b), "muldiv", ZYDIS_MNEMONIC_IMUL, {gpr(b), s}, kMulUndefined});
            f.push_back({"imul r" + sz(b) + ", " + rm(k, b) + ", imm8", "muldiv", ZYDIS_MNEMONIC_IMUL, {gpr(b), s, imm(8)}, kMulUndefined});
            u16 ib = b == 64 ? 32 : b;
            f.push_back({"imul r" + sz(b) + ", " + rm(k, b) + ", imm" + sz(ib), "muldiv", ZYDIS_MNEMONIC_IMUL, {gpr(b), s, imm(ib)}, kMulUndefined});
        }
}

// ---- bit instructions --------------------------------------------------------
// BT/BTS/BTR/BTC (SDM Vol. 2A "BT", Flags Affected): "The ZF flag is unaffected.
// The OF, SF, AF, and PF flags are undefined."
constexpr u64 kBtUndefined = fl::OF | fl::SF | fl::AF | fl::PF;
// BSF/BSR (SDM Vol. 2A "BSF"/"BSR"): "The CF, OF, SF, AF, and PF flags are undefined."
constexpr u64 kBsfUndefined = fl::CF | fl::OF | fl::SF | fl::AF | fl::PF;
// LZCNT (SDM Vol. 2A "LZCNT"), TZCNT (Vol. 2B "TZCNT"): "OF, SF, PF and AF flags are undefined."
constexpr u64 kLzcntUndefined = fl::OF | fl::SF | fl::PF | fl::AF;

// A register bit offset into memory reaches beyond the operand (the "bit base"):
// keep it within +-256 bits so the access stays in the data area.
void bt_mem_adjust(Case& c, Rng& rng) {
    int n = gpr_number(c.regs[1]);
    i64 off = static_cast<i64>(rng() % 512) - 256;
    set_low(c.init.gpr[n], c.form->ops[0].bits, static_cast<u64>(off));
}

// A quarter of the scans and counts get a zero source: BSF/BSR then leave the
// destination as it was (both vendors), LZCNT/TZCNT give the width, and the
// register or memory source must not move with the change.
void zero_source_adjust(Case& c, Rng& rng) {
    if (rng() % 4) return;
    const OperandSpec& src = c.form->ops[1];
    if (src.kind == Opd::Mem) {
        std::memset(&c.init.data[c.mem_addr - kData], 0, src.bits / 8);
    } else {
        int n = gpr_number(c.regs[1]);
        if (addresses_through(c, n)) return;
        set_low(c.init.gpr[n], src.bits, 0);
    }
}

void bit_forms(std::vector<Form>& f) {
    struct B { const char* name; ZydisMnemonic m; };
    for (B s : {B{"bt", ZYDIS_MNEMONIC_BT}, B{"bts", ZYDIS_MNEMONIC_BTS}, B{"btr", ZYDIS_MNEMONIC_BTR}, B{"btc", ZYDIS_MNEMONIC_BTC}}) {
        for (u16 b : {16, 32, 64}) {
            std::string n = s.name;
            f.push_back({n + " r" + sz(b) + ", r" + sz(b), "bit", s.m, {gpr(b), gpr(b)}, kBtUndefined});
            f.push_back({n + " r" + sz(b) + ", imm8", "bit", s.m, {gpr(b), imm(8)}, kBtUndefined});
            f.push_back({n + " m" + sz(b) + ", r" + sz(b), "bit", s.m, {mem(b), gpr(b)}, kBtUndefined, 0, 1, Lanes::Bits, false, bt_mem_adjust});
            f.push_back({n + " m" + sz(b) + ", imm8", "bit", s.m, {mem(b), imm(8)}, kBtUndefined});
            if (s.m == ZYDIS_MNEMONIC_BT) continue;
            f.push_back({"lock " + n + " m" + sz(b) + ", r" + sz(b), "lock", s.m, {mem(b), gpr(b)}, kBtUndefined, kLock, 1, Lanes::Bits, false, bt_mem_adjust});
            f.push_back({"lock " + n + " m" + sz(b) + ", imm8", "lock", s.m, {mem(b), imm(8)}, kBtUndefined, kLock});
        }
    }
    struct S { const char* name; ZydisMnemonic m; u64 undef; };
    for (S s : {S{"bsf", ZYDIS_MNEMONIC_BSF, kBsfUndefined}, S{"bsr", ZYDIS_MNEMONIC_BSR, kBsfUndefined},
                S{"lzcnt", ZYDIS_MNEMONIC_LZCNT, kLzcntUndefined}, S{"tzcnt", ZYDIS_MNEMONIC_TZCNT, kLzcntUndefined},
                S{"popcnt", ZYDIS_MNEMONIC_POPCNT, 0}})
        for (u16 b : {16, 32, 64})
            for (Opd k : {Opd::Gpr, Opd::Mem})
                f.push_back({std::string(s.name) + " r" + sz(b) + ", " + rm(k, b), "bit", s.m, {gpr(b), OperandSpec{k, b}}, s.undef,
                             0, 1, Lanes::Bits, false, zero_source_adjust});
    for (u16 b : {16, 32, 64})
        f.push_back({"bswap r" + sz(b), "bit", ZYDIS_MNEMONIC_BSWAP, {gpr(b)}});
}

// ---- moves, exchanges, conditional moves ---------------------------------------
// Half the CMPXCHG cases get rAX equal to the destination, so both outcomes run.
void cmpxchg_adjust(Case& c, Rng& rng) {
    if (rng() % 2 || addresses_through(c, RAX)) return;
    set_low(c.init.gpr[RAX], c.form->ops[0].bits, operand_value(c, 0));
}
void cmpxchg_dbl_adjust(Case& c, Rng& rng) {
    if (rng() % 2 || addresses_through(c, RAX) || addresses_through(c, RDX)) return;
    u16 half = c.form->ops[0].bits / 2;
    u64 lo = 0, hi = 0;
    std::memcpy(&lo, &c.init.data[c.mem_addr - kData], half / 8);
    std::memcpy(&hi, &c.init.data[c.mem_addr - kData + half / 8], half / 8);
    set_low(c.init.gpr[RAX], half, lo);
    set_low(c.init.gpr[RDX], half, hi);
    if (rng() % 4 == 0) c.init.gpr[RDX] ^= 1;  // differ in the high half only
}

void move_forms(std::vector<Form>& f) {
    for (u16 b : {8, 16, 32, 64}) {
        f.push_back({"mov r" + sz(b) + ", r" + sz(b), "move", ZYDIS_MNEMONIC_MOV, {gpr(b), gpr(b)}});
        f.push_back({"mov r" + sz(b) + ", m" + sz(b), "move", ZYDIS_MNEMONIC_MOV, {gpr(b), mem(b)}});
        f.push_back({"mov m" + sz(b) + ", r" + sz(b), "move", ZYDIS_MNEMONIC_MOV, {mem(b), gpr(b)}});
        f.push_back({"mov r" + sz(b) + ", imm" + sz(b), "move", ZYDIS_MNEMONIC_MOV, {gpr(b), imm(b)}});
        f.push_back({"mov m" + sz(b) + ", imm" + sz(b == 64 ? 32 : b), "move", ZYDIS_MNEMONIC_MOV, {mem(b), imm(b == 64 ? 32 : b)}});
    }
    for (u16 d : {16, 32, 64})
        for (u16 s : {8, 16})
            for (Opd k : {Opd::Gpr, Opd::Mem}) {
                if (s == d) continue;
                OperandSpec src{k, s};
                f.push_back({"movzx r" + sz(d) + ", " + rm(k, s), "move", ZYDIS_MNEMONIC_MOVZX, {gpr(d), src}});
                f.push_back({"movsx r" + sz(d) + ", " + rm(k, s), "move", ZYDIS_MNEMONIC_MOVSX, {gpr(d), src}});
            }
    for (Opd k : {Opd::Gpr, Opd::Mem}) {
        f.push_back({"movsxd r64, " + rm(k, 32), "move", ZYDIS_MNEMONIC_MOVSXD, {gpr(64), OperandSpec{k, 32}}});
        f.push_back({"movsxd r32, " + rm(k, 32), "move", ZYDIS_MNEMONIC_MOVSXD, {gpr(32), OperandSpec{k, 32}}});
    }
    f.push_back({"lea r64, m", "move", ZYDIS_MNEMONIC_LEA, {gpr(64), mem(64)}});
    f.push_back({"lea r32, m", "move", ZYDIS_MNEMONIC_LEA, {gpr(32), mem(64)}});
    for (const char* n : {"cbw", "cwde", "cdqe", "cwd", "cdq", "cqo"}) {
        static const std::pair<const char*, ZydisMnemonic> m[] = {
            {"cbw", ZYDIS_MNEMONIC_CBW}, {"cwde", ZYDIS_MNEMONIC_CWDE}, {"cdqe", ZYDIS_MNEMONIC_CDQE},
            {"cwd", ZYDIS_MNEMONIC_CWD}, {"cdq", ZYDIS_MNEMONIC_CDQ},   {"cqo", ZYDIS_MNEMONIC_CQO}};
        for (auto [name, mn] : m)
            if (std::string(name) == n) f.push_back({n, "move", mn, {}});
    }

    for (u16 b : {8, 16, 32, 64}) {
        f.push_back({"xchg r" + sz(b) + ", r" + sz(b), "xchg", ZYDIS_MNEMONIC_XCHG, {gpr(b), gpr(b)}});
        f.push_back({"xchg m" + sz(b) + ", r" + sz(b), "xchg", ZYDIS_MNEMONIC_XCHG, {mem(b), gpr(b)}});
        f.push_back({"lock xchg m" + sz(b) + ", r" + sz(b), "lock", ZYDIS_MNEMONIC_XCHG, {mem(b), gpr(b)}, 0, kLock});
        f.push_back({"xadd r" + sz(b) + ", r" + sz(b), "xchg", ZYDIS_MNEMONIC_XADD, {gpr(b), gpr(b)}});
        f.push_back({"xadd m" + sz(b) + ", r" + sz(b), "xchg", ZYDIS_MNEMONIC_XADD, {mem(b), gpr(b)}});
        f.push_back({"lock xadd m" + sz(b) + ", r" + sz(b), "lock", ZYDIS_MNEMONIC_XADD, {mem(b), gpr(b)}, 0, kLock});
        f.push_back({"cmpxchg r" + sz(b) + ", r" + sz(b), "xchg", ZYDIS_MNEMONIC_CMPXCHG, {gpr(b), gpr(b)}, 0, 0, 1, Lanes::Bits, false, cmpxchg_adjust});
        f.push_back({"cmpxchg m" + sz(b) + ", r" + sz(b), "xchg", ZYDIS_MNEMONIC_CMPXCHG, {mem(b), gpr(b)}, 0, 0, 1, Lanes::Bits, false, cmpxchg_adjust});
        f.push_back({"lock cmpxchg m" + sz(b) + ", r" + sz(b), "lock", ZYDIS_MNEMONIC_CMPXCHG, {mem(b), gpr(b)}, 0, kLock, 1, Lanes::Bits, false, cmpxchg_adjust});
    }
    f.push_back({"cmpxchg8b m64", "xchg", ZYDIS_MNEMONIC_CMPXCHG8B, {mem(64)}, 0, 0, 1, Lanes::Bits, false, cmpxchg_dbl_adjust});
    f.push_back({"lock cmpxchg8b m64", "lock", ZYDIS_MNEMONIC_CMPXCHG8B, {mem(64)}, 0, kLock, 1, Lanes::Bits, false, cmpxchg_dbl_adjust});
    f.push_back({"cmpxchg16b m128", "xchg", ZYDIS_MNEMONIC_CMPXCHG16B, {mem(128)}, 0, 0, 16, Lanes::Bits, false, cmpxchg_dbl_adjust});
    f.push_back({"lock cmpxchg16b m128", "lock", ZYDIS_MNEMONIC_CMPXCHG16B, {mem(128)}, 0, kLock, 16, Lanes::Bits, false, cmpxchg_dbl_adjust});
    // Not 16-byte aligned: #GP(0) most of the time (SDM Vol. 2A CMPXCHG8B/CMPXCHG16B).
    f.push_back({"cmpxchg16b m128 (any alignment)", "xchg", ZYDIS_MNEMONIC_CMPXCHG16B, {mem(128)}, 0, 0, 1, Lanes::Bits, false, cmpxchg_dbl_adjust});

    static const ZydisMnemonic kSet[16] = {
        ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,  ZYDIS_MNEMONIC_SETNB,
        ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
        ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP,  ZYDIS_MNEMONIC_SETNP,
        ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE};
    static const ZydisMnemonic kCmov[16] = {
        ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,  ZYDIS_MNEMONIC_CMOVNB,
        ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
        ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP,  ZYDIS_MNEMONIC_CMOVNP,
        ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE};
    for (int cc = 0; cc < 16; ++cc) {
        std::string set = ZydisMnemonicGetString(kSet[cc]), cmov = ZydisMnemonicGetString(kCmov[cc]);
        f.push_back({set + " r8", "cond", kSet[cc], {gpr(8)}});
        f.push_back({set + " m8", "cond", kSet[cc], {mem(8)}});
        for (u16 b : {16, 32, 64})
            for (Opd k : {Opd::Gpr, Opd::Mem})
                f.push_back({cmov + " r" + sz(b) + ", " + rm(k, b), "cond", kCmov[cc], {gpr(b), OperandSpec{k, b}}});
    }
}

// INC/DEC/NOT/NEG on every size, register and memory, and locked in memory.
void unary_forms(std::vector<Form>& f) {
    struct U { const char* name; ZydisMnemonic m; };
    for (U u : {U{"inc", ZYDIS_MNEMONIC_INC}, U{"dec", ZYDIS_MNEMONIC_DEC}, U{"not", ZYDIS_MNEMONIC_NOT}, U{"neg", ZYDIS_MNEMONIC_NEG}})
        for (u16 b : {8, 16, 32, 64}) {
            f.push_back({std::string(u.name) + " r" + sz(b), "arith", u.m, {gpr(b)}});
            f.push_back({std::string(u.name) + " m" + sz(b), "arith", u.m, {mem(b)}});
            f.push_back({"lock " + std::string(u.name) + " m" + sz(b), "lock", u.m, {mem(b)}, 0, kLock});
        }
}

// LOCK on the read-modify-write ALU operations with a memory destination.
void lock_alu_forms(std::vector<Form>& f) {
    struct A { const char* name; ZydisMnemonic m; u64 undef; };
    // AND/OR/XOR: "The state of the AF flag is undefined" (SDM Vol. 2A AND/OR, Vol. 2B XOR).
    for (A a : {A{"add", ZYDIS_MNEMONIC_ADD, 0}, A{"sub", ZYDIS_MNEMONIC_SUB, 0}, A{"adc", ZYDIS_MNEMONIC_ADC, 0},
                A{"sbb", ZYDIS_MNEMONIC_SBB, 0}, A{"and", ZYDIS_MNEMONIC_AND, fl::AF}, A{"or", ZYDIS_MNEMONIC_OR, fl::AF},
                A{"xor", ZYDIS_MNEMONIC_XOR, fl::AF}})
        for (u16 b : {8, 16, 32, 64}) {
            u16 ib = b == 64 ? 32 : b;
            f.push_back({"lock " + std::string(a.name) + " m" + sz(b) + ", r" + sz(b), "lock", a.m, {mem(b), gpr(b)}, a.undef, kLock});
            f.push_back({"lock " + std::string(a.name) + " m" + sz(b) + ", imm" + sz(ib), "lock", a.m, {mem(b), imm(ib)}, a.undef, kLock});
        }
}

}  // namespace

std::vector<Form> int_forms() {
    std::vector<Form> f;
    binary_forms(f, "add", ZYDIS_MNEMONIC_ADD, "arith");
    binary_forms(f, "sub", ZYDIS_MNEMONIC_SUB, "arith");
    binary_forms(f, "adc", ZYDIS_MNEMONIC_ADC, "arith");
    binary_forms(f, "sbb", ZYDIS_MNEMONIC_SBB, "arith");
    binary_forms(f, "cmp", ZYDIS_MNEMONIC_CMP, "arith");
    // AND/OR/XOR/TEST leave AF undefined (SDM Vol. 2A, AND: "The state of the AF flag is undefined").
    for (auto [n, m] : {std::pair{"and", ZYDIS_MNEMONIC_AND}, {"or", ZYDIS_MNEMONIC_OR}, {"xor", ZYDIS_MNEMONIC_XOR}}) {
        size_t first = f.size();
        binary_forms(f, n, m, "logic");
        for (size_t k = first; k < f.size(); ++k) f[k].undefined_flags = fl::AF;
    }
    for (u16 b : {8, 16, 32, 64}) {
        u16 ib = b == 64 ? 32 : b;
        f.push_back({"test r" + sz(b) + ", r" + sz(b), "logic", ZYDIS_MNEMONIC_TEST, {gpr(b), gpr(b)}, fl::AF});
        f.push_back({"test m" + sz(b) + ", r" + sz(b), "logic", ZYDIS_MNEMONIC_TEST, {mem(b), gpr(b)}, fl::AF});
        f.push_back({"test r" + sz(b) + ", imm" + sz(ib), "logic", ZYDIS_MNEMONIC_TEST, {gpr(b), imm(ib)}, fl::AF});
        f.push_back({"test m" + sz(b) + ", imm" + sz(ib), "logic", ZYDIS_MNEMONIC_TEST, {mem(b), imm(ib)}, fl::AF});
    }
    unary_forms(f);
    lock_alu_forms(f);
    move_forms(f);
    muldiv_forms(f);
    shift_forms(f);
    bit_forms(f);
    return f;
}

}  // namespace sy::isatest
