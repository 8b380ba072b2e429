// One x86-64 logical processor: register state, the linear-memory access path
// (with its software TLB of host pointers), the decode cache and the step loop.
#pragma once
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "bus.h"
#include "debug.h"
#include "fault.h"
#include "insn.h"
#include "observer.h"
#include "state.h"
#include "system.h"

namespace sy {

class CodeCache;
struct Block;

// Where external interrupts come from (the local APIC, or the PIC): the machine
// provides it; the CPU only asks and acknowledges.
class InterruptSource {
public:
    virtual ~InterruptSource() = default;
    virtual bool has_nmi() { return false; }
    virtual void ack_nmi() {}
    virtual bool has_interrupt() = 0;  // a maskable interrupt is pending
    virtual u8 acknowledge() = 0;      // INTA: returns its vector
};

// FERR#, the x87 error output of the MS-DOS compatibility path (CR0.NE = 0,
// SDM Vol. 1, 8.7.2): a PC routes it to IRQ13. The machine implements it.
class FerrPin {
public:
    virtual ~FerrPin() = default;
    virtual void set(bool asserted) = 0;
};

// Why run() returned. Debug: the debugger's observer (observer.h) stopped the
// CPU before an instruction.
enum class StopReason { Budget, Fault, Halt, TripleFault, Debug };

// Kinds of memory access, for paging permission checks.
enum class Access : u8 { Read, Write, Exec };

struct StepResult {
    StopReason reason = StopReason::Budget;
    std::optional<Fault> fault;  // set when reason == Fault
};

class Cpu {
public:
    // `code` may be shared between processors of one machine; pass nullptr for a
    // private cache.
    Cpu(Bus& bus, std::shared_ptr<CodeCache> code = nullptr);
    ~Cpu();
    Cpu(const Cpu&) = delete;
    Cpu& operator=(const Cpu&) = delete;

    CpuState s;
    SysState sys;
    u64 cycles = 0;  // the cycle clock; RDTSC reads it
    u64 insns = 0;   // retired instructions

    // Puts the processor in 64-bit mode with flat segments at privilege `cpl`,
    // paging off: the state unit tests and the isa-test start from. (Real
    // hardware needs paging for long mode; this shortcut exists for tests only.)
    void set_flat64(u8 cpl);
    // The architectural reset state (SDM Vol. 3A, 9.1.1): real mode at F000:FFF0.
    void reset();

    // Runs until `cycles` reaches `cycle_limit`, HLT, or (without
    // `deliver_exceptions`) an exception, which is then reported with RIP at the
    // faulting instruction. Events are recognised at instruction boundaries in
    // the SDM's order (cpu.cpp, Cpu::execute).
    StepResult run(u64 cycle_limit);
    // Executes one instruction exactly as run() would: the events pending at the
    // boundary before it (an NMI or interrupt is delivered first, and the
    // instruction is then the handler's first), the instruction (a REP string
    // instruction runs one chunk), and the traps after it (single-step, data and
    // I/O breakpoints).
    StepResult step();

    // ---- linear memory, used by handlers; may throw Fault ----
    template <class T> T read(u64 la) {
        const TlbEntry& e = rtlb_[user_][(la >> 12) & (kTlbSize - 1)];
        u64 off = la & 0xFFF;
        if (e.tag == (la >> 12) && off <= 0x1000 - sizeof(T)) [[likely]] {
            T v;
            std::memcpy(&v, e.host + off, sizeof(T));
            return v;
        }
        T v;
        read_slow(la, &v, sizeof(T));
        return v;
    }
    template <class T> void write(u64 la, T v) {
        const TlbEntry& e = wtlb_[user_][(la >> 12) & (kTlbSize - 1)];
        u64 off = la & 0xFFF;
        if (e.tag == (la >> 12) && off <= 0x1000 - sizeof(T)) [[likely]] {
            std::memcpy(e.host + off, &v, sizeof(T));
            return;
        }
        write_slow(la, &v, sizeof(T));
    }
    // Checks that `size` bytes at `la` may be written, raising the fault a write
    // would raise. Read-modify-write handlers call it before reading, so a
    // faulting instruction changes nothing.
    void check_write(u64 la, unsigned size);
    void read_bytes(u64 la, void* dst, unsigned size) { read_slow(la, dst, size); }
    // Port I/O for IN/OUT/INS/OUTS: the bus access, then what it may have
    // caused (an interrupt made pending ends the block; an I/O breakpoint).
    u32 port_in(u16 port, unsigned size);
    void port_out(u16 port, unsigned size, u32 value);
    void write_bytes(u64 la, const void* src, unsigned size) { write_slow(la, src, size); }

