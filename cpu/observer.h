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
//   - Watchpoints. Cpu::set_watchpoints() arms linear ranges the debugger
//     watches (gdb's Z2-Z4), apart from the guest's own DR0-DR3 and invisible
//     to it: their pages stay off the host TLBs like a data breakpoint's, and
//     an access that meets one calls watched() once the instruction has
//     completed; true stops the CPU there (StopReason::Debug, RIP at the next
//     instruction). Implicit supervisor accesses (descriptor tables, the TSS,
//     interrupt frames, page walks) do not meet them, as for DR0-DR3.
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
    // The instruction that just completed on `cpu` accessed watchpoint `index`
    // (in the order set_watchpoints() got them) with a write or a read.
    virtual bool watched(Cpu& cpu, size_t index, bool write) { return false; }
};

}  // namespace sy
