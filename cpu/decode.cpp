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

// The register classes among the visible operands: which unit an instruction
// uses decides how CR0.EM/TS and CR4.OSFXSR gate it.
bool has_operand_class(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops, ZydisRegisterClass k) {
    for (int n = 0; n < in.operand_count_visible; ++n)
        if (ops[n].type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(ops[n].reg.value) == k) return true;
    return false;
}

// MMX-register forms without an XMM operand (the MMX instructions, EMMS, and the
// SSE/SSSE3 instructions on MM registers): CR0.EM is #UD, CR0.TS #NM; CR4.OSFXSR
// does not matter (SDM Vol. 3A, Table 2-2; Vol. 2, "Exceptions" of each
// instruction's 64-bit MMX form). FISTTP is an x87 instruction although Zydis
// files it under SSE3; CRC32 and POPCNT (Zydis: SSE4) use general registers only
// and are never gated.
enum class Gate : u8 { ByExtension, Mmx, X87, None };
Gate gate_of(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops) {
    if (in.mnemonic == ZYDIS_MNEMONIC_CRC32 || in.mnemonic == ZYDIS_MNEMONIC_POPCNT) return Gate::None;
    if (in.mnemonic == ZYDIS_MNEMONIC_FISTTP) return Gate::X87;
    if (in.mnemonic == ZYDIS_MNEMONIC_EMMS ||
        (has_operand_class(in, ops, ZYDIS_REGCLASS_MMX) && !has_operand_class(in, ops, ZYDIS_REGCLASS_XMM)))
        return Gate::Mmx;
    return Gate::ByExtension;
}

}  // namespace

bool decode_one(const u8* bytes, size_t avail, u64 rip, u8 ctx, Insn& out, bool* ends_block) {
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
    // x87, SSE and state-save instructions under CR0.EM/TS and CR4.OSFXSR/OSXSAVE
    // (SDM Vol. 3A, 2.5 and Table 12-8 / 13.2): decided here, once per context.
    Handler trap = nullptr;
    const Gate gate = gate_of(in, ops);
    if (gate == Gate::Mmx) {
        if (ctx & dctx::EM) trap = raise_ud_handler;
        else if (ctx & dctx::TS) trap = raise_nm_handler;
    } else if (gate == Gate::X87) {
        if (ctx & (dctx::TS | dctx::EM)) trap = raise_nm_handler;
    } else if (gate == Gate::ByExtension) switch (in.meta.isa_ext) {
        case ZYDIS_ISA_EXT_X87:
            if (in.mnemonic == ZYDIS_MNEMONIC_FWAIT) {
                if ((ctx & dctx::TS) && (ctx & dctx::MP)) trap = raise_nm_handler;
            } else if (ctx & (dctx::TS | dctx::EM)) {
                trap = raise_nm_handler;
            }
            break;
        case ZYDIS_ISA_EXT_SSE: case ZYDIS_ISA_EXT_SSE2: case ZYDIS_ISA_EXT_SSE3:
        case ZYDIS_ISA_EXT_SSSE3: case ZYDIS_ISA_EXT_SSE4: case ZYDIS_ISA_EXT_MMX:
            if ((ctx & dctx::EM) || !(ctx & dctx::OSFXSR)) trap = raise_ud_handler;
            else if (ctx & dctx::TS) trap = raise_nm_handler;
            break;
        case ZYDIS_ISA_EXT_XSAVE: case ZYDIS_ISA_EXT_XSAVEOPT:
            if (!(ctx & dctx::OSXSAVE)) trap = raise_ud_handler;
            else if (ctx & dctx::TS) trap = raise_nm_handler;
            break;
        default:
            if ((in.mnemonic == ZYDIS_MNEMONIC_FXSAVE || in.mnemonic == ZYDIS_MNEMONIC_FXSAVE64 ||
                 in.mnemonic == ZYDIS_MNEMONIC_FXRSTOR || in.mnemonic == ZYDIS_MNEMONIC_FXRSTOR64) &&
                (ctx & (dctx::TS | dctx::EM)))
                trap = raise_nm_handler;
            break;
    }
    if (trap) {
        Insn t{};
        t.fn = trap;
        t.len = in.length;
        t.mnemonic = static_cast<u16>(in.mnemonic);
        t.cycles = timing::cost(timing::Cls::Trap, false);
        out = t;
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
        *ends_block = true;
        return true;
    }
    *ends_block = writes_rip(in, ops);
    return true;
}

const char* vector_name(u8 v) {
    static const char* names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF9",
                                  "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
                                  "#VE", "#CP"};
    return v < sizeof(names) / sizeof(names[0]) ? names[v] : "#??";
}

}  // namespace sy
