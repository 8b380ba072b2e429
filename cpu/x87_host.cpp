// FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X and FYL2XP1 on the host's
// x87 unit (SDM Vol. 2A per instruction; Vol. 1, 8.3.10 "Transcendental
// instructions").
//
// Why the host: the manuals define these results only to within an ulp or so
// ("the accuracy of FSIN..."), and each processor family computes them with
// its own microcode algorithm and reduction constant. Intel hosts, for
// example, reduce arguments with a 66-bit pi. Bit-exact agreement with the
// processor the isa-test runs on is only possible by asking it.
//
// How: one asm statement loads an environment (FLDENV) that holds the guest's
// control word exactly, the guest's condition codes, no flags and an empty
// stack; loads the operands with FLD m80 (which raises nothing, whatever the
// value); executes the instruction; and saves the whole state with FNSAVE,
// which neither waits for nor raises a pending exception and reinitialises the
// FPU. The host control word is restored last. Unmasked exceptions are thus
// handled by the host exactly as the guest's FPU would (no result, or a
// bias-adjusted one) and never trap here. Stack faults and empty registers are
// decided by ops_x87.cpp before it calls this.
#include "x87.h"

namespace sy::x87 {
namespace {

struct [[gnu::packed]] SaveArea {  // FNSAVE, 32-bit protected-mode format (SDM Vol. 1, Figure 8-11)
    u16 fcw, r0, fsw, r1, ftw, r2;
    u32 fip;
    u16 fcs, fop;
    u32 fdp;
    u16 fds, r3;
    struct [[gnu::packed]] {
        u64 sig;
        u16 se;
    } st[8];
};
static_assert(sizeof(SaveArea) == 108);

struct [[gnu::packed]] Env {  // FLDENV, the same format's first 28 bytes
    u16 fcw, r0, fsw, r1, ftw, r2;
    u32 fip, fcs_fop, fdp, fds;
};
static_assert(sizeof(Env) == 28);

#define SY_X87_HOST_ASM(insn, load)                                                  \
    asm volatile("fnstcw %[saved]\n\t"                                               \
                 "fldenv %[env]\n\t" load insn "\n\t"                                \
                 "fnsave %[out]\n\t"                                                 \
                 "fldcw %[saved]"                                                    \
                 : [out] "=m"(out), [saved] "=m"(saved)                              \
                 : [env] "m"(env), [a] "m"(a), [b] "m"(b)                            \
                 : "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)", \
                   "memory")
#define SY_LOAD1 "fldt %[a]\n\t"
#define SY_LOAD2 "fldt %[b]\n\t fldt %[a]\n\t"

}  // namespace

HostRun run_on_host(Transcendental op, const F80 in[2], unsigned inputs, u16 fcw, u16 cc) {
    Env env{};
    env.fcw = fcw;
    env.fsw = cc & sw::CC;
    env.ftw = 0xFFFF;
    struct [[gnu::packed]] Reg {
        u64 sig;
        u16 se;
    } a{in[0].sig, in[0].se}, b{inputs > 1 ? in[1].sig : 0, inputs > 1 ? in[1].se : u16(0)};
    SaveArea out;
    u16 saved;
    switch (op) {
        case Transcendental::Fsin: SY_X87_HOST_ASM("fsin", SY_LOAD1); break;
        case Transcendental::Fcos: SY_X87_HOST_ASM("fcos", SY_LOAD1); break;
        case Transcendental::Fsincos: SY_X87_HOST_ASM("fsincos", SY_LOAD1); break;
        case Transcendental::Fptan: SY_X87_HOST_ASM("fptan", SY_LOAD1); break;
        case Transcendental::F2xm1: SY_X87_HOST_ASM("f2xm1", SY_LOAD1); break;
        case Transcendental::Fpatan: SY_X87_HOST_ASM("fpatan", SY_LOAD2); break;
        case Transcendental::Fyl2x: SY_X87_HOST_ASM("fyl2x", SY_LOAD2); break;
        case Transcendental::Fyl2xp1: SY_X87_HOST_ASM("fyl2xp1", SY_LOAD2); break;
    }
    HostRun r;
    const unsigned top = (out.fsw >> 11) & 7;
    r.depth = top ? 8 - top : 0;
    for (int k = 0; k < 2; ++k) r.st[k] = F80{out.st[k].sig, out.st[k].se};
    r.fsw = out.fsw;
    return r;
}

}  // namespace sy::x87
