// Control flow, stack frames and flag-control instructions (cpu/ops_ctrl.cpp).
// Oracles: the host CPU running the same bytes (inline asm), or the SDM
// pseudo-code named in the test.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "support.h"
#include "timing.h"

using namespace sy;

namespace {

constexpr u64 kCode = 0x1000;

// Runs `code` (which must end in HLT) and requires that it halts. With
// `single_step`, TF was set on the way, so HLT retires and then traps with #DB
// (SDM Vol. 3A 17.3.1.4), which also counts as halting.
void run_to_halt(test::Machine& m, bool single_step = false) {
    auto r = m.cpu.run(10'000'000);
    bool ok = r.reason == StopReason::Halt || (single_step && r.fault && r.fault->vector == DB && m.cpu.halted);
    REQUIRE_MESSAGE(ok, "stopped with ", r.fault ? vector_name(r.fault->vector) : "budget", " at rip ", m.cpu.s.rip);
}

u64 host_flags() {
    u64 f;
    asm volatile("pushfq; popq %0" : "=r"(f));
    return f;
}

}  // namespace

// ---- LOOP / LOOPcc / JrCXZ ---------------------------------------------------

TEST_CASE("loop: counts RCX down and branches until it reaches zero (host oracle)") {
    // 0: ff c0    inc eax
    // 2: e2 fc    loop 0
    // 4: f4       hlt
    test::Machine m;
    m.load(kCode, {0xFF, 0xC0, 0xE2, 0xFC, 0xF4});
    m.cpu.s.gpr[RCX] = 7;
    run_to_halt(m);
    u64 rax = 0, rcx = 7;
    asm volatile("1: .byte 0xff, 0xc0, 0xe2, 0xfc" : "+a"(rax), "+c"(rcx)::"cc");
    CHECK(m.cpu.s.gpr[RAX] == rax);
    CHECK(m.cpu.s.gpr[RCX] == rcx);
}

