// The CPUID table (SDM Vol. 2A, CPUID). Choices, each deliberate:
// - Vendor "GenuineIntel", family 6, model 0, stepping 0. Software expects a
//   known vendor string to trust the feature bits; family 6 is the Intel family
//   every 64-bit core reports. Model 0 belongs to no shipped part, so guest code
//   that keys quirks or model-specific MSRs on the model never matches. (The
//   timing table models a Skylake core; CPUID does not claim one.)
// - Leaf 1 EDX: TSC, CX8, CMOV, CLFSH (CLFLUSH is implemented, line size 64),
//   SSE, SSE2. FPU is clear: x87 arithmetic is not implemented. MMX and FXSR
//   are clear until MMX and FXSAVE/FXRSTOR exist. Paging, APIC, MSR and
//   SYSCALL/NX bits stay clear until CPU core II implements them.
// - Leaf 1 ECX: CX16 and POPCNT. No SSE3 and later, no hypervisor bit.
// - Leaves 2 to 6: zero (no cache or power-management descriptors). Leaf 7
//   sub-leaf 0: max sub-leaf 0 and only EBX.CLFLUSHOPT (it runs here); no
//   BMI, AVX, ERMS, FSGSBASE or CET.
// - 8000_0001h: ECX LAHF-SAHF (valid in 64-bit mode), LZCNT (ABM) and
//   PREFETCHW (3DNowPrefetch: PREFETCH and PREFETCHW run as hints); EDX LM
//   and RDTSCP. SYSCALL and NX clear until CPU core II.
// - 8000_0002h-8000_0004h: brand string "switchyard virtual CPU".
// - 8000_0008h: 40 physical and 48 linear address bits; MAXPHYADDR is what the
//   page walker of CPU core II must enforce.
// A feature that lands sets its bit here in the same change: PSE/PAE/PGE/PAT
// and NX with the paging instructions (MOV CRn, INVLPG), MSR with RDMSR/WRMSR,
// SYSCALL with SYSCALL/SYSRET, APIC with the local APIC, FXSR with
// FXSAVE/FXRSTOR, FPU with x87 arithmetic. tests/unit/ctrl_system_test.cpp
// lists the bits it expects clear; update it with them.
#include "cpuid.h"

#include <algorithm>
#include <array>

namespace sy::cpuid {

namespace {

// Four characters of a string as one register, little-endian.
constexpr u32 chars(const char* s, size_t at, size_t len) {
    u32 v = 0;
    for (size_t k = 0; k < 4; ++k)
        v |= static_cast<u32>(at + k < len ? static_cast<u8>(s[at + k]) : 0) << (8 * k);
    return v;
}

constexpr char kVendor[] = "GenuineIntel";
constexpr char kBrand[] = "switchyard virtual CPU";
constexpr size_t kBrandLen = sizeof(kBrand) - 1;
static_assert(kBrandLen < 48, "the brand string is 48 bytes with its terminating NUL");

constexpr Regs brand(unsigned part) {
    size_t at = part * 16;
    return {chars(kBrand, at, kBrandLen), chars(kBrand, at + 4, kBrandLen), chars(kBrand, at + 8, kBrandLen),
            chars(kBrand, at + 12, kBrandLen)};
}

constexpr u32 kFamily = 6, kModel = 0, kStepping = 0;
constexpr u32 kClflushQwords = 8;  // CLFLUSH line size in 8-byte units: 64 bytes

constexpr std::array<Leaf, 14> kTable{{
    // leaf 0: maximum basic leaf; vendor in EBX, EDX, ECX
    {0, 0, true, {kMaxBasic, chars(kVendor, 0, 12), chars(kVendor, 8, 12), chars(kVendor, 4, 12)}},
    // leaf 1: version, EBX (APIC ID filled in by query()), features
    {1, 0, true,
     {(kFamily << 8) | (kModel << 4) | kStepping, kClflushQwords << 8, leaf1_ecx::CX16 | leaf1_ecx::POPCNT,
      leaf1_edx::TSC | leaf1_edx::CX8 | leaf1_edx::CMOV | leaf1_edx::CLFSH | leaf1_edx::SSE | leaf1_edx::SSE2}},
    {2, 0, true, {}},
    {3, 0, true, {}},
    {4, 0, true, {}},
    {5, 0, true, {}},
    {6, 0, true, {}},
    // leaf 7: sub-leaf 0 only; higher sub-leaves are zero
    {7, 0, false, {0, leaf7_ebx::CLFLUSHOPT, 0, 0}},
    {0x8000'0000, 0, true, {kMaxExtended, 0, 0, 0}},
    {0x8000'0001, 0, true, {0, 0, ext1_ecx::LAHF_SAHF | ext1_ecx::LZCNT | ext1_ecx::PREFETCHW, ext1_edx::LM | ext1_edx::RDTSCP}},
    {0x8000'0002, 0, true, brand(0)},
    {0x8000'0003, 0, true, brand(1)},
    {0x8000'0004, 0, true, brand(2)},
    // 0x8000'0005..7 are answered as zero by query(); 8: address sizes
    {0x8000'0008, 0, true, {(48u << 8) | 40u, 0, 0, 0}},
}};

constexpr bool sorted() {
    for (size_t k = 1; k < kTable.size(); ++k)
        if (kTable[k - 1].leaf >= kTable[k].leaf) return false;
    return true;
}
static_assert(sorted(), "CPUID rows must be in leaf order, one row per leaf");
static_assert(kTable[0].regs.eax == kMaxBasic && kTable[kTable.size() - 1].leaf == kMaxExtended);

}  // namespace

std::span<const Leaf> table() { return kTable; }

Regs query(u32 leaf, u32 subleaf, u8 apic_id) {
    bool basic = leaf <= kMaxBasic;
    bool extended = leaf >= 0x8000'0000 && leaf <= kMaxExtended;
    if (!basic && !extended) leaf = kMaxBasic;  // Intel: data of the highest basic leaf
    Regs r{};
    for (const Leaf& l : kTable)
        if (l.leaf == leaf && (l.any_sub || l.subleaf == subleaf)) r = l.regs;
    if (leaf == 1) r.ebx |= static_cast<u32>(apic_id) << 24;
    return r;
}

}  // namespace sy::cpuid
