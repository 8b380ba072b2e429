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

// The 8259A pair as the BSP's interrupt source (its INTR pin and the INTA
// cycles). Once the guest has asked to exit, nothing more is offered, so the
// CPU stops at its next block boundary.
class Machine::PicInterrupts final : public InterruptSource {
public:
    explicit PicInterrupts(Machine& m) : m_(m) {}
    bool has_interrupt() override { return !m_.stopping_ && m_.pic_.int_output(); }
    u8 acknowledge() override { return m_.pic_.acknowledge(); }

private:
    Machine& m_;
};

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
      pit_(kCpuHz, {&pic_, dev::Pit8254::kIrq}),
      com1_(dev::Uart16550::kCom1Base, kCpuHz, {&pic_, dev::Uart16550::kCom1Irq},
            [this](u8 b) {
                if (cfg_.serial_out) cfg_.serial_out(b);
            }),
      rtc_(kCpuHz, cfg_.ram_bytes, 0, {&pic_, dev::CmosRtc::kIrq}),
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
    io_.add_ports(dev::FwCfg::kSelectorPort, 1, &fw_cfg_, 2, "fw_cfg selector");
    io_.add_ports(dev::FwCfg::kDataPort, 1, &fw_cfg_, 1, "fw_cfg data");
    timed_ = {&pit_, &com1_, &rtc_};

    tables_ = dev::build_firmware_tables({.cpu_count = cfg_.cpus}, kTablesBase);
    write_phys(tables_.base, tables_.bytes.data(), tables_.bytes.size());

    code_ = std::make_shared<CodeCache>();
    for (unsigned n = 0; n < cfg_.cpus; ++n) {
        auto p = std::make_unique<Processor>();
        p->cpu = std::make_unique<Cpu>(*this, code_);
        p->cpu->reset();
        p->cpu->deliver_exceptions = true;
        if (n == 0) {
            p->interrupts = std::make_unique<PicInterrupts>(*this);
            p->cpu->interrupts = p->interrupts.get();
        } else {
            p->cpu->sys.apic_base &= ~u64(1u << 8);  // BSP flag only on CPU 0
            p->wait_sipi = true;
        }
        cpus_.push_back(std::move(p));
    }
}

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

u64 Machine::mmio_read(u64 paddr, unsigned size) { return io_.mmio_read(paddr, size, device_now()); }

void Machine::mmio_write(u64 paddr, unsigned size, u64 value) { io_.mmio_write(paddr, size, value, device_now()); }

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
        // wake it (PicInterrupts checks stopping_).
        stopping_ = true;
        if (running_) running_->cpu->halted = true;
    }
}

// ---- processors ----

void Machine::send_init(unsigned n) {
    Processor& p = *cpus_.at(n);
    p.cpu->reset();
    p.cpu->deliver_exceptions = true;
    if (n != 0) p.cpu->sys.apic_base &= ~u64(1u << 8);
    p.wait_sipi = true;
}

void Machine::send_sipi(unsigned n, u8 vector) {
    Processor& p = *cpus_.at(n);
    if (!p.wait_sipi) return;
    Cpu& c = *p.cpu;
    c.reset();
    c.deliver_exceptions = true;
    if (n != 0) c.sys.apic_base &= ~u64(1u << 8);
    c.sys.seg[CS].sel = u16(vector << 8);
    c.sys.seg[CS].base = u64(vector) << 12;
    c.s.rip = 0;
    c.update_mode();
    c.cycles = std::max(c.cycles, now_);
    p.wait_sipi = false;
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
    if (!serial_in_) return;
    while (com1_.can_receive()) {
        std::optional<u8> b = serial_in_();
        if (!b) break;
        com1_.receive(*b, t);
    }
}

// False when the CPU cannot execute another instruction whatever the devices
// do: halted with interrupts disabled (and no NMI), or waiting for a SIPI that
// no running CPU can send. (An NMI or SIPI source arrives with the LAPIC.)
bool Machine::can_run_again(const Processor& p) const {
    if (p.wait_sipi) return false;
    const Cpu& c = *p.cpu;
    if (!c.halted) return true;
    return (c.s.rflags & fl::IF) && c.interrupts != nullptr;
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

RunResult Machine::run(u64 cycle_limit) {
    RunResult result;
    auto finish_exit = [&] {
        // CPUs that were not running when the guest exited were idle up to now.
        for (auto& p : cpus_)
            if (p->wait_sipi || p->cpu->halted) p->cpu->cycles = std::max(p->cpu->cycles, now_);
        result.end = RunEnd::GuestExit;
        result.exit_status = *debug_exit_.exit_request();
        return result;
    };
    for (;;) {
        advance_devices(now_);
        if (com1_ier_ & kIerRxData) feed_serial(device_time_);
        if (stopping_) return finish_exit();
        if (now_ >= cycle_limit) {
            result.end = RunEnd::CycleLimit;
            for (unsigned n = 0; n < cpus_.size(); ++n) result.detail += describe_cpu(n) + "\n";
            return result;
        }

        u64 end = std::min({now_ + cfg_.quantum, next_device_event(), cycle_limit});
        if (end <= now_) end = now_ + 1;
        for (auto& p : cpus_) {
            Cpu& c = *p->cpu;
            if (p->wait_sipi || c.cycles >= end) continue;
            running_ = p.get();
            StepResult r = c.run(end);
            running_ = nullptr;
            if (stopping_) {
                now_ = std::max(now_, c.cycles);
                return finish_exit();
            }
            if (r.reason == StopReason::TripleFault) {
                now_ = std::max(now_, c.cycles);
                result.end = RunEnd::TripleFault;
                result.cpu = unsigned(&p - cpus_.data());
                result.detail = c.describe();
                if (c.triple_fault) {
                    char buf[96];
                    std::snprintf(buf, sizeof buf, "fault that could not be delivered: %s (vector %u, error %#x)\n",
                                  vector_name(c.triple_fault->vector), c.triple_fault->vector, c.triple_fault->error);
                    result.detail = buf + result.detail;
                }
                return result;
            }
        }
        now_ = end;
        // Halted and waiting CPUs let time pass; so do those that stopped early.
        bool all_idle = true;
        for (auto& p : cpus_) {
            Cpu& c = *p->cpu;
            bool idle = p->wait_sipi || c.halted;
            if (idle) c.cycles = std::max(c.cycles, now_);
            if (c.halted && c.interrupts && (c.s.rflags & fl::IF) &&
                (c.interrupts->has_interrupt() || c.interrupts->has_nmi()))
                idle = false;  // it takes the interrupt next round
            all_idle &= idle;
        }
        if (!all_idle) continue;

        bool any_can_run = false;
        for (auto& p : cpus_) any_can_run |= can_run_again(*p);
        u64 next = next_device_event();
        if (!any_can_run || next == dev::kNever) {
            result.end = RunEnd::AllHalted;
            result.detail = any_can_run ? "every CPU is halted and no device has an event pending\n" : "";
            for (unsigned n = 0; n < cpus_.size(); ++n) result.detail += describe_cpu(n) + "\n";
            return result;
        }
        // Nothing runs until the next device event: jump there.
        now_ = std::max(now_, std::min(next, cycle_limit));
        for (auto& p : cpus_) p->cpu->cycles = std::max(p->cpu->cycles, now_);
    }
}

}  // namespace sy
