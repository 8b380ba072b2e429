// One side of `gui --compare`: which switch model this machine runs, how many
// switches it has completed, the one in progress and the last one, and where
// each CPU is. Beside it, the side's own Threads and Switch anatomy windows.
#include "widgets.h"
#include "windows.h"

namespace sy::ui {

void draw_side(Session& s) {
    if (!ImGui::Begin(s.title("Machine").c_str())) {
        ImGui::End();
        return;
    }
    const debug::Model& m = s.model();
    ImGui::TextColored(color::kTitle, "switch=%s", m.switch_model.empty() ? s.side.c_str() : m.switch_model.c_str());
    ImGui::SameLine();
    ImGui::Text("  %zu switches", m.log.size());
    ImGui::TextColored(s.running() ? color::kGood : color::kTitle, "%s", s.running() ? "running" : s.status().c_str());
    if (m.sw)
        ImGui::TextColored(color::kChanged, "cpu%u: pid %d (%s) -> pid %d (%s): %s", m.sw->cpu, m.sw->prev_pid,
                           m.sw->prev_name.c_str(), m.sw->next_pid, m.sw->next_name.c_str(), m.sw->phase.c_str());
    else if (!m.log.empty()) {
        const auto& r = m.log.back();
        ImGui::Text("last: cpu%u pid %d (%s) -> pid %d (%s), resumed at %s", r.cpu, r.prev_pid, r.prev_name.c_str(),
                    r.next_pid, r.next_name.c_str(), r.ret_sym.c_str());
    } else {
        ImGui::TextColored(color::kDim, "no switch yet");
    }
    for (const auto& c : m.cpus)
        ImGui::TextColored(color::kDim, "cpu%u: %s  rip %s  rsp %s", c.index, c.where.c_str(), hexs(c.rip).c_str(),
                           hexs(c.gpr[RSP]).c_str());
    ImGui::End();
}

}  // namespace sy::ui
