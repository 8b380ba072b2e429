// The timeline (emu/trace/trace.h), the event list `run --trace` writes as
// JSON: one lane per CPU with the stretch each task ran, coloured by task, the
// interrupts, exceptions and system calls inside it as thinner bars below
// (one row per nesting level), and a tick at each switch. Hovering a tick
// shows the switch: prev, next, the ret_addr popped and its symbol.
#include <algorithm>
#include <cmath>
#include <optional>

#include "widgets.h"
#include "windows.h"

namespace sy::ui {

namespace {

constexpr float kLabelW = 44, kTaskH = 20, kSliceH = 7, kLaneGap = 10;
constexpr unsigned kSliceRows = 3;  // deeper slices share the last row
constexpr double kCyclesPerMs = double(Machine::kCpuHz) / 1000.0;

ImU32 slice_color(trace::Kind k) {
    switch (k) {
    case trace::Kind::Interrupt: return IM_COL32(230, 160, 50, 255);
    case trace::Kind::Exception: return IM_COL32(230, 70, 70, 255);
    case trace::Kind::Syscall: return IM_COL32(120, 210, 120, 255);
    default: return IM_COL32(200, 200, 200, 255);
    }
}

std::string task_label(int pid, const std::string& name) {
    return (pid < 0 ? std::string("?") : std::to_string(pid)) + " " + name;
}

void tooltip(const trace::Event& e) {
    ImGui::BeginTooltip();
    const double us = double(e.end - e.begin) / (kCyclesPerMs / 1000.0);
    if (e.kind == trace::Kind::Switch) {
        ImGui::Text("switch on cpu%u at cycle %llu", e.cpu, (unsigned long long)e.begin);
        ImGui::Text("prev  pid %s", task_label(e.prev_pid, e.prev_name).c_str());
        ImGui::Text("next  pid %s", task_label(e.pid, e.name).c_str());
        ImGui::Text("ret_addr 0x%s", hexs(e.ret_addr).c_str());
        ImGui::TextColored(color::kSym, "%s", e.ret_sym.c_str());
    } else if (e.kind == trace::Kind::Task) {
        ImGui::Text("pid %s on cpu%u", task_label(e.pid, e.name).c_str(), e.cpu);
        ImGui::Text("cycles %llu - %llu (%.1f us)%s", (unsigned long long)e.begin, (unsigned long long)e.end, us,
                    e.open ? ", running" : "");
    } else {
        ImGui::Text("%s %s (%d) in pid %s", trace::kind_name(e.kind), e.name.c_str(), e.number,
                    task_label(e.pid, e.task_name).c_str());
        ImGui::TextColored(color::kSym, "%s", e.where.c_str());
        ImGui::Text("from %s, %.2f us%s%s", e.from_user ? "user mode" : "the kernel", us,
                    e.resumed ? ", resumed after a switch" : "", e.open ? ", still open" : "");
    }
    ImGui::EndTooltip();
}

// One view of the lanes: cycles [start, end] across the window's width; with
// `slices`, rows for the interrupts, exceptions and system calls under each
// task bar. Returns the event under the mouse, if any.
struct Lanes {
    const trace::Recorder& r;
    const std::vector<std::vector<trace::Event>>& open;  // per CPU
    u64 start, end;
    bool slices;
};

const trace::Event* draw_lanes(const Lanes& v, std::optional<std::pair<u64, u64>> mark) {
    const unsigned ncpu = v.r.cpus();
    const u64 span = v.end - v.start;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float width = std::max(100.0f, ImGui::GetContentRegionAvail().x - kLabelW - 8);
    const float lane_h = kTaskH + (v.slices ? kSliceRows * kSliceH : 0) + kLaneGap;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    auto x_of = [&](u64 c) {
        const double f = span ? double(std::clamp(c, v.start, v.end) - v.start) / double(span) : 0.0;
        return origin.x + kLabelW + float(f) * width;
    };
    auto lane_y = [&](unsigned cpu) { return origin.y + float(cpu) * lane_h; };
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    const trace::Event* hovered = nullptr;

    auto draw_event = [&](const trace::Event& e) {
        if (e.kind == trace::Kind::Switch || e.cpu >= ncpu || e.end < v.start || e.begin > v.end) return;
        if (e.kind != trace::Kind::Task && !v.slices) return;
        const float y = lane_y(e.cpu), x0 = x_of(e.begin), x1 = std::max(x_of(e.end), x0 + 1);
        float y0, y1;
        if (e.kind == trace::Kind::Task) {
            y0 = y, y1 = y + kTaskH;
            dl->AddRectFilled(ImVec2(x0, y0), ImVec2(x1, y1), color::task(e.pid));
            const std::string label = task_label(e.pid, e.name);
            if (x1 - x0 > ImGui::CalcTextSize(label.c_str()).x + 6)
                dl->AddText(ImVec2(x0 + 3, y + 3), IM_COL32(255, 255, 255, 255), label.c_str());
        } else {
            const unsigned row = std::min(e.depth, kSliceRows) - 1;
            y0 = y + kTaskH + 1 + float(row) * kSliceH, y1 = y0 + kSliceH - 1;
            dl->AddRectFilled(ImVec2(x0, y0), ImVec2(x1, y1), slice_color(e.kind));
        }
        if (mouse.x >= x0 && mouse.x < x1 && mouse.y >= y0 && mouse.y < y1) hovered = &e;
    };
    for (const trace::Event& e : v.r.events()) draw_event(e);
    for (const auto& o : v.open)
        for (const trace::Event& e : o) draw_event(e);
    // Switch ticks through the task bar, hovered within 3 pixels (over what is under them).
    for (const trace::Event& e : v.r.events()) {
        if (e.kind != trace::Kind::Switch || e.cpu >= ncpu || e.begin < v.start || e.begin > v.end) continue;
        const float x = x_of(e.begin), y = lane_y(e.cpu);
        dl->AddLine(ImVec2(x, y - 2), ImVec2(x, y + kTaskH + 2), IM_COL32(255, 255, 255, 230), 1.5f);
        if (std::fabs(mouse.x - x) <= 3 && mouse.y >= y - 2 && mouse.y < y + kTaskH + 2) hovered = &e;
    }
    if (mark) {  // the detail view's range, on the overview
        const float x0 = x_of(mark->first), x1 = std::max(x_of(mark->second), x0 + 2);
        dl->AddRect(ImVec2(x0, origin.y - 3), ImVec2(x1, lane_y(ncpu) - kLaneGap + 3), IM_COL32(255, 230, 90, 255), 0, 0, 2);
    }
    for (unsigned c = 0; c < ncpu; ++c)
        dl->AddText(ImVec2(origin.x, lane_y(c) + 3), IM_COL32(200, 200, 200, 255), ("cpu" + std::to_string(c)).c_str());

    // The axis, in ms of the machine clock.
    const float axis_y = lane_y(ncpu);
    dl->AddLine(ImVec2(origin.x + kLabelW, axis_y), ImVec2(origin.x + kLabelW + width, axis_y), IM_COL32(150, 150, 150, 255));
    float next_free = 0;
    for (int t = 0; t <= 4; ++t) {
        const u64 c = v.start + span * u64(t) / 4;
        const float x = x_of(c);
        dl->AddLine(ImVec2(x, axis_y), ImVec2(x, axis_y + 4), IM_COL32(150, 150, 150, 255));
        char lbl[32];
        std::snprintf(lbl, sizeof lbl, "%.3f ms", double(c) / kCyclesPerMs);
        const float w = ImGui::CalcTextSize(lbl).x;
        const float lx = t == 4 ? x - w : t == 0 ? x : x - w / 2;
        if (lx < next_free) continue;
        dl->AddText(ImVec2(lx, axis_y + 5), IM_COL32(170, 170, 170, 255), lbl);
        next_free = lx + w + 8;
    }
    ImGui::Dummy(ImVec2(width + kLabelW, float(ncpu) * lane_h + 24));
    return hovered;
}

}  // namespace

void draw_trace(Session& s) {
    if (!ImGui::Begin(s.title("Timeline").c_str())) {
        ImGui::End();
        return;
    }
    const trace::Recorder* r = s.debugger().trace();
    if (!r) {
        ImGui::TextColored(color::kDim, "No timeline: %s", s.kernel_note().c_str());
        ImGui::End();
        return;
    }
    Machine& m = s.machine();
    const unsigned ncpu = r->cpus();
    std::vector<std::vector<trace::Event>> open(ncpu);
    u64 end = 0;
    for (unsigned c = 0; c < ncpu; ++c) {
        const u64 now = m.cpu(c).cycles;
        end = std::max(end, now);
        open[c] = r->open(c, now);
    }
    ImGui::Text("the whole run: %llu switches, %zu events", (unsigned long long)r->switches(), r->events().size());
    const trace::Event* hovered = nullptr;
    // The detail view: the last `span_ms` up to now; at first, what holds the
    // last dozen switches (or 2 ms).
    static float span_ms = 0;
    if (span_ms <= 0) {
        span_ms = 2.0f;
        unsigned n = 0;
        for (auto it = r->events().rbegin(); it != r->events().rend(); ++it)
            if (it->kind == trace::Kind::Switch && ++n == 12) {
                span_ms = std::max(0.05f, float(double(end - it->begin) * 1.05 / kCyclesPerMs));
                break;
            }
    }
    const u64 span = std::min<u64>(end, std::max<u64>(1, u64(double(span_ms) * kCyclesPerMs)));
    if (auto h = draw_lanes({*r, open, 0, end, false}, std::make_pair(end - span, end))) hovered = h;
    ImGui::Text("the last");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(240);
    ImGui::SliderFloat("ms (the yellow box above)", &span_ms, 0.05f, std::max(0.1f, float(double(end) / kCyclesPerMs)),
                       "%.2f", ImGuiSliderFlags_Logarithmic);
    if (auto h = draw_lanes({*r, open, end - span, end, true}, std::nullopt)) hovered = h;
    ImGui::TextColored(color::kDim, "bars: the task running (colour = pid); below it:");
    const std::pair<trace::Kind, const char*> legend[] = {
        {trace::Kind::Interrupt, "interrupts"}, {trace::Kind::Exception, "exceptions"}, {trace::Kind::Syscall, "system calls"}};
    for (const auto& [k, name] : legend) {
        ImGui::SameLine();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(slice_color(k)), "%s", name);
    }
    ImGui::SameLine();
    ImGui::TextColored(color::kDim, "(nested: one row per level); white ticks: switches (hover one).");
    ImGui::TextColored(color::kDim, "The same event list `switchyard run --trace FILE.json` writes (docs/trace.md).");
    if (hovered && ImGui::IsWindowHovered()) tooltip(*hovered);
    ImGui::End();
}

}  // namespace sy::ui