TEST_CASE("loop: with 67h the count is ECX and the write zero-extends (host oracle)") {
    // 67 e2 02  loop ecx, +2   (skips the inc when taken)
    // ff c0     inc eax
    // f4        hlt
    for (u64 start : {0x1'0000'0001ull, 0x5'0000'0003ull, 0xFFFF'FFFF'0000'0000ull}) {
        test::Machine m;
        m.load(kCode, {0x67, 0xE2, 0x02, 0xFF, 0xC0, 0xF4});
        m.cpu.s.gpr[RCX] = start;
        run_to_halt(m);
        u64 rax = 0, rcx = start;
        asm volatile(".byte 0x67, 0xe2, 0x02, 0xff, 0xc0" : "+a"(rax), "+c"(rcx)::"cc");
        CAPTURE(start);
        CHECK(m.cpu.s.gpr[RAX] == rax);
        CHECK(m.cpu.s.gpr[RCX] == rcx);
    }
}

TEST_CASE("loope / loopne: stop on ZF or on the count (host oracle)") {
    // 0: ff c0     inc eax
    // 2: 83 f8 03  cmp eax, 3
    // 5: e0 f9     loopne 0     (or e1 f9 loope 0)
    // 7: f4        hlt
    for (u8 op : {u8(0xE0), u8(0xE1)}) {
        for (u64 start : {1ull, 2ull, 10ull}) {
            test::Machine m;
            m.load(kCode, {0xFF, 0xC0, 0x83, 0xF8, 0x03, op, 0xF9, 0xF4});
            m.cpu.s.gpr[RCX] = start;
            run_to_halt(m);
            u64 rax = 0, rcx = start;
            if (op == 0xE0) asm volatile("1: .byte 0xff, 0xc0, 0x83, 0xf8, 0x03, 0xe0, 0xf9" : "+a"(rax), "+c"(rcx)::"cc");
            else asm volatile("1: .byte 0xff, 0xc0, 0x83, 0xf8, 0x03, 0xe1, 0xf9" : "+a"(rax), "+c"(rcx)::"cc");
            CAPTURE(int(op));
            CAPTURE(start);
            CHECK(m.cpu.s.gpr[RAX] == rax);
            CHECK(m.cpu.s.gpr[RCX] == rcx);
        }
    }
}

TEST_CASE("jrcxz tests all of RCX, jecxz only ECX (host oracle)") {
    // e3 02 / 67 e3 02  jrcxz/jecxz +2; ff c0 inc eax; f4 hlt
    for (u64 rcx0 : {0ull, 1ull, 0x1'0000'0000ull}) {
        for (bool ecx : {false, true}) {
            test::Machine m;
            if (ecx) m.load(kCode, {0x67, 0xE3, 0x02, 0xFF, 0xC0, 0xF4});
            else m.load(kCode, {0xE3, 0x02, 0xFF, 0xC0, 0xF4});
            m.cpu.s.gpr[RCX] = rcx0;
            run_to_halt(m);
            u64 rax = 0, rcx = rcx0;
            if (ecx) asm volatile(".byte 0x67, 0xe3, 0x02, 0xff, 0xc0" : "+a"(rax), "+c"(rcx)::"cc");
            else asm volatile(".byte 0xe3, 0x02, 0xff, 0xc0" : "+a"(rax), "+c"(rcx)::"cc");
            CAPTURE(rcx0);
            CAPTURE(ecx);
            CHECK(m.cpu.s.gpr[RAX] == rax);
            CHECK(m.cpu.s.gpr[RCX] == rcx);
        }
    }
}

TEST_CASE("taken branches add timing::kTakenBranch, fall-through does not") {
    // b9 03 00 00 00  mov ecx, 3
    // e2 fe           loop $      (taken twice, then falls through)
    // f4              hlt
    test::Machine m;
    m.load(kCode, {0xB9, 3, 0, 0, 0, 0xE2, 0xFE, 0xF4});
    run_to_halt(m);
    using timing::Cls;
    u64 expect = timing::cost(Cls::Mov, false) + 3 * timing::cost(Cls::Branch, false) + 2 * timing::kTakenBranch +
                 timing::cost(Cls::Nop, false);
    CHECK(m.cpu.cycles == expect);
}

// ---- ENTER / LEAVE -----------------------------------------------------------

namespace {

// SDM Vol. 2A, ENTER, "Operation", for OperandSize = 64 and StackSize = 64,
// applied to a copy of guest memory.
struct EnterRef {
    std::vector<u8>& mem;
    u64 rsp, rbp;
    u64 rd(u64 a) {
        u64 v;
        std::memcpy(&v, &mem[a], 8);
        return v;
    }
    void push(u64 v) {
        rsp -= 8;
        std::memcpy(&mem[rsp], &v, 8);
    }
    void enter(u16 alloc_size, u8 imm8) {
        unsigned nesting_level = imm8 % 32;
        push(rbp);
        u64 frame_temp = rsp;
        if (nesting_level != 0) {
            if (nesting_level > 1)
                for (unsigned i = 1; i <= nesting_level - 1; ++i) {
                    rbp -= 8;
                    push(rd(rbp));
                }
            push(frame_temp);
        }
        rbp = frame_temp;
        rsp -= alloc_size;
    }
};

}  // namespace

TEST_CASE("enter: frames match the SDM pseudo-code byte by byte") {
    for (u8 level : {u8(0), u8(1), u8(2), u8(3), u8(7), u8(31), u8(33)}) {
        for (u16 size : {u16(0), u16(0x18), u16(0x1234)}) {
            test::Machine m;
            // c8 iw ib  enter size, level ; f4 hlt
            m.load(kCode, {0xC8, u8(size), u8(size >> 8), level, 0xF4});
            const u64 sp = 0x80000, bp = 0x80400;
            m.cpu.s.gpr[RSP] = sp;
            m.cpu.s.gpr[RBP] = bp;
            // Distinct values in the enclosing frames' display.
            for (u64 a = 0x80000 - 0x400; a < 0x80800; a += 8) {
                u64 v = a * 0x9E3779B97F4A7C15ull;
                std::memcpy(&m.bus.ram[a], &v, 8);
            }
            std::vector<u8> expect = m.bus.ram;
            EnterRef ref{expect, sp, bp};
            ref.enter(size, level);
            run_to_halt(m);
            CAPTURE(int(level));
            CAPTURE(size);
            CHECK(m.cpu.s.gpr[RSP] == ref.rsp);
            CHECK(m.cpu.s.gpr[RBP] == ref.rbp);
            CHECK(m.bus.ram == expect);
        }
    }
}

// Host oracle for one nested ENTER: io = {rsp_in, rbp_in, rsp_out, rbp_out}.
extern "C" void host_enter_20_3(u64* io);
asm(R"(
    .text
    .globl host_enter_20_3
host_enter_20_3:
    pushq %rbp
    movq %rsp, %r11
    movq 0(%rdi), %rsp
    movq 8(%rdi), %rbp
    enter $0x20, $3
    movq %rsp, 16(%rdi)
    movq %rbp, 24(%rdi)
    movq %r11, %rsp
    popq %rbp
    ret
)");

TEST_CASE("enter 0x20, 3 then leave: the host builds the same frame") {
    alignas(16) static u64 host_stack[256];
    test::Machine m;
    const u64 base = 0x80000;  // guest address of host_stack[0]
    for (unsigned k = 0; k < 256; ++k) host_stack[k] = 0x1111'0000'0000'0000ull + k;
    std::memcpy(&m.bus.ram[base], host_stack, sizeof host_stack);
    u64 io[4] = {reinterpret_cast<u64>(&host_stack[200]), reinterpret_cast<u64>(&host_stack[240]), 0, 0};
    host_enter_20_3(io);

    // c8 20 00 03  enter 0x20, 3 ; f4 hlt
    m.load(kCode, {0xC8, 0x20, 0x00, 0x03, 0xF4});
    m.cpu.s.gpr[RSP] = base + 200 * 8;
    m.cpu.s.gpr[RBP] = base + 240 * 8;
    run_to_halt(m);
    const u64 host0 = reinterpret_cast<u64>(host_stack);
    CHECK(m.cpu.s.gpr[RSP] - base == io[2] - host0);
    // The saved frame pointers are addresses: compare them relative to each stack.
    CHECK(m.cpu.s.gpr[RBP] - base == io[3] - host0);
    for (unsigned k = 0; k < 256; ++k) {
        u64 g;
        std::memcpy(&g, &m.bus.ram[base + k * 8], 8);
        u64 h = host_stack[k];
        if (h >= host0 && h < host0 + sizeof host_stack) h = h - host0 + base;
        CAPTURE(k);
        CHECK(g == h);
    }
}

TEST_CASE("leave: RSP <- RBP, then RBP <- pop (SDM Vol. 2A, LEAVE)") {
    test::Machine m;
    // c9 leave ; 66 c9 leave (16-bit: BP <- pop word) ; f4 hlt
    m.load(kCode, {0xC9, 0x66, 0xC9, 0xF4});
    m.cpu.s.gpr[RBP] = 0x9000;
    u64 saved = 0x9100;
    std::memcpy(&m.bus.ram[0x9000], &saved, 8);
    u16 saved16 = 0xBEEF;
    std::memcpy(&m.bus.ram[0x9100], &saved16, 2);
    run_to_halt(m);
    CHECK(m.cpu.s.gpr[RSP] == 0x9102);
    CHECK(m.cpu.s.gpr[RBP] == 0xBEEF);
}

TEST_CASE("enter: a fault on the stack changes nothing") {
    test::Machine m;
    m.load(kCode, {0xC8, 0x10, 0x00, 0x02, 0xF4});
    // RSP at the bottom of the canonical upper half: the pushes go below it,
    // into the non-canonical hole.
    m.cpu.s.gpr[RSP] = 0xFFFF'8000'0000'0008ull;
    m.cpu.s.gpr[RBP] = 0x2000;
    auto r = m.cpu.run(1000);
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == GP);
    CHECK(m.cpu.s.rip == kCode);
    CHECK(m.cpu.s.gpr[RSP] == 0xFFFF'8000'0000'0008ull);
    CHECK(m.cpu.s.gpr[RBP] == 0x2000);
}

// ---- PUSHF / POPF --------------------------------------------------------------

TEST_CASE("pushfq stores RFLAGS with RF and VM clear (SDM Vol. 2B, PUSHF)") {
    test::Machine m;
    m.load(kCode, {0x9C, 0xF4});
    m.cpu.s.rflags = fl::FIXED1 | fl::CF | fl::ZF | fl::RF | (1u << 17) | fl::ID;
    run_to_halt(m);
    u64 v;
    std::memcpy(&v, &m.bus.ram[m.cpu.s.gpr[RSP]], 8);
    CHECK(v == (fl::FIXED1 | fl::CF | fl::ZF | fl::ID));
}

TEST_CASE("popfq at CPL 0 (SDM Vol. 2B, POPF): all flags but RF, VM, VIF, VIP, bit 1 stays set") {
    test::Machine m;
    m.load(kCode, {0x9D, 0xF4});
    u64 all = ~0ull;
    m.cpu.s.gpr[RSP] = 0x9000;
    std::memcpy(&m.bus.ram[0x9000], &all, 8);
    m.cpu.s.rflags = fl::FIXED1 | fl::RF;
    run_to_halt(m, true);
    u64 expect = fl::FIXED1 | fl::ARITH | fl::TF | fl::IF | fl::DF | (3u << 12) | fl::NT | fl::AC | fl::ID;
    CHECK(m.cpu.s.rflags == expect);
    CHECK(m.cpu.s.gpr[RSP] == 0x9008);

    // Popping zero clears them all but leaves bit 1.
    test::Machine z;
    z.load(kCode, {0x9D, 0xF4});
    z.cpu.s.gpr[RSP] = 0x9000;
    z.cpu.s.rflags = expect & ~fl::TF;  // with TF set, POPF itself would single-step trap
    run_to_halt(z);
    CHECK(z.cpu.s.rflags == fl::FIXED1);
}

TEST_CASE("popf (66 9D) replaces FLAGS[15:0] only") {
    test::Machine m;
    m.load(kCode, {0x66, 0x9D, 0xF4});
    m.cpu.s.gpr[RSP] = 0x9000;
    u16 v = 0xFFFF;
    std::memcpy(&m.bus.ram[0x9000], &v, 2);
    m.cpu.s.rflags = fl::FIXED1 | fl::ID | fl::AC;
    run_to_halt(m, true);
    CHECK(m.cpu.s.rflags ==
          (fl::FIXED1 | fl::ID | fl::AC | fl::ARITH | fl::TF | fl::IF | fl::DF | (3u << 12) | fl::NT));
    CHECK(m.cpu.s.gpr[RSP] == 0x9002);
}

TEST_CASE("pushf, popf round trip of the arithmetic flags matches the host") {
    // The host runs at CPL 3, so only the flags any level may change are compared.
    const u64 user = fl::ARITH | fl::DF | fl::AC;
    for (u64 in : {u64(0), fl::ARITH, fl::CF | fl::OF, fl::ZF | fl::PF | fl::AF}) {
        u64 host_out;
        asm volatile("pushfq; pushq %1; popfq; pushfq; popq %0; popfq" : "=r"(host_out) : "r"(in) : "cc", "memory");
        test::Machine m;
        m.load(kCode, {0x9D, 0x9C, 0xF4});  // popfq; pushfq; hlt
        m.cpu.s.gpr[RSP] = 0x9000;
        std::memcpy(&m.bus.ram[0x9000], &in, 8);
        run_to_halt(m);
        u64 emu_out;
        std::memcpy(&emu_out, &m.bus.ram[0x9000], 8);
        CAPTURE(in);
        CHECK((emu_out & user) == (host_out & user));
        CHECK((emu_out & fl::FIXED1) == (host_out & fl::FIXED1));
    }
}

// ---- Flag control ------------------------------------------------------------

TEST_CASE("clc stc cmc cld std lahf sahf agree with the host") {
    // Each sequence: sahf from AH, one flag op, lahf into AH. Sequence bytes:
    // 9e sahf; <op>; 9f lahf
    for (u8 op : {u8(0xF8), u8(0xF9), u8(0xF5), u8(0x90)}) {
        for (unsigned ah = 0; ah < 256; ah += 7) {
            u64 host_rax = ah << 8;
            switch (op) {
                case 0xF8: asm volatile("sahf; clc; lahf" : "+a"(host_rax)::"cc"); break;
                case 0xF9: asm volatile("sahf; stc; lahf" : "+a"(host_rax)::"cc"); break;
                case 0xF5: asm volatile("sahf; cmc; lahf" : "+a"(host_rax)::"cc"); break;
                default: asm volatile("sahf; nop; lahf" : "+a"(host_rax)::"cc"); break;
            }
            test::Machine m;
            m.load(kCode, {0x9E, op, 0x9F, 0xF4});
            m.cpu.s.gpr[RAX] = ah << 8;
            run_to_halt(m);
            CAPTURE(int(op));
            CAPTURE(ah);
            CHECK(m.cpu.s.gpr[RAX] == host_rax);
        }
    }
    // std; pushfq; cld
    u64 host_df;
    asm volatile("std; pushfq; popq %0; cld" : "=r"(host_df)::"cc");
    test::Machine m;
    m.load(kCode, {0xFD, 0xF4});
    run_to_halt(m);
    CHECK((m.cpu.s.rflags & fl::DF) == (host_df & fl::DF));
    test::Machine n;  // cld from DF=1
    n.load(kCode, {0xFC, 0xF4});
    n.cpu.s.rflags |= fl::DF;
    run_to_halt(n);
    CHECK((n.cpu.s.rflags & fl::DF) == (host_flags() & fl::DF));
}

TEST_CASE("cli and sti clear and set IF (SDM Vol. 2A CLI, Vol. 2B STI, CPL 0)") {
    test::Machine m;
    m.load(kCode, {0xFB, 0x9C, 0xFA, 0xF4});  // sti; pushfq; cli; hlt
    run_to_halt(m);
    u64 pushed;
    std::memcpy(&pushed, &m.bus.ram[m.cpu.s.gpr[RSP]], 8);
    CHECK((pushed & fl::IF) != 0);
    CHECK((m.cpu.s.rflags & fl::IF) == 0);
}

// ---- Interrupts, NOPs --------------------------------------------------------

TEST_CASE("int3 and int imm8 are traps: vector raised, RIP past the instruction") {
    test::Machine m;
    m.load(kCode, {0x90, 0xCC, 0xF4});
    auto r = m.cpu.run(100);
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == BP);
    CHECK(r.fault->software);
    CHECK(m.cpu.s.rip == kCode + 2);

    test::Machine n;
    n.load(kCode, {0xCD, 0x80, 0xF4});
    r = n.cpu.run(100);
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == 0x80);
    CHECK_FALSE(r.fault->has_error);
    CHECK(r.fault->software);
    CHECK(n.cpu.s.rip == kCode + 2);
}

