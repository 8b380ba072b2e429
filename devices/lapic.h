// Local APIC (xAPIC and x2APIC), one per CPU.
// Source: Intel SDM Vol. 3A, chapter 11 "Advanced Programmable Interrupt
// Controller (APIC)":
//   11.4.1 register map (Table 11-1), 11.4.4 IA32_APIC_BASE, 11.4.6 local APIC ID,
//   11.4.7 state after power-up/reset, INIT and software disable,
//   11.4.8 version register, 11.5.1 LVT layout, 11.5.3 error handling (ESR),
//   11.5.4 APIC timer (divide configuration Figure 11-10, one-shot, periodic),
//   11.5.4.1 TSC-deadline mode, 11.6.1 ICR, 11.6.2 destinations (physical,
//   logical flat and cluster), 11.6.3 IPI shorthands, 11.8.3 interrupt handling
//   (IRR/ISR/TMR), 11.8.3.1 task and processor priorities (TPR/PPR),
//   11.8.4 interrupt acceptance, 11.8.5 EOI, 11.9 spurious interrupt,
//   11.12 x2APIC: 11.12.1.2 MSR map (Table 11-6), 11.12.5 state transitions
//   (Figure 11-27), 11.12.9 ICR in x2APIC mode, 11.12.11 SELF IPI.
//
// Interfaces:
//   * MMIO: the machine maps the 4 KiB page at IA32_APIC_BASE (0xFEE00000 after
//     reset) to this CPU's APIC; offsets are relative to the base. Registers are
//     32 bits at 16-byte strides.
//   * MSRs: the machine forwards RDMSR/WRMSR of IA32_APIC_BASE (0x1B),
//     IA32_TSC_DEADLINE (0x6E0) and the x2APIC range 0x800-0x8FF to
//     msr_read()/msr_write(); false means #GP(0). The brief's signature gains a
//     `now` argument: like every device access it carries the cycle (device.h).
//   * CPU side: has_nmi()/ack_nmi()/has_interrupt()/acknowledge() have the names
//     and meaning of cpu/cpu.h's InterruptSource; the machine adapts (devices do
//     not include cpu/ headers other than types.h).
//   * IPIs and I/O APIC messages travel through an IpiRouter (apic_bus.h). The
//     machine resolves destinations with select() and calls receive() on each
//     target, for every delivery mode; for INIT receive() resets the APIC part
//     (init_reset()) and the machine resets the CPU, for start-up the machine
//     starts a CPU waiting for SIPI at vector * 0x1000.
//   * LINT0/LINT1 pins: set_lint0()/set_lint1() (or IrqSink lines 0 and 1) with
//     the pin level (the PIC's INT output on LINT0, NMI on LINT1). An ExtINT acknowledge asks the PIC for the
//     vector through the callback given to set_extint_ack().
//   * EOI of a level-triggered vector calls the hook given to set_eoi_broadcast()
//     (the machine forwards it to every IoApic::eoi()).
//
// Time. The APIC timer counts at the bus clock divided by the divide value; we
// take the bus clock to be the CPU clock, so the counter decrements once every
// `divide` cycles (divide 1..128). An initial count N written at cycle t0 reaches
// zero at t0 + N * divide (11.5.4: the interrupt is generated when the count
// reaches zero); in periodic mode the count reloads at that instant and the next
// zero is N * divide cycles later. TSC-deadline mode compares IA32_TSC = cycle +
// tsc_offset (set_tsc_offset(), default 0) with IA32_TSC_DEADLINE.
//
// Deviations:
//   * QEMU fires a one-shot count N after (N + 1) * divide bus cycles and uses a
//     period of (N + 1) * divide; we follow the SDM text (N * divide).
//   * Any write to the LVT timer that changes the timer mode disarms the timer
//     (the sentence of 11.5.4.1, applied to every mode change): current count 0,
//     IA32_TSC_DEADLINE 0, until a new count or deadline is written.
//   * Writing the divide configuration while counting continues from the current
//     count at the new rate, starting at the write (the SDM does not say).
//   * Lowest-priority delivery goes to the APIC with the lowest APIC ID in the
//     destination set (select()), not to the lowest-priority processor; no focus
//     processor checking, no arbitration priority (APR reads 0).
//   * A software-disabled APIC (SVR bit 8 = 0) refuses new fixed and
//     lowest-priority interrupts but still presents what its IRR already holds;
//     NMI, INIT and start-up are accepted (11.4.7.2).
//   * With IA32_APIC_BASE[11] = 0 the APIC is off and the pins revert (11.4.3):
//     LINT0 acts as INTR (has_interrupt() follows the pin, acknowledge() asks the
//     PIC) and a rising edge on LINT1 is an NMI. Disabling resets the APIC
//     registers to their power-up values.
//   * LINT0/LINT1 in fixed mode are edge-triggered (a rising edge sets IRR) even
//     if the LVT says level; SMI delivery is ignored; the remote IRR and delivery
//     status bits of the LVTs and the ICR always read 0 (delivery is instant).
//   * INIT level de-assert (ICR mode INIT, level 0, trigger level) is not sent.
//   * No CMCI LVT (max LVT 5 means six entries), no EOI-broadcast suppression
//     (version bit 24 = 0), no remote read.
//   * MMIO accesses narrower than 32 bits read the addressed bytes of the register
//     and are ignored on write; 8-byte accesses see the register in the low half.
//     In x2APIC mode the MMIO page reads as all ones and ignores writes.
#pragma once
#include <array>
#include <functional>
#include <span>
#include <vector>

