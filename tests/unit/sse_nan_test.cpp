// NaN propagation (SDM Vol. 1, 4.8.3.5, Table 4-7) and the MIN/MAX rule (SDM
// Vol. 2B, MINSS/MAXPD: the second operand when either is NaN or both are zero),
// checked against the host CPU running the same instruction.
#include <doctest/doctest.h>

#include <limits>

#include "sse_support.h"

using namespace sy;
using namespace sy::test;

namespace {
const u32 kSingles[] = {f2u(1.0f), f2u(-2.0f), f2u(0.0f), f2u(-0.0f), 0x7FC00000 /* QNaN */, 0xFFC12345 /* -QNaN */,
                        0x7F800001 /* SNaN */, 0xFF812345 /* -SNaN */, 0x00000001 /* denormal */, 0x7F800000 /* inf */};
const u64 kDoubles[] = {d2u(1.0), d2u(-0.0), d2u(0.0), 0x7FF8000000000000ull, 0x7FF0000000000001ull,
                        0xFFF4000000000abcull, 0x0000000000000001ull, 0xFFF0000000000000ull};

// Runs `code` (op xmm0, xmm1) on the guest with xmm0 = a, xmm1 = b and checks
// xmm0 and MXCSR against `host`.
void check_single(std::initializer_list<u8> code, u32 a, u32 b, __m128i host, u32 host_csr) {
    Machine m;
    m.cpu.s.xmm[0] = Xmm{a | (u64(f2u(5.0f)) << 32), 0x1234567890ABCDEFull};
    m.cpu.s.xmm[1] = Xmm{b | (u64(f2u(6.0f)) << 32), 0};
    REQUIRE(run_one(m, code).reason == StopReason::Halt);
    INFO("a=" << std::hex << a << " b=" << b);
    CHECK(m.cpu.s.xmm[0] == to_xmm(host));
    CHECK(m.cpu.s.mxcsr == host_csr);
}
}  // namespace

#define SY_SCALAR_CASE(name, mnem, ...)                                                           \
    TEST_CASE("sse nan rules: " name " matches the host") {                                        \
        for (u32 a : kSingles)                                                                     \
            for (u32 b : kSingles) {                                                               \
                __m128i x = _mm_set_epi64x(0x1234567890ABCDEFll, static_cast<long long>(a | (u64(f2u(5.0f)) << 32))); \
                __m128i y = lo64(b | (u64(f2u(6.0f)) << 32));                                      \
                u32 csr = 0x1F80;                                                                  \
                SY_HOST_XMM(mnem " %[b], %[a]", x, y, csr);                                        \
                check_single({__VA_ARGS__}, a, b, x, csr);                                                  \
            }                                                                                      \
    }

SY_SCALAR_CASE("minss", "minss", 0xF3, 0x0F, 0x5D, 0xC1)
SY_SCALAR_CASE("maxss", "maxss", 0xF3, 0x0F, 0x5F, 0xC1)
SY_SCALAR_CASE("minps", "minps", 0x0F, 0x5D, 0xC1)
SY_SCALAR_CASE("addss", "addss", 0xF3, 0x0F, 0x58, 0xC1)
SY_SCALAR_CASE("mulps", "mulps", 0x0F, 0x59, 0xC1)

TEST_CASE("sse nan rules: maxsd and minsd match the host") {
    for (u64 a : kDoubles)
        for (u64 b : kDoubles)
            for (bool is_max : {false, true}) {
                Machine m;
                m.cpu.s.xmm[0] = Xmm{a, 0x1111};
                m.cpu.s.xmm[1] = Xmm{b, 0x2222};
                REQUIRE(run_one(m, {0xF2, 0x0F, u8(is_max ? 0x5F : 0x5D), 0xC1}).reason == StopReason::Halt);
                __m128i x = _mm_set_epi64x(0x1111, static_cast<long long>(a)), y = _mm_set_epi64x(0x2222, static_cast<long long>(b));
                u32 csr = 0x1F80;
                if (is_max) SY_HOST_XMM("maxsd %[b], %[a]", x, y, csr);
                else SY_HOST_XMM("minsd %[b], %[a]", x, y, csr);
                INFO("a=" << std::hex << a << " b=" << b << " max=" << is_max);
                CHECK(m.cpu.s.xmm[0] == to_xmm(x));
                CHECK(m.cpu.s.mxcsr == csr);
            }
}

TEST_CASE("sse nan rules: comiss/ucomiss flags and IE match the host") {
    for (u32 a : kSingles)
        for (u32 b : kSingles)
            for (bool ordered : {false, true}) {
                Machine m;
                m.cpu.s.xmm[0] = Xmm{a, 0};
                m.cpu.s.xmm[1] = Xmm{b, 0};
                m.cpu.s.rflags = fl::FIXED1 | fl::OF | fl::SF | fl::AF;
                REQUIRE(run_one(m, {0x0F, u8(ordered ? 0x2F : 0x2E), 0xC1}).reason == StopReason::Halt);
                __m128i x = lo32(a), y = lo32(b);
                u32 csr = 0x1F80, saved;
                bool zf, pf, cf;
                if (ordered)
                    asm volatile("stmxcsr %[s]\n\tldmxcsr %[c]\n\tcomiss %[b], %[a]\n\tstmxcsr %[c]\n\tldmxcsr %[s]"
                                 : "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf), [c] "+m"(csr), [s] "=m"(saved)
                                 : [a] "x"(x), [b] "x"(y));
                else
                    asm volatile("stmxcsr %[s]\n\tldmxcsr %[c]\n\tucomiss %[b], %[a]\n\tstmxcsr %[c]\n\tldmxcsr %[s]"
                                 : "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf), [c] "+m"(csr), [s] "=m"(saved)
                                 : [a] "x"(x), [b] "x"(y));
                u64 flags = (zf ? fl::ZF : 0) | (pf ? fl::PF : 0) | (cf ? fl::CF : 0);  // OF SF AF: 0 (SDM Vol. 2A, COMISS)
                INFO("a=" << std::hex << a << " b=" << b << " comiss=" << ordered);
                CHECK((m.cpu.s.rflags & fl::ARITH) == (flags & fl::ARITH));
                CHECK(m.cpu.s.mxcsr == csr);
            }
}
