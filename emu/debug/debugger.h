// The debugger core: run control over the machine (continue, step one
// instruction on a chosen CPU, step over a call, step out, break at an address
// or a symbol, run to the next context switch), the switch log, and the
// invariant checks (emu/guest/checker.h) at every switch and kernel entry.
// Headless: the GUI, `switchyard run --check` and the tests drive it.
//
// How it sees the machine (cpu/observer.h):
//   - trap records in the decoded blocks at the addresses it watches: user
//     breakpoints, __switch_to_asm (a switch begins: prev in RDI, next in RSI)
//     and the `ret` of __switch_to (next's ret_addr is about to be popped).
//     They cost nothing at other instructions, armed or not;
//   - with --timing detailed, a probe in each CPU's timing model
//     (switch_cost.h) that gives each logged switch its cost;
//   - the observer path of the step loop, switched in only while it is needed:
//     with checks on (kernel entries from ring 3 and the GS base after them),
//     and while a step waits for a halted CPU.
// With record_trace() it also feeds the timeline (emu/trace/trace.h) from the
// same hooks: switches from its tracker, interrupts and exceptions from
// delivered(), system calls and their ends from trap records at
// entry_SYSCALL_64 and at every IRET and SYSRET. Without it none of those
// extra trap records exists.
// Every stop leaves the machine at an instruction boundary of every CPU, with
// the stopping CPU before the instruction it stopped at.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checker.h"
#include "disasm.h"
#include "machine.h"
#include "observer.h"
#include "switch_cost.h"
#include "switches.h"
#include "trace.h"
#include "timeline.h"

namespace sy::debug {

enum class StopKind {
    Breakpoint,   // a user breakpoint
    Watchpoint,   // a watchpoint's access (watch says which); the CPU is after the instruction
    Step,         // a step, step over or step out finished
    Switch,       // run_to_switch: at the ret of __switch_to
    Check,        // an invariant broke (message says which)
    Limit,        // the cycle limit of this call (the GUI's slice, --max-cycles)
    Exited,       // the guest wrote the exit port (exit_status)
    TripleFault,
    AllHalted,
    Reset,
    Stopped,      // the host asked to stop (HostIo)
};
const char* stop_kind_name(StopKind k);

struct Stop {
    StopKind kind = StopKind::Limit;
    unsigned cpu = 0;       // the CPU that stopped (Breakpoint, Step, Switch, Check, TripleFault)
    std::string message;    // Check: the sentence; others: a short account
    int watch = 0;          // Watchpoint: its id
    bool watch_write = false;  // ... and whether a write met it (or a read)
    RunResult run;          // the machine's result when the run ended for good
    bool final() const {
        return kind == StopKind::Exited || kind == StopKind::TripleFault || kind == StopKind::AllHalted ||
               kind == StopKind::Reset || kind == StopKind::Stopped;
    }
};

struct Breakpoint {
    int id = 0;
    u64 addr = 0;
    std::string where;  // as the user gave it ("__schedule", "0xffffffff80107000")
    bool enabled = true;
    u64 hits = 0;
};

// A watched range of linear memory and the accesses that stop: writes (gdb's
// `watch`, Z2), reads (`rwatch`, Z3) or both (`awatch`, Z4). The access is
// checked as the CPU makes it, whatever value it writes (cpu/observer.h).
enum class WatchKind { Write, Read, Access };
struct Watch {
    int id = 0;
    u64 addr = 0, len = 1;
    WatchKind kind = WatchKind::Write;
    u64 hits = 0;
};

class Debugger final : private Observer {
public:
    // `kernel` (optional) enables guest awareness: switches, the log, checks.
    Debugger(Machine& m, const guest::Kernel* kernel);
    ~Debugger() override;
    Debugger(const Debugger&) = delete;
    Debugger& operator=(const Debugger&) = delete;

    Machine& machine() { return m_; }
    const guest::Kernel* kernel() const { return k_; }
    const SwitchTracker& switches() const { return tracker_; }

    // ---- breakpoints ----
    // An address ("0xffffffff80107000", "ffffffff80107000") or a symbol with an
    // optional offset ("__schedule", "__schedule+0x1dd"). Throws
    // std::invalid_argument with a one-line message when it names nothing.
    int add_breakpoint(const std::string& where);
    int add_breakpoint_at(u64 addr, const std::string& where = "");
    bool remove_breakpoint(int id);
    // F9: toggles the breakpoint at `addr`; true if one is set now.
    bool toggle_breakpoint(u64 addr);
    const std::vector<Breakpoint>& breakpoints() const { return bps_; }
    bool has_breakpoint(u64 addr) const;
    u64 resolve(const std::string& where) const;

