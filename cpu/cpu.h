// One x86-64 logical processor: register state, the linear-memory access path
// (with its software TLB of host pointers), the decode cache and the step loop.
#pragma once
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archive.h"
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
namespace timing {
class Model;
}

// Where external interrupts come from (the local APIC, or the PIC): the machine
// provides it; the CPU only asks and acknowledges.
class InterruptSource {
public:
    virtual ~InterruptSource() = default;
    virtual bool has_nmi() { return false; }
    virtual void ack_nmi() {}
    virtual bool has_interrupt() = 0;  // a maskable interrupt is pending
    virtual u8 acknowledge() = 0;      // INTA: returns its vector
    // The local APIC's TPR, which CR8 reads and writes in 64-bit mode
    // (CR8[3:0] = TPR[7:4], SDM Vol. 3A 11.8.6). A source without one (a
    // test's PIC) leaves CR8 a register of its own.
    virtual std::optional<u8> task_priority() const { return std::nullopt; }
    virtual void set_task_priority(u8) {}
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

    // ---- snapshots (cpu/archive.h, docs/replay.md) ----
    // Saves or restores the processor's state: the registers (s, sys), the
    // cycle and instruction counters, the event and shadow flags, pending
    // debug traps, the architectural TLB. The host caches are not state (the
    // host-pointer TLBs, chain links: Cpu::evicted keeps them from mattering);
    // a restore drops them, and whoever restores also drops the shared decode
    // cache (CodeCache::invalidate_all). The wiring (bus, interrupt source,
    // MSR handler, FERR# pin, observer) and the configuration the machine sets
    // (deliver_exceptions, apic_id, vendor) are not saved.
    void serialize(Archive& ar);
    // Drops the host-pointer TLBs and this CPU's chain links. Nothing the guest
    // can see changes; a machine does it when it starts tracking which pages
    // are written (the write-TLB entries then ask Bus::ram_page_for_write again).
    void drop_host_caches() { flush_host_tlbs(); }

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
    void check_write(u64 la, unsigned size) { translate_span(la, size, Access::Write); }
    void read_bytes(u64 la, void* dst, unsigned size) { read_slow(la, dst, size); }
    // Port I/O for IN/OUT/INS/OUTS: the bus access, then what it may have
    // caused (an interrupt made pending ends the block; an I/O breakpoint).
    u32 port_in(u16 port, unsigned size);
    void port_out(u16 port, unsigned size, u32 value);
    void write_bytes(u64 la, const void* src, unsigned size) { write_slow(la, src, size); }
    // Implicit supervisor accesses (SDM Vol. 3A 4.6: the GDT, LDT, IDT and TSS),
    // whatever the CPL; `size` <= 8, either page of a crossing access may fault.
    u64 read_implicit(u64 la, unsigned size);
    void write_implicit(u64 la, unsigned size, u64 value);

    // An access of `size` bytes at linear `la` resolved to physical addresses:
    // the part in the first page and, if it crosses into the next linear page,
    // the rest there (which may be anywhere in physical memory).
    struct PhysSpan {
        u64 la = 0;  // linear address of the first byte
        u64 pa[2] = {0, 0};
        unsigned first = 0;  // bytes at pa[0]; the other size - first at pa[1]
        unsigned size = 0;
    };
    // Translates every page the access touches, in address order, before any
    // byte moves: #GP(0) for a non-canonical address, #PF with CR2 = the first
    // byte of the page that faults. `supervisor` as for translate(); it also
    // selects system addressing (system_linear) instead of the mode's.
    PhysSpan translate_span(u64 la, unsigned size, Access kind, bool supervisor = false) {
        return translate_span_at(supervisor ? system_linear(la) : linear(la), size, kind, supervisor, supervisor);
    }
    // The same for an address already formed by linear() or, with `system`,
    // by system_linear() (interrupt frames: system addressing whatever the
    // privilege of the stack).
    PhysSpan translate_span_at(u64 la, unsigned size, Access kind, bool supervisor, bool system);
    void phys_read_span(const PhysSpan& span, void* dst);
    void phys_write_span(const PhysSpan& span, const void* src);

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
    void flush_tlb_cr3(bool keep_pcid);  // MOV to CR3 (bit 63 with CR4.PCIDE: keep_pcid)
    void flush_tlb_nonglobal();      // INVPCID all-but-global
    void flush_tlb_page(u64 la);     // INVLPG
    void flush_tlb_pcid(u16 pcid);   // INVPCID single-context
    // PAE paging's four PDPTE registers (SDM Vol. 3A 4.4.1): reads the PDPT at
    // `cr3` into `out`; false if a present entry has a reserved bit set (the
    // MOV to CR0/CR3/CR4 that loads them then raises #GP(0) and loads nothing).
    bool read_pdptes(u64 cr3, u64 (&out)[4]);
    // True when CR0.PG, CR4.PAE and EFER.LMA (as given) select PAE paging.
    static bool pae_paging(u64 cr0, u64 cr4, u64 efer) {
        return (cr0 & cr0::PG) && (cr4 & cr4::PAE) && !(efer & efer::LMA);
    }

