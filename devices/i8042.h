// The PC keyboard controller (Intel 8042 as IBM programmed it for the AT and
// PS/2) with a PS/2 keyboard and a PS/2 mouse behind it, and the chipset's
// System Control Port A at 0x92 (fast A20 gate and fast reset).
// Sources: IBM Personal System/2 Hardware Interface Technical Reference,
// "Keyboard/Auxiliary Device Controller" (status register, command byte,
// controller commands 20h-FFh, output port, the set 2 -> set 1 translation),
// "Keyboard" (commands EDh-FFh, responses FAh/AAh/EEh/FEh, scan code sets 1
// and 2, make/break sequences incl. Print Screen and Pause), "Pointing Device"
// (the mouse command set); Intel 82371AB (PIIX4) datasheet, "Port 92h" (bit 0
// fast reset on a 0 -> 1 write, bit 1 A20 gate).
//
// PC wiring: data 0x60, status/command 0x64; keyboard on IRQ 1, mouse on
// IRQ 12 (command byte bits 0 and 1 enable them). The machine receives reset
// requests (0xFE and the other pulse commands with bit 0, an output port write
// with bit 0 clear, port 0x92 bit 0) and the two A20 gate outputs (told at
// every write of their register; the machine lets the last write win, as QEMU
// does).
//
// Host side: key(k, pressed) is a key going down or up. Keys are named by their
// scan code set 1 make code (Key below); the keyboard sends set 2 bytes, which
// the controller translates back to set 1 while command byte bit 6 is set (the
// BIOS default, as on every PC), so guests see the codes of the Key names.
// Bytes wait in the keyboard's buffer until the controller's output buffer is
// free, one per read of port 0x60, each raising IRQ 1 again.
//
// Power-on state: what QEMU's i8042 shows after SeaBIOS initialised it (probed
// by tests/system/c/pcprobe.c): status 1Ch, command byte 61h (translation,
// system flag, keyboard interrupt, mouse disabled), output port CFh, port 0x92
// 02h, the keyboard scanning in set 2, 0x60 reading FAh (the last byte the BIOS
// received). The machine's firmware step (emu/bios.cpp) gets there through the
// ports.
//
// Deviations:
//   * Commands and their answers take no time: the input buffer full bit (1)
//     is never set, and the timeout and parity bits (6, 7) are never set.
//   * Status bit 3 (last write was a command) always reads 1, as in QEMU, and
//     the system flag (bit 2) is set by the self-test (AAh) only.
//   * Controller answers overwrite the output buffer (QEMU's choice); device
//     bytes wait. Commands 21h-3Fh and 61h-7Fh (internal RAM), C1h-C2h, E0h
//     are accepted without an answer, as in QEMU.
//   * The keyboard knows sets 1 and 2; selecting set 3 is acknowledged and
//     reported but set 2 is sent. Typematic repeat is not generated (the host
//     sends repeated presses if it wants them); LED and rate bytes are stored.
//   * The mouse answers its commands (ID 00h, status 00h 02h 64h) but never
//     moves. A full device buffer (64 bytes) drops further bytes.
#pragma once
#include <deque>
#include <functional>
#include <optional>
#include <string_view>

#include "device.h"

namespace sy::dev {

// A key, by its scan code set 1 make code; E0-prefixed keys have E0h in the
// high byte. PrintScreen and Pause have longer sequences (see key()).
enum class Key : u16 {
    Escape = 0x01, D1 = 0x02, D2, D3, D4, D5, D6, D7, D8, D9, D0, Minus, Equal, Backspace, Tab,
    Q = 0x10, W, E, R, T, Y, U, I, O, P, LeftBracket, RightBracket, Enter, LeftCtrl,
    A = 0x1E, S, D, F, G, H, J, K, L, Semicolon, Apostrophe, Grave, LeftShift, Backslash,
    Z = 0x2C, X, C, V, B, N, M, Comma, Period, Slash, RightShift, KpMultiply, LeftAlt, Space, CapsLock,
    F1 = 0x3B, F2, F3, F4, F5, F6, F7, F8, F9, F10, NumLock, ScrollLock,
    Kp7 = 0x47, Kp8, Kp9, KpMinus, Kp4, Kp5, Kp6, KpPlus, Kp1, Kp2, Kp3, Kp0, KpPeriod,
    SysRq = 0x54, NonUsBackslash = 0x56, F11 = 0x57, F12 = 0x58,
    KpEnter = 0xE01C, RightCtrl = 0xE01D, KpDivide = 0xE035, PrintScreen = 0xE037, RightAlt = 0xE038,
    Home = 0xE047, Up = 0xE048, PageUp = 0xE049, Left = 0xE04B, Right = 0xE04D, End = 0xE04F,
    Down = 0xE050, PageDown = 0xE051, Insert = 0xE052, Delete = 0xE053, LeftGui = 0xE05B,
    RightGui = 0xE05C, Menu = 0xE05D, Pause = 0xE11D,
};

// The key's name as in the enum ("A", "Enter", "Up", "F1", "D1" for 1), for
// tests and command lines; nullopt for an unknown name.
std::optional<Key> key_from_name(std::string_view name);

class I8042 : public PortDevice {
public:
    static constexpr u16 kData = 0x60, kCommand = 0x64;
    static constexpr unsigned kKbdIrq = 1, kMouseIrq = 12;
    // Status register bits.
    static constexpr u8 kStatOutFull = 0x01, kStatSystem = 0x04, kStatCommand = 0x08, kStatUnlocked = 0x10,
                        kStatAuxData = 0x20;
    // Command byte bits.
    static constexpr u8 kCbKbdInt = 0x01, kCbAuxInt = 0x02, kCbSystem = 0x04, kCbKbdOff = 0x10, kCbAuxOff = 0x20,
                        kCbTranslate = 0x40;

