// The detailed timing model of one CPU (core.h).
#include "core.h"

#include <algorithm>

#include "cpu.h"

namespace sy::timing {

std::string_view part_name(Part p) {
    switch (p) {
        case Part::Exec: return "rest";
        case Part::L2: return "l1-miss";
        case Part::Llc: return "l2-miss";
        case Part::Dram: return "llc-miss";
        case Part::Coherence: return "coherence";
        case Part::Tlb: return "tlb";
        case Part::Branch: return "branch";
        case Part::Halted: return "halted";
        case Part::Count: break;
    }
    return "?";
}

Counters Counters::operator-(const Counters& o) const {
    Counters d;
    d.cycles = cycles - o.cycles;
    for (size_t k = 0; k < kParts; ++k) d.part[k] = part[k] - o.part[k];
    d.insns = insns - o.insns;
    d.events = events - o.events;
    d.loads = loads - o.loads;
    d.stores = stores - o.stores;
    d.l1i_misses = l1i_misses - o.l1i_misses;
    d.l1d_misses = l1d_misses - o.l1d_misses;
    d.l2_misses = l2_misses - o.l2_misses;
    d.llc_misses = llc_misses - o.llc_misses;
    d.snoops = snoops - o.snoops;
    d.itlb_misses = itlb_misses - o.itlb_misses;
    d.dtlb_misses = dtlb_misses - o.dtlb_misses;
    d.walks = walks - o.walks;
    d.branches = branches - o.branches;
    d.mispredicts = mispredicts - o.mispredicts;
    d.resteers = resteers - o.resteers;
    d.returns = returns - o.returns;
    d.return_mispredicts = return_mispredicts - o.return_mispredicts;
    return d;
}

namespace {
constexpr Part part_of(Level l) {
    switch (l) {
        case Level::L1: return Part::Exec;
        case Level::L2: return Part::L2;
        case Level::Llc: return Part::Llc;
        case Level::Dram: return Part::Dram;
        case Level::Snoop: return Part::Coherence;
        case Level::Uncached: return Part::Dram;
    }
    return Part::Exec;
}

u16 current_pcid(const Cpu& c) { return (c.sys.cr4 & cr4::PCIDE) ? u16(c.sys.cr3 & 0xFFF) : 0; }
}  // namespace

Model::Model(const CoreParams& p, Uncore& uncore, unsigned id)
    : p_(p), id_(id), caches_(p, uncore, id), tlbs_(p), predictor_(p) {}

System::System(const CoreParams& p, unsigned cpus) : uncore_(p) {
    for (unsigned n = 0; n < cpus; ++n) cores_.push_back(std::make_unique<Model>(p, uncore_, n));
}

// ---- time and its attribution ---------------------------------------------------

void Model::charge(u64 delta, const Ready& why) {
    counters_.cycles += delta;
    const u64 miss = std::min<u64>(delta, why.miss);
    counters_.part[size_t(why.part)] += miss;
    delta -= miss;
    const u64 tlb = std::min<u64>(delta, why.tlb);
    counters_.part[size_t(Part::Tlb)] += tlb;
    counters_.part[size_t(Part::Exec)] += delta - tlb;
}

void Model::advance_to(const Ready& why) {
    if (why.at > now_) {
        charge(why.at - now_, why);
        now_ = why.at;
        slots_ = 0;
    }
    ++slots_;
}

// The core is busy for `base` cycles plus the cycles beyond an L1 hit of the
// accesses in `p` (divided by `divisor`: the misses a string instruction
// overlaps), each charged to its part.
void Model::occupy(u64 base, const Pending& p, u32 divisor) {
    u64 cost = base;
    counters_.part[size_t(Part::Exec)] += base;
    for (size_t k = 1; k < kParts; ++k) {
        const u64 c = p.extra[k] / divisor;
        counters_.part[k] += c;
        cost += c;
    }
    counters_.cycles += cost;
    now_ += cost;
    slots_ = 0;
}

void Model::sync(Cpu& c) {
    pending_ = {};
    if (!started_) {
        started_ = true;
        now_ = c.cycles;
        return;
    }
    if (c.cycles > now_) {
        const u64 gap = c.cycles - now_;
        counters_.cycles += gap;
        counters_.part[size_t(Part::Halted)] += gap;
        now_ = c.cycles;
        slots_ = 0;
    }
}

void Model::issued_hook(Cpu& c) {
    notify_issue_ = false;
    if (probe_) probe_->issued(c);
}

// ---- memory ---------------------------------------------------------------------

void Model::count_level(bool fetch, Level l) {
    if (l == Level::L1 || l == Level::Uncached) return;
    ++(fetch ? counters_.l1i_misses : counters_.l1d_misses);
    if (l == Level::L2) return;
    ++counters_.l2_misses;
    if (l == Level::Dram) ++counters_.llc_misses;
    if (l == Level::Snoop) ++counters_.snoops;
}

Served Model::cache(bool fetch, u64 pa, bool write) {
    Served s = fetch ? caches_.fetch(pa >> 6) : caches_.data(pa >> 6, write);
    count_level(fetch, s.level);
    return s;
}

// A page walk through the data caches: the fixed part, then each paging
// entry's load in turn (each one's address comes from the one before).
u32 Model::walk(Cpu& c, bool fetch, u64 la) {
    ++counters_.walks;
    Cpu::WalkTrace t;
    u32 cost = p_.walk_latency;
    if (!c.walk_trace(la, t)) return cost;
    for (unsigned k = 0; k < t.count; ++k) cost += cache(false, t.entry[k], false).latency;
    const PageSize size = t.page_bytes >= (1ull << 30) ? PageSize::k1G
                          : t.page_bytes >= (1ull << 21) ? PageSize::k2M
                                                         : PageSize::k4K;
    tlbs_.fill(fetch, la, current_pcid(c), size, t.global);
    return cost;
}

// The TLB cycles of an access at `la` (0: a first-level hit, or paging off).
u32 Model::translate(Cpu& c, bool fetch, u64 la) {
    if (!(c.sys.cr0 & cr0::PG)) return 0;
    switch (tlbs_.lookup(fetch, la, current_pcid(c))) {
        case Tlbs::Hit::L1: return 0;
        case Tlbs::Hit::Stlb:
            ++(fetch ? counters_.itlb_misses : counters_.dtlb_misses);
            return p_.stlb_hit_latency;
        case Tlbs::Hit::Miss:
            ++(fetch ? counters_.itlb_misses : counters_.dtlb_misses);
            return p_.stlb_hit_latency + walk(c, fetch, la);
    }
    return 0;
}

void Model::data(Cpu& c, u64 la, u64 pa, unsigned size, bool write, bool ram) {
    const u32 tlb = translate(c, false, la);
    Served s;
    if (!ram) {
        s = {p_.uncached_latency, Level::Uncached};
    } else {
        // A locked read-modify-write reads for ownership: its line is fetched
        // once, exclusively, not shared and then upgraded.
        const bool own = write || (current_ && (current_->props & prop::Locked));
        s = cache(false, pa, own);
        if ((pa & 63) + size > 64) {
            Served s2 = cache(false, pa + size - 1, own);
            if (s2.latency > s.latency) s = s2;
        }
    }
    const u32 miss = s.latency - std::min(s.latency, p_.l1d.latency);
    const Part mp = part_of(s.level);
    pending_.touched = true;
    pending_.extra[size_t(mp)] += miss;
    pending_.extra[size_t(Part::Tlb)] += tlb;
    if (write) {
        ++counters_.stores;
        pending_.store_bytes += size;
        pending_.store_tlb += tlb;
    } else {
        ++counters_.loads;
        pending_.load_bytes += size;
        const u32 lat = s.latency + tlb;
        if (!pending_.load || lat > pending_.load_ready.at) pending_.load_ready = Ready{lat, miss, u16(std::min<u32>(tlb, 0xFFFF)), mp};
        pending_.load = true;
    }
}

void Model::string_run(Cpu& c, bool has_src, u64 src_la, u64 src_pa, u64 dst_la, u64 dst_pa, u64 bytes) {
    if (!bytes) return;
    pending_.touched = true;
    auto run = [&](u64 la, u64 pa, bool write) {
        const u32 tlb = translate(c, false, la);
        pending_.extra[size_t(Part::Tlb)] += tlb;
        for (u64 line = pa >> 6; line <= (pa + bytes - 1) >> 6; ++line) {
            Served s = cache(false, line << 6, write);
            pending_.extra[size_t(part_of(s.level))] += s.latency - std::min(s.latency, p_.l1d.latency);
        }
    };
    if (has_src) {
        run(src_la, src_pa, false);
        pending_.load_bytes += bytes;
        counters_.loads += (bytes + 63) / 64;
    }
    run(dst_la, dst_pa, true);
    pending_.store_bytes += bytes;
    counters_.stores += (bytes + 63) / 64;
}

// ---- instructions and events -------------------------------------------------------

void Model::retire(Cpu& c, const Insn& i, const Facts& f, u64 pc, u64 fetch_pa) {
    // The front end: a new 64-byte line goes through the ITLB and the L1I.
    const u64 line = fetch_pa >> 6;
    if (line != fetch_line_) {
        fetch_line_ = line;
        const u32 tlb = translate(c, true, pc);
        const Served s = cache(true, fetch_pa, false);
        const u32 miss = s.latency - std::min(s.latency, p_.l1i.latency);
        if (miss + tlb) {
            const Ready r{now_ + miss + tlb, miss, u16(std::min<u32>(tlb, 0xFFFF)), part_of(s.level)};
            if (r.at > front_.at) front_ = r;
        }
    }

    // Issue: in order, at most issue_width per cycle, after the front end has
    // the instruction and its operands are ready. A conditional branch right
    // after the ALU instruction that sets its flags (CMP/TEST/ADD/SUB/AND/
    // INC/DEC) is macro-fused with it: one issue slot, in its cycle.
    constexpr u64 kFlagsBit = 1ull << slot::kFlags;
    const bool fused = f.flow == Flow::Jcc && prev_fusable_;
    Ready bind{now_ + (!fused && slots_ >= p_.issue_width ? 1 : 0)};
    if (front_.at > bind.at) bind = front_;
    for (u64 m = fused ? f.src & ~kFlagsBit : f.src; m; m &= m - 1) {
        const Ready& r = ready_[size_t(__builtin_ctzll(m))];
        if (r.at > bind.at) bind = r;
    }
    const bool serial = f.props & (prop::Serialise | prop::Locked);
    if (serial && drain_.at > bind.at) bind = drain_;
    advance_to(bind);
    if (fused && slots_ > 1) --slots_;
    prev_fusable_ = f.cls == Cls::Alu && (f.dst & kFlagsBit) && f.flow == Flow::None && !serial;
    if (notify_issue_) [[unlikely]] issued_hook(c);

    // Execution: when the results are ready.
    Ready res;
    if ((f.props & prop::String) && i.rep) {
        const u64 bytes = std::max(pending_.load_bytes, pending_.store_bytes);
        occupy(p_.string_startup + bytes / p_.string_bytes_per_cycle, pending_, p_.fill_buffers);
        res.at = now_;
    } else if (serial) {
        occupy(f.lat, pending_, 1);
        res.at = now_;
    } else {
        if (pending_.load) {
            res = pending_.load_ready;
            res.at += now_ + ((f.props & prop::Computes) ? f.lat : 0);
        } else {
            res.at = now_ + f.lat;
        }
        if (pending_.store_tlb) {
            // A store's translation holds up issue (the store must have its
            // physical address before it can retire).
            Pending t;
            t.extra[size_t(Part::Tlb)] = pending_.store_tlb;
            occupy(0, t, 1);
        }
    }
    for (u64 m = f.dst; m; m &= m - 1) ready_[size_t(__builtin_ctzll(m))] = res;
    if (res.at > drain_.at) drain_ = res;

    if (f.flow != Flow::None) branch(c, i, f, pc, pc + i.len);
    ++counters_.insns;
    if (pending_.touched) pending_ = {};
    c.cycles = now_;
}

void Model::branch(Cpu& c, const Insn& i, const Facts& f, u64 pc, u64 next) {
    if (f.flow == Flow::Other) {  // serialising: its cost is the table's
        if (probe_ && (f.props & prop::EventReturn)) [[unlikely]] probe_->event_return(c);
        return;
    }
    const u64 cs = c.s.seg_base[CS];
    const u64 target = cs + c.s.rip;
    const bool taken = target != next;
    // A conditional branch is predicted towards its taken target whichever way it goes.
    const u64 predicted_target = f.flow == Flow::Jcc ? cs + i.imm : target;
    const Predictor::Verdict v = predictor_.branch(f.flow, pc, next, taken, predicted_target);
    ++counters_.branches;
    if (f.flow == Flow::Ret) {
        ++counters_.returns;
        if (v == Predictor::Verdict::Mispredict) ++counters_.return_mispredicts;
    }
    // A taken branch ends its cycle's group: the next instruction issues in
    // the next cycle at the earliest. A mispredicted or resteered branch costs
    // its penalty beyond that.
    const u64 bubble = taken ? 1 : 0;
    if (v == Predictor::Verdict::Mispredict) {
        ++counters_.mispredicts;
        front_ = Ready{now_ + bubble + p_.mispredict_penalty, p_.mispredict_penalty, 0, Part::Branch};
    } else if (v == Predictor::Verdict::Resteer) {
        ++counters_.resteers;
        front_ = Ready{now_ + bubble + p_.resteer_penalty, p_.resteer_penalty, 0, Part::Branch};
    } else if (taken && now_ + 1 > front_.at) {
        front_ = Ready{now_ + 1};
    }
    if (probe_) [[unlikely]] {
        if ((f.flow == Flow::Call || f.flow == Flow::CallInd) &&
            std::find(call_targets_.begin(), call_targets_.end(), target) != call_targets_.end())
            probe_->call(c, target);
        if (f.flow == Flow::Ret && std::find(ret_pcs_.begin(), ret_pcs_.end(), pc) != ret_pcs_.end())
            probe_->ret(c, predictor_.last_return());
    }
}

void Model::event(Cpu& c, u8 vector, bool external) {
    if (probe_) [[unlikely]] probe_->event(c, vector, external);
    // Delivery is serialising: it waits for every earlier result, then takes
    // its microcode's time and the cycles of its IDT, descriptor and stack accesses.
    advance_to(drain_.at > now_ ? drain_ : Ready{now_});
    if (notify_issue_) [[unlikely]] issued_hook(c);
    occupy(p_.event_delivery, pending_, 1);
    prev_fusable_ = false;
    ++counters_.events;
    pending_ = {};
    fetch_line_ = ~0ull;
    drain_ = Ready{now_};
    c.cycles = now_;
}

}  // namespace sy::timing
