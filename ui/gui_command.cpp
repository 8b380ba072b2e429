// `switchyard gui [KERNEL] [run options]` (docs/gui.md).
#include "app.h"
#include "commands.h"

namespace sy::cli {

namespace {

constexpr const char* kFooter = R"(
Keys: F5 continue, F8 pause, F6 run to the next context switch (stops at the
ret of __switch_to, about to pop next's ret_addr), F11 step one instruction
on the selected CPU, F10 step over a call, Shift+F11 step out, F9 toggle a
breakpoint at the selected disassembly line (or RIP).

Headless (no person needed; the suite runs it under xvfb-run):
  switchyard gui --until-switch 3 --screenshot gui.png --dump-state gui.json
runs to the 3rd context switch, renders the panels once, writes the window as
a PNG and the panels' model as JSON (docs/gui.md lists its fields), exits 0.
--dump-state alone needs no display.

Two switch models side by side (docs/switch-models.md):
  switchyard gui --compare linux,xv6 --smp 1 --append "spin 2 400"
boots two machines from the same kernel and --append, one with switch=linux,
one with switch=xv6 added to its command line; each half of the window has
its model, switch count, Threads and Switch anatomy, and every key drives both
(F6: each runs to its own next switch). --until-switch N stops each at its N-th
switch; --dump-state writes {"compare": [A, B], "sides": [JSON of A, of B]},
--dump-memory FILE writes FILE.A and FILE.B.

Exit status: 0; 1 when the run ends before the switch asked for, or the PNG or
JSON cannot be written; 2 for a bad option or image (as `run`).
)";

}  // namespace

void add_gui(CLI::App& app) {
    auto o = std::make_shared<ui::GuiOptions>();
    auto* cmd = app.add_subcommand("gui", "Open the debugger GUI on a kernel: every thread's stack and the context switch");
    cmd->footer(kFooter);
    add_machine_options(cmd, o->machine);
    cmd->add_option("--until-switch", o->until_switch,
                    "first run to the N-th context switch and stop at its ret (about to pop next's ret_addr)")
        ->type_name("N")
        ->each([o](const std::string&) { o->until_switch_given = true; });
    cmd->add_option("--screenshot", o->screenshot, "render the window once, write it to FILE.png and exit")->type_name("FILE");
    cmd->add_option("--dump-state", o->dump_state, "write the panels' model as JSON to FILE and exit")->type_name("FILE");
    cmd->add_option("--dump-steps", o->dump_steps, "after each of --keys, write a JSON line (RIP, RSP, the switch "
                    "anatomy's steps and the current one) to FILE, and exit")
        ->type_name("FILE");
    cmd->add_option("--dump-memory", o->dump_memory, "write guest physical RAM to FILE, raw, and exit")->type_name("FILE");
    cmd->add_option("--size", o->size, "the window, WIDTHxHEIGHT")->capture_default_str();
    cmd->add_option("--break", o->breaks, "a breakpoint at an address or symbol[+offset] (repeatable), set after --until-switch")
        ->type_name("WHERE")
        ->allow_extra_args(false);
    cmd->add_option("--keys", o->keys, "press these debugger keys first (F5,F6,F8,F9,F10,F11,S-F11), each to its stop")
        ->type_name("KEYS");
    cmd->add_option("--frames", o->frames, "with --screenshot: press --keys at the first frame, render N frames, "
                    "then the PNG (and on stderr the frame rate, running and stopped apart, and the CPU time per frame)")
        ->type_name("N");
    cmd->add_option("--panel", o->panel, "show only this panel, filling the window: cpu, threads, disassembly, "
                    "anatomy, log, timeline, screen, memory, console")
        ->type_name("NAME");
    cmd->add_option("--compare", o->compare, "two switch models side by side, MODEL_A,MODEL_B (linux, linux26, xv6, "
                    "solaris): the same kernel and --append on two machines, each with switch=MODEL added")
        ->type_name("A,B");
    cmd->add_flag("--no-checks", o->no_checks, "do not check the switch and entry invariants (runs faster)");
    cmd->callback([o] { exit_status = ui::run_gui(*o); });
}

}  // namespace sy::cli
