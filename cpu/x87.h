// What the x87 handlers (ops_x87.cpp), the state-save instructions
// (ops_fpstate.cpp) and the MMX handlers (sse_int.cpp) share about the FPU's
// register stack, tag word, status word and pending exceptions (SDM Vol. 1,
// 8.1.3-8.1.9 and 9.5.1 "MMX instructions and the x87 FPU tag word").
#pragma once
#include "exec.h"

namespace sy::x87 {

// Status-word bits (SDM Vol. 1, Figure 8-4).
namespace sw {
constexpr u16 FLAGS = 0x3F, SF = 0x40, ES = 0x80, C0 = 0x100, C1 = 0x200, C2 = 0x400, TOP = 0x3800, C3 = 0x4000,
              B = 0x8000;
constexpr u16 CC = C0 | C1 | C2 | C3;
}  // namespace sw

// Control-word bits 6 and 13-15 are reserved: 6 reads as 1, the others as 0 on
// the hosts we compare against (FLDCW, FLDENV, FRSTOR, FXRSTOR store them so).
constexpr u16 kFcwWritable = 0x1F3F, kFcwFixed1 = 0x0040;
inline u16 loaded_fcw(u16 v) { return static_cast<u16>((v & kFcwWritable) | kFcwFixed1); }

// A waiting x87 instruction, FWAIT and every MMX instruction first service a
// pending unmasked exception (status word ES set): #MF when CR0.NE = 1, the
// legacy FERR#/IGNNE# path otherwise (SDM Vol. 1, 8.7; ops_x87.cpp).
// fpu_ready() is false when the processor froze instead (the handler returns
// without executing).
[[gnu::cold]] bool pending_error(Cpu& c);
inline bool fpu_ready(Cpu& c) { return !(c.s.fpu.fsw & sw::ES) || pending_error(c); }

// The status word's ES and B after its flags or the masks changed: set when a
// flag is set whose exception is unmasked (SDM Vol. 1, 8.1.3.1).
inline void update_error_summary(X87& f) {
    if (f.fsw & ~f.fcw & sw::FLAGS) f.fsw |= sw::ES | sw::B;
    else f.fsw &= static_cast<u16>(~(sw::ES | sw::B));
}

// FNINIT's state (SDM Vol. 2A, FINIT/FNINIT "Operation"): FIP, FDP and FOP cleared too.
inline void init(X87& f) {
    f.fcw = 0x037F;
    f.fsw = 0;
    f.ftw = 0;
    f.fop = 0;
    f.fip = f.fdp = 0;
    f.fcs = f.fds = 0;
}

// An MMX instruction (not EMMS) sets TOP to 0 and every tag to valid (SDM Vol.
// 1, 9.5.1); a write to MMn also sets the exponent bits of Rn to all ones.
inline void enter_mmx(X87& f) {
    f.set_top(0);
    f.ftw = 0xFF;
}
inline u64& mm(X87& f, unsigned n) { return f.r[n & 7].sig; }
inline void write_mm(X87& f, unsigned n, u64 v) {
    f.r[n & 7].sig = v;
    f.r[n & 7].se = 0xFFFF;
}

// The full tag word (FSTENV, FSAVE): 00 valid, 01 zero, 10 special (NaN,
// infinity, denormal, unsupported), 11 empty, per physical register.
u16 full_tag(const X87& f);
// A loaded full tag word keeps only empty/not empty (SDM Vol. 1, 8.1.7).
inline u8 abridged_tag(u16 full) {
    u8 t = 0;
    for (int k = 0; k < 8; ++k)
        if (((full >> (2 * k)) & 3) != 3) t |= static_cast<u8>(1u << k);
    return t;
}

// The transcendental instructions run on the host's own x87 unit, so their
// results are the host's to the last bit (x87_host.cpp; docs/cpu.md says why).
enum class Transcendental : u8 { Fsin, Fcos, Fsincos, Fptan, Fpatan, F2xm1, Fyl2x, Fyl2xp1 };
struct HostRun {
    F80 st[2];       // ST(0) and ST(1) afterwards
    unsigned depth;  // registers on the stack afterwards, of the `inputs` pushed
    u16 fsw;         // the host's status word: the flags raised and C3-C0
};
// `in` holds ST(0) and, for the two-operand instructions, ST(1); all are valid.
// The host runs under `fcw` exactly and starts from the condition codes in `cc`.
HostRun run_on_host(Transcendental op, const F80 in[2], unsigned inputs, u16 fcw, u16 cc);

}  // namespace sy::x87
