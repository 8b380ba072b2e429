// Disassembly (Capstone, through emu/debug/listing.h) around the selected
// CPU's RIP: symbols, the current instruction, breakpoints (click a line to
// select it, F9 or a double click toggles a breakpoint there).
#include "widgets.h"
#include "windows.h"

namespace sy::ui {

void draw_disassembly(Session& s) {
    if (!ImGui::Begin(s.title("Disassembly").c_str())) {
        ImGui::End();
        return;
    }
    Machine& m = s.machine();
    const u64 rip = m.cpu(s.cpu).s.rip;
    static char where[64] = "";
    ImGui::SetNextItemWidth(220);
    if (ImGui::InputTextWithHint("##at", "address or symbol, Enter", where, sizeof where,
                                 ImGuiInputTextFlags_EnterReturnsTrue)) {
        try {
            s.disasm_at = s.debugger().resolve(where);
        } catch (const std::exception&) {
            s.disasm_at.reset();
        }
    }
    ImGui::SameLine();
    if (ImGui::Button("follow rip")) s.disasm_at.reset();
    ImGui::SameLine();
    ImGui::TextColored(color::kDim, "cpu%u", s.cpu);

    const u64 at = s.disasm_at.value_or(rip);
    // Decoded again only when the machine or the breakpoints changed.
    static std::vector<debug::ListingRow> rows;
    static u64 made_gen = ~0ull, made_at = 0;
    static unsigned made_cpu = ~0u;
    if (made_gen != s.generation() || made_at != at || made_cpu != s.cpu) {
        rows = debug::listing(s.debugger(), s.cpu, at, 48);
        made_gen = s.generation(), made_at = at, made_cpu = s.cpu;
    }
    ImGui::BeginChild("listing");
    ImDrawList* dl = ImGui::GetWindowDrawList();
    static u64 scrolled_to = ~0ull;
    for (const auto& r : rows) {
        if (!r.label.empty()) ImGui::TextColored(color::kSym, "%s:", r.label.c_str());
        ImGui::PushID(reinterpret_cast<void*>(r.addr));
        ImVec2 p = ImGui::GetCursorScreenPos();
        const bool selected = s.selected_addr && *s.selected_addr == r.addr;
        char line[256];
        std::snprintf(line, sizeof line, "   %s %s  %-34s%s%s%s", r.is_rip ? "->" : "  ", hexs(r.addr).c_str(),
                      r.text.c_str(), r.target.empty() ? "" : " <", r.target.c_str(), r.target.empty() ? "" : ">");
        if (r.is_rip) ImGui::PushStyleColor(ImGuiCol_Text, color::kTitle);
        if (ImGui::Selectable(line, selected || r.is_rip, ImGuiSelectableFlags_AllowDoubleClick)) {
            s.selected_addr = r.addr;
            if (ImGui::IsMouseDoubleClicked(0)) s.command(Command::ToggleBreakpoint);
        }
        if (r.is_rip) ImGui::PopStyleColor();
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s  %s", hexs(r.addr).c_str(), r.bytes.c_str());
        if (r.breakpoint) dl->AddCircleFilled(ImVec2(p.x + 6, p.y + ImGui::GetTextLineHeight() / 2), 5, IM_COL32(220, 40, 40, 255));
        if (r.is_rip && scrolled_to != r.addr) {
            ImGui::SetScrollHereY(0.35f);
            scrolled_to = r.addr;
        }
        ImGui::PopID();
    }
    ImGui::EndChild();
    ImGui::End();
}

}  // namespace sy::ui
