// `switchyard bench`: guest instructions per second on small guest loops.
//
// Each program is a few hand-assembled instructions in flat RAM (64-bit mode,
// CPL 0, paging off), an endless loop. The CPU runs it in slices of the cycle
// clock until the target is reached; host wall time is measured around the
// whole run with std::chrono::steady_clock, and the process's CPU time beside
// it (the "CPU MIPS" column: on a shared host the figure the load disturbs
// least). Two programs differ: the sieve runs
// once to its HLT with paging on (4 KiB pages over 64 MiB) and its prime count
// is checked against the host's; the kernel-like row boots the bundled guest
// kernel through the normal machine (emu/launch.h). docs/performance.md
// records results.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "commands.h"
#include "cpu.h"
#include "flat_bus.h"
#include "launch.h"
#include "timing/core.h"

namespace sy::cli {
namespace {

constexpr u64 kCode = 0x1000;
constexpr u64 kSrc = 0x100000, kDst = 0x180000;  // 512 KiB apart
constexpr u32 kCopyQwords = 0x4000;              // 128 KiB per outer pass
constexpr size_t kRam = 4u << 20;

// The sieve: one byte per number below kSieveN at linear kSieveVa, mapped with
// 4 KiB pages onto physical memory from kSievePa; the page tables from kTables.
constexpr u64 kSieveN = 64ull << 20;
constexpr u64 kSieveVa = 0x40000000, kSievePa = 0x400000;
constexpr u64 kTables = 0x200000;
constexpr size_t kSieveRam = kSievePa + kSieveN;

// A tiny emitter: raw bytes plus rel8/rel32 fix-ups against labels.
struct Code {
    std::vector<u8> b;
    u64 here() const { return b.size(); }
    void emit(std::initializer_list<u8> bytes) { b.insert(b.end(), bytes); }
    void imm32(u32 v) {
        for (int k = 0; k < 4; ++k) b.push_back(static_cast<u8>(v >> (8 * k)));
    }
    // Short branch (opcode + rel8) to `target`.
    void jmp8(u8 opcode, u64 target) {
        i64 rel = static_cast<i64>(target) - static_cast<i64>(here() + 2);
        emit({opcode, static_cast<u8>(rel)});
    }
    // A forward short branch: emitted now, its target patched by land().
    u64 jmp8_forward(u8 opcode) {
        emit({opcode, 0});
        return here();
    }
    void land(u64 after_branch) { b[after_branch - 1] = static_cast<u8>(here() - after_branch); }
};

struct Program {
    std::string name;
    Code code;
    bool copies = false;  // reports MB/s: r15 counts outer passes of kCopyQwords qwords
    bool by_qwords = false;  // runs until it has copied as many qwords as the mov loop
    bool sieve = false;      // runs once to HLT with paging on; RDX = composites below kSieveN
};

// mov ecx, imm32
void mov_ecx(Code& c, u32 v) {
    c.emit({0xB9});
    c.imm32(v);
}
// Outer-pass setup shared by the copy loops:
//   49 ff c7               inc r15
//   48 c7 c6 <src32>       mov rsi, kSrc
//   48 c7 c7 <dst32>       mov rdi, kDst
//   b9 <n32>               mov ecx, kCopyQwords
void copy_setup(Code& c) {
    c.emit({0x49, 0xFF, 0xC7});
    c.emit({0x48, 0xC7, 0xC6});
    c.imm32(static_cast<u32>(kSrc));
    c.emit({0x48, 0xC7, 0xC7});
    c.imm32(static_cast<u32>(kDst));
    mov_ecx(c, kCopyQwords);
}

std::vector<Program> programs() {
    std::vector<Program> out;
    {   // (1) integer ALU: adds, xors, shifts, inc/dec, one jnz per 9 instructions
        Program p{"alu loop", {}};
        Code& c = p.code;
        u64 outer = c.here();
        mov_ecx(c, 1'000'000);
        u64 inner = c.here();
        c.emit({0x48, 0x01, 0xD8});        // add rax, rbx
        c.emit({0x48, 0x31, 0xC2});        // xor rdx, rax
        c.emit({0x48, 0xC1, 0xE2, 0x03});  // shl rdx, 3
        c.emit({0x48, 0xD1, 0xFA});        // sar rdx, 1
        c.emit({0x48, 0xFF, 0xC6});        // inc rsi
        c.emit({0x48, 0xFF, 0xCF});        // dec rdi
        c.emit({0x48, 0x83, 0xC3, 0x07});  // add rbx, 7
        c.emit({0xFF, 0xC9});              // dec ecx
        c.jmp8(0x75, inner);               // jnz inner
        c.jmp8(0xEB, outer);               // jmp outer
        out.push_back(std::move(p));
    }
    {   // (2a) memory copy with explicit loads and stores, 6 instructions per qword
        Program p{"mov copy loop", {}, true};
        Code& c = p.code;
        u64 outer = c.here();
        copy_setup(c);
        u64 inner = c.here();
        c.emit({0x48, 0x8B, 0x06});        // mov rax, [rsi]
        c.emit({0x48, 0x89, 0x07});        // mov [rdi], rax
        c.emit({0x48, 0x83, 0xC6, 0x08});  // add rsi, 8
        c.emit({0x48, 0x83, 0xC7, 0x08});  // add rdi, 8
        c.emit({0xFF, 0xC9});              // dec ecx
        c.jmp8(0x75, inner);               // jnz inner
        c.jmp8(0xEB, outer);               // jmp outer
        out.push_back(std::move(p));
    }
    {   // (2b) the same copy with rep movsq (one instruction per 128 KiB)
        Program p{"rep movsq", {}, true, true};
        Code& c = p.code;
        u64 outer = c.here();
        copy_setup(c);
        c.emit({0xF3, 0x48, 0xA5});        // rep movsq
        c.jmp8(0xEB, outer);               // jmp outer
        out.push_back(std::move(p));
    }
    {   // (3) call/ret: a call, a one-instruction function, ret, dec, jnz
        Program p{"call/ret loop", {}};
        Code& c = p.code;
        u64 outer = c.here();
        mov_ecx(c, 1'000'000);
        u64 inner = c.here();
        u64 call_at = c.here();
        c.emit({0xE8});                    // call func (rel32 patched below)
        c.imm32(0);
        c.emit({0xFF, 0xC9});              // dec ecx
        c.jmp8(0x75, inner);               // jnz inner
        c.jmp8(0xEB, outer);               // jmp outer
        u64 func = c.here();
        c.emit({0x48, 0xFF, 0xC0});        // func: inc rax
        c.emit({0xC3});                    // ret
        u32 rel = static_cast<u32>(func - (call_at + 5));
        for (int k = 0; k < 4; ++k) c.b[call_at + 1 + k] = static_cast<u8>(rel >> (8 * k));
        out.push_back(std::move(p));
    }
    {   // (4) x87 arithmetic in the software core: x = sqrt(x + 1) * 1 / 1, 4 of 6 instructions x87
        Program p{"x87 loop", {}};
        Code& c = p.code;
        u64 outer = c.here();
        c.emit({0xDB, 0xE3});              // fninit
        c.emit({0xD9, 0xE8});              // fld1
        c.emit({0xD9, 0xE8});              // fld1
        mov_ecx(c, 1'000'000);
        u64 inner = c.here();
        c.emit({0xD8, 0xC1});              // fadd st0, st1
        c.emit({0xD9, 0xFA});              // fsqrt
        c.emit({0xD8, 0xC9});              // fmul st0, st1
        c.emit({0xD8, 0xF1});              // fdiv st0, st1
        c.emit({0xFF, 0xC9});              // dec ecx
        c.jmp8(0x75, inner);               // jnz inner
        c.jmp8(0xEB, outer);               // jmp outer
        out.push_back(std::move(p));
    }
    // (5) a store in a loop: to the code's own page (another 64-byte line; the
    // decode cache must not drop the loop) and to a page far away. Same bytes
    // otherwise, so the two rows differ only by where the store lands.
    for (bool same_page : {true, false}) {
        Program p{same_page ? "store code page" : "store far page", {}};
        Code& c = p.code;
        const u64 target = same_page ? kCode + 0x800 : kDst;
        u64 outer = c.here();
        mov_ecx(c, 1'000'000);
        u64 inner = c.here();
        c.emit({0x89, 0x05});              // mov [rip+rel32], eax
        c.imm32(static_cast<u32>(target - (kCode + c.here() + 4)));
        c.emit({0xFF, 0xC0});              // inc eax
        c.emit({0xFF, 0xC9});              // dec ecx
        c.jmp8(0x75, inner);               // jnz inner
        c.jmp8(0xEB, outer);               // jmp outer
        out.push_back(std::move(p));
    }
    {   // (6) a sieve of Eratosthenes over 64 MiB of 4 KiB pages (rbx = its base, r8 = N):
        // one byte per number, 1 = composite; then POPCNT counts the composites.
        Program p{"paging sieve", {}};
        p.sieve = true;
        Code& c = p.code;
        c.emit({0x66, 0xC7, 0x03, 0x01, 0x01});        // mov word [rbx], 0x0101 (0 and 1)
        c.emit({0xBE, 0x02, 0x00, 0x00, 0x00});        // mov esi, 2
        u64 outer = c.here();
        c.emit({0x48, 0x89, 0xF0});                    // outer: mov rax, rsi
        c.emit({0x48, 0x0F, 0xAF, 0xC6});              // imul rax, rsi
        c.emit({0x4C, 0x39, 0xC0});                    // cmp rax, r8
        u64 to_count = c.jmp8_forward(0x73);           // jae count
        c.emit({0x80, 0x3C, 0x33, 0x00});              // cmp byte [rbx+rsi], 0
        u64 to_next = c.jmp8_forward(0x75);            // jne next
        u64 mark = c.here();
        c.emit({0xC6, 0x04, 0x03, 0x01});              // mark: mov byte [rbx+rax], 1
        c.emit({0x48, 0x01, 0xF0});                    // add rax, rsi
        c.emit({0x4C, 0x39, 0xC0});                    // cmp rax, r8
        c.jmp8(0x72, mark);                            // jb mark
        c.land(to_next);
        c.emit({0x48, 0xFF, 0xC6});                    // next: inc rsi
        c.jmp8(0xEB, outer);                           // jmp outer
        c.land(to_count);
        c.emit({0x31, 0xD2});                          // count: xor edx, edx
        c.emit({0x31, 0xC9});                          // xor ecx, ecx
        u64 sum = c.here();
        c.emit({0xF3, 0x48, 0x0F, 0xB8, 0x04, 0x0B});  // sum: popcnt rax, [rbx+rcx]
        c.emit({0x48, 0x01, 0xC2});                    // add rdx, rax
        c.emit({0x48, 0x83, 0xC1, 0x08});              // add rcx, 8
        c.emit({0x4C, 0x39, 0xC1});                    // cmp rcx, r8
        c.jmp8(0x72, sum);                             // jb sum
        c.emit({0xF4});                                // hlt
        out.push_back(std::move(p));
    }
    return out;
}

// pi(n - 1): the primes below n, by the host (the oracle for the guest's sieve).
u64 primes_below(u64 n) {
    std::vector<bool> composite(n);
    u64 count = 0;
    for (u64 i = 2; i < n; ++i) {
        if (composite[i]) continue;
        ++count;
        for (u64 j = i * i; j < n; j += i) composite[j] = true;
    }
    return count;
}

// 4-level page tables at kTables: the first 4 MiB (code, stack, the tables)
// identity-mapped and kSieveN bytes at kSieveVa onto kSievePa, all with 4 KiB
// pages (SDM Vol. 3A, 4.5). Returns CR3.
u64 build_sieve_tables(FlatBus& bus) {
    u64 next = kTables;
    auto table = [&] { u64 t = next; next += 0x1000; return t; };
    auto entry = [&](u64 t, unsigned k) -> u64& { return *reinterpret_cast<u64*>(bus.ram_page(t) + 8 * k); };
    constexpr u64 kPresentWritable = 0x3;
    const u64 pml4 = table(), pdpt = table();
    entry(pml4, 0) = pdpt | kPresentWritable;
    auto map_4k = [&](u64 va, u64 pa, u64 bytes) {
        u64 pd = table();
        entry(pdpt, unsigned(va >> 30) & 511) = pd | kPresentWritable;
        for (u64 off = 0; off < bytes; off += 0x200000) {
            u64 pt = table();
            entry(pd, unsigned((va + off) >> 21) & 511) = pt | kPresentWritable;
            for (unsigned k = 0; k < 512; ++k) entry(pt, k) = (pa + off + 0x1000ull * k) | kPresentWritable;
        }
    };
    map_4k(0, 0, 4u << 20);
    map_4k(kSieveVa, kSievePa, kSieveN);
    return pml4;
}

struct Result {
    u64 insns = 0, cycles = 0, bytes = 0;
    double seconds = 0, cpu_seconds = 0;
    std::string error;
};

// Host CPU time of this process (user + system). On a host shared with other
// work the wall time counts the time the process waited for a core; this does
// not, so it is the figure to compare between builds on a loaded machine.
double cpu_now() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

Result run_program(const Program& p, u64 target_insns, timing::Mode mode) {
    FlatBus bus(p.sieve ? kSieveRam : kRam);
    Cpu cpu(bus);
    std::optional<timing::System> model;
    if (mode == timing::Mode::Detailed) {
        model.emplace(timing::kParams, 1);
        cpu.set_timing_model(&model->cpu(0));
    }
    bus.load(kCode, p.code.b);
    cpu.s.rip = kCode;
    cpu.s.gpr[RSP] = kRam - 0x100;
    if (p.sieve) {
        cpu.sys.cr3 = build_sieve_tables(bus);
        cpu.sys.cr4 |= cr4::PAE;
        cpu.sys.cr0 |= cr0::PG;
        cpu.flush_tlb();
        cpu.update_mode();
        cpu.s.gpr[RBX] = kSieveVa;
        cpu.s.gpr[R8] = kSieveN;
    }
    const u64 target_qwords = target_insns / 6;  // what the mov copy loop moves in target_insns
    auto copied = [&] {
        u64 passes = cpu.s.gpr[R15];
        return passes == 0 ? 0 : (passes - 1) * kCopyQwords + (kCopyQwords - static_cast<u32>(cpu.s.gpr[RCX]));
    };
    auto done = [&] {
        if (p.sieve) return cpu.halted;
        return p.by_qwords ? copied() >= target_qwords : cpu.insns >= target_insns;
    };
    constexpr u64 kSlice = 1 << 20;  // cycles per run() call
    Result r;
    auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_now();
    while (!done()) {
        StepResult s = cpu.run(cpu.cycles + kSlice);
        if (p.sieve && s.reason == StopReason::Halt) continue;
        if (s.reason != StopReason::Budget) {
            r.error = s.fault ? std::string("stopped with ") + vector_name(s.fault->vector) : "stopped";
            break;
        }
    }
    auto t1 = std::chrono::steady_clock::now();
    r.cpu_seconds = cpu_now() - c0;
    r.seconds = std::chrono::duration<double>(t1 - t0).count();
    r.insns = cpu.insns;
    r.cycles = cpu.cycles;
    r.bytes = p.copies ? copied() * 8 : 0;
    if (p.sieve && r.error.empty()) {
        u64 guest = kSieveN - cpu.s.gpr[RDX], host = primes_below(kSieveN);
        if (guest != host)
            r.error = "counted " + std::to_string(guest) + " primes below " + std::to_string(kSieveN) + ", the host " +
                      std::to_string(host);
    }
    return r;
}

// The kernel-like row: the bundled kernel on one CPU runs `bench N` (two
// processes making N getpid and N sched_yield each, guest-kernel/user/bench.c)
// through the machine `switchyard run` builds. Boot and exit are measured by a
// run with N = 0 and subtracted, so the figures are the calls and switches.
struct KernelRun {
    u64 insns = 0, cycles = 0, switches = 0;
    double seconds = 0, cpu_seconds = 0;
    std::string error;
};

KernelRun run_kernel(u64 n, const std::string& timing) {
    MachineOptions o;
    o.smp = "1";
    o.timing = timing;
    o.append = "bench " + std::to_string(n);
    Prepared prep = prepare(o);
    std::string serial;
    KernelRun k;
    auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_now();
    Launch l = start(prep, [&](u8 c) { serial += char(c); }, [](u8) {});
    RunResult r = l.machine->run();
    auto t1 = std::chrono::steady_clock::now();
    k.cpu_seconds = cpu_now() - c0;
    k.seconds = std::chrono::duration<double>(t1 - t0).count();
    k.insns = l.machine->total_insns();
    k.cycles = l.machine->now();
    if (r.end != RunEnd::GuestExit || r.exit_status != 1) {
        k.error = "the guest kernel did not exit with status 0: " + r.detail;
        return k;
    }
    // "bench: parent done: V voluntary switches, I involuntary", and the child's.
    static const std::regex done(R"(bench: (parent|child) done: (\d+) voluntary switches, (\d+) involuntary)");
    int lines = 0;
    for (std::sregex_iterator it(serial.begin(), serial.end(), done), end; it != end; ++it, ++lines)
        k.switches += std::stoull((*it)[2]) + std::stoull((*it)[3]);
    if (lines != 2) k.error = "the guest's bench program did not report both processes";
    return k;
}

}  // namespace

void add_bench(CLI::App& app) {
    auto* cmd = app.add_subcommand("bench", "Measure interpreter speed (guest instructions per second)");
    static u64 insns = 200'000'000;
    static std::string only;
    static std::string timing_mode = "fast";
    cmd->add_option("--insns", insns, "Guest instructions per program (rep movsq: the qwords the mov loop copies)")
        ->type_name("N")
        ->capture_default_str();
    cmd->add_option("--only", only, "Run only programs whose name contains this text")->type_name("TEXT");
    cmd->add_option("--timing", timing_mode, "The cycle clock: fast (the timing table) or detailed (cpu/timing/)")
        ->check(CLI::IsMember({"fast", "detailed"}))
        ->capture_default_str();
    cmd->callback([] {
        const std::string kernel_row = "kernel calls";
        auto selected = [](const std::string& name) { return only.empty() || name.find(only) != std::string::npos; };
        std::string names;
        bool any = selected(kernel_row);
        for (const Program& p : programs()) {
            names += (names.empty() ? "" : ", ") + p.name;
            any |= selected(p.name);
        }
        names += ", " + kernel_row;
        if (!any) {
            std::fprintf(stderr, "switchyard: bench: --only %s matches no program (%s)\n", only.c_str(), names.c_str());
            exit_status = 2;
            return;
        }
        std::printf("%-15s %14s %14s %9s %9s %9s %10s\n", "program", "guest insns", "guest cycles", "seconds", "MIPS",
                    "CPU MIPS", "guest MB/s");
        exit_status = 0;
        auto row = [](const std::string& name, u64 n, u64 cycles, double seconds) {
            std::printf("%-15s %14llu %14llu %9.3f", name.c_str(), static_cast<unsigned long long>(n),
                        static_cast<unsigned long long>(cycles), seconds);
        };
        for (const Program& p : programs()) {
            if (!selected(p.name)) continue;
            Result r = run_program(p, insns, timing_mode == "detailed" ? timing::Mode::Detailed : timing::Mode::Fast);
            if (!r.error.empty()) {
                std::printf("%-15s %s\n", p.name.c_str(), r.error.c_str());
                exit_status = 1;
                continue;
            }
            // A REP instruction retires once for thousands of iterations: its
            // rate is in MB/s, not in instructions.
            row(p.name, r.insns, r.cycles, r.seconds);
            if (p.by_qwords) std::printf(" %9s %9s", "-", "-");
            else std::printf(" %9.1f %9.1f", r.insns / r.seconds / 1e6, r.insns / r.cpu_seconds / 1e6);
            if (r.bytes) std::printf(" %10.1f", r.bytes / r.seconds / 1e6);
            std::printf("\n");
        }
        if (selected(kernel_row)) {
            // A round (getpid + sched_yield in each process) is about 1000 guest
            // instructions; the kernel runs at a tenth of the loops' rate.
            const u64 n = std::max<u64>(insns / 20000, 1);
            KernelRun base = run_kernel(0, timing_mode), k = run_kernel(n, timing_mode);
            std::string error = k.error.empty() ? base.error : k.error;
            if (!error.empty()) {
                std::printf("%-15s %s\n", kernel_row.c_str(), error.c_str());
                exit_status = 1;
                return;
            }
            const double seconds = k.seconds - base.seconds, cpu_seconds = k.cpu_seconds - base.cpu_seconds;
            const u64 switches = k.switches - base.switches, calls = 4 * n;  // 2 processes x (getpid + yield)
            row(kernel_row, k.insns - base.insns, k.cycles - base.cycles, seconds);
            std::printf(" %9.1f %9.1f %10s %.0f switches/s, %.0f syscalls/s (%llu switches, %llu calls)\n",
                        (k.insns - base.insns) / seconds / 1e6, (k.insns - base.insns) / cpu_seconds / 1e6, "-",
                        switches / seconds, calls / seconds,
                        static_cast<unsigned long long>(switches), static_cast<unsigned long long>(calls));
        }
    });
}

}  // namespace sy::cli
