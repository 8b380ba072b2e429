// The timeline (emu/trace/). Oracles: objdump's listing of the kernel (which
// IRETs and SYSRETs there are), the CPU itself (a traced run on the bundled
// kernel hits those instructions), and the rules of trace.h for how slices
// park and resume across a switch.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chrome_json.h"
#include "debugger.h"
#include "guest/kernel.h"
#include "machine.h"
#include "guest_boot.h"
#include "multiboot.h"
#include "trace.h"

using namespace sy;

namespace {

// Every iret*/sysret* objdump finds in kernel text [lo, hi).
std::set<u64> objdump_exits(u64 lo, u64 hi) {
    std::set<u64> out;
    std::string cmd = std::string("objdump -d --no-show-raw-insn ") + SY_GUEST_KERNEL;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p);
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
        unsigned long long a = 0;
        char mnem[32] = {};
        if (std::sscanf(line, " %llx: %31s", &a, mnem) != 2) continue;
        std::string m = mnem;
        if ((m.rfind("iret", 0) == 0 || m.rfind("sysret", 0) == 0) && a >= lo && a < hi) out.insert(a);
    }
    pclose(p);
    return out;
}

}  // namespace

TEST_CASE("trace: find_kernel_exits finds every IRET and SYSRET that objdump lists in the kernel's text") {
    MachineConfig c;
    c.ram_bytes = 64 * mem::MiB;
    Machine m(c);
    test::boot_guest_kernel(m);
    guest::CpuMemory mem(m.cpu(0));
    guest::Kernel k = test::load_guest_kernel(mem);
    const std::vector<u64> found = guest::find_kernel_exits(k);
    const std::set<u64> want = objdump_exits(k.d().text_start, k.d().text_end);
    CHECK(want.size() >= 4);  // sysretq, and the iretqs of the return to user mode, error_return, NMI/#DF
    CHECK(std::set<u64>(found.begin(), found.end()) == want);
}

TEST_CASE("trace: a slice interrupted by a switch is parked with its task and resumes where the task runs next") {
    trace::Recorder r(2);
    r.start(0, 100, 5, "a");
    r.start(1, 100, 6, "b");
    // pid 5 on cpu0 takes a timer interrupt, whose exit path switches to pid 7.
    r.entered(0, 200, trace::Kind::Interrupt, 0xec, "interrupt 0xec", "irq", true);
    r.switched(0, 300, 0x5000, 5, "a", 0x7000, 7, "c", 0xffffffff80100000, "__schedule+0x10");
    // pid 5 resumes on cpu1 (its interrupt goes on there) and returns from it.
    r.switched(1, 400, 0x6000, 6, "b", 0x5000, 5, "a", 0xffffffff80100000, "__schedule+0x10");
    r.exited(1, 450);
    // pid 7 leaves ret_from_fork through an IRETQ it never entered by.
    r.exited(0, 460);
    CHECK(r.unmatched_exits() == 1);
    CHECK(r.switches() == 2);

    std::vector<trace::Event> irq;
    for (const trace::Event& e : r.events())
        if (e.kind == trace::Kind::Interrupt) irq.push_back(e);
    REQUIRE(irq.size() == 2);
    CHECK(irq[0].cpu == 0);
    CHECK(irq[0].begin == 200);
    CHECK(irq[0].end == 300);
    CHECK(!irq[0].resumed);
    CHECK(irq[1].cpu == 1);
    CHECK(irq[1].begin == 400);
    CHECK(irq[1].end == 450);
    CHECK(irq[1].resumed);
    CHECK(irq[1].pid == 5);
    CHECK(irq[1].depth == 1);
    // What is open at the end: cpu0 runs pid 7 since 300, cpu1 pid 5 since 400.
    auto open0 = r.open(0, 1000), open1 = r.open(1, 1000);
    REQUIRE(open0.size() == 1);
    CHECK(open0[0].pid == 7);
    CHECK(open0[0].begin == 300);
    REQUIRE(open1.size() == 1);
    CHECK(open1[0].pid == 5);
}

