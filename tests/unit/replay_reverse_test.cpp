// Reverse execution on the bundled kernel (emu/debug/debugger.h,
// emu/replay/timeline.h). The oracle is the machine itself going forward: the
// whole state (every CPU's registers and counters, the LAPICs, every device
// through its serializer, the clock, a hash of all of RAM) saved at each stop
// of a forward run must come back, bit for bit, when reverse execution returns
// to that stop.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "archive.h"
#include "debugger.h"
#include "guest/kernel.h"
#include "hash.h"
#include "machine.h"
#include "model.h"
#include "guest_boot.h"
#include "multiboot.h"

using namespace sy;

namespace {

struct Rig {
    std::unique_ptr<Machine> m;
    std::unique_ptr<guest::CpuMemory> mem;
    std::unique_ptr<guest::Kernel> k;
    std::unique_ptr<debug::Debugger> d;
    explicit Rig(unsigned cpus = 2, const std::string& append = "") {
        m = test::guest_machine(cpus, append);
        mem = std::make_unique<guest::CpuMemory>(m->cpu(0));
        k = std::make_unique<guest::Kernel>(test::load_guest_kernel(*mem));
        d = std::make_unique<debug::Debugger>(*m, k.get());
    }
};

// The whole machine: what each CPU says about itself (for a readable failure)
// and hashes of the serialized state and of RAM.
struct State {
    std::vector<u64> rip, insns, cycles;
    u64 now = 0, machine_hash = 0, ram_hash = 0;
    size_t switches = 0;
    bool operator==(const State&) const = default;
};

State state_of(Rig& r) {
    State s;
    for (unsigned n = 0; n < r.m->cpu_count(); ++n) {
        s.rip.push_back(r.m->cpu(n).s.rip);
        s.insns.push_back(r.m->cpu(n).insns);
        s.cycles.push_back(r.m->cpu(n).cycles);
    }
    s.now = r.m->now();
    std::vector<u8> bytes;
    Archive ar(bytes);
    r.m->serialize(ar);
    s.machine_hash = replay::hash64(bytes.data(), bytes.size());
    s.ram_hash = replay::hash64(r.m->ram(), r.m->ram_size());
    s.switches = r.d->switches().count();
    return s;
}

std::string describe(const State& s) {
    std::string out = "now=" + std::to_string(s.now);
    for (size_t n = 0; n < s.rip.size(); ++n)
        out += " cpu" + std::to_string(n) + "{rip=" + debug::hex(s.rip[n]) + " insns=" + std::to_string(s.insns[n]) +
               " cycles=" + std::to_string(s.cycles[n]) + "}";
    return out + " machine=" + debug::hex(s.machine_hash) + " ram=" + debug::hex(s.ram_hash) +
           " switches=" + std::to_string(s.switches);
}

#define CHECK_STATE(rig, want)                                         \
    do {                                                               \
        const State got_ = state_of(rig);                              \
        INFO("expected " << describe(want) << "\n     got " << describe(got_)); \
        CHECK(got_ == (want));                                         \
    } while (0)

}  // namespace

