// What the CPU offers a debugger (cpu/observer.h, Cpu::peek*): trap records
// that stop before an instruction and otherwise change nothing, the observed
// step loop, and debug reads that never touch a device and can use any CR3.
// The oracle for "changes nothing" is the same program run without a
// debugger: same registers, same instruction and cycle counts. Page-table
// formats: SDM Vol. 3A 4.5 (4-level paging).
#include <doctest/doctest.h>

#include <cstring>

#include "code_cache.h"
#include "sys_support.h"

using namespace sy;
using test::SysMachine;

namespace {

// mov eax, 1 (0x1000); add eax, 2 (0x1005); add eax, 3 (0x1008); add eax, 4 (0x100b); hlt (0x100e)
const std::initializer_list<u8> kProgram = {0xB8, 0x01, 0x00, 0x00, 0x00, 0x83, 0xC0, 0x02,
                                            0x83, 0xC0, 0x03, 0x83, 0xC0, 0x04, 0xF4};

struct Recorder : Observer {
    int traps = 0, befores = 0;
    u64 stop_at = ~0ull;       // trap(): stop there once
    bool single = false;       // before(): one instruction at a time
    u64 last_trap_rip = 0;
    bool trap(Cpu& c) override {
        ++traps;
        last_trap_rip = c.s.rip;
        if (c.s.rip == stop_at) {
            stop_at = ~0ull;
            return true;
        }
        return false;
    }
    Action before(Cpu&) override {
        ++befores;
        return single ? Action::Single : Action::Run;
    }
};

struct Result {
    u64 rax, rip, insns, cycles;
    StopReason reason;
};

Result run(test::Machine& m) {
    StepResult r = m.cpu.run(1'000'000);
    return {m.cpu.s.gpr[RAX], m.cpu.s.rip, m.cpu.insns, m.cpu.cycles, r.reason};
}

}  // namespace

TEST_CASE("trap record: stops before the instruction, resumes to the same end state as a run without it") {
    test::Machine plain;
    plain.load(0x1000, kProgram);
    Result want = run(plain);
    REQUIRE(want.reason == StopReason::Halt);
    REQUIRE(want.rax == 10);

    test::Machine m;
    m.load(0x1000, kProgram);
    Recorder obs;
    m.cpu.observer = &obs;
    m.cpu.code_cache().set_trap(0x1008);
    obs.stop_at = 0x1008;
    Result stopped = run(m);
    CHECK(stopped.reason == StopReason::Debug);
    CHECK(stopped.rip == 0x1008);  // before the third instruction...
    CHECK(stopped.rax == 3);       // ... with the first two done
    CHECK(stopped.insns == 2);
    Result end = run(m);  // the observer lets it run now
    CHECK(end.reason == StopReason::Halt);
    CHECK(end.rax == want.rax);
    CHECK(end.insns == want.insns);
    CHECK(end.cycles == want.cycles);
    CHECK(obs.traps == 2);  // asked before the stop and again on the way on
}

TEST_CASE("trap record: set on a block already decoded, and cleared again") {
    test::Machine m;
    m.load(0x1000, kProgram);
    Recorder obs;
    m.cpu.observer = &obs;
    run(m);  // decodes the block with no traps
    REQUIRE(obs.traps == 0);
    m.cpu.halted = false;
    m.cpu.s.rip = 0x1000;
    m.cpu.code_cache().set_trap(0x100b);
    run(m);
    CHECK(obs.traps == 1);
    CHECK(obs.last_trap_rip == 0x100b);
    m.cpu.code_cache().clear_trap(0x100b);
    m.cpu.halted = false;
    m.cpu.s.rip = 0x1000;
    run(m);
    CHECK(obs.traps == 1);  // the handler is back
    CHECK(m.cpu.s.gpr[RAX] == 10);
}

// A direct CALL into the same page goes on in the same block (CodeCache::build):
// a trap record on the callee's first instruction must be found there, whether
// it is set before the block is decoded or after.
TEST_CASE("trap record: on a function called inside a block, set before and after decoding") {
    // 0x1000 call f (0x1010); 0x1005 add eax, 2; 0x1008 hlt; f: 0x1010 mov eax, 1; 0x1015 ret
    const std::initializer_list<u8> caller = {0xE8, 0x0B, 0, 0, 0, 0x83, 0xC0, 0x02, 0xF4};
    const std::initializer_list<u8> callee = {0xB8, 0x01, 0, 0, 0, 0xC3};
    for (bool decoded_first : {false, true}) {
        CAPTURE(decoded_first);
        test::Machine m;
        m.load(0x1000, caller);
        m.load(0x1010, callee);
        m.cpu.s.rip = 0x1000;
        Recorder obs;
        m.cpu.observer = &obs;
        if (decoded_first) {
            REQUIRE(run(m).rax == 3);
            m.cpu.halted = false;
            m.cpu.s.rip = 0x1000;
            m.cpu.s.gpr[RAX] = 0;
        }
        m.cpu.code_cache().set_trap(0x1010);
        obs.stop_at = 0x1010;
        Result stopped = run(m);
        CHECK(stopped.reason == StopReason::Debug);
        CHECK(stopped.rip == 0x1010);
        CHECK(stopped.rax == 0);
        Result end = run(m);
        CHECK(end.reason == StopReason::Halt);
        CHECK(end.rax == 3);
    }
}

