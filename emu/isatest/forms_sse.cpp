// isa-test forms: SSE and SSE2 (see forms.h).
//
// None of these instructions changes an undefined flag: COMISS/COMISD/UCOMISS/
// UCOMISD define ZF PF CF and clear OF SF AF (SDM Vol. 2A, COMISS "Flags
// Affected"), the rest leave RFLAGS alone. So no form masks anything.
//
// Float forms fill XMM lanes with float/double edge values and draw MXCSR
// (rounding, FTZ, DAZ, masks, sticky flags); every 16-byte memory operand of an
// aligned instruction also has a "misaligned" form, where the host raises #GP.
#include <cstring>
#include <string>

#include "forms_sse.h"

namespace sy::isatest {
namespace {


// LDMXCSR: most random words have reserved bits set (#GP); three cases in four
// load a valid MXCSR instead. Bit 17 alone among bits 31:16 is left out: AMD
// processors accept it (MXCSR.MM, "misaligned exception mask", AMD APM Vol. 1,
// 4.2.2), Intel ones and our model (MXCSR_MASK = FFFFh, SDM Vol. 1, 11.6.6) raise
// #GP(0). Every other reserved bit faults on both.
void valid_mxcsr_operand(Case& c, Rng& rng) {
    u32 v;
    std::memcpy(&v, &c.init.data[c.mem_addr - kData], 4);
    if (rng() % 4 != 0) v &= 0xFFFF;
    else if ((v >> 16) == 2) v |= 1u << 16;
    std::memcpy(&c.init.data[c.mem_addr - kData], &v, 4);
}

// MASKMOVDQU writes to [RDI]: point it into the data area.
void rdi_at_data(Case& c, Rng& rng) { c.init.gpr[RDI] = kData + 0x40 + rng() % (kDataSize - 0x80); }

void moves(std::vector<Form>& f) {
    SseAdder a{f, "sse-move"};
    for (auto [n, mn] : {std::pair{"movaps", ZYDIS_MNEMONIC_MOVAPS}, {"movapd", ZYDIS_MNEMONIC_MOVAPD},
                         {"movdqa", ZYDIS_MNEMONIC_MOVDQA}}) {
        a.vw(n, mn, 128);
        a.store(n, mn, 128, true);
    }
    for (auto [n, mn] : {std::pair{"movups", ZYDIS_MNEMONIC_MOVUPS}, {"movupd", ZYDIS_MNEMONIC_MOVUPD},
                         {"movdqu", ZYDIS_MNEMONIC_MOVDQU}}) {
        a.vw(n, mn, 128, false, false);
        a.store(n, mn, 128);
    }
    a.add("movd xmm, r32", ZYDIS_MNEMONIC_MOVD, {xmm(), gpr(32)});
    a.add("movd xmm, m32", ZYDIS_MNEMONIC_MOVD, {xmm(), mem(32)});
    a.add("movd r32, xmm", ZYDIS_MNEMONIC_MOVD, {gpr(32), xmm()});
    a.store("movd", ZYDIS_MNEMONIC_MOVD, 32);
    a.add("movq xmm, r64", ZYDIS_MNEMONIC_MOVQ, {xmm(), gpr(64)});
    a.add("movq r64, xmm", ZYDIS_MNEMONIC_MOVQ, {gpr(64), xmm()});
    a.vw("movq", ZYDIS_MNEMONIC_MOVQ, 64);
    a.store("movq", ZYDIS_MNEMONIC_MOVQ, 64);
    a.vw("movss", ZYDIS_MNEMONIC_MOVSS, 32);
    a.store("movss", ZYDIS_MNEMONIC_MOVSS, 32);
    a.vw("movsd", ZYDIS_MNEMONIC_MOVSD, 64);
    a.store("movsd", ZYDIS_MNEMONIC_MOVSD, 64);
    for (auto [n, mn] : {std::pair{"movlps", ZYDIS_MNEMONIC_MOVLPS}, {"movlpd", ZYDIS_MNEMONIC_MOVLPD},
                         {"movhps", ZYDIS_MNEMONIC_MOVHPS}, {"movhpd", ZYDIS_MNEMONIC_MOVHPD}}) {
        a.add(std::string(n) + " xmm, m64", mn, {xmm(), mem(64)});
        a.store(n, mn, 64);
    }
    a.add("movhlps xmm, xmm", ZYDIS_MNEMONIC_MOVHLPS, {xmm(), xmm()});
    a.add("movlhps xmm, xmm", ZYDIS_MNEMONIC_MOVLHPS, {xmm(), xmm()});
    a.add("movmskps r32, xmm", ZYDIS_MNEMONIC_MOVMSKPS, {gpr(32), xmm()});
    a.add("movmskpd r32, xmm", ZYDIS_MNEMONIC_MOVMSKPD, {gpr(32), xmm()});
    a.add("pmovmskb r32, xmm", ZYDIS_MNEMONIC_PMOVMSKB, {gpr(32), xmm()});
    a.store("movntps", ZYDIS_MNEMONIC_MOVNTPS, 128, true);
    a.store("movntpd", ZYDIS_MNEMONIC_MOVNTPD, 128, true);
    a.store("movntdq", ZYDIS_MNEMONIC_MOVNTDQ, 128, true);
    a.add("movnti m32, r32", ZYDIS_MNEMONIC_MOVNTI, {mem(32), gpr(32)});
    a.add("movnti m64, r64", ZYDIS_MNEMONIC_MOVNTI, {mem(64), gpr(64)});
    a.add("maskmovdqu xmm, xmm", ZYDIS_MNEMONIC_MASKMOVDQU, {xmm(), xmm()}, 1, rdi_at_data);
    SseAdder s{f, "sse-mxcsr", Lanes::Bits, true};
    s.add("ldmxcsr m32", ZYDIS_MNEMONIC_LDMXCSR, {mem(32)}, 1, valid_mxcsr_operand);
    s.add("stmxcsr m32", ZYDIS_MNEMONIC_STMXCSR, {mem(32)});
}

void integer(std::vector<Form>& f) {
    SseAdder a{f, "sse-int"};
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
        {"punpcklbw", ZYDIS_MNEMONIC_PUNPCKLBW}, {"punpcklwd", ZYDIS_MNEMONIC_PUNPCKLWD},
        {"punpckldq", ZYDIS_MNEMONIC_PUNPCKLDQ}, {"punpcklqdq", ZYDIS_MNEMONIC_PUNPCKLQDQ},
        {"punpckhbw", ZYDIS_MNEMONIC_PUNPCKHBW}, {"punpckhwd", ZYDIS_MNEMONIC_PUNPCKHWD},
        {"punpckhdq", ZYDIS_MNEMONIC_PUNPCKHDQ}, {"punpckhqdq", ZYDIS_MNEMONIC_PUNPCKHQDQ},
        {"packsswb", ZYDIS_MNEMONIC_PACKSSWB}, {"packuswb", ZYDIS_MNEMONIC_PACKUSWB},
        {"packssdw", ZYDIS_MNEMONIC_PACKSSDW},
    };
    for (auto [n, mn] : binary) a.vw(n, mn, 128);
    const std::pair<const char*, ZydisMnemonic> shifts[] = {
        {"psllw", ZYDIS_MNEMONIC_PSLLW}, {"pslld", ZYDIS_MNEMONIC_PSLLD}, {"psllq", ZYDIS_MNEMONIC_PSLLQ},
        {"psrlw", ZYDIS_MNEMONIC_PSRLW}, {"psrld", ZYDIS_MNEMONIC_PSRLD}, {"psrlq", ZYDIS_MNEMONIC_PSRLQ},
        {"psraw", ZYDIS_MNEMONIC_PSRAW}, {"psrad", ZYDIS_MNEMONIC_PSRAD},
    };
    for (auto [n, mn] : shifts) {
        a.vw(n, mn, 128);
        a.add(std::string(n) + " xmm, imm8", mn, {xmm(), imm(8)});
    }
    a.add("pslldq xmm, imm8", ZYDIS_MNEMONIC_PSLLDQ, {xmm(), imm(8)});
    a.add("psrldq xmm, imm8", ZYDIS_MNEMONIC_PSRLDQ, {xmm(), imm(8)});
    a.vw("pshufd", ZYDIS_MNEMONIC_PSHUFD, 128, true);
    a.vw("pshuflw", ZYDIS_MNEMONIC_PSHUFLW, 128, true);
    a.vw("pshufhw", ZYDIS_MNEMONIC_PSHUFHW, 128, true);
    a.add("pinsrw xmm, r32, imm8", ZYDIS_MNEMONIC_PINSRW, {xmm(), gpr(32), imm(8)});
    a.add("pinsrw xmm, m16, imm8", ZYDIS_MNEMONIC_PINSRW, {xmm(), mem(16), imm(8)});
    a.add("pextrw r32, xmm, imm8", ZYDIS_MNEMONIC_PEXTRW, {gpr(32), xmm(), imm(8)});
}

void floating(std::vector<Form>& f) {
    SseAdder a{f, "sse-float", Lanes::F32, true};
    using Z = ZydisMnemonic;
    a.arith4("add", ZYDIS_MNEMONIC_ADDPS, ZYDIS_MNEMONIC_ADDSS, ZYDIS_MNEMONIC_ADDPD, ZYDIS_MNEMONIC_ADDSD);
    a.arith4("sub", ZYDIS_MNEMONIC_SUBPS, ZYDIS_MNEMONIC_SUBSS, ZYDIS_MNEMONIC_SUBPD, ZYDIS_MNEMONIC_SUBSD);
    a.arith4("mul", ZYDIS_MNEMONIC_MULPS, ZYDIS_MNEMONIC_MULSS, ZYDIS_MNEMONIC_MULPD, ZYDIS_MNEMONIC_MULSD);
    a.arith4("div", ZYDIS_MNEMONIC_DIVPS, ZYDIS_MNEMONIC_DIVSS, ZYDIS_MNEMONIC_DIVPD, ZYDIS_MNEMONIC_DIVSD);
    a.arith4("sqrt", ZYDIS_MNEMONIC_SQRTPS, ZYDIS_MNEMONIC_SQRTSS, ZYDIS_MNEMONIC_SQRTPD, ZYDIS_MNEMONIC_SQRTSD);
    a.arith4("min", ZYDIS_MNEMONIC_MINPS, ZYDIS_MNEMONIC_MINSS, ZYDIS_MNEMONIC_MINPD, ZYDIS_MNEMONIC_MINSD);
    a.arith4("max", ZYDIS_MNEMONIC_MAXPS, ZYDIS_MNEMONIC_MAXSS, ZYDIS_MNEMONIC_MAXPD, ZYDIS_MNEMONIC_MAXSD);
    a.vw("rcpps", ZYDIS_MNEMONIC_RCPPS, 128);
    a.vw("rcpss", ZYDIS_MNEMONIC_RCPSS, 32);
    a.vw("rsqrtps", ZYDIS_MNEMONIC_RSQRTPS, 128);
    a.vw("rsqrtss", ZYDIS_MNEMONIC_RSQRTSS, 32);
    a.vw("cmpps", ZYDIS_MNEMONIC_CMPPS, 128, true);
    a.vw("cmpss", ZYDIS_MNEMONIC_CMPSS, 32, true);
    a.vw("comiss", ZYDIS_MNEMONIC_COMISS, 32);
    a.vw("ucomiss", ZYDIS_MNEMONIC_UCOMISS, 32);
    for (auto [n, mn] : {std::pair{"andps", Z(ZYDIS_MNEMONIC_ANDPS)}, {"andnps", ZYDIS_MNEMONIC_ANDNPS},
                         {"orps", ZYDIS_MNEMONIC_ORPS}, {"xorps", ZYDIS_MNEMONIC_XORPS},
                         {"unpcklps", ZYDIS_MNEMONIC_UNPCKLPS}, {"unpckhps", ZYDIS_MNEMONIC_UNPCKHPS}})
        a.vw(n, mn, 128);
    a.vw("shufps", ZYDIS_MNEMONIC_SHUFPS, 128, true);
    a.lanes = Lanes::F64;
    a.vw("cmppd", ZYDIS_MNEMONIC_CMPPD, 128, true);
    a.vw("cmpsd", ZYDIS_MNEMONIC_CMPSD, 64, true);
    a.vw("comisd", ZYDIS_MNEMONIC_COMISD, 64);
    a.vw("ucomisd", ZYDIS_MNEMONIC_UCOMISD, 64);
    for (auto [n, mn] : {std::pair{"andpd", Z(ZYDIS_MNEMONIC_ANDPD)}, {"andnpd", ZYDIS_MNEMONIC_ANDNPD},
                         {"orpd", ZYDIS_MNEMONIC_ORPD}, {"xorpd", ZYDIS_MNEMONIC_XORPD},
                         {"unpcklpd", ZYDIS_MNEMONIC_UNPCKLPD}, {"unpckhpd", ZYDIS_MNEMONIC_UNPCKHPD}})
        a.vw(n, mn, 128);
    a.vw("shufpd", ZYDIS_MNEMONIC_SHUFPD, 128, true);
}

void conversions(std::vector<Form>& f) {
    SseAdder a{f, "sse-cvt", Lanes::F32, true};
    for (auto [n, mn] : {std::pair{"cvtsi2ss", ZYDIS_MNEMONIC_CVTSI2SS}, {"cvtsi2sd", ZYDIS_MNEMONIC_CVTSI2SD}})
        for (u16 b : {32, 64}) {
            a.add(std::string(n) + " xmm, " + r(b), mn, {xmm(), gpr(b)});
            a.add(std::string(n) + " xmm, " + m(b), mn, {xmm(), mem(b)});
        }
    for (auto [n, mn] : {std::pair{"cvttss2si", ZYDIS_MNEMONIC_CVTTSS2SI}, {"cvtss2si", ZYDIS_MNEMONIC_CVTSS2SI}})
        for (u16 b : {32, 64}) {
            a.add(std::string(n) + " " + r(b) + ", xmm", mn, {gpr(b), xmm()});
            a.add(std::string(n) + " " + r(b) + ", m32", mn, {gpr(b), mem(32)});
        }
    a.vw("cvtss2sd", ZYDIS_MNEMONIC_CVTSS2SD, 32);
    a.vw("cvtps2dq", ZYDIS_MNEMONIC_CVTPS2DQ, 128);
    a.vw("cvttps2dq", ZYDIS_MNEMONIC_CVTTPS2DQ, 128);
    a.vw("cvtps2pd", ZYDIS_MNEMONIC_CVTPS2PD, 64);
    a.lanes = Lanes::F64;
    for (auto [n, mn] : {std::pair{"cvttsd2si", ZYDIS_MNEMONIC_CVTTSD2SI}, {"cvtsd2si", ZYDIS_MNEMONIC_CVTSD2SI}})
        for (u16 b : {32, 64}) {
            a.add(std::string(n) + " " + r(b) + ", xmm", mn, {gpr(b), xmm()});
            a.add(std::string(n) + " " + r(b) + ", m64", mn, {gpr(b), mem(64)});
        }
    a.vw("cvtsd2ss", ZYDIS_MNEMONIC_CVTSD2SS, 64);
    a.vw("cvtpd2dq", ZYDIS_MNEMONIC_CVTPD2DQ, 128);
    a.vw("cvttpd2dq", ZYDIS_MNEMONIC_CVTTPD2DQ, 128);
    a.vw("cvtpd2ps", ZYDIS_MNEMONIC_CVTPD2PS, 128);
    a.lanes = Lanes::Bits;  // integer sources
    a.vw("cvtdq2ps", ZYDIS_MNEMONIC_CVTDQ2PS, 128);
    a.vw("cvtdq2pd", ZYDIS_MNEMONIC_CVTDQ2PD, 64);
}

}  // namespace

std::vector<Form> sse_forms() {
    std::vector<Form> f;
    moves(f);
    integer(f);
    floating(f);
    conversions(f);
    return f;
}

}  // namespace sy::isatest
