// The timeline behind reverse execution (docs/replay.md): the history of the
// machine commands a debugger ran (each Machine::run() call with its cycle
// limit, each Machine::step_cpu()), the input the machine took during them,
// and snapshots of the whole machine every `interval` cycles.
//
// A snapshot is the machine's serialize() state (CPUs, LAPICs, devices, the
// clock) plus RAM by copy on first write: from the moment a snapshot is taken
// the machine tells the timeline before the first write to each page
// (Machine::watch_writes), and the timeline keeps that page as it was. Going
// back to snapshot k puts back, newest first, the pages every later snapshot
// kept, then k's own: RAM is then what it was at k, and only pages that
// changed were copied. Snapshots are taken between rounds (RoundListener) and
// before commands, never in the middle of one, so taking one changes nothing.
//
// Going back to any point: restore the latest snapshot before it, then run the
// history's commands again from there (the machine is deterministic: the same
// state, the same commands and the same input at the same host calls give the
// same run), stopping at the point. The debugger (emu/debug/debugger.h) does
// the running; the timeline restores, feeds the logged input while it runs
// (it stands between the machine and the real host), and keeps the books.
#pragma once
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "machine.h"
#include "recording.h"

namespace sy::replay {

// A place in one CPU's instruction stream. With `cycles`: the boundary where
// CPU `cpu`'s clock reads `cycles` and RIP is `rip` (the clock only grows and
// every instruction costs a cycle; RIP tells a faulting instruction from its
// handler, whose delivery costs none). `insns` is then a lower bound of its
// instruction count (a debugger's trap runs inside a block, where the count is
// still the block's first). Without `cycles`: the first boundary where CPU
// `cpu` has retired `insns` instructions.
struct Position {
    unsigned cpu = 0;
    u64 insns = 0;
    std::optional<u64> cycles, rip;
    bool operator==(const Position&) const = default;
};
inline bool same_place(const std::optional<Position>& a, const std::optional<Position>& b) {
    if (!a || !b) return !a && !b;
    if (a->cycles || b->cycles) return a->cpu == b->cpu && a->cycles == b->cycles && a->rip == b->rip;
    return a->cpu == b->cpu && a->insns == b->insns;
}

// One machine command of the history.
struct Op {
    enum class Kind : u8 { Run, Step };
    Kind kind = Kind::Run;
    unsigned cpu = 0;          // Step: the CPU
    u64 cycle_limit = ~0ull;   // Run: the limit given to Machine::run()
    // Where a debugger stopped it (a stop inside run(), the end of a step);
    // missing when it ended by itself (the limit, an exit, an idle machine),
    // which running it again reproduces without help.
    std::optional<Position> end;
    bool stopped_by_trap = false;  // Step: a trap stopped it before its instruction
    bool for_step = false;  // Run: a debugger's step of halted CPU `cpu` (it runs until the CPU wakes)
    std::vector<u64> insns_before;  // every CPU's count when it began
};

// A point of the history: before op `op` runs (`at` empty), or inside op `op`
// where it reaches `at`.
struct Point {
    size_t op = 0;
    std::optional<Position> at;
};

class Timeline final : private PageWriteListener, private RoundListener, private InputListener, public HostIo {
public:
    // Snapshots every `interval` machine cycles (and every kStepsPerSnapshot
    // steps); the oldest go when all of them take more than `max_bytes`.
    Timeline(Machine& m, u64 interval, size_t max_bytes);
    ~Timeline() override;
    Timeline(const Timeline&) = delete;
    Timeline& operator=(const Timeline&) = delete;

    static constexpr size_t kStepsPerSnapshot = 256;

    // Told after each snapshot is taken, with its id (ids grow; a restore
    // drops the later ones), so the owner can keep its own state beside it.
    std::function<void(u64 id)> on_snapshot;