    // ---- watchpoints ----
    // Every CPU stops after an instruction whose access meets one (linear
    // addresses: the address space each CPU has loaded). `len` 1 .. 4096.
    int add_watchpoint(u64 addr, u64 len, WatchKind kind);
    bool remove_watchpoint(int id);
    const std::vector<Watch>& watchpoints() const { return watches_; }

    // ---- checks ----
    // With checks on, every switch and kernel entry is checked and a violation
    // stops the run (StopKind::Check); the observer path runs (slower).
    void set_checks(bool on) { checks_ = on && k_; }
    bool checks() const { return checks_; }

    // ---- the timeline ----
    // Records every switch, interrupt, exception and system call from now on
    // (emu/trace/trace.h). Needs the kernel's descriptor: false without one.
    bool record_trace();
    const trace::Recorder* trace() const { return trace_.get(); }

    // ---- run control ----
    // Each command sets a goal and runs the machine towards it until a stop or
    // until the machine clock reaches `cycle_limit` (StopKind::Limit: the GUI
    // runs in slices like this). After a Limit stop the goal stays: resume()
    // goes on towards it; any other stop ends it.
    //
    // Runs every CPU until a breakpoint, a check, or the end of the run.
    Stop cont(u64 cycle_limit = ~0ull);
    // One instruction on CPU `cpu` (others stay where they are; a halted CPU
    // runs with the machine until it wakes, and stops at its first instruction).
    Stop step(unsigned cpu, u64 cycle_limit = ~0ull);
    // A call on CPU `cpu` runs until it returns to the next instruction on the
    // same stack (on whichever CPU the task is then); anything else is a step.
    Stop step_over(unsigned cpu, u64 cycle_limit = ~0ull);
    // Runs until the current function on CPU `cpu` returns to its caller.
    Stop step_out(unsigned cpu, u64 cycle_limit = ~0ull);
    // Runs until a CPU (or CPU `cpu`) is at the ret of __switch_to, about to
    // pop next's ret_addr. step() from there lands where it goes.
    Stop run_to_switch(std::optional<unsigned> cpu = std::nullopt, u64 cycle_limit = ~0ull);
    // Goes on towards the goal of the last command.
    Stop resume(u64 cycle_limit = ~0ull);
    bool has_goal() const { return goal_ != Goal::None; }
    void cancel();

    // ---- reverse execution (emu/replay/timeline.h, docs/replay.md) ----
    // From now on the debugger keeps the history of every command it runs and
    // a snapshot of the machine every `interval` cycles (the oldest go when
    // they take more than `max_bytes`), so that the commands below can go
    // back. Each goes back by restoring the latest snapshot before its target
    // and running the history again from there, deterministically, to it; the
    // machine is then exactly as it was there (registers, RAM, devices, the
    // switch log), and history goes on from that point: what came after it is
    // forgotten. Output is not shown again while re-running; the machine's
    // output counts say how much of it was made by then.
    // Each returns a stop like the forward command it undoes, or, when the
    // history holds nothing earlier (or reverse execution is off), a Limit
    // stop whose message says so, with the machine untouched.
    static constexpr u64 kDefaultSnapshotInterval = 10'000'000;
    // False (and off) with --timing detailed: the timing model's caches and
    // predictors are state that snapshots do not save yet.
    bool enable_reverse(u64 interval = kDefaultSnapshotInterval, size_t max_bytes = size_t(2) << 30);
    bool reverse_enabled() const { return tl_ != nullptr; }
    const replay::Timeline* timeline() const { return tl_.get(); }
    // Back to just before the last instruction CPU `cpu` executed (gdb's
    // reverse-stepi, the `bs` packet): a step on `cpu` undone, or the
    // boundary before its last instruction in a run (Step stop).
    Stop reverse_stepi(unsigned cpu);
    // Back to the latest hit of an enabled breakpoint before now (gdb's
    // reverse-continue, the `bc` packet): a Breakpoint stop, at the
    // breakpoints as they are set now.
    Stop reverse_continue();
    // Back to the previous context switch: the ret of __switch_to before the
    // one the machine stands at, where run_to_switch() stopped (Switch stop).
    Stop previous_switch();

    // Which CPU stopped last (the GUI's selection follows it).
    std::optional<unsigned> last_cpu() const { return last_cpu_; }
    // The instruction at `addr` in the kernel's address space on `cpu`.
    DisasmLine disassemble(unsigned cpu, u64 addr) const;

private:
    // Observer
    Action before(Cpu& cpu) override;
    bool trap(Cpu& cpu) override;
    void delivered(Cpu& cpu, u8 vector, u8 from_cpl) override;
    bool watched(Cpu& cpu, size_t index, bool write) override;
    void load_watchpoints();

