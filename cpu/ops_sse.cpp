// SSE and SSE2 instructions (SDM Vol. 1, ch. 10-11; Vol. 2 per instruction).
#include "decode.h"

namespace sy {
namespace {

using timing::Cls;

// 66 0F 6F MOVDQA xmm, xmm/m128; F3 0F 6F MOVDQU; 66 0F 7F / F3 0F 7F stores.
// MOVDQA faults with #GP(0) on a misaligned memory operand (SDM Vol. 2B, MOVDQA).
template <K D, K S, bool Aligned> void MOVDQ(Cpu& c, const Insn& i) {
    Xmm v;
    if constexpr (S == K::M) {
        u64 a = ea(c, i);
        if (Aligned && (a & 15)) raise(GP, 0);
        v.lo = c.read<u64>(a);
        v.hi = c.read<u64>(a + 8);
    } else {
        v = c.s.xmm[i.r1];
    }
    if constexpr (D == K::M) {
        u64 a = ea(c, i);
        if (Aligned && (a & 15)) raise(GP, 0);
        c.check_write(a, 16);
        c.write<u64>(a, v.lo);
        c.write<u64>(a + 8, v.hi);
    } else {
        c.s.xmm[i.r0] = v;
    }
    next(c, i);
}

template <bool Aligned> bool build_movdq(Insn& i, const Decoded& d) {
    K a = d.kind(0), b = d.kind(1);
    if (a == K::R && b == K::R) i.fn = MOVDQ<K::R, K::R, Aligned>;
    else if (a == K::R) i.fn = MOVDQ<K::R, K::M, Aligned>;
    else i.fn = MOVDQ<K::M, K::R, Aligned>;
    i.cycles = cost(Cls::SseMove, d);
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_MOVDQA, build_movdq<true>},
    {ZYDIS_MNEMONIC_MOVDQU, build_movdq<false>},
};

}  // namespace

std::span<const BuilderEntry> sse_builders() { return kBuilders; }

}  // namespace sy
