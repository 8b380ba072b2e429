// The PC's cascaded pair of Intel 8259A programmable interrupt controllers.
// Source: Intel 8259A datasheet (order no. 231468):
//   "Interrupt Sequence" (INTA cycles: IRR -> ISR, vector T7-T3 | IR number)
//   "Initialization Command Words" ICW1-ICW4 (Figure 6 flowchart)
//   "Operation Command Words" OCW1 (IMR), OCW2 (EOI, rotation, set priority),
//   OCW3 (read IRR/ISR, poll, special mask mode)
//   "Fully Nested Mode", "Automatic Rotation", "Special Mask Mode",
//   "Poll Command", "Edge and Level Triggered Modes" (LTIM, spurious IR7),
//   "The Special Fully Nested Mode", "Cascading" (ICW3 master/slave IDs)
// PC wiring: master at 0x20/0x21 (IRQ 0-7), slave at 0xA0/0xA1 (IRQ 8-15), the
// slave's INT output on master IR2.
//
// The machine samples int_output() (the master's INT pin) between instructions
// and, when the CPU accepts the interrupt, calls acknowledge() for the vector:
// this plays both INTA cycles, on the master and, for IR2, on the slave.
//
// Deviations:
//   * Edge mode latches a rising edge in IRR until acknowledged even if the line
//     drops again first (as QEMU does); the real chip would then answer INTA
//     with the spurious IR7. Level mode (ICW1 LTIM) follows the line.
//   * The slave's INT output drops during each acknowledge and is raised again
//     at once if another request is pending, so a master in edge mode sees a new
//     edge on IR2 for it (the datasheet leaves INT timing inside INTA loose).
//   * No buffered mode effects (ICW4 BUF, M/S), no 8080/8085 mode (ICW4 uPM=0 is
//     accepted but vectors are still 8086-style), ICW1 ADI ignored.
//   * No ELCR (ports 0x4D0/0x4D1, a PIIX addition).
#pragma once
#include "device.h"

namespace sy::dev {

class Pic8259Pair : public PortDevice, public IrqSink {
public:
    static constexpr u16 kMasterCmd = 0x20, kMasterData = 0x21, kSlaveCmd = 0xA0, kSlaveData = 0xA1;

    // One 8259A. Public so the debugger can show its state.
    struct Chip {
        u8 irr = 0, isr = 0, imr = 0;
        u8 line_levels = 0;   // current input levels, for edge detection
        u8 vector_base = 0;   // ICW2 & 0xF8
        u8 icw3 = 0;
        u8 lowest = 7;        // priority rotation: the IR with the lowest priority
        bool level_mode = false, auto_eoi = false, sfnm = false, single = false;
        bool rotate_on_aeoi = false, special_mask = false;
        bool read_isr = false, poll = false;
        unsigned init_step = 0;  // 0 = ready; 2, 3, 4 = expecting ICW2, ICW3, ICW4
        bool expect_icw4 = false;

        void serialize(Archive& ar) {
            ar(irr, isr, imr, line_levels, vector_base, icw3, lowest, level_mode, auto_eoi, sfnm, single,
               rotate_on_aeoi, special_mask, read_isr, poll, init_step, expect_icw4);
        }
        void set_line(unsigned ir, bool level);
        int highest_pending() const;  // IR to present, or -1
        void ack(unsigned ir);        // INTA: IRR -> ISR
        void eoi(unsigned ir, bool rotate);
        void write_command(u8 v);
        void write_data(u8 v);
        u8 read_command();
        u8 read_data() const { return imr; }
    };

    explicit Pic8259Pair(IrqLine intr_out = {}) : out_(intr_out) {}

    // IRQ 0-15 from the devices.
    void set_irq(unsigned line, bool level) override;
    // The master's INT pin.
    bool int_output() const { return master_.highest_pending() >= 0; }
    // INTA: the vector to deliver, with IRR/ISR updated. Without a pending
    // request it returns the spurious IR7 vector of the chip that lost it.
    u8 acknowledge();

    u32 io_read(u16 port, unsigned size, u64 now) override;
    void io_write(u16 port, unsigned size, u32 value, u64 now) override;

    const Chip& master() const { return master_; }
    const Chip& slave() const { return slave_; }

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    void serialize(Archive& ar) { ar(master_, slave_, out_level_); }

private:
    void update();

    Chip master_, slave_;
    IrqLine out_;
    bool out_level_ = false;
};

}  // namespace sy::dev
