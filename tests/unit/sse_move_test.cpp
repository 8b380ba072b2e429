// SSE data movement: alignment faults of the aligned forms (SDM Vol. 2B, MOVAPS
// "#GP(0) if a memory operand is not aligned on a 16-byte boundary"; the same
// for legacy-SSE arithmetic with m128 operands, SDM Vol. 1, 11.6.8), merge vs
// zeroing of MOVSS/MOVSD/MOVQ (SDM Vol. 2B, MOVSS/MOVQ), and a few packed
// integer operations against the host CPU.
#include <doctest/doctest.h>

#include "sse_support.h"

using namespace sy;
using namespace sy::test;

namespace {
constexpr u64 kData = 0x3000;

void fill(Machine& m) {
    for (unsigned k = 0; k < 64; ++k) m.bus.ram[kData + k] = static_cast<u8>(0x11 * k + 3);
}
u64 mem64(Machine& m, u64 a) {
    u64 v;
    m.cpu.read_bytes(a, &v, 8);
    return v;
}
}  // namespace

TEST_CASE("sse moves: movaps faults with #GP(0) on a misaligned operand, movups does not") {
    for (u64 off : {0ull, 8ull, 1ull}) {
        Machine m;
        fill(m);
        m.cpu.s.gpr[RAX] = kData + off;
        m.cpu.s.xmm[0] = Xmm{1, 2};
        auto r = run_one(m, {0x0F, 0x28, 0x00});  // movaps xmm0, [rax]
        INFO("offset " << off);
        if (off) {
            REQUIRE(r.reason == StopReason::Fault);
            CHECK(r.fault->vector == GP);
            CHECK(r.fault->error == 0);
            CHECK(m.cpu.s.rip == 0x1000);
            CHECK(m.cpu.s.xmm[0] == Xmm{1, 2});
        } else {
            REQUIRE(r.reason == StopReason::Halt);
            CHECK(m.cpu.s.xmm[0] == Xmm{mem64(m, kData), mem64(m, kData + 8)});
        }
        Machine u;
        fill(u);
        u.cpu.s.gpr[RAX] = kData + off;
        REQUIRE(run_one(u, {0x0F, 0x10, 0x00}).reason == StopReason::Halt);  // movups xmm0, [rax]
        CHECK(u.cpu.s.xmm[0] == Xmm{mem64(u, kData + off), mem64(u, kData + off + 8)});
    }
}

TEST_CASE("sse moves: a misaligned movaps store and addps load fault without writing") {
    Machine m;
    fill(m);
    m.cpu.s.gpr[RAX] = kData + 4;
    m.cpu.s.xmm[0] = Xmm{~0ull, ~0ull};
    auto r = run_one(m, {0x0F, 0x29, 0x00});  // movaps [rax], xmm0
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == GP);
    CHECK(m.bus.ram[kData + 4] == static_cast<u8>(0x11 * 4 + 3));

    Machine a;
    a.cpu.s.gpr[RAX] = kData + 4;
    auto r2 = run_one(a, {0x0F, 0x58, 0x00});  // addps xmm0, [rax]
    REQUIRE(r2.reason == StopReason::Fault);
    CHECK(r2.fault->vector == GP);

    Machine s;  // addss reads 4 bytes: no alignment rule
    s.cpu.s.gpr[RAX] = kData + 4;
    CHECK(run_one(s, {0xF3, 0x0F, 0x58, 0x00}).reason == StopReason::Halt);  // addss xmm0, [rax]
}

TEST_CASE("sse moves: movss merges from a register and zeroes from memory, movlps keeps the high half") {
    Machine m;
    fill(m);
    m.cpu.s.gpr[RAX] = kData;
    m.cpu.s.xmm[0] = Xmm{0x1111111122222222, 0x3333333344444444};
    m.cpu.s.xmm[1] = Xmm{0x5555555566666666, 0x7777777788888888};
    m.cpu.s.xmm[2] = m.cpu.s.xmm[0];
    m.cpu.s.xmm[3] = m.cpu.s.xmm[0];
    m.cpu.s.xmm[4] = m.cpu.s.xmm[0];
    // movss xmm0, xmm1; movlps xmm2, [rax]; movss xmm3, [rax]; movq xmm4, xmm1
    REQUIRE(run_one(m, {0xF3, 0x0F, 0x10, 0xC1, 0x0F, 0x12, 0x10, 0xF3, 0x0F, 0x10, 0x18, 0xF3, 0x0F, 0x7E, 0xE1})
                .reason == StopReason::Halt);
    CHECK(m.cpu.s.xmm[0] == Xmm{0x1111111166666666, 0x3333333344444444});
    CHECK(m.cpu.s.xmm[2] == Xmm{mem64(m, kData), 0x3333333344444444});
    CHECK(m.cpu.s.xmm[3] == Xmm{mem64(m, kData) & 0xFFFFFFFF, 0});
    CHECK(m.cpu.s.xmm[4] == Xmm{0x5555555566666666, 0});
}

