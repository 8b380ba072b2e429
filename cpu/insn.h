// The pre-decoded instruction record. Zydis output is turned into one of these
// once; the step loop then calls `fn` every time the instruction runs. Handlers
// never look at instruction bytes.
#pragma once
#include "types.h"

namespace sy {

class Cpu;
struct Insn;
using Handler = void (*)(Cpu&, const Insn&);

struct Insn {
    Handler fn = nullptr;
    u64 imm = 0;   // immediate, sign-extended to 64 bits; absolute target for relative branches
    i64 disp = 0;  // memory displacement; RIP-relative operands hold the absolute address here
    u16 mnemonic = 0;  // ZydisMnemonic, for diagnostics and statistics
    u8 len = 0;        // instruction length in bytes
    u8 osz = 0;        // operand size in bytes (1, 2, 4, 8, 16)
    // Register operands. For GPRs: byte offset into CpuState::gpr (index*8, +1 for
    // AH/CH/DH/BH). For XMM registers: the register number. Segment registers: Seg.
    u8 r0 = 0, r1 = 0, r2 = 0;
    // Memory operand: gpr indices (ZERO_REG when absent), scale as a shift count.
    u8 base = 16, index = 16, scale = 0, seg = 6 /* SEG_NONE */;
    u8 asz = 8;     // address size in bytes
    u8 rep = 0;     // 0 none, 1 REP/REPE, 2 REPNE
    u8 cond = 0;    // condition code (0..15, the low nibble of Jcc) for Jcc/SETcc/CMOVcc
    u8 aux = 0;     // handler-specific (e.g. second operand size for MOVZX)
    u8 cycles = 1;  // base cost from the timing table, memory extra included
    bool lock = false;
};

}  // namespace sy
