// The CPUID table (SDM Vol. 2A, CPUID): exactly what is implemented. Choices:
// - Vendor "GenuineIntel", family 6, model 0, stepping 0. Software expects a
//   known vendor string to trust the feature bits; family 6 is the Intel family
//   every 64-bit core reports. Model 0 belongs to no shipped part, so guest code
//   that keys quirks or model-specific MSRs on the model never matches. (The
//   timing table models a Skylake core; CPUID does not claim one.)
// - Leaf 1 EDX: FPU, DE, PSE, TSC, MSR, PAE, CX8, APIC, SEP (SYSENTER/SYSEXIT),
//   PGE, CMOV, PAT, CLFSH (line size 64), MMX, FXSR, SSE, SSE2.
// - Leaf 1 ECX: SSE3, SSSE3, CX16, PCID, SSE4.1, SSE4.2, x2APIC, POPCNT,
//   TSC-deadline, XSAVE; OSXSAVE is CR4.OSXSAVE, filled in by the CPUID
//   instruction. No MONITOR, PCLMULQDQ, AES, MOVBE, AVX.
// - Leaf 7 sub-leaf 0: EBX FSGSBASE, FDP_EXCPTN_ONLY and FCS/FDS deprecation
//   (how our x87 keeps its pointers, as the Intel host does), SMEP, INVPCID,
//   SMAP, CLFLUSHOPT; ECX UMIP.
// - Leaves 2-6 and 8-0Ch: zero (no cache, power or topology enumeration;
//   leaf 0Bh with EBX = 0 says "no x2APIC topology leaf").
// - Leaf 0Dh: XCR0 may hold x87 and SSE; the save area is 576 bytes; XSAVEOPT.
// - 8000_0001h: ECX LAHF-SAHF, LZCNT (ABM), PREFETCHW; EDX SYSCALL, NX, 1-GiB
//   pages, RDTSCP, LM.
// - 8000_0002h-8000_0004h: brand string "switchyard virtual CPU".
// - 8000_0008h: 40 physical and 48 linear address bits (the page walker's
//   MAXPHYADDR).
// A feature that lands sets its bit here in the same change.
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

constexpr std::array<Leaf, 21> kTable{{
    // leaf 0: maximum basic leaf; vendor in EBX, EDX, ECX
    {0, 0, true, {kMaxBasic, chars(kVendor, 0, 12), chars(kVendor, 8, 12), chars(kVendor, 4, 12)}},
    // leaf 1: version, EBX (APIC ID filled in by query()), features
    {1, 0, true,
     {(kFamily << 8) | (kModel << 4) | kStepping, kClflushQwords << 8,
      leaf1_ecx::SSE3 | leaf1_ecx::SSSE3 | leaf1_ecx::CX16 | leaf1_ecx::PCID | leaf1_ecx::SSE4_1 |
          leaf1_ecx::SSE4_2 | leaf1_ecx::X2APIC | leaf1_ecx::POPCNT | leaf1_ecx::TSC_DEADLINE | leaf1_ecx::XSAVE,
      leaf1_edx::FPU | leaf1_edx::MMX | leaf1_edx::DE | leaf1_edx::PSE | leaf1_edx::TSC | leaf1_edx::MSR | leaf1_edx::PAE | leaf1_edx::CX8 |
          leaf1_edx::APIC | leaf1_edx::SEP | leaf1_edx::PGE | leaf1_edx::CMOV | leaf1_edx::PAT | leaf1_edx::CLFSH |
          leaf1_edx::FXSR | leaf1_edx::SSE | leaf1_edx::SSE2}},
    {2, 0, true, {}},
    {3, 0, true, {}},
    {4, 0, true, {}},
    {5, 0, true, {}},
    {6, 0, true, {}},
    // leaf 7: sub-leaf 0 only; higher sub-leaves are zero
    {7, 0, false,
     {0,
      leaf7_ebx::FSGSBASE | leaf7_ebx::FDP_EXCPTN_ONLY | leaf7_ebx::SMEP | leaf7_ebx::INVPCID |
          leaf7_ebx::FCS_FDS_DEPRECATED | leaf7_ebx::SMAP | leaf7_ebx::CLFLUSHOPT,
      leaf7_ecx::UMIP, 0}},
    {8, 0, true, {}},
    {9, 0, true, {}},
    {0xA, 0, true, {}},
    {0xB, 0, true, {}},  // no x2APIC topology enumeration (EBX = 0 says so)
    {0xC, 0, true, {}},
    // leaf 0Dh: XSAVE. Sub-leaf 0: x87 and SSE in XCR0, 576-byte area (512 legacy
    // + 64 header); sub-leaf 1: XSAVEOPT.
    {0xD, 0, false, {3, 576, 576, 0}},
    {0xD, 1, false, {1, 0, 0, 0}},
    {0x8000'0000, 0, true, {kMaxExtended, 0, 0, 0}},
    {0x8000'0001, 0, true,
     {0, 0, ext1_ecx::LAHF_SAHF | ext1_ecx::LZCNT | ext1_ecx::PREFETCHW,
      ext1_edx::SYSCALL | ext1_edx::NX | ext1_edx::PAGE1GB | ext1_edx::LM | ext1_edx::RDTSCP}},
    {0x8000'0002, 0, true, brand(0)},
    {0x8000'0003, 0, true, brand(1)},
    {0x8000'0004, 0, true, brand(2)},
    // 0x8000'0005..7 are answered as zero by query(); 8: address sizes
    {0x8000'0008, 0, true, {(48u << 8) | 40u, 0, 0, 0}},
}};

constexpr bool sorted() {
    for (size_t k = 1; k < kTable.size(); ++k)
        if (kTable[k - 1].leaf > kTable[k].leaf ||
            (kTable[k - 1].leaf == kTable[k].leaf && kTable[k - 1].subleaf >= kTable[k].subleaf))
            return false;
    return true;
}
static_assert(sorted(), "CPUID rows must be in (leaf, sub-leaf) order, one row each");
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