namespace {

bool same_events(const std::vector<trace::Event>& a, const std::vector<trace::Event>& b) {
    if (a.size() != b.size()) return false;
    for (size_t k = 0; k < a.size(); ++k) {
        const trace::Event &x = a[k], &y = b[k];
        if (x.kind != y.kind || x.cpu != y.cpu || x.begin != y.begin || x.end != y.end || x.depth != y.depth ||
            x.pid != y.pid || x.name != y.name || x.resumed != y.resumed || x.open != y.open)
            return false;
    }
    return true;
}

}  // namespace

// The oracle is a recorder that never went past the mark: going back to a
// mark and feeding the same calls again must give what it has.
TEST_CASE("trace: rewind to a mark forgets what came after it, parked and open slices included") {
    auto before = [](trace::Recorder& r) {
        r.start(0, 100, 5, "a");
        r.start(1, 100, 6, "b");
        r.entered(0, 200, trace::Kind::Interrupt, 0xec, "interrupt 0xec", "irq", true);
    };
    auto after = [](trace::Recorder& r) {
        r.switched(0, 300, 0x5000, 5, "a", 0x7000, 7, "c", 0xffffffff80100000, "__schedule+0x10");
        r.entered(1, 350, trace::Kind::Syscall, 24, "sched_yield", "entry_SYSCALL_64", true);
    };
    trace::Recorder plain(2), back(2);
    before(plain);
    after(plain);
    before(back);
    const trace::Recorder::Mark m = back.mark();
    after(back);
    // Further on: pid 5 resumes on cpu1 and leaves its interrupt, an exit with nothing open.
    back.exited(1, 360);
    back.switched(1, 400, 0x6000, 6, "b", 0x5000, 5, "a", 0xffffffff80100000, "__schedule+0x10");
    back.exited(1, 450);
    back.exited(0, 460);
    back.exited(0, 470);
    CHECK(back.switches() == 2);
    back.rewind(m);
    CHECK(back.events().empty());
    CHECK(back.switches() == 0);
    after(back);
    CHECK(same_events(back.events(), plain.events()));
    CHECK(back.switches() == plain.switches());
    CHECK(back.unmatched_exits() == plain.unmatched_exits());
    for (unsigned c = 0; c < 2; ++c) CHECK(same_events(back.open(c, 1000), plain.open(c, 1000)));
    // pid 5's interrupt is parked again, as in the plain run: it resumes when pid 5 runs.
    back.switched(1, 500, 0x6000, 6, "b", 0x5000, 5, "a", 0xffffffff80100000, "__schedule+0x10");
    plain.switched(1, 500, 0x6000, 6, "b", 0x5000, 5, "a", 0xffffffff80100000, "__schedule+0x10");
    CHECK(same_events(back.open(1, 1000), plain.open(1, 1000)));
    CHECK(back.open(1, 1000).size() == 2);
}

