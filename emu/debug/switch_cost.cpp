// The switch cost meter and its report (switch_cost.h).
#include "switch_cost.h"

#include <algorithm>
#include <cstdio>

#include "model.h"

namespace sy::debug {

// One CPU's probe. `start` is the open window; `irq` an interrupt's window
// that its IRET closes (`depth`: events nested inside it, each with an IRET).
struct SwitchCostMeter::Probe final : timing::Probe {
    SwitchCostMeter& meter;
    SwitchTracker& tracker;
    timing::Model& model;
    unsigned cpu;
    u64 schedule;  // __schedule
    struct Window {
        SwitchCost::Start start = SwitchCost::Start::Schedule;
        u8 vector = 0;
        timing::Counters at;
    };
    std::optional<Window> start, irq;
    unsigned depth = 0;
    std::optional<timing::ReturnPrediction> popped;  // the ret of __switch_to, until next issues

    Probe(SwitchCostMeter& m, SwitchTracker& t, timing::Model& mo, unsigned n, u64 sched)
        : meter(m), tracker(t), model(mo), cpu(n), schedule(sched) {}

    void call(Cpu&, u64 target) override {
        if (target != schedule) return;
        if (irq) start = irq;  // a preemption on the interrupt's way out
        else start = Window{SwitchCost::Start::Schedule, 0, model.counters()};
    }
    void event(Cpu&, u8 vector, bool external) override {
        if (irq) ++depth;
        else if (external) irq = Window{SwitchCost::Start::Interrupt, vector, model.counters()}, depth = 0;
    }
    void event_return(Cpu&) override {
        if (!irq) return;
        if (depth) --depth;
        else irq.reset();
    }
    void ret(Cpu&, const timing::ReturnPrediction& r) override {
        popped = r;
        model.notify_next_issue();
    }
    void issued(Cpu&) override {
        if (popped && start) {
            SwitchCost c;
            c.start = start->start;
            c.vector = start->vector;
            c.counters = model.counters() - start->at;
            c.ret = *popped;
            tracker.set_cost(cpu, c);
        }
        // next runs: whatever was open on this CPU belonged to prev.
        popped.reset();
        start.reset();
        irq.reset();
        depth = 0;
    }
};

SwitchCostMeter::SwitchCostMeter(Machine& m, const guest::Kernel& k, SwitchTracker& tracker) : m_(m) {
    timing::System& t = *m.timing();
    for (unsigned n = 0; n < m.cpu_count(); ++n) {
        timing::Model& model = t.cpu(n);
        probes_.push_back(std::make_unique<Probe>(*this, tracker, model, n, k.d().sym___schedule));
        model.set_call_targets({k.d().sym___schedule});
        model.set_return_pcs(k.switch_to_rets());
        model.set_probe(probes_.back().get());
    }
}

SwitchCostMeter::~SwitchCostMeter() {
    timing::System& t = *m_.timing();
    for (unsigned n = 0; n < m_.cpu_count(); ++n) {
        t.cpu(n).set_probe(nullptr);
        t.cpu(n).set_call_targets({});
        t.cpu(n).set_return_pcs({});
    }
}

namespace {

std::string task_label(int pid, const std::string& name) {
    std::string s = std::to_string(pid) + ":" + (name.empty() ? "?" : name);
    std::replace(s.begin(), s.end(), ' ', '_');
    return s;
}

std::string where(const Symbols& syms, u64 a) {
    std::string s = syms.format(a);
    return s.empty() ? hex(a) : s;
}

void append(std::string& out, const char* fmt, auto... args) {
    char buf[256];
    std::snprintf(buf, sizeof buf, fmt, args...);
    out += buf;
}

bool into_fork(const SwitchRecord& r, const guest::Kernel& k) { return r.ret_addr == k.ret_from_fork(); }

}  // namespace

std::string switch_cost_parts(const SwitchCost& c) {
    std::string s;
    for (size_t p = 0; p < timing::kParts; ++p) {
        const std::string_view name = timing::part_name(timing::Part(p));
        append(s, "%s%.*s=%llu", p ? " " : "", int(name.size()), name.data(), (unsigned long long)c.counters.part[p]);
    }
    return s;
}

std::string format_switch_cost(size_t n, const SwitchRecord& r, const Symbols& syms) {
    const SwitchCost& c = *r.cost;
    const timing::Counters& k = c.counters;
    std::string s;
    append(s, "switch %zu cpu%u prev=%s next=%s ", n, r.cpu, task_label(r.prev_pid, r.prev_name).c_str(),
           task_label(r.next_pid, r.next_name).c_str());
    if (c.start == SwitchCost::Start::Interrupt) append(s, "start=irq:0x%02x", unsigned(c.vector));
    else s += "start=schedule";
    append(s, " cycles=%llu insns=%llu", (unsigned long long)k.cycles, (unsigned long long)k.insns);
    s += " " + switch_cost_parts(c);
    append(s, " l1i=%llu l1d=%llu l2=%llu llc=%llu snoop=%llu itlb=%llu dtlb=%llu walks=%llu mispredicts=%llu",
           (unsigned long long)k.l1i_misses, (unsigned long long)k.l1d_misses, (unsigned long long)k.l2_misses,
           (unsigned long long)k.llc_misses, (unsigned long long)k.snoops, (unsigned long long)k.itlb_misses,
           (unsigned long long)k.dtlb_misses, (unsigned long long)k.walks, (unsigned long long)k.mispredicts);
    s += " ret=" + where(syms, c.ret.pc) + " predicted=" + where(syms, c.ret.predicted) +
         " actual=" + where(syms, c.ret.actual) + (c.ret.correct() ? " rsb=right" : " rsb=wrong");
    return s;
}

std::string switch_cost_summary(const std::vector<SwitchRecord>& log, const guest::Kernel& k) {
    struct Group {
        const char* what;
        std::vector<u64> cycles{};
        timing::Counters sum{};
        size_t rsb_wrong = 0;
    } groups[2] = {{"ordinary switches (next resumes in __schedule)", {}, {}, 0},
                   {"first switches into a forked task (ret_from_fork)", {}, {}, 0}};
    std::vector<u64> all;
    size_t uncosted = 0;  // a switch whose window never opened, or still open at the end
    for (const SwitchRecord& r : log) {
        if (!r.cost) {
            ++uncosted;
            continue;
        }
        Group& g = groups[into_fork(r, k) ? 1 : 0];
        const timing::Counters& c = r.cost->counters;
        g.cycles.push_back(c.cycles);
        g.sum.cycles += c.cycles;
        g.sum.insns += c.insns;
        for (size_t p = 0; p < timing::kParts; ++p) g.sum.part[p] += c.part[p];
        g.rsb_wrong += !r.cost->ret.correct();
        all.push_back(c.cycles);
    }
    if (all.empty()) return "";
    std::string s;
    // Power-of-two buckets, [2^b, 2^(b+1)).
    std::vector<size_t> buckets(64);
    size_t lo = 63, hi = 0, peak = 0;
    for (u64 v : all) {
        const size_t b = v ? size_t(63 - __builtin_clzll(v)) : 0;
        ++buckets[b];
        lo = std::min(lo, b), hi = std::max(hi, b), peak = std::max(peak, buckets[b]);
    }
    append(s, "switch cost histogram: %zu switches, cycles from the switch's start to next's first instruction\n",
           all.size());
    for (size_t b = lo; b <= hi; ++b) {
        const size_t bar = (buckets[b] * 40 + peak - 1) / peak;
        append(s, "  %8llu-%-8llu %6zu %s\n", (unsigned long long)(1ull << b), (unsigned long long)((2ull << b) - 1),
               buckets[b], std::string(buckets[b] ? bar : 0, '#').c_str());
    }
    for (Group& g : groups) {
        if (g.cycles.empty()) continue;
        std::sort(g.cycles.begin(), g.cycles.end());
        const double n = double(g.cycles.size());
        append(s, "%s: %zu, median %llu cycles, mean %.0f cycles and %.0f instructions; mean", g.what, g.cycles.size(),
               (unsigned long long)g.cycles[g.cycles.size() / 2], double(g.sum.cycles) / n, double(g.sum.insns) / n);
        for (size_t p = 0; p < timing::kParts; ++p) {
            const std::string_view name = timing::part_name(timing::Part(p));
            append(s, " %.*s=%.0f", int(name.size()), name.data(), double(g.sum.part[p]) / n);
        }
        append(s, "; ret of __switch_to mispredicted in %zu\n", g.rsb_wrong);
    }
    if (uncosted) append(s, "switches without a cost: %zu\n", uncosted);
    return s;
}

}  // namespace sy::debug
