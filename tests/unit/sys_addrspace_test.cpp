// Address spaces and the caches that must never answer for the wrong one: two
// spaces that map different data and code at the same linear address, switched
// by MOV to CR3 with and without PCID preservation, on one CPU and on two CPUs
// sharing one decode cache; an instruction that straddles two pages whose
// second page is remapped or unmapped; the TLB invalidations software relies on.
// Expected values: SDM Vol. 3A 4.10.1 (PCIDs: "a logical processor may use a
// TLB entry only for the PCID in CR3 ... and global pages"), 4.10.4.1 (MOV to
// CR3: bit 63 clear invalidates the new PCID's non-global entries; INVLPG
// invalidates the page; INVPCID types 0-3; a CR4.PGE change invalidates
// everything), 4.7 (#PF error code, CR2 = the faulting linear address);
// Vol. 2A CALL/RET. Linear and physical contents differ per space, so a wrong
// answer shows as the other space's value.
#include <doctest/doctest.h>

#include "sys_support.h"

using namespace sy;
using test::SysMachine;

namespace {
constexpr u64 kBit63 = 1ull << 63;
constexpr u64 kSpaceB = 0x15000;  // five pages of tables for the second space
constexpr u64 kData = 0x150000;   // a data page: identity in A, kDataB in B
constexpr u64 kDataB = 0x160000;
constexpr u64 kFunc = 0x170000;   // a function: identity in A, kFuncB in B
constexpr u64 kFuncB = 0x180000;

// call rel32 from `at` (5 bytes) to `target`.
void put_call(SysMachine& t, u64 at, u64 target) {
    u32 rel = static_cast<u32>(target - (at + 5));
    t.m.bus.ram[at] = 0xE8;
    std::memcpy(&t.m.bus.ram[at + 1], &rel, 4);
}
// mov eax, value; ret -- at physical `pa`.
void put_func(SysMachine& t, u64 pa, u32 value) {
    t.code(pa, {0xB8, u8(value), u8(value >> 8), u8(value >> 16), u8(value >> 24), 0xC3});
}
void enable_pcid(SysMachine& t, u16 pcid) {
    t.cpu.sys.cr4 |= cr4::PCIDE;
    t.cpu.sys.cr3 = SysMachine::kPml4 | pcid;
    t.cpu.flush_tlb();
}
void restart(SysMachine& t, u64 rip) {
    t.cpu.halted = false;
    t.cpu.s.rip = rip;
}
}  // namespace

TEST_CASE("CR3: reads and writes after a switch reach the new space's memory, with and without PCID no-flush") {
    struct Case {
        const char* name;
        bool pcid, keep;
    };
    for (Case c : {Case{"no PCIDs", false, false}, Case{"PCIDs, flush", true, false},
                   Case{"PCIDs, bit 63 (no flush)", true, true}}) {
        CAPTURE(c.name);
        SysMachine t;
        const u64 b = t.clone_space(kSpaceB);
        t.map(b, kData, kDataB);
        t.put64(kData, 0xAAAA);
        t.put64(kDataB, 0xBBBB);
        if (c.pcid) enable_pcid(t, 1);
        const u64 to_b = b | (c.pcid ? 2 : 0) | (c.keep ? kBit63 : 0);
        const u64 to_a = SysMachine::kPml4 | (c.pcid ? 1 : 0) | (c.keep ? kBit63 : 0);
        // mov rax,[rbx]; mov cr3,rdi; mov rdx,[rbx]; mov [rbx],r8; mov cr3,rsi; mov rcx,[rbx]; hlt
        t.code(SysMachine::kKernelCode, {0x48, 0x8B, 0x03, 0x0F, 0x22, 0xDF, 0x48, 0x8B, 0x13, 0x4C, 0x89, 0x03,
                                         0x0F, 0x22, 0xDE, 0x48, 0x8B, 0x0B, 0xF4});
        t.cpu.s.rip = SysMachine::kKernelCode;
        t.cpu.s.gpr[RBX] = kData;
        t.cpu.s.gpr[RDI] = to_b;
        t.cpu.s.gpr[RSI] = to_a;
        t.cpu.s.gpr[R8] = 0x1234;
        REQUIRE(t.run().reason == StopReason::Halt);
        CHECK(t.cpu.s.gpr[RAX] == 0xAAAA);
        CHECK(t.cpu.s.gpr[RDX] == 0xBBBB);  // B's page, not the host pointer cached for A
        CHECK(t.get64(kDataB) == 0x1234);   // the write went to B's page
        CHECK(t.cpu.s.gpr[RCX] == 0xAAAA);  // and back in A, A's page is untouched
        CHECK(t.get64(kData) == 0xAAAA);
    }
}

