// Saving and restoring x87/SSE state: FXSAVE/FXRSTOR (SDM Vol. 1, 10.5.1,
// Table 10-2 and 10-3), XSAVE/XSAVEOPT/XRSTOR/XSETBV/XGETBV (Vol. 1, ch. 13).
// A kernel switches FPU state with these, eagerly or lazily under CR0.TS (the
// #NM for CR0.TS/EM is decided at decode time, see decode.cpp).
//
// Deviations: the x87 data registers are not modelled, so their 80-bit slots
// save as zeros and restore as nothing; XSAVE records every requested component
// as in use (XSTATE_BV = RFBM), never as in its initial configuration; only the
// x87 and SSE components exist (XCR0 bits 0-1); the compacted format is #GP.
#include "decode.h"

namespace sy {
namespace {

using timing::Cls;

constexpr u32 kMxcsrMask = 0xFFFF;  // MXCSR_MASK: DAZ supported (SDM Vol. 1, 11.6.6)

u8 abridged_tag(u16 ftw) {
    u8 t = 0;
    for (int k = 0; k < 8; ++k)
        if (((ftw >> (2 * k)) & 3) != 3) t |= static_cast<u8>(1u << k);
    return t;
}
u16 full_tag(u8 abridged) {
    u16 t = 0;
    for (int k = 0; k < 8; ++k)
        if (!(abridged & (1u << k))) t |= static_cast<u16>(3u << (2 * k));
    return t;
}

unsigned xmm_count(const Cpu& c) { return c.mode() == Mode::Long64 ? 16 : 8; }

void save_x87(Cpu& c, u64 a) {
    c.write<u16>(a + 0, c.s.fcw);
    c.write<u16>(a + 2, c.s.fsw);
    c.write<u8>(a + 4, abridged_tag(c.s.ftw));
    c.write<u8>(a + 5, 0);
    c.write<u16>(a + 6, 0);   // FOP
    c.write<u64>(a + 8, 0);   // FIP (FCS)
    c.write<u64>(a + 16, 0);  // FDP (FDS)
    for (int k = 0; k < 8; ++k) {
        c.write<u64>(a + 32 + 16 * k, 0);
        c.write<u64>(a + 40 + 16 * k, 0);
    }
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
void load_x87(Cpu& c, u64 a) {
    c.s.fcw = static_cast<u16>((c.read<u16>(a) & 0x1F3F) | 0x40);
    c.s.fsw = c.read<u16>(a + 2);
    c.s.ftw = full_tag(c.read<u8>(a + 4));
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

// 0F AE /0 FXSAVE m512byte (REX.W: FXSAVE64)
void FXSAVE(Cpu& c, const Insn& i) {
    u64 a = ea(c, i);
    if (a & 15) raise(GP, 0);
    c.check_write(a, 416);
    save_x87(c, a);
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
    load_x87(c, a);
    load_sse(c, a);
    c.s.mxcsr = m;
    next(c, i);
}

u64 rfbm(const Cpu& c) { return c.sys.xcr0 & ((c.s.gpr[RDX] << 32) | static_cast<u32>(c.s.gpr[RAX])); }

// 0F AE /4 XSAVE mem; 0F AE /6 XSAVEOPT mem
void XSAVE(Cpu& c, const Insn& i) {
    u64 a = ea(c, i);
    if (a & 63) raise(GP, 0);
    u64 r = rfbm(c);
    c.check_write(a, 576);
    if (r & 1) save_x87(c, a);
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
        if (bv & 1) load_x87(c, a);
        else {
            c.s.fcw = 0x037F;
            c.s.fsw = 0;
            c.s.ftw = 0xFFFF;
        }
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


const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_FXSAVE, simple<FXSAVE, Cls::FxSave>},     {ZYDIS_MNEMONIC_FXSAVE64, simple<FXSAVE, Cls::FxSave>},
    {ZYDIS_MNEMONIC_FXRSTOR, simple<FXRSTOR, Cls::FxSave>},   {ZYDIS_MNEMONIC_FXRSTOR64, simple<FXRSTOR, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XSAVE, simple<XSAVE, Cls::FxSave>},       {ZYDIS_MNEMONIC_XSAVE64, simple<XSAVE, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XSAVEOPT, simple<XSAVE, Cls::FxSave>},    {ZYDIS_MNEMONIC_XSAVEOPT64, simple<XSAVE, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XRSTOR, simple<XRSTOR, Cls::FxSave>},     {ZYDIS_MNEMONIC_XRSTOR64, simple<XRSTOR, Cls::FxSave>},
    {ZYDIS_MNEMONIC_XSETBV, simple<XSETBV, Cls::FxSave>},     {ZYDIS_MNEMONIC_XGETBV, simple<XGETBV, Cls::FxSave>},
};

}  // namespace

std::span<const BuilderEntry> fpstate_builders() { return kBuilders; }

}  // namespace sy
