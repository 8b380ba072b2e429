// Architectural register state (Intel SDM Vol. 1, ch. 3.4 "Basic program execution
// registers", ch. 10.2 SSE state, ch. 8.1 the x87 FPU and ch. 9.2 the MMX registers
// aliased onto it).
#pragma once
#include "types.h"

namespace sy {

enum Gpr : u8 { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
// gpr[ZERO_REG] is always 0: a memory operand without base or index names it, so
// effective-address arithmetic never branches.
constexpr u8 ZERO_REG = 16;

enum Seg : u8 { ES, CS, SS, DS, FS, GS, SEG_NONE };

// RFLAGS bits (SDM Vol. 1, 3.4.3).
namespace fl {
constexpr u64 CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7,
              TF = 1u << 8, IF = 1u << 9, DF = 1u << 10, OF = 1u << 11, NT = 1u << 14,
              RF = 1u << 16, AC = 1u << 18, ID = 1u << 21;
constexpr u64 ARITH = CF | PF | AF | ZF | SF | OF;
constexpr u64 FIXED1 = 1u << 1;  // bit 1 always reads as 1
}  // namespace fl

struct alignas(16) Xmm {
    u64 lo = 0, hi = 0;
    bool operator==(const Xmm&) const = default;
    template <class A> void serialize(A& ar) { ar(lo, hi); }
};

// One x87 data register in double extended-precision format (SDM Vol. 1, 4.2.2,
// Figure 4-3): a 64-bit significand with an explicit integer bit (bit 63) and
// the sign (bit 15) above a 15-bit biased exponent. An MMX register is the
// significand of the physical register with the same number (SDM Vol. 1, 9.5).
struct F80 {
    u64 sig = 0;
    u16 se = 0;
    bool operator==(const F80&) const = default;
    template <class A> void serialize(A& ar) { ar(sig, se); }
};

// The x87 FPU (SDM Vol. 1, 8.1). Registers are kept in physical order R0..R7;
// ST(i) is R((TOP + i) mod 8), TOP being status-word bits 13:11.
struct X87 {
    F80 r[8];
    u16 fcw = 0x037F;  // control word
    u16 fsw = 0;       // status word, TOP included
    // The tag word in FXSAVE's abridged form: bit n set when Rn is not empty. The
    // full 2-bit tags of FSTENV/FSAVE are derived from the register contents, as
    // the processor does (SDM Vol. 1, 10.5.1.1).
    u8 ftw = 0;
    u16 fop = 0;           // last opcode: bits 2:0 of the first byte, then ModRM
    u64 fip = 0, fdp = 0;  // last instruction and data pointers (offsets)
    u16 fcs = 0, fds = 0;  // their selectors
    unsigned top() const { return (fsw >> 11) & 7; }
    void set_top(unsigned t) { fsw = static_cast<u16>((fsw & ~0x3800u) | ((t & 7) << 11)); }
    F80& st(unsigned i) { return r[(top() + i) & 7]; }
    const F80& st(unsigned i) const { return r[(top() + i) & 7]; }
    bool empty(unsigned i) const { return !((ftw >> ((top() + i) & 7)) & 1); }
    template <class A> void serialize(A& ar) { ar(r, fcw, fsw, ftw, fop, fip, fdp, fcs, fds); }
};

struct CpuState {
    u64 gpr[17] = {};  // 16 GPRs + ZERO_REG
    u64 rip = 0;
    u64 rflags = fl::FIXED1;
    u64 seg_base[7] = {};  // linear base per segment register; [SEG_NONE] stays 0
    Xmm xmm[16] = {};
    u32 mxcsr = 0x1F80;
    X87 fpu;
    // Snapshots (cpu/archive.h): every field.
    template <class A> void serialize(A& ar) { ar(gpr, rip, rflags, seg_base, xmm, mxcsr, fpu); }
};

}  // namespace sy
