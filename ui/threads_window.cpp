// Threads: one column per task, its kernel stack as 8-byte slots from the top
// down (address, value, what it is), the inactive_task_frame, fork_frame and
// pt_regs regions shaded and labelled, the ret_addr slot highlighted, a CPU's
// RSP marked where it points, and the backtrace from the saved frame. On a
// side of `gui --compare`, the switch's prev and next first.
//
// Where the numbers come from: TaskView (emu/debug/model.h) <- read_frames(),
// stack_slots() and unwind_switched_out() in emu/guest/ <- the offsets in the
// kernel's debugger descriptor (guest-kernel/include/debug_descriptor.h).
#include <algorithm>

#include "widgets.h"
#include "windows.h"

namespace sy::ui {

namespace {

// Narrower on a side of `gui --compare`, which has half the window.
float column_width = 340.0f;

void header(const debug::TaskView& t) {
    const auto& k = t.task;
    ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + column_width - 16, p.y + ImGui::GetTextLineHeight()),
                                              color::task(k.pid));
    ImGui::Text(" pid %d  %s", k.pid, k.name.c_str());
    ImGui::Text("%s, cpu %d%s", t.state.c_str(), k.cpu,
                t.on_cpu >= 0 ? (" - on cpu" + std::to_string(t.on_cpu)).c_str() : "");
    ImGui::TextColored(color::kDim, "stack %s-%s", hexs(k.stack).c_str(), hexs(k.stack_top()).c_str());
    ImGui::TextColored(color::kDim, "thread.sp %s", hexs(k.saved_rsp).c_str());
    // The other switch models keep their saved state elsewhere (frames.h).
    if (const auto& f = t.frames.frame; f && f->kind != "inactive_task_frame")
        ImGui::TextColored(color::kDim, "saved: %s at %s%s", f->kind.c_str(), hexs(f->addr).c_str(),
                           f->kind == "label_t" ? " (in the task)" : "");
    if (const auto& f = t.frames.frame) {
        if (t.frames.never_ran) ImGui::TextColored(color::kChanged, "never ran: resumes in %s", f->ret_sym.c_str());
        else ImGui::TextColored(color::kChanged, "resumes at %s", f->ret_sym.c_str());
    } else if (t.on_cpu >= 0) {
        ImGui::TextColored(color::kGood, "running");
    } else {
        ImGui::TextUnformatted(" ");
    }
    if (t.rsp_cpu >= 0) ImGui::TextColored(color::kBad, "RSP of cpu%d points into this stack", t.rsp_cpu);
    else ImGui::TextUnformatted(" ");
}

void slots(const debug::TaskView& t) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float h = ImGui::GetTextLineHeightWithSpacing();
    const int n = int(t.slots.size());
    // Drawn from the top of the stack down: row k is slot n-1-k.
    const u64 scroll_to = t.ret_slot                                      ? t.ret_slot
                          : t.frames.frame && t.rsp_cpu < 0 ? t.frames.frame->resume_sp
                                                            : t.rsp;
    int target = -1;
    for (int k = 0; k < n; ++k)
        if (t.slots[size_t(n - 1 - k)].addr == scroll_to) target = k;
    // Scroll to the frame (or RSP) whenever it moves; leave the user's
    // scrolling alone otherwise.
    ImGuiStorage* st = ImGui::GetStateStorage();
    const ImGuiID key = ImGui::GetID("scrolled");
    if (target >= 0 && (st->GetInt(key, -1) != int(scroll_to & 0x7FFFFFFF) || ImGui::GetFrameCount() < 4)) {
        ImGui::SetScrollY(std::max(0.0f, float(target) * h - ImGui::GetWindowHeight() * 0.6f));
        st->SetInt(key, int(scroll_to & 0x7FFFFFFF));
    }
    ImGuiListClipper clip;
    clip.Begin(n, h);
    while (clip.Step()) {
        for (int k = clip.DisplayStart; k < clip.DisplayEnd; ++k) {
            const guest::StackSlot& sl = t.slots[size_t(n - 1 - k)];
            ImVec2 p = ImGui::GetCursorScreenPos();
            ImVec2 q(p.x + column_width - 16, p.y + h);
            if (ImU32 c = color::region(sl.region)) dl->AddRectFilled(p, q, c);
            const bool is_ret = sl.addr == t.ret_slot && t.ret_slot;
            const bool is_rsp = t.rsp_cpu >= 0 && sl.addr == t.rsp;
            if (is_ret) dl->AddRectFilled(p, q, color::kRetSlot);
            if (is_rsp) dl->AddRect(p, q, IM_COL32(255, 80, 80, 255), 0, 0, 2.0f);
            std::string label = sl.field;
            if (!sl.sym.empty()) label += (label.empty() ? "" : " ") + sl.sym;
            ImGui::Text("%04llx %s %s", (unsigned long long)(sl.addr & 0xFFFF),
                        sl.readable ? hex16(sl.value).c_str() : "????????????????", label.c_str());
            if (ImGui::IsItemHovered()) {
                ImGui::BeginTooltip();
                ImGui::Text("%s: %s", hexs(sl.addr).c_str(), hex16(sl.value).c_str());
                if (!sl.region.empty()) ImGui::Text("%s.%s", sl.region.c_str(), sl.field.c_str());
                if (!sl.sym.empty()) ImGui::Text("%s", sl.sym.c_str());
                ImGui::EndTooltip();
            }
            if (is_rsp) {
                ImGui::SameLine();
                ImGui::TextColored(color::kBad, is_ret && t.popping ? "<- rsp: the ret pops this" : "<- rsp cpu%d",
                                   t.rsp_cpu);
            }
        }
    }
}

