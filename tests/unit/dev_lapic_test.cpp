// Local APIC. Expected values come from the Intel SDM Vol. 3A, chapter 11:
// reset values from 11.4.7.1, the version from 11.4.8 (Figure 11-7), the timer
// from 11.5.4 (count decrements once per divided bus clock, which we define to be
// the CPU clock; interrupt when it reaches zero; periodic reload) and Figure 11-10
// (divide encodings), TSC-deadline from 11.5.4.1, priorities from 11.8.3.1, the
// ICR fields from 11.6.1 (Figure 11-12), ESR from 11.5.3, x2APIC from 11.12.
#include <doctest/doctest.h>

#include <vector>

#include "dev_support.h"
#include "lapic.h"
#include "pic8259.h"

using namespace sy;
using namespace sy::dev;

namespace {
using test::RecordingRouter;

// A machine-side router over a set of APICs, as emu/ would write it.
struct LoopbackRouter : IpiRouter {
    std::vector<LocalApic*> apics;
    std::vector<std::pair<u32, ApicMessage>> machine_events;  // INIT/SIPI seen by "the machine"
    void send(const ApicMessage& m) override {
        for (LocalApic* a : LocalApic::select(m, apics)) {
            if (m.mode == DeliveryMode::Init || m.mode == DeliveryMode::StartUp) machine_events.push_back({a->id(), m});
            a->receive(m);
        }
    }
};

u32 rd(LocalApic& a, u32 off, u64 now = 0) { return u32(a.mmio_read(off, 4, now)); }
void wr(LocalApic& a, u32 off, u32 v, u64 now = 0) { a.mmio_write(off, 4, v, now); }

void enable(LocalApic& a) { wr(a, LocalApic::SVR, 0x1FF); }

// Runs the APIC's timer events up to and including `end`, as the machine loop does.
void run_until(LocalApic& a, u64 end) {
    for (u64 t; (t = a.next_event()) <= end;) a.advance(t);
    a.advance(end);
}
}  // namespace

TEST_CASE("lapic: power-up register values (SDM 11.4.7.1, 11.4.8)") {
    LocalApic a(3, true);
    CHECK(a.apic_base() == (0xFEE00000 | LocalApic::kBaseEnable | LocalApic::kBaseBsp));
    CHECK(rd(a, LocalApic::ID) == 3u << 24);
    CHECK(rd(a, LocalApic::VERSION) == 0x00050014);
    CHECK(rd(a, LocalApic::TPR) == 0);
    CHECK(rd(a, LocalApic::PPR) == 0);
    CHECK(rd(a, LocalApic::LDR) == 0);
    CHECK(rd(a, LocalApic::DFR) == 0xFFFFFFFF);
    CHECK(rd(a, LocalApic::SVR) == 0xFF);
    for (u32 off = LocalApic::LVT_TIMER; off <= LocalApic::LVT_ERROR; off += 0x10) CHECK(rd(a, off) == 0x00010000);
    CHECK(rd(a, LocalApic::TIMER_INIT) == 0);
    CHECK(rd(a, LocalApic::TIMER_CUR) == 0);
    CHECK(rd(a, LocalApic::TIMER_DIV) == 0);
    CHECK_FALSE(a.has_interrupt());
    CHECK(LocalApic(1, false).apic_base() == (0xFEE00000 | LocalApic::kBaseEnable));
}

TEST_CASE("lapic: LVT mask bits stay set while the APIC is software-disabled (11.4.7.2)") {
    LocalApic a(0, true);
    wr(a, LocalApic::LVT_TIMER, 0x40);
    CHECK(rd(a, LocalApic::LVT_TIMER) == 0x00010040);
    enable(a);
    wr(a, LocalApic::LVT_TIMER, 0x40);
    CHECK(rd(a, LocalApic::LVT_TIMER) == 0x40);
    wr(a, LocalApic::SVR, 0xFF);  // software disable masks every LVT
    CHECK(rd(a, LocalApic::LVT_TIMER) == 0x00010040);
    // Fixed interrupts are refused; NMI is still accepted.
    ApicMessage m;
    m.vector = 0x50;
    a.receive(m);
    CHECK_FALSE(a.irr_bit(0x50));
    m.mode = DeliveryMode::Nmi;
    a.receive(m);
    CHECK(a.has_nmi());
}