    // Debug access: never faults, never ticks, never changes state, never
    // touches a device (page tables and data outside RAM read as unmapped).
    // Returns the number of bytes read (stops at the first unmapped byte).
    size_t peek(u64 la, void* dst, size_t size) const;
    // The same through the address space rooted at `cr3` (this CPU's paging
    // mode, another CR3: another task's page tables), and of physical RAM.
    size_t peek_in(u64 cr3, u64 la, void* dst, size_t size) const;
    size_t peek_phys(u64 pa, void* dst, size_t size) const;

    // Instruction fetch (used by the decoder): may fault like a read.
    void fetch_bytes(u64 la, u8* dst, size_t size);
    u64 fetch_phys(u64 la);

    Bus& bus() { return bus_; }
    CodeCache& code_cache() { return *code_; }

    // ---- paging and the TLBs (mmu.cpp) ----
    // Linear -> physical for an access of `kind`, raising #PF (with CR2 and the
    // error code) or #GP(0) for a non-canonical address. `supervisor` marks
    // implicit supervisor accesses (descriptor tables, the TSS, interrupt stacks).
    u64 translate(u64 la, Access kind, bool supervisor = false);
    // Translation for debuggers: never faults, never sets A/D bits, never
    // ticks, reads page tables from RAM only.
    bool translate_peek(u64 la, u64& pa) const;
    bool translate_peek_in(u64 cr3, u64 la, u64& pa) const;
    // TLB maintenance as the instructions and register writes require (mmu.cpp
    // documents which entries each one drops).
    void flush_tlb();                // everything, global entries included
    void flush_tlb_nonglobal();      // CR3 write without PCID preservation
    void flush_tlb_page(u64 la);     // INVLPG
    void flush_tlb_pcid(u16 pcid);   // INVPCID single-context
    void flush_write_tlb();          // host write pointers only (decode cache)

    // Physical memory access for page walks and firmware-like reads.
    u64 phys_read(u64 pa, unsigned size);
    void phys_write(u64 pa, unsigned size, u64 value);

    // ---- privilege and mode (system.cpp) ----
    u8 cpl() const { return sys.cpl; }
    Mode mode() const { return sys.mode; }
    // What decoding depends on besides the bytes: the mode (bits 0-2) and the
    // CR0/CR4 bits that turn x87/SSE instructions into #NM or #UD, so those
    // checks cost nothing at run time (a change re-decodes, cached separately).
    u8 decode_ctx() const {
        return static_cast<u8>(static_cast<u8>(sys.mode) | ((sys.cr0 & cr0::TS) ? 8 : 0) |
                               ((sys.cr0 & cr0::EM) ? 16 : 0) | ((sys.cr4 & cr4::OSFXSR) ? 32 : 0) |
                               ((sys.cr0 & cr0::MP) ? 64 : 0) | ((sys.cr4 & cr4::OSXSAVE) ? 128 : 0));
    }
    // Recomputes sys.mode from CR0, EFER and CS and ends the block (the decode
    // mode may have changed).
    void update_mode();
    void set_cpl(u8 cpl) {
        sys.cpl = cpl;
        user_ = cpl == 3;
        ++fetch_epoch;
    }
    // Changes whenever instruction fetch could translate differently (TLB
    // flushes, CR3 and mode changes, CPL changes): chained blocks are followed
    // only within one epoch.
    u64 fetch_epoch = 0;
    // Mask of the stack pointer bits in use: RSP, ESP or SP (SS.B, long mode).
    u64 sp_mask = ~0ull;

