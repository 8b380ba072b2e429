// Turning Zydis output into Insn records. The generic part (operands, prefixes,
// length) is done once by decode_one(); each mnemonic's builder then picks the
// handler instantiation that matches the operand sizes and kinds.
#pragma once
#include <Zydis/Zydis.h>

#include <span>

#include "exec.h"
#include "timing.h"
#include "timing/facts.h"

namespace sy {

struct Decoded {
    const ZydisDecodedInstruction& in;
    const ZydisDecodedOperand* op;  // visible operands first
    u64 rip;                        // address of the instruction
    Mode mode;                      // the processor mode it was decoded for
    bool long64() const { return mode == Mode::Long64; }

    int count() const { return in.operand_count_visible; }
    K kind(int n) const {
        switch (op[n].type) {
            case ZYDIS_OPERAND_TYPE_REGISTER: return K::R;
            case ZYDIS_OPERAND_TYPE_MEMORY: return K::M;
            default: return K::I;
        }
    }
    bool has_mem() const {
        for (int n = 0; n < count(); ++n)
            if (op[n].type == ZYDIS_OPERAND_TYPE_MEMORY && op[n].mem.type != ZYDIS_MEMOP_TYPE_AGEN) return true;
        return false;
    }
    unsigned size(int n) const { return op[n].size / 8; }  // operand n in bytes
    // The timing class the builder chose (through cost()), for the detailed
    // model's facts; Count if it chose none.
    mutable timing::Cls cls = timing::Cls::Count;
};

// Returns false when this operand form is not supported (the instruction then raises #UD).
using Builder = bool (*)(Insn&, const Decoded&);
struct BuilderEntry {
    ZydisMnemonic mnemonic;
    Builder build;
};

// One list per handler group file; decode.cpp merges them and rejects duplicates.
std::span<const BuilderEntry> int_builders();   // ops_int.cpp
std::span<const BuilderEntry> ctrl_builders();  // ops_ctrl.cpp
std::span<const BuilderEntry> sse_builders();   // ops_sse.cpp
std::span<const BuilderEntry> string_builders();  // ops_string.cpp
std::span<const BuilderEntry> x87_builders();     // ops_x87.cpp
std::span<const BuilderEntry> priv_builders();    // ops_priv.cpp (system instructions)
std::span<const BuilderEntry> io_builders();      // ops_io.cpp (in/out/ins/outs)
std::span<const BuilderEntry> fpstate_builders(); // ops_fpstate.cpp (fxsave/xsave)
std::span<const BuilderEntry> system_builders();  // ops_system.cpp (cpuid, rdtsc, fences, ...)

// Decodes one instruction from `bytes` (at most `avail` bytes, which start at
// offset `rip` in CS) for the decode context `ctx` (mode and FPU enables). Always produces a record: undecodable or
// unsupported bytes become a handler that raises #UD. Returns false when more
// bytes are needed than `avail` (the instruction crosses into a page not given).
// `facts` (optional) receives what the detailed timing model needs to know
// about the instruction (cpu/timing/facts.h).
bool decode_one(const u8* bytes, size_t avail, u64 rip, u8 ctx, Insn& out, bool* ends_block,
                timing::Facts* facts = nullptr);

// Decode-context bits (Cpu::decode_ctx).
namespace dctx {
constexpr u8 kModeMask = 7, TS = 8, EM = 16, OSFXSR = 32, MP = 64, OSXSAVE = 128;
}

// Builders shared between groups (defined in ops_priv.cpp).
bool build_mov_system(Insn& i, const Decoded& d, bool& handled);
bool build_far_jmp(Insn& i, const Decoded& d);
bool build_far_call(Insn& i, const Decoded& d);
bool build_far_ret(Insn& i, const Decoded& d);
bool build_push_sreg(Insn& i, const Decoded& d);
bool build_pop_sreg(Insn& i, const Decoded& d);

// Handler that raises #UD (exposed for tests).
void raise_ud_handler(Cpu&, const Insn&);

// Size dispatch: by_width(osz, []<class T>() { return &handler<T>; }).
template <class F> Handler by_width(unsigned osz, F f) {
    switch (osz) {
        case 1: return f.template operator()<u8>();
        case 2: return f.template operator()<u16>();
        case 4: return f.template operator()<u32>();
        case 8: return f.template operator()<u64>();
        default: return nullptr;
    }
}
// Same without the byte size (instructions that have no 8-bit form).
template <class F> Handler by_width_wdq(unsigned osz, F f) {
    switch (osz) {
        case 2: return f.template operator()<u16>();
        case 4: return f.template operator()<u32>();
        case 8: return f.template operator()<u64>();
        default: return nullptr;
    }
}

// An instruction's cost in the timing table; records the class for the facts.
inline u8 cost(timing::Cls c, const Decoded& d, bool has_mem) {
    d.cls = c;
    return timing::cost(c, has_mem);
}
inline u8 cost(timing::Cls c, const Decoded& d) { return cost(c, d, d.has_mem()); }

// The builder of an instruction with one form: its handler and its timing class.
template <Handler H, timing::Cls C> bool simple(Insn& i, const Decoded& d) {
    i.fn = H;
    i.cycles = cost(C, d);
    return true;
}

}  // namespace sy
