// The decode cache: reuse of decoded blocks and invalidation on writes to code.
#include <doctest/doctest.h>

#include <cstring>

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

// A direct CALL into the same page does not end its block: the block goes on
// with the callee (CodeCache::build). A store into the callee must still drop
// that block, though its bytes are not next to the call's (SDM Vol. 3A 11.6:
// a store to code is seen by the instructions fetched after it).
TEST_CASE("decode cache: a store into a function called inside a block is seen at the next call") {
    test::Machine m;
    // L: 0x1000  call f                  (f = 0x1020; the block goes on at f)
    //    0x1005  add ebx, eax
    //    0x1007  mov byte [rip+0x13], 7  (0x1021: the immediate of f's mov)
    //    0x100e  dec ecx
    //    0x1010  jnz L                   (back to the block that holds f)
    //    0x1012  hlt
    // f: 0x1020  mov eax, 1; ret
    m.load(0x1020, {0xB8, 1, 0, 0, 0, 0xC3});
    m.load(0x1000, {0xE8, 0x1B, 0, 0, 0, 0x01, 0xC3, 0xC6, 0x05, 0x13, 0, 0, 0, 7, 0xFF, 0xC9, 0x75, 0xEE, 0xF4});
    m.cpu.s.gpr[RCX] = 2;
    REQUIRE(m.cpu.run(1'000'000).reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RBX] == 1 + 7);  // the first call returned 1, the second the patched 7
    CHECK(m.cpu.code_cache().invalidations >= 1);
}

TEST_CASE("decode cache: a call and its callee in one block run as they would apart") {
    test::Machine m;
    //    0x1000  mov ecx, 1000
    // L: 0x1005  call f
    //    0x100a  dec ecx
    //    0x100c  jnz L
    //    0x100e  hlt
    // f: 0x1010  inc rax; jmp g           g = 0x1018
    // g: 0x1018  add rax, rcx; ret
    m.load(0x1000, {0xB9, 0xE8, 0x03, 0, 0, 0xE8, 0x06, 0, 0, 0, 0xFF, 0xC9, 0x75, 0xF7, 0xF4});
    m.load(0x1010, {0x48, 0xFF, 0xC0, 0xEB, 0x03});
    m.load(0x1018, {0x48, 0x01, 0xC8, 0xC3});
    m.cpu.s.rip = 0x1000;
    const u64 sp = m.cpu.s.gpr[RSP];
    REQUIRE(m.cpu.run(1'000'000).reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RAX] == 1000 + 1000 * 1001 / 2);
    CHECK(m.cpu.s.gpr[RSP] == sp);
    CHECK(m.cpu.insns == 1 + 1000 * 7 + 1);
    // Four blocks: [mov, call, inc, jmp, add, ret], [dec, jnz], the loop's
    // [call, inc, jmp, add, ret] and [hlt] (six when each call, jmp and ret
    // ends a block).
    CHECK(m.cpu.code_cache().blocks_built == 4);
}

TEST_CASE("undecodable bytes raise #UD at the instruction") {
    test::Machine m;
    m.load(0x1000, {0x90, 0x0F, 0xFF});  // nop; an invalid two-byte opcode
    auto r = m.cpu.run(100);
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == UD);
    CHECK(m.cpu.s.rip == 0x1001);
}

// ---- self-modifying code at the granularity of the bytes written ------------
// A store drops the blocks whose bytes it overlaps and no others, so data that
// shares a page with code costs nothing (docs/cpu.md, "Self-modifying code").

TEST_CASE("decode cache: stores into the code's page but outside its bytes keep every block") {
    struct Case {
        const char* name;
        u32 rel;  // of the store: data at 0x100B + rel
    };
    for (Case c : {Case{"another line of the page", 0x7F5}, Case{"the byte after the code, same line", 0x7}}) {
        CAPTURE(c.name);
        test::Machine m;
        //    mov ecx, 1000
        // L: mov [rip+rel], eax; inc eax; dec ecx; jnz L
        //    hlt                      (at 0x1011)
        m.load(0x1000, {0xB9, 0xE8, 0x03, 0, 0, 0x89, 0x05, u8(c.rel), u8(c.rel >> 8), 0, 0, 0xFF, 0xC0, 0xFF, 0xC9,
                        0x75, 0xF4, 0xF4});
        const CodeCache& cc = m.cpu.code_cache();
        const u64 built = cc.blocks_built, dropped = cc.invalidations;
        REQUIRE(m.cpu.run(1'000'000).reason == StopReason::Halt);
        CHECK(m.cpu.s.gpr[RAX] == 1000);
        u32 stored;
        std::memcpy(&stored, &m.bus.ram[0x100B + c.rel], 4);
        CHECK(stored == 999);
        CHECK(cc.invalidations == dropped);
        CHECK(cc.blocks_built - built == 3);  // the entry block, the loop body, the hlt
    }
}