TEST_CASE("CR3 with PCID no-flush: a CPL 3 read after the switch sees the new space (the user host TLB)") {
    SysMachine t;
    const u64 b = t.clone_space(kSpaceB);
    t.map(b, kData, kDataB);
    t.put64(kData, 0xAAAA);
    t.put64(kDataB, 0xBBBB);
    enable_pcid(t, 1);
    // User: mov rax, [rbx]; int3 (the #BP handler halts at CPL 0).
    t.gate(BP, SysMachine::kHandlers + BP * 16, 3, 0);
    t.code(SysMachine::kUserCode, {0x48, 0x8B, 0x03, 0xCC});
    t.enter_user(SysMachine::kUserCode, SysMachine::kUserStack);
    t.cpu.s.gpr[RBX] = kData;
    t.run();
    REQUIRE(t.in_handler(BP));
    CHECK(t.cpu.s.gpr[RAX] == 0xAAAA);
    // Kernel: mov cr3, rdi; hlt.
    t.code(SysMachine::kKernelCode, {0x0F, 0x22, 0xDF, 0xF4});
    restart(t, SysMachine::kKernelCode);
    t.cpu.s.gpr[RDI] = b | 2 | kBit63;
    REQUIRE(t.run().reason == StopReason::Halt);
    t.enter_user(SysMachine::kUserCode, SysMachine::kUserStack);
    t.cpu.halted = false;
    t.run();
    REQUIRE(t.in_handler(BP));
    CHECK(t.cpu.s.gpr[RAX] == 0xBBBB);
}

TEST_CASE("CR3: code at the same linear address runs per space, with and without PCID no-flush") {
    struct Case {
        const char* name;
        bool pcid, keep;
    };
    for (Case c : {Case{"no PCIDs", false, false}, Case{"PCIDs, flush", true, false},
                   Case{"PCIDs, bit 63 (no flush)", true, true}}) {
        CAPTURE(c.name);
        SysMachine t;
        const u64 b = t.clone_space(kSpaceB);
        t.map(b, kFunc, kFuncB);
        put_func(t, kFunc, 0xA);
        put_func(t, kFuncB, 0xB);
        if (c.pcid) enable_pcid(t, 1);
        //    mov ecx, 100
        // L: mov cr3, rdi; call kFunc; add rbx, rax
        //    mov cr3, rsi; call kFunc; add rdx, rax
        //    dec ecx; jnz L; hlt
        const u64 k = SysMachine::kKernelCode;
        t.code(k, {0xB9, 100, 0, 0, 0, 0x0F, 0x22, 0xDF, 0, 0, 0, 0, 0, 0x48, 0x01, 0xC3, 0x0F, 0x22, 0xDE, 0, 0, 0,
                   0, 0, 0x48, 0x01, 0xC2, 0xFF, 0xC9, 0x75, 0xE6, 0xF4});
        put_call(t, k + 8, kFunc);
        put_call(t, k + 19, kFunc);
        t.cpu.s.rip = k;
        t.cpu.s.gpr[RDI] = b | (c.pcid ? 2 : 0) | (c.keep ? kBit63 : 0);
        t.cpu.s.gpr[RSI] = SysMachine::kPml4 | (c.pcid ? 1 : 0) | (c.keep ? kBit63 : 0);
        REQUIRE(t.run(1'000'000).reason == StopReason::Halt);
        CHECK(t.cpu.s.rip == k + 32);
        CHECK(t.cpu.s.gpr[RBX] == 100 * 0xB);
        CHECK(t.cpu.s.gpr[RDX] == 100 * 0xA);
    }
}

