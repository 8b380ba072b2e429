// The PC machine: RAM, the physical bus (RAM pages, MMIO, port I/O), the PC
// devices, N processors sharing one decode cache, and the one global cycle clock
// that interleaves them. docs/machine.md is the overview.
//
// Time. `now()` is the machine clock in CPU cycles since power-on. The CPUs run
// in rounds: a round ends at min(now + quantum, the earliest device event,
// the cycle limit), and every running CPU executes up to that cycle in turn,
// CPU 0 first. A CPU's own `cycles` counter (its TSC) therefore stays within one
// instruction of the machine clock. A halted CPU, or one waiting for SIPI, lets
// its counter follow the clock. After the round the clock moves to its end and
// the devices whose events fell due are advanced.
//
// Idle. When every CPU is halted, the clock jumps to the next event that could
// wake one (a timer whose interrupt is unmasked on its way to a CPU); events
// that cannot wake anyone are not waited for (the devices catch up on them when
// time moves on). With no such event, the run asks the host for input
// (HostIo::wait, which blocks without using the host CPU) and the input is
// delivered at the cycle the machine was idle at.
//
// Device accesses carry the accessing CPU's cycle count, clamped so that the
// time devices see never goes backwards (a CPU later in the round may be
// slightly behind the one before it). Everything above depends only on the
// guest's instructions and on the input and the cycles it was injected at, so a
// run is reproducible bit for bit.
#pragma once
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apic_bus.h"
#include "ata.h"
#include "bus.h"
#include "cmos_rtc.h"
#include "cpu.h"
#include "debug_ports.h"
#include "firmware_tables.h"
#include "fw_cfg.h"
#include "hpet.h"
#include "i8042.h"
#include "io_bus.h"
#include "ioapic.h"
#include "lapic.h"
#include "pic8259.h"
#include "pit8254.h"
#include "timing/core.h"
#include "uart16550.h"
#include "vga.h"

