// `run --check` (check_run.h).
#include "check_run.h"

#include "model.h"

namespace sy::debug {

CheckedRun::CheckedRun(Machine& m, const std::string& kernel_path, bool checks) {
    mem_ = std::make_unique<guest::CpuMemory>(m.cpu(0));
    kernel_ = std::make_unique<guest::Kernel>(guest::Kernel::load(Symbols::load(kernel_path), *mem_));
    dbg_ = std::make_unique<Debugger>(m, kernel_.get());
    dbg_->set_checks(checks);
}

CheckedRun::~CheckedRun() = default;

RunResult CheckedRun::run(u64 cycle_limit) {
    Stop s = dbg_->cont(cycle_limit);
    if (s.kind == StopKind::Check) {
        const Cpu& c = dbg_->machine().cpu(s.cpu);
        std::string sym = kernel_->symbols().format(c.s.rip);
        violation_ = "cpu" + std::to_string(s.cpu) + " at cycle " + std::to_string(c.cycles) + ", rip " + hex(c.s.rip) +
                     (sym.empty() ? "" : " (" + sym + ")") + ": " + s.message;
    }
    return s.run;
}

}  // namespace sy::debug
