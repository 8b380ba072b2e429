// The VGA text screen (devices/vga.h: TextScreen), in its palette's colours.
#include "widgets.h"
#include "windows.h"

namespace sy::ui {

void draw_screen(Session& s) {
    if (!ImGui::Begin(s.title("Screen").c_str())) {
        ImGui::End();
        return;
    }
    dev::TextScreen scr = s.machine().screen();
    if (!scr.text_mode) {
        ImGui::TextUnformatted("(a graphics mode is set: not drawn)");
        ImGui::End();
        return;
    }
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImVec2 o = ImGui::GetCursorScreenPos();
    const float cw = ImGui::CalcTextSize("M").x, ch = ImGui::GetTextLineHeight();
    auto rgb = [&](unsigned idx) {
        u32 c = scr.palette[idx & 15];
        return IM_COL32((c >> 16) & 0xFF, (c >> 8) & 0xFF, c & 0xFF, 255);
    };
    for (unsigned r = 0; r < scr.rows; ++r)
        for (unsigned c = 0; c < scr.cols; ++c) {
            const auto& cell = scr.at(r, c);
            ImVec2 p(o.x + float(c) * cw, o.y + float(r) * ch);
            dl->AddRectFilled(p, ImVec2(p.x + cw, p.y + ch), rgb((cell.attr >> 4) & 7));
            char t[2] = {char(cell.ch >= 32 && cell.ch < 127 ? cell.ch : ' '), 0};
            if (t[0] != ' ') dl->AddText(p, rgb(cell.attr & 15), t);
        }
    if (scr.cursor_visible) {
        ImVec2 p(o.x + float(scr.cursor_col) * cw, o.y + float(scr.cursor_row) * ch);
        dl->AddRectFilled(ImVec2(p.x, p.y + ch - 2), ImVec2(p.x + cw, p.y + ch), IM_COL32(220, 220, 220, 255));
    }
    ImGui::Dummy(ImVec2(float(scr.cols) * cw, float(scr.rows) * ch));
    ImGui::End();
}

}  // namespace sy::ui