namespace sy {

class CodeCache;

namespace mem {
inline constexpr u64 KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
}

struct MachineConfig {
    u64 ram_bytes = 256 * mem::MiB;  // multiple of 4 KiB, 2 MiB .. kMaxRam
    unsigned cpus = 2;               // 1 .. kMaxCpus
    u64 quantum = 2000;              // cycles each CPU runs per turn
    // The cycle clock: the instruction timing table (fast), or the detailed
    // model of caches, TLBs, branch prediction and in-order issue
    // (cpu/timing/, docs/timing.md), which then is every CPU's clock.
    timing::Mode timing = timing::Mode::Fast;
    // Where COM1's transmitted bytes go (default: nowhere).
    std::function<void(u8)> serial_out;
    // The isa-debugcon device at port 0xE9 exists only when this is set, as in
    // QEMU, where it exists only with -debugcon.
    std::function<void(u8)> debugcon_out;
};

class Machine;

// The host side of the run: the console (emu/console.h) or a GUI. Machine::run
// calls it only between rounds, at cycles that depend on the guest alone, so
// what it injects there lands at reproducible points: a later record/replay can
// log "these bytes at cycle C" (Machine::now()) and inject them again.
class HostIo {
public:
    virtual ~HostIo() = default;
    // Every kHostPollCycles of guest time: take host input that has arrived
    // (Machine::inject_serial, Machine::key_event) without blocking, and flush
    // output.
    virtual void poll(Machine& m) = 0;
    // COM1 could take a byte and the machine has none queued: a source whose
    // bytes are always there (a regular file) injects its next ones now.
    virtual void refill(Machine&) {}
    // Every CPU is halted and no timed event can wake one. Flush output, then
    // block until input arrives (inject it) or a stop is requested; true if
    // the run should go on, false if no input can ever arrive.
    virtual bool wait(Machine& m) = 0;
    // Ends the run with RunEnd::Stopped (a signal, Ctrl-A X).
    virtual bool stop_requested() = 0;
};

// Told about every input that enters the machine from the host
// (Machine::inject_serial, Machine::key_event), at the cycle it enters: a
// recorder logs it (emu/replay/recording.h).
class InputListener {
public:
    virtual ~InputListener() = default;
    virtual void serial(const u8* bytes, size_t n) = 0;  // the bytes the machine took
    virtual void key(dev::Key k, bool pressed) = 0;
};

// Told before the first write to each RAM page once watching starts
// (Machine::watch_writes), while the page still holds what it held then: a
// snapshot keeps that copy (copy on first write, emu/replay/timeline.h).
class PageWriteListener {
public:
    virtual ~PageWriteListener() = default;
    virtual void before_first_write(u64 page) = 0;  // RAM page number (address >> 12)
};

// Told at the start of each round of Machine::run() that does not resume an
// interrupted one, before the devices advance: the state then is the state a
// fresh run() call starts from, so a timeline can save it there and a later
// run() from the restored state goes on exactly as this one does
// (emu/replay/timeline.h).
class RoundListener {
public:
    virtual ~RoundListener() = default;
    virtual void round_start(Machine& m) = 0;
};

// Why Machine::run() returned.
enum class RunEnd {
    GuestExit,    // the guest wrote the isa-debug-exit port
    TripleFault,  // a CPU shut down
    AllHalted,    // no CPU can ever run again (halted with IF=0, or waiting for SIPI)
    CycleLimit,   // the clock reached the limit given to run()
    Reset,        // the guest reset the machine (keyboard controller, port 0x92); see reset()
    Stopped,      // HostIo::stop_requested()
    Debug,        // a CPU stopped for a debugger (StopReason::Debug); `cpu` says which.
                  // The next run() resumes the round where it stopped, so a run
                  // with stops takes exactly the cycles a run without them does.
};

struct RunResult {
    RunEnd end = RunEnd::CycleLimit;
    int exit_status = 0;      // GuestExit: (value << 1) | 1
    unsigned cpu = 0;         // TripleFault: which CPU
    bool nothing_to_wait_for = false;  // AllHalted with interrupts on: no timer or input can wake a CPU
    std::string detail;       // a human-readable account of the end (CPU states)
};

class Machine final : public Bus, private dev::IpiRouter {
    class ApicInterrupts;
    class ApicMsrs;
    struct Processor {
        std::unique_ptr<Cpu> cpu;
        std::unique_ptr<dev::LocalApic> lapic;          // APIC ID = CPU index
        std::unique_ptr<InterruptSource> interrupts;  // adapts `lapic` for the CPU
        std::unique_ptr<MsrHandler> msrs;             // IA32_APIC_BASE, TSC deadline, x2APIC
        unsigned index = 0;                           // CPU number = APIC ID
        bool wait_sipi = false;                       // an AP before its startup IPI
    };

public:
    static constexpr u64 kCpuHz = 2'000'000'000;  // the clock the devices convert from
    static constexpr u64 kMaxRam = 3 * mem::GiB;  // RAM stays below the MMIO hole at 0xC0000000
    static constexpr unsigned kMaxCpus = 64;
    static constexpr u64 kFirmwareBase = 0xE0000, kFirmwareEnd = 0x100000;  // the BIOS area
    static constexpr u64 kTablesBase = 0xF0000;                            // ACPI/MP tables
    static constexpr u64 kHostPollCycles = 200'000;                        // HostIo::poll interval (100 us)
    static constexpr size_t kSerialQueue = 4096;                           // host bytes waiting for COM1

    // Throws std::invalid_argument for a configuration outside the limits above.
    explicit Machine(MachineConfig cfg);
    ~Machine() override;
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;

    // ---- physical memory ----
    u64 ram_size() const { return cfg_.ram_bytes; }
    u8* ram() { return ram_; }
    // Copies host bytes to guest physical memory; throws std::out_of_range if the
    // range is not all RAM. (These reach the RAM below the VGA window too.)
    void write_phys(u64 pa, const void* src, size_t size);
    void read_phys(u64 pa, void* dst, size_t size) const;
    // Address line 20 (on at power-on). The keyboard controller's output port
    // and port 0x92 both drive it and the last one written wins, as in QEMU
    // (a PC chipset ORs them). While it is off, physical address bit 20
    // reads as 0.
    bool a20() const { return a20_; }