TEST_CASE("SMP: two CPUs sharing one decode cache never run each other's code at the same linear address") {
    SysMachine t;
    const u64 b = t.clone_space(kSpaceB);
    t.map(b, kFunc, kFuncB);
    put_func(t, kFunc, 0xA);
    put_func(t, kFuncB, 0xB);
    // Shared code (same physical page in both spaces):
    //    mov cr3, rdi; mov ecx, 100
    // L: call kFunc; add rbx, rax; dec ecx; jnz L; hlt
    const u64 k = SysMachine::kKernelCode;
    t.code(k, {0x0F, 0x22, 0xDF, 0xB9, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x01, 0xC3, 0xFF, 0xC9, 0x75, 0xF4, 0xF4});
    put_call(t, k + 8, kFunc);
    // The second CPU is set up exactly like the first, so everything it counts
    // (cycles, instructions, TLB flushes) stays equal to the first's.
    Cpu& a = t.cpu;
    Cpu second(t.m.bus, t.m.code);
    t.init_cpu(second);
    auto start = [&](Cpu& c, u64 cr3, u64 rsp) {
        c.halted = false;
        c.s.rip = k;
        c.s.gpr[RDI] = cr3;
        c.s.gpr[RBX] = 0;
        c.s.gpr[RSP] = rsp;
    };
    SUBCASE("one after the other") {
        start(a, SysMachine::kPml4, 0x60000);
        start(second, b, 0x58000);
        REQUIRE(a.run(a.cycles + 1'000'000).reason == StopReason::Halt);
        REQUIRE(second.run(second.cycles + 1'000'000).reason == StopReason::Halt);
    }
    SUBCASE("alternating in short slices") {
        start(a, SysMachine::kPml4, 0x60000);
        start(second, b, 0x58000);
        for (int n = 0; n < 100000 && !(a.halted && second.halted); ++n) {
            Cpu& c = n % 2 ? second : a;
            if (!c.halted) c.run(c.cycles + 7 + n % 13);
        }
        REQUIRE(a.halted);
        REQUIRE(second.halted);
    }
    CHECK(a.s.rip == k + 21);
    CHECK(second.s.rip == k + 21);
    CHECK(a.s.gpr[RBX] == 100 * 0xA);
    CHECK(second.s.gpr[RBX] == 100 * 0xB);
}

