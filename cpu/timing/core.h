// The detailed timing model of one CPU (`--timing detailed`): in-order issue
// of up to issue_width instructions per cycle with a scoreboard, over the
// caches, TLBs and branch predictor of cache.h, tlb.h and predictor.h, with
// the parameters of params.h. It is the CPU's clock: Cpu::cycles is this
// model's cycle after every instruction. docs/timing.md describes it whole.
//
// How the interpreter drives it (cpu/cpu.cpp, the Detailed instantiation of
// the step loop; with --timing fast none of this runs):
//   - while a handler runs, every data access it makes reports its linear and
//     physical address (data(), string_run()): the model looks the page up in
//     its TLBs and the lines up in its caches, and remembers what the
//     instruction's loads cost;
//   - after the handler, retire() with the instruction's Facts (decoded once)
//     and where it is: the fetch of its line, the cycle it issues in, when its
//     results are ready, and, from the RIP it left, how its branch went;
//   - event() after an exception or interrupt has been delivered, tlb_*() when
//     the architectural TLB is flushed, sync() when the machine lets time pass
//     for a halted CPU.
//
// The issue rule. An instruction issues in the cycle after the previous one,
// or in the same cycle if fewer than issue_width have issued in it, but not
// before each register and flag it reads is ready (the scoreboard), not
// before the front end delivers it (fetch misses, mispredicted branches: a
// taken branch ends its cycle's group), and, when serialising (CPUID, MOV to
// CR, WRMSR, IRET, SYSCALL, SWAPGS, a locked instruction...), not before every
// earlier result is ready. A result is ready at issue + the instruction
// table's latency (cpu/timing.h), + the load latency for a value from memory.
// A serialising instruction, a REP string instruction and an event occupy the
// core for their whole cost: nothing issues until they are done.
//
// Attribution. Every cycle the clock advances is charged to one Part, so the
// parts always add up to the clock: an instruction that waits is charged
// first to what it waits for (the miss part of a load's latency to the level
// that served it, a TLB miss's part to Tlb, a mispredicted branch's penalty to
// Branch), the rest to Exec. Counters keeps the sums; a difference of two
// snapshots is what a stretch of execution cost (the per-switch breakdown).
#pragma once
#include <array>
#include <memory>
#include <string_view>
#include <vector>

#include "cache.h"
#include "facts.h"
#include "predictor.h"
#include "tlb.h"

namespace sy {
class Cpu;
struct Insn;
}  // namespace sy

namespace sy::timing {

enum class Mode : u8 { Fast, Detailed };

// What clock cycles were spent on. Exec is "the rest": issuing, waiting for
// the results of other instructions, serialisation, events.
enum class Part : u8 {
    Exec,
    L2,         // L1 misses served by the L2 (I and D)
    Llc,        // L2 misses served by the LLC
    Dram,       // LLC misses (DRAM), and uncached device accesses
    Coherence,  // lines another core held, and invalidating other copies
    Tlb,        // first-level TLB misses: STLB hits and page walks
    Branch,     // mispredicted branches and BTB misses (resteers)
    Halted,     // the CPU was halted (HLT) while its clock moved on
    Count
};
constexpr size_t kParts = size_t(Part::Count);
std::string_view part_name(Part p);

struct Counters {
    u64 cycles = 0;  // == the sum of part[]
    std::array<u64, kParts> part{};
    u64 insns = 0;   // instructions retired (a REP chunk counts once)
    u64 events = 0;  // exceptions and interrupts delivered
    u64 loads = 0, stores = 0;
    u64 l1i_misses = 0, l1d_misses = 0, l2_misses = 0, llc_misses = 0, snoops = 0;
    u64 itlb_misses = 0, dtlb_misses = 0, walks = 0;
    u64 branches = 0, mispredicts = 0, resteers = 0, returns = 0, return_mispredicts = 0;
    Counters operator-(const Counters& o) const;
};

// The switch accounting's hooks (emu/debug/switch_cost.h implements them):
// calls to chosen targets, returns at chosen addresses, events and IRETs, and
// "the next instruction issued" after one asks for it. Each is called with the
// counters up to date: call, ret and event_return once their instruction has
// retired, event before the delivery's own cost is charged, issued when the
// instruction issues (the cycles it waited for are charged, its own are not).
class Probe {
public:
    virtual ~Probe() = default;
    virtual void call(Cpu& cpu, u64 target) {}
    virtual void ret(Cpu& cpu, const ReturnPrediction& r) {}
    virtual void event(Cpu& cpu, u8 vector, bool external) {}
    virtual void event_return(Cpu& cpu) {}
    virtual void issued(Cpu& cpu) {}
};

class Model {
public:
    Model(const CoreParams& p, Uncore& uncore, unsigned id);
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    // ---- the interpreter's interface (cpu/cpu.cpp, cpu/mmu.cpp) ----
    // The CPU's clock was moved on from outside (halted, started by SIPI):
    // the model's clock follows it; the gap is charged to Halted.
    void sync(Cpu& c);
    // A data access of `size` bytes at linear `la`, physical `pa`, within one
    // page; `ram`: cacheable memory (false: a device).
    void data(Cpu& c, u64 la, u64 pa, unsigned size, bool write, bool ram = true);
    // The page-at-a-time path of REP MOVS/STOS moved `bytes` from (src) to
    // (dst) within one page each (a STOS has no source).
    void string_run(Cpu& c, bool has_src, u64 src_la, u64 src_pa, u64 dst_la, u64 dst_pa, u64 bytes);
    // The instruction with `f` is about to run (its accesses are reported
    // while it does).
    void begin(const Facts* f) { current_ = f; }
    // The instruction `i` at linear `pc`, fetched from physical `fetch_pa`,
    // has completed (RIP is where it left).
    void retire(Cpu& c, const Insn& i, const Facts& f, u64 pc, u64 fetch_pa);
    // An exception or interrupt was delivered (its frame written, RIP at the
    // handler).
    void event(Cpu& c, u8 vector, bool external);
    // The architectural TLB was flushed (mmu.cpp says which entries go).
    void tlb_flush_all() { tlbs_.flush_all(); }
    void tlb_flush_nonglobal() { tlbs_.flush_nonglobal(); }
    void tlb_flush_pcid(u16 pcid) { tlbs_.flush_pcid(pcid); }
    void tlb_flush_page(u64 la) { tlbs_.flush_page(la); }

