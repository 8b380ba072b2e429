// The switch log (every completed switch: cycle, CPU, prev -> next, the
// ret_addr popped and its symbol) and a per-CPU timeline of which task ran
// when, cycles on the axis.
#include <algorithm>

#include "switch_cost.h"
#include "widgets.h"
#include "windows.h"

namespace sy::ui {

namespace {

void timeline(const debug::Model& m) {
    const auto& log = m.log;
    const unsigned ncpu = unsigned(m.cpus.size());
    static int shown = 40;
    ImGui::SetNextItemWidth(200);
    ImGui::SliderInt("switches shown", &shown, 5, 400);
    const u64 end = std::max<u64>(m.now, log.empty() ? 0 : log.back().cycle);
    size_t first = log.size() > size_t(shown) ? log.size() - size_t(shown) : 0;
    const u64 start = first < log.size() ? log[first].cycle : 0;
    const float row_h = 22.0f;
    ImVec2 origin = ImGui::GetCursorScreenPos();
    const float label_w = 44.0f;
    const float width = std::max(100.0f, ImGui::GetContentRegionAvail().x - label_w - 8);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    auto x_of = [&](u64 c) {
        double f = end > start ? double(c - start) / double(end - start) : 0.0;
        return origin.x + label_w + float(f) * width;
    };
    for (unsigned cpu = 0; cpu < ncpu; ++cpu) {
        float y = origin.y + float(cpu) * (row_h + 4);
        dl->AddText(ImVec2(origin.x, y + 4), IM_COL32(200, 200, 200, 255), ("cpu" + std::to_string(cpu)).c_str());
        // The task running from each switch on this CPU to its next one,
        // from the one running at `start`: next of this CPU's last switch
        // before the shown ones (the log is in cycle order).
        int pid = -1;
        u64 from = start;
        for (size_t k = first; k-- > 0;)
            if (log[k].cpu == cpu) {
                pid = log[k].next_pid;
                break;
            }
        for (size_t k = first; k < log.size(); ++k) {
            const auto& r = log[k];
            if (r.cpu != cpu) continue;
            float x0 = x_of(from), x1 = x_of(r.cycle);
            if (pid < 0) pid = r.prev_pid;
            dl->AddRectFilled(ImVec2(x0, y), ImVec2(std::max(x0 + 1, x1), y + row_h), color::task(pid));
            if (x1 - x0 > 24) dl->AddText(ImVec2(x0 + 3, y + 4), IM_COL32(255, 255, 255, 255), std::to_string(pid).c_str());
            pid = r.next_pid;
            from = r.cycle;
        }
        if (pid >= 0) {
            float x0 = x_of(from), x1 = x_of(end);
            dl->AddRectFilled(ImVec2(x0, y), ImVec2(std::max(x0 + 1, x1), y + row_h), color::task(pid));
            if (x1 - x0 > 24) dl->AddText(ImVec2(x0 + 3, y + 4), IM_COL32(255, 255, 255, 255), std::to_string(pid).c_str());
        }
    }
    float axis_y = origin.y + float(ncpu) * (row_h + 4);
    dl->AddLine(ImVec2(origin.x + label_w, axis_y), ImVec2(origin.x + label_w + width, axis_y), IM_COL32(150, 150, 150, 255));
    // Ticks at the ends and a third of the way; labels that fit.
    float next_free = 0;
    for (int t = 0; t <= 3; ++t) {
        u64 c = start + (end - start) * u64(t) / 3;
        float x = x_of(c);
        dl->AddLine(ImVec2(x, axis_y), ImVec2(x, axis_y + 4), IM_COL32(150, 150, 150, 255));
        std::string lbl = std::to_string(c);
        float w = ImGui::CalcTextSize(lbl.c_str()).x;
        float lx = t == 3 ? x - w : x;
        if (lx < next_free) continue;
        dl->AddText(ImVec2(lx, axis_y + 5), IM_COL32(170, 170, 170, 255), lbl.c_str());
        next_free = lx + w + 8;
    }
    ImGui::Dummy(ImVec2(width + label_w, float(ncpu) * (row_h + 4) + 24));
    ImGui::TextColored(color::kDim, "cycles (the machine clock; 2 GHz: 2,000,000 cycles = 1 ms)");
}

// A switch's cost (--timing detailed): its cycles and whether the RSB
// predicted the ret of __switch_to ("ret ok" / "ret miss"); hovering shows
// where the cycles went.
void cost_cell(const debug::SwitchCost& c) {
    const bool right = c.ret.correct();
    ImGui::TextColored(right ? color::kDim : color::kChanged, "%llu %s", (unsigned long long)c.counters.cycles,
                       right ? "ret ok" : "ret miss");
    if (ImGui::IsItemHovered()) {
        std::string parts = debug::switch_cost_parts(c);
        std::replace(parts.begin(), parts.end(), ' ', '\n');
        ImGui::SetTooltip("%llu instructions, cycles:\n%s", (unsigned long long)c.counters.insns, parts.c_str());
    }
}

}  // namespace

void draw_timeline(Session& s) {
    if (!ImGui::Begin(s.title("Switch log").c_str())) {
        ImGui::End();
        return;
    }
    const debug::Model& m = s.model();
    ImGui::Text("%zu switches", m.log.size());
    timeline(m);
    ImGui::Separator();
    // With --timing detailed each switch has its cost (emu/debug/switch_cost.h).
    // The switch a CPU stopped at has none yet (it is complete when next's
    // first instruction issues).
    const bool costs = std::any_of(m.log.begin(), m.log.end(), [](const auto& r) { return r.cost.has_value(); });
    if (ImGui::BeginTable("log", costs ? 6 : 5, ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit,
                          ImVec2(0, 0))) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("cycle");
        ImGui::TableSetupColumn("cpu");
        ImGui::TableSetupColumn("prev -> next");
        if (costs) ImGui::TableSetupColumn("cycles (ret)");
        ImGui::TableSetupColumn("ret_addr");
        ImGui::TableSetupColumn("symbol");
        ImGui::TableHeadersRow();
        // Newest first; only the rows in view.
        ImGuiListClipper clip;
        clip.Begin(int(m.log.size()));
        while (clip.Step()) {
            for (int row = clip.DisplayStart; row < clip.DisplayEnd; ++row) {
                const auto& r = m.log[m.log.size() - 1 - size_t(row)];
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::Text("%llu", (unsigned long long)r.cycle);
                ImGui::TableNextColumn();
                ImGui::Text("%u", r.cpu);
                ImGui::TableNextColumn();
                ImGui::Text("%d %s -> %d %s", r.prev_pid, r.prev_name.c_str(), r.next_pid, r.next_name.c_str());
                if (costs) {
                    ImGui::TableNextColumn();
                    if (r.cost) cost_cell(*r.cost);
                }
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(hexs(r.ret_addr).c_str());
                ImGui::TableNextColumn();
                ImGui::TextColored(color::kSym, "%s", r.ret_sym.c_str());
            }
        }
        ImGui::EndTable();
    }
    ImGui::End();
}

}  // namespace sy::ui
