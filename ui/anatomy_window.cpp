// Switch anatomy: the running switch model's steps (emu/debug/anatomy.h,
// named as its seed article names them, found in the guest's code) with the
// one a CPU is at; while a switch is in progress, prev's and next's stacks
// side by side around their saved state, RSP's arrow in the one it points into
// (it moves at the stack swap), each push and pop in its named slot, the
// instructions around RIP, and the registers a switch changes with their
// values before the switch and now.
#include <map>

#include "widgets.h"
#include "windows.h"

namespace sy::ui {

namespace {

constexpr float kCol = 262.0f;

// A region of a switched-out task's saved state on its stack, under any model
// (emu/guest/frames.h names them).
bool saved_state(const std::string& region) { return !region.empty() && region != "pt_regs"; }

// The model's steps, done ones dimmed, the CPU's current one marked.
void steps(const debug::Anatomy& a) {
    if (a.steps.empty()) return;
    ImGui::TextColored(color::kDim, "%s", a.seed.c_str());
    for (size_t n = 0; n < a.steps.size(); ++n) {
        const bool now = int(n) == a.current, done = a.current >= 0 && int(n) < a.current;
        const ImVec4 col = now ? color::kTitle : done ? color::kDim : ImVec4(1, 1, 1, 1);
        ImGui::TextColored(col, "%s %2zu %s", now ? "->" : "  ", n + 1, a.steps[n].name.c_str());
        if (now) {
            ImGui::SameLine();
            if (a.inside.empty()) ImGui::TextColored(color::kDim, " (cpu%u) %s", a.cpu, a.steps[n].what.c_str());
            else ImGui::TextColored(color::kDim, " (cpu%u in %s, which it called) %s", a.cpu, a.inside.c_str(),
                                    a.steps[n].what.c_str());
        }
    }
}

// The instructions around RIP, cached per session until the model changes.
const std::vector<debug::ListingRow>& code_rows(Session& s, unsigned cpu) {
    struct Cache {
        u64 made = ~0ull;
        std::vector<debug::ListingRow> rows;
    };
    static std::map<const Session*, Cache> caches;
    Cache& c = caches[&s];
    if (c.made != s.generation()) {
        c.rows = debug::listing(s.debugger(), cpu, s.machine().cpu(cpu).s.rip, 10, 0x200);
        c.made = s.generation();
    }
    return c.rows;
}

void code(Session& s, unsigned cpu) {
    ImGui::BeginChild("code", ImVec2(0, 0), true);
    for (const auto& r : code_rows(s, cpu)) {
        if (!r.label.empty()) ImGui::TextColored(color::kSym, "%s:", r.label.c_str());
        if (r.is_rip) ImGui::TextColored(color::kTitle, "-> %s  %s", hexs(r.addr).c_str(), r.text.c_str());
        else ImGui::Text("   %s  %s", hexs(r.addr).c_str(), r.text.c_str());
    }
    ImGui::EndChild();
}

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
        if (saved_state(sl.region)) lo = std::min(lo, sl.addr), hi = std::max(hi, sl.addr);
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
        bool in_frame = saved_state(sl.region);
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
    if (is_next && sw.at_ret) ImGui::TextColored(color::kChanged, "the ret pops:\n  -> %s", sw.ret_sym.c_str());
    else if (const auto& f = t->frames.frame) ImGui::TextColored(color::kDim, "ret_addr = %s", f->ret_sym.c_str());
    ImGui::EndChild();
    ImGui::PopID();
    ImGui::EndGroup();
}

}  // namespace

void draw_anatomy(Session& s) {
    if (!ImGui::Begin(s.title("Switch anatomy").c_str())) {
        ImGui::End();
        return;
    }
    const debug::Model& m = s.model();
    if (!m.sw) {
        if (m.anatomy.current >= 0) {
            // Between switches but at a step of one (xv6: sched's swtch to the
            // scheduler thread, before __switch_to; the landing after the ret).
            steps(m.anatomy);
            code(s, m.anatomy.cpu);
            ImGui::End();
            return;
        }
        ImGui::TextWrapped("No context switch in progress. F6 runs to the next one and stops at the ret that ends it; "
                           "F11 from where the switch begins walks through it, step by step:");
        steps(m.anatomy);
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
    steps(m.anatomy);
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
    code(s, sw.cpu);
    ImGui::EndGroup();
    ImGui::End();
}

}  // namespace sy::ui
