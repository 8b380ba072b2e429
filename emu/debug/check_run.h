// `switchyard run --check`: the run under the debugger with the switch and
// entry invariants checked (emu/guest/checker.h), stopping at the first one
// that breaks. `run --stats --timing detailed` runs under it too, without the
// checks, for the switch log and each switch's cost (switch_cost.h).
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "debugger.h"

namespace sy::debug {

class CheckedRun {
public:
    // Reads the kernel's symbols and descriptor; throws std::runtime_error
    // (guest::KernelError) when `kernel_path` has none.
    CheckedRun(Machine& m, const std::string& kernel_path, bool checks = true);
    ~CheckedRun();

    // Like Machine::run(); a violation ends it with RunEnd::Debug and
    // violation() says where and what.
    RunResult run(u64 cycle_limit);
    // "cpu0 at cycle N, rip X (sym): <the sentence>".
    const std::optional<std::string>& violation() const { return violation_; }
    const SwitchTracker& switches() const { return dbg_->switches(); }
    const guest::Kernel& kernel() const { return *kernel_; }

private:
    std::unique_ptr<guest::CpuMemory> mem_;
    std::unique_ptr<guest::Kernel> kernel_;
    std::unique_ptr<Debugger> dbg_;
    std::optional<std::string> violation_;
};

}  // namespace sy::debug
