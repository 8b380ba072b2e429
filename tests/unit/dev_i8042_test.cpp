// The keyboard controller and its devices. Scan codes are the IBM PS/2
// reference's (set 1 and set 2 tables, the translation of set 2 to set 1 by
// the controller, the make/break rules: set 1 break = make | 80h, set 2 break =
// F0h then make, E0h prefixes kept), the commands and answers are the ones
// i8042.h cites, checked against QEMU where noted (tests/system/c/pcprobe.c).
#include <doctest/doctest.h>

#include <vector>

#include "dev_support.h"
#include "i8042.h"

using namespace sy;
using namespace sy::dev;

namespace {
struct Rig {
    test::IrqRecorder irq;
    int resets = 0;
    std::vector<bool> a20;
    I8042 kbc{{&irq, 1}, {&irq, 12}, [this] { ++resets; }, [this](bool on) { a20.push_back(on); }};
    void cmd(u8 c) { kbc.io_write(0x64, 1, c, 0); }
    void data(u8 d) { kbc.io_write(0x60, 1, d, 0); }
    u8 status() { return u8(kbc.io_read(0x64, 1, 0)); }
    // Everything in the output buffer, one read of 0x60 per byte.
    std::vector<u8> drain() {
        std::vector<u8> out;
        while (status() & 1) out.push_back(u8(kbc.io_read(0x60, 1, 0)));
        return out;
    }
    void set_command_byte(u8 v) { cmd(0x60), data(v); }
};
using Bytes = std::vector<u8>;
}  // namespace

TEST_CASE("i8042: with translation keys arrive as set 1 make and break codes") {
    Rig r;
    r.set_command_byte(0x40);  // translate, keyboard interrupt off (no IRQ bookkeeping here)
    r.kbc.key(Key::A, true);
    r.kbc.key(Key::A, false);
    CHECK(r.drain() == Bytes{0x1E, 0x9E});
    r.kbc.key(Key::Enter, true);
    r.kbc.key(Key::Up, true);
    r.kbc.key(Key::Up, false);
    r.kbc.key(Key::F7, true);  // set 2 83h: the one key above 7Fh
    CHECK(r.drain() == Bytes{0x1C, 0xE0, 0x48, 0xE0, 0xC8, 0x41});
    r.kbc.key(Key::RightCtrl, true);
    r.kbc.key(Key::KpDivide, false);
    CHECK(r.drain() == Bytes{0xE0, 0x1D, 0xE0, 0xB5});
}

TEST_CASE("i8042: without translation the keyboard's set 2 codes come through") {
    Rig r;
    r.set_command_byte(0x00);
    struct { Key k; Bytes make; } table[] = {
        {Key::A, {0x1C}},           {Key::Z, {0x1A}},       {Key::D1, {0x16}},       {Key::Escape, {0x76}},
        {Key::Enter, {0x5A}},       {Key::Space, {0x29}},   {Key::LeftShift, {0x12}}, {Key::F1, {0x05}},
        {Key::F7, {0x83}},          {Key::F12, {0x07}},     {Key::Kp7, {0x6C}},      {Key::Up, {0xE0, 0x75}},
        {Key::Delete, {0xE0, 0x71}}, {Key::LeftGui, {0xE0, 0x1F}},
    };
    for (auto& t : table) {
        r.kbc.key(t.k, true);
        CHECK(r.drain() == t.make);
        r.kbc.key(t.k, false);
        Bytes brk = t.make;
        brk.insert(brk.end() - 1, 0xF0);
        CHECK(r.drain() == brk);
    }
}

TEST_CASE("i8042: Print Screen and Pause have their long sequences") {
    Rig r;
    r.set_command_byte(0x40);
    r.kbc.key(Key::PrintScreen, true);
    r.kbc.key(Key::PrintScreen, false);
    CHECK(r.drain() == Bytes{0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA});
    r.kbc.key(Key::Pause, true);
    r.kbc.key(Key::Pause, false);  // no break code
    CHECK(r.drain() == Bytes{0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5});
}

