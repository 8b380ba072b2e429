// MXCSR behaviour of the SSE float instructions: rounding control, FTZ/DAZ and
// the sticky flags against the host CPU, #XM for unmasked exceptions (SDM Vol. 1,
// 11.5.2), LDMXCSR's reserved-bit #GP (SDM Vol. 2A, LDMXCSR).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "sse_support.h"

using namespace sy;
using namespace sy::test;

namespace {
constexpr u32 kDefault = 0x1F80;
const double kDoubles[] = {2.5, -2.5, 3.5, -0.5, 1.0 / 3, 2147483647.5, -2147483648.5, 1e10, -1e300,
                           std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::denorm_min(), -0.0};
const float kFloats[] = {1.0f, 3.0f, -7.0f, 0.0f, -0.0f, 1e-38f, 1e-45f, 3.4e38f,
                         std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                         u2f(0x7F800001) /* SNaN */};
}  // namespace

TEST_CASE("sse: cvtsd2si rounds by MXCSR.RC and flags like the host") {
    for (u32 rc = 0; rc < 4; ++rc) {
        for (double v : kDoubles) {
            u32 csr = kDefault | rc << 13;
            Machine m;
            m.cpu.s.mxcsr = csr;
            m.cpu.s.xmm[0] = Xmm{d2u(v), 0};
            m.cpu.s.gpr[RAX] = 0x1111111111111111;
            auto r = run_one(m, {0xF2, 0x0F, 0x2D, 0xC0});  // cvtsd2si eax, xmm0
            REQUIRE(r.reason == StopReason::Halt);
            u32 host_csr = csr, host_result, saved;
            __m128i x = lo64(d2u(v));
            asm volatile("stmxcsr %[s]\n\tldmxcsr %[c]\n\tcvtsd2si %[x], %[r]\n\tstmxcsr %[c]\n\tldmxcsr %[s]"
                         : [r] "=r"(host_result), [c] "+m"(host_csr), [s] "=m"(saved)
                         : [x] "x"(x));
            INFO("rc=" << rc << " v=" << v);
            CHECK(m.cpu.s.gpr[RAX] == host_result);  // 32-bit write zero-extends
            CHECK(m.cpu.s.mxcsr == host_csr);
        }
    }
}

TEST_CASE("sse: cvttss2si r64 truncates regardless of RC, out of range gives the indefinite") {
    for (u32 rc = 0; rc < 4; ++rc) {
        for (float v : kFloats) {
            u32 csr = kDefault | rc << 13;
            Machine m;
            m.cpu.s.mxcsr = csr;
            m.cpu.s.xmm[0] = Xmm{f2u(v), 0};
            auto r = run_one(m, {0xF3, 0x48, 0x0F, 0x2C, 0xC0});  // cvttss2si rax, xmm0
            REQUIRE(r.reason == StopReason::Halt);
            u32 host_csr = csr, saved;
            u64 host_result;
            __m128i x = lo32(f2u(v));
            asm volatile("stmxcsr %[s]\n\tldmxcsr %[c]\n\tcvttss2si %[x], %[r]\n\tstmxcsr %[c]\n\tldmxcsr %[s]"
                         : [r] "=r"(host_result), [c] "+m"(host_csr), [s] "=m"(saved)
                         : [x] "x"(x));
            INFO("rc=" << rc << " v=" << v);
            CHECK(m.cpu.s.gpr[RAX] == host_result);
            CHECK(m.cpu.s.mxcsr == host_csr);
        }
    }
}

