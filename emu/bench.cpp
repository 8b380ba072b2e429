// `switchyard bench`: guest instructions per second on small guest loops.
#include "commands.h"

namespace sy::cli {

void add_bench(CLI::App& app) {
    auto* cmd = app.add_subcommand("bench", "Measure interpreter speed (guest instructions per second)");
    cmd->callback([] { exit_status = 0; });
}

}  // namespace sy::cli
