// VGA text mode: expected values follow the register descriptions (FreeVGA,
// IBM VGA reference, cited in vga.h): odd/even addressing of text mode, the
// CRTC start address and cursor location counting cells, the protect bit of
// CR11, the 3C0h flip-flop reset by Input Status #1, DAC auto-increment,
// memory map select, and the planar write/read modes with the latches. The
// power-on register values are QEMU's (tests/system/expected/pcprobe.txt).
#include <doctest/doctest.h>

#include "vga.h"

using namespace sy;
using namespace sy::dev;

namespace {
struct Rig {
    Vga vga;
    void out(u16 port, u8 v) { vga.io_write(port, 1, v, 0); }
    u8 in(u16 port) { return u8(vga.io_read(port, 1, 0)); }
    void crtc(u8 i, u8 v) { out(0x3D4, i), out(0x3D5, v); }
    u8 crtc(u8 i) { return out(0x3D4, i), in(0x3D5); }
    void seq(u8 i, u8 v) { out(0x3C4, i), out(0x3C5, v); }
    void gfx(u8 i, u8 v) { out(0x3CE, i), out(0x3CF, v); }
    // Offsets from 0xA0000.
    void poke(u32 addr, u8 v) { vga.mmio_write(addr - 0xA0000, 1, v, 0); }
    u8 peek(u32 addr) { return u8(vga.mmio_read(addr - 0xA0000, 1, 0)); }
    void text(unsigned cell, char c, u8 attr) { poke(0xB8000 + 2 * cell, u8(c)), poke(0xB8001 + 2 * cell, attr); }
};
}  // namespace

TEST_CASE("vga: power-on is 80x25 colour text with a blank page and the cursor at the top left") {
    Rig r;
    TextScreen s = r.vga.screen();
    CHECK(s.text_mode);
    CHECK(s.cols == 80);
    CHECK(s.rows == 25);      // vertical display end 18Fh + 1 = 400 lines of 16
    CHECK(s.char_height == 16);
    CHECK(s.cursor_visible);
    CHECK(s.cursor_row == 0);
    CHECK(s.cursor_col == 0);
    CHECK(s.cursor_start == 0x0D);
    CHECK(s.cursor_end == 0x0E);
    CHECK(s.at(12, 40).ch == ' ');
    CHECK(s.at(12, 40).attr == 0x07);
    CHECK(r.peek(0xB8000) == ' ');
    CHECK(r.peek(0xB8001) == 0x07);
    // The attribute controller and the EGA palette in the DAC: colour 1 is blue
    // (DAC entry 1 = 0,0,2Ah), colour 6 brown (entry 14h = 2Ah,15h,0), 15 white.
    CHECK(s.palette[1] == 0x0000AA);
    CHECK(s.palette[6] == 0xAA5500);
    CHECK(s.palette[15] == 0xFFFFFF);
}

TEST_CASE("vga: text cells are character then attribute, start address and cursor count cells") {
    Rig r;
    r.text(0, 'H', 0x1F);
    r.text(1, 'i', 0x1F);
    r.text(80 * 3 + 5, 'x', 0x4E);
    TextScreen s = r.vga.screen();
    CHECK(s.at(0, 0).ch == 'H');
    CHECK(s.at(0, 0).attr == 0x1F);
    CHECK(s.at(0, 1).ch == 'i');
    CHECK(s.at(3, 5).ch == 'x');
    CHECK(s.at(3, 5).attr == 0x4E);
    // Odd/even: the attribute is plane 1 at the same offset as the character in plane 0.
    CHECK(r.vga.vram()[4 * (80 * 3 + 5)] == 'x');
    CHECK(r.vga.vram()[4 * (80 * 3 + 5) + 1] == 0x4E);
    // Start address 80: the screen begins one row further (hardware scrolling).
    r.crtc(0x0C, 0), r.crtc(0x0D, 80);
    s = r.vga.screen();
    CHECK(s.at(2, 5).ch == 'x');
    // Cursor location 80 * 3 + 5 with start 80: row 2, column 5.
    r.crtc(0x0E, u8((80 * 3 + 5) >> 8)), r.crtc(0x0F, u8(80 * 3 + 5));
    s = r.vga.screen();
    CHECK(s.cursor_visible);
    CHECK(s.cursor_row == 2);
    CHECK(s.cursor_col == 5);
    CHECK(r.crtc(0x0E) == 0x00);
    CHECK(r.crtc(0x0F) == 80 * 3 + 5);
    // CR0A bit 5 turns the cursor off.
    r.crtc(0x0A, 0x20 | 0x0D);
    CHECK_FALSE(r.vga.screen().cursor_visible);
}

