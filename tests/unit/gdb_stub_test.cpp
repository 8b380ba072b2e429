// The gdb stub's protocol layer (emu/gdb/) on the bundled guest kernel,
// without sockets: packets in through Stub::receive, replies collected.
// Oracles: the CPU itself (a switched-out task's `g` registers are compared
// with the registers the CPU really has once that task resumes), the CPU's
// peek for memory, and the gdb manual's packet formats.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "debugger.h"
#include "guest/kernel.h"
#include "machine.h"
#include "model.h"
#include "guest_boot.h"
#include "multiboot.h"
#include "packet.h"
#include "registers.h"
#include "stub.h"
#include "tcp.h"
#include "threads.h"

using namespace sy;

namespace {

struct GdbRig {
    std::unique_ptr<Machine> m;
    std::unique_ptr<guest::CpuMemory> mem;
    std::unique_ptr<guest::Kernel> k;
    std::unique_ptr<debug::Debugger> d;
    std::unique_ptr<gdb::Stub> stub;
    std::string out;

    explicit GdbRig(unsigned cpus = 2, const std::string& append = "sleeper 3", bool aware = true) {
        m = test::guest_machine(cpus, append);
        mem = std::make_unique<guest::CpuMemory>(m->cpu(0));
        if (aware) k = std::make_unique<guest::Kernel>(test::load_guest_kernel(*mem));
        d = std::make_unique<debug::Debugger>(*m, k.get());
        stub = std::make_unique<gdb::Stub>(*d, [this](const std::string& b) { out += b; });
        stub->connected();
    }
    // The packets in `out` (acks dropped); every byte must frame correctly.
    std::vector<std::string> replies() {
        gdb::PacketReader r(1 << 20);
        std::vector<gdb::Event> ev;
        r.feed(out.data(), out.size(), ev);
        std::vector<std::string> p;
        for (auto& e : ev) {
            REQUIRE(e.kind != gdb::Event::Bad);
            if (e.kind == gdb::Event::Packet) p.push_back(e.data);
        }
        return p;
    }
    void raw(const std::string& bytes) { stub->receive(bytes.data(), bytes.size()); }
    // Sends one packet; its reply (the last packet sent), or "<none>".
    std::string cmd(const std::string& payload) {
        out.clear();
        raw(gdb::frame(payload));
        auto p = replies();
        return p.empty() ? "<none>" : p.back();
    }
    // A resume packet, then slices until the stop reply.
    std::string run(const std::string& payload, int max_slices = 2000) {
        out.clear();
        raw(gdb::frame(payload));
        for (int n = 0; n < max_slices && stub->running(); ++n) stub->run_slice();
        auto p = replies();
        return p.empty() ? "<none>" : p.back();
    }
    std::string addr_of(const char* sym) { return gdb::hex_number(*k->symbols().address_of(sym)); }
};

// "T05thread:6;core:0;swbreak:;" -> the value of `key`.
std::string field(const std::string& reply, const std::string& key) {
    auto at = reply.find(key + ":");
    if (at == std::string::npos) return "";
    auto end = reply.find(';', at);
    return reply.substr(at + key.size() + 1, end - at - key.size() - 1);
}

u64 reg(const std::string& g, const char* name) {
    size_t at = 0;
    const auto& defs = gdb::register_defs();
    const int n = gdb::register_number(name);
    for (int k = 0; k < n; ++k) at += defs[size_t(k)].bits / 4;
    auto bytes = gdb::from_hex(g.substr(at, 16));
    REQUIRE(bytes);
    u64 v = 0;
    std::memcpy(&v, bytes->data(), 8);
    return v;
}

bool unavailable(const std::string& g, const char* name) {
    size_t at = 0;
    const auto& defs = gdb::register_defs();
    const int n = gdb::register_number(name);
    for (int k = 0; k < n; ++k) at += defs[size_t(k)].bits / 4;
    return g.substr(at, defs[size_t(n)].bits / 4) == std::string(defs[size_t(n)].bits / 4, 'x');
}

std::vector<u64> thread_ids(GdbRig& r) {
    std::string l = r.cmd("qfThreadInfo");
    REQUIRE(l.size() > 1);
    REQUIRE(l[0] == 'm');
    CHECK(r.cmd("qsThreadInfo") == "l");
    std::vector<u64> ids;
    size_t at = 1;
    while (at <= l.size()) {
        size_t end = l.find(',', at);
        if (end == std::string::npos) end = l.size();
        ids.push_back(*gdb::parse_hex(l.substr(at, end - at)));
        at = end + 1;
    }
    return ids;
}

}  // namespace

