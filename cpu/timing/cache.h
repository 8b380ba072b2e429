// The detailed model's caches: per-CPU L1I, L1D and L2, a shared last-level
// cache that is also the coherence directory, and DRAM behind it. Sizes, ways
// and latencies come from params.h; docs/timing.md explains the policies.
//
//   - Lines are 64 bytes, indexed by physical address; every level is
//     set-associative with true LRU replacement, write-back, write-allocate.
//   - L1 and L2 are not inclusive of each other (an L2 eviction leaves the L1
//     copy), the LLC is inclusive of all of them: evicting an LLC line removes
//     it from every core that has it (back-invalidation), so the LLC's record
//     of which cores hold a line is complete.
//   - Coherence, MESI-like, kept by the LLC: each line has the set of cores
//     that may hold it and the one core (if any) holding it exclusively (E or
//     M; the model does not tell clean from dirty). A load of a line another
//     core owns is served by that core (snoop_latency) and leaves both Shared;
//     a store needs ownership: every other copy is invalidated first. A core
//     caches "I own this line" beside its L1D/L2 tags, so a store to an owned
//     line costs nothing more than a hit.
//   - No prefetchers, no bandwidth limits, no writeback cost: a miss costs the
//     latency of the level that serves it.
//
// Everything is plain arrays of integers (snapshots copy them).
#pragma once
#include <vector>

#include "params.h"

namespace sy::timing {

// Where an access was served, which is also what its extra cycles are charged to.
enum class Level : u8 { L1, L2, Llc, Dram, Snoop, Uncached };

struct Served {
    u32 latency = 0;
    Level level = Level::L1;
};

// A set-associative array of line numbers with LRU, the building block of every
// level. Slots are indices into the flat arrays: set * ways + way.
class LineArray {
public:
    static constexpr u64 kEmpty = ~0ull;
    void init(u32 sets, u32 ways);
    // The slot holding `line`, made most recently used, or -1.
    int find(u64 line) {
        const u32 base = set_of(line) * ways_;
        for (u32 w = 0; w < ways_; ++w)
            if (tag_[base + w] == line) {
                stamp_[base + w] = ++clock_;
                return int(base + w);
            }
        return -1;
    }
    // The slot `line` would be filled into: an empty one of its set, else the
    // least recently used.
    int victim(u64 line) const;
    void fill(int slot, u64 line) {
        tag_[size_t(slot)] = line;
        stamp_[size_t(slot)] = ++clock_;
    }
    u64 line_at(int slot) const { return tag_[size_t(slot)]; }
    void clear(int slot) { tag_[size_t(slot)] = kEmpty; }
    // Drops `line` if present; the slot it was in, or -1.
    int drop(u64 line);
    u32 sets() const { return sets_; }
    u32 ways() const { return ways_; }
    void clear_all();

private:
    u32 set_of(u64 line) const { return u32(line) & (sets_ - 1); }
    u32 sets_ = 0, ways_ = 0;
    u64 clock_ = 0;
    std::vector<u64> tag_;    // line numbers, kEmpty when invalid
    std::vector<u64> stamp_;  // last use
};

class Uncore;

// One CPU's private caches.
class CoreCaches {
public:
    CoreCaches(const CoreParams& p, Uncore& uncore, unsigned id);
    // A data load or store of the line `line` (physical address >> 6).
    Served data(u64 line, bool store);
    // An instruction fetch of `line`.
    Served fetch(u64 line);
    // The uncore's requests: another core needs the line exclusively (or the
    // LLC evicted it), or another core read a line this one owned.
    void invalidate(u64 line);
    void downgrade(u64 line);
    unsigned id() const { return id_; }
    void clear();

private:
    void fill_l1d(u64 line, bool own);
    void fill_l2(u64 line, bool own);
    void set_owned(u64 line);
    const CoreParams& p_;
    Uncore& uncore_;
    unsigned id_;
    LineArray l1i_, l1d_, l2_;
    std::vector<u8> l1d_own_, l2_own_;  // per slot: this core owns the line (E/M)
    // The last data line and whether this core owned it: a repeated access to
    // it is a hit that changes nothing (it is already most recently used).
    u64 last_line_ = LineArray::kEmpty;
    bool last_own_ = false;
    u64 last_fetch_ = LineArray::kEmpty;
};

// The shared last-level cache and directory, and DRAM behind it.
class Uncore {
public:
    explicit Uncore(const CoreParams& p);
    void attach(CoreCaches* core);
    // A core missed in its L1 and L2. `own`: it needs the line exclusively (a
    // store). `granted_own` says whether it may now write without asking.
    Served access(unsigned core, u64 line, bool own, bool& granted_own);
    // A core holding the line Shared wants to write it: every other copy goes.
    Served upgrade(unsigned core, u64 line);
    const CoreParams& params() const { return p_; }
    u64 dram_accesses = 0;
    void clear();

private:
    void evict(int slot);
    void invalidate_others(unsigned core, int slot);
    const CoreParams& p_;
    LineArray llc_;
    std::vector<u64> sharers_;  // per slot: bit n = core n may hold the line
    std::vector<i8> owner_;     // per slot: the core holding it E/M, or -1
    std::vector<CoreCaches*> cores_;
};

}  // namespace sy::timing