TEST_CASE("trace: the JSON has a track per CPU and integer-nanosecond times, so a child never outlives its parent") {
    trace::Recorder r(1);
    r.start(0, 0, 1, "init");
    r.entered(0, 3, trace::Kind::Syscall, 24, "sched_yield", "entry_SYSCALL_64", true);
    r.switched(0, 5, 0x1000, 1, "init", 0x2000, 2, "sh", 0x1234, "__schedule+0x1dd");
    trace::ChromeTraceInfo info;
    info.machine = "test";
    info.cycles_per_us = 2000;
    info.cpu_now = {7};
    std::ostringstream out;
    const size_t n = trace::write_chrome_json(out, r, info);
    const auto doc = nlohmann::json::parse(out.str());
    CHECK(doc["otherData"]["cycles_per_us"] == 2000);
    const auto& ev = doc["traceEvents"];
    CHECK(ev.size() == n);
    int stretches = 0, switches = 0, syscalls = 0;
    for (const auto& e : ev) {
        if (e["ph"] == "M") continue;
        CHECK(e["pid"] == 1);
        CHECK(e["tid"] == 1);  // cpu 0
        if (e["cat"] == "task") ++stretches;
        if (e["cat"] == "switch") {
            ++switches;
            CHECK(e["ph"] == "i");
            CHECK(e["s"] == "t");
            CHECK(e["args"]["ret_addr"] == "0x1234");
            CHECK(e["args"]["ret_sym"] == "__schedule+0x1dd");
            CHECK(e["ts"].get<double>() == doctest::Approx(0.002));  // cycle 5 = 2.5 ns, floored
        }
        if (e["cat"] == "syscall") {
            ++syscalls;
            // Cycles 3 and 5: 1 ns and 2 ns, so ts 0.001 us, dur 0.001 us: inside [0, 2] ns.
            CHECK(e["ts"].get<double>() == doctest::Approx(0.001));
            CHECK(e["dur"].get<double>() == doctest::Approx(0.001));
        }
    }
    CHECK(stretches == 2);  // init until the switch, sh open from it
    CHECK(switches == 1);
    CHECK(syscalls == 1);
}

TEST_CASE("trace: a traced run of the bundled kernel records each switch the debugger's tracker logs, once") {
    MachineConfig c;
    c.ram_bytes = 64 * mem::MiB;
    c.cpus = 2;
    Machine m(c);
    test::boot_guest_kernel(m, " spin 2 100");
    guest::CpuMemory mem(m.cpu(0));
    guest::Kernel k = test::load_guest_kernel(mem);
    debug::Debugger d(m, &k);
    REQUIRE(d.record_trace());
    d.cont(400'000'000);
    const trace::Recorder& r = *d.trace();
    REQUIRE(d.switches().count() > 4);
    CHECK(r.switches() == d.switches().count());
    size_t k_sw = 0, syscalls = 0;
    for (const trace::Event& e : r.events()) {
        if (e.kind == trace::Kind::Switch) {
            const debug::SwitchRecord& s = d.switches().log()[k_sw++];
            CHECK(e.begin == s.cycle);
            CHECK(e.pid == s.next_pid);
            CHECK(e.prev_pid == s.prev_pid);
        }
        if (e.kind == trace::Kind::Syscall) ++syscalls;
    }
    CHECK(syscalls > 0);
}

TEST_CASE("trace: a user page fault is a #PF slice from user mode in the task the kernel says it killed") {
    // The kernel's own report ("utest[2]: page fault at ip ...: killed", from
    // its #PF handler) says which task faulted; the trace must hold that fault.
    MachineConfig c;
    c.ram_bytes = 64 * mem::MiB;
    c.cpus = 2;
    std::string serial;
    c.serial_out = [&](u8 b) { serial.push_back(char(b)); };
    Machine m(c);
    test::boot_guest_kernel(m, " utest fault");
    guest::CpuMemory mem(m.cpu(0));
    guest::Kernel k = test::load_guest_kernel(mem);
    debug::Debugger d(m, &k);
    REQUIRE(d.record_trace());
    const debug::Stop s = d.cont(2'000'000'000);
    REQUIRE(s.kind == debug::StopKind::Exited);
    int pid = -1;
    const size_t at = serial.find("]: page fault at ip ");
    REQUIRE(at != std::string::npos);
    const size_t open = serial.rfind('[', at);
    pid = std::stoi(serial.substr(open + 1, at - open - 1));
    int faults = 0;
    for (const trace::Event& e : d.trace()->events())
        if (e.kind == trace::Kind::Exception) {
            ++faults;
            CHECK(e.number == 14);
            CHECK(e.name == "#PF");
            CHECK(e.from_user);
            CHECK(e.pid == pid);
            CHECK(e.where == "asm_exc_page_fault");
        }
    CHECK(faults == 1);
}
