// The cycle clock's timing table: what one retired instruction costs.
//
// Model: Intel Skylake client core, latencies from Agner Fog, "Instruction
// tables" (Skylake section) and uops.info measured latencies. An interpreter
// does not model the pipeline, so each instruction is charged its latency as if
// executed alone; a memory operand adds the L1D load-to-use latency, a taken
// branch adds the front-end redirect. Figures are rounded to whole cycles.
// The clock is the only time in the emulator: same program, same cycles.
#pragma once
#include <array>

#include "types.h"

namespace sy::timing {

enum class Cls : u8 {
    Nop,      // nop, endbr64, pause-free hints, prefetch
    Mov,      // register/immediate moves, movzx/movsx, lea, setcc, cmov
    Alu,      // add/sub/logic/inc/dec/neg/not/cmp/test, bswap, cbw..cqo
    Shift,    // shl/shr/sar/rol/ror by imm or cl, bt*, shld/shrd
    Rcx,      // rcl/rcr (microcoded)
    BitScan,  // bsf/bsr/lzcnt/tzcnt/popcnt
    Mul,      // mul/imul
    Div8, Div16, Div32, Div64,
    Stack,    // push/pop/enter/leave/pushf/popf
    Branch,   // jcc/jmp/loop/jrcxz (not-taken cost; taken adds kTakenBranch)
    Call,     // call/ret
    String,   // per iteration of movs/stos/lods/cmps/scas
    Xchg,     // xchg/xadd/cmpxchg with memory (implicitly locked) and lock-prefixed RMW
    SseMove, SseLogic, SseInt, SseAdd, SseMul, SseDiv, SseSqrt, SseCvt, SseCmp,
    Cpuid, Rdtsc, Fence, Flush, Trap,
    Io,       // in/out/ins/outs per access (a port access on a PC bus is slow)
    SegLoad,  // mov/pop to a segment register, lds/lss/...
    Desc,     // lgdt/lidt/lldt/ltr/sgdt/..., lar/lsl/verr/verw
    CrWrite,  // mov to CR0/CR3/CR4, clts, lmsw, invlpg, invpcid, wbinvd
    Msr,      // rdmsr/wrmsr
    Syscall,  // syscall/sysret/sysenter/sysexit/swapgs
    Iret,     // iret, far call/jmp/ret
    FxSave,   // fxsave/fxrstor/xsave/xrstor
    X87,      // fadd/fsub/fcom/fild/fist/fchs/fabs/fcmov (loads, stores, fxch: Mov)
    X87Mul,   // fmul
    X87Div,   // fdiv/fdivr
    X87Sqrt,  // fsqrt
    X87Misc,  // frndint/fscale/fxtract/fprem/fprem1/fbld/fbstp/fninit (microcoded)
    X87Trans, // fsin/fcos/fsincos/fptan/fpatan/f2xm1/fyl2x/fyl2xp1
    X87Env,   // fnstenv/fldenv/fnsave/frstor
    Count
};

struct Cost {
    Cls cls;
    u8 cycles;
};

// One row per class, in enum order; a missing or misplaced row fails the build.
inline constexpr std::array<Cost, static_cast<size_t>(Cls::Count)> kTable{{
    {Cls::Nop, 1},     {Cls::Mov, 1},      {Cls::Alu, 1},      {Cls::Shift, 1},
    {Cls::Rcx, 6},     {Cls::BitScan, 3},  {Cls::Mul, 3},      {Cls::Div8, 23},
    {Cls::Div16, 23},  {Cls::Div32, 26},   {Cls::Div64, 42},   {Cls::Stack, 2},
    {Cls::Branch, 1},  {Cls::Call, 3},     {Cls::String, 1},   {Cls::Xchg, 18},
    {Cls::SseMove, 1}, {Cls::SseLogic, 1}, {Cls::SseInt, 1},   {Cls::SseAdd, 4},
    {Cls::SseMul, 4},  {Cls::SseDiv, 13},  {Cls::SseSqrt, 17}, {Cls::SseCvt, 5},
    {Cls::SseCmp, 3},  {Cls::Cpuid, 100},  {Cls::Rdtsc, 25},   {Cls::Fence, 33},
    {Cls::Flush, 5},   {Cls::Trap, 20},    {Cls::Io, 100},     {Cls::SegLoad, 10},
    {Cls::Desc, 30},   {Cls::CrWrite, 100}, {Cls::Msr, 100},   {Cls::Syscall, 30},
    {Cls::Iret, 50},   {Cls::FxSave, 60},  {Cls::X87, 3},      {Cls::X87Mul, 5},
    {Cls::X87Div, 15}, {Cls::X87Sqrt, 21}, {Cls::X87Misc, 25}, {Cls::X87Trans, 100},
    {Cls::X87Env, 100},
}};

consteval bool table_in_order() {
    for (size_t i = 0; i < kTable.size(); ++i)
        if (static_cast<size_t>(kTable[i].cls) != i || kTable[i].cycles == 0) return false;
    return true;
}
static_assert(table_in_order(), "timing table rows must follow Cls order, one each");

inline constexpr u8 kMemOperand = 4;    // L1D load-to-use latency (Skylake: 4-5)
inline constexpr u8 kTakenBranch = 1;   // taken-branch redirect bubble
inline constexpr u64 kPageWalk = 20;    // per page walk on a TLB miss (CPU core II)

// The classes' names, in enum order (`switchyard timing-params`, docs/timing.md).
inline constexpr std::array<const char*, static_cast<size_t>(Cls::Count)> kClsNames{
    "nop", "mov", "alu", "shift", "rcx", "bitscan", "mul", "div8", "div16", "div32", "div64", "stack",
    "branch", "call", "string", "xchg", "sse-move", "sse-logic", "sse-int", "sse-add", "sse-mul", "sse-div",
    "sse-sqrt", "sse-cvt", "sse-cmp", "cpuid", "rdtsc", "fence", "flush", "trap", "io", "seg-load", "desc",
    "cr-write", "msr", "syscall", "iret", "fxsave", "x87", "x87-mul", "x87-div", "x87-sqrt", "x87-misc",
    "x87-trans", "x87-env",
};

constexpr u8 cost(Cls c, bool has_mem) {
    return static_cast<u8>(kTable[static_cast<size_t>(c)].cycles + (has_mem ? kMemOperand : 0));
}

}  // namespace sy::timing