TEST_CASE("gdb packets: framing, checksums, escapes, and what the reader refuses") {
    CHECK(gdb::frame("OK") == "$OK#9a");
    CHECK(gdb::frame("a#b") == "$a}\x03" "b#" + gdb::to_hex(std::string(1, char(('a' + '}' + 0x03 + 'b') & 0xFF))));
    gdb::PacketReader r(8);
    std::vector<gdb::Event> ev;
    const std::string in = "+$OK#9a-\x03$OK#00$OK#zz$0123456789#00$m1$g#67" + gdb::frame("a}b*#");
    r.feed(in.data(), in.size(), ev);
    REQUIRE(ev.size() == 10);
    CHECK(ev[0].kind == gdb::Event::Ack);
    CHECK((ev[1].kind == gdb::Event::Packet && ev[1].data == "OK"));
    CHECK(ev[2].kind == gdb::Event::Nak);
    CHECK(ev[3].kind == gdb::Event::Interrupt);
    CHECK(ev[4].data == "bad checksum");
    CHECK(ev[5].data == "checksum is not hex");
    CHECK(ev[6].data == "packet over the size limit");
    CHECK(ev[7].data == "truncated packet");  // "$m1" cut short by "$g"
    CHECK((ev[8].kind == gdb::Event::Packet && ev[8].data == "g"));
    CHECK(ev[9].data == "a}b*#");
    ev.clear();
    const std::string esc = gdb::frame("a}b*#");
    gdb::PacketReader big(64);
    big.feed(esc.data(), esc.size(), ev);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].data == "a}b*#");
}

TEST_CASE("gdb stub: qSupported, the target description and its registers, qXfer in pieces") {
    GdbRig r;
    const std::string s = r.cmd("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;xmlRegisters=i386");
    CHECK(s.find("PacketSize=4000") != std::string::npos);
    for (const char* f : {"qXfer:features:read+", "qXfer:threads:read+", "vContSupported+", "swbreak+", "hwbreak+"})
        CHECK(s.find(f) != std::string::npos);
    CHECK(s.find("ReverseStep") == std::string::npos);
    // Read the description in 100-byte pieces, as gdb may.
    std::string doc;
    for (size_t off = 0;; off += 100) {
        std::string p = r.cmd("qXfer:features:read:target.xml:" + gdb::hex_number(off) + ",64");
        REQUIRE(!p.empty());
        doc += p.substr(1);
        if (p[0] == 'l') break;
        REQUIRE(p[0] == 'm');
        REQUIRE(p.size() == 101);  // 0x64 = 100 bytes
    }
    CHECK(doc == gdb::target_xml());
    CHECK(doc.find("<architecture>i386:x86-64</architecture>") != std::string::npos);
    for (const char* f : {"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse", "org.gnu.gdb.i386.segments"})
        CHECK(doc.find(std::string("<feature name=\"") + f + "\"") != std::string::npos);
    for (const char* n : {"rax", "rip", "eflags", "st7", "fop", "xmm15", "mxcsr", "fs_base", "gs_base", "k_gs_base",
                          "cr0", "cr2", "cr3", "cr4", "cr8", "efer"}) {
        INFO(n);
        CHECK(gdb::register_number(n) >= 0);
        CHECK(doc.find(std::string("<reg name=\"") + n + "\"") != std::string::npos);
    }
    CHECK(r.cmd("qXfer:features:read:other.xml:0,100") == "E00");
    CHECK(r.cmd("qXfer:features:read:target.xml:zz,100") == "E01");
    CHECK(r.cmd("qXfer:features:read:target.xml:ffff,100") == "l");
    CHECK(r.cmd("qXfer:nothing:read::0,1") == "");
}

