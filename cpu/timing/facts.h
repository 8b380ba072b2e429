// What the detailed model needs to know about one instruction, decided once at
// decode time (cpu/decode.cpp, describe_for_timing) and kept beside the Insn in
// its block (Block::facts): the registers it reads and writes, its latency
// class, what kind of control transfer it is. The fast clock never reads it.
#pragma once
#include "timing.h"
#include "types.h"

namespace sy::timing {

// Scoreboard slots: one bit each in Facts::src/dst.
namespace slot {
constexpr unsigned kGpr = 0;     // RAX..R15: bits 0-15
constexpr unsigned kFlags = 16;  // the arithmetic flags, as one
constexpr unsigned kX87 = 17;    // the x87 stack (and the MMX registers it holds), as one
constexpr unsigned kXmm = 18;    // XMM0..XMM15: bits 18-33
constexpr unsigned kCount = 34;
}  // namespace slot

// Control transfer, for the branch predictor.
enum class Flow : u8 {
    None,
    Jcc,       // conditional, direct (Jcc, LOOP, JrCXZ)
    Jmp,       // unconditional direct
    JmpInd,    // unconditional indirect (register or memory)
    Call,      // direct near call
    CallInd,   // indirect near call
    Ret,       // near return
    Other,     // far transfers, IRET, SYSCALL/SYSRET, INT n: not predicted (serialising)
};

namespace prop {
constexpr u8 Serialise = 1;  // waits for every earlier result, and nothing issues until it is done
constexpr u8 Locked = 2;     // a locked read-modify-write (LOCK prefix, XCHG with memory): drains, owns the line
constexpr u8 String = 4;     // a REP-prefixed string instruction: costs by bytes moved
constexpr u8 Computes = 8;   // the value loaded from memory goes through an operation (ADD r, m) before the result
constexpr u8 EventReturn = 16;  // IRET: returns from an exception or interrupt (the switch accounting's probe)
}  // namespace prop

struct Facts {
    u64 src = 0;  // slot bits read (memory address registers included)
    u64 dst = 0;  // slot bits written
    Cls cls = Cls::Nop;
    Flow flow = Flow::None;
    u8 props = 0;
    u8 lat = 1;   // result latency: the instruction table's cycles for cls, without memory
};

}  // namespace sy::timing
