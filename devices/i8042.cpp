// Keyboard controller, PS/2 keyboard and mouse, port 0x92; see i8042.h for the
// sources, the power-on state and the deviations.
#include "i8042.h"

#include <array>
#include <string>

namespace sy::dev {

namespace {

// The controller's translation ROM: the set 1 code for each set 2 byte. The
// upper half passes bytes through except 83h (F7) and 84h (SysRq), whose set 2
// codes are above 7Fh; the prefixes E0h/E1h and the keyboard's answers
// (FAh, AAh, EEh, FEh, ABh) therefore reach the guest unchanged, and the ID
// byte 83h arrives as 41h (IBM PS/2 reference, "Scan Code Translation").
constexpr std::array<u8, 256> kSet2ToSet1 = [] {
    constexpr u8 low[128] = {
        0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
        0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
        0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
        0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
        0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
        0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
        0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
        0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
    };
    std::array<u8, 256> t{};
    for (unsigned n = 0; n < 256; ++n) t[n] = n < 128 ? low[n] : u8(n);
    t[0x83] = 0x41;
    t[0x84] = 0x54;
    return t;
}();

struct KeyName {
    Key key;
    const char* name;
};

constexpr KeyName kKeyNames[] = {
    {Key::Escape, "Escape"}, {Key::D1, "D1"}, {Key::D2, "D2"}, {Key::D3, "D3"}, {Key::D4, "D4"}, {Key::D5, "D5"},
    {Key::D6, "D6"}, {Key::D7, "D7"}, {Key::D8, "D8"}, {Key::D9, "D9"}, {Key::D0, "D0"}, {Key::Minus, "Minus"},
    {Key::Equal, "Equal"}, {Key::Backspace, "Backspace"}, {Key::Tab, "Tab"}, {Key::Q, "Q"}, {Key::W, "W"},
    {Key::E, "E"}, {Key::R, "R"}, {Key::T, "T"}, {Key::Y, "Y"}, {Key::U, "U"}, {Key::I, "I"}, {Key::O, "O"},
    {Key::P, "P"}, {Key::LeftBracket, "LeftBracket"}, {Key::RightBracket, "RightBracket"}, {Key::Enter, "Enter"},
    {Key::LeftCtrl, "LeftCtrl"}, {Key::A, "A"}, {Key::S, "S"}, {Key::D, "D"}, {Key::F, "F"}, {Key::G, "G"},
    {Key::H, "H"}, {Key::J, "J"}, {Key::K, "K"}, {Key::L, "L"}, {Key::Semicolon, "Semicolon"},
    {Key::Apostrophe, "Apostrophe"}, {Key::Grave, "Grave"}, {Key::LeftShift, "LeftShift"},
    {Key::Backslash, "Backslash"}, {Key::Z, "Z"}, {Key::X, "X"}, {Key::C, "C"}, {Key::V, "V"}, {Key::B, "B"},
    {Key::N, "N"}, {Key::M, "M"}, {Key::Comma, "Comma"}, {Key::Period, "Period"}, {Key::Slash, "Slash"},
    {Key::RightShift, "RightShift"}, {Key::KpMultiply, "KpMultiply"}, {Key::LeftAlt, "LeftAlt"},
    {Key::Space, "Space"}, {Key::CapsLock, "CapsLock"}, {Key::F1, "F1"}, {Key::F2, "F2"}, {Key::F3, "F3"},
    {Key::F4, "F4"}, {Key::F5, "F5"}, {Key::F6, "F6"}, {Key::F7, "F7"}, {Key::F8, "F8"}, {Key::F9, "F9"},
    {Key::F10, "F10"}, {Key::NumLock, "NumLock"}, {Key::ScrollLock, "ScrollLock"}, {Key::Kp7, "Kp7"},
    {Key::Kp8, "Kp8"}, {Key::Kp9, "Kp9"}, {Key::KpMinus, "KpMinus"}, {Key::Kp4, "Kp4"}, {Key::Kp5, "Kp5"},
    {Key::Kp6, "Kp6"}, {Key::KpPlus, "KpPlus"}, {Key::Kp1, "Kp1"}, {Key::Kp2, "Kp2"}, {Key::Kp3, "Kp3"},
    {Key::Kp0, "Kp0"}, {Key::KpPeriod, "KpPeriod"}, {Key::SysRq, "SysRq"}, {Key::NonUsBackslash, "NonUsBackslash"},
    {Key::F11, "F11"}, {Key::F12, "F12"}, {Key::KpEnter, "KpEnter"}, {Key::RightCtrl, "RightCtrl"},
    {Key::KpDivide, "KpDivide"}, {Key::PrintScreen, "PrintScreen"}, {Key::RightAlt, "RightAlt"},
    {Key::Home, "Home"}, {Key::Up, "Up"}, {Key::PageUp, "PageUp"}, {Key::Left, "Left"}, {Key::Right, "Right"},
    {Key::End, "End"}, {Key::Down, "Down"}, {Key::PageDown, "PageDown"}, {Key::Insert, "Insert"},
    {Key::Delete, "Delete"}, {Key::LeftGui, "LeftGui"}, {Key::RightGui, "RightGui"}, {Key::Menu, "Menu"},
    {Key::Pause, "Pause"},
};

// The set 2 code of a key's last byte: the translation ROM read backwards,
// except F7 and SysRq whose set 2 codes are the two above 7Fh.
u8 set2_code(u8 set1) {
    if (set1 == 0x41) return 0x83;
    if (set1 == 0x54) return 0x84;
    for (unsigned n = 1; n < 128; ++n)
        if (kSet2ToSet1[n] == set1) return u8(n);
    return 0;
}

constexpr size_t kDeviceBuffer = 64;
constexpr u8 kAck = 0xFA, kResend = 0xFE, kBatOk = 0xAA, kEcho = 0xEE;

}  // namespace

std::optional<Key> key_from_name(std::string_view name) {
    for (const KeyName& k : kKeyNames)
        if (name == k.name) return k.key;
    return std::nullopt;
}

void I8042::Device::send(u8 b) {
    if (out.size() < kDeviceBuffer) out.push_back(b);
    last = b;
}

I8042::I8042(IrqLine kbd_irq, IrqLine mouse_irq, std::function<void()> reset, std::function<void(bool)> a20)
    : kbd_irq_(kbd_irq), mouse_irq_(mouse_irq), reset_(std::move(reset)), a20_(std::move(a20)) {}

u8 I8042::status() const { return status_ | (obf_ ? kStatOutFull : 0) | (obf_ && obuf_aux_ ? kStatAuxData : 0); }

void I8042::update_irqs() {
    bool kbd = obf_ && !obuf_aux_ && (cb_ & kCbKbdInt), mouse = obf_ && obuf_aux_ && (cb_ & kCbAuxInt);
    if (kbd != irq_kbd_) kbd_irq_.set(kbd);
    if (mouse != irq_mouse_) mouse_irq_.set(mouse);
    irq_kbd_ = kbd, irq_mouse_ = mouse;
}

void I8042::answer(u8 v, bool aux) {
    obuf_ = v, obf_ = true, obuf_aux_ = aux;
    update_irqs();
}

void I8042::refill() {
    while (!obf_) {
        if (!(cb_ & kCbKbdOff) && !kbd_.out.empty()) {
            u8 b = kbd_.out.front();
            kbd_.out.pop_front();
            if (cb_ & kCbTranslate) {
                if (b == 0xF0) {  // a set 2 break prefix becomes bit 7 of the next code
                    break_prefix_ = true;
                    continue;
                }
                b = u8(kSet2ToSet1[b] | (break_prefix_ ? 0x80 : 0));
                break_prefix_ = false;
            }
            obuf_ = b, obf_ = true, obuf_aux_ = false;
        } else if (!(cb_ & kCbAuxOff) && !mouse_.out.empty()) {
            obuf_ = mouse_.out.front(), obf_ = true, obuf_aux_ = true;
            mouse_.out.pop_front();
        } else {
            break;
        }
    }
    update_irqs();
}

void I8042::set_outport(u8 v) {
    outport_ = v;
    if (a20_) a20_(v & 0x02);
    if (!(v & 0x01) && reset_) reset_();  // bit 0 is the CPU reset line, active low
}

u32 I8042::io_read(u16 port, unsigned size, u64 now) {
    (void)size, (void)now;
    if (port == kCommand) return status();
    // Data: the output buffer (its last value again when it is empty, as QEMU).
    u8 v = obuf_;
    if (obf_) {
        obf_ = false;
        update_irqs();  // the line falls; the next byte raises it again
        refill();
    }
    return v;
}

void I8042::io_write(u16 port, unsigned size, u32 value, u64 now) {
    (void)size, (void)now;
    u8 v = u8(value);
    if (port == kCommand) {
        controller_command(v);
        return;
    }
    if (cmd_pending_) {
        controller_data(v);
        return;
    }
    // A byte for the keyboard; talking to it re-enables its interface (QEMU).
    cb_ &= ~kCbKbdOff;
    keyboard_command(v);
    refill();
}

void I8042::controller_command(u8 v) {
    status_ |= kStatCommand;
    switch (v) {
    case 0x20: answer(cb_); break;                  // read command byte
    case 0x60: case 0xD1: case 0xD2: case 0xD3: case 0xD4:
        cmd_pending_ = v;                           // the next data byte is for the command
        break;
    case 0xA7: cb_ |= kCbAuxOff; break;             // disable the mouse interface
    case 0xA8: cb_ &= ~kCbAuxOff; refill(); break;  // enable it
    case 0xA9: answer(0x00); break;                 // mouse interface test: no error
    case 0xAA:                                      // self-test: passed, system flag set
        status_ |= kStatSystem;
        answer(0x55);
        break;
    case 0xAB: answer(0x00); break;                 // keyboard interface test: no error
    case 0xAD: cb_ |= kCbKbdOff; break;             // disable the keyboard interface
    case 0xAE: cb_ &= ~kCbKbdOff; refill(); break;  // enable it
    case 0xC0: answer(0x80); break;                 // input port: keyboard not inhibited
    case 0xD0:                                      // output port; bits 4/5 show the buffer state
        answer(u8((outport_ & ~0x30) | (obf_ && !obuf_aux_ ? 0x10 : 0) | (obf_ && obuf_aux_ ? 0x20 : 0)));
        break;
    default:
        if (v >= 0xF0) {  // pulse output lines: a 0 in bit n pulses line n; line 0 is reset
            if (!(v & 0x01) && reset_) reset_();
        }
        break;  // everything else: accepted, no answer (see the deviations)
    }
}

void I8042::controller_data(u8 v) {
    u8 cmd = cmd_pending_;
    cmd_pending_ = 0;
    switch (cmd) {
    case 0x60:
        cb_ = v;
        refill();
        break;
    case 0xD1: set_outport(v); break;
    case 0xD2: answer(v); break;        // as if the keyboard had sent it (no translation)
    case 0xD3: answer(v, true); break;  // as if the mouse had sent it
    case 0xD4:  // a byte for the mouse; talking to it re-enables its interface (QEMU)
        cb_ &= ~kCbAuxOff;
        mouse_command(v);
        refill();
        break;
    default: break;
    }
}

void I8042::keyboard_command(u8 v) {
    Device& k = kbd_;
    if (k.pending_cmd) {  // the parameter of EDh, F0h or F3h
        u8 c = k.pending_cmd;
        k.pending_cmd = 0;
        if (c == 0xF0 && v == 0) {
            k.send(kAck);
            k.send(scan_set_);  // 02h, translated to 41h on the way
            return;
        }
        if (c == 0xF0 && v <= 3) scan_set_ = v;
        k.send(kAck);
        return;
    }
    switch (v) {
    case 0xED: case 0xF0: case 0xF3:  // set LEDs, scan code set, typematic: a parameter follows
        k.pending_cmd = v;
        k.send(kAck);
        break;
    case 0xEE: k.send(kEcho); break;
    case 0xF2:  // identify: MF2 keyboard
        k.send(kAck), k.send(0xAB), k.send(0x83);
        break;
    case 0xF4: k.enabled = true, k.send(kAck); break;
    case 0xF5:  // disable scanning and restore the defaults
        k.enabled = false, scan_set_ = 2, k.send(kAck);
        break;
    case 0xF6: k.enabled = true, scan_set_ = 2, k.send(kAck); break;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFD:
        k.send(kAck);  // set 3 key types: acknowledged, no effect
        break;
    case 0xFE: k.send(k.last); break;
    case 0xFF:  // reset: acknowledge, self-test passed
        k.out.clear();
        k.enabled = true, scan_set_ = 2;
        k.send(kAck), k.send(kBatOk);
        break;
    default: k.send(kResend); break;
    }
}

void I8042::mouse_command(u8 v) {
    Device& m = mouse_;
    if (m.pending_cmd) {  // the parameter of E8h (resolution) or F3h (sample rate)
        m.pending_cmd = 0;
        m.send(kAck);
        return;
    }
    switch (v) {
    case 0xE8: case 0xF3: m.pending_cmd = v, m.send(kAck); break;
    case 0xE9: m.send(kAck), m.send(0x00), m.send(0x02), m.send(100); break;  // status: stream, 4/mm, 100/s
    case 0xF2: m.send(kAck), m.send(0x00); break;                             // ID: standard PS/2 mouse
    case 0xF4: m.enabled = true, m.send(kAck); break;
    case 0xF5: m.enabled = false, m.send(kAck); break;
    case 0xFF: m.out.clear(), m.enabled = false, m.send(kAck), m.send(kBatOk), m.send(0x00); break;
    default: m.send(kAck); break;
    }
}

void I8042::key(Key key, bool pressed) {
    Device& k = kbd_;
    if (!k.enabled) return;
    const u16 code = u16(key);
    if (key == Key::Pause) {  // no break sequence
        if (!pressed) return;
        if (scan_set_ == 1) {
            for (u8 b : {0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5}) k.send(b);
        } else {
            for (u8 b : {0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77}) k.send(b);
        }
    } else if (key == Key::PrintScreen) {  // fake left shift + the key
        if (scan_set_ == 1) {
            for (u8 b : pressed ? std::array<u8, 4>{0xE0, 0x2A, 0xE0, 0x37} : std::array<u8, 4>{0xE0, 0xB7, 0xE0, 0xAA})
                k.send(b);
        } else if (pressed) {
            for (u8 b : {0xE0, 0x12, 0xE0, 0x7C}) k.send(b);
        } else {
            for (u8 b : {0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12}) k.send(b);
        }
    } else {
        const bool extended = code >> 8 == 0xE0;
        const u8 set1 = u8(code);
        if (extended) k.send(0xE0);
        if (scan_set_ == 1) {
            k.send(pressed ? set1 : u8(set1 | 0x80));
        } else {
            if (!pressed) k.send(0xF0);
            k.send(set2_code(set1));
        }
    }
    refill();
}

void Port92::io_write(u16, unsigned, u32 value, u64) {
    u8 old = value_;
    value_ = u8(value);
    if (a20_) a20_(value_ & 0x02);
    if (!(old & 0x01) && (value_ & 0x01) && reset_) reset_();
}

}  // namespace sy::dev
