// `switchyard bench`: guest instructions per second on small guest loops.
//
// Each program is a few hand-assembled instructions in flat RAM (64-bit mode,
// CPL 0, paging off), an endless loop. The CPU runs it in slices of the cycle
// clock until the target is reached; host wall time is measured around the
// whole run with std::chrono::steady_clock. docs/performance.md records results.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "cpu.h"
#include "flat_bus.h"
#include "timing/core.h"

namespace sy::cli {
namespace {

constexpr u64 kCode = 0x1000;
constexpr u64 kSrc = 0x100000, kDst = 0x180000;  // 512 KiB apart
constexpr u32 kCopyQwords = 0x4000;              // 128 KiB per outer pass
constexpr size_t kRam = 4u << 20;

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
};

struct Program {
    std::string name;
    Code code;
    bool copies = false;  // reports MB/s: r15 counts outer passes of kCopyQwords qwords
    bool by_qwords = false;  // runs until it has copied as many qwords as the mov loop
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
    return out;
}

struct Result {
    u64 insns = 0, cycles = 0, bytes = 0;
    double seconds = 0;
    std::string error;
};

Result run_program(const Program& p, u64 target_insns, timing::Mode mode) {
    FlatBus bus(kRam);
    Cpu cpu(bus);
    std::optional<timing::System> model;
    if (mode == timing::Mode::Detailed) {
        model.emplace(timing::kParams, 1);
        cpu.set_timing_model(&model->cpu(0));
    }
    bus.load(kCode, p.code.b);
    cpu.s.rip = kCode;
    cpu.s.gpr[RSP] = kRam - 0x100;
    const u64 target_qwords = target_insns / 6;  // what the mov copy loop moves in target_insns
    auto copied = [&] {
        u64 passes = cpu.s.gpr[R15];
        return passes == 0 ? 0 : (passes - 1) * kCopyQwords + (kCopyQwords - static_cast<u32>(cpu.s.gpr[RCX]));
    };
    auto done = [&] { return p.by_qwords ? copied() >= target_qwords : cpu.insns >= target_insns; };
    constexpr u64 kSlice = 1 << 20;  // cycles per run() call
    Result r;
    auto t0 = std::chrono::steady_clock::now();
    while (!done()) {
        StepResult s = cpu.run(cpu.cycles + kSlice);
        if (s.reason != StopReason::Budget) {
            r.error = s.fault ? std::string("stopped with ") + vector_name(s.fault->vector) : "stopped";
            break;
        }
    }
    auto t1 = std::chrono::steady_clock::now();
    r.seconds = std::chrono::duration<double>(t1 - t0).count();
    r.insns = cpu.insns;
    r.cycles = cpu.cycles;
    r.bytes = p.copies ? copied() * 8 : 0;
    return r;
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
        std::string names;
        bool any = false;
        for (const Program& p : programs()) {
            names += (names.empty() ? "" : ", ") + p.name;
            any |= only.empty() || p.name.find(only) != std::string::npos;
        }
        if (!any) {
            std::fprintf(stderr, "switchyard: bench: --only %s matches no program (%s)\n", only.c_str(), names.c_str());
            exit_status = 2;
            return;
        }
        std::printf("%-15s %14s %14s %9s %9s %10s\n", "program", "guest insns", "guest cycles", "seconds", "MIPS",
                    "guest MB/s");
        exit_status = 0;
        for (const Program& p : programs()) {
            if (!only.empty() && p.name.find(only) == std::string::npos) continue;
            Result r = run_program(p, insns, timing_mode == "detailed" ? timing::Mode::Detailed : timing::Mode::Fast);
            if (!r.error.empty()) {
                std::printf("%-15s %s\n", p.name.c_str(), r.error.c_str());
                exit_status = 1;
                continue;
            }
            // A REP instruction retires once for thousands of iterations: its
            // rate is in MB/s, not in instructions.
            std::printf("%-15s %14llu %14llu %9.3f", p.name.c_str(), static_cast<unsigned long long>(r.insns),
                        static_cast<unsigned long long>(r.cycles), r.seconds);
            if (p.by_qwords) std::printf(" %9s", "-");
            else std::printf(" %9.1f", r.insns / r.seconds / 1e6);
            if (r.bytes) std::printf(" %10.1f", r.bytes / r.seconds / 1e6);
            std::printf("\n");
        }
    });
}

}  // namespace sy::cli