TEST_CASE("decode cache: a store over one block's bytes re-decodes that block and no other") {
    test::Machine m;
    // 0x1000: mov ecx, 10
    // 0x1005: call f                  (f = 0x1100)
    // 0x100A: mov [rip+0xF1], cl      (patches f's immediate at 0x1101)
    // 0x1010: dec ecx
    // 0x1012: jnz 0x1005
    // 0x1014: hlt
    // 0x1100: f: mov eax, 0; add ebx, eax; ret
    m.load(0x1100, {0xB8, 0, 0, 0, 0, 0x01, 0xC3, 0xC3});
    m.load(0x1000, {0xB9, 10, 0, 0, 0, 0xE8, 0xF6, 0, 0, 0, 0x88, 0x0D, 0xF1, 0, 0, 0, 0xFF, 0xC9, 0x75, 0xF1, 0xF4});
    const u64 built = m.cpu.code_cache().blocks_built;
    REQUIRE(m.cpu.run(1'000'000).reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RBX] == 10 + 9 + 8 + 7 + 6 + 5 + 4 + 3 + 2);  // each call runs the value patched before it
    // f is in the caller's page, so the call does not end a block: f's bytes
    // are in the blocks at 0x1000 and 0x1005 (CodeCache::build). 0x1000,
    // 0x100A, 0x1010 (after the store ends its block) and 0x1014 once each;
    // 0x1005 with f after each of the 9 patches that follow the first.
    CHECK(m.cpu.code_cache().blocks_built - built == 4 + 9);
}

TEST_CASE("decode cache: a store to either page of a straddling instruction re-decodes it only if it overlaps") {
    test::Machine m;
    // 0x1FFE: mov eax, 0x11223344 (B8 44 | 33 22 11), ret on the next page.
    m.load(0x1FFE, {0xB8, 0x44, 0x33, 0x22, 0x11, 0xC3});
    m.load(0x3000, {0xFF, 0xD6, 0xF4});  // call rsi; hlt
    auto call = [&] {
        m.cpu.halted = false;
        m.cpu.s.rip = 0x3000;
        m.cpu.s.gpr[RSI] = 0x1FFE;
        REQUIRE(m.cpu.run(m.cpu.cycles + 1000).reason == StopReason::Halt);
        return static_cast<u32>(m.cpu.s.gpr[RAX]);
    };
    CHECK(call() == 0x11223344);
    const u64 built = m.cpu.code_cache().blocks_built;
    const u8 x = 0x99;
    m.cpu.write_bytes(0x2010, &x, 1);  // the second page, past the instruction
    m.cpu.write_bytes(0x1F00, &x, 1);  // the first page, before it
    CHECK(call() == 0x11223344);
    CHECK(m.cpu.code_cache().blocks_built == built);
    m.cpu.write_bytes(0x2001, &x, 1);  // the immediate's third byte, on the second page
    CHECK(call() == 0x11993344);
    m.cpu.write_bytes(0x1FFF, &x, 1);  // its first byte, on the first page
    CHECK(call() == 0x11993399);
}

TEST_CASE("decode cache: a CPU that wrote a page before it held code still invalidates that code") {
    test::Machine m;
    Cpu other(m.bus, m.code);
    // `other` stores to 0x5000 while it is plain data (its write TLB keeps the page).
    m.bus.ram[0x3000] = 0x89;  // mov [rbx], eax; hlt
    m.bus.ram[0x3001] = 0x03;
    m.bus.ram[0x3002] = 0xF4;
    auto store = [&](u32 v) {
        other.halted = false;
        other.s.rip = 0x3000;
        other.s.gpr[RBX] = 0x5000;
        other.s.gpr[RAX] = v;
        REQUIRE(other.run(other.cycles + 100).reason == StopReason::Halt);
    };
    store(0);
    // Then code is decoded from that page: mov eax, 1; hlt.
    m.load(0x5000, {0xB8, 1, 0, 0, 0, 0xF4});
    REQUIRE(m.cpu.run(m.cpu.cycles + 100).reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RAX] == 1);
    // `other` rewrites the first four bytes: B8 02 00 00 -> mov eax, 2.
    store(0x000002B8);
    m.cpu.halted = false;
    m.cpu.s.rip = 0x5000;
    REQUIRE(m.cpu.run(m.cpu.cycles + 100).reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RAX] == 2);
}
