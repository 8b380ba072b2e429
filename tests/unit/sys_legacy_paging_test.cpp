// 32-bit protected mode: PAE and 32-bit paging, the #PF I/D bit, and legacy
// interrupt frames whose slots cross a page boundary. Expected values: SDM
// Vol. 3A 4.4.1 (PAE PDPTE registers: loaded by MOV to CR3 and by MOV to
// CR0/CR4 that enable PAE paging; a present PDPTE with a reserved bit set makes
// the MOV #GP(0); Table 4-8: bits 2:1 and 8:5 of a PDPTE are reserved, so the
// processor never sets an accessed bit there), 4.7 (I/D is set for a fetch when
// CR4.SMEP = 1, or when PAE or 4-level paging is in use and IA32_EFER.NXE = 1),
// 6.12.1 and Figure 6-4 (the 32-bit frame: EFLAGS, CS, EIP [, error code];
// 16-bit gates push 2-byte slots).
#include <doctest/doctest.h>

#include "sys_legacy_support.h"

using namespace sy;
using test::Legacy32Machine;
using Paging = Legacy32Machine::Paging;

namespace {
constexpr u64 kPage = 0x150000;

// Jumps to `target` (mov eax, target; jmp eax) and returns the #PF error code,
// or ~0 when no #PF was delivered.
u64 fetch_fault(Legacy32Machine& t, u32 target) {
    t.code(Legacy32Machine::kCode, {0xB8, u8(target), u8(target >> 8), u8(target >> 16), u8(target >> 24), 0xFF, 0xE0});
    t.cpu.s.rip = Legacy32Machine::kCode;
    t.run();
    if (!t.in_handler(PF_)) return ~0ull;
    CHECK(t.cpu.sys.cr2 == target);
    return t.get32(Legacy32Machine::kStack - 16);  // EFLAGS, CS, EIP, error code
}
}  // namespace

TEST_CASE("PAE paging: thousands of walks, and the walker never writes a PDPTE") {
    Legacy32Machine t;
    t.enable_paging(Paging::Pae);
    REQUIRE(t.cpu.s.rip == Legacy32Machine::kSetup + 25);  // the setup reached its HLT
    REQUIRE(t.cpu.mode() == Mode::Prot32);
    t.put32(kPage, 7);
    //    mov ebx, kPage; mov edx, kDir; mov ecx, 5000
    // L: mov eax, [ebx]; add esi, eax; mov cr3, edx (every read walks again); dec ecx; jnz L; hlt
    const u32 dir = static_cast<u32>(Legacy32Machine::kDir);
    t.code(Legacy32Machine::kCode, {0xBB, 0x00, 0x00, 0x15, 0x00, 0xBA, u8(dir), u8(dir >> 8), u8(dir >> 16), 0x00,
                                    0xB9, 0x88, 0x13, 0x00, 0x00, 0x8B, 0x03, 0x01, 0xC6, 0x0F, 0x22, 0xDA, 0x49,
                                    0x75, 0xF6, 0xF4});
    t.cpu.s.rip = Legacy32Machine::kCode;
    t.cpu.s.gpr[RSI] = 0;
    REQUIRE(t.run(10'000'000).reason == StopReason::Halt);
    CHECK(t.cpu.s.rip == Legacy32Machine::kCode + 26);
    CHECK(t.cpu.s.gpr[RSI] == 5000 * 7);
    CHECK(t.get64(Legacy32Machine::kDir) == (Legacy32Machine::kPd | 1));  // PDPTE unchanged: no A bit
    CHECK((t.get64(Legacy32Machine::kPd) & 0x20) != 0);                   // PDE accessed
    CHECK((t.get64(t.pte_addr(kPage)) & 0x20) != 0);                      // PTE accessed
}