TEST_CASE("gdb stub: at power-on the boot path is swapper/0 (thread 1) with CPU 0's registers") {
    GdbRig r(2);
    // CPU 1 waits for its startup IPI and runs no task: only init_task is there.
    CHECK(thread_ids(r) == std::vector<u64>{1});
    CHECK(r.cmd("?") == "T05thread:1;core:0;");
    const std::string g = r.cmd("g");
    const Cpu& c = r.m->cpu(0);
    CHECK(reg(g, "rip") == c.s.rip);
    CHECK(reg(g, "rsp") == c.s.gpr[RSP]);
    CHECK(reg(g, "cr0") == c.sys.cr0);
    CHECK(reg(g, "efer") == c.sys.efer);
    CHECK((reg(g, "eflags") & 0xFFFFFFFF) == (c.s.rflags & 0xFFFFFFFF));
    CHECK(r.cmd("p" + gdb::hex_number(u64(gdb::register_number("rip")))) == g.substr(16 * 16, 16));
    CHECK(r.cmd("p999") == "E01");
    CHECK(r.cmd("Hg9") == "E01");
    CHECK(r.cmd("T1") == "OK");
    CHECK(r.cmd("T9") == "E01");
    CHECK(*gdb::from_hex(r.cmd("qThreadExtraInfo,1")) == "running, cpu 0");
    // P writes the CPU's register; g shows it.
    CHECK(r.cmd("P" + gdb::hex_number(u64(gdb::register_number("rax"))) + "=efbeadde00000000") == "OK");
    CHECK(c.s.gpr[RAX] == 0xdeadbeef);
    CHECK(r.cmd("Pzz=00") == "E01");
    // G: all or nothing. A malformed field anywhere leaves every register as it was.
    std::string all = r.cmd("g");
    const std::string rbx = all.substr(16, 16);
    all.replace(16, 16, "0100000000000000");     // rbx = 1
    std::string broken = all;
    broken.replace(broken.size() - 16, 2, "zz");  // efer's first byte
    CHECK(r.cmd("G" + broken) == "E01");
    CHECK(gdb::to_hex(&c.s.gpr[RBX], 8) == rbx);
    CHECK(r.cmd("G" + all) == "OK");
    CHECK(c.s.gpr[RBX] == 1);
    CHECK(r.cmd("G00") == "E01");
    CHECK(r.cmd("P0=00") == "E01");  // rax is 8 bytes
}

TEST_CASE("gdb stub: a third-party kernel (no descriptor): threads are the CPUs, even once it runs") {
    GdbRig r(2, "sleeper 3", false);
    CHECK(r.cmd("Z0," + gdb::hex_number(*Symbols::load(SY_GUEST_KERNEL).address_of("schedule_timeout")) + ",1") == "OK");
    const std::string stop = r.run("c");
    CHECK(stop.rfind("T05", 0) == 0);
    CHECK(thread_ids(r) == std::vector<u64>{1, 2});
    CHECK(*gdb::from_hex(r.cmd("qThreadExtraInfo," + field(stop, "thread"))) ==
          "running, cpu " + field(stop, "core"));
    CHECK(r.cmd("Hg2") == "OK");
    CHECK(reg(r.cmd("g"), "rip") == r.m->cpu(1).s.rip);
}

