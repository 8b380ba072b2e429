// isa-test forms: MMX (see forms.h). Every form draws a random x87 state
// (Fpu::Mmx: random register bits, TOP and tags, sometimes a pending x87
// exception, which makes the MMX instruction raise #MF) and compares the eight
// registers, tag word and status word afterwards: an MMX instruction sets TOP
// to 0 and every tag valid, and a write to MMn sets Rn's exponent bits (SDM
// Vol. 1, 9.5.1). The integer operations are the SSE2 and SSSE3 handlers at 64
// bits; no RFLAGS bit changes.
#include "forms_sse.h"

namespace sy::isatest {
namespace {

// MASKMOVQ writes to [RDI]: point it into the data area.
void rdi_at_data(Case& c, Rng& rng) { c.init.gpr[RDI] = kData + 0x40 + rng() % (kDataSize - 0x80); }

}  // namespace

std::vector<Form> mmx_forms() {
    std::vector<Form> f;
    SseAdder a{f, "mmx"};
    a.fpu = Fpu::Mmx;
    const std::pair<const char*, ZydisMnemonic> binary[] = {
        {"pxor", ZYDIS_MNEMONIC_PXOR},         {"por", ZYDIS_MNEMONIC_POR},
        {"pand", ZYDIS_MNEMONIC_PAND},         {"pandn", ZYDIS_MNEMONIC_PANDN},
        {"paddb", ZYDIS_MNEMONIC_PADDB},       {"paddw", ZYDIS_MNEMONIC_PADDW},
        {"paddd", ZYDIS_MNEMONIC_PADDD},       {"paddq", ZYDIS_MNEMONIC_PADDQ},
        {"psubb", ZYDIS_MNEMONIC_PSUBB},       {"psubw", ZYDIS_MNEMONIC_PSUBW},
        {"psubd", ZYDIS_MNEMONIC_PSUBD},       {"psubq", ZYDIS_MNEMONIC_PSUBQ},
        {"paddusb", ZYDIS_MNEMONIC_PADDUSB},   {"paddusw", ZYDIS_MNEMONIC_PADDUSW},
        {"psubusb", ZYDIS_MNEMONIC_PSUBUSB},   {"psubusw", ZYDIS_MNEMONIC_PSUBUSW},
        {"paddsb", ZYDIS_MNEMONIC_PADDSB},     {"paddsw", ZYDIS_MNEMONIC_PADDSW},
        {"psubsb", ZYDIS_MNEMONIC_PSUBSB},     {"psubsw", ZYDIS_MNEMONIC_PSUBSW},
        {"pcmpeqb", ZYDIS_MNEMONIC_PCMPEQB},   {"pcmpeqw", ZYDIS_MNEMONIC_PCMPEQW},
        {"pcmpeqd", ZYDIS_MNEMONIC_PCMPEQD},   {"pcmpgtb", ZYDIS_MNEMONIC_PCMPGTB},
        {"pcmpgtw", ZYDIS_MNEMONIC_PCMPGTW},   {"pcmpgtd", ZYDIS_MNEMONIC_PCMPGTD},
        {"pmullw", ZYDIS_MNEMONIC_PMULLW},     {"pmulhw", ZYDIS_MNEMONIC_PMULHW},
        {"pmulhuw", ZYDIS_MNEMONIC_PMULHUW},   {"pmuludq", ZYDIS_MNEMONIC_PMULUDQ},
        {"pmaddwd", ZYDIS_MNEMONIC_PMADDWD},   {"psadbw", ZYDIS_MNEMONIC_PSADBW},
        {"pminub", ZYDIS_MNEMONIC_PMINUB},     {"pmaxub", ZYDIS_MNEMONIC_PMAXUB},
        {"pminsw", ZYDIS_MNEMONIC_PMINSW},     {"pmaxsw", ZYDIS_MNEMONIC_PMAXSW},
        {"pavgb", ZYDIS_MNEMONIC_PAVGB},       {"pavgw", ZYDIS_MNEMONIC_PAVGW},
        {"punpckhbw", ZYDIS_MNEMONIC_PUNPCKHBW},
        {"punpckhwd", ZYDIS_MNEMONIC_PUNPCKHWD}, {"punpckhdq", ZYDIS_MNEMONIC_PUNPCKHDQ},
        {"packsswb", ZYDIS_MNEMONIC_PACKSSWB}, {"packuswb", ZYDIS_MNEMONIC_PACKUSWB},
        {"packssdw", ZYDIS_MNEMONIC_PACKSSDW},
        // SSSE3 on MMX registers
        {"pshufb", ZYDIS_MNEMONIC_PSHUFB},     {"phaddw", ZYDIS_MNEMONIC_PHADDW},
        {"phaddd", ZYDIS_MNEMONIC_PHADDD},     {"phaddsw", ZYDIS_MNEMONIC_PHADDSW},
        {"phsubw", ZYDIS_MNEMONIC_PHSUBW},     {"phsubd", ZYDIS_MNEMONIC_PHSUBD},
        {"phsubsw", ZYDIS_MNEMONIC_PHSUBSW},   {"pmaddubsw", ZYDIS_MNEMONIC_PMADDUBSW},
        {"pmulhrsw", ZYDIS_MNEMONIC_PMULHRSW}, {"psignb", ZYDIS_MNEMONIC_PSIGNB},
        {"psignw", ZYDIS_MNEMONIC_PSIGNW},     {"psignd", ZYDIS_MNEMONIC_PSIGND},
        {"pabsb", ZYDIS_MNEMONIC_PABSB},       {"pabsw", ZYDIS_MNEMONIC_PABSW},
        {"pabsd", ZYDIS_MNEMONIC_PABSD},
    };
    for (auto [n, mn] : binary) a.pq(n, mn);
    // The low unpacks read 32 bits from memory (SDM Vol. 2B, PUNPCKLBW: "mm, mm/m32").
    for (auto [n, mn] : {std::pair{"punpcklbw", ZYDIS_MNEMONIC_PUNPCKLBW}, {"punpcklwd", ZYDIS_MNEMONIC_PUNPCKLWD},
                         {"punpckldq", ZYDIS_MNEMONIC_PUNPCKLDQ}}) {
        a.add(std::string(n) + " mm, mm", mn, {mm(), mm()});
        a.add(std::string(n) + " mm, m32", mn, {mm(), mem(32)});
    }
    a.pq("palignr", ZYDIS_MNEMONIC_PALIGNR, true);
    a.pq("pshufw", ZYDIS_MNEMONIC_PSHUFW, true);
    const std::pair<const char*, ZydisMnemonic> shifts[] = {
        {"psllw", ZYDIS_MNEMONIC_PSLLW}, {"pslld", ZYDIS_MNEMONIC_PSLLD}, {"psllq", ZYDIS_MNEMONIC_PSLLQ},
        {"psrlw", ZYDIS_MNEMONIC_PSRLW}, {"psrld", ZYDIS_MNEMONIC_PSRLD}, {"psrlq", ZYDIS_MNEMONIC_PSRLQ},
        {"psraw", ZYDIS_MNEMONIC_PSRAW}, {"psrad", ZYDIS_MNEMONIC_PSRAD},
    };
    for (auto [n, mn] : shifts) {
        a.pq(n, mn);
        a.add(std::string(n) + " mm, imm8", mn, {mm(), imm(8)});
    }
    a.add("movd mm, r32", ZYDIS_MNEMONIC_MOVD, {mm(), gpr(32)});
    a.add("movd mm, m32", ZYDIS_MNEMONIC_MOVD, {mm(), mem(32)});
    a.add("movd r32, mm", ZYDIS_MNEMONIC_MOVD, {gpr(32), mm()});
    a.add("movd m32, mm", ZYDIS_MNEMONIC_MOVD, {mem(32), mm()});
    a.add("movq mm, r64", ZYDIS_MNEMONIC_MOVQ, {mm(), gpr(64)});
    a.add("movq r64, mm", ZYDIS_MNEMONIC_MOVQ, {gpr(64), mm()});
    a.pq("movq", ZYDIS_MNEMONIC_MOVQ);
    a.add("movq m64, mm", ZYDIS_MNEMONIC_MOVQ, {mem(64), mm()});
    a.add("movntq m64, mm", ZYDIS_MNEMONIC_MOVNTQ, {mem(64), mm()});
    a.add("pinsrw mm, r32, imm8", ZYDIS_MNEMONIC_PINSRW, {mm(), gpr(32), imm(8)});
    a.add("pinsrw mm, m16, imm8", ZYDIS_MNEMONIC_PINSRW, {mm(), mem(16), imm(8)});
    a.add("pextrw r32, mm, imm8", ZYDIS_MNEMONIC_PEXTRW, {gpr(32), mm(), imm(8)});
    a.add("pmovmskb r32, mm", ZYDIS_MNEMONIC_PMOVMSKB, {gpr(32), mm()});
    a.add("maskmovq mm, mm", ZYDIS_MNEMONIC_MASKMOVQ, {mm(), mm()}, 1, rdi_at_data);
    a.add("movq2dq xmm, mm", ZYDIS_MNEMONIC_MOVQ2DQ, {xmm(), mm()});
    a.add("movdq2q mm, xmm", ZYDIS_MNEMONIC_MOVDQ2Q, {mm(), xmm()});
    a.add("emms", ZYDIS_MNEMONIC_EMMS, {});

    // The SSE/SSE2 conversions with an MMX operand (MXCSR rounding and flags).
    SseAdder v{f, "mmx-cvt", Lanes::F32, true};
    v.fpu = Fpu::Mmx;
    for (auto [n, mn] : {std::pair{"cvtpi2ps", ZYDIS_MNEMONIC_CVTPI2PS}, {"cvtpi2pd", ZYDIS_MNEMONIC_CVTPI2PD}}) {
        v.add(std::string(n) + " xmm, mm", mn, {xmm(), mm()});
        v.add(std::string(n) + " xmm, m64", mn, {xmm(), mem(64)});
    }
    for (auto [n, mn] : {std::pair{"cvtps2pi", ZYDIS_MNEMONIC_CVTPS2PI}, {"cvttps2pi", ZYDIS_MNEMONIC_CVTTPS2PI}}) {
        v.add(std::string(n) + " mm, xmm", mn, {mm(), xmm()});
        v.add(std::string(n) + " mm, m64", mn, {mm(), mem(64)});
    }
    v.lanes = Lanes::F64;
    for (auto [n, mn] : {std::pair{"cvtpd2pi", ZYDIS_MNEMONIC_CVTPD2PI}, {"cvttpd2pi", ZYDIS_MNEMONIC_CVTTPD2PI}}) {
        v.add(std::string(n) + " mm, xmm", mn, {mm(), xmm()});
        v.add(std::string(n) + " mm, m128", mn, {mm(), mem(128)}, 16);
        v.add(std::string(n) + " mm, m128 misaligned", mn, {mm(), mem(128)});
    }
    return f;
}

}  // namespace sy::isatest
