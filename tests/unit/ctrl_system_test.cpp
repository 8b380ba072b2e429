// CPUID, RDTSC/RDTSCP, fences, prefetch and CLFLUSH (cpu/ops_system.cpp,
// cpu/cpuid.cpp). The host cannot be the oracle for CPUID and the TSC (its
// values differ by design); expectations come from the SDM (Vol. 2A, CPUID) and
// from the cycle clock, which the TSC is defined to be.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "cpuid.h"
#include "support.h"
#include "timing.h"

using namespace sy;

namespace {

constexpr u64 kCode = 0x1000;

cpuid::Regs run_cpuid(u32 leaf, u32 subleaf) {
    test::Machine m;
    m.load(kCode, {0x0F, 0xA2, 0xF4});  // cpuid; hlt
    // High halves set: CPUID writes 32-bit results, which zero-extend.
    m.cpu.s.gpr[RAX] = 0xDEAD'0000'0000'0000ull | leaf;
    m.cpu.s.gpr[RCX] = 0xBEEF'0000'0000'0000ull | subleaf;
    m.cpu.s.gpr[RBX] = m.cpu.s.gpr[RDX] = ~0ull;
    auto r = m.cpu.run(10000);
    REQUIRE(r.reason == StopReason::Halt);
    for (Gpr g : {RAX, RBX, RCX, RDX}) CHECK((m.cpu.s.gpr[g] >> 32) == 0);
    return {static_cast<u32>(m.cpu.s.gpr[RAX]), static_cast<u32>(m.cpu.s.gpr[RBX]),
            static_cast<u32>(m.cpu.s.gpr[RCX]), static_cast<u32>(m.cpu.s.gpr[RDX])};
}

std::string text(std::initializer_list<u32> regs) {
    std::string s;
    for (u32 r : regs)
        for (int k = 0; k < 4; ++k) s.push_back(static_cast<char>(r >> (8 * k)));
    return s.c_str();  // up to the first NUL
}

}  // namespace

TEST_CASE("cpuid: the instruction returns every row of the table") {
    for (const cpuid::Leaf& l : cpuid::table()) {
        CAPTURE(l.leaf);
        cpuid::Regs got = run_cpuid(l.leaf, l.subleaf);
        CHECK(got == l.regs);  // APIC ID 0: leaf 1 EBX is the row as written
    }
}