// Each switched-out user task: predict its registers from `g`, then run until
// a CPU switches back to it and compare with what that CPU holds. Under
// linux26 only rip, rsp and rbp are known (the rest is __schedule's business,
// in its frame): rbp is the task itself, SAVE_CONTEXT's `movq %rsi, %rbp`.
static void check_resume_registers(GdbRig& r, bool callee_saved) {
    std::vector<guest::Task> tasks = guest::read_tasks(*r.k);
    struct Prediction {
        int pid;
        u64 addr, rip, rsp, rbx, rbp, r12, r13, r14, r15;
    };
    std::vector<Prediction> predicted;
    for (const guest::Task& t : tasks) {
        if (t.current_on || t.pid == 0 || t.exit_state) continue;
        CHECK(r.cmd("Hg" + gdb::hex_number(u64(t.pid) + 1)) == "OK");
        const std::string g = r.cmd("g");
        CHECK(unavailable(g, "rax"));
        CHECK(unavailable(g, "cr3"));
        CHECK(unavailable(g, "xmm0"));
        CHECK_FALSE(unavailable(g, "rip"));
        for (const char* n : {"rbx", "r12", "r13", "r14", "r15"}) CHECK(unavailable(g, n) == !callee_saved);
        if (callee_saved)
            predicted.push_back({t.pid, t.addr, reg(g, "rip"), reg(g, "rsp"), reg(g, "rbx"), reg(g, "rbp"), reg(g, "r12"),
                                 reg(g, "r13"), reg(g, "r14"), reg(g, "r15")});
        else
            predicted.push_back({t.pid, t.addr, reg(g, "rip"), reg(g, "rsp"), 0, reg(g, "rbp"), 0, 0, 0, 0});
        // p agrees with g.
        CHECK(r.cmd("p" + gdb::hex_number(u64(gdb::register_number("rax")))) == std::string(16, 'x'));
    }
    REQUIRE(predicted.size() >= 3);
    int confirmed = 0;
    for (int n = 0; n < 400 && confirmed < int(predicted.size()); ++n) {
        debug::Stop s = r.d->run_to_switch();
        REQUIRE(s.kind == debug::StopKind::Switch);
        const int next = r.d->switches().log().back().next_pid;
        auto it = std::find_if(predicted.begin(), predicted.end(), [&](const Prediction& p) { return p.pid == next; });
        r.d->step(s.cpu);
        if (it == predicted.end() || it->rip == 0) continue;
        const Cpu& c = r.m->cpu(s.cpu);
        INFO("pid ", next);
        CHECK(c.s.rip == it->rip);
        CHECK(c.s.gpr[RSP] == it->rsp);
        CHECK(c.s.gpr[RBP] == it->rbp);
        if (callee_saved) {
            CHECK(c.s.gpr[RBX] == it->rbx);
            CHECK(c.s.gpr[R12] == it->r12);
            CHECK(c.s.gpr[R13] == it->r13);
            CHECK(c.s.gpr[R14] == it->r14);
            CHECK(c.s.gpr[R15] == it->r15);
        } else {
            CHECK(c.s.rip == *r.k->symbols().address_of("thread_return"));
            CHECK(c.s.gpr[RBP] == it->addr);
        }
        it->rip = 0;
        ++confirmed;
    }
    CHECK(confirmed == int(predicted.size()));
}

TEST_CASE("gdb stub: every task is a thread, a switched-out task's registers are what the CPU resumes it with") {
    GdbRig r(2);
    const std::string bp = "Z0," + r.addr_of("schedule_timeout") + ",1";
    CHECK(r.cmd(bp) == "OK");
    std::string stop;
    for (int n = 0; n < 3; ++n) stop = r.run("vCont;c");
    REQUIRE(stop.rfind("T05", 0) == 0);
    CHECK(stop.find("swbreak:;") != std::string::npos);
    const u64 tid = *gdb::parse_hex(field(stop, "thread"));
    const unsigned core = unsigned(*gdb::parse_hex(field(stop, "core")));
    CHECK(r.m->cpu(core).s.rip == *r.k->symbols().address_of("schedule_timeout"));
    CHECK(r.cmd("qC") == "QC" + gdb::hex_number(tid));
    CHECK(r.cmd(bp.substr(0, 0) + "z0," + r.addr_of("schedule_timeout") + ",1") == "OK");

    // The thread list is the task list (the kernel's own, through its descriptor).
    std::vector<guest::Task> tasks = guest::read_tasks(*r.k);
    auto ids = thread_ids(r);
    REQUIRE(ids.size() == tasks.size());
    for (const guest::Task& t : tasks) {
        const u64 want = t.idle(r.k->d()) && t.cpu > 0 ? gdb::kIdleBase + u64(t.cpu) : u64(t.pid) + 1;
        CHECK(std::find(ids.begin(), ids.end(), want) != ids.end());
        const std::string extra = *gdb::from_hex(r.cmd("qThreadExtraInfo," + gdb::hex_number(want)));
        CHECK(extra.find(t.state_name(r.k->d())) == 0);
        CHECK(extra.find(", cpu ") != std::string::npos);
    }
    const std::string xml = r.cmd("qXfer:threads:read::0,3000");
    CHECK(xml[0] == 'l');
    CHECK(xml.find("<thread id=\"" + gdb::hex_number(tid) + "\" core=\"" + std::to_string(core) + "\"") != std::string::npos);

    check_resume_registers(r, true);
}

