// The cache hierarchy and its coherence (cache.h).
#include "cache.h"

#include <algorithm>

namespace sy::timing {

void LineArray::init(u32 sets, u32 ways) {
    sets_ = sets;
    ways_ = ways;
    tag_.assign(size_t(sets) * ways, kEmpty);
    stamp_.assign(size_t(sets) * ways, 0);
    clock_ = 0;
}

void LineArray::clear_all() {
    std::fill(tag_.begin(), tag_.end(), kEmpty);
    std::fill(stamp_.begin(), stamp_.end(), 0);
    clock_ = 0;
}

int LineArray::victim(u64 line) const {
    const u32 base = set_of(line) * ways_;
    u32 best = base;
    for (u32 w = 0; w < ways_; ++w) {
        if (tag_[base + w] == kEmpty) return int(base + w);
        if (stamp_[base + w] < stamp_[best]) best = base + w;
    }
    return int(best);
}

int LineArray::drop(u64 line) {
    const u32 base = set_of(line) * ways_;
    for (u32 w = 0; w < ways_; ++w)
        if (tag_[base + w] == line) {
            tag_[base + w] = kEmpty;
            return int(base + w);
        }
    return -1;
}

// ---- one core ----------------------------------------------------------------

CoreCaches::CoreCaches(const CoreParams& p, Uncore& uncore, unsigned id) : p_(p), uncore_(uncore), id_(id) {
    l1i_.init(p.l1i.sets(), p.l1i.ways);
    l1d_.init(p.l1d.sets(), p.l1d.ways);
    l2_.init(p.l2.sets(), p.l2.ways);
    l1d_own_.assign(size_t(p.l1d.lines()), 0);
    l2_own_.assign(size_t(p.l2.lines()), 0);
    uncore.attach(this);
}

void CoreCaches::clear() {
    l1i_.clear_all();
    l1d_.clear_all();
    l2_.clear_all();
    std::fill(l1d_own_.begin(), l1d_own_.end(), 0);
    std::fill(l2_own_.begin(), l2_own_.end(), 0);
    last_line_ = last_fetch_ = LineArray::kEmpty;
}

void CoreCaches::fill_l1d(u64 line, bool own) {
    const int s = l1d_.victim(line);
    l1d_.fill(s, line);
    l1d_own_[size_t(s)] = own;
}

void CoreCaches::fill_l2(u64 line, bool own) {
    const int s = l2_.victim(line);
    l2_.fill(s, line);
    l2_own_[size_t(s)] = own;
}

// After an upgrade: both private copies (where present) say "owned".
void CoreCaches::set_owned(u64 line) {
    if (int s = l1d_.find(line); s >= 0) l1d_own_[size_t(s)] = 1;
    if (int s = l2_.find(line); s >= 0) l2_own_[size_t(s)] = 1;
}

Served CoreCaches::data(u64 line, bool store) {
    if (line == last_line_ && (!store || last_own_)) return {p_.l1d.latency, Level::L1};
    Served r{p_.l1d.latency, Level::L1};
    bool own;
    if (int s = l1d_.find(line); s >= 0) {
        own = l1d_own_[size_t(s)];
        if (store && !own) {
            r = uncore_.upgrade(id_, line);
            set_owned(line);
            own = true;
        }
    } else if (int s2 = l2_.find(line); s2 >= 0) {
        own = l2_own_[size_t(s2)];
        r = {p_.l2.latency, Level::L2};
        if (store && !own) {
            Served u = uncore_.upgrade(id_, line);
            r.latency = std::max(r.latency, u.latency);
            r.level = u.level;
            l2_own_[size_t(s2)] = 1;
            own = true;
        }
        fill_l1d(line, own);
    } else {
        r = uncore_.access(id_, line, store, own);
        fill_l2(line, own);
        fill_l1d(line, own);
    }
    last_line_ = line;
    last_own_ = own;
    return r;
}

Served CoreCaches::fetch(u64 line) {
    if (line == last_fetch_) return {p_.l1i.latency, Level::L1};
    last_fetch_ = line;
    if (l1i_.find(line) >= 0) return {p_.l1i.latency, Level::L1};
    Served r;
    if (l2_.find(line) >= 0) {
        r = {p_.l2.latency, Level::L2};
    } else {
        bool own;
        r = uncore_.access(id_, line, false, own);
        fill_l2(line, own);
    }
    l1i_.fill(l1i_.victim(line), line);
    return r;
}

void CoreCaches::invalidate(u64 line) {
    l1i_.drop(line);
    l1d_.drop(line);
    l2_.drop(line);
    if (last_line_ == line) last_line_ = LineArray::kEmpty;
    if (last_fetch_ == line) last_fetch_ = LineArray::kEmpty;
}

void CoreCaches::downgrade(u64 line) {
    if (int s = l1d_.find(line); s >= 0) l1d_own_[size_t(s)] = 0;
    if (int s = l2_.find(line); s >= 0) l2_own_[size_t(s)] = 0;
    if (last_line_ == line) last_own_ = false;
}

// ---- the LLC and directory ----------------------------------------------------

Uncore::Uncore(const CoreParams& p) : p_(p) {
    llc_.init(p.llc.sets(), p.llc.ways);
    sharers_.assign(size_t(p.llc.lines()), 0);
    owner_.assign(size_t(p.llc.lines()), -1);
}

void Uncore::clear() {
    llc_.clear_all();
    std::fill(sharers_.begin(), sharers_.end(), 0);
    std::fill(owner_.begin(), owner_.end(), -1);
    dram_accesses = 0;
}

void Uncore::attach(CoreCaches* core) {
    if (cores_.size() <= core->id()) cores_.resize(core->id() + 1, nullptr);
    cores_[core->id()] = core;
}

// Inclusion: the line leaves every core that may hold it.
void Uncore::evict(int slot) {
    const u64 line = llc_.line_at(slot);
    if (line == LineArray::kEmpty) return;
    for (u64 m = sharers_[size_t(slot)]; m; m &= m - 1) cores_[size_t(__builtin_ctzll(m))]->invalidate(line);
    llc_.clear(slot);
    sharers_[size_t(slot)] = 0;
    owner_[size_t(slot)] = -1;
}

void Uncore::invalidate_others(unsigned core, int slot) {
    const u64 line = llc_.line_at(slot);
    for (u64 m = sharers_[size_t(slot)] & ~(1ull << core); m; m &= m - 1)
        cores_[size_t(__builtin_ctzll(m))]->invalidate(line);
    sharers_[size_t(slot)] = 1ull << core;
    owner_[size_t(slot)] = i8(core);
}

Served Uncore::access(unsigned core, u64 line, bool own, bool& granted_own) {
    const u64 me = 1ull << core;
    int s = llc_.find(line);
    Served r;
    if (s >= 0) {
        r = {p_.llc.latency, Level::Llc};
        const i8 o = owner_[size_t(s)];
        if (o >= 0 && unsigned(o) != core) {
            // Another core has it E/M: it supplies the line.
            r = {p_.snoop_latency, Level::Snoop};
            if (!own) cores_[size_t(o)]->downgrade(line);
            owner_[size_t(s)] = -1;
        }
        if (own) {
            invalidate_others(core, s);
            granted_own = true;
        } else {
            sharers_[size_t(s)] |= me;
            // Nobody else has it (or this core still owns it): Exclusive.
            granted_own = sharers_[size_t(s)] == me || owner_[size_t(s)] == i8(core);
            if (granted_own) owner_[size_t(s)] = i8(core);
        }
        return r;
    }
    ++dram_accesses;
    s = llc_.victim(line);
    evict(s);
    llc_.fill(s, line);
    sharers_[size_t(s)] = me;
    owner_[size_t(s)] = i8(core);
    granted_own = true;
    return {p_.dram_latency, Level::Dram};
}

Served Uncore::upgrade(unsigned core, u64 line) {
    int s = llc_.find(line);
    if (s < 0) {
        // Inclusion makes this impossible for a line the core holds; treat it
        // as a fresh miss all the same.
        bool own;
        return access(core, line, true, own);
    }
    const bool others = sharers_[size_t(s)] & ~(1ull << core);
    invalidate_others(core, s);
    return others ? Served{p_.snoop_latency, Level::Snoop} : Served{p_.llc.latency, Level::Llc};
}

}  // namespace sy::timing
