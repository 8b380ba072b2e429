// What every handler file includes: operand access resolved at decode time into
// template parameters, so a handler is a few lines that read, call the ALU and
// write back. Handlers update RIP last: a fault leaves RIP at the instruction.
#pragma once
#include <cstring>

#include "alu.h"
#include "cpu.h"

namespace sy {

// Operand kinds, fixed per handler instantiation by the builder.
enum class K : u8 { R, M, I };

template <class T> inline T getr(const Cpu& c, u8 off) {
    T v;
    std::memcpy(&v, reinterpret_cast<const u8*>(c.s.gpr) + off, sizeof(T));
    return v;
}
// x86-64 write rules: a 32-bit write zero-extends into the full register; 8- and
// 16-bit writes leave the other bits alone (SDM Vol. 1, 3.4.1.1).
template <class T> inline void setr(Cpu& c, u8 off, T v) {
    if constexpr (sizeof(T) == 4)
        c.s.gpr[off >> 3] = v;
    else
        std::memcpy(reinterpret_cast<u8*>(c.s.gpr) + off, &v, sizeof(T));
}
inline u64& gpr(Cpu& c, u8 idx) { return c.s.gpr[idx]; }

// Effective address -> linear address (SDM Vol. 1, 3.7.5).
inline u64 ea(const Cpu& c, const Insn& i) {
    u64 a = c.s.gpr[i.base] + (c.s.gpr[i.index] << i.scale) + static_cast<u64>(i.disp);
    if (i.asz == 4) a = static_cast<u32>(a);
    else if (i.asz == 2) a = static_cast<u16>(a);
    return a + c.s.seg_base[i.seg];
}

template <int N> inline u8 rop(const Insn& i) {
    if constexpr (N == 0) return i.r0;
    else if constexpr (N == 1) return i.r1;
    else return i.r2;
}

// Reads operand N of kind k.
template <class T, K k, int N> inline T get(Cpu& c, const Insn& i) {
    if constexpr (k == K::R) return getr<T>(c, rop<N>(i));
    else if constexpr (k == K::M) return c.read<T>(ea(c, i));
    else return static_cast<T>(i.imm);
}
// Writes operand N of kind k (never an immediate).
template <class T, K k, int N> inline void put(Cpu& c, const Insn& i, T v) {
    static_assert(k != K::I);
    if constexpr (k == K::R) setr<T>(c, rop<N>(i), v);
    else c.write<T>(ea(c, i), v);
}

inline void next(Cpu& c, const Insn& i) { c.s.rip += i.len; }

// A REP string instruction that stops between iterations (a chunk done, a
// debug trap or single-step after an iteration) leaves RIP at itself and ends
// the block; RF is set, as the processor sets it in the RFLAGS image of an
// event taken between iterations, so the resumed instruction does not stop at
// its own breakpoint again (SDM Vol. 3A, 17.3.1.1).
inline void rep_unfinished(Cpu& c) {
    c.end_block = true;
    c.s.rflags |= fl::RF;
}
// After an iteration of a REP string instruction: stop here when the iteration
// met a data or I/O breakpoint or single-step is on (a trap per iteration,
// 17.3.1.4); the loop then calls rep_unfinished() if iterations remain.
inline bool rep_stop_after_iteration(const Cpu& c) { return c.debug_trap_pending() || (c.s.rflags & fl::TF); }

// A non-canonical stack address in 64-bit mode is #SS(0), not #GP(0)
// (SDM Vol. 3A, 3.3.7.1 and 6.15 "Interrupt 12").
inline void check_stack_canonical(const Cpu& c, u64 sp) {
    if (c.sp_mask == ~0ull && !is_canonical(sp)) raise(SS_, 0);
}

// Stack: RSP in 64-bit mode, ESP or SP (SS.B) elsewhere; c.sp_mask selects.
template <class T> inline void push(Cpu& c, T v) {
    u64 sp = (c.s.gpr[RSP] - sizeof(T)) & c.sp_mask;
    check_stack_canonical(c, sp);
    c.write<T>(sp + c.s.seg_base[SS], v);
    c.s.gpr[RSP] = (c.s.gpr[RSP] & ~c.sp_mask) | sp;
}
template <class T> inline T pop(Cpu& c) {
    u64 sp = c.s.gpr[RSP] & c.sp_mask;
    check_stack_canonical(c, sp);
    T v = c.read<T>(sp + c.s.seg_base[SS]);
    c.s.gpr[RSP] = (c.s.gpr[RSP] & ~c.sp_mask) | ((sp + sizeof(T)) & c.sp_mask);
    return v;
}

// Condition codes tttn (SDM Vol. 1, Appendix B, Table B-1).
inline bool cond(u64 f, u8 cc) {
    bool r;
    switch (cc >> 1) {
        case 0: r = f & fl::OF; break;
        case 1: r = f & fl::CF; break;
        case 2: r = f & fl::ZF; break;
        case 3: r = f & (fl::CF | fl::ZF); break;
        case 4: r = f & fl::SF; break;
        case 5: r = f & fl::PF; break;
        case 6: r = !(f & fl::SF) != !(f & fl::OF); break;
        default: r = (f & fl::ZF) || (!(f & fl::SF) != !(f & fl::OF)); break;
    }
    return r ^ (cc & 1);
}

}  // namespace sy