#include "apic_bus.h"
#include "device.h"

namespace sy::dev {

class LocalApic : public MmioDevice, public Timed, public IrqSink {
public:
    static constexpr u64 kDefaultBase = 0xFEE00000;
    static constexpr u64 kMmioSize = 0x1000;
    static constexpr u32 kVersion = 0x00050014;  // version 14h, max LVT entry 5 (11.4.8)
    // IA32_APIC_BASE bits (11.4.4, 11.12.1).
    static constexpr u64 kBaseBsp = 1u << 8, kBaseExtd = 1u << 10, kBaseEnable = 1u << 11;
    static constexpr u32 kMsrApicBase = 0x1B, kMsrTscDeadline = 0x6E0;
    static constexpr u32 kMsrX2First = 0x800, kMsrX2Last = 0x8FF;

    // Register offsets (Table 11-1); the x2APIC MSR is 0x800 + offset / 16.
    enum Reg : u32 {
        ID = 0x020, VERSION = 0x030, TPR = 0x080, APR = 0x090, PPR = 0x0A0, EOI = 0x0B0,
        RRD = 0x0C0, LDR = 0x0D0, DFR = 0x0E0, SVR = 0x0F0, ISR0 = 0x100, TMR0 = 0x180,
        IRR0 = 0x200, ESR = 0x280, ICR_LO = 0x300, ICR_HI = 0x310, LVT_TIMER = 0x320,
        LVT_THERMAL = 0x330, LVT_PERF = 0x340, LVT_LINT0 = 0x350, LVT_LINT1 = 0x360,
        LVT_ERROR = 0x370, TIMER_INIT = 0x380, TIMER_CUR = 0x390, TIMER_DIV = 0x3E0,
        SELF_IPI = 0x3F0,  // x2APIC only (MSR 0x83F)
    };
    // ESR bits (11.5.3, Figure 11-9).
    static constexpr u32 kEsrSendIllegalVector = 1u << 5, kEsrReceiveIllegalVector = 1u << 6,
                         kEsrIllegalRegister = 1u << 7;
    // LVT bits (Figure 11-8).
    static constexpr u32 kLvtMask = 1u << 16;
    enum class TimerMode : u8 { OneShot = 0, Periodic = 1, TscDeadline = 2 };

    // `apic_id` is the initial APIC ID (the x2APIC ID); `bsp` sets IA32_APIC_BASE[8].
    LocalApic(u32 apic_id, bool bsp, IpiRouter* router = nullptr);

    void set_router(IpiRouter* r) { router_ = r; }
    void set_extint_ack(std::function<u8()> ack) { extint_ack_ = std::move(ack); }
    void set_eoi_broadcast(std::function<void(u8)> hook) { eoi_broadcast_ = std::move(hook); }
    void set_tsc_offset(u64 offset) { tsc_offset_ = offset; }

    // MmioDevice.
    u64 mmio_read(u64 offset, unsigned size, u64 now) override;
    void mmio_write(u64 offset, unsigned size, u64 value, u64 now) override;
    // MSR interface; false means #GP(0).
    bool msr_read(u32 msr, u64& value, u64 now);
    bool msr_write(u32 msr, u64 value, u64 now);

    // IA32_APIC_BASE. A write returns false (#GP) for the transitions Figure
    // 11-27 forbids and for reserved bits; BSP (bit 8) is read-only.
    u64 apic_base() const { return apic_base_; }
    bool set_apic_base(u64 value);
    u64 mmio_base() const { return apic_base_ & 0xFFFFFF000ull; }
    bool hw_enabled() const { return apic_base_ & kBaseEnable; }
    bool x2apic() const { return hw_enabled() && (apic_base_ & kBaseExtd); }
    bool sw_enabled() const { return svr_ & 0x100; }

    // Timed: the timer's next expiry.
    u64 next_event() const override;
    void advance(u64 now) override;

    // CPU side (cpu/cpu.h InterruptSource names).
    bool has_nmi() const { return nmi_pending_; }
    void ack_nmi() { nmi_pending_ = false; }
    bool has_interrupt() const;
    u8 acknowledge();
    // MOV to and from CR8 (11.8.6): the CPU's view of TPR.
    u8 tpr() const { return u8(tpr_); }
    void set_tpr(u8 v) { tpr_ = v; }

