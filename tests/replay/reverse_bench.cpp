// reverse_bench: how long reverse execution takes on the bundled kernel's
// default demo (2 CPUs, 256 MiB, the default command line), and what its
// snapshots cost. A benchmark, not a test: it prints figures (docs/replay.md
// records them) and fails only if a command does not land where it should.
//   reverse_bench KERNEL [--cycles N] [--interval N] [--samples N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "debugger.h"
#include "guest/kernel.h"
#include "machine.h"
#include "multiboot.h"

using namespace sy;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Rig {
    std::unique_ptr<Machine> m;
    std::unique_ptr<guest::CpuMemory> mem;
    std::unique_ptr<guest::Kernel> k;
    std::unique_ptr<debug::Debugger> d;
    Rig(const std::string& kernel, const std::vector<u8>& image) {
        MachineConfig c;  // the defaults `run` and `gui` use: 256 MiB, 2 CPUs
        c.cpus = 2;
        m = std::make_unique<Machine>(c);
        boot::BootParams p;
        p.cmdline = kernel + " ";
        boot::load_multiboot(*m, image, p);
        mem = std::make_unique<guest::CpuMemory>(m->cpu(0));
        k = std::make_unique<guest::Kernel>(guest::Kernel::load(Symbols::load(kernel), *mem));
        d = std::make_unique<debug::Debugger>(*m, k.get());
    }
    // Runs `cycles` more in the GUI's slices of 2M cycles.
    void run_for(u64 cycles) {
        const u64 until = m->now() + cycles;
        while (m->now() < until) {
            debug::Stop s = d->cont(std::min(until, m->now() + 2'000'000));
            if (s.final()) {
                std::fprintf(stderr, "reverse_bench: the demo ended (%s)\n", debug::stop_kind_name(s.kind));
                std::exit(1);
            }
        }
    }
};

struct Figures {
    std::vector<double> v;
    void add(double x) { v.push_back(x); }
    void print(const char* what) {
        std::sort(v.begin(), v.end());
        double sum = 0;
        for (double x : v) sum += x;
        std::printf("%-34s n=%zu  mean %.1f ms  median %.1f ms  max %.1f ms\n", what, v.size(), sum / double(v.size()),
                    v[v.size() / 2], v.back());
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: reverse_bench KERNEL [--cycles N] [--interval N] [--samples N]\n");
        return 2;
    }
    const std::string kernel = argv[1];
    u64 total = 400'000'000, interval = debug::Debugger::kDefaultSnapshotInterval;
    int samples = 20;
    for (int a = 2; a + 1 < argc; a += 2) {
        if (!std::strcmp(argv[a], "--cycles")) total = std::strtoull(argv[a + 1], nullptr, 0);
        else if (!std::strcmp(argv[a], "--interval")) interval = std::strtoull(argv[a + 1], nullptr, 0);
        else if (!std::strcmp(argv[a], "--samples")) samples = std::atoi(argv[a + 1]);
    }
    std::ifstream f(kernel, std::ios::binary);
    const std::vector<u8> image{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    if (image.empty()) {
        std::fprintf(stderr, "reverse_bench: %s: cannot read the kernel\n", kernel.c_str());
        return 2;
    }

    // Forward speed without and with the timeline.
    double plain_ms, timeline_ms;
    u64 plain_insns;
    {
        Rig r(kernel, image);
        auto t0 = Clock::now();
        r.run_for(total);
        plain_ms = ms_since(t0);
        plain_insns = r.m->total_insns();
    }
    Rig r(kernel, image);
    r.d->enable_reverse(interval);
    auto t0 = Clock::now();
    r.run_for(total);
    timeline_ms = ms_since(t0);
    const replay::Timeline& tl = *r.d->timeline();
    std::printf("demo: %llu cycles, %llu instructions, snapshots every %llu cycles\n", (unsigned long long)r.m->now(),
                (unsigned long long)r.m->total_insns(), (unsigned long long)interval);
    std::printf("forward, no timeline:   %.0f ms (%.1f MIPS)\n", plain_ms, double(plain_insns) / plain_ms / 1e3);
    std::printf("forward, with timeline: %.0f ms (%.1f MIPS)\n", timeline_ms, double(r.m->total_insns()) / timeline_ms / 1e3);
    std::printf("snapshots: %zu, %.1f MiB in all (%zu RAM pages kept), %.2f MiB per 10M cycles\n", tl.snapshot_count(),
                double(tl.bytes()) / double(1 << 20), tl.pages_kept(),
                double(tl.bytes()) / double(1 << 20) / (double(r.m->now() - tl.oldest_cycle()) / 1e7));

    // reverse-stepi: after a stretch of running, back one instruction on cpu0
    // and on cpu1 (each a re-run from the snapshot before).
    Figures rs, ps, rc;
    for (int k = 0; k < samples; ++k) {
        r.run_for(3'000'000 + u64(k % 5) * 1'700'000);
        for (unsigned cpu = 0; cpu < 2; ++cpu) {
            const u64 insns = r.m->cpu(cpu).insns;
            auto t = Clock::now();
            debug::Stop s = r.d->reverse_stepi(cpu);
            rs.add(ms_since(t));
            if (s.kind != debug::StopKind::Step || r.m->cpu(cpu).insns != insns - 1) {
                std::fprintf(stderr, "reverse_bench: reverse-stepi on cpu%u did not land one instruction back\n", cpu);
                return 1;
            }
        }
    }
    // previous switch: from a switch, back to the one before.
    for (int k = 0; k < samples; ++k) {
        r.run_for(1'000'000 + u64(k % 7) * 900'000);
        for (int j = 0; j < 2; ++j)
            if (r.d->run_to_switch().kind != debug::StopKind::Switch) return 1;
        auto t = Clock::now();
        debug::Stop s = r.d->previous_switch();
        ps.add(ms_since(t));
        if (s.kind != debug::StopKind::Switch) {
            std::fprintf(stderr, "reverse_bench: previous switch: %s\n", s.message.c_str());
            return 1;
        }
    }
    // reverse-continue to a breakpoint in the scheduler, hit a few times.
    r.d->add_breakpoint("__schedule");
    for (int k = 0; k < samples; ++k) {
        for (int j = 0; j < 2; ++j)
            if (r.d->cont().kind != debug::StopKind::Breakpoint) return 1;
        auto t = Clock::now();
        debug::Stop s = r.d->reverse_continue();
        rc.add(ms_since(t));
        if (s.kind != debug::StopKind::Breakpoint) {
            std::fprintf(stderr, "reverse_bench: reverse continue: %s\n", s.message.c_str());
            return 1;
        }
    }
    rs.print("reverse-stepi");
    ps.print("previous switch");
    rc.print("reverse-continue (__schedule)");
    std::printf("snapshots at the end: %zu, %.1f MiB\n", tl.snapshot_count(), double(tl.bytes()) / double(1 << 20));
    return 0;
}