TEST_CASE("gdb stub: switch=linux26: a sleeping task resumes at thread_return with rsp = thread.sp, rbp = itself") {
    GdbRig r(2, "switch=linux26 sleeper 3");
    CHECK(r.cmd("Z0," + r.addr_of("schedule_timeout") + ",1") == "OK");
    for (int n = 0; n < 3; ++n) REQUIRE(r.run("vCont;c").rfind("T05", 0) == 0);
    CHECK(r.cmd("z0," + r.addr_of("schedule_timeout") + ",1") == "OK");
    check_resume_registers(r, false);
}

TEST_CASE("gdb stub: at the ret that ends a switch the CPU is next's thread, with the CPU's registers") {
    // From the load of next's RSP on, current_task still names prev (saved by
    // then) and next's frame is being popped: the CPU belongs to next, or a
    // stop there would name no thread (gdb then ignores a breakpoint hit).
    for (const char* model : {"linux", "linux26", "solaris"}) {
        INFO("switch=", model);
        GdbRig r(2, std::string("switch=") + model + " sleeper 3");
        for (int n = 0; n < 12; ++n) {
            debug::Stop s = r.d->run_to_switch();
            REQUIRE(s.kind == debug::StopKind::Switch);
            const int next = r.d->switches().log().back().next_pid;
            const std::vector<gdb::Thread> ts = gdb::read_threads(*r.d);
            const gdb::Thread* t = gdb::thread_on_cpu(ts, s.cpu);
            REQUIRE(t != nullptr);
            CHECK(t->pid == next);
            CHECK(t->regs.get(gdb::register_number("rip")) == r.m->cpu(s.cpu).s.rip);
            CHECK(t->regs.get(gdb::register_number("rsp")) == r.m->cpu(s.cpu).s.gpr[RSP]);
        }
    }
}

TEST_CASE("gdb stub: memory through the thread's address space, never faulting: E14 where nothing is mapped") {
    GdbRig r(1);
    CHECK(r.cmd("Z0," + r.addr_of("schedule_timeout") + ",1") == "OK");
    REQUIRE(r.run("c").rfind("T05", 0) == 0);
    const Cpu& c = r.m->cpu(0);
    const u64 insns = c.insns, cycles = c.cycles;
    const u64 text = *r.k->symbols().address_of("__schedule");
    u8 want[32];
    REQUIRE(c.peek(text, want, sizeof want) == sizeof want);
    CHECK(r.cmd("m" + gdb::hex_number(text) + ",20") == gdb::to_hex(want, sizeof want));
    CHECK(r.cmd("m0,8") == "E14");                  // user page 0: not mapped
    CHECK(r.cmd("m8000000000000000,8") == "E14");   // not canonical
    CHECK(r.cmd("mffffffffffffffff,10") == "E14");
    CHECK(r.cmd("mzz,4") == "E01");
    CHECK(r.cmd("m10") == "E01");
    // A write and a read back, through M and X, on the running task's stack below RSP.
    const u64 scratch = c.s.gpr[RSP] - 512;
    CHECK(r.cmd("M" + gdb::hex_number(scratch) + ",4:deadbeef") == "OK");
    CHECK(r.cmd("m" + gdb::hex_number(scratch) + ",4") == "deadbeef");
    // X's binary data arrives unescaped (frame() escapes '#' and '}' on the wire).
    CHECK(r.cmd("X" + gdb::hex_number(scratch) + ",3:a#}") == "OK");
    CHECK(r.cmd("m" + gdb::hex_number(scratch) + ",4") == "61237def");
    CHECK(r.cmd("X" + gdb::hex_number(scratch) + ",3:a#") == "E01");
    CHECK(r.cmd("M0,1:00") == "E14");
    CHECK(r.cmd("M" + gdb::hex_number(scratch) + ",2:00") == "E01");  // length and data disagree
    // None of it ran or charged the guest anything.
    CHECK(c.insns == insns);
    CHECK(c.cycles == cycles);
}

