// The serial console (COM1): what the guest printed, and a line to type into
// (Enter sends it with a newline).
#include "widgets.h"
#include "windows.h"

namespace sy::ui {

void draw_console(Session& s) {
    if (!ImGui::Begin(s.title("Serial console").c_str())) {
        ImGui::End();
        return;
    }
    const float input_h = ImGui::GetFrameHeightWithSpacing();
    ImGui::BeginChild("out", ImVec2(0, -input_h), false, ImGuiWindowFlags_HorizontalScrollbar);
    const std::string& text = s.serial_text();
    // The last 64 KiB: enough to scroll back, cheap to draw.
    size_t from = text.size() > 65536 ? text.size() - 65536 : 0;
    ImGui::TextUnformatted(text.data() + from, text.data() + text.size());
    static size_t last_size = 0;
    if (text.size() != last_size) {
        ImGui::SetScrollHereY(1.0f);
        last_size = text.size();
    }
    ImGui::EndChild();
    static char line[256] = "";
    ImGui::SetNextItemWidth(-1);
    if (ImGui::InputTextWithHint("##in", "type to the guest, Enter sends", line, sizeof line,
                                 ImGuiInputTextFlags_EnterReturnsTrue)) {
        s.type(std::string(line) + "\n");
        line[0] = 0;
        ImGui::SetKeyboardFocusHere(-1);
    }
    ImGui::End();
}

}  // namespace sy::ui
