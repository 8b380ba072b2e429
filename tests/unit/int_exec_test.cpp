// Integer instructions run end to end in the tiny machine: #DE, faults that must
// leave every register, flag and byte of memory as they were, the bit base of
// BT with a register offset, the legacy high-byte registers against their REX
// counterparts, LOCK, and the register-write quirks (CMOVcc, BSF). Expected
// values come from the host CPU running the same instruction, or from the
// manual section named in the test.
#include <doctest/doctest.h>

#include <cstring>

#include "support.h"

using namespace sy;

namespace {

constexpr u64 kCode = 0x1000;
constexpr u64 kNonCanonical = 0x0000800000000000ull;

// Runs `code` (followed by HLT) once from the given registers and flags.
struct Run {
    test::Machine m;
    StepResult r;
    Run(std::initializer_list<u8> code, std::initializer_list<std::pair<Gpr, u64>> regs, u64 flags = fl::FIXED1) {
        m.load(kCode, code);
        m.bus.ram[kCode + code.size()] = 0xF4;
        for (auto [g, v] : regs) m.cpu.s.gpr[g] = v;
        m.cpu.s.rflags = flags;
        before = m.cpu.s;
    }
    StepResult step() { return r = m.cpu.step(); }
    u64 q(u64 addr) {
        u64 v;
        std::memcpy(&v, &m.bus.ram[addr], 8);
        return v;
    }
    void put_q(u64 addr, u64 v) { std::memcpy(&m.bus.ram[addr], &v, 8); }
    // The fault left the state exactly as it was, RIP at the instruction.
    void check_unchanged() {
        for (int n = 0; n < 16; ++n) {
            INFO("gpr " << n);
            CHECK(m.cpu.s.gpr[n] == before.gpr[n]);
        }
        CHECK(m.cpu.s.rflags == before.rflags);
        CHECK(m.cpu.s.rip == kCode);
    }
    CpuState before;
};

}  // namespace

// SDM Vol. 2A DIV/IDIV, "Protected Mode Exceptions": #DE if the divisor is 0 or
// the quotient is too large for the destination (IDIV: INT_MIN / -1 included).
TEST_CASE("div and idiv raise #DE on a zero divisor and on quotient overflow, changing nothing") {
    struct Case {
        const char* what;
        std::initializer_list<u8> code;
        u64 rax, rdx, rcx;
    };
    const Case cases[] = {
        {"div cl by 0", {0xF6, 0xF1}, 0x1234, 0, 0},
        {"div cx by 0", {0x66, 0xF7, 0xF1}, 0x1234, 0, 0xFFFF0000},
        {"div ecx by 0", {0xF7, 0xF1}, 0x1234, 0, 0xFFFFFFFF00000000},
        {"div rcx by 0", {0x48, 0xF7, 0xF1}, 0x1234, 0, 0},
        {"div cl overflow", {0xF6, 0xF1}, 0x0500, 0, 5},
        {"div cx overflow", {0x66, 0xF7, 0xF1}, 0, 7, 7},
        {"div ecx overflow", {0xF7, 0xF1}, 0, 0x10, 0x10},
        {"div rcx overflow", {0x48, 0xF7, 0xF1}, ~0ull, ~0ull, ~0ull},
        {"idiv cl -128/-1", {0xF6, 0xF9}, 0xFF80, 0, 0xFF},
        {"idiv cx INT16_MIN/-1", {0x66, 0xF7, 0xF9}, 0x8000, 0xFFFF, 0xFFFF},
        {"idiv ecx INT32_MIN/-1", {0xF7, 0xF9}, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFF},
        {"idiv rcx INT64_MIN/-1", {0x48, 0xF7, 0xF9}, 0x8000000000000000, ~0ull, ~0ull},
        {"idiv rcx by 0", {0x48, 0xF7, 0xF9}, 5, 0, 0},
        {"idiv ecx positive overflow", {0xF7, 0xF9}, 0, 1, 2},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        Run t(c.code, {{RAX, c.rax}, {RDX, c.rdx}, {RCX, c.rcx}}, fl::FIXED1 | fl::CF | fl::ZF);
        t.step();
        REQUIRE(t.r.reason == StopReason::Fault);
        CHECK(t.r.fault->vector == DE);
        t.check_unchanged();
    }
    // The boundaries that still fit: idiv -128 / 1 and div 0xFEFF / 0xFF (= 0xFF r 0xFE).
    Run ok({0xF6, 0xF9}, {{RAX, 0xFF80}, {RCX, 1}});
    ok.step();
    CHECK(ok.r.reason == StopReason::Budget);
    CHECK((ok.m.cpu.s.gpr[RAX] & 0xFFFF) == 0x0080);
    Run ok2({0xF6, 0xF1}, {{RAX, 0xFEFF}, {RCX, 0xFF}});
    ok2.step();
    CHECK(ok2.r.reason == StopReason::Budget);
    CHECK((ok2.m.cpu.s.gpr[RAX] & 0xFFFF) == 0xFEFF);
}