TEST_CASE("lapic: one-shot timer fires initial count x divide cycles after the write (11.5.4)") {
    LocalApic a(0, true);
    enable(a);
    wr(a, LocalApic::TIMER_DIV, 0x3);  // 0011b: divide by 16 (Figure 11-10)
    wr(a, LocalApic::LVT_TIMER, 0x40);
    const u64 t0 = 500;
    wr(a, LocalApic::TIMER_INIT, 1000, t0);
    CHECK(a.next_event() == t0 + 1000 * 16);
    // One decrement per 16 cycles.
    CHECK(rd(a, LocalApic::TIMER_CUR, t0) == 1000);
    CHECK(rd(a, LocalApic::TIMER_CUR, t0 + 15) == 1000);
    CHECK(rd(a, LocalApic::TIMER_CUR, t0 + 16) == 999);
    CHECK(rd(a, LocalApic::TIMER_CUR, t0 + 16 * 10 + 5) == 990);
    run_until(a, t0 + 16000 - 1);
    CHECK_FALSE(a.irr_bit(0x40));
    run_until(a, t0 + 16000);
    CHECK(a.irr_bit(0x40));
    CHECK(rd(a, LocalApic::TIMER_CUR, t0 + 16000) == 0);
    CHECK(rd(a, LocalApic::TIMER_CUR, t0 + 99999) == 0);
    CHECK(a.next_event() == kNever);
    CHECK(a.has_interrupt());
    CHECK(a.acknowledge() == 0x40);
    CHECK(a.isr_bit(0x40));
}

TEST_CASE("lapic: every divide configuration (Figure 11-10)") {
    // DCR bits 3,1,0: 000 -> 2, 001 -> 4, 010 -> 8, 011 -> 16, 100 -> 32,
    // 101 -> 64, 110 -> 128, 111 -> 1.
    const std::pair<u32, u64> table[] = {{0x0, 2},  {0x1, 4},  {0x2, 8},   {0x3, 16},
                                         {0x8, 32}, {0x9, 64}, {0xA, 128}, {0xB, 1}};
    for (auto [dcr, div] : table) {
        CAPTURE(dcr);
        LocalApic a(0, true);
        enable(a);
        wr(a, LocalApic::LVT_TIMER, 0x40);
        wr(a, LocalApic::TIMER_DIV, dcr);
        CHECK(rd(a, LocalApic::TIMER_DIV) == dcr);
        wr(a, LocalApic::TIMER_INIT, 10, 7);
        CHECK(a.next_event() == 7 + 10 * div);
    }
}

TEST_CASE("lapic: periodic timer reloads from the initial count (11.5.4)") {
    LocalApic a(0, true);
    enable(a);
    wr(a, LocalApic::TIMER_DIV, 0xB);                    // divide by 1
    wr(a, LocalApic::LVT_TIMER, (1u << 17) | 0x31);      // periodic
    wr(a, LocalApic::TIMER_INIT, 100, 0);
    std::vector<u64> fired;
    for (u64 t; (t = a.next_event()) <= 350;) {
        a.advance(t);
        if (a.has_interrupt()) {
            fired.push_back(t);
            CHECK(a.acknowledge() == 0x31);
            wr(a, LocalApic::EOI, 0, t);
        }
    }
    CHECK(fired == std::vector<u64>{100, 200, 300});
    CHECK(rd(a, LocalApic::TIMER_CUR, 250) == 50);
    CHECK(rd(a, LocalApic::TIMER_CUR, 300) == 100);  // reloaded the moment it reached zero
    CHECK(rd(a, LocalApic::TIMER_CUR, 399) == 1);
    // A masked timer keeps counting without interrupts.
    wr(a, LocalApic::LVT_TIMER, (1u << 17) | LocalApic::kLvtMask | 0x31, 350);
    run_until(a, 1000);
    CHECK_FALSE(a.irr_bit(0x31));
    CHECK(rd(a, LocalApic::TIMER_CUR, 1050) == 50);
    // Writing 0 stops it.
    wr(a, LocalApic::TIMER_INIT, 0, 1100);
    CHECK(a.next_event() == kNever);
    CHECK(rd(a, LocalApic::TIMER_CUR, 1200) == 0);
}

