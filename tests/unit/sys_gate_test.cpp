// The FPU/SSE state gate (cpu/decode.cpp kGateRules) under every combination of
// CR0.EM/MP/TS and CR4.OSFXSR/OSXSAVE. The expected actions are the manual's
// tables written out as data, not derived from the implementation:
//  - SDM Vol. 3A, Table 2-2 "Action taken by x87 FPU instructions for different
//    combinations of EM, MP and TS" (x87, WAIT/FWAIT and SSE columns);
//  - Table 13-1 and 2.5 (CR4.OSFXSR): SSE instructions are #UD with OSFXSR = 0,
//    "with the exception of PAUSE, PREFETCHh, SFENCE, LFENCE, MFENCE, MOVNTI,
//    CLFLUSH, CRC32 and POPCNT", which no CR0/CR4 bit affects;
//  - Vol. 2 FXSAVE (#NM if CR0.TS or CR0.EM), XSAVE (#UD if CR4.OSXSAVE = 0,
//    #NM if CR0.TS), XGETBV (#UD if CR4.OSXSAVE = 0, no #NM).
#include <doctest/doctest.h>

#include <string>

#include "support.h"

using namespace sy;

namespace {

constexpr int kNone = -1;

// Table 2-2, rows in the manual's order: EM MP TS -> x87, WAIT, SSE (OSFXSR = 1).
struct Row {
    bool em, mp, ts;
    int x87, wait, sse;
};
constexpr Row kTable2_2[] = {
    {0, 0, 0, kNone, kNone, kNone}, {0, 0, 1, NM, kNone, NM},   {0, 1, 0, kNone, kNone, kNone},
    {0, 1, 1, NM, NM, NM},          {1, 0, 0, NM, kNone, UD},   {1, 0, 1, NM, kNone, UD},
    {1, 1, 0, NM, kNone, UD},       {1, 1, 1, NM, NM, UD},
};

enum class Col { None, X87, Wait, Sse, FxSave, XSave, Xcr };

struct Form {
    const char* name;
    std::initializer_list<u8> bytes;
    Col col;
};
// Memory operands use [rax] = 0x4000 (64-byte aligned, holding a valid MXCSR).
const Form kForms[] = {
    {"mfence", {0x0F, 0xAE, 0xF0}, Col::None},
    {"lfence", {0x0F, 0xAE, 0xE8}, Col::None},
    {"sfence", {0x0F, 0xAE, 0xF8}, Col::None},
    {"clflush [rax]", {0x0F, 0xAE, 0x38}, Col::None},
    {"clflushopt [rax]", {0x66, 0x0F, 0xAE, 0x38}, Col::None},
    {"prefetcht0 [rax]", {0x0F, 0x18, 0x08}, Col::None},
    {"prefetchnta [rax]", {0x0F, 0x18, 0x00}, Col::None},
    {"prefetchw [rax]", {0x0F, 0x0D, 0x08}, Col::None},
    {"movnti [rax], ecx", {0x0F, 0xC3, 0x08}, Col::None},
    {"pause", {0xF3, 0x90}, Col::None},
    {"popcnt eax, ecx", {0xF3, 0x0F, 0xB8, 0xC1}, Col::None},
    {"addps xmm0, xmm1", {0x0F, 0x58, 0xC1}, Col::Sse},
    {"movd xmm0, ecx", {0x66, 0x0F, 0x6E, 0xC1}, Col::Sse},
    {"movd ecx, xmm0", {0x66, 0x0F, 0x7E, 0xC1}, Col::Sse},
    {"ldmxcsr [rax]", {0x0F, 0xAE, 0x10}, Col::Sse},
    {"stmxcsr [rax]", {0x0F, 0xAE, 0x18}, Col::Sse},
    {"movdqa xmm0, xmm1", {0x66, 0x0F, 0x6F, 0xC1}, Col::Sse},
    {"fninit", {0xDB, 0xE3}, Col::X87},
    {"fnstcw [rax]", {0xD9, 0x38}, Col::X87},
    {"fwait", {0x9B}, Col::Wait},
    {"fxsave [rax]", {0x0F, 0xAE, 0x00}, Col::FxSave},
    {"fxsave64 [rax]", {0x48, 0x0F, 0xAE, 0x00}, Col::FxSave},
    {"xsave [rax]", {0x0F, 0xAE, 0x20}, Col::XSave},
    {"xgetbv", {0x0F, 0x01, 0xD0}, Col::Xcr},
};

int expected(Col col, const Row& r, bool osfxsr, bool osxsave) {
    switch (col) {
        case Col::None: return kNone;
        case Col::X87: return r.x87;
        case Col::Wait: return r.wait;
        case Col::Sse: return r.sse == UD || !osfxsr ? UD : r.sse;  // Table 13-1: OSFXSR = 0 is #UD
        case Col::FxSave: return r.em || r.ts ? NM : kNone;
        case Col::XSave: return !osxsave ? UD : r.ts ? NM : kNone;
        case Col::Xcr: return !osxsave ? UD : kNone;
    }
    return kNone;
}

// Runs `f` once in the given state and returns the vector it raised, or kNone.
int run(const Form& f, const Row& r, bool osfxsr, bool osxsave) {
    test::Machine m;
    m.load(0x1000, f.bytes);
    m.cpu.s.gpr[RAX] = 0x4000;
    m.cpu.s.gpr[RCX] = 0;  // XGETBV: XCR0; MOVNTI and POPCNT: any value
    m.cpu.s.gpr[RDX] = 0;
    u32 mxcsr = 0x1F80;
    std::memcpy(&m.bus.ram[0x4000], &mxcsr, 4);
    u64& cr0 = m.cpu.sys.cr0;
    cr0 &= ~(cr0::EM | cr0::MP | cr0::TS);
    cr0 |= (r.em ? cr0::EM : 0) | (r.mp ? cr0::MP : 0) | (r.ts ? cr0::TS : 0);
    u64& cr4 = m.cpu.sys.cr4;
    cr4 &= ~(cr4::OSFXSR | cr4::OSXSAVE);
    cr4 |= (osfxsr ? cr4::OSFXSR : 0) | (osxsave ? cr4::OSXSAVE : 0);
    StepResult s = m.cpu.step();
    if (s.reason == StopReason::Fault) {
        if (s.fault->vector != UD && s.fault->vector != NM) return 1000 + s.fault->vector;  // shown as an error
        CHECK(m.cpu.s.rip == 0x1000);  // a fault: RIP stays at the instruction
        return s.fault->vector;
    }
    CHECK(m.cpu.s.rip == 0x1000 + f.bytes.size());
    return kNone;
}

std::string state(const Row& r, bool osfxsr, bool osxsave) {
    return std::string("em=") + char('0' + r.em) + " mp=" + char('0' + r.mp) + " ts=" + char('0' + r.ts) +
           " osfxsr=" + char('0' + osfxsr) + " osxsave=" + char('0' + osxsave);
}

}  // namespace

TEST_CASE("gate: fences, prefetches, CLFLUSH, MOVNTI, PAUSE and POPCNT run whatever CR0.EM/TS and CR4.OSFXSR say") {
    // The regression of issue 7 (defect 5): bare-metal kernels that never set
    // OSFXSR stopped at their first MFENCE.
    for (const Form& f : kForms) {
        if (f.col != Col::None) continue;
        for (const Row& r : kTable2_2)
            for (bool osfxsr : {false, true}) {
                const std::string what = std::string(f.name) + " " + state(r, osfxsr, false);
                INFO(what);
                CHECK(run(f, r, osfxsr, false) == kNone);
            }
    }
}

TEST_CASE("gate: x87, WAIT, SSE, FXSAVE, XSAVE and XGETBV follow SDM Table 2-2 and Table 13-1") {
    for (const Form& f : kForms) {
        if (f.col == Col::None) continue;
        for (const Row& r : kTable2_2)
            for (bool osfxsr : {false, true})
                for (bool osxsave : {false, true}) {
                    const std::string what = std::string(f.name) + " " + state(r, osfxsr, osxsave);
                    INFO(what);
                    CHECK(run(f, r, osfxsr, osxsave) == expected(f.col, r, osfxsr, osxsave));
                }
    }
}
