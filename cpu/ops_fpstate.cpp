// Saving and restoring x87/SSE state: FNSTENV/FLDENV/FNSAVE/FRSTOR (SDM Vol. 1,
// 8.1.10 and Figures 8-9 to 8-12, in 16- and 32-bit operand sizes and in the
// real-mode and protected-mode layouts), FXSAVE/FXRSTOR (Vol. 1, 10.5.1,
// Tables 10-2 and 10-3), XSAVE/XSAVEOPT/XRSTOR/XSETBV/XGETBV (Vol. 1, ch. 13).
// A kernel switches FPU state with these, eagerly or lazily under CR0.TS (the
// #NM for CR0.TS/EM is decided at decode time, see decode.cpp).
//
// Register images are in stack order, ST(0) first (the MMX registers of FXSAVE
// are therefore in physical order only when TOP = 0, which every MMX
// instruction makes it). FCS and FDS are stored as zero in the protected-mode
// images, as on processors that deprecate them (CPUID.7.EBX[13], the Intel
// host); the real-mode images hold 20-bit linear pointers formed from them.
// FXSAVE writes zeros into the reserved bytes of bytes 0-159, as the host does.
//
// Deviations: XSAVE records every requested component as in use (XSTATE_BV =
// RFBM), never as in its initial configuration; only the x87 and SSE
// components exist (XCR0 bits 0-1); the compacted format is #GP.
#include "decode.h"
#include "x87.h"