TEST_CASE("lapic: TSC-deadline mode (11.5.4.1)") {
    LocalApic a(0, true);
    enable(a);
    u64 v = 1;
    // Outside TSC-deadline mode the MSR reads 0 and ignores writes.
    CHECK(a.msr_write(LocalApic::kMsrTscDeadline, 5000, 0));
    CHECK(a.msr_read(LocalApic::kMsrTscDeadline, v, 0));
    CHECK(v == 0);
    CHECK(a.next_event() == kNever);

    wr(a, LocalApic::LVT_TIMER, (2u << 17) | 0x60);
    CHECK(a.msr_write(LocalApic::kMsrTscDeadline, 5000, 100));
    CHECK(a.msr_read(LocalApic::kMsrTscDeadline, v, 100));
    CHECK(v == 5000);
    CHECK(a.next_event() == 5000);
    // Initial count writes are ignored and the current count reads 0.
    wr(a, LocalApic::TIMER_INIT, 10, 200);
    CHECK(rd(a, LocalApic::TIMER_CUR, 201) == 0);
    CHECK(a.next_event() == 5000);
    run_until(a, 4999);
    CHECK_FALSE(a.irr_bit(0x60));
    run_until(a, 5000);
    CHECK(a.irr_bit(0x60));
    CHECK(a.msr_read(LocalApic::kMsrTscDeadline, v, 5001));
    CHECK(v == 0);  // disarmed once it fired
    CHECK(a.next_event() == kNever);

    // The deadline is compared with IA32_TSC = cycles + offset.
    a.set_tsc_offset(1000);
    CHECK(a.msr_write(LocalApic::kMsrTscDeadline, 9000, 6000));
    CHECK(a.next_event() == 8000);
    // Writing 0 disarms; a deadline already passed fires at once.
    CHECK(a.msr_write(LocalApic::kMsrTscDeadline, 0, 6001));
    CHECK(a.next_event() == kNever);
    a.acknowledge();
    wr(a, LocalApic::EOI, 0, 6002);
    CHECK(a.msr_write(LocalApic::kMsrTscDeadline, 10, 6003));
    CHECK(a.irr_bit(0x60));
    // Leaving TSC-deadline mode disarms.
    CHECK(a.msr_write(LocalApic::kMsrTscDeadline, 20000, 7000));
    wr(a, LocalApic::LVT_TIMER, 0x60, 7001);
    CHECK(a.next_event() == kNever);
}

TEST_CASE("lapic: PPR from TPR and the highest in-service vector (11.8.3.1)") {
    LocalApic a(0, true);
    enable(a);
    ApicMessage m;
    // TPR alone: PPR = TPR.
    wr(a, LocalApic::TPR, 0x35);
    CHECK(rd(a, LocalApic::PPR) == 0x35);
    // ISRV class above TPR class: PPR = ISRV[7:4]:0.
    m.vector = 0x51;
    a.receive(m);
    CHECK(a.acknowledge() == 0x51);
    CHECK(rd(a, LocalApic::PPR) == 0x50);
    // TPR[7:4] >= ISRV[7:4]: PPR = TPR, low nibble included.
    wr(a, LocalApic::TPR, 0x58);
    CHECK(rd(a, LocalApic::PPR) == 0x58);
    wr(a, LocalApic::TPR, 0x00);
    // An interrupt is presented only if its class is above PPR[7:4].
    m.vector = 0x5F;
    a.receive(m);
    CHECK_FALSE(a.has_interrupt());  // class 5 is not above class 5
    m.vector = 0x60;
    a.receive(m);
    CHECK(a.has_interrupt());
    CHECK(a.acknowledge() == 0x60);  // highest first
    CHECK(rd(a, LocalApic::PPR) == 0x60);
    CHECK_FALSE(a.has_interrupt());
    // EOI retires the highest in-service vector, 0x60; 0x5F is still blocked by 0x51.
    wr(a, LocalApic::EOI, 0);
    CHECK_FALSE(a.isr_bit(0x60));
    CHECK(a.isr_bit(0x51));
    CHECK_FALSE(a.has_interrupt());
    wr(a, LocalApic::EOI, 0);
    CHECK(rd(a, LocalApic::PPR) == 0);
    CHECK(a.has_interrupt());
    CHECK(a.acknowledge() == 0x5F);
}

