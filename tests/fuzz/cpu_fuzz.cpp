// Random-instruction fuzzing of the interpreter: random byte sequences run
// with random registers, in random processor states, through Cpu::step() and
// Cpu::run(). Built normally it looks for crashes, hangs and broken invariants;
// built with -DSY_SANITIZE=ON (scripts/fuzz-cpu.sh) AddressSanitizer and
// UndefinedBehaviorSanitizer watch every handler too.
//
//   sy_cpu_fuzz [--seed N] [--cases N]
//
// Each case picks one of five set-ups (64-bit flat with exceptions returned,
// 64-bit with paging and an IDT at CPL 0 or 3, 32-bit compatibility mode at
// CPL 3, real mode), random CR0.EM/MP/TS, CR4.OSFXSR/OSXSAVE/DE/UMIP/TSD/PCE/
// FSGSBASE, sometimes armed debug registers, TF, or a pending interrupt, and
// runs a few instructions. The invariants checked after every case:
//  - the constant-zero register slot is still zero, RFLAGS bit 1 is set;
//  - a fault returned by step() (no IDT) left RIP at the instruction, unless
//    it is a trap (INT n, INT3, INTO, a #DB trap);
//  - run() returns within its budget.
// Guest memory is rebuilt every kRebuild cases: random stores may hit the page
// tables or the IDT, which only makes later cases stranger, never invalid.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "sys_support.h"

using namespace sy;
using test::SysMachine;