namespace sy {
namespace {

using timing::Cls;
using namespace x87;

constexpr u32 kMxcsrMask = 0xFFFF;  // MXCSR_MASK: DAZ supported (SDM Vol. 1, 11.6.6)

unsigned xmm_count(const Cpu& c) { return c.mode() == Mode::Long64 ? 16 : 8; }
bool real_format(const Cpu& c) { return c.mode() == Mode::Real || (c.s.rflags & (1u << 17)); }  // or virtual-8086

// The 80-bit registers, ST(0) first, `stride` bytes apart.
void save_registers(Cpu& c, u64 a, unsigned stride) {
    const X87& f = c.s.fpu;
    for (unsigned k = 0; k < 8; ++k) {
        c.write<u64>(a + stride * k, f.st(k).sig);
        c.write<u16>(a + stride * k + 8, f.st(k).se);
        if (stride == 16) {  // the reserved rest of an FXSAVE slot
            c.write<u16>(a + stride * k + 10, 0);
            c.write<u32>(a + stride * k + 12, 0);
        }
    }
}
void load_registers(Cpu& c, u64 a, unsigned stride, X87& f) {
    for (unsigned k = 0; k < 8; ++k) f.st(k) = F80{c.read<u64>(a + stride * k), c.read<u16>(a + stride * k + 8)};
}

// ---- FNSTENV / FLDENV images (14 or 28 bytes) ------------------------------------
unsigned env_size(const Insn& i) { return i.osz == 2 ? 14 : 28; }

void store_env(Cpu& c, const Insn& i, u64 a) {
    const X87& f = c.s.fpu;
    const u16 tag = full_tag(f);
    if (i.osz == 2) {
        c.write<u16>(a + 0, f.fcw);
        c.write<u16>(a + 2, f.fsw);
        c.write<u16>(a + 4, tag);
        if (real_format(c)) {
            const u32 ip = static_cast<u32>(f.fip + (u32(f.fcs) << 4)), dp = static_cast<u32>(f.fdp + (u32(f.fds) << 4));
            c.write<u16>(a + 6, static_cast<u16>(ip));
            c.write<u16>(a + 8, static_cast<u16>(((ip >> 4) & 0xF000) | (f.fop & 0x7FF)));
            c.write<u16>(a + 10, static_cast<u16>(dp));
            c.write<u16>(a + 12, static_cast<u16>((dp >> 4) & 0xF000));
        } else {
            c.write<u16>(a + 6, static_cast<u16>(f.fip));
            c.write<u16>(a + 8, 0);  // FCS
            c.write<u16>(a + 10, static_cast<u16>(f.fdp));
            c.write<u16>(a + 12, 0);  // FDS
        }
        return;
    }
    // The reserved upper halves of the first three doublewords read as ones on the host.
    c.write<u32>(a + 0, 0xFFFF0000u | f.fcw);
    c.write<u32>(a + 4, 0xFFFF0000u | f.fsw);
    c.write<u32>(a + 8, 0xFFFF0000u | tag);
    if (real_format(c)) {
        const u32 ip = static_cast<u32>(f.fip + (u32(f.fcs) << 4)), dp = static_cast<u32>(f.fdp + (u32(f.fds) << 4));
        c.write<u32>(a + 12, 0xFFFF0000u | (ip & 0xFFFF));
        c.write<u32>(a + 16, ((ip >> 4) & 0x0FFFF000u) | (f.fop & 0x7FF));
        c.write<u32>(a + 20, 0xFFFF0000u | (dp & 0xFFFF));
        c.write<u32>(a + 24, (dp >> 4) & 0x0FFFF000u);
    } else {
        c.write<u32>(a + 12, static_cast<u32>(f.fip));
        c.write<u32>(a + 16, u32(f.fop & 0x7FF) << 16);  // FCS = 0
        c.write<u32>(a + 20, static_cast<u32>(f.fdp));
        c.write<u32>(a + 24, 0xFFFF0000u);  // FDS = 0
    }
}

// Reads an image into `f` (the caller commits it once nothing can fault).
void read_env(Cpu& c, const Insn& i, u64 a, X87& f) {
    u16 tag;
    if (i.osz == 2) {
        f.fcw = loaded_fcw(c.read<u16>(a + 0));
        f.fsw = c.read<u16>(a + 2);
        tag = c.read<u16>(a + 4);
        const u16 w3 = c.read<u16>(a + 6), w4 = c.read<u16>(a + 8), w5 = c.read<u16>(a + 10), w6 = c.read<u16>(a + 12);
        if (real_format(c)) {
            f.fip = w3 | (u32(w4 & 0xF000) << 4);
            f.fop = w4 & 0x7FF;
            f.fdp = w5 | (u32(w6 & 0xF000) << 4);
            f.fcs = f.fds = 0;
        } else {  // no FOP in this layout: it is cleared (measured)
            f.fip = w3;
            f.fcs = w4;
            f.fop = 0;
            f.fdp = w5;
            f.fds = w6;
        }
    } else {
        f.fcw = loaded_fcw(c.read<u16>(a + 0));
        f.fsw = c.read<u16>(a + 4);
        tag = c.read<u16>(a + 8);
        const u32 d3 = c.read<u32>(a + 12), d4 = c.read<u32>(a + 16), d5 = c.read<u32>(a + 20), d6 = c.read<u32>(a + 24);
        if (real_format(c)) {
            f.fip = (d3 & 0xFFFF) | ((d4 & 0x0FFFF000u) << 4);
            f.fop = d4 & 0x7FF;
            f.fdp = (d5 & 0xFFFF) | ((d6 & 0x0FFFF000u) << 4);
            f.fcs = f.fds = 0;
        } else {
            f.fip = d3;
            f.fcs = static_cast<u16>(d4);
            f.fop = (d4 >> 16) & 0x7FF;
            f.fdp = d5;
            f.fds = static_cast<u16>(d6);
        }
    }
    // Only "empty or not" survives a load; ES and B follow the loaded flags and masks.
    f.ftw = abridged_tag(tag);
    update_error_summary(f);
}

// D9 /6 FNSTENV m14/28byte: then masks every exception (SDM Vol. 2A, FSTENV).
void FNSTENV(Cpu& c, const Insn& i) {
    const u64 a = ea(c, i);
    c.check_write(a, env_size(i));
    store_env(c, i, a);
    c.s.fpu.fcw |= sw::FLAGS;
    update_error_summary(c.s.fpu);
    c.update_ferr();
    next(c, i);
}
// D9 /4 FLDENV m14/28byte
void FLDENV(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    X87 f = c.s.fpu;
    read_env(c, i, ea(c, i), f);
    c.s.fpu = f;
    c.update_ferr();
    next(c, i);
}
// DD /6 FNSAVE m94/108byte: the environment, the registers, then FNINIT.
void FNSAVE(Cpu& c, const Insn& i) {
    const u64 a = ea(c, i);
    c.check_write(a, env_size(i) + 80);
    store_env(c, i, a);
    save_registers(c, a + env_size(i), 10);
    init(c.s.fpu);
    c.update_ferr();
    next(c, i);
}
// DD /4 FRSTOR m94/108byte
void FRSTOR(Cpu& c, const Insn& i) {
    if (!fpu_ready(c)) return;
    const u64 a = ea(c, i);
    X87 f = c.s.fpu;
    read_env(c, i, a, f);
    load_registers(c, a + env_size(i), 10, f);
    c.s.fpu = f;
    c.update_ferr();
    next(c, i);
}

// ---- FXSAVE / XSAVE legacy area --------------------------------------------------
void save_x87(Cpu& c, u64 a, bool wide_pointers) {
    const X87& f = c.s.fpu;
    c.write<u16>(a + 0, f.fcw);
    c.write<u16>(a + 2, f.fsw);
    c.write<u8>(a + 4, f.ftw);
    c.write<u8>(a + 5, 0);
    c.write<u16>(a + 6, f.fop & 0x7FF);
    if (wide_pointers) {  // REX.W: 64-bit FIP and FDP (Table 10-2, 64-bit format)
        c.write<u64>(a + 8, f.fip);
        c.write<u64>(a + 16, f.fdp);
    } else {  // FIP, FCS, FDP, FDS, with FCS and FDS deprecated (stored as zero)
        c.write<u64>(a + 8, static_cast<u32>(f.fip));
        c.write<u64>(a + 16, static_cast<u32>(f.fdp));
    }
    save_registers(c, a + 32, 16);
}
void save_sse(Cpu& c, u64 a) {
    for (unsigned k = 0; k < xmm_count(c); ++k) {
        c.write<u64>(a + 160 + 16 * k, c.s.xmm[k].lo);
        c.write<u64>(a + 168 + 16 * k, c.s.xmm[k].hi);
    }
}
void save_mxcsr(Cpu& c, u64 a) {
    c.write<u32>(a + 24, c.s.mxcsr);
    c.write<u32>(a + 28, kMxcsrMask);
}
void read_x87(Cpu& c, u64 a, bool wide_pointers, X87& f) {
    f.fcw = loaded_fcw(c.read<u16>(a));
    f.fsw = c.read<u16>(a + 2);
    f.ftw = c.read<u8>(a + 4);
    f.fop = c.read<u16>(a + 6) & 0x7FF;
    if (wide_pointers) {
        // FIP is an instruction address: sign-extended from the linear-address
        // width (48 bits here, CPUID 8000_0008h; the LA57 host uses 57). FDP is kept as is.
        f.fip = static_cast<u64>(static_cast<i64>(c.read<u64>(a + 8) << 16) >> 16);
        f.fdp = c.read<u64>(a + 16);
        f.fcs = f.fds = 0;
    } else {
        f.fip = c.read<u32>(a + 8);
        f.fcs = c.read<u16>(a + 12);
        f.fdp = c.read<u32>(a + 16);
        f.fds = c.read<u16>(a + 20);
    }
    load_registers(c, a + 32, 16, f);
    update_error_summary(f);
}
void load_sse(Cpu& c, u64 a) {
    for (unsigned k = 0; k < xmm_count(c); ++k) {
        c.s.xmm[k].lo = c.read<u64>(a + 160 + 16 * k);
        c.s.xmm[k].hi = c.read<u64>(a + 168 + 16 * k);
    }
}
u32 read_mxcsr_checked(Cpu& c, u64 a) {
    u32 m = c.read<u32>(a + 24);
    if (m & ~kMxcsrMask) raise(GP, 0);
    return m;
}
bool rex_w(const Insn& i) { return i.osz == 8; }

// 0F AE /0 FXSAVE m512byte (REX.W: FXSAVE64)
void FXSAVE(Cpu& c, const Insn& i) {
    u64 a = ea(c, i);
    if (a & 15) raise(GP, 0);
    c.check_write(a, 416);
    save_x87(c, a, rex_w(i));
    save_mxcsr(c, a);
    save_sse(c, a);
    next(c, i);
}
// 0F AE /1 FXRSTOR m512byte
void FXRSTOR(Cpu& c, const Insn& i) {
    u64 a = ea(c, i);
    if (a & 15) raise(GP, 0);
    u32 m = read_mxcsr_checked(c, a);
    c.read<u8>(a + 415);  // fault on the far end before changing anything
    X87 f = c.s.fpu;
    read_x87(c, a, rex_w(i), f);
    c.s.fpu = f;
    load_sse(c, a);
    c.s.mxcsr = m;
    c.update_ferr();
    next(c, i);
}

u64 rfbm(const Cpu& c) { return c.sys.xcr0 & ((c.s.gpr[RDX] << 32) | static_cast<u32>(c.s.gpr[RAX])); }

// 0F AE /4 XSAVE mem; 0F AE /6 XSAVEOPT mem
void XSAVE(Cpu& c, const Insn& i) {
    u64 a = ea(c, i);
    if (a & 63) raise(GP, 0);
    u64 r = rfbm(c);
    c.check_write(a, 576);
    if (r & 1) save_x87(c, a, rex_w(i));
    if (r & 2) {
        save_mxcsr(c, a);
        save_sse(c, a);
    }
    u64 bv = c.read<u64>(a + 512);
    c.write<u64>(a + 512, (bv & ~r) | r);
    next(c, i);
}
// 0F AE /5 XRSTOR mem
void XRSTOR(Cpu& c, const Insn& i) {
    u64 a = ea(c, i);
    if (a & 63) raise(GP, 0);
    u64 r = rfbm(c);
    u64 bv = c.read<u64>(a + 512), comp = c.read<u64>(a + 520);
    if (bv & ~c.sys.xcr0) raise(GP, 0);
    if (comp) raise(GP, 0);  // compacted format not supported; nonzero XCOMP_BV is #GP in standard form
    for (unsigned k = 528; k < 576; k += 8)
        if (c.read<u64>(a + k)) raise(GP, 0);
    u32 m = (r & 2) ? read_mxcsr_checked(c, a) : c.s.mxcsr;
    if (r & 1) {
        X87 f;  // the initial configuration: FNINIT's, with every register 0 (SDM Vol. 1, 13.6)
        init(f);
        if (bv & 1) read_x87(c, a, rex_w(i), f);
        c.s.fpu = f;
        c.update_ferr();
    }
    if (r & 2) {
        if (bv & 2) load_sse(c, a);
        else
            for (unsigned k = 0; k < xmm_count(c); ++k) c.s.xmm[k] = Xmm{};
        c.s.mxcsr = m;
    }
    next(c, i);
}
// 0F 01 D1 XSETBV; 0F 01 D0 XGETBV
void XSETBV(Cpu& c, const Insn& i) {
    if (c.cpl() != 0) raise(GP, 0);
    if (static_cast<u32>(c.s.gpr[RCX]) != 0) raise(GP, 0);
    u64 v = (c.s.gpr[RDX] << 32) | static_cast<u32>(c.s.gpr[RAX]);
    if (!(v & 1) || (v & ~3ull)) raise(GP, 0);
    c.sys.xcr0 = v;
    next(c, i);
}
void XGETBV(Cpu& c, const Insn& i) {
    if (static_cast<u32>(c.s.gpr[RCX]) != 0) raise(GP, 0);
    c.s.gpr[RAX] = static_cast<u32>(c.sys.xcr0);
    c.s.gpr[RDX] = c.sys.xcr0 >> 32;
    next(c, i);
}

// FXSAVE64 & co.: REX.W shows as a 64-bit operand size.
template <Handler H, Cls C> bool build_state(Insn& i, const Decoded& d) {
    i.fn = H;
    i.cycles = cost(C, d);
    if (d.in.mnemonic == ZYDIS_MNEMONIC_FXSAVE64 || d.in.mnemonic == ZYDIS_MNEMONIC_FXRSTOR64 ||
        d.in.mnemonic == ZYDIS_MNEMONIC_XSAVE64 || d.in.mnemonic == ZYDIS_MNEMONIC_XSAVEOPT64 ||
        d.in.mnemonic == ZYDIS_MNEMONIC_XRSTOR64)
        i.osz = 8;
    else if (i.osz == 8)
        i.osz = 4;
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_FNSTENV, build_state<FNSTENV, Cls::X87Env>},
    {ZYDIS_MNEMONIC_FLDENV, build_state<FLDENV, Cls::X87Env>},
    {ZYDIS_MNEMONIC_FNSAVE, build_state<FNSAVE, Cls::X87Env>},
    {ZYDIS_MNEMONIC_FRSTOR, build_state<FRSTOR, Cls::X87Env>},
    {ZYDIS_MNEMONIC_FXSAVE, build_state<FXSAVE, Cls::FxSave>},
    {ZYDIS_MNEMONIC_FXSAVE64, build_state<FXSAVE, Cls::FxSave>},
    {ZYDIS_MNEMONIC_FXRSTOR, build_state<FXRSTOR, Cls::FxSave>},
    {ZYDIS_MNEMONIC_FXRSTOR64, build_state<FXRSTOR, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XSAVE, build_state<XSAVE, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XSAVE64, build_state<XSAVE, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XSAVEOPT, build_state<XSAVE, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XSAVEOPT64, build_state<XSAVE, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XRSTOR, build_state<XRSTOR, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XRSTOR64, build_state<XRSTOR, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XSETBV, simple<XSETBV, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XGETBV, simple<XGETBV, Cls::FxSave>},
};

}  // namespace

std::span<const BuilderEntry> fpstate_builders() { return kBuilders; }

}  // namespace sy