// SDM Vol. 3A 6.5: a fault leaves the state as before the instruction. Each
// read-modify-write below addresses a non-canonical operand (#GP(0)).
TEST_CASE("a faulting read-modify-write changes no register, flag or memory") {
    struct Case {
        const char* what;
        std::initializer_list<u8> code;
    };
    const Case cases[] = {
        {"lock xadd [rbx], ecx", {0xF0, 0x0F, 0xC1, 0x0B}},
        {"cmpxchg [rbx], ecx", {0x0F, 0xB1, 0x0B}},
        {"xchg [rbx], rcx", {0x48, 0x87, 0x0B}},
        {"shl qword [rbx], cl", {0x48, 0xD3, 0x23}},
        {"rcr dword [rbx], 1", {0xD1, 0x1B}},
        {"shld [rbx], ecx, 3", {0x0F, 0xA4, 0x0B, 0x03}},
        {"lock btc dword [rbx], 5", {0xF0, 0x0F, 0xBA, 0x3B, 0x05}},
        {"lock cmpxchg8b [rbx]", {0xF0, 0x0F, 0xC7, 0x0B}},
        {"lock inc byte [rbx]", {0xF0, 0xFE, 0x03}},
        {"lock add [rbx], ecx", {0xF0, 0x01, 0x0B}},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        Run t(c.code, {{RAX, 7}, {RBX, kNonCanonical}, {RCX, 0x81}, {RDX, 9}}, fl::FIXED1 | fl::CF | fl::OF);
        t.step();
        REQUIRE(t.r.reason == StopReason::Fault);
        CHECK(t.r.fault->vector == GP);
        t.check_unchanged();
    }
}

// SDM Vol. 2A BT, "bit base": a register bit offset into memory is signed and
// may address bits outside the operand; the access moves by whole operands.
TEST_CASE("bts with a register offset addresses memory beyond the operand") {
    // lock bts qword [rbx], rcx with rcx = -1: bit 63 of the qword below [rbx].
    Run t({0xF0, 0x48, 0x0F, 0xAB, 0x0B}, {{RBX, 0x2000}, {RCX, ~0ull}});
    t.put_q(0x1FF8, 0x1);
    t.put_q(0x2000, 0);
    t.step();
    CHECK(t.r.reason == StopReason::Budget);
    CHECK(t.q(0x1FF8) == 0x8000000000000001ull);
    CHECK(t.q(0x2000) == 0);
    CHECK((t.m.cpu.s.rflags & fl::CF) == 0);

    // bt dword [rbx], ecx with ecx = 70: bit 6 of the dword at rbx+8.
    Run u({0x0F, 0xA3, 0x0B}, {{RBX, 0x2000}, {RCX, 70}});
    u.put_q(0x2008, 0x40);
    u.step();
    CHECK((u.m.cpu.s.rflags & fl::CF) != 0);

    // A huge offset moves the address out of the canonical range: #GP(0), nothing changes.
    Run g({0xF0, 0x48, 0x0F, 0xAB, 0x0B}, {{RBX, 0x2000}, {RCX, u64(1) << 62}});
    g.step();
    REQUIRE(g.r.reason == StopReason::Fault);
    CHECK(g.r.fault->vector == GP);
    g.check_unchanged();
}