namespace {

constexpr u64 kCode = 0x1000;  // the flat machine's code page
constexpr int kRebuild = 512;

struct Stats {
    u64 cases = 0, steps = 0, faults = 0, delivered = 0, triple = 0;
    u64 by_vector[32] = {};
};

[[noreturn]] void broken(const char* what, u64 seed, u64 n, const Cpu& c) {
    std::fprintf(stderr, "cpu_fuzz: %s (seed %llu, case %llu)\n%s", what, (unsigned long long)seed,
                 (unsigned long long)n, c.describe().c_str());
    std::exit(1);
}

void random_bytes(std::mt19937_64& rng, u8* p, size_t n) {
    for (size_t k = 0; k < n; ++k) p[k] = static_cast<u8>(rng());
    // Bias towards real instructions: REX.W, the 0F escape, the 66/F2/F3 prefixes.
    if (rng() % 3 == 0) p[0] = 0x48;
    if (rng() % 4 == 0) p[1] = 0x0F;
    static constexpr u8 kPrefixes[] = {0x66, 0xF2, 0xF3, 0xF0};
    if (rng() % 8 == 0) p[0] = kPrefixes[rng() % 4];
}

void random_registers(std::mt19937_64& rng, Cpu& c, u64 ram_lo, u64 ram_span) {
    for (int n = 0; n < 16; ++n) {
        u64 v = rng();
        c.s.gpr[n] = (rng() % 2) ? (ram_lo + (v % ram_span)) : v;
    }
    for (int n = 0; n < 16; ++n) c.s.xmm[n] = Xmm{rng(), rng()};
}

// Random control bits the decoder gate and the system instructions read.
void random_control(std::mt19937_64& rng, Cpu& c) {
    const u64 cr0_bits[] = {cr0::EM, cr0::MP, cr0::TS};
    for (u64 b : cr0_bits) c.sys.cr0 = (rng() & 1) ? (c.sys.cr0 | b) : (c.sys.cr0 & ~b);
    const u64 cr4_bits[] = {cr4::OSFXSR, cr4::OSXSAVE, cr4::DE, cr4::UMIP, cr4::TSD, cr4::PCE, cr4::FSGSBASE};
    for (u64 b : cr4_bits) c.sys.cr4 = (rng() & 1) ? (c.sys.cr4 | b) : (c.sys.cr4 & ~b);
}

// Sometimes arms breakpoints on the code, the data the registers point at, or ports.
void random_breakpoints(std::mt19937_64& rng, Cpu& c, u64 code, u64 ram_lo, u64 ram_span) {
    std::fill(std::begin(c.sys.dr), std::begin(c.sys.dr) + 4, 0);
    c.sys.dr[6] = dr6::kFixed1;
    c.sys.dr[7] = dr7::kFixed1;
    if (rng() % 4 == 0) {
        for (int n = 0; n < 4; ++n) {
            switch (rng() % 3) {
                case 0: c.sys.dr[n] = code + rng() % 16; break;
                case 1: c.sys.dr[n] = ram_lo + rng() % ram_span; break;
                default: c.sys.dr[n] = rng() & 0xFFFF; break;
            }
        }
        c.sys.dr[7] |= rng() & (0xFFFF00FFull | dr7::GD);
    }
    c.load_breakpoints();
}

void check_invariants(const Cpu& c, u64 seed, u64 n) {
    if (c.s.gpr[ZERO_REG] != 0) broken("the zero register slot changed", seed, n, c);
    if (!(c.s.rflags & fl::FIXED1)) broken("RFLAGS bit 1 is clear", seed, n, c);
}

void note(Stats& st, const StepResult& r) {
    if (r.reason == StopReason::TripleFault) ++st.triple;
    if (r.fault) {
        ++st.faults;
        if (r.fault->vector < 32) ++st.by_vector[r.fault->vector];
    }
}

// Set-ups 0 and 4: the flat machine (1 MiB, paging off): 64-bit mode with
// exceptions returned by step(), or real mode with exceptions delivered through
// the IVT (whatever the guest left there).
void flat_case(test::Machine& m, bool real, std::mt19937_64& rng, Stats& st, u64 seed, u64 n) {
    Cpu& c = m.cpu;
    u8 code[16];
    random_bytes(rng, code, sizeof code);
    std::memcpy(&m.bus.ram[kCode], code, sizeof code);
    c.code_cache().invalidate_page(kCode >> 12);
    if (real) {
        c.reset();
        c.set_real_segment(CS, kCode >> 4);
        c.s.rip = 0;
        c.deliver_exceptions = true;
    } else {
        c.set_flat64(rng() % 4 == 0 ? 3 : 0);
        c.deliver_exceptions = false;
        c.s.rip = kCode;
    }
    random_control(rng, c);
    random_registers(rng, c, 0x8000, 0x38000);
    random_breakpoints(rng, c, kCode, 0x8000, 0x38000);
    c.s.gpr[RSP] = real ? 0x7000 : 0x80000;
    c.s.rflags = fl::FIXED1 | (rng() & (fl::ARITH | fl::DF)) | ((rng() % 8 == 0) ? fl::TF : 0);
    c.halted = false;
    c.interrupt_shadow = c.mov_ss_shadow = false;
    const u64 start = c.s.rip;
    StepResult r = c.step();
    ++st.steps;
    note(st, r);
    if (!real && r.fault && !r.fault->software && r.fault->vector != DB && c.s.rip != start)
        broken("a fault moved RIP", seed, n, c);
    check_invariants(c, seed, n);
}

// Set-ups 1-3: the system environment of the unit tests (paging, GDT, IDT to
// HLT stubs, TSS), in 64-bit mode at CPL 0 or 3, or 32-bit compatibility mode
// at CPL 3, with its system registers as built (`sys0`). Exceptions are
// delivered; a few instructions run, through step() or run().
void system_case(SysMachine& t, const SysState& sys0, int setup, std::mt19937_64& rng, Stats& st, u64 seed, u64 n) {
    Cpu& c = t.cpu;
    const bool user = setup != 1;
    const u64 at = user ? SysMachine::kUserCode : SysMachine::kKernelCode;
    u8 code[32];
    random_bytes(rng, code, sizeof code);
    std::memcpy(&t.m.bus.ram[at], code, sizeof code);
    c.code_cache().invalidate_page(at >> 12);
    c.halted = false;
    c.interrupt_shadow = c.mov_ss_shadow = false;
    c.sys = sys0;
    c.deliver_exceptions = true;
    c.flush_tlb();
    if (setup == 3) {
        c.set_segment(CS, SysMachine::kUserCs32, 0x00CFFA000000FFFF);
        c.set_segment(SS, SysMachine::kUserDs, 0x00CFF2000000FFFF);
        c.set_cpl(3);
        c.update_mode();
        c.s.rip = at;
    } else if (setup == 2) {
        t.enter_user(at, SysMachine::kUserStack);
    } else {
        c.set_segment(CS, SysMachine::kKernelCs, 0x00AF9A000000FFFF);
        c.set_segment(SS, SysMachine::kKernelDs, 0x00CF92000000FFFF);
        c.set_cpl(0);
        c.update_mode();
        c.s.rip = at;
    }
    random_control(rng, c);
    random_registers(rng, c, 0x40000, 0x20000);
    random_breakpoints(rng, c, at, 0x40000, 0x20000);
    c.s.gpr[RSP] = user ? SysMachine::kUserStack - 64 : 0x60000;
    c.s.rflags = fl::FIXED1 | (rng() & (fl::ARITH | fl::DF)) | ((rng() % 8 == 0) ? fl::TF : 0) |
                 ((rng() % 2) ? fl::IF : 0);
    test::TestPic pic;
    if (rng() % 4 == 0) pic.vectors = {static_cast<u8>(32 + rng() % 224)};
    if (rng() % 16 == 0) pic.nmi = 1;
    c.interrupts = &pic;
    if (rng() % 2) {
        for (int k = 0; k < 4; ++k) {
            StepResult r = c.step();
            ++st.steps;
            note(st, r);
            if (r.reason != StopReason::Budget) break;
        }
    } else {
        const u64 limit = c.cycles + 3000;
        StepResult r = c.run(limit);
        ++st.steps;
        note(st, r);
        if (r.reason == StopReason::Budget && c.cycles < limit) broken("run() stopped before its budget", seed, n, c);
    }
    st.delivered += pic.acks;
    c.interrupts = nullptr;
    check_invariants(c, seed, n);
}

}  // namespace

