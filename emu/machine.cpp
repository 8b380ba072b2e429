// The machine: RAM, bus routing, device wiring and the round-robin run loop
// (see machine.h for the clock rules, docs/machine.md for the overview).
#include "machine.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "bios.h"
#include "code_cache.h"

namespace sy {

// A CPU's local APIC as its interrupt source (cpu/cpu.h). Once the guest has
// asked to exit, nothing more is offered, so the CPU stops at its next block
// boundary.
class Machine::ApicInterrupts final : public InterruptSource {
public:
    ApicInterrupts(Machine& m, dev::LocalApic& apic) : m_(m), apic_(apic) {}
    bool has_nmi() override { return !m_.stopping_ && apic_.has_nmi(); }
    void ack_nmi() override { apic_.ack_nmi(); }
    bool has_interrupt() override { return !m_.stopping_ && apic_.has_interrupt(); }
    u8 acknowledge() override { return apic_.acknowledge(); }
    std::optional<u8> task_priority() const override { return apic_.tpr(); }
    void set_task_priority(u8 tpr) override { apic_.set_tpr(tpr); }

private:
    Machine& m_;
    dev::LocalApic& apic_;
};

// The MSRs a CPU forwards (cpu/ops_priv.cpp): the x2APIC range and
// IA32_TSC_DEADLINE read and write, IA32_APIC_BASE on writes only (the CPU keeps
// the value it reads back; a write the LAPIC refuses is #GP(0)).
class Machine::ApicMsrs final : public MsrHandler {
public:
    ApicMsrs(Machine& m, Processor& p) : m_(m), p_(p) {}
    bool read(u32 msr, u64& value) override {
        p_.lapic->set_tsc_offset(p_.cpu->sys.tsc_offset);
        return p_.lapic->msr_read(msr, value, p_.cpu->cycles);
    }
    bool write(u32 msr, u64 value) override {
        p_.lapic->set_tsc_offset(p_.cpu->sys.tsc_offset);
        bool ok = p_.lapic->msr_write(msr, value, p_.cpu->cycles);
        // A refused IA32_APIC_BASE transition makes the CPU raise #GP(0) and
        // keep its value; an accepted one is copied back (the LAPIC owns it).
        if (ok && msr == dev::LocalApic::kMsrApicBase) m_.sync_apic_base(p_);
        return ok;
    }

private:
    Machine& m_;
    Processor& p_;
};

void Machine::IsaIrqs::set_irq(unsigned line, bool level) {
    if (line < 16) m_.isa_levels_ = u16(level ? m_.isa_levels_ | (1u << line) : m_.isa_levels_ & ~(1u << line));
    if (m_.hpet_legacy_ && (line == 0 || line == 8)) return;  // the HPET drives IRQ 0 and 8 now
    m_.route_isa_irq(line, level);
}

void Machine::route_isa_irq(unsigned line, bool level) {
    pic_.set_irq(line, level);
    ioapic_.set_irq(line == 0 ? 2 : line, level);  // the MADT's IRQ0 -> GSI2 override
}

// LEG_RT_CNF: the PIT and the RTC lose their IRQ lines to the HPET's timers 0
// and 1, and get them back (at their current level) when it is cleared.
void Machine::hpet_legacy_changed(bool on) {
    hpet_legacy_ = on;
    for (unsigned line : {0u, 8u}) route_isa_irq(line, !on && (isa_levels_ >> line & 1));
}

void Machine::FpuErrorLatch::set(bool asserted) {
    if (asserted) m_.isa_irqs_.set_irq(kIrq, true);
    else m_.cpus_[0]->cpu->ignne = false;
}
void Machine::FpuErrorLatch::io_write(u16, unsigned, u32, u64) {
    m_.isa_irqs_.set_irq(kIrq, false);
    Cpu& c = *m_.cpus_[0]->cpu;
    if (c.ferr()) c.ignne = true;
}

void Machine::PicOutput::set_irq(unsigned, bool level) {
    if (!m_.cpus_.empty()) m_.cpus_[0]->lapic->set_lint0(level);
}

namespace {

// COM1 register offsets the machine watches to know when the guest listens.
constexpr u16 kCom1 = dev::Uart16550::kCom1Base;
constexpr u8 kLcrDlab = 0x80, kIerRxData = 0x01;

void check_config(const MachineConfig& c) {
    if (c.ram_bytes < 2 * mem::MiB || c.ram_bytes > Machine::kMaxRam || (c.ram_bytes & 0xFFF))
        throw std::invalid_argument("memory size must be a multiple of 4 KiB between 2 MiB and 3 GiB");
    if (c.cpus < 1 || c.cpus > Machine::kMaxCpus) throw std::invalid_argument("CPU count must be 1..64");
    if (c.quantum < 1) throw std::invalid_argument("quantum must be at least 1 cycle");
}

const MachineConfig& checked(const MachineConfig& c) {
    check_config(c);
    return c;
}

}  // namespace

Machine::Machine(MachineConfig cfg)
    : cfg_(checked(cfg)),
      pic_({&pic_output_, 0}),
      ioapic_(this),
      ata_({&isa_irqs_, dev::AtaChannel::kIrq}),
      pit_(kCpuHz, {&isa_irqs_, dev::Pit8254::kIrq}),
      com1_(dev::Uart16550::kCom1Base, kCpuHz, {&isa_irqs_, dev::Uart16550::kCom1Irq},
            [this](u8 b) { serial_output(b); }),
      rtc_(kCpuHz, cfg_.ram_bytes, 0, {&isa_irqs_, dev::CmosRtc::kIrq}),
      debugcon_([this](u8 b) {
          ++debugcon_out_count_;
          if (!mute_output_ && cfg_.debugcon_out) cfg_.debugcon_out(b);
      }),
      fw_cfg_(cfg_.ram_bytes, u16(cfg_.cpus)),
      kbc_({&isa_irqs_, dev::I8042::kKbdIrq}, {&isa_irqs_, dev::I8042::kMouseIrq}, [this] { request_reset(); },
           [this](bool on) { set_a20(on); }),
      port92_([this] { request_reset(); }, [this](bool on) { set_a20(on); }),
      hpet_(kCpuHz, &hpet_isa_irqs_, &ioapic_, [this](bool on) { hpet_legacy_changed(on); }) {
    void* p = mmap(nullptr, cfg_.ram_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot reserve guest RAM");
    ram_ = static_cast<u8*>(p);

    io_.add_ports(dev::Pic8259Pair::kMasterCmd, 2, &pic_, 1, "pic master");
    io_.add_ports(dev::Pic8259Pair::kSlaveCmd, 2, &pic_, 1, "pic slave");
    io_.add_ports(dev::Pit8254::kBase, 4, &pit_, 1, "pit");
    io_.add_ports(dev::Pit8254::kPortB, 1, &pit_, 1, "port b");
    io_.add_ports(dev::Uart16550::kCom1Base, dev::Uart16550::kPorts, &com1_, 1, "com1");
    io_.add_ports(dev::CmosRtc::kIndexPort, 2, &rtc_, 1, "rtc");
    if (cfg_.debugcon_out) io_.add_ports(dev::DebugCon::kPort, 1, &debugcon_, 1, "debugcon");
    io_.add_ports(dev::DebugExit::kPort, dev::DebugExit::kPorts, &debug_exit_, 4, "debug-exit");
    io_.add_ports(FpuErrorLatch::kPort, 1, &fpu_error_, 1, "fpu error (IGNNE#)");
    io_.add_ports(dev::FwCfg::kSelectorPort, 1, &fw_cfg_, 2, "fw_cfg selector");
    io_.add_ports(dev::FwCfg::kDataPort, 1, &fw_cfg_, 1, "fw_cfg data");
    io_.add_ports(dev::AtaChannel::kCmdBase, 1, &ata_, 4, "ata data");
    io_.add_ports(dev::AtaChannel::kCmdBase + 1, 7, &ata_, 1, "ata command block");
    io_.add_ports(dev::AtaChannel::kCtrl, 1, &ata_, 1, "ata control");
    io_.add_ports(dev::I8042::kData, 1, &kbc_, 1, "keyboard data");
    io_.add_ports(dev::I8042::kCommand, 1, &kbc_, 1, "keyboard status/command");
    io_.add_ports(dev::Port92::kPort, 1, &port92_, 1, "port 92");
    io_.add_ports(dev::Vga::kMonoCrtc, 2, &vga_, 1, "vga mono crtc");
    io_.add_ports(dev::Vga::kMonoStatus, 1, &vga_, 1, "vga mono status");
    io_.add_ports(dev::Vga::kRegs, 16, &vga_, 1, "vga");
    io_.add_ports(dev::Vga::kColorCrtc, 2, &vga_, 1, "vga colour crtc");
    io_.add_ports(dev::Vga::kColorStatus, 1, &vga_, 1, "vga colour status");
    io_.add_mmio(dev::Vga::kWindowBase, dev::Vga::kWindowSize, &vga_, "vga memory");
    io_.add_mmio(dev::IoApic::kDefaultBase, dev::IoApic::kMmioSize, &ioapic_, "ioapic");
    io_.add_mmio(dev::Hpet::kBase, dev::Hpet::kMmioSize, &hpet_, "hpet");
    timed_ = {&pit_, &com1_, &rtc_, &hpet_};

    tables_ = dev::build_firmware_tables({.cpu_count = cfg_.cpus}, kTablesBase);
    write_phys(tables_.base, tables_.bytes.data(), tables_.bytes.size());

    code_ = std::make_shared<CodeCache>();
    if (cfg_.timing == timing::Mode::Detailed) timing_ = std::make_unique<timing::System>(timing::kParams, cfg_.cpus);
    for (unsigned n = 0; n < cfg_.cpus; ++n) {
        auto p = std::make_unique<Processor>();
        p->index = n;
        p->cpu = std::make_unique<Cpu>(*this, code_);
        if (timing_) p->cpu->set_timing_model(&timing_->cpu(n));
        p->cpu->reset();
        p->cpu->deliver_exceptions = true;
        p->cpu->apic_id = u8(n);
        dev::IpiRouter* router = this;
        p->lapic = std::make_unique<dev::LocalApic>(n, /*bsp=*/n == 0, router);
        p->lapic->set_extint_ack([this] { return pic_.acknowledge(); });
        p->lapic->set_eoi_broadcast([this](u8 v) { ioapic_.eoi(v); });
        p->interrupts = std::make_unique<ApicInterrupts>(*this, *p->lapic);
        p->msrs = std::make_unique<ApicMsrs>(*this, *p);
        p->cpu->interrupts = p->interrupts.get();
        p->cpu->msr_handler = p->msrs.get();
        if (n == 0) {
            p->lapic->setup_virtual_wire();  // what a PC BIOS leaves on the BSP
            p->cpu->ferr_pin = &fpu_error_;  // a PC wires the BSP's FERR# only
        }
        else p->wait_sipi = true;
        sync_apic_base(*p);
        lapics_.push_back(p->lapic.get());
        cpus_.push_back(std::move(p));
    }
    bios::post(*this);
}

// The power-on state again; see machine.h. The devices are rebuilt in place, so
// the IoBus keeps pointing at them; the RTC keeps its time (it runs on a battery).
void Machine::reset() {
    round_.reset();
    pic_ = dev::Pic8259Pair({&pic_output_, 0});
    ioapic_ = dev::IoApic(this);
    hpet_legacy_ = false;
    isa_levels_ = 0;
    ata_.reset();
    pit_ = dev::Pit8254(kCpuHz, {&isa_irqs_, dev::Pit8254::kIrq});
    com1_ = dev::Uart16550(dev::Uart16550::kCom1Base, kCpuHz, {&isa_irqs_, dev::Uart16550::kCom1Irq}, [this](u8 b) { serial_output(b); });
    vga_ = dev::Vga();
    kbc_ = dev::I8042({&isa_irqs_, dev::I8042::kKbdIrq}, {&isa_irqs_, dev::I8042::kMouseIrq}, [this] { request_reset(); },
                      [this](bool on) { set_a20(on); });
    port92_ = dev::Port92([this] { request_reset(); }, [this](bool on) { set_a20(on); });
    hpet_ = dev::Hpet(kCpuHz, &hpet_isa_irqs_, &ioapic_, [this](bool on) { hpet_legacy_changed(on); });
    set_a20(true);
    com1_lcr_ = com1_ier_ = 0;
    for (auto& p : cpus_) {
        p->lapic->reset();
        p->cpu->reset();
        p->cpu->deliver_exceptions = true;
        p->cpu->apic_id = u8(p->index);
        p->wait_sipi = p->index != 0;
        if (p->index == 0) p->lapic->setup_virtual_wire();
        sync_apic_base(*p);
    }
    stopping_ = reset_requested_ = false;
    write_phys(tables_.base, tables_.bytes.data(), tables_.bytes.size());
    bios::post(*this);
}

void Machine::request_reset() {
    if (stopping_) return;
    // As for isa-debug-exit: the writing CPU stops after this instruction and
    // run() returns RunEnd::Reset.
    reset_requested_ = stopping_ = true;
    if (running_) running_->cpu->halted = true, running_->cpu->end_block = true;
}

// A20 changes what bit 20 of every physical address means: cached host
// pointers and code decoded from the megabyte above 1 MiB are stale.
void Machine::set_a20(bool on) {
    if (on == a20_) return;
    a20_ = on;
    for (auto& p : cpus_) p->cpu->flush_tlb();
    if (code_)
        for (u64 page = 0x100; page < 0x200; ++page) code_->invalidate_page(page);
    if (running_) running_->cpu->end_block = true;
}

void Machine::attach_disk(unsigned slot, std::unique_ptr<dev::BlockBackend> disk) {
    ata_.attach(slot, std::move(disk));
    bios::probe_disks(*this);
}

size_t Machine::inject_serial(const u8* bytes, size_t n) {
    n = std::min(n, serial_room());
    if (input_listener_ && n) input_listener_->serial(bytes, n);
    serial_queue_.insert(serial_queue_.end(), bytes, bytes + n);
    return n;
}

// ---- snapshots ----

void Machine::serialize(Archive& ar) {
    ar.section("machine");
    ar(now_, device_time_, stopping_, reset_requested_, a20_, hpet_legacy_, isa_levels_, next_host_poll_, serial_queue_,
       com1_lcr_, com1_ier_, serial_out_count_, debugcon_out_count_);
    // A round a debugger stop interrupted: the next run() resumes it.
    bool in_round = round_.has_value();
    Round round = round_.value_or(Round{0, 0});
    ar(in_round, round.end, round.next_cpu);
    if (ar.loading()) round_ = in_round ? std::optional<Round>(round) : std::nullopt;
    for (auto& p : cpus_) {
        ar(p->wait_sipi);
        p->cpu->serialize(ar);
        ar.section("lapic");
        ar.io(*p->lapic);
    }
    ar.section("devices");
    ar(pic_, ioapic_, ata_, pit_, com1_, rtc_, debug_exit_, fw_cfg_, vga_, kbc_, port92_, hpet_);
    ar.section("end");
    // The decoded code may be of bytes the restored RAM no longer holds; the
    // CPUs dropped their host caches in Cpu::serialize.
    if (ar.loading()) code_->invalidate_all();
}

void Machine::watch_writes(PageWriteListener* l) {
    write_listener_ = l;
    written_.assign(l ? (cfg_.ram_bytes / 0x1000 + 63) / 64 : 0, 0);
    for (auto& p : cpus_) p->cpu->drop_host_caches();
}

void Machine::sync_apic_base(Processor& p) { p.cpu->sys.apic_base = p.lapic->apic_base(); }

Machine::~Machine() {
    cpus_.clear();  // the CPUs detach from the cache before it goes
    if (ram_) munmap(ram_, cfg_.ram_bytes);
}

// ---- physical memory ----

void Machine::write_phys(u64 pa, const void* src, size_t size) {
    if (pa > cfg_.ram_bytes || size > cfg_.ram_bytes - pa) throw std::out_of_range("write outside RAM");
    if (write_listener_)
        for (u64 page = pa >> 12; size && page <= (pa + size - 1) >> 12; ++page) note_write(page);
    std::memcpy(ram_ + pa, src, size);
    if (code_)
        for (u64 page = pa >> 12; size && page <= (pa + size - 1) >> 12; ++page) code_->invalidate_page(page);
}

void Machine::zero_phys(u64 pa, size_t size) {
    if (pa > cfg_.ram_bytes || size > cfg_.ram_bytes - pa) throw std::out_of_range("write outside RAM");
    if (write_listener_)
        for (u64 page = pa >> 12; size && page <= (pa + size - 1) >> 12; ++page) note_write(page);
    std::memset(ram_ + pa, 0, size);
    if (code_)
        for (u64 page = pa >> 12; size && page <= (pa + size - 1) >> 12; ++page) code_->invalidate_page(page);
}

void Machine::read_phys(u64 pa, void* dst, size_t size) const {
    if (pa > cfg_.ram_bytes || size > cfg_.ram_bytes - pa) throw std::out_of_range("read outside RAM");
    std::memcpy(dst, ram_ + pa, size);
}

// ---- the bus ----

u8* Machine::ram_page(u64 paddr) {
    if (!a20_) paddr &= ~(1ull << 20);
    if (paddr >= cfg_.ram_bytes) return nullptr;
    if (paddr - dev::Vga::kWindowBase < dev::Vga::kWindowSize) return nullptr;  // the VGA window hides the RAM below
    return ram_ + (paddr & ~0xFFFull);
}

u8* Machine::ram_page_for_write(u64 paddr) {
    u8* page = ram_page(paddr);
    if (page && write_listener_) note_write(u64(page - ram_) >> 12);
    return page;
}

u64 Machine::device_now() {
    if (running_) device_time_ = std::max(device_time_, running_->cpu->cycles);
    device_time_ = std::max(device_time_, now_);
    return device_time_;
}

// Each CPU sees its own LAPIC in the page at its IA32_APIC_BASE; the LAPIC's
// clock is its CPU's cycle counter.
dev::LocalApic* Machine::lapic_page(u64 paddr) {
    if (!running_) return nullptr;
    dev::LocalApic& a = *running_->lapic;
    if (!a.hw_enabled() || paddr - a.mmio_base() >= dev::LocalApic::kMmioSize) return nullptr;
    return &a;
}

u64 Machine::mmio_read(u64 paddr, unsigned size) {
    if (!a20_) paddr &= ~(1ull << 20);
    if (dev::LocalApic* a = lapic_page(paddr)) return a->mmio_read(paddr - a->mmio_base(), size, running_->cpu->cycles);
    return io_.mmio_read(paddr, size, device_now());
}

void Machine::mmio_write(u64 paddr, unsigned size, u64 value) {
    if (!a20_) paddr &= ~(1ull << 20);
    if (dev::LocalApic* a = lapic_page(paddr)) {
        a->mmio_write(paddr - a->mmio_base(), size, value, running_->cpu->cycles);
        return;
    }
    io_.mmio_write(paddr, size, value, device_now());
}

u32 Machine::io_in(u16 port, unsigned size) {
    u64 t = device_now();
    // A read of COM1's line status is the guest looking for input: top the
    // receiver up first so it sees what the host has typed.
    if (port <= kCom1 + dev::Uart16550::LSR && port + size > kCom1 + dev::Uart16550::LSR) feed_serial(t);
    return io_.io_in(port, size, t);
}

void Machine::io_out(u16 port, unsigned size, u32 value) {
    u64 t = device_now();
    for (unsigned k = 0; k < size; ++k) {
        u16 p = u16(port + k);
        u8 byte = u8(value >> (8 * k));
        if (p == kCom1 + dev::Uart16550::LCR) com1_lcr_ = byte;
        if (p == kCom1 + dev::Uart16550::IER && !(com1_lcr_ & kLcrDlab)) com1_ier_ = byte;
    }
    io_.io_out(port, size, value, t);
    if (debug_exit_.exit_request() && !stopping_) {
        // Stop the writing CPU at its next block boundary: no interrupt will
        // wake it (ApicInterrupts checks stopping_).
        stopping_ = true;
        if (running_) running_->cpu->halted = true;
    }
}

// ---- processors ----

void Machine::send_init(unsigned n) {
    Processor& p = *cpus_.at(n);
    if (&p == running_) return;  // a CPU cannot reset itself mid-instruction: see docs/machine.md
    p.lapic->init_reset();
    p.cpu->reset();
    p.cpu->deliver_exceptions = true;
    p.cpu->apic_id = u8(n);
    sync_apic_base(p);
    p.wait_sipi = true;
}

void Machine::send_sipi(unsigned n, u8 vector) {
    Processor& p = *cpus_.at(n);
    if (!p.wait_sipi) return;
    Cpu& c = *p.cpu;
    c.reset();
    c.deliver_exceptions = true;
    c.apic_id = u8(n);
    sync_apic_base(p);
    c.sys.seg[CS].sel = u16(vector << 8);
    c.sys.seg[CS].base = u64(vector) << 12;
    c.s.rip = 0;
    c.update_mode();
    // It starts when the SIPI is sent: the sender's time, if a CPU sent it.
    c.cycles = std::max({c.cycles, now_, running_ ? running_->cpu->cycles : 0});
    p.wait_sipi = false;
}

void Machine::send(const dev::ApicMessage& m) {
    for (dev::LocalApic* a : dev::LocalApic::select(m, lapics_)) {
        unsigned n = unsigned(std::find(lapics_.begin(), lapics_.end(), a) - lapics_.begin());
        a->receive(m);
        if (m.mode == dev::DeliveryMode::Init) send_init(n);
        else if (m.mode == dev::DeliveryMode::StartUp) send_sipi(n, m.vector);
    }
}

u64 Machine::total_insns() const {
    u64 n = 0;
    for (auto& p : cpus_) n += p->cpu->insns;
    return n;
}

// ---- the run loop ----

u64 Machine::next_device_event() const {
    u64 t = dev::kNever;
    for (const dev::Timed* d : timed_) t = std::min(t, d->next_event());
    return t;
}

void Machine::advance_devices(u64 t) {
    device_time_ = std::max(device_time_, t);
    for (dev::Timed* d : timed_)
        if (d->next_event() <= device_time_) d->advance(device_time_);
}

void Machine::feed_serial(u64 t) {
    while (com1_.can_receive()) {
        if (serial_queue_.empty() && host_) host_->refill(*this);
        if (serial_queue_.empty()) break;
        com1_.receive(serial_queue_.front(), t);
        serial_queue_.pop_front();
    }
}

// ---- the idle rule ----

bool Machine::ioapic_pin_open(unsigned pin) const { return pin < dev::IoApic::kPins && !(ioapic_.entry(pin) & dev::IoApic::kMasked); }

bool Machine::isa_line_open(unsigned line) const {
    const auto &master = pic_.master(), &slave = pic_.slave();
    bool pic = line < 8 ? !(master.imr >> line & 1) : !(slave.imr >> (line - 8) & 1) && !(master.imr >> 2 & 1);
    if (pic && !cpus_[0]->wait_sipi) {
        // The PIC's INT reaches the BSP's LINT0, or its INTR pin with the APIC off.
        const dev::LocalApic& a = *cpus_[0]->lapic;
        if (!a.hw_enabled() || (a.sw_enabled() && !(a.peek(dev::LocalApic::LVT_LINT0, 0) & dev::LocalApic::kLvtMask)))
            return true;
    }
    return ioapic_pin_open(line == 0 ? 2 : line);
}

// The earliest timed event that could make an interrupt reach a CPU. A timer
// whose every path to a CPU is masked does not count: its events change nothing
// a halted CPU could notice, and its device catches up when time moves on.
u64 Machine::next_wake_event() const {
    u64 t = dev::kNever;
    auto consider = [&t](u64 e, bool open) {
        if (open) t = std::min(t, e);
    };
    consider(pit_.next_event(), !hpet_legacy_ && isa_line_open(dev::Pit8254::kIrq));
    consider(com1_.next_event(), isa_line_open(dev::Uart16550::kCom1Irq));
    consider(rtc_.next_event(), !hpet_legacy_ && isa_line_open(dev::CmosRtc::kIrq));
    for (unsigned n = 0; n < dev::Hpet::kTimers; ++n) {
        dev::Hpet::Route r = hpet_.route(n);
        consider(hpet_.timer_next(n), r.isa ? isa_line_open(r.line) : ioapic_pin_open(r.line));
    }
    for (const auto& p : cpus_) {
        const dev::LocalApic& a = *p->lapic;
        bool open = !p->wait_sipi && (p->cpu->s.rflags & fl::IF) && a.sw_enabled() &&
                    !(a.peek(dev::LocalApic::LVT_TIMER, 0) & dev::LocalApic::kLvtMask);
        consider(a.next_event(), open);
    }
    return t;
}

// False when the CPU cannot execute another instruction whatever the devices
// do: halted with interrupts disabled (and no NMI pending), or waiting for a
// SIPI. Asked only when every CPU is idle, so no running CPU can send the NMI or
// SIPI either.
bool Machine::can_run_again(const Processor& p) const {
    if (p.wait_sipi) return false;
    const Cpu& c = *p.cpu;
    if (!c.halted) return true;
    return (c.s.rflags & fl::IF) || p.lapic->has_nmi();
}

bool Machine::run_cpu(Processor& p, u64 end, RunResult& result) {
    Cpu& c = *p.cpu;
    dev::LocalApic& apic = *p.lapic;
    while (!p.wait_sipi && c.cycles < end) {
        apic.set_tsc_offset(c.sys.tsc_offset);
        apic.advance(c.cycles);
        u64 limit = std::min(end, apic.next_event());
        running_ = &p;
        StepResult r = c.run(std::max(limit, c.cycles + 1));
        running_ = nullptr;
        if (stopping_) {
            now_ = std::max(now_, c.cycles);
            result = guest_exit();
            return false;
        }
        if (r.reason == StopReason::Debug) {
            result.end = RunEnd::Debug;
            result.cpu = p.index;
            return false;
        }
        if (r.reason == StopReason::TripleFault) {
            now_ = std::max(now_, c.cycles);
            result.end = RunEnd::TripleFault;
            result.cpu = p.index;
            result.detail = c.describe();
            if (c.triple_fault) {
                char buf[96];
                std::snprintf(buf, sizeof buf, "fault that could not be delivered: %s (vector %u, error %#x)\n",
                              vector_name(c.triple_fault->vector), c.triple_fault->vector, c.triple_fault->error);
                result.detail = buf + result.detail;
            }
            return false;
        }
        if (c.halted) {
            // Nothing but its own timer can wake it before the round ends: sleep
            // until the timer's expiry, or leave the rest of the round.
            u64 t = apic.next_event();
            if (t >= end) break;
            c.cycles = std::max(c.cycles, t);
        }
    }
    return true;
}

StepResult Machine::step_cpu(unsigned n) {
    Processor& p = *cpus_.at(n);
    if (p.wait_sipi) return {StopReason::Halt, {}};
    Cpu& c = *p.cpu;
    p.lapic->set_tsc_offset(c.sys.tsc_offset);
    p.lapic->advance(c.cycles);
    running_ = &p;
    StepResult r = c.step();
    running_ = nullptr;
    return r;
}

std::string Machine::describe_cpu(unsigned n) const {
    const Processor& p = *cpus_[n];
    const Cpu& c = *p.cpu;
    char buf[160];
    if (p.wait_sipi) {
        std::snprintf(buf, sizeof buf, "cpu%u: waiting for SIPI", n);
    } else {
        std::snprintf(buf, sizeof buf, "cpu%u: %s at %04x:%08llx, IF=%d (%s mode)", n,
                      c.halted ? "halted" : "running", c.sys.seg[CS].sel, (unsigned long long)c.s.rip,
                      (c.s.rflags & fl::IF) ? 1 : 0, mode_name(c.sys.mode));
    }
    return buf;
}

RunResult Machine::guest_exit() {
    // CPUs that were not running when the guest exited were idle up to now.
    for (auto& p : cpus_)
        if (p->wait_sipi || p->cpu->halted) p->cpu->cycles = std::max(p->cpu->cycles, now_);
    RunResult result;
    if (reset_requested_) {
        result.end = RunEnd::Reset;
        return result;
    }
    result.end = RunEnd::GuestExit;
    result.exit_status = *debug_exit_.exit_request();
    return result;
}

RunResult Machine::run(u64 cycle_limit) {
    RunResult result;
    // True when every CPU is idle: halted (with nothing it can take) or waiting for SIPI.
    auto all_idle = [this] {
        for (auto& p : cpus_) {
            Cpu& c = *p->cpu;
            if (p->wait_sipi) continue;
            if (!c.halted) return false;
            if (c.interrupts->has_nmi() || ((c.s.rflags & fl::IF) && c.interrupts->has_interrupt())) return false;
        }
        return true;
    };
    for (;;) {
        u64 end;
        size_t first_cpu = 0;
        if (round_) {
            // Resume the round a debugger stop interrupted, at the CPU that stopped.
            end = round_->end;
            first_cpu = round_->next_cpu;
            round_.reset();
        } else {
            if (round_listener_) round_listener_->round_start(*this);
            advance_devices(now_);
            if (host_ && now_ >= next_host_poll_) {
                host_->poll(*this);
                next_host_poll_ = now_ + kHostPollCycles;
            }
            if (com1_ier_ & kIerRxData) feed_serial(device_time_);
            if (stopping_) return guest_exit();
            if (host_ && host_->stop_requested()) {
                result.end = RunEnd::Stopped;
                return result;
            }
            if (now_ >= cycle_limit) {
                result.end = RunEnd::CycleLimit;
                for (unsigned n = 0; n < cpus_.size(); ++n) result.detail += describe_cpu(n) + "\n";
                return result;
            }
            end = std::min({now_ + cfg_.quantum, next_device_event(), cycle_limit});
            if (end <= now_) end = now_ + 1;
        }
        for (size_t k = first_cpu; k < cpus_.size(); ++k)
            if (!run_cpu(*cpus_[k], end, result)) {
                if (result.end == RunEnd::Debug) round_ = Round{end, k};
                return result;
            }
        now_ = end;
        // Halted and waiting CPUs let time pass; so do those that stopped early.
        for (auto& p : cpus_)
            if (p->wait_sipi || p->cpu->halted) p->cpu->cycles = std::max(p->cpu->cycles, now_);
        if (!all_idle()) continue;

        // Every CPU is idle. Input the host already gave may wake one.
        if (com1_ier_ & kIerRxData) {
            feed_serial(now_);
            if (!all_idle()) continue;
        }
        bool any_can_run = false;
        for (auto& p : cpus_) any_can_run |= can_run_again(*p);
        u64 next = any_can_run ? next_wake_event() : dev::kNever;
        if (any_can_run && next == dev::kNever && host_ && host_->wait(*this)) continue;  // input at this cycle
        if (!any_can_run || next == dev::kNever) {
            result.end = RunEnd::AllHalted;
            result.nothing_to_wait_for = any_can_run;
            for (unsigned n = 0; n < cpus_.size(); ++n) result.detail += describe_cpu(n) + "\n";
            return result;
        }
        // Nothing runs until that event: jump there.
        now_ = std::max(now_, std::min(next, cycle_limit));
        for (auto& p : cpus_) p->cpu->cycles = std::max(p->cpu->cycles, now_);
    }
}

}  // namespace sy
