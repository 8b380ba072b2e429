// 16550A UART driven the way guest drivers drive it. Expected values from the
// PC16550D datasheet: Table III (reset values), Table IV (IIR codes, priorities
// and reset conditions), 8.4 (LSR bits), 8.5 (FCR trigger levels), 8.8/8.9
// (loopback wiring of MCR to MSR, delta bits), 8.10 (character timeout: four
// character times), 8.1/8.3 (character length, 16 clocks per bit at
// divisor / 1.8432 MHz).
#include <doctest/doctest.h>

#include <string>

#include "dev_support.h"
#include "uart16550.h"

using namespace sy;
using namespace sy::dev;

namespace {
constexpr u16 kBase = 0x3F8;
constexpr u64 kCpuHz = 1843200ull * 100;  // 100 cycles per UART input clock

struct Rig {
    test::IrqRecorder irq;
    std::string tx;
    Uart16550 uart{kBase, kCpuHz, IrqLine{&irq, 4}, [this](u8 b) { tx.push_back(char(b)); }};
    u8 in(u16 reg, u64 now = 0) { return u8(uart.io_read(u16(kBase + reg), 1, now)); }
    void out(u16 reg, u8 v, u64 now = 0) { uart.io_write(u16(kBase + reg), 1, v, now); }
    bool irq_high() const { return irq.level[4]; }
};
}  // namespace

TEST_CASE("uart: reset values match Table III") {
    Rig r;
    CHECK(r.in(Uart16550::IER) == 0x00);
    CHECK(r.in(Uart16550::IIR) == 0x01);
    CHECK(r.in(Uart16550::LCR) == 0x00);
    CHECK(r.in(Uart16550::MCR) == 0x00);
    CHECK(r.in(Uart16550::LSR) == 0x60);  // THRE | TEMT
    CHECK((r.in(Uart16550::MSR) & 0x0F) == 0);
    CHECK_FALSE(r.irq_high());
}

TEST_CASE("uart: xv6/Linux init sequence, divisor latch and transmit") {
    Rig r;
    r.out(Uart16550::FCR, 0x00);        // FIFO off
    r.out(Uart16550::LCR, 0x80);        // DLAB
    r.out(Uart16550::DLL, 115200 / 9600);
    r.out(Uart16550::DLM, 0);
    CHECK(r.in(Uart16550::DLL) == 12);  // DLAB reads the latch, not RBR
    CHECK(r.in(Uart16550::DLM) == 0);
    r.out(Uart16550::LCR, 0x03);        // 8N1, DLAB off
    r.out(Uart16550::MCR, 0x00);
    r.out(Uart16550::IER, 0x01);        // receive interrupts
    CHECK(r.uart.divisor() == 12);
    CHECK(r.in(Uart16550::IER) == 0x01);
    CHECK(r.in(Uart16550::LSR) != 0xFF);  // "is there a UART?"
    for (char c : std::string("ok\n")) {
        CHECK((r.in(Uart16550::LSR) & 0x20) != 0);
        r.out(Uart16550::THR, u8(c));
    }
    CHECK(r.tx == "ok\n");
    r.out(Uart16550::SCR, 0x5A);
    CHECK(r.in(Uart16550::SCR) == 0x5A);
}

TEST_CASE("uart: received data available interrupt in 16450 mode") {
    Rig r;
    r.out(Uart16550::IER, 0x01);
    CHECK_FALSE(r.irq_high());
    REQUIRE(r.uart.can_receive());
    r.uart.receive('a', 10);
    CHECK(r.irq_high());
    CHECK(r.in(Uart16550::IIR) == 0x04);
    CHECK((r.in(Uart16550::LSR) & 0x01) == 0x01);
    CHECK_FALSE(r.uart.can_receive());
    CHECK(r.in(Uart16550::RBR) == 'a');
    CHECK_FALSE(r.irq_high());
    CHECK(r.in(Uart16550::IIR) == 0x01);
    CHECK((r.in(Uart16550::LSR) & 0x01) == 0);
}

TEST_CASE("uart: FIFO trigger level 14 and IIR FIFO bits") {
    Rig r;
    r.out(Uart16550::FCR, 0xC7);  // enable, clear both, trigger 14
    r.out(Uart16550::IER, 0x01);
    CHECK(r.in(Uart16550::IIR) == 0xC1);
    for (int i = 0; i < 13; ++i) r.uart.receive(u8('A' + i), 0);
    CHECK_FALSE(r.irq_high());
    r.uart.receive('N', 0);
    CHECK(r.irq_high());
    CHECK(r.in(Uart16550::IIR) == 0xC4);
    CHECK(r.in(Uart16550::RBR) == 'A');  // FIFO order; now 13 < 14
    CHECK_FALSE(r.irq_high());
    CHECK(r.in(Uart16550::IIR) == 0xC1);
    // Disabling the FIFO clears it (8.5).
    r.out(Uart16550::FCR, 0x00);
    CHECK((r.in(Uart16550::LSR) & 0x01) == 0);
    CHECK(r.in(Uart16550::IIR) == 0x01);
}

