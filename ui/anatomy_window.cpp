// Switch anatomy: while a switch is in progress on a CPU, prev's and next's
// stacks side by side around their inactive_task_frames, RSP's arrow in the
// one it points into (it moves at `movq TASK_threadsp(%rsi), %rsp`), each push
// and pop in its named slot, the instructions of the switch, and the registers
// a switch changes with their values before the switch and now.
#include "widgets.h"
#include "windows.h"

namespace sy::ui {

namespace {

constexpr float kCol = 262.0f;

const debug::TaskView* task(const debug::Model& m, u64 addr) {
    for (const auto& t : m.tasks)
        if (t.task.addr == addr) return &t;
    return nullptr;
}

void stack_column(const char* title, const debug::TaskView* t, const debug::SwitchView& sw, bool is_next) {
    ImGui::BeginGroup();
    ImGui::PushID(title);
    ImGui::BeginChild("col", ImVec2(kCol, 0), true);
    if (!t) {
        ImGui::Text("%s: unknown", title);
        ImGui::EndChild();
        ImGui::PopID();
        ImGui::EndGroup();
        return;
    }
    const bool rsp_here = t->task.stack_contains(sw.rsp);
    ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::GetWindowDrawList()->AddRectFilled(p0, ImVec2(p0.x + kCol - 16, p0.y + ImGui::GetTextLineHeight()),
                                              color::task(t->task.pid));
    ImGui::Text(" %s: pid %d %s", title, t->task.pid, t->task.name.c_str());
    ImGui::TextColored(color::kDim, "thread.sp %s", hexs(t->task.saved_rsp).c_str());
    if (rsp_here) ImGui::TextColored(color::kBad, "RSP is on this stack");
    else ImGui::TextUnformatted(" ");
    // The slots of the frame region, a few either side.
    u64 lo = ~0ull, hi = 0;
    for (const auto& sl : t->slots)
        if (sl.region == "inactive_task_frame" || sl.region == "fork_frame") lo = std::min(lo, sl.addr), hi = std::max(hi, sl.addr);
    if (lo == ~0ull) lo = hi = sw.rsp;
    lo = lo > 24 ? lo - 24 : lo;
    hi += 16;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float h = ImGui::GetTextLineHeightWithSpacing();
    for (auto it = t->slots.rbegin(); it != t->slots.rend(); ++it) {
        const auto& sl = *it;
        if (sl.addr < lo || sl.addr > hi) continue;
        ImVec2 p = ImGui::GetCursorScreenPos();
        ImVec2 q(p.x + kCol - 16, p.y + h);
        bool in_frame = sl.region == "inactive_task_frame" || sl.region == "fork_frame";
        // On prev's stack the frame fills from ret_addr down as it pushes; on
        // next's it empties from r15 up as it pops.
        bool live = !rsp_here || sl.addr >= sw.rsp;
        if (ImU32 c = color::region(sl.region)) dl->AddRectFilled(p, q, live ? c : (c & 0x60FFFFFF));
        if (sl.field == "ret_addr" && in_frame) dl->AddRectFilled(p, q, color::kRetSlot);
        if (rsp_here && sl.addr == sw.rsp) dl->AddRect(p, q, IM_COL32(255, 80, 80, 255), 0, 0, 2.0f);
        // The field name; a symbol only for slots outside the frame (the
        // ret_addr's symbol is said below the column).
        std::string label = !sl.field.empty() ? sl.field : sl.sym;
        if (!live) ImGui::PushStyleColor(ImGuiCol_Text, color::kDim);
        ImGui::Text("%04llx %s %s", (unsigned long long)(sl.addr & 0xFFFF), hex16(sl.value).c_str(), label.c_str());
        if (!live) ImGui::PopStyleColor();
        if (rsp_here && sl.addr == sw.rsp) {
            ImGui::SameLine();
            ImGui::TextColored(color::kBad, "<- rsp");
        }
    }
    if (is_next && sw.at_ret) ImGui::TextColored(color::kChanged, "the ret pops ret_addr:\n  -> %s", sw.ret_sym.c_str());
    else if (const auto& f = t->frames.frame) ImGui::TextColored(color::kDim, "ret_addr = %s", f->ret_sym.c_str());
    ImGui::EndChild();
    ImGui::PopID();
    ImGui::EndGroup();
}

}  // namespace

void draw_anatomy(Session& s) {
    if (!ImGui::Begin("Switch anatomy")) {
        ImGui::End();
        return;
    }
    const debug::Model& m = s.model();
    if (!m.sw) {
        ImGui::TextWrapped("No context switch in progress. F6 runs to the next one and stops at the ret of "
                           "__switch_to; F11 from __switch_to_asm's first instruction walks through it.");
        if (!m.log.empty()) {
            const auto& r = m.log.back();
            ImGui::Text("last switch: cpu%u pid %d (%s) -> pid %d (%s), ret_addr %s", r.cpu, r.prev_pid, r.prev_name.c_str(),
                        r.next_pid, r.next_name.c_str(), r.ret_sym.c_str());
        }
        ImGui::End();
        return;
    }
    const debug::SwitchView& sw = *m.sw;
    ImGui::TextColored(color::kTitle, "cpu%u: pid %d (%s) -> pid %d (%s)", sw.cpu, sw.prev_pid, sw.prev_name.c_str(),
                       sw.next_pid, sw.next_name.c_str());
    ImGui::Text("%s", sw.phase.c_str());
    stack_column("prev", task(m, sw.prev), sw, false);
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Dummy(ImVec2(10, 120));
    ImGui::TextColored(color::kBad, sw.on_next_stack ? "  RSP -->" : "<-- RSP  ");
    ImGui::EndGroup();
    ImGui::SameLine();
    stack_column("next", task(m, sw.next), sw, true);
    ImGui::SameLine();

    ImGui::BeginGroup();
    if (ImGui::BeginTable("changes", 3, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders)) {
        ImGui::TableSetupColumn("changed by a switch");
        ImGui::TableSetupColumn("before");
        ImGui::TableSetupColumn("now");
        ImGui::TableHeadersRow();
        for (const auto& c : sw.changes) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(c.name.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(c.known_before ? hexs(c.before).c_str() : "?");
            ImGui::TableNextColumn();
            if (c.changed()) ImGui::TextColored(color::kChanged, "%s", hexs(c.now).c_str());
            else ImGui::TextUnformatted(hexs(c.now).c_str());
        }
        ImGui::EndTable();
    }
    // The instructions of the switch around RIP.
    static std::vector<debug::ListingRow> rows;
    static u64 made = ~0ull;
    if (made != s.generation()) {
        rows = debug::listing(s.debugger(), sw.cpu, s.machine().cpu(sw.cpu).s.rip, 10, 0x200);
        made = s.generation();
    }
    ImGui::BeginChild("code", ImVec2(0, 0), true);
    for (const auto& r : rows) {
        if (!r.label.empty()) ImGui::TextColored(color::kSym, "%s:", r.label.c_str());
        if (r.is_rip) ImGui::TextColored(color::kTitle, "-> %s  %s", hexs(r.addr).c_str(), r.text.c_str());
        else ImGui::Text("   %s  %s", hexs(r.addr).c_str(), r.text.c_str());
    }
    ImGui::EndChild();
    ImGui::EndGroup();
    ImGui::End();
}

}  // namespace sy::ui
