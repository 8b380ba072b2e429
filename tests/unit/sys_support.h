// A 64-bit system environment for system-architecture tests: a GDT laid out as
// Linux lays it out, an IDT whose every vector points at a HLT, a 64-bit TSS
// with RSP0 and IST1, and 4-level page tables identity-mapping the first 4 MiB
// with 4 KiB pages (user, writable). Exceptions are delivered through the IDT.
#pragma once
#include <cstring>
#include <vector>

#include "support.h"

namespace sy::test {

// An interrupt controller with a queue of vectors to raise, one at a time, each
// once; `nmi` pending NMIs come first when the CPU takes NMIs.
struct TestPic : InterruptSource {
    std::vector<u8> vectors;
    int nmi = 0;
    int acks = 0;
    bool has_nmi() override { return nmi > 0; }
    void ack_nmi() override { --nmi; }
    bool has_interrupt() override { return !vectors.empty(); }
    u8 acknowledge() override {
        u8 v = vectors.front();
        vectors.erase(vectors.begin());
        ++acks;
        return v;
    }
};

struct SysMachine {
    static constexpr u64 kGdt = 0x1000, kIdt = 0x2000, kTss = 0x3000;
    static constexpr u64 kPml4 = 0x10000, kPdpt = 0x11000, kPd = 0x12000, kPt = 0x13000;  // kPt..+2 pages
    static constexpr u64 kKernelCode = 0x20000, kHandlers = 0x21000, kUserCode = 0x30000;
    static constexpr u64 kUserStack = 0x70000, kRsp0 = 0x80000, kIst1 = 0x90000;
    static constexpr u16 kKernelCs = 0x10, kKernelDs = 0x18, kUserCs32 = 0x23, kUserDs = 0x2B, kUserCs = 0x33,
                         kTssSel = 0x40;

    Machine m{4 << 20};
    Cpu& cpu = m.cpu;

    SysMachine() {
        put64(kGdt + 0x10, 0x00AF9A000000FFFF);  // kernel code, 64-bit
        put64(kGdt + 0x18, 0x00CF92000000FFFF);  // kernel data
        put64(kGdt + 0x20, 0x00CFFA000000FFFF);  // user code, 32-bit
        put64(kGdt + 0x28, 0x00CFF2000000FFFF);  // user data
        put64(kGdt + 0x30, 0x00AFFA000000FFFF);  // user code, 64-bit
        put64(kGdt + 0x40, 0x67 | (kTss << 16) | (0x89ull << 40));  // 64-bit TSS, available
        put64(kGdt + 0x48, 0);
        put64(kTss + 4, kRsp0);   // RSP0
        put64(kTss + 0x24, kIst1);  // IST1
        put16(kTss + 0x66, 0x68);   // I/O map base: past the limit (no bitmap)
        for (unsigned v = 0; v < 256; ++v) {
            gate(v, kHandlers + v * 16, 0, 0);
            m.bus.ram[kHandlers + v * 16] = 0xF4;  // hlt
        }
        // Page tables: PML4[0] -> PDPT[0] -> PD[0..1] -> two page tables of 4 KiB pages.
        put64(kPml4, kPdpt | 7);
        put64(kPdpt, kPd | 7);
        for (u64 t = 0; t < 2; ++t) {
            put64(kPd + t * 8, (kPt + t * 0x1000) | 7);
            for (u64 k = 0; k < 512; ++k) put64(kPt + t * 0x1000 + k * 8, ((t * 512 + k) << 12) | 7);
        }
        init_cpu(cpu);
    }

    // Puts `c` (this machine's CPU, or another one on the same bus) in the
    // state above: 64-bit mode at CPL 0 on these tables, exceptions delivered.
    void init_cpu(Cpu& c) {
        SysState& s = c.sys;
        s.gdtr = {kGdt, 0x4F};
        s.idtr = {kIdt, 256 * 16 - 1};
        s.cr3 = kPml4;
        s.cr4 = cr4::PAE | cr4::PGE | cr4::OSFXSR | cr4::OSXMMEXCPT;
        s.efer = efer::LME | efer::LMA | efer::SCE | efer::NXE;
        s.cr0 = cr0::PE | cr0::PG | cr0::WP | cr0::ET | cr0::NE | cr0::MP;
        s.star = (u64{kUserCs32} << 48) | (u64{kKernelCs} << 32);
        c.set_segment(CS, kKernelCs, 0x00AF9A000000FFFF);
        c.set_segment(SS, kKernelDs, 0x00CF92000000FFFF);
        for (u8 k : {ES, DS, FS, GS}) c.set_segment(k, 0, 0);
        s.tr = segment_from_descriptor(kTssSel, 0x67 | (kTss << 16) | (0x8Bull << 40));
        c.set_cpl(0);
        c.flush_tlb();
        c.update_mode();
        c.deliver_exceptions = true;
        c.s.rflags = fl::FIXED1;
        c.s.gpr[RSP] = 0x60000;
    }