    // Physical memory access (page walks, frames, firmware-like reads). An
    // access may cross a physical page boundary; RAM and MMIO are split there.
    // Writes to RAM drop the decoded blocks they overlap.
    u64 phys_read(u64 pa, unsigned size);
    void phys_write(u64 pa, unsigned size, u64 value);
    void phys_read_bytes(u64 pa, void* dst, size_t size);
    void phys_write_bytes(u64 pa, const void* src, size_t size);

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
        new_fetch_epoch();
    }
    // Starts a new fetch epoch: the span in which this CPU's instruction fetch
    // translates as it did when the span began. Called on TLB flushes, CR3,
    // mode and CPL changes. Epochs come from the shared decode cache, so no two
    // CPUs ever have the same one; chain links are followed only within the
    // epoch that made them (Cpu::run).
    void new_fetch_epoch();
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
    // CR8 as MOV from CR8 reads it: the APIC's TPR[7:4] when there is one.
    u64 cr8() const {
        if (interrupts)
            if (std::optional<u8> tpr = interrupts->task_priority()) return *tpr >> 4;
        return sys.cr8;
    }
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
    bool data_watched(u64 la) const {
        return (bp_.data && bp_.watches_page(la >> 12)) || (!watch_.empty() && watch_page(la >> 12));
    }
    // The debugger's watchpoints (observer.h); the host TLBs are flushed so
    // that their pages take the checked path from now on.
    void set_watchpoints(std::vector<Watchpoint> w);
    const std::vector<Watchpoint>& watchpoints() const { return watch_; }
    // A trap-class debug condition (data or I/O breakpoint) or a debugger's
    // watchpoint was met by the instruction running now; a REP string instruction stops after the
    // iteration (17.3.1.2).
    bool debug_trap_pending() const { return db_trap_ != 0 || watch_hit_; }

    // ---- the detailed timing model (cpu/timing/core.h) ----
    // With a model (--timing detailed) the step loop runs its Detailed
    // instantiation: every instruction retires into the model, every data
    // access reports to it, and `cycles` is the model's clock. Without one
    // (--timing fast) nothing of it is touched. Set before the CPU runs.
    void set_timing_model(timing::Model* m);
    timing::Model* timing_model() const { return model_; }
    // The page-table entries a walk for `la` reads, for the model's page
    // walks: physical addresses in walk order, the page size and its global
    // bit. Reads only; false when `la` is not mapped.
    struct WalkTrace {
        u64 entry[4] = {};
        unsigned count = 0;
        u64 page_bytes = 0x1000;
        bool global = false;
    };
    bool walk_trace(u64 la, WalkTrace& out);