    // ---- segmentation (segments.cpp) ----
    // Reads the descriptor `sel` names (GDT or LDT). Raises #GP(sel) when it is
    // outside the table. Returns the 8 bytes; `at` gets its linear address.
    u64 read_descriptor(u16 sel, u64* at = nullptr);
    // MOV/POP to a data segment register or SS, with the protected-mode checks
    // and faults of SDM Vol. 2B MOV and Vol. 3A 5.5-5.7.
    void load_data_segment(u8 seg, u16 sel);
    // Fills a segment register's cache from a descriptor without checks.
    void set_segment(u8 seg, u16 sel, u64 desc);
    // Real-mode (and virtual-8086) segment load: base = sel * 16.
    void set_real_segment(u8 seg, u16 sel);
    // Copies descriptor bases into the fast per-segment base array, applying the
    // 64-bit rule that ES/CS/SS/DS have base 0.
    void sync_segment_bases();

    // Set by handlers that must end the current block early: a write into a page
    // holding decoded code, a mode change, and anything after which an interrupt
    // may have become pending or acceptable (a device access, STI, POPF, WRMSR),
    // so that the step loop recognises it at the next instruction boundary.
    bool end_block = false;
    bool halted = false;

    // ---- exceptions and interrupts (interrupts.cpp) ----
    // When false (unit tests, isa-test), run() and step() stop at an exception
    // and report it; when true (the machine), exceptions are delivered through
    // the IDT and only a triple fault stops the CPU.
    bool deliver_exceptions = false;
    // Set by MOV SS and POP SS only, with interrupt_shadow: debug traps of that
    // instruction wait for the boundary after the next one, and the next one's
    // instruction breakpoints are not recognised (SDM Vol. 3A, 6.8.3; 17.3.1.1).
    bool mov_ss_shadow = false;
    InterruptSource* interrupts = nullptr;
    MsrHandler* msr_handler = nullptr;  // MSRs owned by the machine (x2APIC, TSC deadline)
    u8 apic_id = 0;  // reported by CPUID leaf 1 (the machine sets it per CPU)
    // The x87 error pins (ops_x87.cpp): FERR# out, IGNNE# in (the machine drives
    // it from port F0h writes; SDM Vol. 1, D.2.1).
    FerrPin* ferr_pin = nullptr;
    bool ignne = false;
    bool ferr() const { return ferr_; }
    void set_ferr(bool asserted) {
        if (asserted == ferr_) return;
        ferr_ = asserted;
        if (ferr_pin) ferr_pin->set(asserted);
    }
    // FERR# follows the status word's ES once the error is asserted.
    void update_ferr() {
        if (ferr_ && !(s.fpu.fsw & 0x80)) set_ferr(false);
    }
    Vendor vendor = Vendor::Intel;  // whose choices undefined results follow
    // Set by STI (when IF was 0) and MOV/POP SS, which must also end the block:
    // interrupts are then not accepted before the next instruction completes.
    bool interrupt_shadow = false;
    // Set when an NMI is delivered, cleared by IRET: NMIs do not nest.
    bool nmi_blocked = false;
    // Delivers an exception or interrupt through the IDT (IVT in real mode),
    // applying the double- and triple-fault rules. Returns false on a triple fault.
    bool deliver_fault(const Fault& f);
    // Delivers one event; may throw Fault if the delivery itself faults.
    // `set_rf` pushes RFLAGS with RF set (fault-class exceptions, SDM Vol. 3A
    // 17.3.1.1).
    void deliver(u8 vector, bool has_error, u32 error, bool software, bool external, bool set_rf = false);
    // The debugger's hooks (observer.h): trap records ask `observer`; while
    // `observe_boundaries` is set (read when run() or step() starts), the step
    // loop calls observer->before() at every instruction boundary it stops at.
    Observer* observer = nullptr;
    bool observe_boundaries = false;
    // Text report of the CPU state: registers, segments, control registers, mode.
    std::string describe() const;
    // The last fault that ended a run with a triple fault (for the report).
    std::optional<Fault> triple_fault;