    // ---- Bus (what the CPUs see) ----
    u8* ram_page(u64 paddr) override;
    u8* ram_page_for_write(u64 paddr) override;
    u64 mmio_read(u64 paddr, unsigned size) override;
    void mmio_write(u64 paddr, unsigned size, u64 value) override;
    u32 io_in(u16 port, unsigned size) override;
    void io_out(u16 port, unsigned size, u32 value) override;
    dev::IoBus& io() { return io_; }

    // ---- processors ----
    unsigned cpu_count() const { return unsigned(cpus_.size()); }
    Cpu& cpu(unsigned n) { return *cpus_[n]->cpu; }
    // APs (every CPU but 0) power on waiting for INIT-SIPI-SIPI.
    bool waiting_for_sipi(unsigned n) const { return cpus_[n]->wait_sipi; }
    // INIT: the CPU resets and waits for a SIPI (the BSP too, as on hardware).
    void send_init(unsigned n);
    // Startup IPI: a CPU waiting for SIPI starts in real mode at vector * 0x1000.
    // Ignored by a CPU that is not waiting (SDM Vol. 3A, 8.4.4.1).
    void send_sipi(unsigned n, u8 vector);
    dev::LocalApic& lapic(unsigned n) { return *cpus_[n]->lapic; }
    // The detailed timing model (every CPU's, and their shared uncore), or
    // nullptr with --timing fast.
    timing::System* timing() { return timing_.get(); }

    // ---- the clock ----
    u64 now() const { return now_; }
    // Runs until the guest exits, a CPU triple-faults, no CPU can run again, the
    // clock reaches `cycle_limit`, the guest resets the machine, or the host
    // asks to stop.
    RunResult run(u64 cycle_limit = ~0ull);
    u64 total_insns() const;
    // One instruction on CPU `n` alone (a debugger's step), with the devices
    // seeing it as the running CPU; the machine clock does not move. A halted
    // CPU, or one waiting for SIPI, does nothing (StopReason::Halt).
    StepResult step_cpu(unsigned n);
    // The guest has written the exit port (during step_cpu): finish_exit()
    // gives the result run() would have returned.
    bool exit_requested() const { return stopping_; }
    RunResult finish_exit() { return guest_exit(); }
    // Power-on reset after a guest reset request: every CPU and device back to
    // its power-on state and the firmware's hand-off state (bios.h), RAM and the
    // attached disks kept, the clock running on. The caller loads a kernel
    // again (QEMU reloads its -kernel the same way).
    void reset();

    // ---- the host side ----
    void set_host(HostIo* host) { host_ = host; }
    HostIo* host() const { return host_; }
    // Host bytes for COM1's receiver, at the current cycle. They enter the UART
    // at moments the guest decides, as far as its receiver has room: when it
    // reads the line status register, and at the end of each round while it
    // has the receive-data interrupt enabled. At most serial_room() bytes are
    // taken; the rest is the caller's to keep.
    size_t inject_serial(const u8* bytes, size_t n);
    size_t serial_room() const { return kSerialQueue - serial_queue_.size(); }
    // A key of the PS/2 keyboard going down or up, at the current cycle.
    void key_event(dev::Key k, bool pressed) {
        if (input_listener_) input_listener_->key(k, pressed);
        kbc_.key(k, pressed);
    }
    // Input from the host is also told to `l` (nullptr: nobody).
    void set_input_listener(InputListener* l) { input_listener_ = l; }
    // What the VGA shows (text mode), for the GUI and `run --screen`.
    dev::TextScreen screen() const { return vga_.screen(); }

    // ---- devices, for the loader and for tests ----
    dev::Pic8259Pair& pic() { return pic_; }
    dev::IoApic& ioapic() { return ioapic_; }
    // The primary ATA channel; attach disks to slot 0 (master) or 1 (slave)
    // before run().
    dev::AtaChannel& ata() { return ata_; }
    dev::Uart16550& com1() { return com1_; }
    dev::Vga& vga() { return vga_; }
    dev::I8042& keyboard_controller() { return kbc_; }
    dev::Hpet& hpet() { return hpet_; }
    dev::Pit8254& pit() { return pit_; }
    dev::DebugExit& debug_exit() { return debug_exit_; }
    // Attaches a disk to the primary channel and lets the firmware see it as
    // the BIOS would at boot (it selects the drives, see bios.h). Use before run().
    void attach_disk(unsigned slot, std::unique_ptr<dev::BlockBackend> disk);
    dev::FwCfg& fw_cfg() { return fw_cfg_; }
    const dev::FirmwareTables& firmware_tables() const { return tables_; }
    // Zeroes guest physical memory (the loader's bss), as write_phys writes it.
    void zero_phys(u64 pa, size_t size);

