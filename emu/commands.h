// Subcommands of the `switchyard` binary. Each registers itself on the CLI11 app
// and returns the exit status through the callback's result slot.
#pragma once
#include <CLI/CLI.hpp>

namespace sy::cli {

// Set by the chosen subcommand's callback.
inline int exit_status = 0;

void add_isa_test(CLI::App& app);  // emu/isatest/command.cpp
void add_bench(CLI::App& app);     // emu/bench.cpp

}  // namespace sy::cli
