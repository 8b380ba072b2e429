// Small drawing helpers the windows share: number formatting, the colours of
// stack regions and of tasks, labelled values.
#pragma once
#include <imgui.h>

#include <cstdio>
#include <string>

#include "types.h"

namespace sy::ui {

inline std::string hex16(u64 v) {
    char b[20];
    std::snprintf(b, sizeof b, "%016llx", (unsigned long long)v);
    return b;
}
inline std::string hexs(u64 v) {
    char b[20];
    std::snprintf(b, sizeof b, "%llx", (unsigned long long)v);
    return b;
}

namespace color {
inline const ImVec4 kDim{0.55f, 0.55f, 0.60f, 1.0f};
inline const ImVec4 kChanged{1.0f, 0.55f, 0.25f, 1.0f};
inline const ImVec4 kSym{0.55f, 0.80f, 1.0f, 1.0f};
inline const ImVec4 kGood{0.45f, 0.85f, 0.45f, 1.0f};
inline const ImVec4 kBad{1.0f, 0.40f, 0.40f, 1.0f};
inline const ImVec4 kTitle{1.0f, 0.85f, 0.40f, 1.0f};
// Region shading of stack slots.
inline ImU32 region(const std::string& r) {
    if (r == "inactive_task_frame") return IM_COL32(40, 70, 130, 255);
    if (r == "fork_frame") return IM_COL32(95, 55, 120, 255);
    if (r == "pt_regs") return IM_COL32(35, 95, 60, 255);
    return 0;
}
inline const ImU32 kRetSlot = IM_COL32(170, 95, 20, 255);
inline const ImU32 kRspSlot = IM_COL32(150, 30, 30, 255);
// A colour per task, for the timeline and column headers.
inline ImU32 task(int pid) {
    static const ImU32 k[] = {IM_COL32(90, 90, 100, 255),  IM_COL32(70, 130, 200, 255), IM_COL32(200, 120, 60, 255),
                              IM_COL32(90, 170, 90, 255),  IM_COL32(170, 80, 160, 255), IM_COL32(200, 180, 60, 255),
                              IM_COL32(60, 170, 170, 255), IM_COL32(200, 80, 80, 255),  IM_COL32(130, 110, 200, 255)};
    if (pid <= 0) return k[0];
    return k[1 + (pid - 1) % 8];
}
}  // namespace color

// "name  value" in two columns of a table row.
inline void row(const char* name, const std::string& value, const ImVec4* col = nullptr) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextColored(color::kDim, "%s", name);
    ImGui::TableNextColumn();
    if (col) ImGui::TextColored(*col, "%s", value.c_str());
    else ImGui::TextUnformatted(value.c_str());
}

}  // namespace sy::ui