    // `reset` is called for a reset pulse, `a20` with the gate's new level.
    I8042(IrqLine kbd_irq, IrqLine mouse_irq, std::function<void()> reset = {}, std::function<void(bool)> a20 = {});

    u32 io_read(u16 port, unsigned size, u64 now) override;
    void io_write(u16 port, unsigned size, u32 value, u64 now) override;

    // Host side: a key going down (pressed) or up.
    void key(Key k, bool pressed);

    // Views for the debugger and tests, no side effects.
    u8 status() const;
    u8 command_byte() const { return cb_; }
    u8 output_port() const { return outport_; }
    bool a20() const { return outport_ & 0x02; }
    size_t keyboard_pending() const { return kbd_.out.size(); }

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    void serialize(Archive& ar) {
        ar(kbd_, mouse_, scan_set_, cb_, status_, outport_, obuf_, obf_, obuf_aux_, break_prefix_, cmd_pending_,
           irq_kbd_, irq_mouse_);
    }

private:
    struct Device {
        std::deque<u8> out;   // bytes for the controller
        u8 pending_cmd = 0;   // a command waiting for its parameter byte
        u8 last = 0;          // for Resend (FEh)
        bool enabled = true;  // keyboard: scanning; mouse: data reporting
        void send(u8 b);
        void serialize(Archive& ar) { ar(out, pending_cmd, last, enabled); }
    };
    void keyboard_command(u8 v);
    void mouse_command(u8 v);
    void controller_command(u8 v);
    void controller_data(u8 v);  // a data byte for the command in cmd_pending_
    // The controller's own answer: it takes the output buffer at once.
    void answer(u8 v, bool aux = false);
    // Moves the next device byte into a free output buffer (translating keyboard
    // bytes), then sets the IRQ lines.
    void refill();
    void update_irqs();
    void set_outport(u8 v);

    IrqLine kbd_irq_, mouse_irq_;
    std::function<void()> reset_;
    std::function<void(bool)> a20_;
    Device kbd_, mouse_;
    u8 scan_set_ = 2;
    u8 cb_ = kCbKbdInt | kCbAuxInt | kCbTranslate;  // 8042 reset value (the BIOS rewrites it)
    u8 status_ = kStatCommand | kStatUnlocked;
    u8 outport_ = 0xCF;     // reset high, A20 on, bits 2-3 and 6-7 high
    u8 obuf_ = 0;
    bool obf_ = false, obuf_aux_ = false;
    bool break_prefix_ = false;  // translation: an F0h was swallowed
    u8 cmd_pending_ = 0;         // controller command waiting for a data byte (60h, D1h-D4h)
    bool irq_kbd_ = false, irq_mouse_ = false;
};

// System Control Port A (0x92): bit 1 the A20 gate, bit 0 a reset on a 0 -> 1
// write; reads back what was written.
class Port92 : public PortDevice {
public:
    static constexpr u16 kPort = 0x92;
    Port92(std::function<void()> reset = {}, std::function<void(bool)> a20 = {})
        : reset_(std::move(reset)), a20_(std::move(a20)) {}
    u32 io_read(u16, unsigned, u64) override { return value_; }
    void io_write(u16, unsigned, u32 value, u64) override;
    bool a20() const { return value_ & 0x02; }
    void serialize(Archive& ar) { ar(value_); }

private:
    std::function<void()> reset_;
    std::function<void(bool)> a20_;
    u8 value_ = 0;
};

}  // namespace sy::dev
