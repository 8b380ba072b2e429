// The menu bar: the run controls as buttons (the keys do the same: F5
// continue, F8 pause, F6 run to the next switch, F11 step, F10 step over,
// Shift+F11 step out, F9 toggle a breakpoint; Shift+F5, Shift+F6 and Ctrl+F11
// go back), whether checks are on, and the
// status line (the last stop, a check's sentence).
#include "widgets.h"
#include "windows.h"

namespace sy::ui {

void draw_controls(Session& s) {
    if (!ImGui::BeginMainMenuBar()) return;
    const bool run = s.running(), done = s.finished();
    auto button = [&](const char* label, Command c, bool enabled) {
        if (!enabled) ImGui::BeginDisabled();
        if (ImGui::SmallButton(label)) s.command(c);
        if (!enabled) ImGui::EndDisabled();
    };
    button("Continue F5", Command::Continue, !run && !done);
    button("Pause F8", Command::Pause, run);
    button("Next switch F6", Command::RunToSwitch, !run && !done && s.kernel());
    button("Step F11", Command::Step, !run && !done);
    button("Step over F10", Command::StepOver, !run && !done);
    button("Step out Shift+F11", Command::StepOut, !run && !done);
    button("Breakpoint F9", Command::ToggleBreakpoint, !done);
    // Reverse execution (docs/replay.md): back even from the end of the run.
    button("Back to hit Shift+F5", Command::ReverseContinue, !run);
    button("Prev switch Shift+F6", Command::PreviousSwitch, !run && s.kernel());
    button("Step back Ctrl+F11", Command::ReverseStep, !run);
    bool checks = s.debugger().checks();
    if (ImGui::Checkbox("checks", &checks)) s.debugger().set_checks(checks);
    ImGui::Separator();
    ImGui::Text("cpu%u", s.cpu);
    ImGui::Separator();
    const auto& st = s.last_stop();
    const bool bad = st && (st->kind == debug::StopKind::Check || st->kind == debug::StopKind::TripleFault);
    ImGui::TextColored(bad ? color::kBad : run ? color::kGood : color::kTitle, "%s", run ? "running" : s.status().c_str());
    ImGui::EndMainMenuBar();
}

}  // namespace sy::ui
