// 8259A pair driven as Linux's init_8259A() and xv6's picinit() drive it.
// Expected values from the Intel 8259A datasheet: ICW1-4 formats, OCW2 command
// codes (0x20 non-specific EOI, 0x60 | L specific EOI), OCW3 (0x0A read IRR,
// 0x0B read ISR, 0x0C poll), fully nested priority, cascade through IR2, the
// IR7 default (spurious) vector.
#include <doctest/doctest.h>

#include "dev_support.h"
#include "pic8259.h"

using namespace sy;
using namespace sy::dev;

namespace {
struct Rig {
    test::IrqRecorder cpu;
    Pic8259Pair pic{IrqLine{&cpu, 0}};
    void out(u16 port, u8 v) { pic.io_write(port, 1, v, 0); }
    u8 in(u16 port) { return u8(pic.io_read(port, 1, 0)); }
    // Remap to 0x20/0x28 as Linux does: edge, cascade, 8086 mode.
    void init(bool auto_eoi = false) {
        out(0x20, 0x11), out(0x21, 0x20), out(0x21, 0x04), out(0x21, auto_eoi ? 0x03 : 0x01);
        out(0xA0, 0x11), out(0xA1, 0x28), out(0xA1, 0x02), out(0xA1, auto_eoi ? 0x03 : 0x01);
        out(0x21, 0x00), out(0xA1, 0x00);  // unmask all
    }
    u8 isr(u16 cmd) { return out(cmd, 0x0B), in(cmd); }
    u8 irr(u16 cmd) { return out(cmd, 0x0A), in(cmd); }
    void pulse(unsigned irq) { pic.set_irq(irq, true), pic.set_irq(irq, false); }
};
}  // namespace

TEST_CASE("pic: remap to 0x20/0x28, deliver IRQ 1, EOI") {
    Rig r;
    r.init();
    CHECK_FALSE(r.pic.int_output());
    r.pic.set_irq(1, true);
    CHECK(r.pic.int_output());
    CHECK(r.cpu.level[0]);  // INT pin reported on the output line
    CHECK(r.irr(0x20) == 0x02);
    CHECK(r.pic.acknowledge() == 0x21);
    CHECK(r.isr(0x20) == 0x02);
    CHECK(r.irr(0x20) == 0x00);  // edge mode: IRR cleared by the acknowledge
    CHECK_FALSE(r.pic.int_output());
    r.out(0x20, 0x20);  // non-specific EOI
    CHECK(r.isr(0x20) == 0x00);
    // The line is still high: no new edge, no new interrupt.
    CHECK_FALSE(r.pic.int_output());
    r.pic.set_irq(1, false);
    r.pic.set_irq(1, true);
    CHECK(r.pic.acknowledge() == 0x21);
}

TEST_CASE("pic: fully nested priorities: lower IR wins, in-service blocks lower, higher nests") {
    Rig r;
    r.init();
    r.pulse(3);
    r.pulse(1);
    CHECK(r.pic.acknowledge() == 0x21);
    CHECK_FALSE(r.pic.int_output());  // IR3 waits behind IR1 in service
    r.pulse(0);
    CHECK(r.pic.int_output());        // IR0 has higher priority: nests
    CHECK(r.pic.acknowledge() == 0x20);
    CHECK(r.isr(0x20) == 0x03);
    r.out(0x20, 0x20);                // non-specific EOI ends IR0, the highest in service
    CHECK(r.isr(0x20) == 0x02);
    r.out(0x20, 0x61);                // specific EOI for IR1
    CHECK(r.isr(0x20) == 0x00);
    CHECK(r.pic.acknowledge() == 0x23);
}

TEST_CASE("pic: OCW1 masks hold requests in IRR") {
    Rig r;
    r.init();
    r.out(0x21, 0xFF & ~0x04);  // mask everything but the cascade
    CHECK(r.in(0x21) == 0xFB);
    r.pulse(4);
    CHECK_FALSE(r.pic.int_output());
    CHECK(r.irr(0x20) == 0x10);
    r.out(0x21, 0xEB);  // unmask IR4
    CHECK(r.pic.acknowledge() == 0x24);
}

TEST_CASE("pic: slave IRQ 12 cascades through master IR2") {
    Rig r;
    r.init();
    r.pulse(12);
    CHECK(r.pic.int_output());
    CHECK(r.pic.acknowledge() == 0x2C);
    CHECK(r.isr(0x20) == 0x04);
    CHECK(r.isr(0xA0) == 0x10);
    // A lower-priority slave request waits; EOI slave then master releases it.
    r.pulse(14);
    CHECK_FALSE(r.pic.int_output());
    r.out(0xA0, 0x20);
    r.out(0x20, 0x20);
    CHECK(r.pic.int_output());
    CHECK(r.pic.acknowledge() == 0x2E);
    // A higher-priority slave request while IRQ 14 is in service: blocked at the
    // master by IR2 in service (no special fully nested mode) until its EOI.
    r.pulse(8);
    CHECK_FALSE(r.pic.int_output());
    r.out(0x20, 0x20);
    CHECK(r.pic.acknowledge() == 0x28);
}

TEST_CASE("pic: spurious IRQ 7 and IRQ 15 do not set ISR on the chip that lost the request") {
    Rig r;
    r.init();
    CHECK(r.pic.acknowledge() == 0x27);  // nothing pending
    CHECK(r.isr(0x20) == 0x00);
    // A level-triggered slave whose request vanishes between INT and INTA.
    r.out(0xA0, 0x19), r.out(0xA1, 0x28), r.out(0xA1, 0x02), r.out(0xA1, 0x01);
    r.pic.set_irq(10, true);
    CHECK(r.pic.int_output());
    r.pic.set_irq(10, false);          // master IR2 stays latched (edge mode)
    CHECK(r.pic.acknowledge() == 0x2F);
    CHECK(r.isr(0xA0) == 0x00);
    CHECK(r.isr(0x20) == 0x04);        // the master did acknowledge IR2: Linux EOIs it
    r.out(0x20, 0x20);
    CHECK(r.isr(0x20) == 0x00);
}

TEST_CASE("pic: automatic EOI, level mode, poll, rotation") {
    Rig r;
    r.init(/*auto_eoi=*/true);
    r.pulse(5);
    CHECK(r.pic.acknowledge() == 0x25);
    CHECK(r.isr(0x20) == 0x00);
    // Poll command (OCW3 P): the read is the acknowledge.
    r.pulse(6);
    r.out(0x20, 0x0C);
    CHECK(r.in(0x20) == 0x86);
    r.out(0x20, 0x0C);
    CHECK(r.in(0x20) == 0x00);
    // Set priority (OCW2 0xC0 | L): IR L becomes lowest, L+1 highest.
    r.init();
    r.out(0x20, 0xC4);  // IR4 lowest: IR5 highest
    r.pulse(3);
    r.pulse(6);
    CHECK(r.pic.acknowledge() == 0x26);
    r.out(0x20, 0x20);
    CHECK(r.pic.acknowledge() == 0x23);
    // Level-triggered master: IRR follows the line.
    r.out(0x20, 0x19), r.out(0x21, 0x20), r.out(0x21, 0x04), r.out(0x21, 0x01);
    r.pic.set_irq(3, true);
    CHECK(r.irr(0x20) == 0x08);
    r.pic.set_irq(3, false);
    CHECK(r.irr(0x20) == 0x00);
}
