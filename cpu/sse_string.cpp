// SSE4.2 string and text instructions, and CRC32 (SDM Vol. 1, 12.10 "SSE4.2
// instruction set"; Vol. 2B, 4.1 "Imm8 control byte operation for PCMPESTRI /
// PCMPESTRM / PCMPISTRI / PCMPISTRM", and CRC32).
//
// PCMPxSTRx compare every element of the second operand (xmm2/m128, "the
// string", indexed j) against the elements of the first (xmm1, "the pattern",
// indexed i) under imm8: [1:0] bytes or words, unsigned or signed; [3:2] the
// aggregation (equal any, ranges, equal each, equal ordered); [5:4] the
// polarity; [6] the index or mask form of the output. Lengths are explicit
// (|EAX|, |EDX|, or |RAX|, |RDX| with REX.W, saturated to the element count) or
// implicit (up to the first zero element). The memory operand has no alignment
// rule (SDM Vol. 2B, PCMPESTRI: "#GP ... misaligned access not checked").
#include <array>
#include <bit>

#include "sse_exec.h"

namespace sy::sse {
namespace {

// ---- PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM ---------------------------------
struct StrResult {
    u16 mask;            // IntRes2, one bit per element
    unsigned len1, len2; // valid elements of the pattern and of the string
    unsigned n;          // 16 bytes or 8 words
};

int element(const Xmm& x, unsigned k, u8 imm) {
    switch (imm & 3) {
        case 0: return lane<u8>(x, k);
        case 1: return lane<u16>(x, k);
        case 2: return lane<i8>(x, k);
        default: return lane<i16>(x, k);
    }
}
unsigned implicit_length(const Xmm& x, u8 imm, unsigned n) {
    for (unsigned k = 0; k < n; ++k)
        if (element(x, k, imm) == 0) return k;
    return n;
}
unsigned explicit_length(u64 v, bool wide, unsigned n) {
    const i64 l = wide ? static_cast<i64>(v) : static_cast<i32>(v);
    const u64 mag = l < 0 ? 0 - static_cast<u64>(l) : static_cast<u64>(l);
    return mag > n ? n : static_cast<unsigned>(mag);
}

StrResult compare_strings(const Xmm& a, const Xmm& b, unsigned len1, unsigned len2, u8 imm) {
    const unsigned n = (imm & 1) ? 8 : 16;
    const unsigned agg = (imm >> 2) & 3;
    // BoolRes[j][i]: string element j against pattern element i, overridden for
    // invalid elements as SDM Vol. 2B, Table 4-7 says.
    auto boolres = [&](unsigned j, unsigned i) -> bool {
        const bool vi = i < len1, vj = j < len2;
        if (!vi || !vj) {
            switch (agg) {
                case 2: return !vi && !vj;  // equal each: both invalid is a match
                case 3: return !vi;         // equal ordered: a finished pattern matches
                default: return false;
            }
        }
        const int x = element(b, j, imm), y = element(a, i, imm);
        if (agg == 1) return (i & 1) ? x <= y : x >= y;  // ranges: (low, high) pairs
        return x == y;
    };
    u16 r1 = 0;
    for (unsigned j = 0; j < n; ++j) {
        bool bit = false;
        switch (agg) {
            case 0:  // equal any
                for (unsigned i = 0; i < n; ++i) bit |= boolres(j, i);
                break;
            case 1:  // ranges
                for (unsigned i = 0; i < n; i += 2) bit |= boolres(j, i) && boolres(j, i + 1);
                break;
            case 2: bit = boolres(j, j); break;  // equal each
            default:                             // equal ordered: the pattern starts at j
                bit = true;
                for (unsigned i = 0; i + j < n; ++i) bit &= boolres(j + i, i);
                break;
        }
        if (bit) r1 = static_cast<u16>(r1 | (1u << j));
    }
    const u16 all = static_cast<u16>((1u << n) - 1);
    u16 r2 = r1;
    switch ((imm >> 4) & 3) {
        case 1: r2 = static_cast<u16>(~r1 & all); break;                                    // negative
        case 3: r2 = static_cast<u16>((r1 ^ ((1u << len2) - 1)) & all); break;             // masked negative
        default: break;
    }
    return {r2, len1, len2, n};
}

// CF: a match; ZF: the string ends inside the register; SF: the pattern does;
// OF: element 0 matched; AF, PF cleared.
void set_string_flags(Cpu& c, const StrResult& r) {
    u64 f = 0;
    if (r.mask) f |= fl::CF;
    if (r.len2 < r.n) f |= fl::ZF;
    if (r.len1 < r.n) f |= fl::SF;
    if (r.mask & 1) f |= fl::OF;
    c.s.rflags = (c.s.rflags & ~fl::ARITH) | f;
}

// 66 0F 3A 61 PCMPESTRI, 63 PCMPISTRI: ECX = the least (imm8[6] = 0) or most
// significant matching element, the element count if none.
// 66 0F 3A 60 PCMPESTRM, 62 PCMPISTRM: XMM0 = the bits (imm8[6] = 0) or a byte/word mask.
template <bool Explicit, bool Index, bool Wide> struct StringCompare {
    static constexpr unsigned kMem = 16;
    static void run(Cpu& c, Xmm& d, const Xmm& s, u8 imm) {
        const unsigned n = (imm & 1) ? 8 : 16;
        const unsigned len1 = Explicit ? explicit_length(c.s.gpr[RAX], Wide, n) : implicit_length(d, imm, n);
        const unsigned len2 = Explicit ? explicit_length(c.s.gpr[RDX], Wide, n) : implicit_length(s, imm, n);
        const StrResult r = compare_strings(d, s, len1, len2, imm);
        if constexpr (Index) {
            unsigned at = n;
            if (r.mask) at = (imm & 0x40) ? 31 - std::countl_zero(u32(r.mask)) : std::countr_zero(u32(r.mask));
            c.s.gpr[RCX] = at;  // a 32-bit write: zero-extends
        } else {
            Xmm m{};
            if (imm & 0x40) {
                for (unsigned k = 0; k < n; ++k)
                    if ((r.mask >> k) & 1) {
                        if (n == 16) set_lane<u8>(m, k, 0xFF);
                        else set_lane<u16>(m, k, 0xFFFF);
                    }
            } else {
                m.lo = r.mask;
            }
            c.s.xmm[0] = m;
        }
        set_string_flags(c, r);
    }
};
// The destination register is read only: OP_Vx_Wx writes it back unchanged
// (unless it is XMM0 and the mask form just wrote XMM0, hence this shape).
template <class Op, Src S> void STRCMP_Vx_Wx(Cpu& c, const Insn& i) {
    const Xmm s = source<S, 16, false>(c, i);
    Xmm d = c.s.xmm[i.r0];
    Op::run(c, d, s, static_cast<u8>(i.imm));
    next(c, i);
}
template <bool Explicit, bool Index> bool build_strcmp(Insn& i, const Decoded& d) {
    if (d.count() != 3 || !is_xmm(d, 0)) return false;
    const bool wide = Explicit && (d.in.attributes & ZYDIS_ATTRIB_HAS_REX) && d.in.raw.rex.W;
    if (is_xmm(d, 1)) {
        i.fn = wide ? STRCMP_Vx_Wx<StringCompare<Explicit, Index, true>, Src::Xmm>
                    : STRCMP_Vx_Wx<StringCompare<Explicit, Index, false>, Src::Xmm>;
    } else if (is_mem(d, 1, 16)) {
        i.fn = wide ? STRCMP_Vx_Wx<StringCompare<Explicit, Index, true>, Src::Mem>
                    : STRCMP_Vx_Wx<StringCompare<Explicit, Index, false>, Src::Mem>;
    } else {
        return false;
    }
    i.cycles = cost(Cls::SseMul, d) + (Explicit ? 4 : 0);
    return true;
}

// ---- CRC32 -------------------------------------------------------------------------
// F2 0F 38 F0/F1 CRC32 r32, r/m8|r/m16|r/m32; F2 REX.W 0F 38 F0/F1 CRC32 r64,
// r/m8|r/m64: the CRC-32C (Castagnoli, reflected polynomial 82F63B78h) of the
// source's bytes, lowest first, continuing from the destination's low 32 bits;
// the result is zero-extended.
constexpr std::array<u32, 256> crc32c_table() {
    std::array<u32, 256> t{};
    for (u32 k = 0; k < 256; ++k) {
        u32 c = k;
        for (int b = 0; b < 8; ++b) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        t[k] = c;
    }
    return t;
}
constexpr std::array<u32, 256> kCrc32c = crc32c_table();

template <class T, K S> void CRC32_Gy_Ey(Cpu& c, const Insn& i) {
    const T v = get<T, S, 1>(c, i);
    u32 crc = static_cast<u32>(c.s.gpr[i.r0 >> 3]);
    for (unsigned k = 0; k < sizeof(T); ++k) crc = kCrc32c[(crc ^ static_cast<u8>(v >> (8 * k))) & 0xFF] ^ (crc >> 8);
    c.s.gpr[i.r0 >> 3] = crc;
    next(c, i);
}
bool build_crc32(Insn& i, const Decoded& d) {
    if (d.count() != 2 || d.op[0].type != ZYDIS_OPERAND_TYPE_REGISTER) return false;
    const bool mem = d.kind(1) == K::M;
    auto pick = [&]<class T>() { return mem ? &CRC32_Gy_Ey<T, K::M> : &CRC32_Gy_Ey<T, K::R>; };
    switch (d.size(1)) {
        case 1: i.fn = pick.template operator()<u8>(); break;
        case 2: i.fn = pick.template operator()<u16>(); break;
        case 4: i.fn = pick.template operator()<u32>(); break;
        case 8: i.fn = pick.template operator()<u64>(); break;
        default: return false;
    }
    i.cycles = cost(Cls::Mul, d);
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_PCMPESTRI, build_strcmp<true, true>},
    {ZYDIS_MNEMONIC_PCMPESTRM, build_strcmp<true, false>},
    {ZYDIS_MNEMONIC_PCMPISTRI, build_strcmp<false, true>},
    {ZYDIS_MNEMONIC_PCMPISTRM, build_strcmp<false, false>},
    {ZYDIS_MNEMONIC_CRC32, build_crc32},
};

}  // namespace

std::span<const BuilderEntry> sse42_builders() { return kBuilders; }

}  // namespace sy::sse
