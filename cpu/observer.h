// The debugger's view into the step loop (emu/debug/debugger.h uses it).
// Neither part costs the normal run loop anything:
//
//   - Trap records. CodeCache::set_trap(la) swaps the handler of every decoded
//     instruction at linear address `la` (and of each one decoded there later)
//     for one that asks the CPU's observer first; the instruction then runs
//     with its own handler. Other instructions, and blocks without traps, run
//     as they always do. clear_trap(la) puts the handlers back.
//   - Boundary observation. While Cpu::observe_boundaries is set, run() and
//     step() take a second instantiation of the step loop that calls
//     before() at each block start, and before every instruction while it
//     answers Single (each instruction then runs as a block of its own). The
//     flag is read when run() starts, so the normal loop never tests it.
//
// Either can stop the CPU before an instruction: run()/step() then return
// StopReason::Debug with RIP at it and nothing of it executed.
//
// Deviations (only while stopping or observing): a stop at the first
// instruction of a block after STI or MOV SS drops that interrupt shadow, and
// RFLAGS.RF is already clear when the instruction resumes.
#pragma once
#include "types.h"

namespace sy {

class Cpu;

// Thrown by a trap record's handler when the observer stops the CPU; caught by
// the step loop only.
struct DebugStop {};

class Observer {
public:
    enum class Action : u8 { Run, Single, Stop };
    virtual ~Observer() = default;
    // At an instruction boundary (observe_boundaries): Run lets the block run,
    // Single runs only the next instruction and asks again, Stop stops here.
    virtual Action before(Cpu& cpu) { return Action::Run; }
    // A trap record's instruction is about to run on `cpu`; true stops before it.
    virtual bool trap(Cpu& cpu) = 0;
    // An exception or interrupt was delivered through the IDT; RIP is its
    // handler's first instruction and `from_cpl` the privilege it interrupted.
    virtual void delivered(Cpu& cpu, u8 vector, u8 from_cpl) {}
};

}  // namespace sy