TEST_CASE("a straddling instruction runs the bytes its second page maps now") {
    // mov eax, 0x11223344 at kStraddle: B8 44 | 33 22 11, then ret on the next page.
    constexpr u64 kStraddle = 0x170FFE, kSecond = 0x171000, kOther = 0x181000;
    SysMachine t;
    t.code(kStraddle, {0xB8, 0x44, 0x33, 0x22, 0x11, 0xC3});
    t.code(kOther, {0x77, 0x66, 0x55, 0xC3});  // other bytes for the second page: imm 0x55667744
    const u64 k = SysMachine::kKernelCode;
    t.code(k, {0xFF, 0xD6, 0xF4});  // call rsi; hlt
    t.cpu.s.rip = k;
    t.cpu.s.gpr[RSI] = kStraddle;
    REQUIRE(t.run().reason == StopReason::Halt);
    REQUIRE(t.cpu.s.gpr[RAX] == 0x11223344);

    SUBCASE("remapped, then INVLPG") {
        t.set_pte(kSecond, kOther | 3);
        t.code(k + 0x100, {0x0F, 0x01, 0x3F, 0xFF, 0xD6, 0xF4});  // invlpg [rdi]; call rsi; hlt
        restart(t, k + 0x100);
        t.cpu.s.gpr[RDI] = kSecond;
        REQUIRE(t.run().reason == StopReason::Halt);
        CHECK(t.cpu.s.gpr[RAX] == 0x55667744);
    }
    SUBCASE("another address space maps the second page elsewhere") {
        const u64 b = t.clone_space(kSpaceB);
        t.map(b, kSecond, kOther);
        t.code(k + 0x100, {0x0F, 0x22, 0xDF, 0xFF, 0xD6, 0xF4});  // mov cr3, rdi; call rsi; hlt
        restart(t, k + 0x100);
        t.cpu.s.gpr[RDI] = b;
        REQUIRE(t.run().reason == StopReason::Halt);
        CHECK(t.cpu.s.gpr[RAX] == 0x55667744);
    }
    SUBCASE("the second page unmapped: #PF on the fetch, CR2 = the second page") {
        t.set_pte(kSecond, 0);
        t.code(k + 0x100, {0x0F, 0x01, 0x3F, 0xFF, 0xD6, 0xF4});  // invlpg [rdi]; call rsi; hlt
        restart(t, k + 0x100);
        t.cpu.s.gpr[RDI] = kSecond;
        t.cpu.s.gpr[RAX] = 0;
        t.run();
        REQUIRE(t.in_handler(PF_));
        CHECK(t.cpu.sys.cr2 == kSecond);
        const u64 top = 0x60000 - 16;  // the CALL's return address sits at 0x5FFF8; aligned down
        CHECK(t.get64(top - 48) == 0x10);       // error code: not present, supervisor, instruction fetch
        CHECK(t.get64(top - 40) == kStraddle);  // RIP: the straddling instruction
        CHECK(t.cpu.s.gpr[RAX] == 0);
    }
}

TEST_CASE("TLB: after INVLPG, INVPCID of each type or a CR4.PGE toggle the new mapping is used") {
    constexpr u64 kDesc = 0x158000;  // the INVPCID descriptor: PCID, linear address
    struct Case {
        const char* name;
        bool global;
        std::initializer_list<u8> code;  // invalidates, then mov rdx, [rcx]; hlt
        u64 type;                        // INVPCID type in RAX
    };
    const std::initializer_list<u8> invpcid = {0x66, 0x0F, 0x38, 0x82, 0x03, 0x48, 0x8B, 0x11, 0xF4};
    // mov rax,cr4; xor rax,0x80; mov cr4,rax; xor rax,0x80; mov cr4,rax; mov rdx,[rcx]; hlt
    const std::initializer_list<u8> pge = {0x0F, 0x20, 0xE0, 0x48, 0x35, 0x80, 0, 0, 0, 0x0F, 0x22, 0xE0, 0x48,
                                           0x35, 0x80, 0, 0, 0, 0x0F, 0x22, 0xE0, 0x48, 0x8B, 0x11, 0xF4};
    const std::initializer_list<u8> invlpg = {0x0F, 0x01, 0x39, 0x48, 0x8B, 0x11, 0xF4};  // invlpg [rcx]
    for (Case c : {Case{"INVLPG", false, invlpg, 0}, Case{"INVLPG, global page", true, invlpg, 0},
                   Case{"INVPCID individual address", false, invpcid, 0},
                   Case{"INVPCID single context", false, invpcid, 1},
                   Case{"INVPCID all contexts, global page", true, invpcid, 2},
                   Case{"INVPCID all but global", false, invpcid, 3},
                   Case{"CR4.PGE toggle, global page", true, pge, 0}}) {
        CAPTURE(c.name);
        SysMachine t;
        enable_pcid(t, 1);
        const u64 g = c.global ? 0x100 : 0;
        t.set_pte(kData, kData | 3 | g);
        t.put64(kData, 0xAAAA);
        t.put64(kDataB, 0xBBBB);
        t.put64(kDesc, 1);  // PCID 1
        t.put64(kDesc + 8, kData);
        CHECK(t.cpu.read<u64>(kData) == 0xAAAA);  // the translation is now cached
        t.set_pte(kData, kDataB | 3 | g);         // remapped without invalidation
        t.code(SysMachine::kKernelCode, c.code);
        t.cpu.s.rip = SysMachine::kKernelCode;
        t.cpu.s.gpr[RAX] = c.type;
        t.cpu.s.gpr[RBX] = kDesc;
        t.cpu.s.gpr[RCX] = kData;
        REQUIRE(t.run().reason == StopReason::Halt);
        CHECK(t.cpu.s.gpr[RDX] == 0xBBBB);
    }
}

