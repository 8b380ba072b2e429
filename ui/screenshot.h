// The window as a PNG (glReadPixels of the frame just drawn, written with libpng).
#pragma once
#include <string>

namespace sy::ui {

// Reads the current OpenGL framebuffer (w x h) and writes it to `path`.
// Returns an empty string on success, else what went wrong.
std::string write_screenshot(const std::string& path, int w, int h);

}  // namespace sy::ui
