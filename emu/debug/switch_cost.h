// What each context switch costs, under the detailed timing model
// (--timing detailed, docs/timing.md "What a switch costs"). The meter hangs a
// probe on every CPU's model (cpu/timing/core.h, Probe) and gives each switch
// the switch tracker logs (switches.h) its SwitchCost: the model's counters
// over the switch's window, and the return stack buffer's guess for the `ret`
// of __switch_to.
//
// The window, on the CPU that switches:
//   - it begins at the call into __schedule(), which every way into the
//     scheduler ends in (schedule(), sched_yield, exit, preemption), or, when
//     the switch is a preemption on an interrupt's way out, at that external
//     interrupt's delivery: an interrupt starts a window that its IRET (or the
//     switch) ends, and a call into __schedule inside it keeps that start;
//   - it ends when next's first instruction issues: the one the `ret` of
//     __switch_to lands on (after __schedule's call to __switch_to_asm, or
//     ret_from_fork), so a mispredicted ret's penalty is inside it.
// Every address comes from the kernel's descriptor (emu/guest/kernel.h).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel.h"
#include "machine.h"
#include "switches.h"

namespace sy::debug {

class SwitchCostMeter {
public:
    // Attaches to every CPU's model of `m` (m.timing() must be set); costs go
    // into `tracker`'s records, which the debugger fills (debugger.h).
    SwitchCostMeter(Machine& m, const guest::Kernel& k, SwitchTracker& tracker);
    ~SwitchCostMeter();
    SwitchCostMeter(const SwitchCostMeter&) = delete;
    SwitchCostMeter& operator=(const SwitchCostMeter&) = delete;

private:
    struct Probe;
    Machine& m_;
    std::vector<std::unique_ptr<Probe>> probes_;
};

// "rest=.. l1-miss=.. l2-miss=.. llc-miss=.. coherence=.. tlb=.. branch=..
// halted=..": where the switch's cycles went (they add up to its cycles).
std::string switch_cost_parts(const SwitchCost& c);

// One switch as `run --stats` prints it, key=value (docs/timing.md):
// "switch N cpuC prev=PID:NAME next=PID:NAME start=schedule|irq:0xV
//  cycles=T insns=I rest=.. l1-miss=.. ... l1i=.. ... ret=SYM predicted=SYM actual=SYM rsb=right|wrong".
// `n` numbers it (1-based); the record must have a cost.
std::string format_switch_cost(size_t n, const SwitchRecord& r, const Symbols& syms);
// The cycles of every costed switch as a histogram (power-of-two buckets),
// and the mean of each part, for ordinary switches and first switches into a
// forked task separately. Empty when no switch has a cost.
std::string switch_cost_summary(const std::vector<SwitchRecord>& log, const guest::Kernel& k);

}  // namespace sy::debug
