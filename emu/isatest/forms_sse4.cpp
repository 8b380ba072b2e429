// isa-test forms: SSE3, SSSE3, SSE4.1 and SSE4.2 (see forms.h).
//
// Flags: PTEST defines ZF and CF and clears AF OF PF SF (SDM Vol. 2B, PTEST);
// PCMPxSTRx define CF ZF SF OF and clear AF PF (Vol. 2B, 4.1.6, Table 4-4);
// CRC32 leaves RFLAGS alone; nothing else touches it. Nothing is masked.
//
// The string forms (PCMPxSTRx) fill the XMM registers and the memory operand
// with short strings over a small alphabet with NULs, so that matches, ranges
// and implicit ends all occur; the explicit lengths in RAX/RDX are small, zero,
// negative or large.
#include <cstring>
#include <tuple>

#include "forms_sse.h"

namespace sy::isatest {
namespace {

u8 draw_char(Rng& rng) {
    static const u8 alphabet[] = {0, 'a', 'b', 'c', 'z', 'A', 0x7F, 0x80, 0xFF, '0', '9', ' '};
    return rng() % 4 ? alphabet[rng() % std::size(alphabet)] : static_cast<u8>(rng());
}
void strings(Case& c, Rng& rng) {
    for (Xmm& x : c.init.xmm) {
        u8 b[16];
        for (u8& v : b) v = draw_char(rng);
        if (rng() % 2) b[rng() % 16] = 0;
        std::memcpy(&x, b, 16);
    }
    if (c.mem_addr)
        for (unsigned k = 0; k < 16; ++k) c.init.data[c.mem_addr - kData + k] = draw_char(rng);
    for (int r : {RAX, RDX}) {  // (never a base or index: the forms avoid them)
        switch (rng() % 4) {
            case 0: c.init.gpr[r] = rng() % 20; break;
            case 1: c.init.gpr[r] = static_cast<u64>(-static_cast<i64>(rng() % 20)); break;
            case 2: c.init.gpr[r] = (c.init.gpr[r] & ~0xFFFFFFFFull) | (rng() % 20); break;
            default: break;  // as drawn: edge values, large ones saturate
        }
    }
}

}  // namespace

std::vector<Form> sse4_forms() {
    std::vector<Form> f;
    // ---- SSE3 ----
    SseAdder a{f, "sse3", Lanes::F32, true};
    a.vw("addsubps", ZYDIS_MNEMONIC_ADDSUBPS, 128);
    a.vw("haddps", ZYDIS_MNEMONIC_HADDPS, 128);
    a.vw("hsubps", ZYDIS_MNEMONIC_HSUBPS, 128);
    a.vw("movshdup", ZYDIS_MNEMONIC_MOVSHDUP, 128);
    a.vw("movsldup", ZYDIS_MNEMONIC_MOVSLDUP, 128);
    a.lanes = Lanes::F64;
    a.vw("addsubpd", ZYDIS_MNEMONIC_ADDSUBPD, 128);
    a.vw("haddpd", ZYDIS_MNEMONIC_HADDPD, 128);
    a.vw("hsubpd", ZYDIS_MNEMONIC_HSUBPD, 128);
    a.vw("movddup", ZYDIS_MNEMONIC_MOVDDUP, 64);
    a.add("lddqu xmm, m128", ZYDIS_MNEMONIC_LDDQU, {xmm(), mem(128)});

    // ---- SSSE3 (the MMX forms are in forms_mmx.cpp) ----
    SseAdder s{f, "ssse3"};
    const std::pair<const char*, ZydisMnemonic> ssse3[] = {
        {"pshufb", ZYDIS_MNEMONIC_PSHUFB},     {"phaddw", ZYDIS_MNEMONIC_PHADDW},
        {"phaddd", ZYDIS_MNEMONIC_PHADDD},     {"phaddsw", ZYDIS_MNEMONIC_PHADDSW},
        {"phsubw", ZYDIS_MNEMONIC_PHSUBW},     {"phsubd", ZYDIS_MNEMONIC_PHSUBD},
        {"phsubsw", ZYDIS_MNEMONIC_PHSUBSW},   {"pmaddubsw", ZYDIS_MNEMONIC_PMADDUBSW},
        {"pmulhrsw", ZYDIS_MNEMONIC_PMULHRSW}, {"psignb", ZYDIS_MNEMONIC_PSIGNB},
        {"psignw", ZYDIS_MNEMONIC_PSIGNW},     {"psignd", ZYDIS_MNEMONIC_PSIGND},
        {"pabsb", ZYDIS_MNEMONIC_PABSB},       {"pabsw", ZYDIS_MNEMONIC_PABSW},
        {"pabsd", ZYDIS_MNEMONIC_PABSD},
    };
    for (auto [n, mn] : ssse3) s.vw(n, mn, 128);
    s.vw("palignr", ZYDIS_MNEMONIC_PALIGNR, 128, true);

    // ---- SSE4.1 integer ----
    SseAdder i{f, "sse4.1-int"};
    const std::pair<const char*, ZydisMnemonic> sse41[] = {
        {"pmuldq", ZYDIS_MNEMONIC_PMULDQ},   {"pmulld", ZYDIS_MNEMONIC_PMULLD},
        {"pminsb", ZYDIS_MNEMONIC_PMINSB},   {"pmaxsb", ZYDIS_MNEMONIC_PMAXSB},
        {"pminuw", ZYDIS_MNEMONIC_PMINUW},   {"pmaxuw", ZYDIS_MNEMONIC_PMAXUW},
        {"pminsd", ZYDIS_MNEMONIC_PMINSD},   {"pmaxsd", ZYDIS_MNEMONIC_PMAXSD},
        {"pminud", ZYDIS_MNEMONIC_PMINUD},   {"pmaxud", ZYDIS_MNEMONIC_PMAXUD},
        {"pcmpeqq", ZYDIS_MNEMONIC_PCMPEQQ}, {"packusdw", ZYDIS_MNEMONIC_PACKUSDW},
        {"ptest", ZYDIS_MNEMONIC_PTEST},     {"phminposuw", ZYDIS_MNEMONIC_PHMINPOSUW},
    };
    for (auto [n, mn] : sse41) i.vw(n, mn, 128);
    i.vw("mpsadbw", ZYDIS_MNEMONIC_MPSADBW, 128, true);
    i.vw("pblendw", ZYDIS_MNEMONIC_PBLENDW, 128, true);
    i.add("pblendvb xmm, xmm, xmm0", ZYDIS_MNEMONIC_PBLENDVB, {xmm(), xmm()});
    i.add("pblendvb xmm, m128, xmm0", ZYDIS_MNEMONIC_PBLENDVB, {xmm(), mem(128)}, 16);
    i.add("pblendvb xmm, m128, xmm0 misaligned", ZYDIS_MNEMONIC_PBLENDVB, {xmm(), mem(128)});
    const std::tuple<const char*, ZydisMnemonic, u16> extend[] = {
        {"pmovsxbw", ZYDIS_MNEMONIC_PMOVSXBW, 64}, {"pmovsxbd", ZYDIS_MNEMONIC_PMOVSXBD, 32},
        {"pmovsxbq", ZYDIS_MNEMONIC_PMOVSXBQ, 16}, {"pmovsxwd", ZYDIS_MNEMONIC_PMOVSXWD, 64},
        {"pmovsxwq", ZYDIS_MNEMONIC_PMOVSXWQ, 32}, {"pmovsxdq", ZYDIS_MNEMONIC_PMOVSXDQ, 64},
        {"pmovzxbw", ZYDIS_MNEMONIC_PMOVZXBW, 64}, {"pmovzxbd", ZYDIS_MNEMONIC_PMOVZXBD, 32},
        {"pmovzxbq", ZYDIS_MNEMONIC_PMOVZXBQ, 16}, {"pmovzxwd", ZYDIS_MNEMONIC_PMOVZXWD, 64},
        {"pmovzxwq", ZYDIS_MNEMONIC_PMOVZXWQ, 32}, {"pmovzxdq", ZYDIS_MNEMONIC_PMOVZXDQ, 64},
    };
    for (auto [n, mn, bits] : extend) i.vw(n, mn, bits);
    i.add("pinsrb xmm, r32, imm8", ZYDIS_MNEMONIC_PINSRB, {xmm(), gpr(32), imm(8)});
    i.add("pinsrb xmm, m8, imm8", ZYDIS_MNEMONIC_PINSRB, {xmm(), mem(8), imm(8)});
    i.add("pinsrd xmm, r32, imm8", ZYDIS_MNEMONIC_PINSRD, {xmm(), gpr(32), imm(8)});
    i.add("pinsrd xmm, m32, imm8", ZYDIS_MNEMONIC_PINSRD, {xmm(), mem(32), imm(8)});
    i.add("pinsrq xmm, r64, imm8", ZYDIS_MNEMONIC_PINSRQ, {xmm(), gpr(64), imm(8)});
    i.add("pinsrq xmm, m64, imm8", ZYDIS_MNEMONIC_PINSRQ, {xmm(), mem(64), imm(8)});
    i.add("pextrb r32, xmm, imm8", ZYDIS_MNEMONIC_PEXTRB, {gpr(32), xmm(), imm(8)});
    i.add("pextrb m8, xmm, imm8", ZYDIS_MNEMONIC_PEXTRB, {mem(8), xmm(), imm(8)});
    i.add("pextrw m16, xmm, imm8", ZYDIS_MNEMONIC_PEXTRW, {mem(16), xmm(), imm(8)});
    i.add("pextrd r32, xmm, imm8", ZYDIS_MNEMONIC_PEXTRD, {gpr(32), xmm(), imm(8)});
    i.add("pextrd m32, xmm, imm8", ZYDIS_MNEMONIC_PEXTRD, {mem(32), xmm(), imm(8)});
    i.add("pextrq r64, xmm, imm8", ZYDIS_MNEMONIC_PEXTRQ, {gpr(64), xmm(), imm(8)});
    i.add("pextrq m64, xmm, imm8", ZYDIS_MNEMONIC_PEXTRQ, {mem(64), xmm(), imm(8)});
    i.add("movntdqa xmm, m128", ZYDIS_MNEMONIC_MOVNTDQA, {xmm(), mem(128)}, 16);
    i.add("movntdqa xmm, m128 misaligned", ZYDIS_MNEMONIC_MOVNTDQA, {xmm(), mem(128)});

    // ---- SSE4.1 floating point ----
    SseAdder p{f, "sse4.1-float", Lanes::F32, true};
    p.vw("dpps", ZYDIS_MNEMONIC_DPPS, 128, true);
    p.vw("roundps", ZYDIS_MNEMONIC_ROUNDPS, 128, true);
    p.vw("roundss", ZYDIS_MNEMONIC_ROUNDSS, 32, true);
    p.vw("blendps", ZYDIS_MNEMONIC_BLENDPS, 128, true);
    p.vw("insertps", ZYDIS_MNEMONIC_INSERTPS, 32, true);
    p.add("blendvps xmm, xmm, xmm0", ZYDIS_MNEMONIC_BLENDVPS, {xmm(), xmm()});
    p.add("blendvps xmm, m128, xmm0", ZYDIS_MNEMONIC_BLENDVPS, {xmm(), mem(128)}, 16);
    p.add("extractps r32, xmm, imm8", ZYDIS_MNEMONIC_EXTRACTPS, {gpr(32), xmm(), imm(8)});
    p.add("extractps m32, xmm, imm8", ZYDIS_MNEMONIC_EXTRACTPS, {mem(32), xmm(), imm(8)});
    p.lanes = Lanes::F64;
    p.vw("dppd", ZYDIS_MNEMONIC_DPPD, 128, true);
    p.vw("roundpd", ZYDIS_MNEMONIC_ROUNDPD, 128, true);
    p.vw("roundsd", ZYDIS_MNEMONIC_ROUNDSD, 64, true);
    p.vw("blendpd", ZYDIS_MNEMONIC_BLENDPD, 128, true);
    p.add("blendvpd xmm, xmm, xmm0", ZYDIS_MNEMONIC_BLENDVPD, {xmm(), xmm()});
    p.add("blendvpd xmm, m128, xmm0", ZYDIS_MNEMONIC_BLENDVPD, {xmm(), mem(128)}, 16);

    // ---- SSE4.2 ----
    SseAdder t{f, "sse4.2"};
    t.vw("pcmpgtq", ZYDIS_MNEMONIC_PCMPGTQ, 128);
    for (auto [n, mn] : {std::pair{"pcmpestri", ZYDIS_MNEMONIC_PCMPESTRI}, {"pcmpestrm", ZYDIS_MNEMONIC_PCMPESTRM},
                         {"pcmpistri", ZYDIS_MNEMONIC_PCMPISTRI}, {"pcmpistrm", ZYDIS_MNEMONIC_PCMPISTRM}}) {
        t.add(std::string(n) + " xmm, xmm, imm8", mn, {xmm(), xmm(), imm(8)}, 1, strings);
        t.add(std::string(n) + " xmm, m128, imm8", mn, {xmm(), mem(128), imm(8)}, 1, strings);
        f.back().avoid_gprs = (1u << RAX) | (1u << RDX);  // the explicit lengths
    }
    for (u16 b : {8, 16, 32}) {
        t.add("crc32 r32, r" + std::to_string(b), ZYDIS_MNEMONIC_CRC32, {gpr(32), gpr(b)});
        t.add("crc32 r32, m" + std::to_string(b), ZYDIS_MNEMONIC_CRC32, {gpr(32), mem(b)});
    }
    for (u16 b : {8, 64}) {
        t.add("crc32 r64, r" + std::to_string(b), ZYDIS_MNEMONIC_CRC32, {gpr(64), gpr(b)});
        t.add("crc32 r64, m" + std::to_string(b), ZYDIS_MNEMONIC_CRC32, {gpr(64), mem(b)});
    }
    return f;
}

}  // namespace sy::isatest
