// Capstone 4 in x86-64 (or 32-bit) mode with details (groups and operands) for calls,
// returns and direct branch targets.
#include "disasm.h"

#include "cpu.h"

#include <capstone/capstone.h>

#include <stdexcept>

namespace sy {

unsigned code_bits(const Cpu& c) { return (c.sys.efer & efer::LMA) && c.sys.seg[CS].l() ? 64 : 32; }

Disassembler::Disassembler(unsigned bits) {
    csh h;
    if (cs_open(CS_ARCH_X86, bits == 32 ? CS_MODE_32 : CS_MODE_64, &h) != CS_ERR_OK)
        throw std::runtime_error("capstone: cannot open x86");
    cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    handle_ = h;
}

Disassembler::~Disassembler() {
    csh h = handle_;
    cs_close(&h);
}

DisasmLine Disassembler::decode(const u8* code, size_t n, u64 addr) const {
    DisasmLine line;
    line.addr = addr;
    cs_insn* insn = nullptr;
    size_t count = cs_disasm(handle_, code, n, addr, 1, &insn);
    if (count == 0) {
        line.text = "(bad)";
        return line;
    }
    line.len = static_cast<u8>(insn->size);
    line.text = insn->mnemonic;
    if (insn->op_str[0]) line.text += std::string(" ") + insn->op_str;
    const cs_detail* d = insn->detail;
    for (u8 g = 0; d && g < d->groups_count; ++g) {
        if (d->groups[g] == X86_GRP_CALL) line.is_call = true;
        if (d->groups[g] == X86_GRP_RET) line.is_ret = true;
        if (d->groups[g] == X86_GRP_JUMP) line.is_jump = true;
    }
    // IRET/SYSRET are returns of another kind: not what step out waits for.
    if (insn->id != X86_INS_RET && insn->id != X86_INS_RETF) line.is_ret = false;
    for (u8 k = 0; d && k < d->x86.op_count; ++k)
        if (d->x86.operands[k].type == X86_OP_MEM && d->x86.operands[k].mem.segment == X86_REG_GS) line.gs_memory = true;
    if ((line.is_call || line.is_jump) && d && d->x86.op_count == 1 && d->x86.operands[0].type == X86_OP_IMM)
        line.target = static_cast<u64>(d->x86.operands[0].imm);
    cs_free(insn, count);
    return line;
}

std::vector<DisasmLine> Disassembler::decode_all(const u8* code, size_t n, u64 addr) const {
    std::vector<DisasmLine> out;
    size_t off = 0;
    while (off < n) {
        DisasmLine l = decode(code + off, n - off, addr + off);
        if (l.len == 0) break;
        off += l.len;
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace sy
