// Subcommands of the `switchyard` binary. Each registers itself on the CLI11 app
// and returns the exit status through the callback's result slot.
#pragma once
#include <CLI/CLI.hpp>

namespace sy::cli {

// Set by the chosen subcommand's callback.
inline int exit_status = 0;

void add_isa_test(CLI::App& app);  // emu/isatest/command.cpp
void add_bench(CLI::App& app);     // emu/bench.cpp
void add_run(CLI::App& app);       // emu/run_command.cpp
void add_gui(CLI::App& app);       // ui/gui_command.cpp
void add_timing_params(CLI::App& app);  // emu/timing_params.cpp

// Rewrites QEMU's one-dash spellings (-kernel, -smp, -m, ...) among the
// arguments after `run` into run's own options; drops the ignored ones.
std::vector<std::string> rewrite_qemu_run_args(std::vector<std::string> args);

}  // namespace sy::cli