TEST_CASE("gdb stub: step, Ctrl-C while running, hardware breakpoints, kill, and bs/bc unsupported for now") {
    GdbRig r(2);
    const Cpu& c0 = r.m->cpu(0);
    // One instruction on the thread's CPU.
    const u64 rip = c0.s.rip, insns = c0.insns;
    const std::string s1 = r.run("vCont;s:1");
    CHECK(s1.rfind("T05", 0) == 0);
    CHECK(c0.insns == insns + 1);
    CHECK(c0.s.rip != rip);
    CHECK(r.run("s").rfind("T05", 0) == 0);
    CHECK(c0.insns == insns + 2);
    // Ctrl-C: the run stops at the next slice with SIGINT.
    r.out.clear();
    r.raw(gdb::frame("c"));
    REQUIRE(r.stub->running());
    r.stub->run_slice();
    r.raw("\x03");
    r.stub->run_slice();
    CHECK_FALSE(r.stub->running());
    auto p = r.replies();
    REQUIRE(!p.empty());
    CHECK(p.back().rfind("T02thread:", 0) == 0);
    // A hardware breakpoint reports hwbreak.
    CHECK(r.cmd("Z1," + r.addr_of("schedule_timeout") + ",1") == "OK");
    const std::string hit = r.run("vCont;c");
    CHECK(hit.find("hwbreak:;") != std::string::npos);
    CHECK(r.cmd("z1," + r.addr_of("schedule_timeout") + ",1") == "OK");
    CHECK(r.d->breakpoints().empty());
    CHECK(r.cmd("bs") == "");
    CHECK(r.cmd("bc") == "");
    CHECK(r.cmd("vCont?") == "vCont;c;C;s;S");
    CHECK(r.cmd("vCont;x") == "E01");
    CHECK(r.cmd("vCont;s:999") == "E01");
    CHECK(r.cmd("k") == "<none>");
    CHECK(r.stub->state() == gdb::Stub::State::Finished);
    CHECK(r.stub->end() == gdb::Stub::End::Killed);
}

TEST_CASE("gdb stub: a dropped connection leaves the machine paused and gdb's breakpoints gone") {
    GdbRig r(2);
    CHECK(r.cmd("Z0," + r.addr_of("schedule_timeout") + ",1") == "OK");
    r.raw(gdb::frame("c"));
    REQUIRE(r.stub->running());
    r.stub->run_slice();
    r.stub->disconnected();
    CHECK(r.stub->state() == gdb::Stub::State::Paused);
    CHECK(r.d->breakpoints().empty());
    const u64 now = r.m->now();
    r.stub->connected();
    CHECK(r.m->now() == now);
    CHECK(r.cmd("?").rfind("T05thread:", 0) == 0);
    // A bad checksum is answered '-', a resend request repeats the last reply.
    r.out.clear();
    r.raw("$g#00");
    CHECK(r.out == "-");
    const std::string q = r.cmd("qC");
    r.out.clear();
    r.raw("-");
    CHECK(r.replies() == std::vector<std::string>{q});
    // Detach: the machine runs on.
    CHECK(r.cmd("D") == "OK");
    CHECK(r.stub->take_detached());
    CHECK(r.stub->state() == gdb::Stub::State::FreeRunning);
}