    // A second address space: a copy of the tables above (PML4, PDPT, PD and
    // the two page tables: five pages from `at`), identical until a test
    // changes it with map(). Returns its CR3 (PCID 0).
    u64 clone_space(u64 at) {
        const u64 pml4 = at, pdpt = at + 0x1000, pd = at + 0x2000, pt = at + 0x3000;
        std::memcpy(&m.bus.ram[pt], &m.bus.ram[kPt], 0x2000);
        put64(pml4, pdpt | 7);
        put64(pdpt, pd | 7);
        for (u64 t = 0; t < 2; ++t) put64(pd + t * 8, (pt + t * 0x1000) | 7);
        return pml4;
    }
    // Where the 4 KiB PTE for `la` (below 4 MiB) lives in the space at `cr3`.
    u64 pte_addr_in(u64 cr3, u64 la) const {
        u64 pdpt = get64(cr3 & ~0xFFFull) & ~0xFFFull;
        u64 pd = get64(pdpt) & ~0xFFFull;
        u64 pt = get64(pd + (la >> 21) * 8) & ~0xFFFull;
        return pt + ((la >> 12) & 511) * 8;
    }
    // Maps linear page `la` to physical page `pa` (present, writable, user) in
    // the space at `cr3`.
    void map(u64 cr3, u64 la, u64 pa) { put64(pte_addr_in(cr3, la), (pa & ~0xFFFull) | 7); }
    void unmap(u64 cr3, u64 la) { put64(pte_addr_in(cr3, la), 0); }

    void put64(u64 a, u64 v) { std::memcpy(&m.bus.ram[a], &v, 8); }
    void put16(u64 a, u16 v) { std::memcpy(&m.bus.ram[a], &v, 2); }
    u64 get64(u64 a) const {
        u64 v;
        std::memcpy(&v, &m.bus.ram[a], 8);
        return v;
    }
    // A 64-bit interrupt gate (type 0xE) or trap gate (0xF) (SDM Vol. 3A, Figure 6-8).
    void gate(unsigned vector, u64 target, u8 dpl, u8 ist, u8 type = 0xE, bool present = true, u16 sel = kKernelCs) {
        u64 lo = (target & 0xFFFF) | (u64{sel} << 16) | (u64{ist} << 32) | (u64{type} << 40) | (u64{dpl} << 45) |
                 (u64{present} << 47) | (((target >> 16) & 0xFFFF) << 48);
        put64(kIdt + vector * 16, lo);
        put64(kIdt + vector * 16 + 8, target >> 32);
    }
    u64 pte_addr(u64 la) const { return kPt + (la >> 12) * 8; }
    // Makes every 4 KiB page supervisor-only except the user code and stack
    // pages and the listed ones (for SMEP/SMAP tests).
    void supervisor_pages_except(std::initializer_list<u64> user_pages) {
        for (u64 la = 0; la < (4u << 20); la += 0x1000) {
            bool user = la == kUserCode || (la >= kUserStack - 0x4000 && la < kUserStack);
            for (u64 p : user_pages) user |= (p & ~0xFFFull) == la;
            if (!user) put64(pte_addr(la), get64(pte_addr(la)) & ~4ull);
        }
        cpu.flush_tlb();
    }
    void set_pte(u64 la, u64 value) { put64(pte_addr(la), value); }

    // Places code and runs at CPL 0 or 3 until the CPU halts (in a handler).
    void code(u64 at, std::initializer_list<u8> bytes) {
        std::copy(bytes.begin(), bytes.end(), m.bus.ram.begin() + at);
        for (u64 pg = at >> 12; pg <= (at + bytes.size()) >> 12; ++pg) cpu.code_cache().invalidate_page(pg);
    }
    void enter_user(u64 rip, u64 rsp) {
        cpu.set_segment(CS, kUserCs, 0x00AFFA000000FFFF);
        cpu.set_segment(SS, kUserDs, 0x00CFF2000000FFFF);
        cpu.set_cpl(3);
        cpu.update_mode();
        cpu.s.rip = rip;
        cpu.s.gpr[RSP] = rsp;
    }
    StepResult run(u64 cycles = 100000) { return cpu.run(cpu.cycles + cycles); }
    // The handler reached for `vector` (its HLT has retired, so RIP is one past it).
    bool in_handler(unsigned vector) const { return cpu.s.rip == kHandlers + vector * 16 + 1; }
};

}  // namespace sy::test
