// Architectural register state (Intel SDM Vol. 1, ch. 3.4 "Basic program execution
// registers", ch. 10.2 SSE state, ch. 8.1 x87 control/status words).
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
};

struct CpuState {
    u64 gpr[17] = {};  // 16 GPRs + ZERO_REG
    u64 rip = 0;
    u64 rflags = fl::FIXED1;
    u64 seg_base[7] = {};  // linear base per segment register; [SEG_NONE] stays 0
    Xmm xmm[16] = {};
    u32 mxcsr = 0x1F80;
    u16 fcw = 0x037F, fsw = 0, ftw = 0xFFFF;  // x87 control, status and tag words
};

}  // namespace sy
