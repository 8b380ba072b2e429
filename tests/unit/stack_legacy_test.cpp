// PUSHA/POPA in 32-bit protected mode (SDM Vol. 2B PUSHA/PUSHAD: EAX, ECX, EDX,
// EBX, the original ESP, EBP, ESI, EDI; POPA/POPAD: the reverse, the ESP slot
// skipped) and #SS(0) for a non-canonical stack in 64-bit mode (SDM Vol. 3A,
// 3.3.7.1: "a stack reference ... non-canonical ... #SS").
#include <doctest/doctest.h>

#include <cstring>

#include "support.h"

using namespace sy;

namespace {
void enter_flat32(test::Machine& m) {
    m.cpu.sys.efer = 0;
    m.cpu.sys.cr0 = cr0::PE | cr0::ET;
    m.cpu.set_segment(CS, 0x08, 0x00CF9A000000FFFF);
    for (u8 k : {ES, SS, DS, FS, GS}) m.cpu.set_segment(k, 0x10, 0x00CF92000000FFFF);
    m.cpu.update_mode();
}
}  // namespace

TEST_CASE("pusha/popa: the eight registers in SDM order, ESP as it was, ESP slot skipped on pop") {
    test::Machine m;
    m.load(0x1000, {0x60, 0x31, 0xC0, 0x31, 0xDB, 0x61, 0xF4});  // pushad; xor eax,eax; xor ebx,ebx; popad; hlt
    enter_flat32(m);
    REQUIRE(m.cpu.mode() == Mode::Prot32);
    const u32 vals[8] = {0x11, 0x22, 0x33, 0x44, 0x8000, 0x66, 0x77, 0x88};  // EAX..EDI, ESP = 0x8000
    for (int r = 0; r < 8; ++r) m.cpu.s.gpr[r] = vals[r];
    m.cpu.s.rip = 0x1000;
    REQUIRE(m.cpu.step().reason == StopReason::Budget);
    CHECK(m.cpu.s.gpr[RSP] == 0x8000 - 32);
    u32 stack[8];
    std::memcpy(stack, &m.bus.ram[0x8000 - 32], 32);
    // Lowest address holds EDI, highest EAX.
    const u32 want[8] = {0x88, 0x77, 0x66, 0x8000, 0x44, 0x33, 0x22, 0x11};
    for (int k = 0; k < 8; ++k) CHECK(stack[k] == want[k]);
    std::memcpy(&m.bus.ram[0x8000 - 32 + 12], "\x34\x12\x00\x00", 4);  // a different saved ESP: ignored by POPA
    auto r = m.cpu.run(m.cpu.cycles + 1000);
    CHECK(r.reason == StopReason::Halt);
    for (int k = 0; k < 8; ++k) CHECK(m.cpu.s.gpr[k] == vals[k]);
}

TEST_CASE("stack: a push through a non-canonical RSP in 64-bit mode is #SS(0)") {
    test::Machine m;
    m.load(0x1000, {0x50});  // push rax
    m.cpu.s.gpr[RSP] = 0x0000800000000100;
    auto r = m.cpu.step();
    REQUIRE(r.fault);
    CHECK(r.fault->vector == SS_);
    CHECK(r.fault->error == 0);
    CHECK(m.cpu.s.gpr[RSP] == 0x0000800000000100);
}
