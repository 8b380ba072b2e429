// Helpers for the SSE unit tests: run one guest instruction, and run the same
// instruction natively on the host under a given MXCSR (the oracle).
#pragma once
#include <immintrin.h>

#include <cstring>
#include <initializer_list>
#include <vector>

#include "support.h"

namespace sy::test {

// Runs `code` followed by HLT at 0x1000 (written like a guest store, so code
// decoded there before is dropped). Returns the stop result.
inline StepResult run_one(Machine& m, std::initializer_list<u8> code) {
    std::vector<u8> bytes(code);
    bytes.push_back(0xF4);
    m.cpu.write_bytes(0x1000, bytes.data(), static_cast<unsigned>(bytes.size()));
    m.cpu.halted = false;
    m.cpu.s.rip = 0x1000;
    m.cpu.s.gpr[RSP] = m.bus.ram.size() - 0x100;
    return m.cpu.run(1000);
}

inline u32 f2u(float f) { u32 u; std::memcpy(&u, &f, 4); return u; }
inline u64 d2u(double d) { u64 u; std::memcpy(&u, &d, 8); return u; }
inline float u2f(u32 u) { float f; std::memcpy(&f, &u, 4); return f; }
inline double u2d(u64 u) { double d; std::memcpy(&d, &u, 8); return d; }

// Host oracle: `insn` (AT&T, operands %[a] destination/first source and %[b]
// second source, both XMM) under `csr` with every exception masked. Returns the
// destination; `csr` comes back with the raised flags.
#define SY_HOST_XMM(insn, dst, src, csr)                                                        \
    do {                                                                                    \
        u32 saved_;                                                                         \
        asm volatile("stmxcsr %[s]\n\tldmxcsr %[c]\n\t" insn "\n\tstmxcsr %[c]\n\tldmxcsr %[s]" \
                     : [a] "+x"(dst), [c] "+m"(csr), [s] "=m"(saved_)                       \
                     : [b] "x"(src));                                                         \
    } while (0)

inline __m128i lo32(u32 v) { return _mm_cvtsi32_si128(static_cast<int>(v)); }
inline __m128i lo64(u64 v) { return _mm_cvtsi64_si128(static_cast<long long>(v)); }
inline Xmm to_xmm(__m128i v) {
    Xmm x;
    _mm_store_si128(reinterpret_cast<__m128i*>(&x), v);
    return x;
}

}  // namespace sy::test