private:
    static constexpr size_t kTlbSize = 256;
    // Host-pointer TLB: a linear page the current privilege may read (rtlb_) or
    // write (wtlb_) without a check, and where its bytes live on the host.
    struct TlbEntry {
        u64 tag = ~0ull;  // linear page number
        u8* host = nullptr;
    };
    // A write-TLB entry for a page that has held decoded code carries this
    // bit in its tag, so the inline path misses and write_slow() checks the
    // page's code lines (wcode_) first: stores that touch none go straight in.
    static constexpr u64 kCodePageTag = 1ull << 63;
    // With a timing model, host-TLB entries carry this bit so that the inline
    // paths miss: read_slow() and write_slow() then use the entry and report
    // the access to the model (the fast loop's paths stay as they are).
    static constexpr u64 kModelTag = 1ull << 62;
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
    // Copies physical memory page by page (see phys_read_bytes); true if any
    // of it came from a device. Instruction fetch uses it directly.
    bool copy_from_phys(u64 pa, void* dst, size_t size);
    // Drops the write-TLB entries that point at host page `host` (the decode
    // cache, when the page first holds code).
    void forget_write_page(const u8* host);
    // Linear address as the current mode forms it: canonical check in long mode,
    // 32-bit wrap-around otherwise.
    u64 linear(u64 la) const;
    // Linear address of a system structure (GDT, LDT, IDT, TSS) or an interrupt
    // stack: 64 bits under IA-32e mode, compatibility mode included, 32 bits
    // otherwise.
    u64 system_linear(u64 la) const;
    // The paging-structure entries a walk used, in walk order, with where each
    // lives on the host (nullptr: not RAM), so that the accessed and dirty
    // flags can be set without walking again (4.8).
    struct WalkPath {
        struct Entry {
            u64 addr;   // physical address
            u64 value;  // as the walk read it
            u8* host;   // the entry's bytes in RAM, or nullptr
            unsigned size;  // 4 or 8 bytes
        };
        Entry entry[4];
        unsigned count = 0;
    };
    // `path`: the real walk records the entries it uses there; a table outside
    // RAM is read through the general physical path (a device may answer).
    // Without a path the walk is a read-only one and reads RAM only (a table
    // elsewhere reads as not present): `peek_root`, a debugger's walk from that
    // CR3; `trace`, where walk_trace records the entries' addresses.
    bool walk(u64 la, Translation& out, u32& error, WalkPath* path, const u64* peek_root = nullptr,
              WalkTrace* trace = nullptr);
    // Sets the accessed flag of every entry on `path` and, for a write, the
    // leaf's dirty flag; called once the access is known to be allowed.
    void set_accessed_dirty(const WalkPath& path, bool write);
    void check_rights(const Translation& t, u64 la, Access kind, bool user_access, bool implicit);
    // Raises #PF for `la`: `error` holds P and RSVD, this adds W/R, U/S and I/D.
    [[noreturn]] void page_fault(u64 la, u32 error, Access kind, bool user_access);
    void flush_host_tlbs();
    void evicted(u64 vpn);  // an architectural TLB entry was replaced (mmu.cpp)
    // CS base + RIP as the linear address instruction breakpoints compare
    // with: 32 bits outside 64-bit mode (no fault: a bad RIP faults at fetch).
    u64 code_linear(u64 la) const { return sys.mode == Mode::Long64 ? la : (la & 0xFFFFFFFFull); }
    // The step loop behind run() and step() (One: a single instruction).
    // Observed: the debugger's observer path (observer.h); Detailed: the
    // timing model is the clock (model_ is set).
    template <bool One, bool Observed, bool Detailed> StepResult execute(u64 cycle_limit);
    template <bool One> StepResult dispatch(u64 cycle_limit);
    const Block* next_block(u64 la, Block*& prev, u64& prev_generation);
    template <bool Detailed>
    void rare_boundary(u64 la, bool one, Block*& prev, u64& prev_generation, u64 cycle_limit);
    // The detailed loop's view of a host-TLB hit (kModelTag): copies and
    // reports; false when the slow path must translate.
    bool model_read(u64 la, void* dst, unsigned size);
    void report_span(const PhysSpan& span, bool write);
    bool model_write(u64 la, const void* src, unsigned size);
    bool take_interrupt(StepResult& stop);
    bool deliver_event(const Fault& f, bool external, StepResult& stop);
    bool external_event_ = false;  // the EXT bit of error codes during delivery
    void note_data_access(u64 la, unsigned size, bool write);
    bool ferr_ = false;

    Bus& bus_;
    std::shared_ptr<CodeCache> code_;
    u8 user_ = 0;  // index of the host TLB set: 1 at CPL 3
    u64 fetch_epoch_ = 0;  // see new_fetch_epoch()
    TlbEntry rtlb_[2][kTlbSize];
    TlbEntry wtlb_[2][kTlbSize];
    const u64* wcode_[2][kTlbSize] = {};  // CodeCache::code_lines for entries tagged kCodePageTag
    Translation atlb_[kArchTlbSize];
    Breakpoints bp_;   // what DR7/DR0-DR3/CR4.DE arm (load_breakpoints)
    std::vector<Watchpoint> watch_;  // the debugger's (set_watchpoints)
    bool watch_page(u64 vpn) const;
    // A watchpoint the running instruction met: reported once it completes.
    std::optional<std::pair<size_t, bool>> watch_hit_;
    timing::Model* model_ = nullptr;
    u64 model_ppn_[2][2][kTlbSize] = {};  // [write][user]: physical page of the host-TLB entry (kModelTag)
    u64 db_trap_ = 0;  // DR6 bits of trap-class debug conditions not yet reported
    friend class CodeCache;
};

}  // namespace sy