void backtrace(const debug::TaskView& t) {
    if (t.backtrace.frames.empty()) return;
    ImGui::Separator();
    ImGui::TextColored(color::kTitle, "backtrace");
    for (size_t k = 0; k < t.backtrace.frames.size(); ++k) {
        const auto& f = t.backtrace.frames[k];
        ImGui::Text("#%zu %s %s", k, hexs(f.pc).c_str(), f.sym.empty() ? (f.source == "pt_regs" ? "(user)" : "") : f.sym.c_str());
    }
    ImGui::TextColored(color::kDim, "(%s)", t.backtrace.end.c_str());
}

}  // namespace

void draw_threads(Session& s) {
    if (!ImGui::Begin(s.title("Threads").c_str())) {
        ImGui::End();
        return;
    }
    column_width = s.side.empty() ? 340.0f : 300.0f;
    const debug::Model& m = s.model();
    if (!m.kernel_known || m.tasks.empty()) {
        ImGui::TextWrapped("No tasks: %s", m.kernel_note.empty() ? s.kernel_note().c_str() : m.kernel_note.c_str());
        ImGui::End();
        return;
    }
    // Under the linux model (the default) the window is as it always was.
    if (m.switch_model != "linux") {
        ImGui::TextColored(color::kChanged, "switch model: %s", m.switch_model.c_str());
        for (const auto& st : m.scheduler_threads)
            if (st.frame) {
                ImGui::SameLine();
                ImGui::TextColored(color::kDim, "  cpu%u scheduler thread resumes at %s", st.cpu, st.frame->ret_sym.c_str());
            }
    }
    ImGui::BeginChild("columns", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    const float height = ImGui::GetContentRegionAvail().y;
    // On a side of --compare (half the width), the switch's prev and next
    // come first, so that both sides show them without scrolling.
    std::vector<size_t> order;
    if (!s.side.empty() && m.sw)
        for (u64 first : {m.sw->prev, m.sw->next})
            for (size_t n = 0; n < m.tasks.size(); ++n)
                if (m.tasks[n].task.addr == first) order.push_back(n);
    for (size_t n = 0; n < m.tasks.size(); ++n)
        if (std::find(order.begin(), order.end(), n) == order.end()) order.push_back(n);
    for (size_t n : order) {
        const debug::TaskView& t = m.tasks[n];
        if (n != order.front()) ImGui::SameLine();
        ImGui::BeginGroup();
        ImGui::PushID(int(n));
        ImGui::BeginChild("task", ImVec2(column_width, height), true);
        header(t);
        ImGui::Separator();
        ImGui::BeginChild("stack", ImVec2(0, height * 0.68f));
        slots(t);
        ImGui::EndChild();
        backtrace(t);
        ImGui::EndChild();
        ImGui::PopID();
        ImGui::EndGroup();
    }
    ImGui::EndChild();
    ImGui::End();
}

}  // namespace sy::ui
