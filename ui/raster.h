// Keeping the rasterizer's work small without changing what the window shows.
// Under a software rasterizer (Mesa's llvmpipe: Xvfb, and machines without a
// GPU) a frame costs about what it paints, and ImGui paints every window's
// background as a blended layer as large as the window: at 1920x1080 the
// panels' backgrounds alone were a third of a frame. What is done instead:
// - The window background is opaque and the frame is cleared with that same
//   colour (a clear costs next to nothing), so a window that lies over no
//   other window needs no background of its own (plain_background);
// - a window that an opaque window above hides entirely is not rendered
//   (end_frame);
// - the font atlas is sampled without filtering: ImGui puts text on whole
//   pixels, so every pixel falls on a texel's centre and the result is the
//   same, for less work per pixel; lines are drawn as geometry instead of from
//   the atlas (the same pixels again);
// - colours are blended premultiplied (ONE, ONE_MINUS_SRC_ALPHA): the atlas
//   and the vertex colours are premultiplied, which gives the same pixels as
//   ImGui's SRC_ALPHA blending to within one step in 255, and is the blend
//   llvmpipe's faster paths take;
// - no depth or stencil buffer (ImGui uses neither).
// docs/gui.md has the figures.
#pragma once
#include <imgui.h>

namespace sy::ui::raster {

// Before the window and its OpenGL context are created: the framebuffer.
void request_framebuffer();
// The style's colours and lines; once, after choosing the style.
void setup_style(ImGuiStyle& style);
// Once the OpenGL3 backend is initialised: its device objects and the font
// texture (unfiltered, premultiplied).
void setup_font_texture();
// What to clear each frame with: the window background.
ImVec4 clear_colour();

// After ImGui::NewFrame(): the blend for this frame's draw lists.
void begin_frame();
// Before Begin(title): leaves out the window's background when the window,
// where it is this frame, overlaps no window beneath it.
void plain_background(const char* title);
// After ImGui::Render(): takes the windows that an opaque window above hides
// completely (with their child windows) out of `data`, and premultiplies the
// vertex colours of the rest.
void end_frame(ImDrawData* data);

}  // namespace sy::ui::raster
