// The menu bar: the run controls as buttons (the keys do the same: F5
// continue, F8 pause, F6 run to the next switch, F11 step, F10 step over,
// Shift+F11 step out, F9 toggle a breakpoint; Shift+F5, Shift+F6 and Ctrl+F11
// go back), whether checks are on, and the
// status line (the last stop, a check's sentence): one per side under --compare.
#include "widgets.h"
#include "windows.h"

namespace sy::ui {

void draw_controls(const std::vector<Session*>& sides) {
    if (!ImGui::BeginMainMenuBar()) return;
    // Under --compare every button drives both machines; a button is there
    // while either side can take it.
    auto any = [&](auto pred) {
        for (Session* s : sides)
            if (pred(*s)) return true;
        return false;
    };
    const bool run = any([](Session& s) { return s.running(); });
    const bool live = any([](Session& s) { return !s.finished(); });
    const bool aware = any([](Session& s) { return s.kernel() != nullptr; });
    auto button = [&](const char* label, Command c, bool enabled) {
        if (!enabled) ImGui::BeginDisabled();
        if (ImGui::SmallButton(label))
            for (Session* s : sides) s->command(c);
        if (!enabled) ImGui::EndDisabled();
    };
    button("Continue F5", Command::Continue, !run && live);
    button("Pause F8", Command::Pause, run);
    button("Next switch F6", Command::RunToSwitch, !run && live && aware);
    button("Step F11", Command::Step, !run && live);
    button("Step over F10", Command::StepOver, !run && live);
    button("Step out Shift+F11", Command::StepOut, !run && live);
    button("Breakpoint F9", Command::ToggleBreakpoint, live);
    // Reverse execution (docs/replay.md): back even from the end of the run.
    button("Back to hit Shift+F5", Command::ReverseContinue, !run);
    button("Prev switch Shift+F6", Command::PreviousSwitch, !run && aware);
    button("Step back Ctrl+F11", Command::ReverseStep, !run);
    bool checks = sides.front()->debugger().checks();
    if (ImGui::Checkbox("checks", &checks))
        for (Session* s : sides) s->debugger().set_checks(checks);
    for (Session* s : sides) {
        ImGui::Separator();
        const auto& st = s->last_stop();
        const bool bad = st && (st->kind == debug::StopKind::Check || st->kind == debug::StopKind::TripleFault);
        const ImVec4 col = bad ? color::kBad : s->running() ? color::kGood : color::kTitle;
        if (sides.size() == 1) {
            ImGui::Text("cpu%u", s->cpu);
            ImGui::Separator();
            ImGui::TextColored(col, "%s", s->running() ? "running" : s->status().c_str());
        } else {
            // Each side's whole status line is in its Machine window.
            ImGui::TextColored(col, "%s cpu%u %s", s->side.c_str(), s->cpu, s->running() ? "running" : bad ? "check failed" : "stopped");
        }
    }
    ImGui::EndMainMenuBar();
}

}  // namespace sy::ui
