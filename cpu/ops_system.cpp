// System-ish instructions usable at any privilege level: CPUID, RDTSC/RDTSCP,
// RDPMC, the fences, prefetch hints and cache-line flushes.
// SDM Vol. 2A CPUID, CLFLUSH, CLFLUSHOPT, LFENCE; Vol. 2B MFENCE, PREFETCHh,
// PREFETCHW, RDPMC, RDTSC, RDTSCP, SFENCE; Vol. 3B 18.17 "Time-stamp counter".
//
// Model notes:
// - The time-stamp counter is the cycle clock (Cpu::cycles) as it stands when
//   the instruction starts, plus the offset a WRMSR to IA32_TSC sets, so it is
//   monotonic and deterministic: same program, same values.
// - One interpreter thread executes memory accesses in program order, so the
//   fences only cost time.
// - Prefetches never fault, even on a non-canonical address (SDM: "does not
//   cause exceptions"). CLFLUSH/CLFLUSHOPT have no cache to flush; they check
//   the address like a byte read (SDM: "treated as a byte load"): #GP(0) when
//   non-canonical, #PF when paging says so. With paging off every canonical
//   address passes, RAM or not.
#include "cpuid.h"
#include "decode.h"

namespace sy {
namespace {

using timing::Cls;

// 0F A2 CPUID. Writes the low 32 bits of RAX/RBX/RCX/RDX and clears the high halves.
void CPUID(Cpu& c, const Insn& i) {
    cpuid::Regs r = cpuid::query(static_cast<u32>(c.s.gpr[RAX]), static_cast<u32>(c.s.gpr[RCX]), c.apic_id);
    if (static_cast<u32>(c.s.gpr[RAX]) == 1 && (c.sys.cr4 & cr4::OSXSAVE)) r.ecx |= cpuid::leaf1_ecx::OSXSAVE;
    c.s.gpr[RAX] = r.eax;
    c.s.gpr[RBX] = r.ebx;
    c.s.gpr[RCX] = r.ecx;
    c.s.gpr[RDX] = r.edx;
    next(c, i);
}
// The time-stamp counter: the cycle clock plus what WRMSR to IA32_TSC set.
// CR4.TSD restricts RDTSC/RDTSCP to CPL 0 (#GP(0) otherwise).
inline u64 read_tsc(Cpu& c) {
    if ((c.sys.cr4 & cr4::TSD) && c.cpl() != 0) raise(GP, 0);
    return c.cycles + c.sys.tsc_offset;
}
// 0F 31 RDTSC: EDX:EAX <- TSC
void RDTSC(Cpu& c, const Insn& i) {
    u64 t = read_tsc(c);
    c.s.gpr[RAX] = static_cast<u32>(t);
    c.s.gpr[RDX] = static_cast<u32>(t >> 32);
    next(c, i);
}
// 0F 01 F9 RDTSCP: EDX:EAX <- TSC, ECX <- IA32_TSC_AUX[31:0]
void RDTSCP(Cpu& c, const Insn& i) {
    u64 t = read_tsc(c);
    c.s.gpr[RAX] = static_cast<u32>(t);
    c.s.gpr[RDX] = static_cast<u32>(t >> 32);
    c.s.gpr[RCX] = static_cast<u32>(c.sys.tsc_aux);
    next(c, i);
}
// 0F 33 RDPMC: CR4.PCE lets CPL > 0 use it (#GP(0) otherwise). There are no
// performance-monitoring counters (CPUID leaf 0AH reports version 0), so any
// counter ECX names is invalid, which is #GP(0) as well.
void RDPMC(Cpu& c, const Insn& i) {
    if (!(c.sys.cr4 & cr4::PCE) && c.cpl() != 0) raise(GP, 0);
    raise(GP, 0);  // ECX names a counter that does not exist
}
// 0F AE E8 LFENCE, 0F AE F0 MFENCE, 0F AE F8 SFENCE; 0F 18 /0-3 PREFETCHh,
// 0F 0D /1 PREFETCHW, 0F 0D /0 PREFETCH: no architectural effect.
void HINT(Cpu& c, const Insn& i) { next(c, i); }
// 0F AE /7 CLFLUSH m8, 66 0F AE /7 CLFLUSHOPT m8
void CLFLUSH(Cpu& c, const Insn& i) {
    u64 a = ea(c, i);
    if (c.mode() != Mode::Long64) a = static_cast<u32>(a);
    else if (!is_canonical(a)) raise(GP, 0);
    c.translate(a, Access::Read);  // the faults of a byte read; nothing to flush
    next(c, i);
}

template <Handler H, Cls C> bool simple_no_mem(Insn& i, const Decoded& d) {
    i.fn = H;
    i.cycles = cost(C, d, false);  // no memory operand is ever accessed
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_CPUID, simple_no_mem<CPUID, Cls::Cpuid>},
    {ZYDIS_MNEMONIC_RDTSC, simple_no_mem<RDTSC, Cls::Rdtsc>},
    {ZYDIS_MNEMONIC_RDTSCP, simple_no_mem<RDTSCP, Cls::Rdtsc>},
    {ZYDIS_MNEMONIC_RDPMC, simple_no_mem<RDPMC, Cls::Rdtsc>},
    {ZYDIS_MNEMONIC_LFENCE, simple_no_mem<HINT, Cls::Fence>},
    {ZYDIS_MNEMONIC_MFENCE, simple_no_mem<HINT, Cls::Fence>},
    {ZYDIS_MNEMONIC_SFENCE, simple_no_mem<HINT, Cls::Fence>},
    {ZYDIS_MNEMONIC_PREFETCHT0, simple_no_mem<HINT, Cls::Nop>},
    {ZYDIS_MNEMONIC_PREFETCHT1, simple_no_mem<HINT, Cls::Nop>},
    {ZYDIS_MNEMONIC_PREFETCHT2, simple_no_mem<HINT, Cls::Nop>},
    {ZYDIS_MNEMONIC_PREFETCHNTA, simple_no_mem<HINT, Cls::Nop>},
    {ZYDIS_MNEMONIC_PREFETCHW, simple_no_mem<HINT, Cls::Nop>},
    {ZYDIS_MNEMONIC_PREFETCH, simple_no_mem<HINT, Cls::Nop>},
    {ZYDIS_MNEMONIC_CLFLUSH, simple_no_mem<CLFLUSH, Cls::Flush>},
    {ZYDIS_MNEMONIC_CLFLUSHOPT, simple_no_mem<CLFLUSH, Cls::Flush>},
};

}  // namespace

std::span<const BuilderEntry> system_builders() { return kBuilders; }

}  // namespace sy