    // ---- snapshots (cpu/archive.h, docs/replay.md) ----
    // Saves or restores the whole machine except RAM and the disks' contents:
    // the clock, every CPU (Cpu::serialize) and LAPIC, every device, the A20
    // gate, the queued host input and the host poll point. Call between runs.
    // A restore drops the decode cache and the host caches; RAM is the
    // caller's (watch_writes tells it which pages change).
    void serialize(Archive& ar);
    // From now on `l` hears of the first write to each RAM page (by a CPU, a
    // page walk, or the host through write_phys/zero_phys) since this call,
    // before it happens. Each call starts afresh: every page counts as
    // unwritten again and the CPUs' write-TLB entries are dropped, so the next
    // write to any page asks again. nullptr stops watching (no cost then).
    void watch_writes(PageWriteListener* l);
    // `l` hears of each round start (nullptr: nobody).
    void set_round_listener(RoundListener* l) { round_listener_ = l; }
    // Bytes the guest has written to COM1 and to port 0xE9 since power-on
    // (saved by serialize(), so a restored machine says how much output it had
    // made: a GUI cuts its console there). While muted, output is counted but
    // not given to the sinks (a timeline re-running what was already shown).
    u64 serial_output_count() const { return serial_out_count_; }
    u64 debugcon_output_count() const { return debugcon_out_count_; }
    void mute_output(bool on) { mute_output_ = on; }

private:
    // ISA IRQ lines fan out to the PIC and the IOAPIC (IRQ 0 on pin 2). While
    // the HPET's legacy replacement route is on, the PIT's IRQ 0 and the RTC's
    // IRQ 8 are cut off (the HPET drives those lines instead).
    class IsaIrqs final : public dev::IrqSink {
    public:
        explicit IsaIrqs(Machine& m) : m_(m) {}
        void set_irq(unsigned line, bool level) override;

    private:
        Machine& m_;
    };
    // The HPET's outputs: its legacy routes on ISA lines 0 and 8 (not cut off)
    // and its other routes straight on IOAPIC inputs.
    class HpetIsaIrqs final : public dev::IrqSink {
    public:
        explicit HpetIsaIrqs(Machine& m) : m_(m) {}
        void set_irq(unsigned line, bool level) override { m_.route_isa_irq(line, level); }

    private:
        Machine& m_;
    };
    // The PIC's INT output, on the BSP LAPIC's LINT0 (the LAPICs are built after the PIC).
    class PicOutput final : public dev::IrqSink {
    public:
        explicit PicOutput(Machine& m) : m_(m) {}
        void set_irq(unsigned, bool level) override;

    private:
        Machine& m_;
    };

    // The PC/AT's x87 error logic for the MS-DOS compatibility path (SDM Vol. 1,
    // D.2.1.2 and Figure D-1): FERR# of CPU 0 sets a latch that drives IRQ13; a
    // write to port F0h clears the latch and asserts IGNNE#, which drops again
    // when FERR# goes inactive (the FPU's ES cleared).
    class FpuErrorLatch final : public FerrPin, public dev::PortDevice {
    public:
        static constexpr u16 kPort = 0xF0;
        static constexpr unsigned kIrq = 13;
        explicit FpuErrorLatch(Machine& m) : m_(m) {}
        void set(bool asserted) override;
        u32 io_read(u16, unsigned, u64) override { return 0xFF; }
        void io_write(u16, unsigned, u32, u64) override;

    private:
        Machine& m_;
    };