TEST_CASE("lapic: TPR raised after the request gives the spurious vector (11.9)") {
    LocalApic a(0, true);
    wr(a, LocalApic::SVR, 0x1EF);  // spurious vector 0xEF
    ApicMessage m;
    m.vector = 0x41;
    a.receive(m);
    CHECK(a.has_interrupt());
    wr(a, LocalApic::TPR, 0x40);
    CHECK(a.acknowledge() == 0xEF);
    CHECK_FALSE(a.isr_bit(0x41));
    CHECK(a.irr_bit(0x41));  // still pending
}

TEST_CASE("lapic: EOI of a level-triggered vector is broadcast (11.8.5)") {
    LocalApic a(0, true);
    enable(a);
    std::vector<u8> broadcasts;
    a.set_eoi_broadcast([&](u8 v) { broadcasts.push_back(v); });
    ApicMessage m;
    m.vector = 0x42, m.level_triggered = true;
    a.receive(m);
    CHECK(a.tmr_bit(0x42));
    m.vector = 0x43, m.level_triggered = false;
    a.receive(m);
    CHECK(a.acknowledge() == 0x43);
    wr(a, LocalApic::EOI, 0);
    CHECK(broadcasts.empty());
    CHECK(a.acknowledge() == 0x42);
    wr(a, LocalApic::EOI, 0);
    CHECK(broadcasts == std::vector<u8>{0x42});
}

TEST_CASE("lapic: ICR fields become APIC bus messages (11.6.1)") {
    RecordingRouter r;
    LocalApic a(1, true, &r);
    enable(a);
    // Fixed, physical, vector 0x41 to APIC 2.
    wr(a, LocalApic::ICR_HI, 2u << 24);
    wr(a, LocalApic::ICR_LO, 0x00000041);
    REQUIRE(r.sent.size() == 1);
    CHECK(r.sent[0].mode == DeliveryMode::Fixed);
    CHECK(r.sent[0].vector == 0x41);
    CHECK(r.sent[0].dest == 2);
    CHECK_FALSE(r.sent[0].logical);
    CHECK(r.sent[0].shorthand == Shorthand::None);
    CHECK(r.sent[0].source_id == 1);
    CHECK((rd(a, LocalApic::ICR_LO) & (1u << 12)) == 0);  // delivery status: idle
    // Physical 0xFF is the broadcast.
    wr(a, LocalApic::ICR_HI, 0xFFu << 24);
    wr(a, LocalApic::ICR_LO, 0x00000842);  // logical
    CHECK(r.sent[1].dest == ApicMessage::kBroadcast);
    CHECK(r.sent[1].logical);
    // INIT assert, INIT level de-assert (not sent), start-up with vector 0x08, as
    // the MP start-up sequence (Linux's wakeup_secondary_cpu_via_init) issues them.
    r.sent.clear();
    wr(a, LocalApic::ICR_HI, 2u << 24);
    wr(a, LocalApic::ICR_LO, 0x0000C500);  // INIT, level assert, level trigger
    wr(a, LocalApic::ICR_LO, 0x00008500);  // INIT de-assert
    wr(a, LocalApic::ICR_LO, 0x00000608);  // SIPI, page 8
    REQUIRE(r.sent.size() == 2);
    CHECK(r.sent[0].mode == DeliveryMode::Init);
    CHECK(r.sent[1].mode == DeliveryMode::StartUp);
    CHECK(r.sent[1].vector == 0x08);
    // Shorthands: all excluding self, NMI.
    wr(a, LocalApic::ICR_LO, 0x000C0400);
    CHECK(r.sent[2].shorthand == Shorthand::AllExcludingSelf);
    CHECK(r.sent[2].mode == DeliveryMode::Nmi);
}