TEST_CASE("into is #UD in 64-bit mode (SDM Vol. 2A, INT n/INTO/INT3/INT1)") {
    test::Machine m;
    m.load(kCode, {0xCE, 0xF4});
    m.cpu.s.rflags |= fl::OF;
    auto r = m.cpu.run(100);
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == UD);
    CHECK(m.cpu.s.rip == kCode);
}

TEST_CASE("nop forms never touch memory and cost a nop") {
    test::Machine m;
    // 0f 1f 84 00 00 00 00 00  nop dword [rax+rax*1+0] (rax non-canonical)
    // 66 90 nop; 90 nop; f3 90 pause; f3 0f 1e fa endbr64; f4 hlt
    m.load(kCode, {0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00, 0x66, 0x90, 0x90, 0xF3, 0x90, 0xF3, 0x0F,
                   0x1E, 0xFA, 0xF4});
    m.cpu.s.gpr[RAX] = 0x8000'0000'0000'0000ull;
    run_to_halt(m);
    CHECK(m.cpu.s.gpr[RAX] == 0x8000'0000'0000'0000ull);
    CHECK(m.cpu.cycles == 6 * timing::cost(timing::Cls::Nop, false));
}

// ---- Privilege rules (SDM Vol. 2A CLI, HLT; Vol. 2B POPF, STI) ---------------

TEST_CASE("at CPL 3 with IOPL 0: cli, sti and hlt raise #GP(0), popf keeps IF and IOPL") {
    for (u8 op : {u8(0xFA), u8(0xFB), u8(0xF4)}) {
        test::Machine m;
        m.cpu.set_flat64(3);
        m.load(kCode, {op, 0xF4});
        auto r = m.cpu.run(100);
        REQUIRE(r.reason == StopReason::Fault);
        CAPTURE(int(op));
        CHECK(r.fault->vector == GP);
        CHECK(m.cpu.s.rip == kCode);
    }
    test::Machine m;
    m.cpu.set_flat64(3);
    m.load(kCode, {0x9D, 0x0F, 0x0B});  // popfq; ud2
    m.cpu.s.gpr[RSP] = 0x9000;
    u64 all = ~0ull;
    std::memcpy(&m.bus.ram[0x9000], &all, 8);
    m.cpu.s.rflags = fl::FIXED1 | fl::IF;
    auto r = m.cpu.run(100);
    REQUIRE(r.reason == StopReason::Fault);  // the ud2
    CHECK(m.cpu.s.rflags == (fl::FIXED1 | fl::IF | fl::ARITH | fl::TF | fl::DF | fl::NT | fl::AC | fl::ID));

    // IOPL 3 lets CPL 3 change IF (but still not IOPL).
    test::Machine n;
    n.cpu.set_flat64(3);
    n.load(kCode, {0x9D, 0x0F, 0x0B});
    n.cpu.s.gpr[RSP] = 0x9000;
    u64 zero = 0;
    std::memcpy(&n.bus.ram[0x9000], &zero, 8);
    n.cpu.s.rflags = fl::FIXED1 | fl::IF | (3u << 12);
    n.cpu.run(100);
    CHECK(n.cpu.s.rflags == (fl::FIXED1 | (3u << 12)));
}

TEST_CASE("sti opens an interrupt shadow only when it sets IF") {
    test::Machine m;
    m.load(kCode, {0xFB, 0xF4});
    m.cpu.step();
    CHECK((m.cpu.s.rflags & fl::IF) != 0);
    CHECK(m.cpu.interrupt_shadow);
    test::Machine n;
    n.load(kCode, {0xFB, 0xF4});
    n.cpu.s.rflags |= fl::IF;
    n.cpu.step();
    CHECK_FALSE(n.cpu.interrupt_shadow);
}

TEST_CASE("compatibility mode, 32-bit: push, enter, leave, pop, call, ret use 4-byte slots (SDM pseudo-code)") {
    test::Machine m;
    // CS.L=0, CS.D=1, SS.B=1 under EFER.LMA: 32-bit compatibility mode.
    m.cpu.sys.seg[CS].attr = static_cast<u16>((m.cpu.sys.seg[CS].attr & ~0x2000) | 0x4000);
    m.cpu.sys.seg[SS].attr |= 0x4000;
    m.cpu.update_mode();
    REQUIRE(m.cpu.mode() == Mode::Compat32);
    // 0: 55              push ebp
    // 1: c8 08 00 01     enter 8, 1
    // 5: c9              leave
    // 6: 5d              pop ebp
    // 7: e8 01 00 00 00  call 0xd
    // c: f4              hlt
    // d: c3              ret
    m.load(kCode, {0x55, 0xC8, 0x08, 0x00, 0x01, 0xC9, 0x5D, 0xE8, 0x01, 0x00, 0x00, 0x00, 0xF4, 0xC3});
    const u64 top = 0x9000;
    m.cpu.s.gpr[RSP] = 0xFFFF'FFFF'0000'0000ull | top;  // only ESP counts; the upper half stays
    m.cpu.s.gpr[RBP] = 0x1122'3344;
    run_to_halt(m);
    auto rd32 = [&](u64 a) {
        u32 v;
        std::memcpy(&v, &m.bus.ram[a], 4);
        return v;
    };
    CHECK(m.cpu.s.gpr[RSP] == (0xFFFF'FFFF'0000'0000ull | top));
    CHECK(m.cpu.s.gpr[RBP] == 0x1122'3344);
    CHECK(rd32(top - 4) == kCode + 0xC);      // the call's return address, over push ebp's slot
    CHECK(rd32(top - 8) == 0x1122'3344);      // enter: Push(EBP)
    CHECK(rd32(top - 12) == top - 8);         // enter, level 1: Push(FrameTemp)
}

TEST_CASE("90 is a nop, 87 c0 (xchg eax, eax) zero-extends RAX (host oracle)") {
    for (bool xchg : {false, true}) {
        test::Machine m;
        if (xchg) m.load(kCode, {0x87, 0xC0, 0xF4});
        else m.load(kCode, {0x90, 0xF4});
        const u64 start = 0xDEAD'BEEF'1234'5678ull;
        m.cpu.s.gpr[RAX] = start;
        run_to_halt(m);
        u64 host = start;
        if (xchg) asm volatile(".byte 0x87, 0xc0" : "+a"(host));
        else asm volatile(".byte 0x90" : "+a"(host));
        CAPTURE(xchg);
        CHECK(m.cpu.s.gpr[RAX] == host);
    }
}