TEST_CASE("uart: FIFO overrun keeps the 16 bytes and sets OE") {
    Rig r;
    r.out(Uart16550::FCR, 0x01);
    for (int i = 0; i < 16; ++i) r.uart.receive(u8(i), 0);
    CHECK_FALSE(r.uart.can_receive());
    r.uart.receive(99, 0);
    CHECK(r.in(Uart16550::LSR) == 0x63);  // DR | OE | THRE | TEMT
    CHECK(r.in(Uart16550::LSR) == 0x61);  // OE cleared by the read
    for (int i = 0; i < 16; ++i) CHECK(r.in(Uart16550::RBR) == i);
}

TEST_CASE("uart: character timeout after four character times (8.10)") {
    Rig r;
    r.out(Uart16550::LCR, 0x80);
    r.out(Uart16550::DLL, 1);  // 115200 baud
    r.out(Uart16550::LCR, 0x03);  // 8N1: start + 8 + stop = 10 bits
    r.out(Uart16550::FCR, 0xC1);  // trigger 14
    r.out(Uart16550::IER, 0x01);
    // One character: 10 bits * 16 clocks * divisor 1 = 160 UART clocks = 16000 cycles.
    const u64 kChar = 10 * 16 * 1 * (kCpuHz / 1843200);
    CHECK(r.uart.char_time_cycles() == kChar);
    const u64 t0 = 5000;
    r.uart.receive('x', t0);
    CHECK(r.uart.next_event() == t0 + 4 * kChar);
    r.uart.advance(t0 + 4 * kChar - 1);
    CHECK_FALSE(r.irq_high());
    r.uart.advance(t0 + 4 * kChar);
    CHECK(r.irq_high());
    CHECK(r.in(Uart16550::IIR, t0 + 4 * kChar) == 0xCC);
    CHECK(r.in(Uart16550::RBR, t0 + 4 * kChar) == 'x');
    CHECK_FALSE(r.irq_high());
    CHECK(r.uart.next_event() == kNever);  // FIFO empty: no timeout armed
}

TEST_CASE("uart: THR empty interrupt on enable, cleared by reading IIR or writing THR") {
    Rig r;
    r.out(Uart16550::IER, 0x02);
    CHECK(r.irq_high());
    CHECK(r.in(Uart16550::IIR) == 0x02);
    CHECK_FALSE(r.irq_high());  // reading IIR cleared the THRE source
    CHECK(r.in(Uart16550::IIR) == 0x01);
    r.irq.changes.clear();
    r.out(Uart16550::THR, 'z');
    // The byte left at once, so THR is empty again and the interrupt re-arms
    // with a fresh rising edge.
    CHECK(r.irq.rises(4).size() == 1);
    CHECK(r.in(Uart16550::IIR) == 0x02);
}

TEST_CASE("uart: interrupt priorities follow Table IV") {
    Rig r;
    r.out(Uart16550::IER, 0x0F);
    CHECK(r.uart.peek_iir() == 0x02);     // THRE, armed by enabling ETBEI (peek: no side effect)
    r.uart.receive('1', 0);
    r.uart.receive('2', 0);               // ... 16450 mode: overrun
    r.uart.set_modem_inputs(false, true, false, true);  // CTS dropped
    CHECK(r.in(Uart16550::IIR) == 0x06);  // receiver line status first
    CHECK(r.in(Uart16550::LSR) == 0x63);
    CHECK(r.in(Uart16550::IIR) == 0x04);  // then received data
    CHECK(r.in(Uart16550::RBR) == '2');   // the new character overwrote the old
    CHECK(r.in(Uart16550::IIR) == 0x02);  // then THR empty; this read clears it
    CHECK(r.in(Uart16550::IIR) == 0x00);  // then modem status
    CHECK(r.in(Uart16550::MSR) == 0xA1);  // DCD | DSR, DCTS
    CHECK(r.in(Uart16550::IIR) == 0x01);
    CHECK_FALSE(r.irq_high());
}

TEST_CASE("uart: loopback wires MCR to MSR and THR to RBR (8.8)") {
    Rig r;
    r.out(Uart16550::MCR, 0x10);  // LOOP, all outputs off
    r.in(Uart16550::MSR);         // clear deltas from leaving the external lines
    r.out(Uart16550::MCR, 0x1F);  // LOOP | OUT2 | OUT1 | RTS | DTR
    CHECK(r.in(Uart16550::MSR) == 0xFB);  // DCD RI DSR CTS; DDCD, DDSR, DCTS (no TERI on a rising RI)
    r.out(Uart16550::MCR, 0x10);
    CHECK(r.in(Uart16550::MSR) == 0x0F);  // all lines fell: every delta incl. trailing-edge RI
    CHECK_FALSE(r.uart.can_receive());    // receiver input disconnected from the host
    r.out(Uart16550::THR, 0x55);
    CHECK(r.tx.empty());
    CHECK((r.in(Uart16550::LSR) & 0x01) == 0x01);
    CHECK(r.in(Uart16550::RBR) == 0x55);
    r.out(Uart16550::MCR, 0x00);
    r.out(Uart16550::THR, 'k');
    CHECK(r.tx == "k");
}

TEST_CASE("uart: OUT2 gating of the interrupt output is optional") {
    test::IrqRecorder irq;
    Uart16550 u(kBase, kCpuHz, IrqLine{&irq, 4}, nullptr, /*gate_irq_with_out2=*/true);
    u.io_write(kBase + Uart16550::IER, 1, 0x02, 0);
    CHECK_FALSE(irq.level[4]);
    u.io_write(kBase + Uart16550::MCR, 1, 0x08, 0);
    CHECK(irq.level[4]);
}
