// 32-bit protected mode for tests of legacy paging and legacy interrupt frames:
// a flat GDT (0x08 code, 0x10 data, both 4 GiB), an IDT of 8-byte 32-bit
// interrupt gates (SDM Vol. 3A, Figure 6-2) whose every vector points at a HLT,
// exceptions delivered through it, paging off until enable_paging() turns on
// 32-bit or PAE paging over an identity map of the first 4 MiB (4 KiB pages,
// present, writable, supervisor: SMEP tests fetch from here). Paging is enabled by running MOV to CR4/CR3/CR0 in
// the guest, so the CPU does what it does for an operating system.
#pragma once
#include <cstring>

#include "support.h"

namespace sy::test {

struct Legacy32Machine {
    static constexpr u64 kGdt = 0x1000, kIdt = 0x2000, kHandlers = 0x3000, kSetup = 0x4800;
    // 32-bit paging: the page directory at kDir, one page table at kPt (1024
    // entries of 4 bytes). PAE paging: the PDPT at kDir (4 entries of 8 bytes),
    // one page directory at kPd, two page tables at kPt and kPt + 0x1000.
    static constexpr u64 kDir = 0x10000, kPd = 0x11000, kPt = 0x12000;
    static constexpr u64 kCode = 0x20000, kStack = 0x60000;
    static constexpr u16 kCs = 0x08, kDs = 0x10;
    enum class Paging { None, Bits32, Pae };

    Machine m{4 << 20};
    Cpu& cpu = m.cpu;
    Paging paging = Paging::None;

    Legacy32Machine() {
        put64(kGdt + 0x08, 0x00CF9A000000FFFF);
        put64(kGdt + 0x10, 0x00CF92000000FFFF);
        for (unsigned v = 0; v < 256; ++v) {
            gate(v, kHandlers + v * 16);
            m.bus.ram[kHandlers + v * 16] = 0xF4;  // hlt
        }
        SysState& s = cpu.sys;
        s.gdtr = {kGdt, 0x17};
        s.idtr = {kIdt, 256 * 8 - 1};
        s.efer = 0;
        s.cr4 = 0;
        s.cr0 = cr0::PE | cr0::ET | cr0::NE;
        cpu.set_segment(CS, kCs, 0x00CF9A000000FFFF);
        for (u8 k : {ES, SS, DS, FS, GS}) cpu.set_segment(k, kDs, 0x00CF92000000FFFF);
        cpu.set_cpl(0);
        cpu.flush_tlb();
        cpu.update_mode();
        cpu.deliver_exceptions = true;
        cpu.s.rflags = fl::FIXED1;
        cpu.s.gpr[RSP] = kStack;
    }

    void put64(u64 a, u64 v) { std::memcpy(&m.bus.ram[a], &v, 8); }
    void put32(u64 a, u32 v) { std::memcpy(&m.bus.ram[a], &v, 4); }
    u64 get64(u64 a) const {
        u64 v;
        std::memcpy(&v, &m.bus.ram[a], 8);
        return v;
    }
    u32 get32(u64 a) const {
        u32 v;
        std::memcpy(&v, &m.bus.ram[a], 4);
        return v;
    }
    u16 get16(u64 a) const {
        u16 v;
        std::memcpy(&v, &m.bus.ram[a], 2);
        return v;
    }
    // A 32-bit interrupt gate (type 0xE) or, with type 0x6, a 16-bit one.
    void gate(unsigned vector, u64 target, u8 type = 0xE, u64 idt = kIdt) {
        u64 g = (target & 0xFFFF) | (u64{kCs} << 16) | ((0x80ull | type) << 40) | (((target >> 16) & 0xFFFF) << 48);
        put64(idt + vector * 8, g);
    }
    void code(u64 at, std::initializer_list<u8> bytes) {
        std::copy(bytes.begin(), bytes.end(), m.bus.ram.begin() + at);
        for (u64 pg = at >> 12; pg <= (at + bytes.size()) >> 12; ++pg) cpu.code_cache().invalidate_page(pg);
    }

    // Builds the identity map for `mode` and enables it by running
    //   mov eax, cr4v; mov cr4, eax; mov eax, kDir; mov cr3, eax;
    //   mov eax, cr0v; mov cr0, eax; hlt
    // at kSetup. `cr4_extra` adds bits such as CR4.SMEP or CR4.PGE.
    void enable_paging(Paging mode, u32 cr4_extra = 0) {
        paging = mode;
        if (mode == Paging::Bits32) {
            put32(kDir, static_cast<u32>(kPt | 7));
            for (u32 k = 0; k < 1024; ++k) put32(kPt + k * 4, (k << 12) | 3);
        } else {
            put64(kDir, kPd | 1);  // PDPTE 0: P only (bits 2:1 and 8:5 are reserved)
            for (u64 t = 0; t < 2; ++t) {
                put64(kPd + t * 8, (kPt + t * 0x1000) | 7);
                for (u64 k = 0; k < 512; ++k) put64(kPt + t * 0x1000 + k * 8, ((t * 512 + k) << 12) | 3);
            }
        }
        const u32 cr4v = (mode == Paging::Pae ? static_cast<u32>(cr4::PAE) : 0u) | cr4_extra;
        const u32 cr0v = static_cast<u32>(cr0::PE | cr0::ET | cr0::NE | cr0::WP | cr0::PG);
        const u32 dir = static_cast<u32>(kDir);
        code(kSetup, {0xB8, u8(cr4v), u8(cr4v >> 8), u8(cr4v >> 16), u8(cr4v >> 24), 0x0F, 0x22, 0xE0,
                      0xB8, u8(dir), u8(dir >> 8), u8(dir >> 16), u8(dir >> 24), 0x0F, 0x22, 0xD8,
                      0xB8, u8(cr0v), u8(cr0v >> 8), u8(cr0v >> 16), u8(cr0v >> 24), 0x0F, 0x22, 0xC0, 0xF4});
        cpu.s.rip = kSetup;
        cpu.run(cpu.cycles + 1000);
        cpu.halted = false;
    }
    // The page-table entry that maps linear `la` (below 4 MiB).
    u64 pte_addr(u64 la) const { return kPt + (la >> 12) * (paging == Paging::Pae ? 8 : 4); }
    void set_pte(u64 la, u64 value) {
        if (paging == Paging::Pae) put64(pte_addr(la), value);
        else put32(pte_addr(la), static_cast<u32>(value));
    }

    StepResult run(u64 cycles = 200000) { return cpu.run(cpu.cycles + cycles); }
    // The handler reached for `vector` (its HLT has retired).
    bool in_handler(unsigned vector) const { return cpu.s.rip == kHandlers + vector * 16 + 1; }
};

}  // namespace sy::test
