// Interrupt recognition on the real machine (local APIC, CPU, bus): an
// interrupt that an instruction makes pending is taken at the next instruction
// boundary (SDM Vol. 3A, 6.8.1), here a self-IPI written to the LAPIC's ICR
// (Vol. 3A 11.6.1), with the CPU in 32-bit protected mode after a Multiboot
// boot. The guest code was assembled with GNU as (listing in the comment).
#include <doctest/doctest.h>

#include <cstring>

#include "machine.h"
#include "machine_support.h"
#include "multiboot.h"

using namespace sy;
using namespace sy::test;

TEST_CASE("machine: a self-IPI written to the ICR is taken right after the write, not at the block's end") {
    MachineConfig cfg;
    cfg.ram_bytes = 8 * mem::MiB;
    cfg.cpus = 1;
    Machine m(cfg);
    // sti; nop
    // mov dword [0xFEE000F0], 0x1FF      SVR: APIC software-enabled
    // mov dword [0xFEE00300], 0x40030    ICR: fixed, to self, vector 0x30
    // 8 x inc eax; hlt
    const std::vector<u8> code = {0xfb, 0x90, 0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01, 0x00,
                                  0x00, 0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x30, 0x00, 0x04, 0x00,
                                  0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0xf4};
    boot::load_multiboot(m, make_kludge(0x200000, code, 0), {});
    Cpu& c = m.cpu(0);
    // An IDT whose vector 0x30 is a 32-bit interrupt gate to a HLT at 0x11000.
    constexpr u32 kIdt = 0x10000, kHandler = 0x11000, kStack = 0x90000;
    const u64 gate = (kHandler & 0xFFFF) | (u64{c.sys.seg[CS].sel} << 16) | (0x8Eull << 40) |
                     (u64{kHandler >> 16} << 48);
    m.write_phys(kIdt + 0x30 * 8, &gate, 8);
    const u8 hlt = 0xF4;
    m.write_phys(kHandler, &hlt, 1);
    c.sys.idtr = {kIdt, 0x7FF};
    c.s.gpr[RSP] = kStack;
    c.s.gpr[RAX] = 0;
    m.run(100'000);
    CHECK(c.s.rip == kHandler + 1);
    CHECK(c.s.gpr[RAX] == 0);  // no inc ran before the interrupt
    u32 eip = 0;
    m.read_phys(kStack - 12, &eip, 4);  // the 32-bit frame: EIP, CS, EFLAGS
    CHECK(eip == 0x200020 + 22);        // the instruction after the ICR write
}
