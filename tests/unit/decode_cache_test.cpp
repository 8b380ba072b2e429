// The decode cache: reuse of decoded blocks and invalidation on writes to code.
#include <doctest/doctest.h>

#include "support.h"

using namespace sy;

TEST_CASE("decode cache: a loop is decoded once and then reused") {
    test::Machine m;
    // 0x1000: mov ecx, 100; L: add rax, rcx; dec ecx; jnz L; hlt
    m.load(0x1000, {0xB9, 100, 0, 0, 0, 0x48, 0x01, 0xC8, 0xFF, 0xC9, 0x75, 0xF9, 0xF4});
    auto r = m.cpu.run(1'000'000);
    CHECK(r.reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RAX] == 5050);
    // Three blocks: the entry block, the loop body, and the hlt after it.
    CHECK(m.cpu.code_cache().insns_decoded <= 8);
    CHECK(m.cpu.insns == 1 + 3 * 100 + 1);
}

TEST_CASE("decode cache: self-modifying code runs the new bytes") {
    test::Machine m;
    // 0x1000: mov byte [rip+N], 0x05 patches the immediate of the later
    //         `mov eax, 1` into `mov eax, 5` inside the same block.
    //   c6 05 01 00 00 00 05   mov byte [rip+1], 5   (next insn + 1 = imm byte)
    //   b8 01 00 00 00         mov eax, 1
    //   f4                     hlt
    m.load(0x1000, {0xC6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x05, 0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4});
    auto r = m.cpu.run(1000);
    CHECK(r.reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RAX] == 5);
    CHECK(m.cpu.code_cache().invalidations >= 1);
}

TEST_CASE("decode cache: code rewritten after it ran is decoded again") {
    test::Machine m;
    // mov eax, 7; hlt  -- run, patch the immediate from the outside, run again.
    m.load(0x2000, {0xB8, 7, 0, 0, 0, 0xF4});
    m.cpu.run(100);
    CHECK(m.cpu.s.gpr[RAX] == 7);
    u8 nine = 9;
    m.cpu.write_bytes(0x2001, &nine, 1);  // a guest-visible write (e.g. by another CPU)
    m.cpu.halted = false;
    m.cpu.s.rip = 0x2000;
    m.cpu.run(200);
    CHECK(m.cpu.s.gpr[RAX] == 9);
}

TEST_CASE("undecodable bytes raise #UD at the instruction") {
    test::Machine m;
    m.load(0x1000, {0x90, 0x0F, 0xFF});  // nop; an invalid two-byte opcode
    auto r = m.cpu.run(100);
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == UD);
    CHECK(m.cpu.s.rip == 0x1001);
}