TEST_CASE("PAE paging: the PDPTEs are registers loaded by MOV to CR3") {
    Legacy32Machine t;
    t.enable_paging(Paging::Pae);
    // A second page directory whose entry 0 maps 0-2 MiB through a page table
    // that sends kPage to kPage + 0x10000.
    constexpr u64 kPd2 = 0x14000, kPt2 = 0x15000;
    std::memcpy(&t.m.bus.ram[kPt2], &t.m.bus.ram[Legacy32Machine::kPt], 0x1000);
    t.put64(kPt2 + (kPage >> 12) * 8, (kPage + 0x10000) | 3);
    t.put64(kPd2, kPt2 | 7);
    t.put64(kPd2 + 8, (Legacy32Machine::kPt + 0x1000) | 7);
    t.put32(kPage, 1);
    t.put32(kPage + 0x10000, 2);
    t.put64(Legacy32Machine::kDir, kPd2 | 1);  // PDPTE 0 rewritten in memory only
    // invlpg [ebx]; mov eax, [ebx]; mov cr3, edx; mov ecx, [ebx]; hlt
    t.code(Legacy32Machine::kCode, {0x0F, 0x01, 0x3B, 0x8B, 0x03, 0x0F, 0x22, 0xDA, 0x8B, 0x0B, 0xF4});
    t.cpu.s.rip = Legacy32Machine::kCode;
    t.cpu.s.gpr[RBX] = kPage;
    t.cpu.s.gpr[RDX] = Legacy32Machine::kDir;
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.cpu.s.gpr[RAX] == 1);  // INVLPG does not reload the PDPTE registers
    CHECK(t.cpu.s.gpr[RCX] == 2);  // MOV to CR3 does
}

TEST_CASE("PAE paging: MOV to CR3 with a reserved bit in a present PDPTE is #GP(0) and loads nothing") {
    Legacy32Machine t;
    t.enable_paging(Paging::Pae);
    constexpr u64 kBadPdpt = 0x10100;
    t.put64(kBadPdpt, Legacy32Machine::kPd | 1 | 2);  // bit 1 (R/W) is reserved in a PDPTE
    t.code(Legacy32Machine::kCode, {0x0F, 0x22, 0xDA, 0xF4});  // mov cr3, edx; hlt
    t.cpu.s.rip = Legacy32Machine::kCode;
    t.cpu.s.gpr[RDX] = kBadPdpt;
    t.run();
    REQUIRE(t.in_handler(GP));
    CHECK(t.get32(Legacy32Machine::kStack - 16) == 0);  // error code
    CHECK(t.get32(Legacy32Machine::kStack - 12) == Legacy32Machine::kCode);
    CHECK(t.cpu.sys.cr3 == Legacy32Machine::kDir);
    t.put32(kPage, 9);
    CHECK(t.cpu.read<u32>(kPage) == 9);  // the old PDPTEs still translate
}

TEST_CASE("#PF I/D: set for fetches under SMEP in every paging mode, under NXE only with PAE") {
    SUBCASE("32-bit paging, SMEP: I/D") {
        Legacy32Machine t;
        t.enable_paging(Paging::Bits32, cr4::SMEP);
        t.set_pte(kPage, 0);
        CHECK(fetch_fault(t, kPage) == 0x10);
    }
    SUBCASE("32-bit paging, no SMEP, EFER.NXE: no I/D (NXE has no effect without PAE)") {
        Legacy32Machine t;
        t.enable_paging(Paging::Bits32);
        t.cpu.sys.efer |= efer::NXE;
        t.cpu.flush_tlb();
        t.set_pte(kPage, 0);
        CHECK(fetch_fault(t, kPage) == 0);
    }
    SUBCASE("PAE paging, neither NXE nor SMEP: no I/D") {
        Legacy32Machine t;
        t.enable_paging(Paging::Pae);
        t.set_pte(kPage, 0);
        CHECK(fetch_fault(t, kPage) == 0);
    }
    SUBCASE("PAE paging, NXE: I/D") {
        Legacy32Machine t;
        t.enable_paging(Paging::Pae);
        t.cpu.sys.efer |= efer::NXE;
        t.cpu.flush_tlb();
        t.set_pte(kPage, 0);
        CHECK(fetch_fault(t, kPage) == 0x10);
    }
    SUBCASE("PAE paging, SMEP, a supervisor fetch from a user page: P and I/D") {
        Legacy32Machine t;
        t.enable_paging(Paging::Pae, cr4::SMEP);
        t.set_pte(kPage, kPage | 7);
        CHECK(fetch_fault(t, kPage) == (1 | 0x10));
    }
}

