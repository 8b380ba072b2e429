// Snapshots of every device (cpu/archive.h, each device's serialize()): a
// device driven into a busy state is saved, the state is loaded into a fresh
// device, and both then go through the same accesses and time: what they
// answer, the interrupt edges they raise (with their cycles) and the bytes
// they send must be the same. A third, fresh device going through the same
// second half must answer differently, so each test's second half really
// depends on the saved state (a field left out of serialize() fails it).
#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>

#include "archive.h"
#include "ata.h"
#include "cmos_rtc.h"
#include "debug_ports.h"
#include "dev_support.h"
#include "fw_cfg.h"
#include "hpet.h"
#include "i8042.h"
#include "ioapic.h"
#include "lapic.h"
#include "pic8259.h"
#include "pit8254.h"
#include "uart16550.h"
#include "vga.h"

using namespace sy;
using namespace sy::dev;

namespace {

constexpr u64 kHz = 2'000'000'000;

// What a rig saw, as text: reads, interrupt edges, bytes sent.
struct Trace {
    std::string text;
    void add(const std::string& what, u64 v) { text += what + "=" + std::to_string(v) + " "; }
};

std::string edges(const test::IrqRecorder& r) {
    std::string s;
    for (const auto& c : r.changes) s += "irq" + std::to_string(c.line) + (c.level ? "+" : "-") + "@" + std::to_string(c.cycle) + " ";
    return s;
}

// What a rig has seen so far is forgotten: the traces compare what comes after.
template <class Rig> void clear_trace(Rig& r) {
    if constexpr (requires { r.irq.changes; }) r.irq.changes.clear();
    if constexpr (requires { r.isa.changes; }) r.isa.changes.clear(), r.ioapic.changes.clear();
    if constexpr (requires { r.out.changes; }) r.out.changes.clear();
    if constexpr (requires { r.router.sent; }) r.router.sent.clear();
    if constexpr (requires { r.tx; }) r.tx.clear();
}

// The restored device's interrupt lines are where the saved one left them (on
// the machine the receivers' state is restored with it): so are the rig's.
template <class Rig> void copy_lines(const Rig& from, Rig& to) {
    auto copy = [](const test::IrqRecorder& f, test::IrqRecorder& t) { std::copy(std::begin(f.level), std::end(f.level), t.level), t.now = f.now; };
    if constexpr (requires { from.irq.level; }) copy(from.irq, to.irq);
    if constexpr (requires { from.isa.level; }) copy(from.isa, to.isa), copy(from.ioapic, to.ioapic);
    if constexpr (requires { from.out.level; }) copy(from.out, to.out);
}

// Drives three rigs: `a` through `before`, then saved and loaded into `b`;
// `a`, `b` and a fresh `c` through `after`. `device(rig)` names the device.
template <class Rig, class Dev>
void round_trip(Dev& (*device)(Rig&), const std::function<void(Rig&)>& before,
                const std::function<std::string(Rig&)>& after) {
    Rig a, b, c;
    before(a);
    clear_trace(a);
    const std::vector<u8> saved = save_state(device(a));
    load_state(device(b), saved);
    copy_lines(a, b);
    clear_trace(b);
    clear_trace(c);
    CHECK(save_state(device(b)) == saved);
    const std::string ta = after(a), tb = after(b), tc = after(c);
    CHECK(ta == tb);
    CHECK(ta != tc);
    CHECK(save_state(device(a)) == save_state(device(b)));
}

// ---- UART ----
struct UartRig {
    test::IrqRecorder irq;
    std::string tx;
    Uart16550 uart{0x3F8, kHz, IrqLine{&irq, 4}, [this](u8 b) { tx.push_back(char(b)); }};
    u8 in(u16 reg, u64 now) { return u8(uart.io_read(u16(0x3F8 + reg), 1, now)); }
    void out(u16 reg, u8 v, u64 now) { uart.io_write(u16(0x3F8 + reg), 1, v, now); }
};
Uart16550& uart_of(UartRig& r) { return r.uart; }

TEST_CASE("snapshot: the UART's FIFO, divisor, interrupt and timeout survive a round trip") {
    round_trip<UartRig>(uart_of, [](UartRig& r) {
        r.out(Uart16550::LCR, 0x80, 0);
        r.out(Uart16550::DLL, 3, 0);
        r.out(Uart16550::LCR, 0x03, 0);
        r.out(Uart16550::FCR, 0x47, 0);  // FIFO on, trigger 4
        r.out(Uart16550::IER, 0x05, 0);  // receive data and line status
        r.out(Uart16550::SCR, 0x5A, 0);
        for (u8 b : {'a', 'b', 'c'}) r.uart.receive(b, 1000);
        r.irq.now = 2000;
        r.uart.advance(2000);
    }, [](UartRig& r) {
        Trace t;
        test::run_until(r.uart, r.irq, 5'000'000);  // the character timeout
        t.add("iir", r.in(Uart16550::IIR, 5'000'000));
        t.add("lsr", r.in(Uart16550::LSR, 5'000'000));
        for (int k = 0; k < 3; ++k) t.add("rbr", r.in(Uart16550::RBR, 5'000'000));
        t.add("scr", r.in(Uart16550::SCR, 5'000'000));
        r.out(Uart16550::THR, 'x', 5'000'000);
        return t.text + edges(r.irq) + r.tx;
    });
}

// ---- PIT ----
struct PitRig {
    test::IrqRecorder irq;
    Pit8254 pit{kHz, IrqLine{&irq, 0}};
    void out(u16 port, u8 v, u64 now) { pit.io_write(port, 1, v, now); }
    u8 in(u16 port, u64 now) { return u8(pit.io_read(port, 1, now)); }
};
Pit8254& pit_of(PitRig& r) { return r.pit; }

TEST_CASE("snapshot: the PIT's counting channels, latches and port B survive a round trip") {
    round_trip<PitRig>(pit_of, [](PitRig& r) {
        r.out(0x43, 0x34, 0);  // channel 0, LSB then MSB, mode 2
        r.out(0x40, 0xE8, 0);
        r.out(0x40, 0x03, 0);  // 1000
        r.out(0x61, 0x01, 0);  // channel 2's gate up
        r.out(0x43, 0xB6, 0);  // channel 2 mode 3
        r.out(0x42, 0x00, 0);
        r.out(0x42, 0x10, 10'000);
        test::run_until(r.pit, r.irq, 3'000'000);
        r.out(0x43, 0x00, 3'000'000);  // latch channel 0
        r.in(0x40, 3'000'000);         // its LSB; the MSB stays latched
    }, [](PitRig& r) {
        Trace t;
        t.add("latched msb", r.in(0x40, 4'000'000));
        test::run_until(r.pit, r.irq, 9'000'000);
        t.add("portb", r.in(0x61, 9'000'000));
        r.out(0x43, 0xE2, 9'000'000);  // read back channel 0's status
        t.add("status0", r.in(0x40, 9'000'000));
        return t.text + edges(r.irq);
    });
}

// ---- CMOS RTC ----
struct RtcRig {
    test::IrqRecorder irq;
    CmosRtc rtc{kHz, 256ull << 20, 0, IrqLine{&irq, 8}};
    u8 reg(u8 index, u64 now) {
        rtc.io_write(0x70, 1, index, now);
        return u8(rtc.io_read(0x71, 1, now));
    }
    void set(u8 index, u8 v, u64 now) {
        rtc.io_write(0x70, 1, index, now);
        rtc.io_write(0x71, 1, v, now);
    }
};
CmosRtc& rtc_of(RtcRig& r) { return r.rtc; }

TEST_CASE("snapshot: the RTC's time, periodic interrupt and CMOS bytes survive a round trip") {
    round_trip<RtcRig>(rtc_of, [](RtcRig& r) {
        r.set(0x0B, 0x86, 0);  // SET, 24 hour, binary
        r.set(0x04, 13, 0);    // hours
        r.set(0x02, 59, 0);    // minutes
        r.set(0x00, 58, 0);    // seconds
        r.set(0x0A, 0x2F, 0);  // 2 Hz periodic
        r.set(0x0B, 0x46, 100);  // run, PIE, 24 hour, binary
        r.set(0x40, 0x77, 100);  // a CMOS RAM byte
        r.rtc.io_write(0x70, 1, 0x8C, 200);  // index C with NMIs disabled
    }, [](RtcRig& r) {
        Trace t;
        test::run_until(r.rtc, r.irq, 5 * kHz);
        t.add("c", u8(r.rtc.io_read(0x71, 1, 5 * kHz)));  // the index written before
        t.add("nmi off", r.rtc.nmi_disabled());
        t.add("sec", r.reg(0x00, 5 * kHz));
        t.add("min", r.reg(0x02, 5 * kHz));
        t.add("hour", r.reg(0x04, 5 * kHz));
        t.add("ram", r.reg(0x40, 5 * kHz));
        return t.text + edges(r.irq);
    });
}

// ---- local APIC ----
struct ApicRig {
    test::RecordingRouter router;
    LocalApic apic{1, false, &router};
    u32 rd(u32 off, u64 now) { return u32(apic.mmio_read(off, 4, now)); }
    void wr(u32 off, u32 v, u64 now) { apic.mmio_write(off, 4, v, now); }
};
LocalApic& apic_of(ApicRig& r) { return r.apic; }

TEST_CASE("snapshot: the LAPIC's timer, IRR/ISR, TPR and ICR survive a round trip") {
    round_trip<ApicRig>(apic_of, [](ApicRig& r) {
        r.wr(LocalApic::SVR, 0x1FF, 0);
        r.wr(LocalApic::TPR, 0x20, 0);
        r.wr(LocalApic::TIMER_DIV, 0x3, 0);            // divide by 16
        r.wr(LocalApic::LVT_TIMER, 0x20000 | 0x40, 0);  // periodic, vector 40h
        r.wr(LocalApic::TIMER_INIT, 1000, 0);
        r.wr(LocalApic::ICR_HI, 0x02000000, 0);
        ApicMessage m;
        m.vector = 0x51;
        r.apic.receive(m);
        m.vector = 0x62;
        m.level_triggered = true;
        r.apic.receive(m);
        r.apic.acknowledge();  // 62h in service
    }, [](ApicRig& r) {
        Trace t;
        t.add("cur", r.rd(LocalApic::TIMER_CUR, 40'000));
        for (u64 e; (e = r.apic.next_event()) <= 100'000;) {
            t.add("expiry", e);
            r.apic.advance(e);
        }
        t.add("ppr", r.apic.ppr());
        r.wr(LocalApic::EOI, 0, 100'000);
        while (r.apic.has_interrupt()) t.add("ack", r.apic.acknowledge());
        t.add("icr hi", r.rd(LocalApic::ICR_HI, 100'000));
        r.wr(LocalApic::ICR_LO, 0x4000 | 0x33, 100'000);
        for (const ApicMessage& s : r.router.sent) t.add("sent", s.vector * 1000 + s.dest);
        return t.text;
    });
}

// ---- I/O APIC ----
struct IoApicRig {
    test::RecordingRouter router;
    IoApic ioapic{&router};
    void wr(u8 reg, u32 v) {
        ioapic.mmio_write(IoApic::kRegSel, 4, reg, 0);
        ioapic.mmio_write(IoApic::kWindow, 4, v, 0);
    }
};
IoApic& ioapic_of(IoApicRig& r) { return r.ioapic; }

TEST_CASE("snapshot: the I/O APIC's redirection table, remote IRR and pin levels survive a round trip") {
    round_trip<IoApicRig>(ioapic_of, [](IoApicRig& r) {
        r.wr(0x10 + 2 * 3, 0x8000 | 0x43);  // pin 3 level-triggered, vector 43h
        r.wr(0x11 + 2 * 3, 0x01000000);
        r.wr(0x10 + 2 * 5, 0x35);
        r.ioapic.set_irq(3, true);  // delivered, remote IRR set
        r.ioapic.set_irq(5, true);
        r.ioapic.mmio_write(IoApic::kRegSel, 4, 0x10 + 2 * 3, 0);
    }, [](IoApicRig& r) {
        Trace t;
        t.add("window", u32(r.ioapic.mmio_read(IoApic::kWindow, 4, 0)));  // the register selected before
        r.ioapic.eoi(0x43);  // pin 3 still high: sent again
        r.ioapic.set_irq(5, false);
        r.ioapic.set_irq(5, true);
        for (const ApicMessage& s : r.router.sent) t.add("sent", s.vector * 1000 + s.dest);
        return t.text;
    });
}

// ---- 8259A pair ----
struct PicRig {
    test::IrqRecorder out;
    Pic8259Pair pic{IrqLine{&out, 0}};
    void wr(u16 port, u8 v) { pic.io_write(port, 1, v, 0); }
    u8 rd(u16 port) { return u8(pic.io_read(port, 1, 0)); }
};
Pic8259Pair& pic_of(PicRig& r) { return r.pic; }

TEST_CASE("snapshot: the 8259A pair's initialisation, masks, IRR and ISR survive a round trip") {
    round_trip<PicRig>(pic_of, [](PicRig& r) {
        for (auto [cmd, data, base, cascade] : {std::tuple{0x20, 0x21, 0x20, 0x04}, std::tuple{0xA0, 0xA1, 0x28, 0x02}}) {
            r.wr(u16(cmd), 0x11);
            r.wr(u16(data), u8(base));
            r.wr(u16(data), u8(cascade));
            r.wr(u16(data), 0x01);
        }
        r.wr(0x21, 0xF8);  // IRQ 0-2 open
        r.wr(0xA1, 0xFE);  // IRQ 8 open
        r.pic.set_irq(1, true);
        r.pic.set_irq(8, true);
        r.pic.acknowledge();  // IRQ 1 in service
        r.wr(0x20, 0x0B);     // the next command-port read is the ISR
    }, [](PicRig& r) {
        Trace t;
        t.add("isr", r.rd(0x20));
        r.wr(0x20, 0x20);  // EOI
        t.add("vector", r.pic.acknowledge());
        r.wr(0xA0, 0x0A);
        t.add("slave irr", r.rd(0xA0));
        t.add("imr", r.rd(0x21));
        return t.text + edges(r.out);
    });
}

// ---- HPET ----
struct HpetRig {
    test::IrqRecorder isa, ioapic;
    Hpet hpet{kHz, &isa, &ioapic};
    void wr(u64 off, u64 v, u64 now) { isa.now = ioapic.now = now, hpet.mmio_write(off, 8, v, now); }
    void run_until(u64 end) {
        for (u64 t; (t = hpet.next_event()) <= end;) {
            isa.now = ioapic.now = t;
            hpet.advance(t);
        }
    }
};
Hpet& hpet_of(HpetRig& r) { return r.hpet; }

TEST_CASE("snapshot: the HPET's counter, periodic timer and status survive a round trip") {
    round_trip<HpetRig>(hpet_of, [](HpetRig& r) {
        r.wr(Hpet::TIMER0, Hpet::kIntEnable | Hpet::kPeriodic | Hpet::kValSet | (u64(5) << 9), 0);  // IOAPIC input 5
        r.wr(Hpet::TIMER0 + 8, 1000, 0);
        r.wr(Hpet::TIMER0 + 8, 1000, 0);  // the period
        r.wr(Hpet::TIMER0 + Hpet::TIMER_STRIDE, Hpet::kIntEnable | Hpet::kLevel | (u64(7) << 9), 0);
        r.wr(Hpet::TIMER0 + Hpet::TIMER_STRIDE + 8, 1500, 0);
        r.wr(Hpet::CONFIG, 1, 100);
        r.run_until(50'000);
    }, [](HpetRig& r) {
        Trace t;
        r.run_until(200'000);
        t.add("counter", r.hpet.counter(200'000));
        t.add("status", r.hpet.mmio_read(Hpet::STATUS, 8, 200'000));
        return t.text + edges(r.ioapic);
    });
}

// ---- keyboard controller ----
struct KbcRig {
    test::IrqRecorder irq;
    I8042 kbc{IrqLine{&irq, 1}, IrqLine{&irq, 12}};
    u8 rd(u16 port) { return u8(kbc.io_read(port, 1, 0)); }
    void wr(u16 port, u8 v) { kbc.io_write(port, 1, v, 0); }
};
I8042& kbc_of(KbcRig& r) { return r.kbc; }

TEST_CASE("snapshot: the 8042's output buffer, pending bytes and command byte survive a round trip") {
    round_trip<KbcRig>(kbc_of, [](KbcRig& r) {
        r.wr(0x64, 0x60);  // write the command byte
        r.wr(0x60, 0x43);  // translation, keyboard interrupt, system
        r.kbc.key(Key::A, true);
        r.kbc.key(Key::A, false);
        r.kbc.key(Key::Up, true);
        r.rd(0x60);  // the first byte read; the rest wait
        r.wr(0x60, 0xED);  // set LEDs: the keyboard waits for the parameter
    }, [](KbcRig& r) {
        Trace t;
        r.wr(0x60, 0x02);
        for (int k = 0; k < 5; ++k) {
            t.add("status", r.rd(0x64));
            t.add("data", r.rd(0x60));
        }
        t.add("cb", r.kbc.command_byte());
        return t.text + edges(r.irq);
    });
}

struct Port92Rig {
    std::vector<bool> a20;
    Port92 port{{}, [this](bool on) { a20.push_back(on); }};
};
Port92& port92_of(Port92Rig& r) { return r.port; }

TEST_CASE("snapshot: port 92h survives a round trip") {
    round_trip<Port92Rig>(port92_of, [](Port92Rig& r) { r.port.io_write(0x92, 1, 0x02, 0); },
                          [](Port92Rig& r) { return std::to_string(r.port.io_read(0x92, 1, 0)); });
}

// ---- VGA ----
struct VgaRig {
    Vga vga;
    void out(u16 port, u8 v) { vga.io_write(port, 1, v, 0); }
};
Vga& vga_of(VgaRig& r) { return r.vga; }

TEST_CASE("snapshot: the VGA's text, CRTC, attribute flip-flop and DAC sequences survive a round trip") {
    round_trip<VgaRig>(vga_of, [](VgaRig& r) {
        const char* msg = "saved";
        for (int k = 0; msg[k]; ++k) {
            r.vga.mmio_write(0x18000 + 2 * k, 1, u8(msg[k]), 0);
            r.vga.mmio_write(0x18000 + 2 * k + 1, 1, 0x1E, 0);
        }
        r.out(0x3D4, 0x0F);
        r.out(0x3D5, 3);  // cursor at column 3
        r.out(0x3C8, 1);  // DAC 1 = magenta
        for (u8 v : {0x3F, 0x00, 0x3F}) r.out(0x3C9, v);
        r.out(0x3C8, 2);     // DAC write index 2
        r.out(0x3C9, 0x2A);  // red; green and blue still to come
        r.out(0x3C7, 1);     // then DAC 1 for reading
        r.vga.io_read(0x3C9, 1, 0);  // its red; green and blue still to come
        r.vga.io_read(0x3DA, 1, 0);  // the attribute flip-flop to index
        r.out(0x3C0, 0x01);  // attribute index 1; the next write is its data
    }, [](VgaRig& r) {
        std::string s = "state " + std::to_string(r.vga.io_read(0x3C7, 1, 0)) + " dac ";
        for (int k = 0; k < 2; ++k) s += std::to_string(r.vga.io_read(0x3C9, 1, 0)) + ",";
        r.out(0x3C0, 0x05);  // attribute 1 -> DAC 5
        TextScreen t = r.vga.screen();
        return s + t.text() + std::to_string(t.cursor_col) + "," + std::to_string(r.vga.attribute(1));
    });
}

// ---- the debug ports and fw_cfg ----
struct ExitRig {
    DebugExit exit;
};
DebugExit& exit_of(ExitRig& r) { return r.exit; }

TEST_CASE("snapshot: isa-debug-exit's request survives a round trip") {
    round_trip<ExitRig>(exit_of, [](ExitRig& r) { r.exit.io_write(0xF4, 4, 7, 0); },
                        [](ExitRig& r) {
                            r.exit.io_write(0xF4, 4, 1, 0);  // the first write wins
                            return std::to_string(r.exit.exit_request().value_or(-1));
                        });
}

struct FwCfgRig {
    FwCfg cfg{64ull << 20, 2};
};
FwCfg& fwcfg_of(FwCfgRig& r) { return r.cfg; }

TEST_CASE("snapshot: fw_cfg's selector and read offset survive a round trip") {
    round_trip<FwCfgRig>(fwcfg_of, [](FwCfgRig& r) {
        r.cfg.io_write(FwCfg::kSelectorPort, 2, fwcfg::kSignature, 0);
        r.cfg.io_read(FwCfg::kDataPort, 1, 0);  // 'Q'
    }, [](FwCfgRig& r) {
        std::string s;
        for (int k = 0; k < 3; ++k) s += char(r.cfg.io_read(FwCfg::kDataPort, 1, 0));
        return s;
    });
}

// ---- ATA ----
struct AtaRig {
    test::IrqRecorder irq;
    AtaChannel ata{IrqLine{&irq, AtaChannel::kIrq}};
    AtaRig() {
        std::vector<u8> img(64 * kSectorSize);
        for (size_t i = 0; i < img.size(); ++i) img[i] = u8(i * 7 + i / kSectorSize);
        ata.attach(0, std::make_unique<MemoryDisk>(std::move(img)));
    }
    void outb(u16 port, u8 v) { ata.io_write(port, 1, v, 0); }
};
AtaChannel& ata_of(AtaRig& r) { return r.ata; }

TEST_CASE("snapshot: an ATA read in the middle of its data transfer survives a round trip") {
    round_trip<AtaRig>(ata_of, [](AtaRig& r) {
        r.outb(0x1F2, 2);  // two sectors from LBA 5
        r.outb(0x1F3, 5);
        r.outb(0x1F4, 0);
        r.outb(0x1F5, 0);
        r.outb(0x1F6, 0xE0);
        r.outb(0x1F7, 0x20);  // READ SECTORS
        for (int k = 0; k < 100; ++k) r.ata.io_read(0x1F0, 2, 0);
    }, [](AtaRig& r) {
        Trace t;
        u64 sum = 0;
        for (int k = 0; k < 412; ++k) sum = sum * 31 + r.ata.io_read(0x1F0, 2, 0);
        t.add("data", sum);
        t.add("status", r.ata.io_read(0x1F7, 1, 0));
        return t.text + edges(r.irq);
    });
}

}  // namespace
