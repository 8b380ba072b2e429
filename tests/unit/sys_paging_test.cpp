// 4-level paging: walks, rights, #PF error codes, A/D bits and the TLB.
// Expected values: SDM Vol. 3A, 4.5 (4-level paging, 2 MiB/1 GiB pages), 4.6
// (access rights: U/S, R/W with CR0.WP, NX with EFER.NXE, SMEP, SMAP with
// RFLAGS.AC), 4.7 (#PF error code: P=1, W/R=2, U/S=4, RSVD=8, I/D=16; CR2 = the
// linear address), 4.8 (accessed and dirty flags), 4.10.4 (TLB invalidation:
// MOV to CR3 keeps global entries; INVLPG drops the page).
#include <doctest/doctest.h>

#include "sys_support.h"

using namespace sy;
using test::SysMachine;

namespace {
constexpr u64 kPage = 0x150000;  // a test page inside the identity map

// Runs `code` at CPL `cpl` and returns the #PF error code (or ~0 if no #PF).
u64 pf_error(SysMachine& t, std::initializer_list<u8> code, u8 cpl) {
    u64 at = cpl == 3 ? SysMachine::kUserCode : SysMachine::kKernelCode;
    t.code(at, code);
    if (cpl == 3) t.enter_user(at, SysMachine::kUserStack);
    else t.cpu.s.rip = at;
    t.cpu.s.gpr[RBX] = kPage + 0x10;
    t.run();
    if (!t.in_handler(PF_)) return ~0ull;
    const u64 top = cpl == 3 ? SysMachine::kRsp0 : 0x60000;
    return t.get64(top - 48);
}
const std::initializer_list<u8> kRead = {0x48, 0x8B, 0x03};   // mov rax, [rbx]
const std::initializer_list<u8> kWrite = {0x48, 0x89, 0x03};  // mov [rbx], rax
}  // namespace

TEST_CASE("paging: a not-present page faults with P=0 and CR2 = the address") {
    SysMachine t;
    t.set_pte(kPage, 0);
    CHECK(pf_error(t, kRead, 0) == 0);
    CHECK(t.cpu.sys.cr2 == kPage + 0x10);
    SysMachine u;
    u.set_pte(kPage, 0);
    CHECK(pf_error(u, kWrite, 3) == (2 | 4));
}

TEST_CASE("paging: writes to a read-only page: user always faults, supervisor only with CR0.WP") {
    SysMachine t;
    t.set_pte(kPage, kPage | 5);  // P, U, read-only
    CHECK(pf_error(t, kWrite, 3) == (1 | 2 | 4));
    SysMachine k;
    k.set_pte(kPage, kPage | 5);
    CHECK(pf_error(k, kWrite, 0) == (1 | 2));
    SysMachine nowp;
    nowp.set_pte(kPage, kPage | 5);
    nowp.cpu.sys.cr0 &= ~cr0::WP;
    nowp.cpu.flush_tlb();
    CHECK(pf_error(nowp, kWrite, 0) == ~0ull);  // allowed
}

TEST_CASE("paging: user access to a supervisor page faults with P|U") {
    SysMachine t;
    t.set_pte(kPage, kPage | 3);  // P, RW, supervisor
    CHECK(pf_error(t, kRead, 3) == (1 | 4));
}

TEST_CASE("paging: NX fetch faults with P|I/D, reserved bits fault with P|RSVD") {
    SysMachine t;
    // Jump to code on a page marked NX.
    t.set_pte(kPage, kPage | 3 | (1ull << 63));
    t.code(kPage, {0x90});
    t.code(SysMachine::kKernelCode, {0x48, 0x89, 0xD8, 0xFF, 0xE0});  // mov rax, rbx; jmp rax
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.gpr[RBX] = kPage;
    t.run();
    REQUIRE(t.in_handler(PF_));
    CHECK(t.get64(0x60000 - 48) == (1 | 16));
    CHECK(t.cpu.sys.cr2 == kPage);
    CHECK(t.get64(0x60000 - 40) == kPage);  // the fetch faults at the target

    SysMachine r;
    r.set_pte(kPage, kPage | 3 | (1ull << 45));  // bit 45: above MAXPHYADDR (40)
    CHECK(pf_error(r, kRead, 0) == (1 | 8));
}

TEST_CASE("paging: SMEP stops supervisor fetches from user pages, SMAP data accesses unless AC") {
    SysMachine t;
    t.supervisor_pages_except({kPage});
    t.cpu.sys.cr4 |= cr4::SMEP | cr4::SMAP;
    t.cpu.flush_tlb();
    CHECK(pf_error(t, kRead, 0) == 1);  // supervisor read of a user page with AC = 0
    SysMachine ac;
    ac.supervisor_pages_except({kPage});
    ac.cpu.sys.cr4 |= cr4::SMAP;
    ac.cpu.flush_tlb();
    ac.cpu.s.rflags |= fl::AC;
    CHECK(pf_error(ac, kRead, 0) == ~0ull);
    SysMachine smep;
    smep.supervisor_pages_except({kPage});
    smep.cpu.sys.cr4 |= cr4::SMEP;
    smep.cpu.flush_tlb();
    smep.code(SysMachine::kKernelCode, {0x48, 0x89, 0xD8, 0xFF, 0xE0});
    smep.code(kPage, {0x90});
    smep.cpu.s.rip = SysMachine::kKernelCode;
    smep.cpu.s.gpr[RBX] = kPage;
    smep.run();
    REQUIRE(smep.in_handler(PF_));
    CHECK(smep.get64(0x60000 - 48) == (1 | 16));
}