TEST_CASE("gdb stub fuzz: random and garbled packets never crash it, every reply is framed, the machine stays paused") {
    GdbRig r(2);
    std::mt19937_64 rng(12);  // a fixed seed: the same cases every run
    static const char* const kHeads[] = {"g", "G", "p", "P", "m", "M", "X", "Z0,", "z0,", "Z1,", "Z2,", "Z4,", "c",
                                         "s", "C", "S", "vCont;", "vCont?", "H", "Hg", "Hc", "T", "qC", "qAttached",
                                         "qSupported:", "qXfer:features:read:target.xml:", "qXfer:threads:read::",
                                         "qfThreadInfo", "qsThreadInfo", "qThreadExtraInfo,", "?", "bs", "bc", "D",
                                         "vMustReplyEmpty", "q", "v", "Q", "", "!"};
    const std::string alphabet = "0123456789abcdefABCDEF,:;=-x#$}*\x03 Zzgm";
    auto random_text = [&](size_t max) {
        std::string s(rng() % (max + 1), '\0');
        for (char& ch : s) ch = rng() % 4 ? alphabet[rng() % alphabet.size()] : char(rng() % 256);
        return s;
    };
    size_t packets = 0, bad = 0, ended = 0;
    for (int n = 0; n < 4000; ++n) {
        r.out.clear();
        std::string payload = std::string(kHeads[rng() % std::size(kHeads)]) + random_text(40);
        if (payload[0] == 'k' || payload.rfind("vKill", 0) == 0) payload = "?";
        // Register and memory writes land wherever the random numbers say
        // and could wreck the guest: those go to addresses that are not mapped.
        if (payload[0] == 'M' || payload[0] == 'X') payload.insert(1, "7");
        if (payload[0] == 'G' || payload[0] == 'P') payload = "p" + payload.substr(1);
        std::string wire = gdb::frame(payload);
        switch (rng() % 6) {
        case 0: wire[wire.size() - 1] ^= 1; break;                    // bad checksum
        case 1: wire.resize(rng() % wire.size()); break;              // truncated
        case 2: wire = random_text(60); break;                        // noise
        case 3: wire = "$" + std::string(0x4100, 'm') + "#00"; break; // oversized
        default: break;
        }
        r.raw(wire);
        // A resume the garbage asked for: a slice, then Ctrl-C.
        if (r.stub->running()) {
            r.stub->run_slice();
            r.raw("\x03");
            r.stub->run_slice();
        }
        if (r.stub->take_detached()) r.stub->connected();
        if (r.stub->state() == gdb::Stub::State::Finished) {
            // `c ADDR` and `s ADDR` may send the guest anywhere: it may
            // triple-fault. That ends the run properly; start a new machine.
            CHECK(r.stub->end() == gdb::Stub::End::Machine);
            ++ended;
            r.~GdbRig();
            new (&r) GdbRig(2);
            continue;
        }
        CHECK_FALSE(r.stub->running());
        gdb::PacketReader rd(1 << 20);
        std::vector<gdb::Event> ev;
        rd.feed(r.out.data(), r.out.size(), ev);
        for (auto& e : ev) {
            CHECK(e.kind != gdb::Event::Bad);
            CHECK(e.kind != gdb::Event::Interrupt);
            packets += e.kind == gdb::Event::Packet;
            bad += e.kind == gdb::Event::Nak;
        }
    }
    CHECK(packets > 1000);
    CHECK(bad > 500);
    CHECK(ended < 20);
    // Still answering sensibly.
    CHECK(r.cmd("?").rfind("T05thread:", 0) == 0);
    CHECK(r.cmd("qfThreadInfo")[0] == 'm');
}

TEST_CASE("gdb stub over TCP fuzz: garbage on the socket, a dropped connection, a new one finds the machine paused") {
    GdbRig r(2);
    gdb::TcpServer server(gdb::Endpoint{"", 0});
    gdb::Stub stub(*r.d, [&](const std::string& b) { server.send(b); });
    std::thread serving([&] { server.serve(stub, true, nullptr); });

    auto dial = [&] {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(u16(server.port()));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        return fd;
    };
    auto put = [](int fd, const std::string& s) { REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size())); };
    // Reads until a packet that starts with `prefix` arrives; returns it.
    auto await = [](int fd, const std::string& prefix) {
        gdb::PacketReader rd(1 << 20);
        for (;;) {
            char buf[4096];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            REQUIRE(n > 0);
            std::vector<gdb::Event> ev;
            rd.feed(buf, size_t(n), ev);
            for (auto& e : ev) {
                REQUIRE(e.kind != gdb::Event::Bad);
                if (e.kind == gdb::Event::Packet && e.data.rfind(prefix, 0) == 0) return e.data;
            }
        }
    };
    std::mt19937_64 rng(7);
    int fd = dial();
    const u64 cycle = r.m->now();
    for (int round = 0; round < 200; ++round) {
        std::string junk(rng() % 300, '\0');
        for (char& c : junk) c = rng() % 3 ? "$#}+-0123456789abcdefgmqZ:,;"[rng() % 28] : char(rng() % 256);
        if (rng() % 4 == 0) junk += gdb::frame("m" + gdb::hex_number(rng()) + "," + gdb::hex_number(rng() % 0x5000));
        // Whatever state the junk left the reader in, "}###" ends it and 0x03
        // stops a run the junk might have started; then a packet we know.
        put(fd, junk + "}###\x03" + gdb::frame("qC"));
        await(fd, "QC");
    }
    ::close(fd);  // dropped mid-session
    fd = dial();
    put(fd, gdb::frame("?"));
    CHECK(await(fd, "T").rfind("T05thread:", 0) == 0);
    CHECK(r.m->now() == cycle);  // nothing in the junk ran the machine for long, and it is paused now
    put(fd, gdb::frame("k"));
    serving.join();
    ::close(fd);
    CHECK(stub.end() == gdb::Stub::End::Killed);
}