TEST_CASE("sse: divss under every RC, FTZ and DAZ matches the host bit for bit") {
    for (u32 mode : {0u, 1u << 13, 2u << 13, 3u << 13, 1u << 15, 1u << 6, (1u << 15) | (1u << 6)}) {
        for (float a : kFloats) {
            for (float b : kFloats) {
                u32 csr = kDefault | mode;
                Machine m;
                m.cpu.s.mxcsr = csr;
                m.cpu.s.xmm[0] = Xmm{0xAAAAAAAA00000000ull | f2u(a), 0x5555555555555555ull};
                m.cpu.s.xmm[1] = Xmm{f2u(b), 0};
                auto r = run_one(m, {0xF3, 0x0F, 0x5E, 0xC1});  // divss xmm0, xmm1
                REQUIRE(r.reason == StopReason::Halt);
                __m128i x = _mm_set_epi64x(0x5555555555555555ll, static_cast<long long>(0xAAAAAAAA00000000ull | f2u(a)));
                __m128i y = lo32(f2u(b));
                u32 host_csr = csr;
                SY_HOST_XMM("divss %[b], %[a]", x, y, host_csr);
                INFO("mode=" << mode << " a=" << a << " b=" << b);
                CHECK(m.cpu.s.xmm[0] == to_xmm(x));
                CHECK(m.cpu.s.mxcsr == host_csr);
            }
        }
    }
}

TEST_CASE("sse: an unmasked exception raises #XM and leaves the destination alone") {
    Machine m;
    m.cpu.s.mxcsr = kDefault & ~0x200u;  // ZM clear: divide-by-zero unmasked
    m.cpu.s.xmm[0] = Xmm{f2u(1.0f), 0};
    m.cpu.s.xmm[1] = Xmm{f2u(0.0f), 0};
    auto r = run_one(m, {0xF3, 0x0F, 0x5E, 0xC1});  // divss xmm0, xmm1
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == XM);
    CHECK(m.cpu.s.rip == 0x1000);
    CHECK(m.cpu.s.xmm[0] == Xmm{f2u(1.0f), 0});
    CHECK(m.cpu.s.mxcsr == ((kDefault & ~0x200u) | 0x4));  // ZE recorded (SDM Vol. 1, 11.5.2.2)

    // The same operation with ZM set completes with +inf and ZE.
    Machine n;
    n.cpu.s.xmm[0] = Xmm{f2u(1.0f), 0};
    n.cpu.s.xmm[1] = Xmm{f2u(0.0f), 0};
    REQUIRE(run_one(n, {0xF3, 0x0F, 0x5E, 0xC1}).reason == StopReason::Halt);
    CHECK(n.cpu.s.xmm[0].lo == f2u(std::numeric_limits<float>::infinity()));
    CHECK(n.cpu.s.mxcsr == (kDefault | 0x4));
}

TEST_CASE("sse: an unmasked precision exception on a conversion raises #XM, GPR untouched") {
    Machine m;
    m.cpu.s.mxcsr = kDefault & ~0x1000u;  // PM clear
    m.cpu.s.xmm[0] = Xmm{d2u(2.5), 0};
    m.cpu.s.gpr[RAX] = 77;
    auto r = run_one(m, {0xF2, 0x0F, 0x2D, 0xC0});  // cvtsd2si eax, xmm0
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == XM);
    CHECK(m.cpu.s.gpr[RAX] == 77);
    CHECK((m.cpu.s.mxcsr & 0x3F) == 0x20);
}

TEST_CASE("sse: ldmxcsr with a reserved bit set raises #GP(0), stmxcsr stores MXCSR") {
    Machine m;
    m.cpu.s.gpr[RAX] = 0x3000;
    u32 bad = 0x00011F80;
    m.cpu.write_bytes(0x3000, &bad, 4);
    auto r = run_one(m, {0x0F, 0xAE, 0x10});  // ldmxcsr [rax]
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == GP);
    CHECK(r.fault->error == 0);
    CHECK(m.cpu.s.mxcsr == kDefault);

    u32 good = 0x7F80 | 0x3;
    m.cpu.write_bytes(0x3000, &good, 4);
    m.cpu.halted = false;
    REQUIRE(run_one(m, {0x0F, 0xAE, 0x10, 0x0F, 0xAE, 0x5B, 0x10}).reason == StopReason::Halt);  // ldmxcsr [rax]; stmxcsr [rbx+0x10]
    CHECK(m.cpu.s.mxcsr == good);
    u32 stored = 0;
    m.cpu.read_bytes(0x10 + m.cpu.s.gpr[RBX], &stored, 4);
    CHECK(stored == good);
}