TEST_CASE("paging: the walker sets A on every level and D on the leaf for a write") {
    SysMachine t;
    t.set_pte(kPage, kPage | 7);
    t.put64(SysMachine::kPml4, SysMachine::kPdpt | 7);
    pf_error(t, kRead, 0);
    CHECK((t.get64(t.pte_addr(kPage)) & 0x60) == 0x20);  // A, not D
    CHECK((t.get64(SysMachine::kPml4) & 0x20) != 0);
    SysMachine w;
    w.set_pte(kPage, kPage | 7);
    pf_error(w, kWrite, 0);
    CHECK((w.get64(w.pte_addr(kPage)) & 0x60) == 0x60);
}

TEST_CASE("paging: a faulting access sets no accessed bit") {
    SysMachine t;
    t.set_pte(kPage, kPage | 5);  // read-only user page
    pf_error(t, kWrite, 3);
    CHECK((t.get64(t.pte_addr(kPage)) & 0x60) == 0);
}

TEST_CASE("paging: 2 MiB and 1 GiB pages translate") {
    SysMachine t;
    // PDPT[1] -> 1 GiB page at 0 (maps 0x40000000.. to physical 0); PD[2] -> 2 MiB page at 0x200000.
    t.put64(SysMachine::kPdpt + 8, 0x0 | 0x83);
    t.put64(SysMachine::kPd + 2 * 8, 0x200000 | 0x83);
    u64 v = 0x1122334455667788;
    t.put64(0x1234, v);
    t.put64(0x200000 + 0x5678, ~v);
    t.code(SysMachine::kKernelCode, {0x48, 0x8B, 0x03, 0x48, 0x8B, 0x09, 0xF4});  // mov rax,[rbx]; mov rcx,[rcx]; hlt
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.gpr[RBX] = 0x40000000 + 0x1234;
    t.cpu.s.gpr[RCX] = 0x400000 + 0x5678;  // PD[2] covers 0x400000-0x5FFFFF
    t.run();
    CHECK(t.cpu.s.gpr[RAX] == v);
    CHECK(t.cpu.s.gpr[RCX] == ~v);
}

TEST_CASE("paging: MOV to CR3 keeps global translations and drops the others, INVLPG drops one") {
    SysMachine t;
    const u64 g = 0x151000, ng = 0x152000, other = 0x153000;
    t.put64(other, 0xAAAA);
    t.put64(g, 1);
    t.put64(ng, 2);
    t.set_pte(g, g | 3 | 0x100);  // global
    t.set_pte(ng, ng | 3);
    // Prime the TLB, then retarget both PTEs to `other` without INVLPG.
    t.cpu.read<u64>(g);
    t.cpu.read<u64>(ng);
    t.set_pte(g, other | 3 | 0x100);
    t.set_pte(ng, other | 3);
    // mov rax, cr3; mov cr3, rax; mov rdx, [rbx]; mov rsi, [rcx]; hlt
    t.code(SysMachine::kKernelCode, {0x0F, 0x20, 0xD8, 0x0F, 0x22, 0xD8, 0x48, 0x8B, 0x13, 0x48, 0x8B, 0x31, 0xF4});
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.gpr[RBX] = g;
    t.cpu.s.gpr[RCX] = ng;
    t.run();
    CHECK(t.cpu.s.gpr[RDX] == 1);       // the global entry survived: old translation
    CHECK(t.cpu.s.gpr[RSI] == 0xAAAA);  // the non-global one was dropped: new translation
    // INVLPG drops the global entry too.
    t.code(SysMachine::kKernelCode, {0x0F, 0x01, 0x3B, 0x48, 0x8B, 0x13, 0xF4});  // invlpg [rbx]; mov rdx,[rbx]; hlt
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.halted = false;
    t.run();
    CHECK(t.cpu.s.gpr[RDX] == 0xAAAA);
}

TEST_CASE("paging: a read-modify-write that faults on its write changes nothing") {
    SysMachine t;
    t.set_pte(kPage, kPage | 5);  // user read-only
    t.put64(kPage + 0x10, 41);
    t.code(SysMachine::kUserCode, {0x48, 0xFF, 0x03});  // inc qword [rbx]
    t.enter_user(SysMachine::kUserCode, SysMachine::kUserStack);
    t.cpu.s.gpr[RBX] = kPage + 0x10;
    u64 flags = t.cpu.s.rflags;
    t.run();
    REQUIRE(t.in_handler(PF_));
    CHECK(t.get64(kPage + 0x10) == 41);
    // RFLAGS as before the instruction, with RF set as for every fault (SDM Vol. 3A, 17.3.1.1).
    CHECK(t.get64(SysMachine::kRsp0 - 24) == (flags | fl::RF));
}