TEST_CASE("gdb stub: watchpoints stop after the access: every jiffies++ is caught, none missed (Z2), reads (Z3)") {
    GdbRig r(2);
    const u64 jiffies = *r.k->symbols().address_of("jiffies");
    const std::string z2 = "Z2," + gdb::hex_number(jiffies) + ",8";
    CHECK(r.cmd(z2) == "OK");
    auto value = [&] {
        auto v = r.k->get<u64>(jiffies);
        REQUIRE(v);
        return *v;
    };
    u64 last = value();
    for (int n = 0; n < 5; ++n) {
        const std::string stop = r.run("vCont;c");
        REQUIRE(stop.rfind("T05", 0) == 0);
        CHECK(field(stop, "watch") == gdb::hex_number(jiffies));
        // jiffies++ is the kernel's only write to it: one more each time, none missed.
        CHECK(value() == last + 1);
        last = value();
    }
    CHECK(r.cmd("z2," + gdb::hex_number(jiffies) + ",8") == "OK");
    CHECK(r.d->watchpoints().empty());
    // A read watchpoint: the first instruction that reads it stops.
    CHECK(r.cmd("Z3," + gdb::hex_number(jiffies) + ",8") == "OK");
    const std::string stop = r.run("vCont;c");
    CHECK(field(stop, "rwatch") == gdb::hex_number(jiffies));
    CHECK(r.d->watchpoints().front().hits == 1);
    CHECK(r.cmd("z3," + gdb::hex_number(jiffies) + ",8") == "OK");
    CHECK(r.cmd("Z4," + gdb::hex_number(jiffies) + ",0") == "E01");
    // Cleared watchpoints cost nothing: the machine runs on to the next breakpoint.
    CHECK(r.cmd("Z0," + r.addr_of("schedule_timeout") + ",1") == "OK");
    CHECK(r.run("c").find("swbreak") != std::string::npos);
}

TEST_CASE("gdb stub: after a stop, g and m are about the thread the stop reply names (gdb sends no Hg for it)") {
    // Regression: gdb records the stop reply's thread as the stub's general
    // thread; a stub that kept an older Hg answered `g` with another task's
    // registers and gdb showed the stop in the wrong place.
    GdbRig r(2);
    CHECK(r.cmd("Z0," + r.addr_of("schedule_timeout") + ",1") == "OK");
    std::string stop = r.run("vCont;c");
    REQUIRE(stop.rfind("T05", 0) == 0);
    // Select a switched-out thread, as `thread N` in gdb does.
    u64 other = 0;
    for (u64 id : thread_ids(r))
        if (gdb::from_hex(r.cmd("qThreadExtraInfo," + gdb::hex_number(id)))->rfind("sleeping", 0) == 0) other = id;
    REQUIRE(other != 0);
    CHECK(r.cmd("Hg" + gdb::hex_number(other)) == "OK");
    stop = r.run("vCont;c");
    REQUIRE(stop.rfind("T05", 0) == 0);
    const unsigned core = unsigned(*gdb::parse_hex(field(stop, "core")));
    const std::string g = r.cmd("g");
    CHECK(reg(g, "rip") == r.m->cpu(core).s.rip);
    CHECK(reg(g, "rip") == *r.k->symbols().address_of("schedule_timeout"));
    CHECK_FALSE(unavailable(g, "rax"));
}