// SDM Vol. 2A CMPXCHG16B: "#GP(0) If memory operand for CMPXCHG16B is not aligned
// on a 16-byte boundary."
TEST_CASE("cmpxchg16b on a misaligned operand raises #GP(0) and changes nothing") {
    Run t({0xF0, 0x48, 0x0F, 0xC7, 0x0B}, {{RAX, 1}, {RDX, 2}, {RBX, 0x2008}, {RCX, 4}});
    t.put_q(0x2008, 1);
    t.put_q(0x2010, 2);  // would compare equal
    t.step();
    REQUIRE(t.r.reason == StopReason::Fault);
    CHECK(t.r.fault->vector == GP);
    CHECK(t.r.fault->error == 0);
    t.check_unchanged();
    CHECK(t.q(0x2008) == 1);
    CHECK(t.q(0x2010) == 2);

    Run a({0xF0, 0x48, 0x0F, 0xC7, 0x0B}, {{RAX, 1}, {RDX, 2}, {RBX, 0x2010}, {RCX, 4}});
    a.put_q(0x2010, 1);
    a.put_q(0x2018, 2);
    a.step();
    CHECK(a.r.reason == StopReason::Budget);
    CHECK(a.q(0x2010) == 0x2010);  // RBX
    CHECK(a.q(0x2018) == 4);       // RCX
    CHECK((a.m.cpu.s.rflags & fl::ZF) != 0);
}

namespace {
// Native results for the register-encoding test: the same operation on BH (no
// REX) and on DIL (REX), with RBX and RDI as inputs. Returns {rax, rbx, rdi}.
struct Regs {
    u64 rax, rbx, rdi;
};
Regs host_movzx_bh(Regs r) { asm("movzbl %%bh, %%eax" : "+a"(r.rax), "+b"(r.rbx), "+D"(r.rdi)); return r; }
Regs host_movzx_dil(Regs r) { asm("movzbl %%dil, %%eax" : "+a"(r.rax), "+b"(r.rbx), "+D"(r.rdi)); return r; }
Regs host_shl_bh(Regs r) { asm("shlb $1, %%bh" : "+a"(r.rax), "+b"(r.rbx), "+D"(r.rdi) : : "cc"); return r; }
Regs host_shl_dil(Regs r) { asm("shlb $1, %%dil" : "+a"(r.rax), "+b"(r.rbx), "+D"(r.rdi) : : "cc"); return r; }
Regs host_xchg_bl_bh(Regs r) { asm("xchgb %%bl, %%bh" : "+a"(r.rax), "+b"(r.rbx), "+D"(r.rdi)); return r; }
Regs host_xchg_bl_dil(Regs r) { asm("xchgb %%bl, %%dil" : "+a"(r.rax), "+b"(r.rbx), "+D"(r.rdi)); return r; }
Regs host_movsx_bh(Regs r) { asm("movsbl %%bh, %%eax" : "+a"(r.rax), "+b"(r.rbx), "+D"(r.rdi)); return r; }
Regs host_movsx_dil(Regs r) { asm("movsbq %%dil, %%rax" : "+a"(r.rax), "+b"(r.rbx), "+D"(r.rdi)); return r; }
}  // namespace

// SDM Vol. 1 3.4.1.1: register number 7 in a byte operand is BH without REX and
// DIL with any REX prefix.
TEST_CASE("byte register 7 is BH without REX and DIL with REX, as on the host") {
    struct Case {
        const char* what;
        std::initializer_list<u8> code;
        Regs (*host)(Regs);
    };
    const Case cases[] = {
        {"movzx eax, bh", {0x0F, 0xB6, 0xC7}, host_movzx_bh},
        {"movzx eax, dil", {0x40, 0x0F, 0xB6, 0xC7}, host_movzx_dil},
        {"shl bh, 1", {0xD0, 0xE7}, host_shl_bh},
        {"shl dil, 1", {0x40, 0xD0, 0xE7}, host_shl_dil},
        {"xchg bl, bh", {0x86, 0xFB}, host_xchg_bl_bh},
        {"xchg bl, dil", {0x40, 0x86, 0xFB}, host_xchg_bl_dil},
        {"movsx eax, bh", {0x0F, 0xBE, 0xC7}, host_movsx_bh},
        {"movsx rax, dil", {0x48, 0x0F, 0xBE, 0xC7}, host_movsx_dil},  // REX.W alone selects DIL
    };
    const Regs inputs[] = {{0x1111111111111111, 0x0123456789ABCDEF, 0xFEDCBA9876543281},
                           {~0ull, 0x80C3, 0x7F}};
    for (const Case& c : cases)
        for (Regs in : inputs) {
            INFO(c.what);
            Run t(c.code, {{RAX, in.rax}, {RBX, in.rbx}, {RDI, in.rdi}});
            t.step();
            REQUIRE(t.r.reason == StopReason::Budget);
            Regs want = c.host(in);
            CHECK(t.m.cpu.s.gpr[RAX] == want.rax);
            CHECK(t.m.cpu.s.gpr[RBX] == want.rbx);
            CHECK(t.m.cpu.s.gpr[RDI] == want.rdi);
        }
}