TEST_CASE("lapic: ESR write-then-read, send and receive illegal vector (11.5.3)") {
    RecordingRouter r;
    LocalApic a(0, true, &r);
    enable(a);
    wr(a, LocalApic::ICR_LO, 0x00000005);  // fixed vector 5: illegal, not sent
    CHECK(r.sent.empty());
    CHECK(rd(a, LocalApic::ESR) == 0);      // not visible until ESR is written
    wr(a, LocalApic::ESR, 0);
    CHECK(rd(a, LocalApic::ESR) == LocalApic::kEsrSendIllegalVector);
    wr(a, LocalApic::ESR, 0);
    CHECK(rd(a, LocalApic::ESR) == 0);
    // Receiving vector 3, with the error LVT unmasked: error interrupt.
    wr(a, LocalApic::LVT_ERROR, 0xFE);
    ApicMessage m;
    m.vector = 3;
    a.receive(m);
    CHECK_FALSE(a.irr_bit(3));
    CHECK(a.irr_bit(0xFE));
    wr(a, LocalApic::ESR, 0);
    CHECK(rd(a, LocalApic::ESR) == LocalApic::kEsrReceiveIllegalVector);
    // An access to a reserved register address sets bit 7.
    rd(a, 0x010);
    wr(a, LocalApic::ESR, 0);
    CHECK(rd(a, LocalApic::ESR) == LocalApic::kEsrIllegalRegister);
}

TEST_CASE("lapic: destinations: physical, flat and cluster logical, shorthands, lowest priority (11.6.2)") {
    LocalApic a0(0, true), a1(1, false), a2(2, false);
    std::vector<LocalApic*> all = {&a2, &a0, &a1};
    auto ids = [&](const ApicMessage& m) {
        std::vector<u32> v;
        for (LocalApic* x : LocalApic::select(m, all)) v.push_back(x->id());
        return v;
    };
    ApicMessage m;
    m.dest = 1;
    CHECK(ids(m) == std::vector<u32>{1});
    m.dest = ApicMessage::kBroadcast;
    CHECK(ids(m) == std::vector<u32>{2, 0, 1});
    // Flat model: LDR bits 31:24 are a bit mask (11.6.2.2).
    wr(a0, LocalApic::LDR, 0x01u << 24);
    wr(a1, LocalApic::LDR, 0x02u << 24);
    wr(a2, LocalApic::LDR, 0x04u << 24);
    m.logical = true, m.dest = 0x05;
    CHECK(ids(m) == std::vector<u32>{2, 0});
    // Lowest priority: the lowest APIC ID of the set (our arbitration rule).
    m.mode = DeliveryMode::LowestPriority, m.dest = 0x06;
    CHECK(ids(m) == std::vector<u32>{1});
    // Cluster model: cluster in bits 7:4, members in 3:0.
    m.mode = DeliveryMode::Fixed;
    for (LocalApic* x : all) wr(*x, LocalApic::DFR, 0x0FFFFFFF);
    wr(a0, LocalApic::LDR, 0x11u << 24);
    wr(a1, LocalApic::LDR, 0x12u << 24);
    wr(a2, LocalApic::LDR, 0x21u << 24);
    m.dest = 0x13;
    CHECK(ids(m) == std::vector<u32>{0, 1});
    m.dest = 0x21;
    CHECK(ids(m) == std::vector<u32>{2});
    // Shorthands ignore the destination field (11.6.3).
    m.logical = false, m.dest = 7, m.source_id = 0;
    m.shorthand = Shorthand::Self;
    CHECK(ids(m) == std::vector<u32>{0});
    m.shorthand = Shorthand::AllExcludingSelf;
    CHECK(ids(m) == std::vector<u32>{2, 1});
    m.shorthand = Shorthand::AllIncludingSelf;
    CHECK(ids(m) == std::vector<u32>{2, 0, 1});
}