TEST_CASE("legacy interrupt frames: a slot that crosses a page boundary is written whole") {
    struct Case {
        const char* name;
        Paging paging;
        u8 gate_type;  // 0xE: 32-bit interrupt gate, 0x6: 16-bit
        u64 esp;       // the first slot (EFLAGS) crosses 0x50000
    };
    for (Case c : {Case{"32-bit gate, paging off", Paging::None, 0xE, 0x50002},
                   Case{"16-bit gate, paging off", Paging::None, 0x6, 0x50001},
                   Case{"32-bit gate, PAE paging, pages apart", Paging::Pae, 0xE, 0x50002},
                   Case{"16-bit gate, 32-bit paging, pages apart", Paging::Bits32, 0x6, 0x50001}}) {
        CAPTURE(c.name);
        Legacy32Machine t;
        // With paging, the two linear pages of the frame live in physical
        // pages far apart (and in the opposite order).
        u64 lo_page = 0x4F000, hi_page = 0x50000;
        if (c.paging != Paging::None) {
            t.enable_paging(c.paging);
            lo_page = 0x90000;
            hi_page = 0x70000;
            t.set_pte(0x4F000, lo_page | 3);
            t.set_pte(0x50000, hi_page | 3);
        }
        t.gate(0x30, Legacy32Machine::kHandlers + 0x30 * 16, c.gate_type);
        t.code(Legacy32Machine::kCode, {0xCD, 0x30});  // int 0x30
        t.cpu.s.rip = Legacy32Machine::kCode;
        t.cpu.s.gpr[RSP] = c.esp;
        t.cpu.s.rflags = fl::FIXED1 | fl::CF | fl::ZF | fl::IF;
        const u64 flags = t.cpu.s.rflags;
        t.run();
        REQUIRE(t.in_handler(0x30));
        const unsigned w = c.gate_type == 0xE ? 4 : 2;
        CHECK(t.cpu.s.gpr[RSP] == c.esp - 3 * w);
        // The EFLAGS slot: its first bytes at the end of the lower page, the
        // rest at the start of the upper one.
        const unsigned below = static_cast<unsigned>(0x50000 - (c.esp - w));
        u64 got = 0;
        for (unsigned k = 0; k < w; ++k) {
            u64 pa = k < below ? lo_page + 0x1000 - below + k : hi_page + (k - below);
            got |= u64{t.m.bus.ram[pa]} << (8 * k);
        }
        CHECK(got == (flags & (w == 4 ? 0xFFFFFFFFull : 0xFFFFull)));
        // CS and EIP below it, inside the lower page.
        const u64 cs_at = lo_page + 0x1000 - below - w, ip_at = cs_at - w;
        CHECK(t.get16(cs_at) == Legacy32Machine::kCs);
        const u64 ip_mask = w == 4 ? 0xFFFFFFFFull : 0xFFFFull;
        CHECK((w == 4 ? t.get32(ip_at) : t.get16(ip_at)) == ((Legacy32Machine::kCode + 2) & ip_mask));
    }
}

TEST_CASE("legacy delivery: an IDT gate that crosses a page boundary is read whole") {
    Legacy32Machine t;
    constexpr u64 kIdt = 0x5FFE;  // gate 0 spans 0x5FFE-0x6005
    for (unsigned v = 0; v < 256; ++v) t.gate(v, Legacy32Machine::kHandlers + v * 16, 0xE, kIdt);
    t.cpu.sys.idtr = {kIdt, 256 * 8 - 1};
    t.code(Legacy32Machine::kCode, {0xCD, 0x00});  // int 0
    t.cpu.s.rip = Legacy32Machine::kCode;
    t.run();
    CHECK(t.in_handler(0));
}
