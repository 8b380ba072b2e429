// `switchyard gui`: the SDL2 + Dear ImGui window over a Session, or the
// headless mode that runs to a switch, renders once, and writes the PNG and the
// model's JSON.
#pragma once
#include <string>
#include <vector>

#include "launch.h"

namespace sy::ui {

struct GuiOptions {
    cli::MachineOptions machine;
    unsigned until_switch = 0;       // run to the N-th switch first (0: start at the first instruction)
    bool until_switch_given = false;
    std::string screenshot;          // write a PNG of the window and exit
    std::string dump_state;          // write the model as JSON and exit
    std::string dump_steps;          // after each of --keys: one JSON line per side (RIP, RSP, the anatomy)
    std::string dump_memory;         // write guest physical RAM, raw, and exit (for independent readers)
    std::string size = "1920x1080";  // the window
    bool no_checks = false;
    // Debugger keys pressed before the screenshot ("F11,F11,S-F11"): each runs
    // to its stop, unless --frames is given (then they are pressed at the
    // first frame and the window runs `frames` frames, as a person would see).
    std::string keys;
    unsigned frames = 0;
    std::string panel;  // only this panel, filling the window (for documentation)
    std::vector<std::string> breaks;  // breakpoints to set at start
    // "linux,xv6": two machines side by side, the same kernel and --append,
    // each with `switch=MODEL` added to its command line; every key drives both.
    std::string compare;
};

// --compare A,B: the two switch models, or fail() naming what is wrong.
std::vector<std::string> parse_compare(const std::string& spec, const std::string& append);

int run_gui(const GuiOptions& o);

}  // namespace sy::ui