// SDM Vol. 2A CMOVcc, "Operation": with a 32-bit operand in 64-bit mode the
// destination's upper half is cleared even when the condition is false.
TEST_CASE("cmovz r32 with a false condition still zero-extends the destination, as on the host") {
    u64 rax = 0xFFFFFFFF00000001ull, rcx = 0x2222222233333333ull;
    u64 host = rax;
    asm("test %%rsp, %%rsp\n\tcmovzl %%ecx, %%eax" : "+a"(host) : "c"(rcx) : "cc");  // ZF=0
    Run t({0x0F, 0x44, 0xC1}, {{RAX, rax}, {RCX, rcx}});  // cmovz eax, ecx
    t.step();
    CHECK(t.m.cpu.s.gpr[RAX] == host);
    CHECK(t.m.cpu.s.gpr[RAX] == 1);
}

// AMD APM Vol. 3, BSF/BSR: "If the second operand contains 0, the instruction
// sets ZF to 1 and does not change the contents of the destination register."
TEST_CASE("bsf/bsr with a zero source leave the whole destination register unchanged") {
    for (auto code : {std::initializer_list<u8>{0x0F, 0xBC, 0xC1}, std::initializer_list<u8>{0x0F, 0xBD, 0xC1},
                      std::initializer_list<u8>{0x48, 0x0F, 0xBC, 0xC1}, std::initializer_list<u8>{0x66, 0x0F, 0xBD, 0xC1}}) {
        Run t(code, {{RAX, 0xFFFFFFFF12345678ull}, {RCX, 0}});
        t.step();
        CHECK(t.m.cpu.s.gpr[RAX] == 0xFFFFFFFF12345678ull);
        CHECK((t.m.cpu.s.rflags & fl::ZF) != 0);
    }
}

// SDM Vol. 2A LOCK: legal with a memory destination of the listed instructions
// (and then the same as unlocked here), #UD otherwise (Zydis refuses the decode).
TEST_CASE("lock add to memory runs, lock add to a register raises #UD") {
    Run t({0xF0, 0x01, 0x0B}, {{RBX, 0x2000}, {RCX, 5}});  // lock add [rbx], ecx
    t.put_q(0x2000, 0xFFFFFFFFull);
    t.step();
    CHECK(t.r.reason == StopReason::Budget);
    CHECK(t.q(0x2000) == 4);
    CHECK((t.m.cpu.s.rflags & fl::CF) != 0);

    Run u({0xF0, 0x01, 0xC8}, {{RCX, 5}});  // lock add eax, ecx
    u.step();
    REQUIRE(u.r.reason == StopReason::Fault);
    CHECK(u.r.fault->vector == UD);
}

// SDM Vol. 2A CMPXCHG: on failure rAX receives the destination; a register
// destination is written only on success (the host does the same: isa-test
// "cmpxchg r32, r32").
TEST_CASE("cmpxchg r32 writes the destination only on success and rAX only on failure") {
    // cmpxchg ecx, edx (0F B1 D1)
    Run eq({0x0F, 0xB1, 0xD1}, {{RAX, 0xAAAAAAAA00000005ull}, {RCX, 0xBBBBBBBB00000005ull}, {RDX, 0x77}});
    eq.step();
    CHECK(eq.m.cpu.s.gpr[RCX] == 0x77);
    CHECK(eq.m.cpu.s.gpr[RAX] == 0xAAAAAAAA00000005ull);
    CHECK((eq.m.cpu.s.rflags & fl::ZF) != 0);
    Run ne({0x0F, 0xB1, 0xD1}, {{RAX, 0xAAAAAAAA00000006ull}, {RCX, 0xBBBBBBBB00000005ull}, {RDX, 0x77}});
    ne.step();
    CHECK(ne.m.cpu.s.gpr[RCX] == 0xBBBBBBBB00000005ull);
    CHECK(ne.m.cpu.s.gpr[RAX] == 5);
    CHECK((ne.m.cpu.s.rflags & fl::ZF) == 0);
}
