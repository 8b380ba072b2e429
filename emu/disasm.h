// Instruction listing for debuggers (Capstone, AT&T syntax as gdb and objdump
// print it). The CPU's own decoder (cpu/decode.cpp, Zydis) builds execution
// records; this one gives text and the few facts run control needs: the
// length, whether it is a call or a return, a direct branch target.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "types.h"

namespace sy {

class Cpu;

struct DisasmLine {
    u64 addr = 0;
    u8 len = 0;          // 0: the bytes do not decode
    std::string text;    // "movq 0x10(%rsi), %rsp"
    bool is_call = false, is_ret = false, is_jump = false;
    std::optional<u64> target;  // direct call/jump target
    bool gs_memory = false;     // it accesses memory through GS (a %gs: operand)
};

// The code size a CPU executes now: 64 in long mode's 64-bit code, else 32
// (16-bit code is listed as 32-bit).
unsigned code_bits(const Cpu& c);

class Disassembler {
public:
    // `bits`: 64 (long mode) or 32 (protected mode: the i386 guest kernel).
    explicit Disassembler(unsigned bits = 64);
    ~Disassembler();
    Disassembler(const Disassembler&) = delete;
    Disassembler& operator=(const Disassembler&) = delete;

    // One instruction (of 64-bit code, or 32-bit) from `code` (at most `n` bytes) at `addr`.
    DisasmLine decode(const u8* code, size_t n, u64 addr) const;
    // Consecutive instructions from `addr` while bytes last (`n` bytes).
    std::vector<DisasmLine> decode_all(const u8* code, size_t n, u64 addr) const;

private:
    size_t handle_ = 0;  // csh
};

}  // namespace sy