TEST_CASE("TLB: code remapped at the same linear address runs after INVLPG, INVPCID or a CR4.PGE toggle") {
    struct Case {
        const char* name;
        bool global;  // INVPCID single-context need not drop global entries
        std::initializer_list<u8> invalidate;
    };
    for (Case c : {Case{"INVLPG, global page", true, {0x0F, 0x01, 0x3F}},  // invlpg [rdi]
                   Case{"INVPCID single context", false, {0x66, 0x0F, 0x38, 0x82, 0x03}},  // invpcid rax, [rbx]
                   Case{"CR4.PGE toggle, global page", true,
                        {0x0F, 0x20, 0xE0, 0x48, 0x35, 0x80, 0, 0, 0, 0x0F, 0x22, 0xE0, 0x48, 0x35, 0x80, 0, 0, 0,
                         0x0F, 0x22, 0xE0}}}) {
        CAPTURE(c.name);
        SysMachine t;
        enable_pcid(t, 1);
        put_func(t, kFunc, 0xA);
        put_func(t, kFuncB, 0xB);
        const u64 g = c.global ? 0x100 : 0;
        t.set_pte(kFunc, kFunc | 3 | g);
        const u64 k = SysMachine::kKernelCode;
        // First run: call kFunc; hlt. Its translation and decoded block are cached.
        t.code(k, {0, 0, 0, 0, 0, 0xF4});
        put_call(t, k, kFunc);
        t.cpu.s.rip = k;
        REQUIRE(t.run().reason == StopReason::Halt);
        REQUIRE(t.cpu.s.gpr[RAX] == 0xA);
        // Remap kFunc to B's function, then: <invalidate>; call kFunc; hlt.
        t.set_pte(kFunc, kFuncB | 3 | g);
        t.put64(0x158000, 1);  // INVPCID descriptor: PCID 1
        t.put64(0x158008, 0);
        const u64 at = k + 0x100;
        const size_t n = c.invalidate.size();
        std::copy(c.invalidate.begin(), c.invalidate.end(), t.m.bus.ram.begin() + at);
        put_call(t, at + n, kFunc);
        t.m.bus.ram[at + n + 5] = 0xF4;
        t.cpu.code_cache().invalidate_page(at >> 12);
        restart(t, at);
        t.cpu.s.gpr[RAX] = 1;  // INVPCID type 1: single context
        t.cpu.s.gpr[RBX] = 0x158000;
        t.cpu.s.gpr[RDI] = kFunc;
        REQUIRE(t.run().reason == StopReason::Halt);
        CHECK(t.cpu.s.gpr[RAX] == 0xB);
    }
}

TEST_CASE("PCID: MOV to CR3 with bit 63 clear drops the new PCID's entries, other PCIDs' stay tagged") {
    // SDM Vol. 3A 4.10.4.1: with CR4.PCIDE = 1 and bit 63 clear, MOV to CR3
    // invalidates the non-global entries of the PCID it loads.
    SysMachine t;
    enable_pcid(t, 1);
    t.put64(kData, 0xAAAA);
    t.put64(kDataB, 0xBBBB);
    CHECK(t.cpu.read<u64>(kData) == 0xAAAA);
    t.set_pte(kData, kDataB | 3);
    // mov cr3, rdi (PCID 1, bit 63 clear); mov rdx, [rcx]; hlt
    t.code(SysMachine::kKernelCode, {0x0F, 0x22, 0xDF, 0x48, 0x8B, 0x11, 0xF4});
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.gpr[RDI] = SysMachine::kPml4 | 1;
    t.cpu.s.gpr[RCX] = kData;
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.cpu.s.gpr[RDX] == 0xBBBB);
}
