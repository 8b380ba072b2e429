// The machine: RAM, bus routing, device wiring and the round-robin run loop
// (see machine.h for the clock rules, docs/machine.md for the overview).
#include "machine.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

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
    m_.pic_.set_irq(line, level);
    m_.ioapic_.set_irq(line == 0 ? 2 : line, level);  // the MADT's IRQ0 -> GSI2 override
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
            [this](u8 b) {
                if (cfg_.serial_out) cfg_.serial_out(b);
            }),
      rtc_(kCpuHz, cfg_.ram_bytes, 0, {&isa_irqs_, dev::CmosRtc::kIrq}),
      debugcon_([this](u8 b) {
          if (cfg_.debugcon_out) cfg_.debugcon_out(b);
      }),
      fw_cfg_(cfg_.ram_bytes, u16(cfg_.cpus)) {
    void* p = mmap(nullptr, cfg_.ram_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot reserve guest RAM");
    ram_ = static_cast<u8*>(p);

    io_.add_ports(dev::Pic8259Pair::kMasterCmd, 2, &pic_, 1, "pic master");
    io_.add_ports(dev::Pic8259Pair::kSlaveCmd, 2, &pic_, 1, "pic slave");
    io_.add_ports(dev::Pit8254::kBase, 4, &pit_, 1, "pit");
    io_.add_ports(dev::Pit8254::kPortB, 1, &pit_, 1, "port b");
    io_.add_ports(dev::Uart16550::kCom1Base, dev::Uart16550::kPorts, &com1_, 1, "com1");
    io_.add_ports(dev::CmosRtc::kIndexPort, 2, &rtc_, 1, "rtc");
    io_.add_ports(dev::DebugCon::kPort, 1, &debugcon_, 1, "debugcon");
    io_.add_ports(dev::DebugExit::kPort, dev::DebugExit::kPorts, &debug_exit_, 4, "debug-exit");
    io_.add_ports(FpuErrorLatch::kPort, 1, &fpu_error_, 1, "fpu error (IGNNE#)");
    io_.add_ports(dev::FwCfg::kSelectorPort, 1, &fw_cfg_, 2, "fw_cfg selector");
    io_.add_ports(dev::FwCfg::kDataPort, 1, &fw_cfg_, 1, "fw_cfg data");
    io_.add_ports(dev::AtaChannel::kCmdBase, 1, &ata_, 4, "ata data");
    io_.add_ports(dev::AtaChannel::kCmdBase + 1, 7, &ata_, 1, "ata command block");
    io_.add_ports(dev::AtaChannel::kCtrl, 1, &ata_, 1, "ata control");
    io_.add_mmio(dev::IoApic::kDefaultBase, dev::IoApic::kMmioSize, &ioapic_, "ioapic");
    timed_ = {&pit_, &com1_, &rtc_};

    tables_ = dev::build_firmware_tables({.cpu_count = cfg_.cpus}, kTablesBase);
    write_phys(tables_.base, tables_.bytes.data(), tables_.bytes.size());

    code_ = std::make_shared<CodeCache>();
    for (unsigned n = 0; n < cfg_.cpus; ++n) {
        auto p = std::make_unique<Processor>();
        p->index = n;
        p->cpu = std::make_unique<Cpu>(*this, code_);
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
}

void Machine::sync_apic_base(Processor& p) { p.cpu->sys.apic_base = p.lapic->apic_base(); }

Machine::~Machine() {
    cpus_.clear();  // the CPUs detach from the cache before it goes
    if (ram_) munmap(ram_, cfg_.ram_bytes);
}

// ---- physical memory ----

void Machine::write_phys(u64 pa, const void* src, size_t size) {
    if (pa > cfg_.ram_bytes || size > cfg_.ram_bytes - pa) throw std::out_of_range("write outside RAM");
    std::memcpy(ram_ + pa, src, size);
    if (code_)
        for (u64 page = pa >> 12; size && page <= (pa + size - 1) >> 12; ++page) code_->invalidate_page(page);
}

void Machine::read_phys(u64 pa, void* dst, size_t size) const {
    if (pa > cfg_.ram_bytes || size > cfg_.ram_bytes - pa) throw std::out_of_range("read outside RAM");
    std::memcpy(dst, ram_ + pa, size);
}

// ---- the bus ----

u8* Machine::ram_page(u64 paddr) {
    if (paddr >= cfg_.ram_bytes) return nullptr;
    return ram_ + (paddr & ~0xFFFull);
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
    if (dev::LocalApic* a = lapic_page(paddr)) return a->mmio_read(paddr - a->mmio_base(), size, running_->cpu->cycles);
    return io_.mmio_read(paddr, size, device_now());
}

void Machine::mmio_write(u64 paddr, unsigned size, u64 value) {
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

u64 Machine::next_event() const {
    u64 t = next_device_event();
    for (const auto& p : cpus_)
        if (!p->wait_sipi) t = std::min(t, p->lapic->next_event());
    return t;
}

void Machine::advance_devices(u64 t) {
    device_time_ = std::max(device_time_, t);
    for (dev::Timed* d : timed_)
        if (d->next_event() <= device_time_) d->advance(device_time_);
}

void Machine::feed_serial(u64 t) {
    if (!serial_in_) return;
    while (com1_.can_receive()) {
        std::optional<u8> b = serial_in_();
        if (!b) break;
        com1_.receive(*b, t);
    }
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
    result.end = RunEnd::GuestExit;
    result.exit_status = *debug_exit_.exit_request();
    return result;
}

RunResult Machine::run(u64 cycle_limit) {
    RunResult result;
    for (;;) {
        advance_devices(now_);
        if (com1_ier_ & kIerRxData) feed_serial(device_time_);
        if (stopping_) return guest_exit();
        if (now_ >= cycle_limit) {
            result.end = RunEnd::CycleLimit;
            for (unsigned n = 0; n < cpus_.size(); ++n) result.detail += describe_cpu(n) + "\n";
            return result;
        }

        u64 end = std::min({now_ + cfg_.quantum, next_device_event(), cycle_limit});
        if (end <= now_) end = now_ + 1;
        for (auto& p : cpus_)
            if (!run_cpu(*p, end, result)) return result;
        now_ = end;
        // Halted and waiting CPUs let time pass; so do those that stopped early.
        bool all_idle = true;
        for (auto& p : cpus_) {
            Cpu& c = *p->cpu;
            bool idle = p->wait_sipi || c.halted;
            if (idle) c.cycles = std::max(c.cycles, now_);
            if (c.halted && !p->wait_sipi &&
                (c.interrupts->has_nmi() || ((c.s.rflags & fl::IF) && c.interrupts->has_interrupt())))
                idle = false;  // it takes the interrupt next round
            all_idle &= idle;
        }
        if (!all_idle) continue;

        bool any_can_run = false;
        for (auto& p : cpus_) any_can_run |= can_run_again(*p);
        u64 next = next_event();
        if (!any_can_run || next == dev::kNever) {
            result.end = RunEnd::AllHalted;
            result.detail = any_can_run ? "every CPU is halted and no device has an event pending\n" : "";
            for (unsigned n = 0; n < cpus_.size(); ++n) result.detail += describe_cpu(n) + "\n";
            return result;
        }
        // Nothing runs until the next device event or LAPIC timer: jump there.
        now_ = std::max(now_, std::min(next, cycle_limit));
        for (auto& p : cpus_) p->cpu->cycles = std::max(p->cpu->cycles, now_);
    }
}

}  // namespace sy