    // ---- debug registers (debug.cpp, debug.h) ----
    // Decodes DR0-DR3, DR7 and CR4.DE into the breakpoints the step loop and the
    // memory path check. MOV DRn and MOV CR4 call it; whoever writes sys.dr or
    // CR4.DE directly (a debugger, a test) must call it too.
    void load_breakpoints();
    const Breakpoints& breakpoints() const { return bp_; }
    // A data breakpoint covers the page of `la`: the page must be accessed
    // through read()/write() (the REP string page path asks).
    bool data_watched(u64 la) const { return bp_.data && bp_.watches_page(la >> 12); }
    // A trap-class debug condition (data or I/O breakpoint) was met by the
    // instruction running now; a REP string instruction stops after the
    // iteration (17.3.1.2).
    bool debug_trap_pending() const { return db_trap_ != 0; }

private:
    static constexpr size_t kTlbSize = 256;
    // Host-pointer TLB: a linear page the current privilege may read (rtlb_) or
    // write (wtlb_) without a check, and where its bytes live on the host.
    struct TlbEntry {
        u64 tag = ~0ull;  // linear page number
        u8* host = nullptr;
    };
    // The architectural TLB: cached translations with their combined rights.
    struct Translation {
        u64 vpn = ~0ull;   // linear page number (4 KiB)
        u64 ppn = 0;       // physical page number (4 KiB)
        u64 page_mask = 0; // size of the mapping - 1 (4K, 2M, 1G), for INVLPG
        u16 pcid = 0;
        bool global = false, writable = false, user = false, nx = false, dirty = false;
    };
    static constexpr size_t kArchTlbSize = 1024;

    void read_slow(u64 la, void* dst, unsigned size);
    void write_slow(u64 la, const void* src, unsigned size);
    // Linear address as the current mode forms it: canonical check in long mode,
    // 32-bit wrap-around otherwise.
    u64 linear(u64 la) const;
    // `peek_root`: a debugger's walk from that CR3, through RAM only.
    bool walk(u64 la, Access kind, bool user, Translation& out, u32& error, bool set_bits,
              const u64* peek_root = nullptr);
    void check_rights(const Translation& t, u64 la, Access kind, bool user_access, bool implicit);
    void flush_host_tlbs();
    // CS base + RIP as the linear address instruction breakpoints compare
    // with: 32 bits outside 64-bit mode (no fault: a bad RIP faults at fetch).
    u64 code_linear(u64 la) const { return sys.mode == Mode::Long64 ? la : (la & 0xFFFFFFFFull); }
    // The step loop behind run() and step() (One: a single instruction).
    template <bool One, bool Observed> StepResult execute(u64 cycle_limit);
    const Block* next_block(u64 la, Block*& prev, u64& prev_generation);
    void rare_boundary(u64 la, bool one, Block*& prev, u64& prev_generation, u64 cycle_limit);
    bool take_interrupt(StepResult& stop);
    bool deliver_event(const Fault& f, bool external, StepResult& stop);
    bool external_event_ = false;  // the EXT bit of error codes during delivery
    void note_data_access(u64 la, unsigned size, bool write);
    bool ferr_ = false;

    Bus& bus_;
    std::shared_ptr<CodeCache> code_;
    u8 user_ = 0;  // index of the host TLB set: 1 at CPL 3
    TlbEntry rtlb_[2][kTlbSize];
    TlbEntry wtlb_[2][kTlbSize];
    Translation atlb_[kArchTlbSize];
    Breakpoints bp_;   // what DR7/DR0-DR3/CR4.DE arm (load_breakpoints)
    u64 db_trap_ = 0;  // DR6 bits of trap-class debug conditions not yet reported
    friend class CodeCache;
};

}  // namespace sy