    // ---- what the model tells ----
    u64 now() const { return now_; }
    const Counters& counters() const { return counters_; }
    const ReturnPrediction& last_return() const { return predictor_.last_return(); }
    unsigned id() const { return id_; }

    // ---- the switch accounting's probes ----
    void set_probe(Probe* p) { probe_ = p; }
    void set_call_targets(std::vector<u64> t) { call_targets_ = std::move(t); }
    void set_return_pcs(std::vector<u64> pcs) { ret_pcs_ = std::move(pcs); }
    // Probe::issued() is called once, when the next instruction (or event) issues.
    void notify_next_issue() { notify_issue_ = true; }

private:
    // When a value becomes available, and what its wait is charged to: the last
    // `miss` cycles of it to `part`, the `tlb` cycles before those to Tlb.
    struct Ready {  // 16 bytes: the scoreboard copies one per register written
        u64 at = 0;
        u32 miss = 0;
        u16 tlb = 0;
        Part part = Part::Exec;
    };
    // What the running instruction's accesses cost so far.
    struct Pending {
        bool touched = false;         // an access was reported (else all of this is zero)
        bool load = false;
        Ready load_ready;             // the slowest load (relative: at = latency)
        u32 store_tlb = 0;            // TLB cycles of its stores (they stall issue)
        std::array<u32, kParts> extra{};  // every access's cycles beyond an L1 hit, by part
        u64 load_bytes = 0, store_bytes = 0;
    };

    u32 translate(Cpu& c, bool fetch, u64 la);
    u32 walk(Cpu& c, bool fetch, u64 la);
    Served cache(bool fetch, u64 pa, bool write);
    void count_level(bool fetch, Level l);
    void charge(u64 delta, const Ready& why);
    void advance_to(const Ready& why);
    void occupy(u64 base, const Pending& p, u32 divisor);
    void branch(Cpu& c, const Insn& i, const Facts& f, u64 pc, u64 next);
    void issued_hook(Cpu& c);

    const CoreParams& p_;
    unsigned id_;
    CoreCaches caches_;
    Tlbs tlbs_;
    Predictor predictor_;

    bool started_ = false;
    const Facts* current_ = nullptr;  // the instruction running now (begin())
    u64 now_ = 0;      // the cycle the last instruction issued in
    u32 slots_ = 0;    // instructions issued in that cycle
    std::array<Ready, slot::kCount> ready_{};
    Ready drain_;      // the latest result of all: what a serialising instruction waits for
    Ready front_;      // when the front end delivers the next instruction
    bool prev_fusable_ = false;  // the last instruction could macro-fuse with a Jcc
    u64 fetch_line_ = ~0ull;
    Pending pending_;
    Counters counters_;

    Probe* probe_ = nullptr;
    std::vector<u64> call_targets_, ret_pcs_;
    bool notify_issue_ = false;
};

// Every CPU's model and the uncore they share: what a Machine (or the
// benchmark) owns when it runs with --timing detailed.
class System {
public:
    System(const CoreParams& p, unsigned cpus);
    Model& cpu(unsigned n) { return *cores_[n]; }
    unsigned size() const { return unsigned(cores_.size()); }
    Uncore& uncore() { return uncore_; }

private:
    Uncore uncore_;
    std::vector<std::unique_ptr<Model>> cores_;
};

}  // namespace sy::timing