// With UE unmasked, underflow is signalled for every tiny result, exact or not,
// and PE is judged on the result with an unbounded exponent (SDM Vol. 1,
// 4.9.1.5 "Numeric underflow exception" and 11.5.2.3; the masked response
// signals UE only for a tiny *and* inexact result). 2^-100 * 2^-30 = 2^-130 is
// tiny and exact.
TEST_CASE("sse: unmasked underflow traps on a tiny exact product, masked it raises nothing") {
    const u32 x = f2u(0x1p-100f), y = f2u(0x1p-30f);
    Machine m;
    m.cpu.s.mxcsr = kDefault & ~0x0800u;  // UM clear
    m.cpu.s.xmm[0] = Xmm{x, 0};
    m.cpu.s.xmm[1] = Xmm{y, 0};
    auto r = run_one(m, {0xF3, 0x0F, 0x59, 0xC1});  // mulss xmm0, xmm1
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == XM);
    CHECK(m.cpu.s.xmm[0] == Xmm{x, 0});
    CHECK((m.cpu.s.mxcsr & 0x3F) == 0x10);  // UE only: exact with an unbounded exponent

    Machine n;  // masked: the host is the oracle
    n.cpu.s.xmm[0] = Xmm{x, 0};
    n.cpu.s.xmm[1] = Xmm{y, 0};
    REQUIRE(run_one(n, {0xF3, 0x0F, 0x59, 0xC1}).reason == StopReason::Halt);
    __m128i a = lo32(x), b = lo32(y);
    u32 csr = kDefault;
    SY_HOST_XMM("mulss %[b], %[a]", a, b, csr);
    CHECK(n.cpu.s.xmm[0] == to_xmm(a));
    CHECK(n.cpu.s.mxcsr == csr);
}

// With OE unmasked, 45 / 2^-149 = 45 * 2^149 overflows but is exact with an
// unbounded exponent: #XM with OE and without PE (SDM Vol. 1, 4.9.1.4 and
// 11.5.2.3).
TEST_CASE("sse: unmasked overflow of an exact quotient records OE without PE") {
    Machine m;
    m.cpu.s.mxcsr = kDefault & ~0x0400u;  // OM clear
    m.cpu.s.xmm[0] = Xmm{f2u(45.0f), 0};
    m.cpu.s.xmm[1] = Xmm{0x00000001, 0};  // 2^-149, a denormal: DE too (masked)
    auto r = run_one(m, {0xF3, 0x0F, 0x5E, 0xC1});  // divss xmm0, xmm1
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == XM);
    CHECK(m.cpu.s.xmm[0] == Xmm{f2u(45.0f), 0});
    CHECK((m.cpu.s.mxcsr & 0x3F) == (0x08 | 0x02));
}

TEST_CASE("sse: an unmasked exception with CR4.OSXMMEXCPT clear raises #UD (SDM Vol. 3A, 2.5)") {
    Machine m;
    m.cpu.sys.cr4 &= ~cr4::OSXMMEXCPT;
    m.cpu.s.mxcsr = kDefault & ~0x200u;  // ZM clear
    m.cpu.s.xmm[0] = Xmm{f2u(1.0f), 0};
    m.cpu.s.xmm[1] = Xmm{f2u(0.0f), 0};
    auto r = run_one(m, {0xF3, 0x0F, 0x5E, 0xC1});  // divss xmm0, xmm1
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == UD);
    CHECK(m.cpu.s.xmm[0] == Xmm{f2u(1.0f), 0});
}
