// Instruction decoding: Zydis -> Insn (see decode.h). SDM Vol. 2, ch. 2
// "Instruction format" is what Zydis implements; this file maps its output onto
// our operand model.
#include "decode.h"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace sy {

void raise_ud_handler(Cpu&, const Insn&) { raise(UD); }
// More than 15 bytes of prefixes and opcode: #GP(0) (SDM Vol. 2A, 2.3.11).
void too_long_handler(Cpu&, const Insn&) { raise(GP, 0); }
void raise_nm_handler(Cpu&, const Insn&) { raise(NM); }

namespace {

using Table = std::array<Builder, ZYDIS_MNEMONIC_MAX_VALUE + 1>;

Table make_table() {
    Table t{};
    for (auto list : {int_builders(), ctrl_builders(), sse_builders(), string_builders(), system_builders(), x87_builders(), priv_builders(), io_builders(), fpstate_builders()}) {
        for (const BuilderEntry& e : list) {
            if (t[e.mnemonic]) {
                std::fprintf(stderr, "switchyard: two builders for %s\n", ZydisMnemonicGetString(e.mnemonic));
                std::abort();
            }
            t[e.mnemonic] = e.build;
        }
    }
    return t;
}

const Table& table() {
    static const Table t = make_table();
    return t;
}

const ZydisDecoder& decoder_for(Mode mode) {
    static const std::array<ZydisDecoder, 6> decoders = [] {
        struct { ZydisMachineMode m; ZydisStackWidth w; } cfg[6] = {
            {ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16},        // Real
            {ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16},      // Prot16
            {ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32},      // Prot32
            {ZYDIS_MACHINE_MODE_LONG_COMPAT_16, ZYDIS_STACK_WIDTH_16}, // Compat16
            {ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32}, // Compat32
            {ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64},        // Long64
        };
        std::array<ZydisDecoder, 6> out{};
        for (int k = 0; k < 6; ++k) ZydisDecoderInit(&out[k], cfg[k].m, cfg[k].w);
        return out;
    }();
    return decoders[static_cast<int>(mode)];
}

// GPR -> byte offset into CpuState::gpr.
u8 gpr_offset(ZydisRegister r) {
    switch (r) {
        case ZYDIS_REGISTER_AH: return RAX * 8 + 1;
        case ZYDIS_REGISTER_CH: return RCX * 8 + 1;
        case ZYDIS_REGISTER_DH: return RDX * 8 + 1;
        case ZYDIS_REGISTER_BH: return RBX * 8 + 1;
        default: break;
    }
    ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
    return static_cast<u8>((big - ZYDIS_REGISTER_RAX) * 8);
}

u8 gpr_index(ZydisRegister r) {
    if (r == ZYDIS_REGISTER_NONE) return ZERO_REG;
    ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
    return static_cast<u8>(big - ZYDIS_REGISTER_RAX);
}

// Register operand -> the number stored in Insn::r0..r2. Returns false for
// register classes we do not model (which makes the instruction #UD).
bool reg_slot(ZydisRegister r, u8& slot) {
    switch (ZydisRegisterGetClass(r)) {
        case ZYDIS_REGCLASS_GPR8:
        case ZYDIS_REGCLASS_GPR16:
        case ZYDIS_REGCLASS_GPR32:
        case ZYDIS_REGCLASS_GPR64: slot = gpr_offset(r); return true;
        case ZYDIS_REGCLASS_XMM: slot = static_cast<u8>(r - ZYDIS_REGISTER_XMM0); return true;
        case ZYDIS_REGCLASS_SEGMENT: slot = static_cast<u8>(r - ZYDIS_REGISTER_ES); return true;
        case ZYDIS_REGCLASS_MMX: slot = static_cast<u8>(r - ZYDIS_REGISTER_MM0); return true;
        case ZYDIS_REGCLASS_X87: slot = static_cast<u8>(r - ZYDIS_REGISTER_ST0); return true;
        default: slot = 0; return true;  // builder decides (e.g. CRn, x87); it sees the Zydis operand
    }
}

// ---- The state gate ----------------------------------------------------------
// Whether an instruction may run under the current CR0.EM/MP/TS and
// CR4.OSFXSR/OSXSAVE depends only on which processor state it uses (SDM Vol. 3A,
// 2.5 "Control registers" and Table 2-2 for CR0; 2.5 (OSFXSR, OSXSAVE) and
// Table 13-1 for CR4; the exception tables of each instruction in Vol. 2).
// Instructions that Zydis files under SSE/SSE2 but that touch no XMM or MXCSR
// state (the fences, PREFETCHh, CLFLUSH, MOVNTI, PAUSE, CRC32, POPCNT) use
// nothing here and are never gated: 2.5 names exactly these as unaffected.
namespace uses {
constexpr u8 X87 = 1;      // x87 registers or control/status words (not FWAIT)
constexpr u8 Fwait = 2;    // WAIT/FWAIT: its own column in Table 2-2
constexpr u8 Mmx = 4;      // MMX registers (aliases of the x87 registers)
constexpr u8 Sse = 8;      // XMM registers or MXCSR
constexpr u8 FxState = 16; // FXSAVE/FXRSTOR: the x87/MMX (and, with OSFXSR, SSE) image
constexpr u8 XState = 32;  // XSAVE/XSAVEOPT/XRSTOR
constexpr u8 Xcr = 64;     // XGETBV/XSETBV: XCR0 only
}  // namespace uses

// One rule: an instruction using any of `uses` raises `vector` when every
// decode-context bit in `set` is 1 and every bit in `clear` is 0.
struct GateRule {
    u8 uses, set, clear, vector;
};

// In priority order; the first rule that matches decides. Every #UD rule comes
// before every #NM rule: an invalid opcode is recognised before the device-not-
// available fault (SDM Vol. 3A, Table 6-2: decode faults before execution faults;
// the EM = 1, TS = 1 rows of Tables 2-2 and 13-1 give #UD for MMX and SSE).
// The MMX rows are Table 2-2's MMX column (x87 #MF for a pending exception is the
// x87 model's, at run time).
constexpr GateRule kGateRules[] = {
    {uses::Mmx | uses::Sse, dctx::EM, 0, UD},                        // Table 2-2, EM = 1
    {uses::Sse, 0, dctx::OSFXSR, UD},                                // Table 13-1, OSFXSR = 0
    {uses::XState | uses::Xcr, 0, dctx::OSXSAVE, UD},                // XSAVE, XGETBV: OSXSAVE = 0
    {uses::X87 | uses::FxState, dctx::EM, 0, NM},                    // Table 2-2; FXSAVE: EM = 1
    {uses::X87 | uses::Mmx | uses::Sse | uses::FxState | uses::XState, dctx::TS, 0, NM},  // TS = 1
    {uses::Fwait, dctx::TS | dctx::MP, 0, NM},                       // Table 2-2, WAIT column
};

consteval bool ud_rules_first() {
    bool seen_nm = false;
    for (const GateRule& r : kGateRules) {
        if (r.vector == NM) seen_nm = true;
        else if (r.vector != UD || seen_nm) return false;
    }
    return true;
}
static_assert(ud_rules_first(), "gate: #UD and #NM only, every #UD rule before every #NM rule");

// The state an instruction uses, from its ISA extension and its operands
// (visible and hidden), so that a new instruction is gated by what it touches.
u8 state_use(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
    if (in.meta.isa_set == ZYDIS_ISA_SET_FXSAVE || in.meta.isa_set == ZYDIS_ISA_SET_FXSAVE64) return uses::FxState;
    switch (in.meta.isa_ext) {
        case ZYDIS_ISA_EXT_X87: return in.mnemonic == ZYDIS_MNEMONIC_FWAIT ? uses::Fwait : uses::X87;
        case ZYDIS_ISA_EXT_XSAVE: case ZYDIS_ISA_EXT_XSAVEOPT: case ZYDIS_ISA_EXT_XSAVEC: case ZYDIS_ISA_EXT_XSAVES: {
            bool mem = false;  // XSAVE and friends have a save area; XGETBV/XSETBV do not
            for (int n = 0; n < in.operand_count; ++n) mem |= ops[n].type == ZYDIS_OPERAND_TYPE_MEMORY;
            return mem ? uses::XState : uses::Xcr;
        }
        default: break;
    }
    // VEX/EVEX forms (AVX) depend on XCR0 instead; CPUID announces none and
    // XCR0 cannot enable them, so they have no builder and decode to #UD.
    if (in.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY && in.encoding != ZYDIS_INSTRUCTION_ENCODING_3DNOW) return 0;
    u8 u = in.meta.isa_ext == ZYDIS_ISA_EXT_MMX ? uses::Mmx : 0;  // EMMS has no operands
    for (int n = 0; n < in.operand_count; ++n) {
        if (ops[n].type != ZYDIS_OPERAND_TYPE_REGISTER) continue;
        const ZydisRegister r = ops[n].reg.value;
        switch (ZydisRegisterGetClass(r)) {
            case ZYDIS_REGCLASS_XMM: u |= uses::Sse; break;
            case ZYDIS_REGCLASS_MMX: u |= uses::Mmx; break;
            case ZYDIS_REGCLASS_X87: u |= uses::X87; break;  // FISTTP, which Zydis files under SSE3
            default:
                if (r == ZYDIS_REGISTER_MXCSR) u |= uses::Sse;
                if (r == ZYDIS_REGISTER_X87STATUS || r == ZYDIS_REGISTER_X87CONTROL || r == ZYDIS_REGISTER_X87TAG)
                    u |= uses::X87;
                break;
        }
    }
    return u;
}

// The trap an instruction using `use` takes in decode context `ctx`, or nullptr.
Handler gate_trap(u8 use, u8 ctx) {
    for (const GateRule& r : kGateRules)
        if ((use & r.uses) && (ctx & r.set) == r.set && (ctx & r.clear) == 0)
            return r.vector == UD ? raise_ud_handler : raise_nm_handler;
    return nullptr;
}

bool writes_rip(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
    for (int n = 0; n < in.operand_count; ++n)
        // The instruction pointer is RIP, EIP or IP depending on the mode.
        if (ops[n].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (ops[n].reg.value == ZYDIS_REGISTER_RIP || ops[n].reg.value == ZYDIS_REGISTER_EIP ||
             ops[n].reg.value == ZYDIS_REGISTER_IP) &&
            (ops[n].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            return true;
    switch (in.meta.category) {
        case ZYDIS_CATEGORY_SYSTEM:
        case ZYDIS_CATEGORY_INTERRUPT:
        case ZYDIS_CATEGORY_SYSCALL:
        case ZYDIS_CATEGORY_SYSRET: return true;
        default: return false;
    }
}

// ---- Facts for the detailed timing model (cpu/timing/facts.h) ----------------

// The scoreboard slots register `r` stands for (0: none the model tracks).
u64 timing_slots(ZydisRegister r) {
    switch (ZydisRegisterGetClass(r)) {
        case ZYDIS_REGCLASS_GPR8:
        case ZYDIS_REGCLASS_GPR16:
        case ZYDIS_REGCLASS_GPR32:
        case ZYDIS_REGCLASS_GPR64: return 1ull << (timing::slot::kGpr + gpr_index(r));
        case ZYDIS_REGCLASS_XMM: return 1ull << (timing::slot::kXmm + (r - ZYDIS_REGISTER_XMM0));
        case ZYDIS_REGCLASS_MMX:
        case ZYDIS_REGCLASS_X87: return 1ull << timing::slot::kX87;
        default:
            if (r == ZYDIS_REGISTER_X87CONTROL || r == ZYDIS_REGISTER_X87STATUS || r == ZYDIS_REGISTER_X87TAG)
                return 1ull << timing::slot::kX87;
            return 0;
    }
}

// Instructions that write a register from itself without depending on it
// (XOR r, r and friends): the renamer breaks the dependency.
bool zero_idiom(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
    switch (in.mnemonic) {
        case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_PXOR: case ZYDIS_MNEMONIC_XORPS:
        case ZYDIS_MNEMONIC_XORPD: case ZYDIS_MNEMONIC_PSUBB: case ZYDIS_MNEMONIC_PSUBW: case ZYDIS_MNEMONIC_PSUBD:
        case ZYDIS_MNEMONIC_PSUBQ: case ZYDIS_MNEMONIC_PCMPEQB: case ZYDIS_MNEMONIC_PCMPEQW:
        case ZYDIS_MNEMONIC_PCMPEQD: break;
        default: return false;
    }
    return in.operand_count_visible == 2 && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
           ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER && ops[0].reg.value == ops[1].reg.value;
}

timing::Flow timing_flow(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
    using timing::Flow;
    const bool far = in.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
    const bool direct = in.operand_count_visible > 0 && ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE;
    switch (in.mnemonic) {
        case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD: case ZYDIS_MNEMONIC_IRETQ: return Flow::Other;
        default: break;
    }
    switch (in.meta.category) {
        case ZYDIS_CATEGORY_COND_BR: return Flow::Jcc;
        case ZYDIS_CATEGORY_UNCOND_BR: return far ? Flow::Other : direct ? Flow::Jmp : Flow::JmpInd;
        case ZYDIS_CATEGORY_CALL: return far ? Flow::Other : direct ? Flow::Call : Flow::CallInd;
        case ZYDIS_CATEGORY_RET: return far ? Flow::Other : Flow::Ret;
        case ZYDIS_CATEGORY_SYSCALL: case ZYDIS_CATEGORY_SYSRET: case ZYDIS_CATEGORY_INTERRUPT:
        case ZYDIS_CATEGORY_SYSTEM: return writes_rip(in, ops) ? Flow::Other : Flow::None;
        default: return Flow::None;
    }
}

// What the model needs to know about a decoded instruction: the registers and
// flags it reads and writes (hidden operands included; RSP of PUSH/POP/CALL/
// RET is left out, as the stack engine tracks it), its latency class, its
// control flow and whether it serialises.
void timing_facts(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops, const Insn& insn,
                  timing::Cls cls, timing::Facts& f) {
    using namespace timing;
    f = Facts{};
    f.cls = cls == Cls::Count ? Cls::Alu : cls;
    f.lat = kTable[size_t(f.cls)].cycles;
    const ZydisInstructionCategory cat = in.meta.category;
    const bool stack_engine = cat == ZYDIS_CATEGORY_PUSH || cat == ZYDIS_CATEGORY_POP ||
                              cat == ZYDIS_CATEGORY_CALL || cat == ZYDIS_CATEGORY_RET;
    for (int n = 0; n < in.operand_count; ++n) {
        const ZydisDecodedOperand& o = ops[n];
        if (o.type == ZYDIS_OPERAND_TYPE_MEMORY) {
            for (ZydisRegister r : {o.mem.base, o.mem.index})
                if (r != ZYDIS_REGISTER_NONE && r != ZYDIS_REGISTER_RIP && r != ZYDIS_REGISTER_EIP &&
                    !(stack_engine && o.visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN))
                    f.src |= timing_slots(r);
            continue;
        }
        if (o.type != ZYDIS_OPERAND_TYPE_REGISTER) continue;
        const ZydisRegister r = o.reg.value;
        if (stack_engine && o.visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN &&
            (r == ZYDIS_REGISTER_RSP || r == ZYDIS_REGISTER_ESP || r == ZYDIS_REGISTER_SP))
            continue;
        const u64 sl = timing_slots(r);
        if (o.actions & ZYDIS_OPERAND_ACTION_MASK_READ) f.src |= sl;
        if (o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) {
            f.dst |= sl;
            // An 8- or 16-bit write merges into the register it is part of.
            const ZydisRegisterClass rc = ZydisRegisterGetClass(r);
            if (rc == ZYDIS_REGCLASS_GPR8 || rc == ZYDIS_REGCLASS_GPR16) f.src |= sl;
        }
    }
    if (in.cpu_flags) {
        if (in.cpu_flags->tested) f.src |= 1ull << slot::kFlags;
        if (in.cpu_flags->modified | in.cpu_flags->set_0 | in.cpu_flags->set_1 | in.cpu_flags->undefined)
            f.dst |= 1ull << slot::kFlags;
    }
    if (zero_idiom(in, ops)) f.src = 0;
    f.flow = timing_flow(in, ops);
    switch (f.cls) {
        case Cls::Cpuid: case Cls::CrWrite: case Cls::Msr: case Cls::Syscall: case Cls::Iret: case Cls::Desc:
        case Cls::Fence: case Cls::Io: case Cls::Trap: f.props |= prop::Serialise; break;
        case Cls::Xchg: f.props |= prop::Locked; break;
        default: break;
    }
    if (f.flow == Flow::Other || in.mnemonic == ZYDIS_MNEMONIC_HLT) f.props |= prop::Serialise;
    if (in.mnemonic == ZYDIS_MNEMONIC_IRET || in.mnemonic == ZYDIS_MNEMONIC_IRETD || in.mnemonic == ZYDIS_MNEMONIC_IRETQ)
        f.props |= prop::EventReturn;
    if (insn.rep && (cat == ZYDIS_CATEGORY_STRINGOP || cat == ZYDIS_CATEGORY_IOSTRINGOP)) f.props |= prop::String;
    switch (f.cls) {
        case Cls::Mov: case Cls::Stack: case Cls::SseMove: case Cls::Nop: case Cls::Branch: case Cls::Call:
        case Cls::String: break;
        default: f.props |= prop::Computes;
    }
}

// The facts of an instruction that only raises an exception.
void trap_facts(timing::Facts* f) {
    if (!f) return;
    *f = timing::Facts{};
    f->cls = timing::Cls::Trap;
    f->lat = timing::kTable[size_t(timing::Cls::Trap)].cycles;
    f->flow = timing::Flow::Other;
    f->props = timing::prop::Serialise;
}

}  // namespace

bool decode_one(const u8* bytes, size_t avail, u64 rip, u8 ctx, Insn& out, bool* ends_block, timing::Facts* facts) {
    const Mode mode = static_cast<Mode>(ctx & dctx::kModeMask);
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    out = Insn{};
    *ends_block = false;
    ZyanStatus st = ZydisDecoderDecodeFull(&decoder_for(mode), bytes, avail, &in, ops);
    if (st == ZYDIS_STATUS_NO_MORE_DATA && avail < ZYDIS_MAX_INSTRUCTION_LENGTH) return false;
    if (!ZYAN_SUCCESS(st)) {
        bool too_long = st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG || st == ZYDIS_STATUS_NO_MORE_DATA;
        out.fn = too_long ? too_long_handler : raise_ud_handler;
        out.len = 1;
        out.cycles = timing::cost(timing::Cls::Trap, false);
        trap_facts(facts);
        *ends_block = true;
        return true;
    }
    out.len = in.length;
    out.mnemonic = static_cast<u16>(in.mnemonic);
    out.osz = static_cast<u8>(in.operand_width / 8);
    out.asz = static_cast<u8>(in.address_width / 8);
    out.lock = in.attributes & ZYDIS_ATTRIB_HAS_LOCK;
    if (in.attributes & ZYDIS_ATTRIB_HAS_REPNE) out.rep = 2;
    else if (in.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE)) out.rep = 1;

    u64 next_rip = rip + in.length;
    bool ok = true;
    bool first_imm = true;
    for (int n = 0; n < in.operand_count_visible && ok; ++n) {
        const ZydisDecodedOperand& o = ops[n];
        switch (o.type) {
            case ZYDIS_OPERAND_TYPE_REGISTER: {
                u8 slot;
                ok = reg_slot(o.reg.value, slot);
                if (n == 0) out.r0 = slot;
                else if (n == 1) out.r1 = slot;
                else out.r2 = slot;
                break;
            }
            case ZYDIS_OPERAND_TYPE_MEMORY: {
                if (o.mem.base == ZYDIS_REGISTER_RIP || o.mem.base == ZYDIS_REGISTER_EIP) {
                    out.base = ZERO_REG;
                    out.disp = static_cast<i64>(next_rip + o.mem.disp.value);
                    if (o.mem.base == ZYDIS_REGISTER_EIP) out.disp = static_cast<u32>(out.disp);
                } else {
                    out.base = gpr_index(o.mem.base);
                    out.disp = o.mem.disp.value;
                }
                out.index = gpr_index(o.mem.index);
                out.scale = o.mem.scale == 8 ? 3 : o.mem.scale == 4 ? 2 : o.mem.scale == 2 ? 1 : 0;
                // 64-bit mode: only FS and GS have a base (SDM Vol. 1, 3.3.7.1);
                // elsewhere every segment's base applies.
                if (o.mem.type != ZYDIS_MEMOP_TYPE_AGEN && o.mem.segment >= ZYDIS_REGISTER_ES &&
                    o.mem.segment <= ZYDIS_REGISTER_GS) {
                    u8 sg = static_cast<u8>(o.mem.segment - ZYDIS_REGISTER_ES);
                    if (mode != Mode::Long64 || sg == FS || sg == GS) out.seg = sg;
                }
                break;
            }
            case ZYDIS_OPERAND_TYPE_IMMEDIATE: {
                u64 v = o.imm.value.u;
                if (o.imm.is_relative) {
                    v = next_rip + v;
                    // Outside 64-bit mode EIP (or IP, with a 16-bit operand size) wraps.
                    if (mode != Mode::Long64) v &= in.operand_width == 16 ? 0xFFFF : 0xFFFFFFFF;
                }
                if (first_imm) out.imm = v;
                else out.aux = static_cast<u8>(v);
                first_imm = false;
                break;
            }
            default: break;
        }
    }
    // The FPU/SSE state gate: CR0.EM/MP/TS and CR4.OSFXSR/OSXSAVE, decided here
    // once per decode context (see kGateRules).
    Handler trap = gate_trap(state_use(in, ops), ctx);
    if (trap) {
        Insn t{};
        t.fn = trap;
        t.len = in.length;
        t.mnemonic = static_cast<u16>(in.mnemonic);
        t.cycles = timing::cost(timing::Cls::Trap, false);
        out = t;
        trap_facts(facts);
        *ends_block = true;
        return true;
    }
    Builder b = table()[in.mnemonic];
    Decoded d{in, ops, rip, mode};
    if (!ok || !b || !b(out, d) || !out.fn) {
        Insn ud{};
        ud.fn = raise_ud_handler;
        ud.len = in.length;
        ud.mnemonic = static_cast<u16>(in.mnemonic);
        ud.cycles = timing::cost(timing::Cls::Trap, false);
        out = ud;
        trap_facts(facts);
        *ends_block = true;
        return true;
    }
    *ends_block = writes_rip(in, ops);
    if (facts) timing_facts(in, ops, out, d.cls, *facts);
    return true;
}

const char* vector_name(u8 v) {
    static const char* names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF9",
                                  "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
                                  "#VE", "#CP"};
    return v < sizeof(names) / sizeof(names[0]) ? names[v] : "#??";
}

}  // namespace sy