TEST_CASE("reverse stepi: N steps forward on two CPUs, N back, and the whole machine is as it was at every step") {
    Rig r(2);
    // Into the demo, both CPUs running tasks.
    for (int k = 0; k < 6; ++k) REQUIRE(r.d->run_to_switch().kind == debug::StopKind::Switch);
    r.d->enable_reverse(100'000);
    // Steps on cpu0 and cpu1 in a pattern; the state before each is the oracle.
    std::vector<std::pair<unsigned, State>> before;
    const int n = 300;
    for (int k = 0; k < n; ++k) {
        const unsigned cpu = (k % 7) < 5 ? 0 : 1;
        before.push_back({cpu, state_of(r)});
        REQUIRE(r.d->step(cpu).kind == debug::StopKind::Step);
    }
    REQUIRE(r.d->timeline()->snapshot_count() >= 1);
    for (int k = n; k-- > 0;) {
        const debug::Stop s = r.d->reverse_stepi(before[size_t(k)].first);
        INFO("step " << k << ": " << s.message);
        REQUIRE(s.kind == debug::StopKind::Step);
        CHECK(s.cpu == before[size_t(k)].first);
        CHECK_STATE(r, before[size_t(k)].second);
    }
    // At the start of the history there is nothing earlier: the machine stays.
    const State start = state_of(r);
    CHECK(r.d->reverse_stepi(0).kind == debug::StopKind::Limit);
    CHECK_STATE(r, start);
}

TEST_CASE("reverse stepi inside a run: the boundary before the CPU's last instruction, one step short of where it was") {
    Rig r(2);
    r.d->enable_reverse(2'000'000);
    r.d->cont(r.m->now() + 30'000'000);  // a slice, as the GUI runs
    const u64 insns0 = r.m->cpu(0).insns;
    const State end = state_of(r);
    const debug::Stop s = r.d->reverse_stepi(0);
    REQUIRE(s.kind == debug::StopKind::Step);
    CHECK(r.m->cpu(0).insns == insns0 - 1);
    CHECK(state_of(r).now <= end.now);
    // One instruction on cpu0 from there retires the one it had last.
    r.d->step(0);
    CHECK(r.m->cpu(0).insns == insns0);
    CHECK(r.m->cpu(0).s.rip == end.rip[0]);
}

TEST_CASE("previous switch: back at each earlier switch, the machine as run_to_switch left it there, and forward again the same") {
    Rig r(2);
    // Small snapshots apart: going back crosses several, and RAM comes back
    // through their kept pages.
    r.d->enable_reverse(300'000);
    std::vector<State> at;
    for (int k = 0; k < 8; ++k) {
        REQUIRE(r.d->run_to_switch().kind == debug::StopKind::Switch);
        at.push_back(state_of(r));
    }
    REQUIRE(r.d->timeline()->snapshot_count() > 3);
    for (int k = 6; k >= 0; --k) {
        const debug::Stop s = r.d->previous_switch();
        REQUIRE(s.kind == debug::StopKind::Switch);
        CHECK_STATE(r, at[size_t(k)]);
    }
    CHECK(r.d->previous_switch().kind == debug::StopKind::Limit);
    CHECK_STATE(r, at[0]);
    // Forward again from there: the same switches, the same states.
    for (int k = 1; k < 8; ++k) {
        REQUIRE(r.d->run_to_switch().kind == debug::StopKind::Switch);
        CHECK_STATE(r, at[size_t(k)]);
    }
}

TEST_CASE("reverse continue: back at the previous breakpoint hit, over slices and steps, the state as it was there") {
    Rig r(2);
    r.d->enable_reverse(500'000);
    r.d->add_breakpoint("__schedule");
    std::vector<State> hits;
    for (int k = 0; k < 5; ++k) {
        // Slices of a run, as the GUI makes them, then a few steps.
        debug::Stop s = r.d->cont(r.m->now() + 400'000);
        while (s.kind == debug::StopKind::Limit) s = r.d->resume(r.m->now() + 400'000);
        REQUIRE(s.kind == debug::StopKind::Breakpoint);
        hits.push_back(state_of(r));
        for (int j = 0; j < 3; ++j) r.d->step(s.cpu);
    }
    for (int k = 4; k >= 0; --k) {
        const debug::Stop s = r.d->reverse_continue();
        REQUIRE(s.kind == debug::StopKind::Breakpoint);
        CHECK(s.message.find("__schedule") != std::string::npos);
        CHECK_STATE(r, hits[size_t(k)]);
    }
    const State first = state_of(r);
    CHECK(r.d->reverse_continue().kind == debug::StopKind::Limit);
    CHECK_STATE(r, first);
}

TEST_CASE("reverse continue to a watchpoint: back at each earlier write of jiffies, the state the forward stop left") {
    // Issue 12: reverse-continue goes back to the previous breakpoint *or
    // watchpoint* hit. The oracle is the machine as the forward watchpoint
    // stops left it (after the instruction that wrote jiffies).
    Rig r(2);
    r.d->enable_reverse(500'000);
    const u64 jiffies = *r.k->symbols().address_of("jiffies");
    const int id = r.d->add_watchpoint(jiffies, 8, debug::WatchKind::Write);
    std::vector<State> hits;
    for (int k = 0; k < 4; ++k) {
        debug::Stop s = r.d->cont(r.m->now() + 400'000);
        while (s.kind == debug::StopKind::Limit) s = r.d->resume(r.m->now() + 400'000);
        REQUIRE(s.kind == debug::StopKind::Watchpoint);
        REQUIRE(s.watch == id);
        hits.push_back(state_of(r));
    }
    for (int k = 2; k >= 0; --k) {
        const debug::Stop s = r.d->reverse_continue();
        REQUIRE(s.kind == debug::StopKind::Watchpoint);
        CHECK(s.watch == id);
        CHECK_STATE(r, hits[size_t(k)]);
    }
    // With the watchpoint still set, stepping back re-runs past its hits
    // without stopping there: one step forward, one back, the same machine.
    const State here = state_of(r);
    r.d->step(0);
    CHECK(r.d->reverse_stepi(0).kind == debug::StopKind::Step);
    CHECK_STATE(r, here);
}
