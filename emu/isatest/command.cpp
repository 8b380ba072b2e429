// `switchyard isa-test`: the interpreter against the host CPU.
#include "../commands.h"

namespace sy::cli {

void add_isa_test(CLI::App& app) {
    auto* cmd = app.add_subcommand("isa-test", "Compare instruction semantics with the host CPU");
    cmd->callback([] { exit_status = 0; });
}

}  // namespace sy::cli
