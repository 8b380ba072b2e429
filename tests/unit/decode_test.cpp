// Decoder edge cases. Expected values: SDM Vol. 1, 3.4.1.1 (register write
// rules), Vol. 2A, 2.1.1 / 2.2.1 (prefixes, REX and the byte registers), 2.2.1.6
// (RIP-relative addressing), 2.3.11 (15-byte limit).
#include <doctest/doctest.h>

#include "decode.h"
#include "support.h"

using namespace sy;

namespace {
StepResult run1(test::Machine& m, std::initializer_list<u8> code) {
    m.load(0x1000, code);
    return m.cpu.step();
}
}  // namespace

TEST_CASE("decode: AH..BH without REX, SPL..DIL with REX") {
    test::Machine m;
    m.cpu.s.gpr[RAX] = 0x1111111111111111;
    m.cpu.s.gpr[RSP] = 0;
    run1(m, {0xB4, 0xAB});  // mov ah, 0xab
    CHECK(m.cpu.s.gpr[RAX] == 0x111111111111AB11);
    test::Machine n;
    n.load(0x1000, {0x40, 0xB4, 0xCD});  // REX mov spl, 0xcd  (B4 + REX names SPL)
    u64 sp = n.cpu.s.gpr[RSP];
    n.cpu.step();
    CHECK(n.cpu.s.gpr[RSP] == ((sp & ~0xFFull) | 0xCD));
}

TEST_CASE("decode: 32-bit writes zero-extend, 8- and 16-bit writes merge") {
    test::Machine m;
    m.cpu.s.gpr[RBX] = 0xFFFFFFFFFFFFFFFF;
    run1(m, {0x89, 0xC3});  // mov ebx, eax (eax = 0)
    CHECK(m.cpu.s.gpr[RBX] == 0);
    m.cpu.s.gpr[RBX] = 0xFFFFFFFFFFFFFFFF;
    m.cpu.s.gpr[RAX] = 0x1234;
    run1(m, {0x66, 0x89, 0xC3});  // mov bx, ax
    CHECK(m.cpu.s.gpr[RBX] == 0xFFFFFFFFFFFF1234);
    run1(m, {0x88, 0xE3});  // mov bl, ah
    CHECK(m.cpu.s.gpr[RBX] == 0xFFFFFFFFFFFF1212);
}

TEST_CASE("decode: RIP-relative operands address from the next instruction") {
    test::Machine m;
    const u64 value = 0x0123456789ABCDEF;
    std::memcpy(&m.bus.ram[0x1000 + 7 + 0x100], &value, 8);
    run1(m, {0x48, 0x8B, 0x05, 0x00, 0x01, 0x00, 0x00});  // mov rax, [rip+0x100]
    CHECK(m.cpu.s.gpr[RAX] == value);
    CHECK(m.cpu.s.rip == 0x1007);
}

TEST_CASE("decode: 67h address-size prefix truncates the effective address to 32 bits") {
    test::Machine m;
    m.cpu.s.gpr[RBX] = 0xFFFFFFFF00002000;  // only the low 32 bits form the address
    const u32 v = 0xCAFEF00D;
    std::memcpy(&m.bus.ram[0x2000], &v, 4);
    run1(m, {0x67, 0x8B, 0x03});  // mov eax, [ebx]
    CHECK(m.cpu.s.gpr[RAX] == 0xCAFEF00D);
}

TEST_CASE("decode: LOCK on a register destination is #UD") {
    test::Machine m;
    auto r = run1(m, {0xF0, 0x01, 0xC3});  // lock add ebx, eax
    REQUIRE(r.fault);
    CHECK(r.fault->vector == UD);
    CHECK(m.cpu.s.rip == 0x1000);
}

TEST_CASE("decode: an instruction longer than 15 bytes is #GP(0)") {
    test::Machine m;
    // 14 redundant 66h prefixes + 01 C3 (add ebx, eax) = 16 bytes.
    m.load(0x1000, {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x01, 0xC3});
    auto r = m.cpu.step();
    REQUIRE(r.fault);
    CHECK(r.fault->vector == GP);
    CHECK(r.fault->error == 0);
}

TEST_CASE("decode: a non-canonical memory access is #GP(0) and changes nothing") {
    test::Machine m;
    m.cpu.s.gpr[RBX] = 0x0000800000000000;  // bit 47 set, bits 63..48 clear
    m.cpu.s.gpr[RAX] = 5;
    auto r = run1(m, {0x48, 0x01, 0x03});  // add [rbx], rax
    REQUIRE(r.fault);
    CHECK(r.fault->vector == GP);
    CHECK(m.cpu.s.gpr[RAX] == 5);
    CHECK(m.cpu.s.rip == 0x1000);
}
