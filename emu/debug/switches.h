// Following context switches as they happen: the debugger sees every CPU
// enter __switch_to_asm (prev in RDI, next in RSI, as its prototype says) and
// reach the `ret` of __switch_to that pops next's ret_addr. The tracker keeps,
// per CPU, the switch in progress with the values the switch is about to
// change as they were when it began, and the log of completed switches.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "checker.h"
#include "tasks.h"
#include "timing/core.h"

namespace sy::debug {

// What a context switch changes besides the general registers.
struct SwitchRegs {
    std::optional<u64> tss_rsp0;
    u64 top_of_stack = 0;
    u64 cr3 = 0;
    u64 fs_base = 0, gs_base = 0, kernel_gs_base = 0;
    u64 current_task = 0;
    u64 stack_canary = 0;  // %gs:stack_canary, from the per-CPU area
};
// The CPU's values now (current_task and the canary from its per-CPU area).
SwitchRegs sample_switch_regs(const guest::Kernel& k, const Cpu& cpu);

struct SwitchInProgress {
    u64 prev = 0, next = 0;  // task_structs
    int prev_pid = -1, next_pid = -1;
    std::string prev_name, next_name;
    u64 entry_cycle = 0;
    u64 entry_rsp = 0;       // RSP at __switch_to_asm's first instruction: prev's stack
    SwitchRegs before;       // at the entry; cr3 is prev's address space (switch_mm already ran)
    bool at_ret = false;     // stopped at the ret of __switch_to
    u64 ret_addr = 0;        // what that ret pops (set at the ret)
};

// What one switch cost under the detailed timing model (switch_cost.h says
// where its window begins and ends).
struct SwitchCost {
    enum class Start : u8 { Schedule, Interrupt };
    Start start = Start::Schedule;  // the call into __schedule, or the interrupt it preempted on
    u8 vector = 0;                  // Interrupt: its vector
    timing::Counters counters;      // over the window: counters.cycles is the sum of counters.part
    timing::ReturnPrediction ret;   // the RSB at the `ret` of __switch_to that popped ret_addr
};

struct SwitchRecord {
    u64 cycle = 0;  // the CPU's cycle count at the ret
    u64 insns = 0;  // and its instruction count (where reverse execution finds it again)
    unsigned cpu = 0;
    u64 prev = 0, next = 0;
    int prev_pid = -1, next_pid = -1;
    std::string prev_name, next_name;
    u64 ret_addr = 0;
    std::string ret_sym;
    std::optional<SwitchCost> cost;  // with --timing detailed, once next's first instruction issued
};

class SwitchTracker {
public:
    explicit SwitchTracker(unsigned cpus) : current_(cpus), last_ret_(cpus) {}

    // At __switch_to_asm's first instruction on machine CPU `cpu`.
    void entered(const guest::Kernel& k, unsigned cpu, const Cpu& c);
    // At the ret of __switch_to: completes the record and appends it to the log.
    const SwitchRecord& at_ret(const guest::Kernel& k, unsigned cpu, const Cpu& c);
    // After that ret executed (RIP = ret_addr): the switch is over.
    void landed(unsigned cpu) { current_[cpu].reset(); }
    // The cost of the switch whose `ret` CPU `cpu` ran last (switch_cost.h).
    void set_cost(unsigned cpu, const SwitchCost& c);

    const std::optional<SwitchInProgress>& in_progress(unsigned cpu) const { return current_[cpu]; }
    const std::vector<SwitchRecord>& log() const { return log_; }
    size_t count() const { return log_.size(); }

    // What a snapshot keeps (reverse execution, emu/replay/timeline.h): the
    // switches in progress and how long the log was. Restoring forgets the
    // switches logged since; running forward again logs them again.
    struct Saved {
        std::vector<std::optional<SwitchInProgress>> current;
        size_t log_size = 0;
    };
    Saved save() const { return Saved{current_, log_.size()}; }
    void restore(const Saved& s) {
        current_ = s.current;
        log_.resize(s.log_size);
    }

private:
    std::vector<std::optional<SwitchInProgress>> current_;
    std::vector<SwitchRecord> log_;
    std::vector<size_t> last_ret_;  // per CPU: its last record in log_ (+1; 0 none)
};

}  // namespace sy::debug
