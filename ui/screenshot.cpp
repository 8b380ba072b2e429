// Screenshots (screenshot.h).
#include "screenshot.h"

#include <GL/gl.h>
#include <png.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace sy::ui {

std::string write_screenshot(const std::string& path, int w, int h) {
    std::vector<unsigned char> pixels(size_t(w) * size_t(h) * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    if (glGetError() != GL_NO_ERROR) return "glReadPixels failed";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return std::string("cannot create it: ") + std::strerror(errno);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        return "libpng failed to write it";
    }
    png_init_io(png, f);
    // RGB without alpha: the window is opaque.
    png_set_IHDR(png, info, png_uint_32(w), png_uint_32(h), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 9);
    png_write_info(png, info);
    std::vector<unsigned char> rowbuf(size_t(w) * 3);
    // OpenGL's rows go bottom-up.
    for (int y = h - 1; y >= 0; --y) {
        const unsigned char* src = pixels.data() + size_t(y) * size_t(w) * 4;
        for (int x = 0; x < w; ++x) std::memcpy(&rowbuf[size_t(x) * 3], src + size_t(x) * 4, 3);
        png_write_row(png, rowbuf.data());
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    if (std::fclose(f) != 0) return std::string("cannot write it: ") + std::strerror(errno);
    return {};
}

}  // namespace sy::ui