TEST_CASE("cpuid: vendor, brand string and maximum leaves (SDM Vol. 2A, CPUID leaf 0, 8000_0002h-4h)") {
    cpuid::Regs l0 = run_cpuid(0, 0);
    CHECK(text({l0.ebx, l0.edx, l0.ecx}) == "GenuineIntel");
    CHECK(l0.eax == cpuid::kMaxBasic);
    CHECK(run_cpuid(0x8000'0000, 0).eax == cpuid::kMaxExtended);
    cpuid::Regs b0 = run_cpuid(0x8000'0002, 0), b1 = run_cpuid(0x8000'0003, 0), b2 = run_cpuid(0x8000'0004, 0);
    CHECK(text({b0.eax, b0.ebx, b0.ecx, b0.edx, b1.eax, b1.ebx, b1.ecx, b1.edx, b2.eax, b2.ebx, b2.ecx, b2.edx}) ==
          "switchyard virtual CPU");
}

TEST_CASE("cpuid: feature bits announce what is implemented and nothing else") {
    cpuid::Regs l1 = run_cpuid(1, 0);
    // Family 6 (EAX[11:8]), no extended family.
    CHECK(((l1.eax >> 8) & 0xF) == 6);
    CHECK(((l1.eax >> 20) & 0xFF) == 0);
    // CLFLUSH line size 64 bytes, in 8-byte units (EBX[15:8]).
    CHECK(((l1.ebx >> 8) & 0xFF) * 8 == 64);
    // EDX, set (implemented): 0 FPU, 2 DE, 3 PSE, 4 TSC, 5 MSR, 6 PAE, 8 CX8, 9 APIC,
    // 11 SEP, 13 PGE, 15 CMOV, 16 PAT, 19 CLFSH, 23 MMX, 24 FXSR, 25 SSE, 26 SSE2;
    // and nothing else (1 VME, 7 MCE, 12 MTRR, 14 MCA, 17 PSE-36, 28 HTT, ... clear).
    CHECK(l1.edx == ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) |
                     (1u << 9) | (1u << 11) | (1u << 13) | (1u << 15) | (1u << 16) | (1u << 19) | (1u << 23) |
                     (1u << 24) | (1u << 25) | (1u << 26)));
    // ECX, set: 0 SSE3, 9 SSSE3, 13 CX16, 17 PCID, 19 SSE4.1, 20 SSE4.2, 21 x2APIC,
    // 23 POPCNT, 24 TSC-deadline, 26 XSAVE; 27 OSXSAVE mirrors CR4.OSXSAVE (clear
    // here); 1 PCLMULQDQ, 3 MONITOR, 22 MOVBE, 25 AES, 28 AVX, 31 hypervisor: clear.
    CHECK(l1.ecx == ((1u << 0) | (1u << 9) | (1u << 13) | (1u << 17) | (1u << 19) | (1u << 20) | (1u << 21) |
                     (1u << 23) | (1u << 24) | (1u << 26)));
    cpuid::Regs e1 = run_cpuid(0x8000'0001, 0);
    CHECK(((e1.ecx & 1)) == 1);         // LAHF/SAHF in 64-bit mode
    CHECK(((e1.ecx >> 5) & 1) == 1);    // LZCNT
    CHECK(((e1.edx >> 29) & 1) == 1);   // LM
    CHECK(((e1.edx >> 27) & 1) == 1);   // RDTSCP
    CHECK(((e1.edx >> 11) & 1) == 1);   // SYSCALL
    CHECK(((e1.edx >> 20) & 1) == 1);   // NX
    CHECK(((e1.edx >> 26) & 1) == 1);   // 1-GiB pages
    cpuid::Regs l7 = run_cpuid(7, 0);
    CHECK(l7.eax == 0);  // max sub-leaf
    // EBX: 0 FSGSBASE, 6 FDP_EXCPTN_ONLY, 7 SMEP, 10 INVPCID, 13 FCS/FDS
    // deprecated, 20 SMAP, 23 CLFLUSHOPT and nothing else.
    CHECK(l7.ebx == ((1u << 0) | (1u << 6) | (1u << 7) | (1u << 10) | (1u << 13) | (1u << 20) | (1u << 23)));
    CHECK(l7.ecx == (1u << 2));  // UMIP
    CHECK(run_cpuid(7, 1) == cpuid::Regs{});
}

TEST_CASE("cpuid: a leaf above the maximum answers like the highest basic leaf (SDM Vol. 2A, CPUID)") {
    CHECK(run_cpuid(cpuid::kMaxBasic + 1, 0) == run_cpuid(cpuid::kMaxBasic, 0));
    CHECK(run_cpuid(0x4000'0000, 0) == run_cpuid(cpuid::kMaxBasic, 0));
    CHECK(run_cpuid(cpuid::kMaxExtended + 1, 0) == run_cpuid(cpuid::kMaxBasic, 0));
    CHECK((cpuid::query(1, 0, 5).ebx >> 24) == 5);  // initial APIC ID
}

TEST_CASE("rdtsc reads the cycle clock as the instruction starts, it only grows") {
    test::Machine m;
    // 0f 31 rdtsc; 49 89 c0 mov r8, rax; 49 89 d1 mov r9, rdx; 0f 31 rdtsc; f4 hlt
    m.load(kCode, {0x0F, 0x31, 0x49, 0x89, 0xC0, 0x49, 0x89, 0xD1, 0x0F, 0x31, 0xF4});
    m.cpu.cycles = 0x1'2345'6789ull;  // above 32 bits: EDX matters
    const u64 start = m.cpu.cycles;
    auto r = m.cpu.run(start + 10'000);
    REQUIRE(r.reason == StopReason::Halt);
    u64 first = m.cpu.s.gpr[R8] | (m.cpu.s.gpr[R9] << 32);
    u64 second = m.cpu.s.gpr[RAX] | (m.cpu.s.gpr[RDX] << 32);
    using timing::Cls;
    CHECK(first == start);
    CHECK(second == start + timing::cost(Cls::Rdtsc, false) + 2 * timing::cost(Cls::Mov, false));
    CHECK(second > first);
    CHECK(m.cpu.cycles == second + timing::cost(Cls::Rdtsc, false) + timing::cost(Cls::Nop, false));
    CHECK((m.cpu.s.gpr[RAX] >> 32) == 0);
    CHECK((m.cpu.s.gpr[RDX] >> 32) == 0);
}

TEST_CASE("rdtscp also returns IA32_TSC_AUX in ECX") {
    test::Machine m;
    m.load(kCode, {0x0F, 0x01, 0xF9, 0xF4});  // rdtscp; hlt
    m.cpu.sys.tsc_aux = 0x1234'0000'0003ull;  // ECX gets the low half
    m.cpu.s.gpr[RCX] = ~0ull;
    m.cpu.cycles = 777;
    auto r = m.cpu.run(10'000);
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RAX] == 777);
    CHECK(m.cpu.s.gpr[RDX] == 0);
    CHECK(m.cpu.s.gpr[RCX] == 3);
}

TEST_CASE("fences and prefetches never fault, clflush faults only on a non-canonical address") {
    test::Machine m;
    // 0f ae e8 lfence; 0f ae f0 mfence; 0f ae f8 sfence; 0f 18 08 prefetcht0 [rax];
    // 0f 18 00 prefetchnta [rax]; 0f 0d 08 prefetchw [rax]; 0f ae 3b clflush [rbx];
    // 66 0f ae 3b clflushopt [rbx]; 0f ae 38 clflush [rax]; f4
    m.load(kCode, {0x0F, 0xAE, 0xE8, 0x0F, 0xAE, 0xF0, 0x0F, 0xAE, 0xF8, 0x0F, 0x18, 0x08, 0x0F, 0x18, 0x00, 0x0F,
                   0x0D, 0x08, 0x0F, 0xAE, 0x3B, 0x66, 0x0F, 0xAE, 0x3B, 0x0F, 0xAE, 0x38, 0xF4});
    m.cpu.s.gpr[RAX] = 0x8000'0000'0000'0000ull;  // non-canonical
    m.cpu.s.gpr[RBX] = 0x0000'7FFF'FFFF'FFC0ull;  // canonical, not RAM
    auto r = m.cpu.run(10'000);
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == GP);
    CHECK(m.cpu.s.rip == kCode + 25);  // the last clflush, through RAX
}

TEST_CASE("rdtsc at CPL 3 raises #GP(0) when CR4.TSD is set (SDM Vol. 2B, RDTSC)") {
    for (bool tsd : {false, true}) {
        test::Machine m;
        m.cpu.set_flat64(3);
        if (tsd) m.cpu.sys.cr4 |= cr4::TSD;
        m.load(kCode, {0x0F, 0x31, 0x0F, 0x0B});  // rdtsc; ud2
        auto r = m.cpu.run(1000);
        REQUIRE(r.reason == StopReason::Fault);
        CHECK(r.fault->vector == (tsd ? GP : UD));
    }
}
