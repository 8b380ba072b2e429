// What CPUID reports (SDM Vol. 2A, CPUID, Tables 3-8 to 3-20). The table in
// cpuid.cpp describes exactly what the interpreter implements; a feature bit is
// set only when every instruction it announces runs here.
#pragma once
#include <span>

#include "types.h"

namespace sy::cpuid {

struct Regs {
    u32 eax = 0, ebx = 0, ecx = 0, edx = 0;
    bool operator==(const Regs&) const = default;
};

// One table row. Leaves with sub-leaves list one row per sub-leaf; `any_sub`
// rows answer every sub-leaf.
struct Leaf {
    u32 leaf;
    u32 subleaf;
    bool any_sub;
    Regs regs;
};

inline constexpr u32 kMaxBasic = 0xD;
inline constexpr u32 kMaxExtended = 0x8000'0008;

// Feature bits we set, named as in the SDM, for tests and for other files that
// must agree with the table (e.g. LAHF/SAHF in 64-bit mode).
namespace leaf1_edx {
inline constexpr u32 FPU = 1u << 0, MMX = 1u << 23;
inline constexpr u32 DE = 1u << 2, PSE = 1u << 3, MSR = 1u << 5, PAE = 1u << 6, APIC = 1u << 9, SEP = 1u << 11,
                     PGE = 1u << 13, PAT = 1u << 16, FXSR = 1u << 24;
inline constexpr u32 TSC = 1u << 4, CX8 = 1u << 8, CMOV = 1u << 15, CLFSH = 1u << 19, SSE = 1u << 25,
                     SSE2 = 1u << 26;
}
namespace leaf1_ecx {
inline constexpr u32 SSE3 = 1u << 0, SSSE3 = 1u << 9, SSE4_1 = 1u << 19, SSE4_2 = 1u << 20;
inline constexpr u32 CX16 = 1u << 13, PCID = 1u << 17, X2APIC = 1u << 21, POPCNT = 1u << 23,
                     TSC_DEADLINE = 1u << 24, XSAVE = 1u << 26, OSXSAVE = 1u << 27;
}
namespace leaf7_ebx {
// FDP_EXCPTN_ONLY: FDP changes only with an unmasked x87 exception; FCS_FDS_DEPRECATED: saved as 0.
inline constexpr u32 FDP_EXCPTN_ONLY = 1u << 6, FCS_FDS_DEPRECATED = 1u << 13;
inline constexpr u32 FSGSBASE = 1u << 0, SMEP = 1u << 7, INVPCID = 1u << 10, SMAP = 1u << 20, CLFLUSHOPT = 1u << 23;
}
namespace leaf7_ecx {
inline constexpr u32 UMIP = 1u << 2;
}
namespace ext1_ecx {
inline constexpr u32 LAHF_SAHF = 1u << 0, LZCNT = 1u << 5, PREFETCHW = 1u << 8;
}
namespace ext1_edx {
inline constexpr u32 SYSCALL = 1u << 11, NX = 1u << 20, PAGE1GB = 1u << 26, RDTSCP = 1u << 27, LM = 1u << 29;
}

// The rows, in leaf order.
std::span<const Leaf> table();

// CPUID with EAX=leaf, ECX=subleaf on the logical processor whose initial APIC
// ID is `apic_id` (leaf 1 EBX[31:24]). A leaf above the maximum returns the
// highest basic leaf's data, as Intel processors do.
Regs query(u32 leaf, u32 subleaf, u8 apic_id = 0);

}  // namespace sy::cpuid