TEST_CASE("lapic: IPIs through a machine-style router reach the other APIC") {
    LoopbackRouter r;
    LocalApic bsp(0, true, &r), ap(1, false, &r);
    r.apics = {&bsp, &ap};
    enable(bsp), enable(ap);
    wr(bsp, LocalApic::ICR_HI, 1u << 24);
    wr(bsp, LocalApic::ICR_LO, 0x00000050);
    CHECK(ap.irr_bit(0x50));
    CHECK_FALSE(bsp.irr_bit(0x50));
    // Self IPI via the shorthand.
    wr(bsp, LocalApic::ICR_LO, 0x00040051);
    CHECK(bsp.irr_bit(0x51));
    // INIT resets the target's APIC registers (11.4.7.3) and reaches the machine.
    wr(ap, LocalApic::TPR, 0x20);
    wr(bsp, LocalApic::ICR_LO, 0x0000C500);
    CHECK(rd(ap, LocalApic::TPR) == 0);
    CHECK_FALSE(ap.irr_bit(0x50));
    CHECK(rd(ap, LocalApic::ID) == 1u << 24);
    CHECK(rd(ap, LocalApic::SVR) == 0xFF);
    wr(bsp, LocalApic::ICR_LO, 0x00000699);
    REQUIRE(r.machine_events.size() == 2);
    CHECK(r.machine_events[0].first == 1);
    CHECK(r.machine_events[1].second.mode == DeliveryMode::StartUp);
    CHECK(r.machine_events[1].second.vector == 0x99);
}

TEST_CASE("lapic: LINT0 ExtINT and LINT1 NMI in virtual wire mode") {
    LocalApic a(0, true);
    u8 pic_vector = 0x20;
    unsigned pic_acks = 0;
    a.set_extint_ack([&] { return ++pic_acks, pic_vector; });
    a.set_lint0(true);
    CHECK_FALSE(a.has_interrupt());  // LVT LINT0 masked after reset
    a.setup_virtual_wire();
    CHECK(rd(a, LocalApic::LVT_LINT0) == 0x8700);  // as SeaBIOS leaves it under QEMU (pcprobe)
    CHECK(rd(a, LocalApic::LVT_LINT1) == 0x8400);
    CHECK(a.has_interrupt());  // ExtINT follows the pin level
    CHECK(a.acknowledge() == 0x20);
    CHECK(pic_acks == 1);
    CHECK_FALSE(a.isr_bit(0x20));  // the PIC, not the APIC, keeps it in service
    a.set_lint0(false);
    CHECK_FALSE(a.has_interrupt());
    a.set_lint1(true);
    CHECK(a.has_nmi());
    a.ack_nmi();
    a.set_lint1(true);
    CHECK_FALSE(a.has_nmi());  // NMI is edge-triggered
    // With the APIC disabled by IA32_APIC_BASE the pins are INTR and NMI again.
    CHECK(a.set_apic_base(0xFEE00000));
    a.set_lint0(true);
    CHECK(a.has_interrupt());
    CHECK(a.acknowledge() == 0x20);
    a.set_lint1(false), a.set_lint1(true);
    CHECK(a.has_nmi());
}

TEST_CASE("lapic: IA32_APIC_BASE transitions (11.12.5, Figure 11-27)") {
    LocalApic a(5, true);
    const u64 base = 0xFEE00000, en = LocalApic::kBaseEnable, extd = LocalApic::kBaseExtd;
    CHECK_FALSE(a.set_apic_base(base | extd));       // EXTD without EN: invalid
    CHECK(a.set_apic_base(base | en | extd));        // xAPIC -> x2APIC
    CHECK(a.x2apic());
    CHECK_FALSE(a.set_apic_base(base | en));         // x2APIC -> xAPIC: #GP
    CHECK(a.set_apic_base(base));                    // x2APIC -> disabled
    CHECK_FALSE(a.set_apic_base(base | en | extd));  // disabled -> x2APIC: #GP
    CHECK(a.set_apic_base(base | en));               // disabled -> xAPIC
    CHECK(a.set_apic_base(0xFED00000 | en));         // relocation
    CHECK(a.mmio_base() == 0xFED00000);
    CHECK((a.apic_base() & LocalApic::kBaseBsp) != 0);  // BSP is kept
    CHECK_FALSE(a.set_apic_base(base | en | 1));     // reserved bit
    u64 v;
    CHECK(a.msr_read(LocalApic::kMsrApicBase, v, 0));
    CHECK(v == (0xFED00000 | en | LocalApic::kBaseBsp));
}

