// One window per file; each draws a part of the session's model
// (emu/debug/model.h) and changes the machine only through Session::command.
#pragma once
#include <vector>

#include "session.h"

namespace sy::ui {

void draw_controls(const std::vector<Session*>& sides);  // controls.cpp: the menu bar, buttons and status line
void draw_side(Session& s);         // compare_window.cpp: a --compare side's model, switch count and last switch
void draw_cpu(Session& s);          // cpu_window.cpp
void draw_disassembly(Session& s);  // disasm_window.cpp
void draw_threads(Session& s);      // threads_window.cpp
void draw_anatomy(Session& s);      // anatomy_window.cpp
void draw_timeline(Session& s);     // timeline_window.cpp: the switch log and the per-CPU timeline
void draw_trace(Session& s);        // trace_window.cpp: the timeline of emu/trace/ (what run --trace writes)
void draw_memory(Session& s);       // memory_window.cpp
void draw_console(Session& s);      // console_window.cpp
void draw_screen(Session& s);       // screen_window.cpp

}  // namespace sy::ui