TEST_CASE("vga: the screen's text is code page 437 in UTF-8, trailing blanks dropped") {
    Rig r;
    const char* row = "A\xC9\xCD\xBB \xB0";
    for (unsigned c = 0; row[c]; ++c) r.text(c, row[c], 0x07);
    r.text(80 * 24 + 79, 'Z', 0x07);
    std::string t = r.vga.screen().text();
    CHECK(t.substr(0, t.find('\n')) == "A╔═╗ ░");
    size_t lines = 0;
    for (char c : t) lines += c == '\n';
    CHECK(lines == 25);
    CHECK(t.ends_with(std::string(79, ' ') + "Z\n"));
    CHECK(std::string(cp437_utf8(0x01)) == "☺");
    CHECK(std::string(cp437_utf8('q')) == "q");
}

TEST_CASE("vga: CR11 bit 7 protects CRTC registers 0-7 except CR07 bit 4") {
    Rig r;
    REQUIRE((r.crtc(0x11) & 0x80) != 0);
    u8 h_total = r.crtc(0x00);
    r.crtc(0x00, 0x12);
    CHECK(r.crtc(0x00) == h_total);
    r.crtc(0x07, 0x00);
    CHECK(r.crtc(0x07) == (0x1F & ~0x10));
    r.crtc(0x11, r.crtc(0x11) & 0x7F);
    r.crtc(0x00, 0x12);
    CHECK(r.crtc(0x00) == 0x12);
    // Registers above 07h are never protected.
    r.crtc(0x11, 0x8E);
    r.crtc(0x0C, 0x05);
    CHECK(r.crtc(0x0C) == 0x05);
}

TEST_CASE("vga: Miscellaneous Output bit 0 moves the CRTC and Input Status 1 between 3Dxh and 3Bxh") {
    Rig r;
    CHECK(r.in(0x3CC) == 0x67);
    CHECK(r.in(0x3B5) == 0xFF);  // colour addressing: the mono ports float
    r.out(0x3C2, 0x66);
    CHECK(r.in(0x3CC) == 0x66);
    r.out(0x3B4, 0x0C);
    r.out(0x3B5, 0x42);
    CHECK(r.in(0x3D5) == 0xFF);
    CHECK(r.in(0x3DA) == 0xFF);
    r.out(0x3C2, 0x67);
    CHECK(r.crtc(0x0C) == 0x42);
}

TEST_CASE("vga: reading Input Status 1 resets the attribute flip-flop, bits 0 and 3 toggle") {
    Rig r;
    u8 a = r.in(0x3DA), b = r.in(0x3DA);
    CHECK((a ^ b) == 0x09);
    r.in(0x3DA);
    r.out(0x3C0, 0x31);  // index 11h with the palette source bit
    CHECK(r.in(0x3C0) == 0x00);  // in the data state the address register reads 0 (QEMU)
    r.out(0x3C0, 0x05);          // data
    CHECK(r.in(0x3C0) == 0x31);
    CHECK(r.in(0x3C1) == 0x05);
    r.out(0x3C0, 0x32);          // the flip-flop is at "index" again
    r.in(0x3DA);
    r.out(0x3C0, 0x12);          // reset: an index, not data for 12h
    r.out(0x3C0, 0x0A);
    CHECK(r.vga.attribute(0x12) == 0x0A);
    CHECK(r.vga.attribute(0x11) == 0x05);
}