    struct Temp {  // a step-over / step-out target
        u64 addr = 0;
        u64 rsp = 0;  // stop only when RSP is this (the same frame, on any CPU)
    };
    enum class Goal { None, Switch, StepOne, Temp };
    struct PerCpu {
        std::optional<u64> resume_past;  // a trap here was already handled: run it
        std::optional<u64> leaving;      // the CPU was at this address when the run began: its
                                         // user breakpoint does not stop it (it is leaving it)
        u8 last_cpl = 0;
        int entry_vector = -2;           // delivered(): the vector of the entry in progress; -2 none
        bool gs_watch = false;           // CPL 0 with a GS base that is not this CPU's area
        u64 entry_rip = 0;
        // A stop in before() at this boundary (insns count) was reported:
        // resuming does not report it again.
        std::optional<u64> resume_boundary;
        u64 percpu = 0;                  // its per-CPU area, once the kernel has one
        u32 percpu_retry = 0;
    };

    Stop run(u64 cycle_limit);
    // Every machine command goes through these: the timeline logs them.
    RunResult machine_run(u64 cycle_limit);
    StepResult machine_step(unsigned cpu);
    replay::Position position_of(unsigned cpu) const;
    // Trap bookkeeping shared by running and re-running: the switch tracker.
    const SwitchRecord* note_switch(Cpu& c, unsigned i);
    bool replay_trap(Cpu& c, unsigned i);
    Action replay_before(Cpu& c, unsigned i);
    bool at_target(const Cpu& c) const;
    bool armed_at(u64 addr) const;
    void restore_saved(const replay::Timeline::Restored& r);
    // Re-runs the history from the restored snapshot `r` to `p`; false when a
    // scan ended it at the next snapshot first.
    bool rerun_to(const replay::Timeline::Restored& r, const replay::Point& p);
    Stop go_back_to(const replay::Point& p, StopKind kind);
    Stop no_history(const std::string& why) const;
    void set_goal(Goal g, std::optional<unsigned> cpu = std::nullopt, const Temp* temp = nullptr);
    CodeCache& code();
    Stop from_run_result(const RunResult& r);
    void arm(u64 addr);
    void disarm(u64 addr);
    bool watched(u64 addr) const;
    unsigned index_of(const Cpu& cpu) const;
    void request_stop(unsigned cpu, StopKind kind, std::string message, bool at_trap = true);
    bool observing() const;
    void update_observer();
    bool uses_gs(const Cpu& cpu) const;
    void trace_start(unsigned cpu);
    void trace_trap(unsigned cpu, const Cpu& c);
    void trace_switch(unsigned cpu, const Cpu& c, const SwitchRecord& r);
    std::string syscall_name(u64 nr);

    Machine& m_;
    const guest::Kernel* k_;
    std::unique_ptr<guest::Checker> checker_;
    SwitchTracker tracker_;
    std::unique_ptr<SwitchCostMeter> meter_;  // with --timing detailed: each logged switch's cost
    Disassembler dis_;
    Disassembler dis32_{32};  // for a CPU in 32-bit code (the i386 kernel)
    std::vector<Breakpoint> bps_;
    std::vector<Watch> watches_;
    int next_id_ = 1;
    std::vector<u64> armed_;  // addresses with trap records
    std::vector<PerCpu> cpus_;
    bool checks_ = false;

    Goal goal_ = Goal::None;
    std::optional<unsigned> goal_cpu_;
    Temp temp_;
    std::optional<Stop> pending_;  // set by the observer when it stops a CPU
    std::optional<unsigned> last_cpu_;

    std::unique_ptr<trace::Recorder> trace_;
    std::vector<u64> trace_exits_;  // the kernel's IRETs and SYSRETs (sorted)
    std::vector<std::string> syscall_names_;
    // Reverse execution.
    struct Saved {  // the debugger's part of a snapshot
        SwitchTracker::Saved tracker;
        std::vector<PerCpu> cpus;
        std::optional<trace::Recorder::Mark> trace;  // with record_trace() on
    };
    std::unique_ptr<replay::Timeline> tl_;
    std::map<u64, Saved> saved_;  // by snapshot id
    // Where in the history each logged switch happened: (index in the log, point).
    std::vector<std::pair<size_t, replay::Point>> switch_points_;
    bool replaying_ = false;
    std::optional<replay::Position> target_;  // re-running: stop there
    std::optional<unsigned> stepping_halted_;  // step() of a halted CPU: the run it makes is that step
    bool step_trap_ = false;  // re-running a step that a trap stopped before its instruction
    bool reached_ = false;
    bool scanning_ = false;   // reverse_continue: collect breakpoint hits
    std::vector<replay::Point> hits_;
    std::vector<int> hit_watch_;  // beside hits_: the watchpoint's id, 0 for a breakpoint
};

}  // namespace sy::debug
