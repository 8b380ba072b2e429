// Keeping the rasterizer's work small (raster.h).
#include "raster.h"

#include <GL/gl.h>
#include <SDL.h>
#include <imgui_internal.h>

#include <backends/imgui_impl_opengl3.h>
#include <cstdint>
#include <vector>

namespace sy::ui::raster {

namespace {

// What the frame was cleared with before the background became opaque: the
// dark style's window background (94 % opaque) was blended over it.
const ImVec4 kDesk{0.08f, 0.08f, 0.10f, 1.0f};
ImVec4 g_clear = kDesk;

// The windows given no background this frame.
ImVector<ImGuiID> g_plain;
int g_plain_frame = -1;

bool plain(ImGuiID id) { return g_plain_frame == ImGui::GetFrameCount() && g_plain.contains(id); }

// A root window (not a child, popup or tooltip) drawn this frame with its
// opaque background.
bool opaque_panel(const ImGuiWindow* w) {
    constexpr ImGuiWindowFlags kNot = ImGuiWindowFlags_ChildWindow | ImGuiWindowFlags_Popup | ImGuiWindowFlags_Tooltip |
                                      ImGuiWindowFlags_NoBackground;
    return w->Active && !w->Hidden && !w->Collapsed && !(w->Flags & kNot) && !plain(w->ID);
}

unsigned premultiplied(unsigned channel, unsigned alpha) { return (channel * alpha + 127) / 255; }

// The windows (roots with their children) that an opaque panel above covers.
void drop_hidden(ImDrawData* data) {
    ImGuiContext& g = *ImGui::GetCurrentContext();
    ImVector<ImGuiWindow*> hidden;
    for (int i = 0; i < g.Windows.Size; ++i) {
        ImGuiWindow* w = g.Windows[i];
        if (!w->Active || (w->Flags & ImGuiWindowFlags_ChildWindow)) continue;
        const ImRect r = w->Rect();
        for (int j = i + 1; j < g.Windows.Size; ++j)  // above w
            if (opaque_panel(g.Windows[j]) && g.Windows[j]->Rect().Contains(r)) {
                hidden.push_back(w);
                break;
            }
    }
    if (hidden.empty()) return;
    int kept = 0;
    for (int i = 0; i < data->CmdListsCount; ++i) {
        ImDrawList* list = data->CmdLists[i];
        bool drop = false;
        for (ImGuiWindow* w : g.Windows)
            if (w->DrawList == list) {
                drop = hidden.contains(w->RootWindow);
                break;
            }
        if (drop) {
            data->TotalVtxCount -= list->VtxBuffer.Size;
            data->TotalIdxCount -= list->IdxBuffer.Size;
        } else {
            data->CmdLists[kept++] = list;
        }
    }
    data->CmdListsCount = kept;
}

}  // namespace

void request_framebuffer() {
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
    SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 0);
}

void setup_style(ImGuiStyle& style) {
    ImVec4& bg = style.Colors[ImGuiCol_WindowBg];
    const float a = bg.w;
    bg = ImVec4(bg.x * a + kDesk.x * (1 - a), bg.y * a + kDesk.y * (1 - a), bg.z * a + kDesk.z * (1 - a), 1.0f);
    g_clear = bg;
    // From the atlas a line would be sampled between texels.
    style.AntiAliasedLinesUseTex = false;
}

void setup_font_texture() {
    // Now rather than at the first frame, so that the texture can be changed.
    ImGui_ImplOpenGL3_CreateDeviceObjects();
    ImGuiIO& io = ImGui::GetIO();
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    std::vector<unsigned char> pm(size_t(w) * size_t(h) * 4);
    for (size_t i = 0; i < pm.size(); i += 4) {
        const unsigned alpha = px[i + 3];
        for (size_t k = 0; k < 3; ++k) pm[i + k] = static_cast<unsigned char>(premultiplied(px[i + k], alpha));
        pm[i + 3] = static_cast<unsigned char>(alpha);
    }
    GLint was = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &was);
    glBindTexture(GL_TEXTURE_2D, GLuint(reinterpret_cast<std::intptr_t>(io.Fonts->TexID)));
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, pm.data());
    glBindTexture(GL_TEXTURE_2D, GLuint(was));
}

ImVec4 clear_colour() { return g_clear; }

void begin_frame() {
    // The backend sets ImGui's blend at the start of each render; this runs
    // right after it, before the first window (the background list is first).
    ImGui::GetBackgroundDrawList()->AddCallback(
        [](const ImDrawList*, const ImDrawCmd*) { glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA); }, nullptr);
}

void plain_background(const char* title) {
    ImGuiContext& g = *ImGui::GetCurrentContext();
    if (g_plain_frame != g.FrameCount) {
        g_plain_frame = g.FrameCount;
        g_plain.clear();
    }
    ImGuiWindow* w = ImGui::FindWindowByName(title);
    if (!w) return;  // its first frame: not placed yet
    const ImRect r = w->Rect();
    // g.Windows is in display order, back to front: what comes before w is
    // beneath it. WasActive: drawn last frame (ImGui's implicit "Debug"
    // window is begun every frame but drawn only when something is put in it).
    for (ImGuiWindow* v : g.Windows) {
        if (v == w) break;
        if (v->WasActive && !(v->Flags & ImGuiWindowFlags_ChildWindow) && v->Rect().Overlaps(r)) return;
    }
    ImGui::SetNextWindowBgAlpha(0.0f);
    g_plain.push_back(w->ID);
}

void end_frame(ImDrawData* data) {
    drop_hidden(data);
    for (int i = 0; i < data->CmdListsCount; ++i)
        for (ImDrawVert& v : data->CmdLists[i]->VtxBuffer) {
            const unsigned c = v.col, a = c >> IM_COL32_A_SHIFT;
            if (a == 0xFF) continue;  // most of them
            v.col = IM_COL32(premultiplied((c >> IM_COL32_R_SHIFT) & 0xFF, a), premultiplied((c >> IM_COL32_G_SHIFT) & 0xFF, a),
                             premultiplied((c >> IM_COL32_B_SHIFT) & 0xFF, a), a);
        }
}

}  // namespace sy::ui::raster