TEST_CASE("trap record: step() stops at it too, and executes it when the observer agrees") {
    test::Machine m;
    m.load(0x1000, kProgram);
    Recorder obs;
    m.cpu.observer = &obs;
    m.cpu.code_cache().set_trap(0x1005);
    obs.stop_at = 0x1005;
    CHECK(m.cpu.step().reason == StopReason::Budget);
    CHECK(m.cpu.step().reason == StopReason::Debug);
    CHECK(m.cpu.s.rip == 0x1005);
    CHECK(m.cpu.insns == 1);
    m.cpu.step();
    CHECK(m.cpu.s.rip == 0x1008);
    CHECK(m.cpu.s.gpr[RAX] == 3);
}

TEST_CASE("observer: before() at block starts only while observe_boundaries is set, Single runs one at a time") {
    test::Machine m;
    m.load(0x1000, kProgram);
    Recorder obs;
    m.cpu.observer = &obs;
    run(m);
    CHECK(obs.befores == 0);  // not observing: the normal loop
    test::Machine w;
    w.load(0x1000, kProgram);
    w.cpu.observer = &obs;
    w.cpu.observe_boundaries = true;
    obs.single = true;
    Result r = run(w);
    CHECK(r.rax == 10);
    CHECK(obs.befores == 5);  // once before each of the five instructions
    CHECK(r.insns == 5);
}

namespace {

// A bus that counts device accesses.
struct CountingBus : test::FlatBus {
    using FlatBus::FlatBus;
    int mmio = 0;
    u64 mmio_read(u64, unsigned size) override {
        ++mmio;
        return ~0ull >> (64 - 8 * size);
    }
};

void put64(std::vector<u8>& ram, u64 a, u64 v) { std::memcpy(&ram[a], &v, 8); }

// 4-level paging with CR3 = `cr3`; `map` adds 4 KiB mappings va -> pa.
void long_mode_paging(Cpu& c) {
    c.sys.cr4 = cr4::PAE;
    c.sys.efer = efer::LME | efer::LMA;
    c.sys.cr0 = cr0::PE | cr0::PG | cr0::ET;
    c.update_mode();
    c.flush_tlb();
}
// PML4 at root, then PDPT, PD, PT at root + 0x1000.. (one of each), va < 2 MiB... any va in PML4[idx].
void map_page(std::vector<u8>& ram, u64 root, u64 va, u64 pa) {
    u64 pdpt = root + 0x1000, pd = root + 0x2000, pt = root + 0x3000;
    put64(ram, root + 8 * ((va >> 39) & 511), pdpt | 3);
    put64(ram, pdpt + 8 * ((va >> 30) & 511), pd | 3);
    put64(ram, pd + 8 * ((va >> 21) & 511), pt | 3);
    put64(ram, pt + 8 * ((va >> 12) & 511), pa | 3);
}

}  // namespace

TEST_CASE("peek: a page walk that leads outside RAM reads nothing and never reaches a device") {
    CountingBus bus(1 << 20);
    Cpu c(bus);
    long_mode_paging(c);
    c.sys.cr3 = 0x10000;
    put64(bus.ram, 0x10000, 0x40000000 | 3);  // PML4[0] -> a PDPT at 1 GiB: no RAM there
    u8 buf[8] = {};
    CHECK(c.peek(0x1000, buf, sizeof buf) == 0);
    u64 pa = 0;
    CHECK_FALSE(c.translate_peek(0x1000, pa));
    CHECK(bus.mmio == 0);
    c.sys.cr3 = 0x80000000;  // CR3 itself outside RAM
    CHECK(c.peek(0x1000, buf, sizeof buf) == 0);
    CHECK(c.peek_phys(0x80000000, buf, sizeof buf) == 0);
    CHECK(bus.mmio == 0);
}

TEST_CASE("peek_in: another address space through its CR3, peek_phys: RAM by physical address") {
    test::FlatBus bus(1 << 20);
    Cpu c(bus);
    long_mode_paging(c);
    const u64 a = 0x10000, b = 0x20000, va = 0x7f0000401000ull;
    map_page(bus.ram, a, va, 0x50000);
    map_page(bus.ram, b, va, 0x51000);
    std::memcpy(&bus.ram[0x50000], "task A", 7);
    std::memcpy(&bus.ram[0x51000], "task B", 7);
    c.sys.cr3 = a;
    char got[7] = {};
    REQUIRE(c.peek(va, got, 7) == 7);
    CHECK(std::string(got) == "task A");
    REQUIRE(c.peek_in(b, va, got, 7) == 7);
    CHECK(std::string(got) == "task B");
    CHECK(c.sys.cr3 == a);  // nothing changed
    REQUIRE(c.peek_phys(0x51000, got, 7) == 7);
    CHECK(std::string(got) == "task B");
    // A read that runs off the mapping stops there.
    CHECK(c.peek_in(b, va + 0xFFC, got, 7) == 4);
}