    // IpiRouter: an ICR write or an IOAPIC pin reaches the APICs it addresses.
    void send(const dev::ApicMessage& m) override;
    // The LAPIC the running CPU sees at `paddr`, or nullptr.
    dev::LocalApic* lapic_page(u64 paddr);
    // Runs one CPU up to `end`, stopping at each expiry of its LAPIC timer so the
    // interrupt arrives at its cycle. False when the run must end (`result` says why).
    bool run_cpu(Processor& p, u64 end, RunResult& result);
    void sync_apic_base(Processor& p);
    RunResult guest_exit();

    u64 device_now();  // the running CPU's time, never behind what devices saw
    u64 next_device_event() const;
    void advance_devices(u64 t);
    void feed_serial(u64 t);
    bool can_run_again(const Processor& p) const;
    std::string describe_cpu(unsigned n) const;
    void route_isa_irq(unsigned line, bool level);
    void hpet_legacy_changed(bool on);
    // The idle rule: could an interrupt on ISA line `line` (or IOAPIC input
    // `pin`) reach a CPU now? Conservative: "yes" unless every path is masked.
    bool isa_line_open(unsigned line) const;
    bool ioapic_pin_open(unsigned pin) const;
    u64 next_wake_event() const;
    void request_reset();
    void set_a20(bool on);
    void wire_devices();

    MachineConfig cfg_;
    u8* ram_ = nullptr;  // mmap'd: pages the guest never touches cost nothing
    std::shared_ptr<CodeCache> code_;
    std::unique_ptr<timing::System> timing_;  // before cpus_: the CPUs point into it
    std::vector<std::unique_ptr<Processor>> cpus_;
    std::vector<dev::LocalApic*> lapics_;  // cpus_[n]->lapic, for LocalApic::select
    Processor* running_ = nullptr;
    u64 now_ = 0;         // the machine clock
    u64 device_time_ = 0; // the latest `now` handed to a device
    bool stopping_ = false;
    // The round a debugger stop interrupted: its end, and the CPU to go on with.
    struct Round {
        u64 end;
        size_t next_cpu;
    };
    std::optional<Round> round_;

    dev::IoBus io_;
    IsaIrqs isa_irqs_{*this};
    FpuErrorLatch fpu_error_{*this};
    HpetIsaIrqs hpet_isa_irqs_{*this};
    PicOutput pic_output_{*this};
    // Read by IsaIrqs while the devices below are being built: declared first.
    bool hpet_legacy_ = false;
    u16 isa_levels_ = 0;  // the ISA lines as the devices drive them (before the HPET's gate)
    dev::Pic8259Pair pic_;
    dev::IoApic ioapic_;
    dev::AtaChannel ata_;
    dev::Pit8254 pit_;
    dev::Uart16550 com1_;
    dev::CmosRtc rtc_;
    dev::DebugCon debugcon_;
    dev::DebugExit debug_exit_;
    dev::FwCfg fw_cfg_;
    dev::Vga vga_;
    dev::I8042 kbc_;
    dev::Port92 port92_;
    dev::Hpet hpet_;
    dev::FirmwareTables tables_;
    std::vector<dev::Timed*> timed_;

    bool a20_ = true;
    bool reset_requested_ = false;

    void note_write(u64 page) {
        if (write_listener_ && !(written_[page >> 6] >> (page & 63) & 1)) [[unlikely]] {
            written_[page >> 6] |= 1ull << (page & 63);
            write_listener_->before_first_write(page);
        }
    }

    HostIo* host_ = nullptr;
    InputListener* input_listener_ = nullptr;
    PageWriteListener* write_listener_ = nullptr;
    RoundListener* round_listener_ = nullptr;
    u64 serial_out_count_ = 0, debugcon_out_count_ = 0;
    bool mute_output_ = false;
    void serial_output(u8 b) {
        ++serial_out_count_;
        if (!mute_output_ && cfg_.serial_out) cfg_.serial_out(b);
    }
    std::vector<u64> written_;  // one bit per RAM page: written since watch_writes()
    u64 next_host_poll_ = 0;
    std::deque<u8> serial_queue_;
    // What the guest last wrote to COM1's LCR and IER, to know when it listens.
    u8 com1_lcr_ = 0, com1_ier_ = 0;
};

}  // namespace sy
