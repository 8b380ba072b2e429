// Debug registers: breakpoint decoding and matching (SDM Vol. 3A, 17.2.4 "Debug
// control register (DR7)", 17.2.5 "Breakpoint field recognition"), and the
// debug-exception conditions the processor reports (17.3.1: instruction
// breakpoints are faults before the instruction; data and I/O breakpoints and
// single-step are traps after it; general detect is a fault on MOV DRn).
//
// Where each condition is detected:
//  - instruction breakpoints: Cpu::execute, at the instruction boundary, unless
//    RFLAGS.RF is set or the instruction follows MOV SS / POP SS (17.3.1.1);
//  - data breakpoints: Cpu::read_slow/write_slow. A watched page never enters
//    the host TLBs (Cpu::translate) and the REP MOVS/STOS page path skips it,
//    so every access to it reaches the check; a REP string instruction stops
//    after the iteration that met the condition (17.3.1.2);
//  - I/O breakpoints: Cpu::port_in/port_out, with CR4.DE (17.2.4);
//  - general detect: MOV DRn (ops_priv.cpp) while DR7.GD is set (17.2.4).
// Trap conditions of one instruction gather in Cpu::db_trap_ and are reported
// together in DR6 by one #DB after it (Cpu::execute).
//
// Deviations (docs/system.md): implicit supervisor accesses (descriptor tables,
// the IDT, the TSS, interrupt frames, page walks) do not meet data breakpoints;
// an instruction breakpoint matches only the first byte of its range (LEN must
// be 00 for R/W 00; other lengths are undefined); DR6.BT is never set (no task
// switches); B0-B3 are set for enabled breakpoints only.
#include "debug.h"

namespace sy {

namespace {
// LEN encodings 00, 01, 10, 11 -> 1, 2, 8, 4 bytes (17.2.4; 10 is 8 bytes on
// processors that support Intel 64).
constexpr u64 kLenBytes[4] = {1, 2, 8, 4};

inline bool overlaps(u64 a, unsigned size, u64 lo, u64 len) { return a < lo + len && lo < a + size; }
}  // namespace

void Breakpoints::load(const u64 dr[8], bool cr4_de) {
    *this = Breakpoints{};
    const u64 d7 = dr[7];
    for (int n = 0; n < 4; ++n) {
        const bool enabled = (d7 >> (2 * n)) & 3;  // Ln or Gn
        const unsigned rw = (d7 >> (16 + 4 * n)) & 3, len_code = (d7 >> (18 + 4 * n)) & 3;
        len[n] = kLenBytes[len_code];
        lo[n] = dr[n] & ~(len[n] - 1);
        if (!enabled) continue;
        const u8 bit = static_cast<u8>(1u << n);
        switch (rw) {
            case 0: exec |= bit; break;
            case 1: data |= bit; data_write |= bit; break;
            case 2: if (cr4_de) io |= bit; break;  // undefined without CR4.DE: ignored
            default: data |= bit; break;
        }
    }
}

u8 Breakpoints::exec_hits(u64 la) const {
    u8 hits = 0;
    for (int n = 0; n < 4; ++n)
        if (((exec >> n) & 1) && la == lo[n]) hits |= static_cast<u8>(1u << n);
    return hits;
}

u8 Breakpoints::data_hits(u64 la, unsigned size, bool write) const {
    const u8 armed = write ? data : static_cast<u8>(data & ~data_write);
    u8 hits = 0;
    for (int n = 0; n < 4; ++n)
        if (((armed >> n) & 1) && overlaps(la, size, lo[n], len[n])) hits |= static_cast<u8>(1u << n);
    return hits;
}

u8 Breakpoints::io_hits(u16 port, unsigned size) const {
    u8 hits = 0;
    for (int n = 0; n < 4; ++n)
        if (((io >> n) & 1) && overlaps(port, size, lo[n] & 0xFFFF, len[n])) hits |= static_cast<u8>(1u << n);
    return hits;
}

bool Breakpoints::watches_page(u64 vpn) const {
    for (int n = 0; n < 4; ++n)
        if (((data >> n) & 1) && ((lo[n] >> 12) == vpn || ((lo[n] + len[n] - 1) >> 12) == vpn)) return true;
    return false;
}

}  // namespace sy
