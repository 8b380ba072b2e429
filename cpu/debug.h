// Debug registers and breakpoint matching (SDM Vol. 3A, 17.2 "Debug registers":
// 17.2.4 DR7, 17.2.5 breakpoint field recognition; 17.3 "Debug exceptions").
//
// DR0-DR7 live in SysState::dr as software sees them. Breakpoints is what DR7,
// DR0-DR3 and CR4.DE mean, decoded once whenever one of them changes
// (Cpu::load_breakpoints), so that the step loop and the memory path test one
// byte to know that nothing is armed.
#pragma once
#include "types.h"

namespace sy {

namespace dr6 {
constexpr u64 B0 = 1, kBreakpoints = 0xF;          // B0-B3: breakpoint condition detected
constexpr u64 BD = 1u << 13, BS = 1u << 14, BT = 1u << 15;
constexpr u64 kWritable = kBreakpoints | BD | BS | BT;
constexpr u64 kFixed1 = 0xFFFF0FF0;                // bits 4-11 and 16-31 read as 1
}  // namespace dr6
namespace dr7 {
constexpr u64 GD = 1u << 13;                       // general detect: MOV DRn faults
constexpr u64 kWritable = 0xFFFF23FF;              // L0-G3, LE, GE, GD, R/W0-LEN3
constexpr u64 kFixed1 = 1u << 10;                  // bit 10 reads as 1
}  // namespace dr7

struct Breakpoints {
    // Enabled breakpoints by kind; bit n stands for DRn (L or G set in DR7).
    u8 exec = 0;        // R/W = 00: instruction fetch
    u8 data = 0;        // R/W = 01 (writes) or 11 (reads and writes)
    u8 data_write = 0;  // the R/W = 01 ones among `data`
    u8 io = 0;          // R/W = 10 with CR4.DE: port I/O
    // The bytes each breakpoint covers: DRn with its low bits masked by LEN
    // (1, 2, 8 or 4 bytes for LEN 00, 01, 10, 11), as the processor masks them.
    u64 lo[4] = {}, len[4] = {};

    bool any() const { return (exec | data | io) != 0; }
    // Decodes DR7 and DR0-DR3 (`dr`) under CR4.DE.
    void load(const u64 dr[8], bool cr4_de);
    // Bit n set for each enabled instruction breakpoint at linear address `la`
    // (the instruction's first byte).
    u8 exec_hits(u64 la) const;
    // Enabled data breakpoints an access of `size` bytes at linear `la` meets:
    // any byte of the access inside a breakpoint's range (17.2.5).
    u8 data_hits(u64 la, unsigned size, bool write) const;
    // Enabled I/O breakpoints an access of `size` bytes at `port` meets.
    u8 io_hits(u16 port, unsigned size) const;
    // Whether a data breakpoint covers any byte of linear page `vpn`: such pages
    // never enter the host TLBs, so their accesses take the checked path.
    bool watches_page(u64 vpn) const;
};

// A debugger's watchpoint (observer.h): [lo, lo + len) linear, and which
// accesses meet it.
struct Watchpoint {
    u64 lo = 0, len = 1;
    bool on_write = true, on_read = false;
    bool meets(u64 la, unsigned size, bool write) const {
        return (write ? on_write : on_read) && la < lo + len && lo < la + size;
    }
    bool covers_page(u64 vpn) const { return (lo >> 12) <= vpn && vpn <= ((lo + len - 1) >> 12); }
};

}  // namespace sy
