// 8259A pair; see pic8259.h for the datasheet sections and the deviations.
#include "pic8259.h"

namespace sy::dev {

namespace {
constexpr unsigned kCascadeIr = 2;
}

void Pic8259Pair::Chip::set_line(unsigned ir, bool level) {
    u8 bit = u8(1u << ir);
    if (level_mode) {
        irr = level ? (irr | bit) : (irr & ~bit);
    } else if (level && !(line_levels & bit)) {
        irr |= bit;  // rising edge
    }
    line_levels = level ? (line_levels | bit) : (line_levels & ~bit);
}

// Fully nested mode with rotation: priorities run from lowest+1 (highest) round
// to lowest. A request is presented only if no in-service IR of higher or equal
// priority blocks it; special mask mode lets any unmasked, not-in-service IR
// through; special fully nested mode lets the cascade IR interrupt itself.
int Pic8259Pair::Chip::highest_pending() const {
    u8 req = irr & ~imr;
    if (!req) return -1;
    for (unsigned i = 1; i <= 8; ++i) {
        unsigned ir = (lowest + i) & 7;
        u8 bit = u8(1u << ir);
        if (special_mask) {
            if ((req & bit) && !(isr & bit)) return int(ir);
            continue;
        }
        if (isr & bit) {
            bool nested_cascade = sfnm && !single && (icw3 & bit) && (req & bit);
            return nested_cascade ? int(ir) : -1;
        }
        if (req & bit) return int(ir);
    }
    return -1;
}

void Pic8259Pair::Chip::ack(unsigned ir) {
    u8 bit = u8(1u << ir);
    if (!level_mode) irr &= ~bit;
    if (auto_eoi) {
        if (rotate_on_aeoi) lowest = u8(ir);
    } else {
        isr |= bit;
    }
}

void Pic8259Pair::Chip::eoi(unsigned ir, bool rotate) {
    isr &= ~(1u << ir);
    if (rotate) lowest = u8(ir);
}

void Pic8259Pair::Chip::write_command(u8 v) {
    if (v & 0x10) {
        // ICW1: starts initialisation; clears IMR, IR7 lowest, no special mask,
        // read IRR next, edge sensitivity unless LTIM.
        level_mode = v & 0x08;
        single = v & 0x02;
        expect_icw4 = v & 0x01;
        imr = 0, isr = 0, irr = level_mode ? (irr & line_levels) : 0;
        lowest = 7;
        special_mask = false, read_isr = false, poll = false;
        auto_eoi = false, sfnm = false, rotate_on_aeoi = false;
        init_step = 2;
        return;
    }
    if (v & 0x08) {
        // OCW3.
        if (v & 0x40) special_mask = v & 0x20;  // ESMM enables the SMM bit
        if (v & 0x04) poll = true;
        if (v & 0x02) read_isr = v & 0x01;      // RR enables the RIS bit
        return;
    }
    // OCW2: R, SL, EOI in bits 7:5, level L2-L0 in bits 2:0.
    unsigned level = v & 7;
    switch (v >> 5) {
    case 0b001:  // non-specific EOI: the highest priority in-service IR
    case 0b101:  // rotate on non-specific EOI
        for (unsigned i = 1; i <= 8; ++i) {
            unsigned ir = (lowest + i) & 7;
            if (isr & (1u << ir)) {
                eoi(ir, (v >> 5) == 0b101);
                break;
            }
        }
        break;
    case 0b011: eoi(level, false); break;  // specific EOI
    case 0b111: eoi(level, true); break;   // rotate on specific EOI
    case 0b110: lowest = u8(level); break; // set priority
    case 0b100: rotate_on_aeoi = true; break;
    case 0b000: rotate_on_aeoi = false; break;
    default: break;                        // 0b010: no operation
    }
}

void Pic8259Pair::Chip::write_data(u8 v) {
    switch (init_step) {
    case 2:
        vector_base = v & 0xF8;
        init_step = single ? (expect_icw4 ? 4 : 0) : 3;
        return;
    case 3:
        icw3 = v;
        init_step = expect_icw4 ? 4 : 0;
        return;
    case 4:
        auto_eoi = v & 0x02;
        sfnm = v & 0x10;
        init_step = 0;
        return;
    default:
        imr = v;  // OCW1
    }
}

u8 Pic8259Pair::Chip::read_command() {
    if (poll) {
        // Poll command: the read acts as the interrupt acknowledge (bit 7 = request).
        poll = false;
        int ir = highest_pending();
        if (ir < 0) return 0;
        ack(unsigned(ir));
        return u8(0x80 | ir);
    }
    return read_isr ? isr : irr;
}

void Pic8259Pair::set_irq(unsigned line, bool level) {
    if (line < 8)
        master_.set_line(line, level);
    else if (line < 16)
        slave_.set_line(line - 8, level);
    update();
}

void Pic8259Pair::update() {
    // The slave's INT pin drives the master's cascade input.
    master_.set_line(kCascadeIr, slave_.highest_pending() >= 0);
    bool level = int_output();
    if (level != out_level_) {
        out_level_ = level;
        out_.set(level);
    }
}

u8 Pic8259Pair::acknowledge() {
    int ir = master_.highest_pending();
    u8 vector;
    if (ir < 0) {
        vector = master_.vector_base | 7;  // spurious IRQ 7: ISR untouched
    } else if (ir == int(kCascadeIr) && !master_.single) {
        master_.ack(kCascadeIr);
        int sir = slave_.highest_pending();
        if (sir < 0) {
            vector = slave_.vector_base | 7;  // spurious IRQ 15: master ISR bit 2 stays set
        } else {
            slave_.ack(unsigned(sir));
            vector = u8(slave_.vector_base | sir);
        }
        // The slave drops INT during the acknowledge; a request still pending
        // behind it raises INT again, which the master sees as a new edge.
        master_.set_line(kCascadeIr, false);
    } else {
        master_.ack(unsigned(ir));
        vector = u8(master_.vector_base | ir);
    }
    update();
    return vector;
}

u32 Pic8259Pair::io_read(u16 port, unsigned size, u64) {
    u8 v = 0xFF;
    switch (port) {
    case kMasterCmd: v = master_.read_command(); break;
    case kMasterData: v = master_.read_data(); break;
    case kSlaveCmd: v = slave_.read_command(); break;
    case kSlaveData: v = slave_.read_data(); break;
    }
    update();
    return v;
}

void Pic8259Pair::io_write(u16 port, unsigned size, u32 value, u64) {
    switch (port) {
    case kMasterCmd: master_.write_command(u8(value)); break;
    case kMasterData: master_.write_data(u8(value)); break;
    case kSlaveCmd: slave_.write_command(u8(value)); break;
    case kSlaveData: slave_.write_data(u8(value)); break;
    }
    update();
}

}  // namespace sy::dev