TEST_CASE("i8042: one IRQ 1 edge per byte while command byte bit 0 is set") {
    Rig r;
    r.set_command_byte(0x40);
    r.kbc.key(Key::B, true);
    CHECK(r.irq.rises(1).empty());
    r.drain();
    r.set_command_byte(0x61);  // the BIOS's value
    r.kbc.key(Key::B, true);
    r.kbc.key(Key::B, false);
    CHECK(r.irq.rises(1).size() == 1);
    CHECK(r.kbc.io_read(0x60, 1, 0) == 0x30);
    CHECK(r.irq.rises(1).size() == 2);  // fell with the read, rose with the next byte
    CHECK(r.kbc.io_read(0x60, 1, 0) == 0xB0);
    CHECK_FALSE(r.irq.level[1]);
    CHECK(r.kbc.io_read(0x60, 1, 0) == 0xB0);  // empty: the last byte again (QEMU)
}

TEST_CASE("i8042: controller commands and the keyboard's answers as QEMU gives them") {
    Rig r;
    CHECK(r.status() == 0x18);  // command flag and keyboard not inhibited; no self-test yet
    r.cmd(0xAA);
    CHECK(r.drain() == Bytes{0x55});
    CHECK(r.status() == 0x1C);  // system flag after the self-test
    r.set_command_byte(0x61);
    r.cmd(0x20);
    CHECK(r.drain() == Bytes{0x61});
    r.cmd(0xD0);
    CHECK(r.drain() == Bytes{0xCF});
    r.cmd(0xC0);
    CHECK(r.drain() == Bytes{0x80});
    r.data(0xF2);
    CHECK(r.drain() == Bytes{0xFA, 0xAB, 0x41});  // 83h translated to 41h
    r.data(0xF0), r.data(0x00);
    CHECK(r.drain() == Bytes{0xFA, 0xFA, 0x41});
    r.data(0xEE);
    CHECK(r.drain() == Bytes{0xEE});
    r.data(0xFF);
    CHECK(r.drain() == Bytes{0xFA, 0xAA});
    r.data(0x12);
    CHECK(r.drain() == Bytes{0xFE});
    r.cmd(0xD4), r.data(0xF2);
    CHECK(r.drain() == Bytes{0xFA, 0x00});
    r.cmd(0xD2), r.data(0x3A);
    CHECK(r.status() == 0x1D);
    CHECK(r.drain() == Bytes{0x3A});
    r.cmd(0xD3), r.data(0x3B);
    CHECK(r.status() == 0x3D);  // mouse data
    CHECK(r.drain() == Bytes{0x3B});
}

TEST_CASE("i8042: a disabled keyboard interface holds the bytes until it is enabled") {
    Rig r;
    r.set_command_byte(0x40);
    r.cmd(0xAD);
    r.kbc.key(Key::C, true);
    CHECK((r.status() & 1) == 0);
    CHECK(r.kbc.keyboard_pending() == 1);
    r.cmd(0xAE);
    CHECK(r.drain() == Bytes{0x2E});
    // With scanning off (F5h) keys are dropped by the keyboard itself.
    r.data(0xF5);
    r.drain();
    r.kbc.key(Key::C, true);
    CHECK(r.drain().empty());
}

TEST_CASE("i8042: reset pulses, the output port's reset and A20 lines, port 0x92") {
    Rig r;
    r.cmd(0xFE);  // pulse line 0
    CHECK(r.resets == 1);
    r.cmd(0xFF);  // pulse nothing
    r.cmd(0xF1);  // lines 1-3, not reset
    CHECK(r.resets == 1);
    r.cmd(0xD1), r.data(0xCD);  // A20 off, reset high
    CHECK(r.a20 == std::vector<bool>{false});
    CHECK(r.resets == 1);
    r.cmd(0xD1), r.data(0xCE);  // A20 on, reset low
    CHECK(r.a20 == std::vector<bool>{false, true});
    CHECK(r.resets == 2);

    int resets = 0;
    std::vector<bool> a20;
    Port92 p([&] { ++resets; }, [&](bool on) { a20.push_back(on); });
    p.io_write(0x92, 1, 0x02, 0);
    CHECK(p.io_read(0x92, 1, 0) == 0x02);
    CHECK(a20 == std::vector<bool>{true});  // told at every write: the last writer wins
    p.io_write(0x92, 1, 0x03, 0);  // bit 0 rising: reset
    CHECK(resets == 1);
    p.io_write(0x92, 1, 0x03, 0);  // still 1: nothing
    CHECK(resets == 1);
    CHECK(p.io_read(0x92, 1, 0) == 0x03);
}

TEST_CASE("i8042: key names") {
    CHECK(key_from_name("A") == Key::A);
    CHECK(key_from_name("Up") == Key::Up);
    CHECK(key_from_name("F12") == Key::F12);
    CHECK_FALSE(key_from_name("NoSuchKey").has_value());
}
