// System state: segment descriptor caches, descriptor tables, control registers,
// MSRs (SDM Vol. 3A ch. 2 "System architecture overview", 3.4 segment registers,
// 4 paging, 7 task management; Vol. 4 MSRs).
#pragma once
#include "types.h"

namespace sy {

// The hidden part of a segment register (SDM Vol. 3A, 3.4.3).
struct SegCache {
    u16 sel = 0;
    u64 base = 0;
    u32 limit = 0xFFFF;  // byte granular, already scaled by G
    // Descriptor bits 40..55 as they sit in the descriptor: type(4) S DPL(2) P | limit19:16 (zeroed) AVL L D/B G.
    u16 attr = 0;

    u8 type() const { return attr & 0xF; }
    bool s() const { return attr & 0x10; }          // code/data (1) or system (0)
    u8 dpl() const { return (attr >> 5) & 3; }
    bool present() const { return attr & 0x80; }
    bool l() const { return attr & 0x2000; }         // 64-bit code
    bool db() const { return attr & 0x4000; }        // default size / big
    bool g() const { return attr & 0x8000; }
    bool code() const { return s() && (type() & 8); }
    template <class A> void serialize(A& ar) { ar(sel, base, limit, attr); }
};

struct DescTable {
    u64 base = 0;
    u16 limit = 0xFFFF;
    template <class A> void serialize(A& ar) { ar(base, limit); }
};

namespace cr0 {
constexpr u64 PE = 1u << 0, MP = 1u << 1, EM = 1u << 2, TS = 1u << 3, ET = 1u << 4, NE = 1u << 5,
              WP = 1u << 16, AM = 1u << 18, NW = 1u << 29, CD = 1u << 30, PG = 1u << 31;
constexpr u64 kValid = PE | MP | EM | TS | ET | NE | WP | AM | NW | CD | PG;
}  // namespace cr0
namespace cr4 {
constexpr u64 VME = 1u << 0, PVI = 1u << 1, TSD = 1u << 2, DE = 1u << 3, PSE = 1u << 4, PAE = 1u << 5,
              MCE = 1u << 6, PGE = 1u << 7, PCE = 1u << 8, OSFXSR = 1u << 9, OSXMMEXCPT = 1u << 10,
              UMIP = 1u << 11, FSGSBASE = 1u << 16, PCIDE = 1u << 17, OSXSAVE = 1u << 18, SMEP = 1u << 20,
              SMAP = 1u << 21;
// The CR4 bits we implement; setting any other raises #GP(0).
constexpr u64 kValid = TSD | DE | PSE | PAE | MCE | PGE | PCE | OSFXSR | OSXMMEXCPT | UMIP | FSGSBASE | PCIDE |
                       OSXSAVE | SMEP | SMAP;
}  // namespace cr4
namespace efer {
constexpr u64 SCE = 1u << 0, LME = 1u << 8, LMA = 1u << 10, NXE = 1u << 11;
constexpr u64 kValid = SCE | LME | LMA | NXE;
}  // namespace efer

namespace msr {
constexpr u32 TSC = 0x10, APIC_BASE = 0x1B, MISC_ENABLE = 0x1A0, PAT = 0x277, SYSENTER_CS = 0x174,
              SYSENTER_ESP = 0x175, SYSENTER_EIP = 0x176, EFER = 0xC0000080, STAR = 0xC0000081,
              LSTAR = 0xC0000082, CSTAR = 0xC0000083, SFMASK = 0xC0000084, FS_BASE = 0xC0000100,
              GS_BASE = 0xC0000101, KERNEL_GS_BASE = 0xC0000102, TSC_AUX = 0xC0000103,
              X2APIC_FIRST = 0x800, X2APIC_LAST = 0x8FF;
}  // namespace msr

// Whose behaviour the processor follows where the SDM leaves a result undefined
// and Intel and AMD processors differ (the list is in cpu/ops_int.cpp and
// cpu/ops_string.cpp; docs/isa-test.md). isa-test sets it to the host's vendor
// so the host stays the oracle; the machine models an Intel part, as CPUID says.
enum class Vendor : u8 { Intel, Amd };

// A linear address is canonical when bits 63:47 are copies of bit 47 (48
// linear-address bits, SDM Vol. 1 3.3.7.1; CPUID 8000_0008h reports 48). The
// one check every 64-bit access, load and MSR write uses.
inline bool is_canonical(u64 la) { return static_cast<u64>(static_cast<i64>(la << 16) >> 16) == la; }

// The processor's operating mode, derived from CR0.PE, EFER.LMA, CS.L and CS.D
// (SDM Vol. 3A, 2.2 "Modes of operation").
enum class Mode : u8 { Real, Prot16, Prot32, Compat16, Compat32, Long64 };
const char* mode_name(Mode m);

// A descriptor's 8 bytes -> the cache fields (SDM Vol. 3A, 3.4.5).
SegCache segment_from_descriptor(u16 sel, u64 desc);
// Flat caches as SYSCALL/SYSRET/SYSENTER/SYSEXIT load them (SDM Vol. 2B SYSCALL).
SegCache flat_code64(u16 sel, u8 dpl);
SegCache flat_code32(u16 sel, u8 dpl);
SegCache flat_data(u16 sel, u8 dpl);

// Optional handler for MSRs the CPU does not own (x2APIC, TSC deadline): the
// machine wires the local APIC here. Returning false means #GP(0).
class MsrHandler {
public:
    virtual ~MsrHandler() = default;
    virtual bool read(u32 msr, u64& value) = 0;
    virtual bool write(u32 msr, u64 value) = 0;
};

struct SysState {
    SegCache seg[6];  // ES CS SS DS FS GS; bases of FS/GS are IA32_FS_BASE/IA32_GS_BASE
    SegCache ldtr, tr;
    DescTable gdtr, idtr;
    u64 cr0 = cr0::ET | cr0::CD | cr0::NW;  // power-on value 60000010h
    u64 cr2 = 0, cr3 = 0, cr4 = 0, cr8 = 0;
    u64 efer = 0;
    u64 xcr0 = 1;
    u64 kernel_gs_base = 0, star = 0, lstar = 0, cstar = 0, sfmask = 0;
    u64 sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
    u64 tsc_aux = 0, pat = 0x0007040600070406ull, misc_enable = 1;  // fast strings
    u64 apic_base = 0xFEE00000 | (1u << 11) | (1u << 8);            // enabled, BSP
    u64 tsc_offset = 0;  // IA32_TSC = cycles + tsc_offset (a WRMSR to the TSC sets it)
    // DR0-DR7 as software sees them; Cpu::load_breakpoints() decodes them (debug.h).
    u64 dr[8] = {0, 0, 0, 0, 0, 0, 0xFFFF0FF0, 0x400};
    u8 cpl = 0;
    Mode mode = Mode::Long64;
    // PAE paging's PDPTE registers (SDM Vol. 3A 4.4.1): loaded from the PDPT
    // by MOV to CR3, and by MOV to CR0/CR4 when they enable PAE paging or
    // change CD/NW/PGE/PSE/SMEP under it; walks use these, never memory.
    u64 pdpte[4] = {};
    // Snapshots (cpu/archive.h): every field.
    template <class A> void serialize(A& ar) {
        ar(seg, ldtr, tr, gdtr, idtr, cr0, cr2, cr3, cr4, cr8, efer, xcr0, kernel_gs_base, star, lstar, cstar, sfmask,
           sysenter_cs, sysenter_esp, sysenter_eip, tsc_aux, pat, misc_enable, apic_base, tsc_offset, dr, cpl, mode,
           pdpte);
    }
};

}  // namespace sy