TEST_CASE("lapic: x2APIC MSR interface (11.12.1.2, Table 11-6)") {
    RecordingRouter r;
    LocalApic a(0x23, true, &r);
    u64 v = 0;
    CHECK_FALSE(a.msr_read(0x802, v, 0));  // x2APIC MSRs #GP in xAPIC mode
    REQUIRE(a.set_apic_base(0xFEE00000 | LocalApic::kBaseEnable | LocalApic::kBaseExtd));
    CHECK(a.mmio_read(LocalApic::VERSION, 4, 0) == 0xFFFFFFFF);  // MMIO interface gone
    CHECK(a.msr_read(0x802, v, 0));
    CHECK(v == 0x23);  // 32-bit x2APIC ID
    CHECK(a.msr_read(0x803, v, 0));
    CHECK(v == 0x00050014);
    CHECK(a.msr_read(0x80D, v, 0));
    CHECK(v == ((0x23u >> 4) << 16 | 1u << (0x23 & 0xF)));  // 11.12.10.2 logical ID
    CHECK_FALSE(a.msr_write(0x802, 1, 0));  // ID is read-only
    CHECK_FALSE(a.msr_write(0x80D, 1, 0));  // LDR is read-only
    CHECK_FALSE(a.msr_read(0x809, v, 0));   // no APR
    CHECK_FALSE(a.msr_read(0x80E, v, 0));   // no DFR
    CHECK_FALSE(a.msr_read(0x80B, v, 0));   // EOI is write-only
    CHECK_FALSE(a.msr_write(0x80B, 1, 0));  // EOI must be written with 0
    CHECK_FALSE(a.msr_read(0x831, v, 0));   // no ICR high half
    CHECK_FALSE(a.msr_read(0x83F, v, 0));   // SELF IPI is write-only
    CHECK_FALSE(a.msr_write(0x808, 0x100, 0));  // reserved TPR bits
    CHECK(a.msr_write(0x80F, 0x1FF, 0));
    // ICR is one 64-bit register with a 32-bit destination (11.12.9).
    CHECK(a.msr_write(0x830, (u64(0x1234) << 32) | 0x00000061, 0));
    REQUIRE(r.sent.size() == 1);
    CHECK(r.sent[0].dest == 0x1234);
    CHECK(r.sent[0].vector == 0x61);
    CHECK(r.sent[0].source_id == 0x23);
    CHECK(a.msr_read(0x830, v, 0));
    CHECK(v == ((u64(0x1234) << 32) | 0x61));
    // SELF IPI (11.12.11).
    CHECK(a.msr_write(0x83F, 0x90, 0));
    CHECK(a.irr_bit(0x90));
    CHECK(a.msr_read(0x820 + (0x90 >> 5), v, 0));
    CHECK(v == 1u << (0x90 & 31));
    CHECK(a.acknowledge() == 0x90);
    CHECK(a.msr_read(0x810 + (0x90 >> 5), v, 0));
    CHECK(v == 1u << (0x90 & 31));
    CHECK(a.msr_write(0x80B, 0, 0));
    CHECK_FALSE(a.isr_bit(0x90));
    // Timer through MSRs.
    CHECK(a.msr_write(0x83E, 0xB, 0));
    CHECK(a.msr_write(0x832, 0x70, 0));
    CHECK(a.msr_write(0x838, 40, 10));
    CHECK(a.next_event() == 50);
    CHECK(a.msr_read(0x839, v, 30));
    CHECK(v == 20);
}

TEST_CASE("lapic: the 8259A pair wired to LINT0 delivers through ExtINT") {
    LocalApic a(0, true);
    Pic8259Pair pic{IrqLine{&a, 0}};
    a.set_extint_ack([&] { return pic.acknowledge(); });
    a.setup_virtual_wire();
    // ICW1-ICW4 as a PC BIOS or Linux programs the master: vectors 0x20-0x27.
    pic.io_write(0x20, 1, 0x11, 0), pic.io_write(0x21, 1, 0x20, 0);
    pic.io_write(0x21, 1, 0x04, 0), pic.io_write(0x21, 1, 0x01, 0);
    pic.io_write(0x21, 1, 0xFD, 0);  // only IRQ 1
    pic.set_irq(1, true);
    REQUIRE(a.has_interrupt());
    CHECK(a.acknowledge() == 0x21);
    CHECK_FALSE(a.has_interrupt());  // INT dropped once IRQ 1 is in service
}
