// VGA, as far as text mode needs it: the display memory behind the 0xA0000-
// 0xBFFFF window (four planes, the odd/even addressing of text mode, chain-4
// and the planar read and write modes), and the register groups a text-mode
// driver touches.
// Sources: IBM Personal System/2 and PC BIOS Interface Technical Reference,
// "Video Subsystem" (VGA register descriptions); the same registers as FreeVGA
// documents them: "CRT Controller Registers" (index 00h-18h, the protect bit of
// 11h), "Sequencer Registers" (map mask 02h, memory mode 04h), "Graphics
// Registers" (set/reset, rotate, read map select, mode 05h, miscellaneous 06h,
// bit mask 08h), "Attribute Controller Registers" (the 3C0h address/data
// flip-flop and its reset by reading Input Status #1), "External (General)
// Registers" (Miscellaneous Output 3C2h/3CCh, Input Status #0/#1, Feature
// Control), "DAC Operation" (3C7h/3C8h/3C9h auto-increment), "VGA Memory
// Organization" (memory map select, odd/even, chain-4, write modes 0-3,
// read modes 0/1, the latches).
//
// PC wiring: ports 0x3C0-0x3CF; the CRT controller and Input Status #1 at
// 0x3D4/0x3D5/0x3DA while Miscellaneous Output bit 0 selects colour addressing
// (the power-on state) and at 0x3B4/0x3B5/0x3BA when it selects monochrome;
// the other trio then reads 0xFF and ignores writes, as on the card. Memory
// window 0xA0000-0xBFFFF, decoded by Graphics register 06h (map 3, B8000-
// BFFFF, in text mode; the rest of the window reads 0xFF).
//
// Power-on state: what QEMU's std VGA holds after its BIOS set mode 3 (80x25
// colour text, 9x16 cells, cursor lines 13-14, the 64-colour EGA palette in the
// DAC), read back register by register by tests/system/c/pcprobe.c. The text
// page holds blanks (space, attribute 07h) and the cursor is at the top left.
//
// Layout of the display memory: like QEMU, byte `offset` of plane `p` is
// vram[offset * 4 + p], and odd/even addressing puts host address A at offset
// A >> 1 of plane A & 1. So text cell n is character vram[4n], attribute
// vram[4n + 1], and the CRTC start address and cursor location count cells.
//
// Deviations:
//   * Nothing is displayed: screen() reads text mode the way the card would
//     scan it (start address, offset register, character height) for the GUI
//     and `run --screen`; graphics modes are not rendered, and the timing
//     registers are stored and read back only.
//   * Input Status #1 does not follow a raster: bits 0 (display disabled) and
//     3 (vertical retrace) toggle together on every read, as in QEMU, so a
//     driver waiting for retrace or for its end never waits long.
//   * The PEL mask (3C6h) reads back what was written (power-on FFh); QEMU 7.2
//     reads 00h there.
//   * DAC entries keep all 8 bits written (QEMU's choice; a real DAC keeps 6).
//   * No light pen, no split screen or smooth scrolling in screen(), no font
//     in plane 2 beyond storing it, no VGA BIOS ROM at 0xC0000.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "device.h"

namespace sy::dev {

// What the screen shows in text mode: for the GUI to draw and `run --screen`.
struct TextScreen {
    struct Cell {
        u8 ch = ' ';
        u8 attr = 0x07;  // foreground bits 3:0, background 6:4, blink (or bright background) 7
    };
    bool text_mode = true;  // false: a graphics mode is set (cells are then not meaningful)
    unsigned cols = 80, rows = 25;
    std::vector<Cell> cells;  // rows * cols, row-major
    bool cursor_visible = true;
    unsigned cursor_row = 0, cursor_col = 0;      // valid when cursor_visible
    u8 cursor_start = 13, cursor_end = 14;         // scan lines of the cursor shape
    u8 char_height = 16;
    std::array<u32, 16> palette{};  // attribute colour n as 0xRRGGBB (through the attribute controller and DAC)

    const Cell& at(unsigned row, unsigned col) const { return cells[row * cols + col]; }
    // One line per row, code page 437 converted to UTF-8, trailing blanks
    // dropped; a character 00h reads as a blank.
    std::string text() const;
};

// The UTF-8 spelling of code page 437 character `c` (the VGA ROM font).
const char* cp437_utf8(u8 c);

class Vga : public PortDevice, public MmioDevice {
public:
    static constexpr u64 kWindowBase = 0xA0000, kWindowSize = 0x20000;
    static constexpr u64 kTextBase = 0xB8000;
    static constexpr u32 kVramSize = 256 * 1024;  // four 64 KiB planes
    // Port ranges for the IoBus (all 8-bit; a 16-bit OUT to an index port is
    // split into index and data, which is how drivers write 3D4h/3C4h/3CEh).
    static constexpr u16 kMonoCrtc = 0x3B4, kMonoStatus = 0x3BA, kRegs = 0x3C0, kColorCrtc = 0x3D4,
                         kColorStatus = 0x3DA;

    Vga();

    u32 io_read(u16 port, unsigned size, u64 now) override;
    void io_write(u16 port, unsigned size, u32 value, u64 now) override;
    // `offset` is from 0xA0000.
    u64 mmio_read(u64 offset, unsigned size, u64 now) override;
    void mmio_write(u64 offset, unsigned size, u64 value, u64 now) override;

    TextScreen screen() const;

    // Views for the debugger and tests, no side effects.
    u8 crtc(u8 index) const { return cr_[index]; }
    u8 sequencer(u8 index) const { return sr_[index & 7]; }
    u8 graphics(u8 index) const { return gr_[index & 15]; }
    u8 attribute(u8 index) const { return ar_[index & 31]; }
    u8 misc_output() const { return misc_; }
    u16 cursor_location() const { return u16(cr_[0x0E] << 8 | cr_[0x0F]); }
    u16 start_address() const { return u16(cr_[0x0C] << 8 | cr_[0x0D]); }
    const std::vector<u8>& vram() const { return vram_; }

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    void serialize(Archive& ar) {
        ar(vram_, latch_, cr_, sr_, gr_, ar_, cr_index_, sr_index_, gr_index_, ar_index_, ar_flip_, misc_, feature_,
           status1_, pel_mask_, dac_, dac_read_, dac_write_, dac_sub_, dac_state_, dac_latch_);
    }

private:
    bool color() const { return misc_ & 1; }
    u8 read_byte(u32 offset);
    void write_byte(u32 offset, u8 value);
    // Maps a window offset to display memory per the memory map select; false
    // when the address is outside the selected map.
    bool map(u32& addr) const;
    u8 read_crtc_data() const { return cr_[cr_index_]; }
    void write_crtc_data(u8 value);
    u8 read_status1();

    std::vector<u8> vram_;
    u32 latch_ = 0;
    std::array<u8, 256> cr_{};
    std::array<u8, 8> sr_{};
    std::array<u8, 16> gr_{};
    std::array<u8, 32> ar_{};
    u8 cr_index_ = 0, sr_index_ = 0, gr_index_ = 0, ar_index_ = 0;
    bool ar_flip_ = false;  // false: the next 3C0h write is an index
    u8 misc_ = 0x67, feature_ = 0, status1_ = 0, pel_mask_ = 0xFF;
    std::array<u8, 256 * 3> dac_{};
    u8 dac_read_ = 0, dac_write_ = 0, dac_sub_ = 0, dac_state_ = 0;
    std::array<u8, 3> dac_latch_{};
};

}  // namespace sy::dev
