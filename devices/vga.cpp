// VGA text mode; see vga.h for the sources, the memory layout and the deviations.
#include "vga.h"

#include <algorithm>

namespace sy::dev {

namespace {

// Mode 3 as QEMU's VGA BIOS leaves it (80x25 colour text, 720x400, 9x16 cells).
constexpr u8 kMode3Crtc[25] = {0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
                               0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
constexpr u8 kMode3Seq[5] = {0x03, 0x00, 0x03, 0x00, 0x02};
constexpr u8 kMode3Gfx[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x0F, 0xFF};
constexpr u8 kMode3Attr[21] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                               0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};

// The bits each register implements (FreeVGA's register descriptions); the
// others read 0.
constexpr u8 kSeqMask[8] = {0x03, 0x3D, 0x0F, 0x3F, 0x0E, 0x00, 0x00, 0x00};
constexpr u8 kGfxMask[16] = {0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF};

// Each bit of a 4-bit plane mask widened to a byte lane of a 32-bit latch word.
constexpr u32 expand_planes(u8 m) {
    return (m & 1 ? 0x000000FFu : 0) | (m & 2 ? 0x0000FF00u : 0) | (m & 4 ? 0x00FF0000u : 0) |
           (m & 8 ? 0xFF000000u : 0);
}

// Register index names used below.
enum : u8 {
    kGrSetReset = 0, kGrEnableSetReset = 1, kGrColorCompare = 2, kGrRotate = 3, kGrReadMap = 4, kGrMode = 5,
    kGrMisc = 6, kGrDontCare = 7, kGrBitMask = 8,
};
enum : u8 { kSrMapMask = 2, kSrMemoryMode = 4 };
constexpr u8 kCrProtect = 0x80;  // CR11 bit 7: registers 00h-07h are read-only

}  // namespace

Vga::Vga() : vram_(kVramSize, 0) {
    std::copy(std::begin(kMode3Crtc), std::end(kMode3Crtc), cr_.begin());
    std::copy(std::begin(kMode3Seq), std::end(kMode3Seq), sr_.begin());
    std::copy(std::begin(kMode3Gfx), std::end(kMode3Gfx), gr_.begin());
    std::copy(std::begin(kMode3Attr), std::end(kMode3Attr), ar_.begin());
    ar_index_ = 0x20;  // palette address source set: the screen is on
    // The EGA palette the BIOS loads for 16-colour modes: DAC entry n has bits
    // rgbRGB, R/G/B worth 2/3 of full scale and r/g/b 1/3.
    for (unsigned n = 0; n < 64; ++n) {
        dac_[3 * n + 0] = u8(42 * (n >> 2 & 1) + 21 * (n >> 5 & 1));
        dac_[3 * n + 1] = u8(42 * (n >> 1 & 1) + 21 * (n >> 4 & 1));
        dac_[3 * n + 2] = u8(42 * (n & 1) + 21 * (n >> 3 & 1));
    }
    for (u32 cell = 0; cell < 0x4000; ++cell) {  // the 32 KiB text window: blanks, grey on black
        vram_[4 * cell] = ' ';
        vram_[4 * cell + 1] = 0x07;
    }
}

// ---- registers ----

void Vga::write_crtc_data(u8 v) {
    if (cr_index_ <= 0x07 && (cr_[0x11] & kCrProtect)) {
        // Protected; only the line compare bit 8 of the overflow register stays writable.
        if (cr_index_ == 0x07) cr_[7] = u8((cr_[7] & ~0x10) | (v & 0x10));
        return;
    }
    cr_[cr_index_] = v;
}

u8 Vga::read_status1() {
    ar_flip_ = false;  // reading Input Status #1 resets the attribute flip-flop
    status1_ ^= 0x09;  // display disabled + vertical retrace: see the deviations
    return status1_;
}

u32 Vga::io_read(u16 port, unsigned size, u64 now) {
    (void)size, (void)now;
    const bool mono_port = port >= 0x3B0 && port <= 0x3BF, color_port = port >= 0x3D0 && port <= 0x3DF;
    if ((mono_port && color()) || (color_port && !color())) return 0xFF;  // the other addressing is not decoded
    switch (port) {
    case 0x3B4:
    case 0x3D4: return cr_index_;
    case 0x3B5:
    case 0x3D5: return read_crtc_data();
    case 0x3BA:
    case 0x3DA: return read_status1();
    case 0x3C0: return ar_flip_ ? 0 : ar_index_;
    case 0x3C1: {
        u8 i = ar_index_ & 0x1F;
        return i < 0x15 ? ar_[i] : 0;
    }
    case 0x3C2: return 0x00;  // Input Status #0
    case 0x3C4: return sr_index_;
    case 0x3C5: return sr_[sr_index_];
    case 0x3C6: return pel_mask_;
    case 0x3C7: return dac_state_;
    case 0x3C8: return dac_write_;
    case 0x3C9: {
        u8 v = dac_[3 * dac_read_ + dac_sub_];
        if (++dac_sub_ == 3) dac_sub_ = 0, ++dac_read_;
        return v;
    }
    case 0x3CA: return feature_;
    case 0x3CC: return misc_;
    case 0x3CE: return gr_index_;
    case 0x3CF: return gr_[gr_index_];
    default: return 0x00;  // 3C3h, 3CBh, 3CDh: nothing there (QEMU reads 00h)
    }
}

void Vga::io_write(u16 port, unsigned size, u32 value, u64 now) {
    (void)size, (void)now;
    const u8 v = u8(value);
    const bool mono_port = port >= 0x3B0 && port <= 0x3BF, color_port = port >= 0x3D0 && port <= 0x3DF;
    if ((mono_port && color()) || (color_port && !color())) return;
    switch (port) {
    case 0x3B4:
    case 0x3D4: cr_index_ = v; break;
    case 0x3B5:
    case 0x3D5: write_crtc_data(v); break;
    case 0x3BA:
    case 0x3DA: feature_ = v; break;
    case 0x3C0:
        if (!ar_flip_) {
            ar_index_ = v & 0x3F;
        } else {
            u8 i = ar_index_ & 0x1F;
            if (i < 0x10) ar_[i] = v & 0x3F;
            else if (i == 0x10) ar_[i] = v & ~0x10;
            else if (i == 0x11) ar_[i] = v;
            else if (i == 0x12) ar_[i] = v & 0x3F;
            else if (i == 0x13 || i == 0x14) ar_[i] = v & 0x0F;
        }
        ar_flip_ = !ar_flip_;
        break;
    case 0x3C2: misc_ = v & ~0x10; break;
    case 0x3C4: sr_index_ = v & 7; break;
    case 0x3C5: sr_[sr_index_] = v & kSeqMask[sr_index_]; break;
    case 0x3C6: pel_mask_ = v; break;
    case 0x3C7: dac_read_ = v, dac_sub_ = 0, dac_state_ = 3; break;
    case 0x3C8: dac_write_ = v, dac_sub_ = 0, dac_state_ = 0; break;
    case 0x3C9:
        dac_latch_[dac_sub_] = v;
        if (++dac_sub_ == 3) {
            std::copy(dac_latch_.begin(), dac_latch_.end(), dac_.begin() + 3 * dac_write_);
            dac_sub_ = 0, ++dac_write_;
        }
        break;
    case 0x3CE: gr_index_ = v & 0x0F; break;
    case 0x3CF: gr_[gr_index_] = v & kGfxMask[gr_index_]; break;
    default: break;
    }
}

// ---- display memory ----

bool Vga::map(u32& addr) const {
    switch ((gr_[kGrMisc] >> 2) & 3) {
    case 0: return true;                                        // A0000-BFFFF, 128 KiB
    case 1: return addr < 0x10000;                              // A0000-AFFFF
    case 2: addr -= 0x10000; return addr < 0x8000;             // B0000-B7FFF
    default: addr -= 0x18000; return addr < 0x8000;            // B8000-BFFFF
    }
}

u8 Vga::read_byte(u32 addr) {
    if (!map(addr)) return 0xFF;
    if (sr_[kSrMemoryMode] & 0x08) return vram_[addr & (kVramSize - 1)];  // chain-4: plane = addr & 3
    if (gr_[kGrMode] & 0x10) {                                           // odd/even: plane = addr & 1
        u32 plane = (gr_[kGrReadMap] & 2) | (addr & 1);
        return vram_[((addr >> 1) * 4 + plane) & (kVramSize - 1)];
    }
    // Planar: every read loads the four latches.
    u32 off = (addr & 0xFFFF) * 4;
    latch_ = u32(vram_[off]) | u32(vram_[off + 1]) << 8 | u32(vram_[off + 2]) << 16 | u32(vram_[off + 3]) << 24;
    if (!(gr_[kGrMode] & 0x08)) return u8(latch_ >> (8 * (gr_[kGrReadMap] & 3)));  // read mode 0
    // Read mode 1: a 1 for each pixel whose colour matches Color Compare in the
    // planes Color Don't Care selects.
    u32 diff = (latch_ ^ expand_planes(gr_[kGrColorCompare])) & expand_planes(gr_[kGrDontCare]);
    diff |= diff >> 16;
    diff |= diff >> 8;
    return u8(~diff);
}

void Vga::write_byte(u32 addr, u8 v) {
    if (!map(addr)) return;
    const u8 map_mask = sr_[kSrMapMask];
    if (sr_[kSrMemoryMode] & 0x08) {
        if (map_mask & (1u << (addr & 3))) vram_[addr & (kVramSize - 1)] = v;
        return;
    }
    if (gr_[kGrMode] & 0x10) {
        u32 plane = (gr_[kGrReadMap] & 2) | (addr & 1);
        if (map_mask & (1u << plane)) vram_[((addr >> 1) * 4 + plane) & (kVramSize - 1)] = v;
        return;
    }
    // Planar write modes: build one byte per plane, then merge through the bit
    // mask with the latches and store in the planes the map mask enables.
    const u8 rotate = gr_[kGrRotate] & 7;
    const u8 rotated = u8((v >> rotate) | (v << ((8 - rotate) & 7)));
    u32 data;
    u8 bit_mask = gr_[kGrBitMask];
    switch (gr_[kGrMode] & 3) {
    case 0: {
        data = rotated * 0x01010101u;
        u32 sr_lanes = expand_planes(gr_[kGrEnableSetReset]);
        data = (data & ~sr_lanes) | (expand_planes(gr_[kGrSetReset]) & sr_lanes);
        break;
    }
    case 1: data = latch_, bit_mask = 0xFF; break;  // the latches as they are
    case 2: data = expand_planes(v & 0x0F); break;
    default:
        bit_mask &= rotated;
        data = expand_planes(gr_[kGrSetReset]);
        break;
    }
    if ((gr_[kGrMode] & 3) != 1) {
        switch (gr_[kGrRotate] >> 3 & 3) {  // function select
        case 1: data &= latch_; break;
        case 2: data |= latch_; break;
        case 3: data ^= latch_; break;
        default: break;
        }
    }
    u32 bits = bit_mask * 0x01010101u;
    data = (data & bits) | (latch_ & ~bits);
    u32 off = (addr & 0xFFFF) * 4;
    for (unsigned p = 0; p < 4; ++p)
        if (map_mask & (1u << p)) vram_[off + p] = u8(data >> (8 * p));
}

u64 Vga::mmio_read(u64 offset, unsigned size, u64 now) {
    (void)now;
    u64 v = 0;
    for (unsigned k = 0; k < size; ++k) v |= u64(read_byte(u32(offset + k))) << (8 * k);
    return v;
}

void Vga::mmio_write(u64 offset, unsigned size, u64 value, u64 now) {
    (void)now;
    for (unsigned k = 0; k < size; ++k) write_byte(u32(offset + k), u8(value >> (8 * k)));
}

// ---- the screen ----

TextScreen Vga::screen() const {
    TextScreen s;
    s.text_mode = !(gr_[kGrMisc] & 1);
    s.char_height = u8((cr_[0x09] & 0x1F) + 1);
    unsigned lines = (cr_[0x12] | (cr_[0x07] & 0x02) << 7 | (cr_[0x07] & 0x40) << 3) + 1;
    if (cr_[0x09] & 0x80) lines /= 2;  // double scan
    s.cols = std::clamp(unsigned(cr_[0x01]) + 1, 1u, 256u);
    s.rows = std::clamp(lines / s.char_height, 1u, 128u);
    const unsigned stride = std::max(2u * cr_[0x13], 1u);  // cells per row: the offset register counts words
    const unsigned start = start_address();
    s.cells.resize(s.rows * s.cols);
    for (unsigned r = 0; r < s.rows; ++r)
        for (unsigned c = 0; c < s.cols; ++c) {
            u32 off = ((start + r * stride + c) & 0xFFFF) * 4;
            s.cells[r * s.cols + c] = {vram_[off], vram_[off + 1]};
        }
    s.cursor_start = cr_[0x0A] & 0x1F;
    s.cursor_end = cr_[0x0B] & 0x1F;
    int rel = int(cursor_location()) - int(start);
    s.cursor_visible = !(cr_[0x0A] & 0x20) && rel >= 0 && unsigned(rel) / stride < s.rows && unsigned(rel) % stride < s.cols;
    if (s.cursor_visible) s.cursor_row = unsigned(rel) / stride, s.cursor_col = unsigned(rel) % stride;
    for (unsigned n = 0; n < 16; ++n) {
        unsigned index = (ar_[0x10] & 0x80) ? (ar_[n] & 0x0F) | (ar_[0x14] & 0x0F) << 4
                                            : (ar_[n] & 0x3F) | (ar_[0x14] & 0x0C) << 4;
        auto scale = [](u8 v) { return u32((v & 0x3F) * 255 / 63); };
        s.palette[n] = scale(dac_[3 * index]) << 16 | scale(dac_[3 * index + 1]) << 8 | scale(dac_[3 * index + 2]);
    }
    return s;
}

std::string TextScreen::text() const {
    if (!text_mode) return "[VGA graphics mode: not rendered]\n";
    std::string out;
    for (unsigned r = 0; r < rows; ++r) {
        std::string line;
        size_t keep = 0;  // length up to the last non-blank
        for (unsigned c = 0; c < cols; ++c) {
            u8 ch = at(r, c).ch;
            line += cp437_utf8(ch);
            if (ch != ' ' && ch != 0 && ch != 0xFF) keep = line.size();
        }
        line.resize(keep);
        out += line;
        out += '\n';
    }
    return out;
}

const char* cp437_utf8(u8 c) {
    // Code page 437 as the VGA ROM font draws it: 00h blank, 01h-1Fh and 7Fh the
    // graphic symbols, 80h-FFh accented letters, box drawing, Greek and maths.
    static const char* const kHigh[128] = {
        "Ç", "ü", "é", "â", "ä", "à", "å", "ç", "ê", "ë", "è", "ï", "î", "ì", "Ä", "Å",
        "É", "æ", "Æ", "ô", "ö", "ò", "û", "ù", "ÿ", "Ö", "Ü", "¢", "£", "¥", "₧", "ƒ",
        "á", "í", "ó", "ú", "ñ", "Ñ", "ª", "º", "¿", "⌐", "¬", "½", "¼", "¡", "«", "»",
        "░", "▒", "▓", "│", "┤", "╡", "╢", "╖", "╕", "╣", "║", "╗", "╝", "╜", "╛", "┐",
        "└", "┴", "┬", "├", "─", "┼", "╞", "╟", "╚", "╔", "╩", "╦", "╠", "═", "╬", "╧",
        "╨", "╤", "╥", "╙", "╘", "╒", "╓", "╫", "╪", "┘", "┌", "█", "▄", "▌", "▐", "▀",
        "α", "ß", "Γ", "π", "Σ", "σ", "µ", "τ", "Φ", "Θ", "Ω", "δ", "∞", "φ", "ε", "∩",
        "≡", "±", "≥", "≤", "⌠", "⌡", "÷", "≈", "°", "∙", "·", "√", "ⁿ", "²", "■", " ",
    };
    static const char* const kLow[32] = {
        " ", "☺", "☻", "♥", "♦", "♣", "♠", "•", "◘", "○", "◙", "♂", "♀", "♪", "♫", "☼",
        "►", "◄", "↕", "‼", "¶", "§", "▬", "↨", "↑", "↓", "→", "←", "∟", "↔", "▲", "▼",
    };
    static const auto kAscii = [] {
        std::array<std::array<char, 2>, 128> a{};
        for (unsigned n = 0; n < 128; ++n) a[n][0] = char(n);
        return a;
    }();
    if (c >= 0x80) return kHigh[c - 0x80];
    if (c < 0x20) return kLow[c];
    if (c == 0x7F) return "⌂";
    return kAscii[c].data();
}

}  // namespace sy::dev
