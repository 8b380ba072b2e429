// Memory: a hex dump at any address (or symbol) through any address space:
// a CPU's current CR3, a task's own page tables, or physical memory.
#include "widgets.h"
#include "windows.h"

namespace sy::ui {

void draw_memory(Session& s) {
    if (!ImGui::Begin(s.title("Memory").c_str())) {
        ImGui::End();
        return;
    }
    std::vector<debug::AddressSpace> spaces = debug::address_spaces(s.machine(), s.model());
    if (s.memory_space >= int(spaces.size())) s.memory_space = 0;
    ImGui::SetNextItemWidth(200);
    if (ImGui::BeginCombo("##space", spaces[size_t(s.memory_space)].name.c_str())) {
        for (size_t k = 0; k < spaces.size(); ++k)
            if (ImGui::Selectable(spaces[k].name.c_str(), int(k) == s.memory_space)) s.memory_space = int(k);
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    static char at[64] = "";
    ImGui::SetNextItemWidth(240);
    if (ImGui::InputTextWithHint("##addr", "address or symbol, Enter", at, sizeof at, ImGuiInputTextFlags_EnterReturnsTrue)) {
        try {
            s.memory_addr = s.debugger().resolve(at);
        } catch (const std::exception&) {
        }
    }
    if (s.memory_addr == 0) s.memory_addr = s.machine().cpu(s.cpu).s.gpr[RSP] & ~0xFull;
    ImGui::SameLine();
    if (ImGui::Button("rsp")) s.memory_addr = s.machine().cpu(s.cpu).s.gpr[RSP] & ~0xFull;
    const size_t rows = 24;
    debug::MemoryDump d = debug::dump_memory(s.machine(), spaces[size_t(s.memory_space)], s.memory_addr & ~0xFull, rows * 16);
    ImGui::BeginChild("hex");
    for (size_t r = 0; r < rows; ++r) {
        char line[128];
        int n = std::snprintf(line, sizeof line, "%016llx ", (unsigned long long)(d.addr + r * 16));
        char ascii[17] = {};
        for (size_t k = 0; k < 16; ++k) {
            size_t i = r * 16 + k;
            if (i < d.valid) {
                n += std::snprintf(line + n, sizeof line - size_t(n), "%s%02x", k == 8 ? "  " : " ", d.bytes[i]);
                ascii[k] = d.bytes[i] >= 32 && d.bytes[i] < 127 ? char(d.bytes[i]) : '.';
            } else {
                n += std::snprintf(line + n, sizeof line - size_t(n), "%s??", k == 8 ? "  " : " ");
                ascii[k] = ' ';
            }
        }
        ImGui::Text("%s  %s", line, ascii);
    }
    ImGui::EndChild();
    ImGui::End();
}

}  // namespace sy::ui