TEST_CASE("sse moves: movd/movq to and from general registers") {
    Machine m;
    m.cpu.s.xmm[1] = Xmm{0x8877665544332211, 0xFFFF};
    m.cpu.s.gpr[RCX] = 0xDEADBEEFCAFEF00D;
    m.cpu.s.xmm[0] = Xmm{~0ull, ~0ull};
    m.cpu.s.xmm[2] = Xmm{~0ull, ~0ull};
    m.cpu.s.gpr[RDX] = ~0ull;
    // movq rax, xmm1; movd edx, xmm1; movd xmm0, ecx; movq xmm2, rcx
    REQUIRE(run_one(m, {0x66, 0x48, 0x0F, 0x7E, 0xC8, 0x66, 0x0F, 0x7E, 0xCA, 0x66, 0x0F, 0x6E, 0xC1, 0x66, 0x48,
                        0x0F, 0x6E, 0xD1})
                .reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RAX] == 0x8877665544332211);
    CHECK(m.cpu.s.gpr[RDX] == 0x44332211);
    CHECK(m.cpu.s.xmm[0] == Xmm{0xCAFEF00D, 0});
    CHECK(m.cpu.s.xmm[2] == Xmm{0xDEADBEEFCAFEF00D, 0});
}

// Packed integer ops against the host: op xmm0, xmm1 with the given encoding.
#define SY_INT_CASE(mnem, ...)                                                                    \
    TEST_CASE("sse integer: " mnem " matches the host") {                                          \
        const u64 vals[][2] = {{0x8000'7FFF'FFFF'0001, 0x00FF'FF00'8080'7F7F},                   \
                               {0x0123'4567'89AB'CDEF, 0xFEDC'BA98'7654'3210},                   \
                               {0x0000'0000'0000'0011, 0x0000'0000'0000'0000},                   \
                               {0x0000'0000'0000'0003, 0xFFFF'FFFF'FFFF'FFFF}};                  \
        for (auto& a : vals)                                                                       \
            for (auto& b : vals) {                                                                 \
                Machine m;                                                                         \
                m.cpu.s.xmm[0] = Xmm{a[0], a[1]};                                                  \
                m.cpu.s.xmm[1] = Xmm{b[0], b[1]};                                                  \
                REQUIRE(run_one(m, {__VA_ARGS__}).reason == StopReason::Halt);                     \
                __m128i x = _mm_set_epi64x(static_cast<long long>(a[1]), static_cast<long long>(a[0])); \
                __m128i y = _mm_set_epi64x(static_cast<long long>(b[1]), static_cast<long long>(b[0])); \
                u32 csr = 0x1F80;                                                                  \
                SY_HOST_XMM(mnem, x, y, csr);                                                      \
                CHECK(m.cpu.s.xmm[0] == to_xmm(x));                                                \
            }                                                                                      \
    }

SY_INT_CASE("psllw %[b], %[a]", 0x66, 0x0F, 0xF1, 0xC1)
SY_INT_CASE("psrad %[b], %[a]", 0x66, 0x0F, 0xE2, 0xC1)
SY_INT_CASE("psrlq %[b], %[a]", 0x66, 0x0F, 0xD3, 0xC1)
SY_INT_CASE("pshufd $0x1b, %[b], %[a]", 0x66, 0x0F, 0x70, 0xC1, 0x1B)
SY_INT_CASE("pshufhw $0x39, %[b], %[a]", 0xF3, 0x0F, 0x70, 0xC1, 0x39)
SY_INT_CASE("psrldq $3, %[a]", 0x66, 0x0F, 0x73, 0xD8, 0x03)
SY_INT_CASE("pslldq $17, %[a]", 0x66, 0x0F, 0x73, 0xF8, 17)
SY_INT_CASE("psraw $9, %[a]", 0x66, 0x0F, 0x71, 0xE0, 9)
SY_INT_CASE("packsswb %[b], %[a]", 0x66, 0x0F, 0x63, 0xC1)
SY_INT_CASE("pmaddwd %[b], %[a]", 0x66, 0x0F, 0xF5, 0xC1)
SY_INT_CASE("psadbw %[b], %[a]", 0x66, 0x0F, 0xF6, 0xC1)
SY_INT_CASE("shufps $0xb1, %[b], %[a]", 0x0F, 0xC6, 0xC1, 0xB1)
SY_INT_CASE("shufpd $2, %[b], %[a]", 0x66, 0x0F, 0xC6, 0xC1, 0x02)
SY_INT_CASE("unpckhps %[b], %[a]", 0x0F, 0x15, 0xC1)
SY_INT_CASE("pmulhuw %[b], %[a]", 0x66, 0x0F, 0xE4, 0xC1)

TEST_CASE("sse moves: maskmovdqu stores the selected bytes at [rdi] like the host") {
    Machine m;
    fill(m);
    const Xmm data{0x0123456789ABCDEF, 0xFEDCBA9876543210}, mask{0x80FF007F80000081, 0x00000000000080C0};
    m.cpu.s.xmm[0] = data;
    m.cpu.s.xmm[1] = mask;
    m.cpu.s.gpr[RDI] = kData + 3;
    REQUIRE(run_one(m, {0x66, 0x0F, 0xF7, 0xC1}).reason == StopReason::Halt);  // maskmovdqu xmm0, xmm1
    alignas(16) u8 host[32];
    for (unsigned k = 0; k < 32; ++k) host[k] = static_cast<u8>(0x11 * k + 3);
    __m128i d = _mm_set_epi64x(static_cast<long long>(data.hi), static_cast<long long>(data.lo));
    __m128i k = _mm_set_epi64x(static_cast<long long>(mask.hi), static_cast<long long>(mask.lo));
    asm volatile("maskmovdqu %[k], %[d]" : : [d] "x"(d), [k] "x"(k), "D"(host + 3) : "memory");
    for (unsigned n = 0; n < 32; ++n) {
        INFO("byte " << n);
        CHECK(m.bus.ram[kData + n] == host[n]);
    }
}