TEST_CASE("vga: the DAC auto-increments its write and read indexes every three components") {
    Rig r;
    r.out(0x3C8, 10);
    for (u8 v : {1, 2, 3, 4, 5, 6}) r.out(0x3C9, v);
    CHECK(r.in(0x3C8) == 12);
    CHECK(r.in(0x3C7) == 0);  // write mode
    r.out(0x3C7, 11);
    CHECK(r.in(0x3C7) == 3);  // read mode
    CHECK(r.in(0x3C9) == 4);
    CHECK(r.in(0x3C9) == 5);
    CHECK(r.in(0x3C9) == 6);
    r.out(0x3C7, 10);
    CHECK(r.in(0x3C9) == 1);
}

TEST_CASE("vga: memory map select decides which part of A0000-BFFFF answers") {
    Rig r;
    CHECK(r.peek(0xA0000) == 0xFF);  // map 3: B8000-BFFFF only
    r.poke(0xA0000, 0x12);
    CHECK(r.peek(0xB0000) == 0xFF);
    r.text(0, 'Q', 0x07);
    r.gfx(0x06, 0x02);  // map 0: the whole window from A0000, odd/even chaining on
    CHECK(r.peek(0xA0000) == 'Q');
    CHECK(r.peek(0xA0001) == 0x07);
}

TEST_CASE("vga: planar modes: map mask, read map select, write modes 0-2 and the latches") {
    Rig r;
    // Sequential planar access, window at A0000 (64 KiB), as for loading a font;
    // offsets from 8000h on, past the text the planes hold in their first 16 KiB.
    r.seq(0x04, 0x06);
    r.gfx(0x05, 0x00);
    r.gfx(0x06, 0x04);
    r.seq(0x02, 0x04);  // plane 2 only
    r.poke(0xA8010, 0xAB);
    r.seq(0x02, 0x0F);
    for (u8 plane = 0; plane < 4; ++plane) {
        r.gfx(0x04, plane);
        CHECK(r.peek(0xA8010) == (plane == 2 ? 0xAB : 0x00));
    }
    // Write mode 0 with set/reset: planes 0 and 1 from Set/Reset (01b), 2 and 3 from the data.
    r.gfx(0x00, 0x01), r.gfx(0x01, 0x03);
    r.poke(0xA8020, 0x5A);
    const u8 want0[4] = {0xFF, 0x00, 0x5A, 0x5A};
    for (u8 plane = 0; plane < 4; ++plane) {
        r.gfx(0x04, plane);
        CHECK(r.peek(0xA8020) == want0[plane]);
    }
    r.gfx(0x01, 0x00);
    // Write mode 1 stores the latches: a read of 0xA8020 then a write copies all four planes.
    r.gfx(0x04, 0);
    r.peek(0xA8020);
    r.gfx(0x05, 0x01);
    r.poke(0xA8030, 0x00);
    r.gfx(0x05, 0x00);
    for (u8 plane = 0; plane < 4; ++plane) {
        r.gfx(0x04, plane);
        CHECK(r.peek(0xA8030) == want0[plane]);
    }
    // Write mode 2: the data's low nibble is a colour, spread to every bit the bit mask allows.
    r.gfx(0x05, 0x02);
    r.gfx(0x08, 0xF0);
    r.gfx(0x04, 0), r.peek(0xA8040);  // latches: all zero there
    r.poke(0xA8040, 0x09);            // colour 1001b: planes 0 and 3
    r.gfx(0x05, 0x00), r.gfx(0x08, 0xFF);
    const u8 want2[4] = {0xF0, 0x00, 0x00, 0xF0};
    for (u8 plane = 0; plane < 4; ++plane) {
        r.gfx(0x04, plane);
        CHECK(r.peek(0xA8040) == want2[plane]);
    }
    // Read mode 1: bits whose colour equals Color Compare (1001b) read as 1.
    r.gfx(0x02, 0x09), r.gfx(0x07, 0x0F), r.gfx(0x05, 0x08);
    CHECK(r.peek(0xA8040) == 0xF0);
}
