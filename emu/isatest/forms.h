// isa-test: instruction forms and test cases.
//
// A Form is one mnemonic x operand size x operand kinds ("add r64, m64"). For
// each form the generator draws random initial states (edge values mixed in),
// encodes the instruction with the Zydis encoder, runs the same bytes on the host
// CPU and in the interpreter, and compares GPRs, RIP, RFLAGS (minus the flags
// the SDM leaves undefined for the form), XMM0-15, MXCSR, the whole x87 state
// (all 80 bits of the eight registers, the tag, status and control words, FIP,
// FDP, FOP), the data area and the exception raised.
//
// The test address space (identical natively and in the interpreter):
//   kCodePage .. +0x1000   code; every byte 0xCC except the instruction at kInsnAddr.
//                          Execution ends at the first INT3 reached, so branches
//                          may land anywhere on the page except inside the instruction.
//   kData .. +kDataSize    data; memory operands, the stack (RSP = kStackTop) and,
//                          for gs: forms, the GS base all point here.
#pragma once
#include <Zydis/Zydis.h>

#include <random>
#include <string>
#include <vector>

#include "state.h"

namespace sy::isatest {

constexpr u64 kCodePage = 0x10000000;
constexpr u64 kInsnAddr = kCodePage + 0x800;
constexpr u64 kData = kCodePage + 0x1000;
constexpr u64 kDataSize = 0x4000;
constexpr u64 kStackTop = kData + 0x2000;

// RFLAGS bits that are compared: the arithmetic flags and DF. (IF, TF, AC and
// the rest are fixed by the host OS in user mode.)
constexpr u64 kComparedFlags = fl::ARITH | fl::DF;

using Rng = std::mt19937_64;

enum class Opd : u8 {
    Gpr,    // a general-purpose register of `bits` (random, never RSP)
    Xmm,    // an XMM register (random)
    Mem,    // a memory operand of `bits` (random base/index/disp/RIP-relative/gs:)
    Imm,    // an immediate of `bits` (values that need that width, edge values mixed in)
    Rel,    // a branch displacement of `bits` (the target is an INT3 on the code page)
    Fixed,  // a fixed register, e.g. CL for shift counts or AL for the short forms
    St,     // an x87 register ST(i) (random i)
    Mm,     // an MMX register (random)
};

struct OperandSpec {
    Opd kind;
    u16 bits = 0;
    ZydisRegister reg = ZYDIS_REGISTER_NONE;  // for Fixed
};

inline OperandSpec gpr(u16 bits) { return {Opd::Gpr, bits}; }
inline OperandSpec xmm() { return {Opd::Xmm, 128}; }
inline OperandSpec mem(u16 bits) { return {Opd::Mem, bits}; }
inline OperandSpec imm(u16 bits) { return {Opd::Imm, bits}; }
inline OperandSpec rel(u16 bits) { return {Opd::Rel, bits}; }
inline OperandSpec fixed(ZydisRegister r) { return {Opd::Fixed, 0, r}; }
inline OperandSpec sti() { return {Opd::St, 80}; }
inline OperandSpec mm() { return {Opd::Mm, 64}; }

// The state that is set up before and compared after the instruction.
struct TestState {
    u64 gpr[16] = {};
    u64 rip = kInsnAddr;
    u64 rflags = fl::FIXED1;
    Xmm xmm[16] = {};
    u32 mxcsr = 0x1F80;
    // x87 and MMX, as FXSAVE holds them: the registers in stack order (ST(0)
    // first; MMn is the physical register n, ST((n - TOP) mod 8)), the abridged
    // tag word (bit n: physical register n not empty), the status word with
    // TOP, the control word, and the last instruction/data pointers and opcode.
    F80 st[8] = {};
    u16 fcw = 0x037F, fsw = 0;
    u8 ftw = 0;
    u16 fop = 0;
    u64 fip = 0, fdp = 0;
    std::vector<u8> data = std::vector<u8>(kDataSize);
    int exception = -1;  // vector raised, or -1
};

// How the generator fills XMM lanes: random bits, or float/double edge values
// (zeros, denormals, infinities, QNaN, SNaN, 1.0, max, random normals).
enum class Lanes : u8 { Bits, F32, F64 };

// How the generator fills the x87 state: left at FNINIT's (forms that do not
// touch the FPU), x87 values (random TOP and tags, 80-bit edge values, random
// control words with precision, rounding and masks, sticky flags, sometimes a
// pending exception), or MMX values (random bits in the registers).
enum class Fpu : u8 { Init, X87, Mmx };

// What the memory operand holds: the data area's random bytes, or an edge value
// of the operand's type written at its address.
enum class MemFill : u8 { Random, F32, F64, F80, I16, I32, I64, Bcd };

struct Case;
using Adjust = void (*)(Case&, Rng&);

struct Form {
    std::string name;   // unique, what --forms matches: "add r64, m64"
    std::string group;  // the report's row: "arith", "shift", "sse-float", ...
    ZydisMnemonic mnemonic;
    std::vector<OperandSpec> ops;
    u64 undefined_flags = 0;          // flags the SDM leaves undefined in every case (cite the page)
    ZydisInstructionAttributes prefixes = 0;  // ZYDIS_ATTRIB_HAS_LOCK / _REP / _REPNE ...
    unsigned align = 1;               // memory operands aligned to this (16 for movaps)
    Lanes lanes = Lanes::Bits;
    bool random_mxcsr = false;        // draw rounding mode, FTZ/DAZ and exception masks
    // Called after the random state is drawn and the instruction encoded; may
    // change the initial state (e.g. keep RCX small for REP, point a register at
    // the code page for JMP r64) and add to the undefined masks.
    Adjust adjust = nullptr;
    Fpu fpu = Fpu::Init;
    MemFill fill = MemFill::Random;
    u16 avoid_gprs = 0;  // bit n: GPR n is an implicit operand, never a base or index
};

// What the generator chose for one case.
struct Case {
    const Form* form = nullptr;
    std::vector<u8> bytes;
    TestState init;
    ZydisRegister regs[4] = {};                 // register chosen for each operand (NONE if not a register)
    ZydisRegister mem_base = ZYDIS_REGISTER_NONE, mem_index = ZYDIS_REGISTER_NONE;
    u64 mem_addr = 0;                           // linear address of the memory operand, if any
    u64 imm = 0;                                // the immediate, if any
    u64 data_seed = 0;                          // init.data starts as fill_data(data_seed)
    u64 undefined_flags = 0;                    // form's mask plus what adjust() added
    u32 undefined_gprs = 0;                     // bit n: GPR n is undefined after this case
};

// Helpers for adjust hooks.
inline int gpr_number(ZydisRegister r) {
    return ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r) - ZYDIS_REGISTER_RAX;
}

// One list per group file.
std::vector<Form> int_forms();   // forms_int.cpp
std::vector<Form> ctrl_forms();  // forms_ctrl.cpp
std::vector<Form> sse_forms();   // forms_sse.cpp
std::vector<Form> x87_forms();   // forms_x87.cpp
std::vector<Form> mmx_forms();   // forms_mmx.cpp
std::vector<Form> sse4_forms();  // forms_sse4.cpp (SSE3, SSSE3, SSE4.1, SSE4.2)

const std::vector<Form>& all_forms();

}  // namespace sy::isatest
