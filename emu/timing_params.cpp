// `switchyard timing-params`: the detailed timing model's parameter table
// (cpu/timing/params.h) and the instruction latencies it uses (cpu/timing.h),
// one "name value unit source" line each. The calibration tests read their
// expectations from here, so a changed parameter changes what they expect.
#include <cstdio>

#include "commands.h"
#include "timing.h"
#include "timing/params.h"

namespace sy::cli {

void add_timing_params(CLI::App& app) {
    auto* cmd = app.add_subcommand("timing-params", "Print the detailed timing model's parameters (docs/timing.md)");
    cmd->callback([] {
        std::printf("# %.*s\n", int(timing::kCoreName.size()), timing::kCoreName.data());
        for (const timing::ParamRow& r : timing::param_rows(timing::kParams))
            std::printf("%-24.*s %10u  %.*s  (%.*s)\n", int(r.name.size()), r.name.data(), r.value, int(r.unit.size()),
                        r.unit.data(), int(r.src.size()), r.src.data());
        for (size_t k = 0; k < timing::kTable.size(); ++k)
            std::printf("table.%-18s %10u  cycles  (cpu/timing.h)\n", timing::kClsNames[k], timing::kTable[k].cycles);
        exit_status = 0;
    });
}

}  // namespace sy::cli