    // Pins. As an IrqSink, line 0 is LINT0 and line 1 is LINT1, so the PIC's INT
    // output can be wired as Pic8259Pair pic{{&bsp_lapic, 0}}.
    void set_lint0(bool level);
    void set_lint1(bool level);
    void set_irq(unsigned line, bool level) override {
        if (line == 0) set_lint0(level);
        else if (line == 1) set_lint1(level);
    }

    // APIC bus, receiving side.
    bool matches(const ApicMessage& m) const;
    void receive(const ApicMessage& m);
    // The APICs a message reaches, in `apics` order; lowest priority narrows the
    // set to the one with the lowest APIC ID.
    static std::vector<LocalApic*> select(const ApicMessage& m, std::span<LocalApic* const> apics);

    // INIT (11.4.7.3): power-up register state except the APIC ID and
    // IA32_APIC_BASE. reset() is the full RESET, IA32_APIC_BASE included.
    void init_reset();
    void reset();
    // What a BIOS leaves behind (virtual wire mode, MP spec 3.6.2.2): APIC
    // software-enabled, LINT0 ExtINT, LINT1 NMI. For machines booting without one.
    void setup_virtual_wire();

    // Views for the debugger and tests, no side effects.
    u32 id() const { return x2apic() ? initial_id_ : id_ >> 24; }
    u32 ppr() const;
    u32 peek(u32 offset, u64 now) const;
    bool irr_bit(u8 v) const { return test(irr_, v); }
    bool isr_bit(u8 v) const { return test(isr_, v); }
    bool tmr_bit(u8 v) const { return test(tmr_, v); }

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    // (The APIC ID it was built with is configuration; tsc_offset_ is saved
    // because the machine sets it only before each slice.)
    void serialize(Archive& ar) {
        ar(tsc_offset_, apic_base_, id_, tpr_, ldr_, dfr_, svr_, irr_, isr_, tmr_, esr_, esr_pending_, icr_lo_,
           icr_hi_, lvt_, timer_init_, dcr_, counting_, seg_start_, seg_count_, timer_next_, tsc_deadline_,
           nmi_pending_, extint_pending_, lint_level_);
    }

private:
    using Bits = std::array<u32, 8>;
    static bool test(const Bits& b, u8 v) { return b[v >> 5] >> (v & 31) & 1; }
    static void set(Bits& b, u8 v, bool on) {
        if (on) b[v >> 5] |= 1u << (v & 31);
        else b[v >> 5] &= ~(1u << (v & 31));
    }
    static int highest(const Bits& b);  // highest set vector, or -1

    // Register file access shared by MMIO and MSRs; x2apic() picks which
    // registers exist and which writes are refused.
    bool read_reg(u32 offset, u32& value, u64 now) const;
    bool write_reg(u32 offset, u32 value, u64 now);
    u32 ldr_value() const;
    u32 timer_count(u64 now) const;
    TimerMode timer_mode() const { return TimerMode((lvt_[0] >> 17) & 3); }
    u32 divide() const;
    void arm_count(u64 now, u32 count);
    void write_lvt(unsigned index, u32 value);
    void send_ipi(u32 icr_lo, u32 dest);
    void accept_fixed(u8 vector, bool level);
    void lvt_fire(unsigned index);
    void error(u32 bits);

    u32 initial_id_;
    IpiRouter* router_;
    std::function<u8()> extint_ack_;
    std::function<void(u8)> eoi_broadcast_;
    u64 tsc_offset_ = 0;

    u64 apic_base_;
    u32 id_ = 0;  // xAPIC ID register (ID in bits 31:24)
    u32 tpr_ = 0, ldr_ = 0, dfr_ = 0xFFFFFFFF, svr_ = 0xFF;
    Bits irr_{}, isr_{}, tmr_{};
    u32 esr_ = 0, esr_pending_ = 0;
    u32 icr_lo_ = 0, icr_hi_ = 0;
    // LVT: timer, thermal, perf, LINT0, LINT1, error (register order).
    std::array<u32, 6> lvt_{};
    u32 timer_init_ = 0, dcr_ = 0;
    // Counting: the count was `seg_count` at cycle `seg_start`, falls by one every
    // divide() cycles; after reaching zero a periodic timer restarts at timer_init_.
    bool counting_ = false;
    u64 seg_start_ = 0;
    u32 seg_count_ = 0;
    u64 timer_next_ = kNever;  // next expiry not yet processed
    u64 tsc_deadline_ = 0;
    bool nmi_pending_ = false;
    bool extint_pending_ = false;  // ExtINT message or LINT0 in ExtINT mode
    bool lint_level_[2] = {};
};

}  // namespace sy::dev