int main(int argc, char** argv) {
    u64 seed = 1, cases = 20000;
    for (int k = 1; k < argc; ++k) {
        std::string a = argv[k];
        if (a == "--seed" && k + 1 < argc) seed = std::strtoull(argv[++k], nullptr, 0);
        else if (a == "--cases" && k + 1 < argc) cases = std::strtoull(argv[++k], nullptr, 0);
        else {
            std::fprintf(stderr, "switchyard: cpu_fuzz: unknown argument %s (use --seed N --cases N)\n", argv[k]);
            return 2;
        }
    }
    std::mt19937_64 rng(seed);
    Stats st;
    std::unique_ptr<test::Machine> flat;
    std::unique_ptr<SysMachine> sys;
    SysState sys0;
    for (u64 n = 0; n < cases; ++n) {
        if (n % kRebuild == 0) {
            flat = std::make_unique<test::Machine>(1 << 20);
            sys = std::make_unique<SysMachine>();
            sys0 = sys->cpu.sys;
        }
        const int setup = static_cast<int>(rng() % 5);
        if (setup == 0 || setup == 4) flat_case(*flat, setup == 4, rng, st, seed, n);
        else system_case(*sys, sys0, setup, rng, st, seed, n);
        ++st.cases;
    }
    std::printf("cpu_fuzz: seed %llu: %llu cases, %llu steps, %llu faults returned, %llu interrupts taken, "
                "%llu triple faults\n",
                (unsigned long long)seed, (unsigned long long)st.cases, (unsigned long long)st.steps,
                (unsigned long long)st.faults, (unsigned long long)st.delivered, (unsigned long long)st.triple);
    std::printf("cpu_fuzz: faults by vector:");
    for (int v = 0; v < 32; ++v)
        if (st.by_vector[v]) std::printf(" %s=%llu", vector_name(static_cast<u8>(v)), (unsigned long long)st.by_vector[v]);
    std::printf("\n");
    return 0;
}