    // ---- going forward: each command between begin() and end() ----
    void begin(Op::Kind kind, unsigned cpu, u64 cycle_limit, bool for_step = false);
    void end(std::optional<Position> stop, bool stopped_by_trap = false);
    const std::vector<Op>& ops() const { return ops_; }
    // The op the machine is in (begin() .. end(), or the one a re-run is in).
    size_t current_op() const { return current_; }
    // The present: after the last op.
    Point now() const { return Point{ops_.size(), std::nullopt}; }

    // ---- going back ----
    struct Restored {
        u64 id = 0;          // the snapshot's id
        size_t op = 0;       // the op it was taken in (or before)
        bool op_start = false;  // taken before op `op` began
        size_t index = 0;    // its place among snapshots()
    };
    // Restores the latest snapshot from which `p` lies ahead; empty when `p`
    // is older than every snapshot kept. Later snapshots are dropped (a re-run
    // takes them again).
    std::optional<Restored> restore_before(const Point& p);
    // Restores snapshot number `index` (0: the oldest kept).
    Restored restore_index(size_t index);
    size_t snapshot_count() const { return snaps_.size(); }
    // While re-running: host calls give the logged input, not the real host's,
    // and output is muted (it was shown the first time).
    void set_replaying(bool on);
    bool replaying() const { return replaying_; }
    void set_current_op(size_t op) { current_ = op; }
    // Re-running, before op `op` starts: takes the snapshot a forward run
    // took there (the same rule).
    void op_starting(size_t op);
    // A scan (reverse-continue) re-runs one stretch between two snapshots at a
    // time: once set, taking the next snapshot ends the re-run (the host's
    // stop_requested() says yes from then on, and scan_ended() is true).
    void end_scan_at_next_snapshot(bool on) {
        scan_ = on;
        scan_ended_ = false;
    }
    bool scan_ended() const { return scan_ended_; }
    // A command landed at `here` going back: what lay after it is forgotten
    // (ops, logged input), and history goes on from here.
    void truncate(const Point& here);

    // ---- figures (docs/replay.md) ----
    size_t bytes() const { return bytes_; }
    size_t pages_kept() const;
    u64 oldest_cycle() const { return snaps_.empty() ? 0 : snaps_.front().cycle; }

private:
    struct Snapshot {
        u64 id = 0;
        size_t op = 0;
        bool op_start = false;
        u64 cycle = 0;                      // Machine::now()
        std::vector<u64> insns, cycles;     // per CPU
        u64 host_calls = 0;
        std::vector<u8> state;              // Machine::serialize
        std::vector<u64> pages;             // RAM pages first written after it ...
        std::vector<u8> page_bytes;         // ... as they were (4096 bytes each)
        size_t bytes() const { return state.size() + page_bytes.size() + pages.size() * 8; }
    };

    void take(size_t op, bool op_start);
    void put_back_ram(size_t down_to);
    Restored restored(size_t index) const;

    // PageWriteListener, RoundListener, InputListener
    void before_first_write(u64 page) override;
    void round_start(Machine& m) override;
    void serial(const u8* bytes, size_t n) override;
    void key(dev::Key k, bool pressed) override;
    // HostIo: the real host's answers, logged; or while replaying the log's.
    void poll(Machine& m) override;
    void refill(Machine& m) override;
    bool wait(Machine& m) override;
    bool stop_requested() override;
    void deliver(Machine& m);
    InputEvent event(InputEvent::Kind kind) const;

    Machine& m_;
    const u64 interval_;
    const size_t max_bytes_;
    HostIo* inner_ = nullptr;
    std::vector<Op> ops_;
    size_t current_ = 0;
    std::deque<Snapshot> snaps_;
    u64 next_id_ = 0;
    u64 next_at_ = 0;           // the machine cycle of the next snapshot
    size_t last_snapshot_op_ = 0;
    size_t bytes_ = 0;
    std::vector<InputEvent> events_;  // in host-call order
    size_t next_event_ = 0;           // replaying: the next to deliver
    u64 host_calls_ = 0;
    bool in_call_ = false;
    HostCall where_ = HostCall::Poll;
    bool replaying_ = false;
    bool scan_ = false, scan_ended_ = false;
};

}  // namespace sy::replay
