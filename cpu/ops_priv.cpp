// System instructions (SDM Vol. 2 per instruction; Vol. 3A ch. 2.5-2.8 control
// registers and system instructions, 5.8 far transfers, 6.14.3 IRET in IA-32e
// mode, 4.10.4 TLB invalidation, Vol. 4 MSRs):
// MOV CRn/DRn, CLTS, LMSW/SMSW, LGDT/LIDT/SGDT/SIDT, LLDT/SLDT/LTR/STR, LAR/LSL/
// VERR/VERW, INVLPG/INVPCID/WBINVD/INVD, RDMSR/WRMSR, RD/WR FS/GS BASE, SWAPGS,
// SYSCALL/SYSRET, SYSENTER/SYSEXIT, MOV/POP/PUSH Sreg, LDS..LSS, far JMP/CALL/RET,
// IRET, STAC/CLAC.
//
// Deviations: call gates, task gates and task switches (far JMP/CALL to a TSS or
// gate, IRET with NT=1 outside IA-32e mode) raise #GP(selector); virtual-8086
// mode does not exist (VM is never set). Debug registers: see debug.cpp.
#include "decode.h"

namespace sy {
namespace {

using timing::Cls;

inline void need_cpl0(Cpu& c) {
    if (c.cpl() != 0) raise(GP, 0);
}
inline bool umip_blocks(const Cpu& c) { return (c.sys.cr4 & cr4::UMIP) && c.cpl() > 0; }
inline u64 sel_err(u16 sel) { return sel & 0xFFFC; }

// ---- control registers ---------------------------------------------------------

// Loads the PAE PDPTE registers from the PDPT at `cr3` when PAE paging is in use
// after the write (SDM Vol. 3A 4.4.1), or raises #GP(0) before anything changes
// if a present entry has a reserved bit set. `commit` then installs them.
struct PdpteLoad {
    bool load = false;
    u64 entries[4] = {};
    void prepare(Cpu& c, bool when, u64 cr3) {
        load = when;
        if (load && !c.read_pdptes(cr3, entries)) raise(GP, 0);
    }
    void commit(Cpu& c) const {
        if (load) std::copy(std::begin(entries), std::end(entries), std::begin(c.sys.pdpte));
    }
};

void write_cr0(Cpu& c, u64 v) {
    SysState& s = c.sys;
    if (v >> 32) raise(GP, 0);
    v |= cr0::ET;
    if ((v & cr0::PG) && !(v & cr0::PE)) raise(GP, 0);
    if ((v & cr0::NW) && !(v & cr0::CD)) raise(GP, 0);
    const bool pg_on = (v & cr0::PG) && !(s.cr0 & cr0::PG);
    const bool pg_off = !(v & cr0::PG) && (s.cr0 & cr0::PG);
    if (pg_on && (s.efer & efer::LME) && !(s.cr4 & cr4::PAE)) raise(GP, 0);
    if (pg_off && c.mode() == Mode::Long64) raise(GP, 0);  // leave long mode from compatibility mode
    if (pg_on && (s.efer & efer::LME) && (s.cr4 & cr4::PCIDE)) raise(GP, 0);
    u64 changed = s.cr0 ^ v;
    PdpteLoad pdptes;
    pdptes.prepare(c, Cpu::pae_paging(v, s.cr4, (s.efer & efer::LME) ? efer::LMA : 0) &&
                          (changed & (cr0::CD | cr0::NW | cr0::PG)), s.cr3);
    s.cr0 = v;
    pdptes.commit(c);
    if (pg_on && (s.efer & efer::LME)) s.efer |= efer::LMA;
    if (pg_off) s.efer &= ~efer::LMA;
    if (changed & (cr0::PG | cr0::WP | cr0::PE | cr0::CD)) c.flush_tlb();
    c.update_mode();
}

void write_cr4(Cpu& c, u64 v) {
    SysState& s = c.sys;
    if (v & ~cr4::kValid) raise(GP, 0);
    if ((s.efer & efer::LMA) && !(v & cr4::PAE)) raise(GP, 0);
    if ((v & cr4::PCIDE) && !(s.cr4 & cr4::PCIDE) && (!(s.efer & efer::LMA) || (s.cr3 & 0xFFF))) raise(GP, 0);
    u64 changed = s.cr4 ^ v;
    PdpteLoad pdptes;
    pdptes.prepare(c, Cpu::pae_paging(s.cr0, v, s.efer) && (changed & (cr4::PAE | cr4::PGE | cr4::PSE | cr4::SMEP)),
                   s.cr3);
    s.cr4 = v;
    pdptes.commit(c);
    if (changed & (cr4::PGE | cr4::PAE | cr4::PSE | cr4::PCIDE | cr4::SMEP | cr4::SMAP)) c.flush_tlb();
    if (changed & cr4::DE) c.load_breakpoints();  // R/W = 10 means I/O only with DE
    c.update_mode();
}

// MOV to CR3 (SDM Vol. 3A, 4.10.4.1): without PCIDs every non-global entry goes;
// with CR4.PCIDE, bit 63 of the source keeps the new PCID's entries
// (Cpu::flush_tlb_cr3). Under PAE paging the PDPTEs are loaded (4.4.1).
void write_cr3(Cpu& c, u64 v) {
    SysState& s = c.sys;
    bool keep = false;
    if (s.cr4 & cr4::PCIDE) {
        keep = v >> 63;
        v &= ~(1ull << 63);
    }
    if (c.mode() == Mode::Long64 && (v >> 40)) raise(GP, 0);  // bits above MAXPHYADDR
    v = (s.efer & efer::LMA) ? v : (v & 0xFFFFFFFF);
    PdpteLoad pdptes;
    pdptes.prepare(c, Cpu::pae_paging(s.cr0, s.cr4, s.efer), v);
    s.cr3 = v;
    pdptes.commit(c);
    c.flush_tlb_cr3(keep);
    c.end_block = true;
}

u64 read_cr(Cpu& c, u8 n) {
    switch (n) {
        case 0: return c.sys.cr0;
        case 2: return c.sys.cr2;
        case 3: return c.sys.cr3;
        case 4: return c.sys.cr4;
        case 8: return c.cr8();
        default: raise(UD);
    }
}

void write_cr(Cpu& c, u8 n, u64 v) {
    switch (n) {
        case 0: write_cr0(c, v); break;
        case 2: c.sys.cr2 = v; break;
        case 3: write_cr3(c, v); break;
        case 4: write_cr4(c, v); break;
        case 8:
            if (v >> 4) raise(GP, 0);
            c.sys.cr8 = v;
            if (c.interrupts) c.interrupts->set_task_priority(u8(v << 4));  // TPR[3:0] = 0 (11.8.6)
            c.end_block = true;  // a lower task priority may let an interrupt in
            break;
        default: raise(UD);
    }
}

// 0F 22 /r  MOV CRn, r
template <class T> void MOV_Cd_Rd(Cpu& c, const Insn& i) {
    need_cpl0(c);
    write_cr(c, i.aux, getr<T>(c, i.r1));
    next(c, i);
}
// 0F 20 /r  MOV r, CRn
template <class T> void MOV_Rd_Cd(Cpu& c, const Insn& i) {
    need_cpl0(c);
    setr<T>(c, i.r0, static_cast<T>(read_cr(c, i.aux)));
    next(c, i);
}

bool build_mov_cr(Insn& i, const Decoded& d) {
    bool to_cr = ZydisRegisterGetClass(d.op[0].reg.value) == ZYDIS_REGCLASS_CONTROL;
    ZydisRegister cr = to_cr ? d.op[0].reg.value : d.op[1].reg.value;
    i.aux = static_cast<u8>(cr - ZYDIS_REGISTER_CR0);
    unsigned w = d.long64() ? 8 : 4;
    if (to_cr) i.fn = w == 8 ? MOV_Cd_Rd<u64> : MOV_Cd_Rd<u32>;
    else i.fn = w == 8 ? MOV_Rd_Cd<u64> : MOV_Rd_Cd<u32>;
    i.cycles = cost(Cls::CrWrite, d);
    return true;
}

// 0F 23 /r MOV DRn, r; 0F 21 /r MOV r, DRn (SDM Vol. 2A MOV "Move to/from
// debug registers"; Vol. 3A 17.2). DR4/DR5 alias DR6/DR7 unless CR4.DE; with
// DR7.GD any access is a #DB fault with DR6.BD set (general detect). DR6 and
// DR7 keep their fixed bits; in 64-bit mode bits 63:32 of both must be 0.
template <class T, bool ToDr> void MOV_DR(Cpu& c, const Insn& i) {
    need_cpl0(c);
    u8 n = i.aux & 7;  // the builder turned DR8-DR15 into #UD
    if ((n == 4 || n == 5) && (c.sys.cr4 & cr4::DE)) raise(UD);
    if (n == 4) n = 6;
    if (n == 5) n = 7;
    if (c.sys.dr[7] & dr7::GD) {
        c.sys.dr[6] |= dr6::BD;
        raise(DB);
    }
    if constexpr (ToDr) {
        u64 v = getr<T>(c, i.r1);
        if (n >= 6 && (v >> 32)) raise(GP, 0);
        if (n == 6) v = (v & dr6::kWritable) | dr6::kFixed1;
        if (n == 7) v = (v & dr7::kWritable) | dr7::kFixed1;
        c.sys.dr[n] = v;
        if (n != 6) c.load_breakpoints();
    } else {
        setr<T>(c, i.r0, static_cast<T>(c.sys.dr[n]));
    }
    next(c, i);
}
bool build_mov_dr(Insn& i, const Decoded& d) {
    bool to_dr = ZydisRegisterGetClass(d.op[0].reg.value) == ZYDIS_REGCLASS_DEBUG;
    i.aux = static_cast<u8>((to_dr ? d.op[0].reg.value : d.op[1].reg.value) - ZYDIS_REGISTER_DR0);
    if (i.aux > 7) return false;  // DR8-DR15 (REX.R) do not exist: #UD
    if (d.long64()) i.fn = to_dr ? MOV_DR<u64, true> : MOV_DR<u64, false>;
    else i.fn = to_dr ? MOV_DR<u32, true> : MOV_DR<u32, false>;
    i.cycles = cost(Cls::CrWrite, d);
    return true;
}

// 0F 06  CLTS
void CLTS(Cpu& c, const Insn& i) {
    need_cpl0(c);
    c.sys.cr0 &= ~cr0::TS;
    c.update_mode();  // x87/SSE instructions decode differently now
    next(c, i);
}
// 0F 01 /6  LMSW r/m16: loads PE, MP, EM, TS; cannot clear PE.
template <K S> void LMSW(Cpu& c, const Insn& i) {
    need_cpl0(c);
    u64 v = get<u16, S, 0>(c, i) & 0xF;
    v |= c.sys.cr0 & cr0::PE;
    write_cr0(c, (c.sys.cr0 & ~0xFull) | v);
    next(c, i);
}
// 0F 01 /4  SMSW r/m16 (r32/r64 store the low CR0 bits zero-extended)
template <class T, K D> void SMSW(Cpu& c, const Insn& i) {
    if (umip_blocks(c)) raise(GP, 0);
    put<T, D, 0>(c, i, static_cast<T>(c.sys.cr0));
    next(c, i);
}

// ---- descriptor tables ---------------------------------------------------------

// 0F 01 /2 LGDT m; 0F 01 /3 LIDT m: limit (16) then base (64 in 64-bit mode, 32
// otherwise, 24 with a 16-bit operand size).
template <bool Idt> void LxDT(Cpu& c, const Insn& i) {
    need_cpl0(c);
    u64 a = ea(c, i);
    u16 limit = c.read<u16>(a);
    u64 base = c.mode() == Mode::Long64 ? c.read<u64>(a + 2) : c.read<u32>(a + 2);
    if (c.mode() == Mode::Long64 && !is_canonical(base)) raise(GP, 0);
    if (i.osz == 2 && c.mode() != Mode::Long64) base &= 0xFFFFFF;
    DescTable& t = Idt ? c.sys.idtr : c.sys.gdtr;
    t.base = base;
    t.limit = limit;
    next(c, i);
}
// 0F 01 /0 SGDT m; 0F 01 /1 SIDT m
template <bool Idt> void SxDT(Cpu& c, const Insn& i) {
    if (umip_blocks(c)) raise(GP, 0);
    u64 a = ea(c, i);
    const DescTable& t = Idt ? c.sys.idtr : c.sys.gdtr;
    unsigned n = c.mode() == Mode::Long64 ? 10 : 6;
    c.check_write(a, n);
    c.write<u16>(a, t.limit);
    if (n == 10) c.write<u64>(a + 2, t.base);
    else c.write<u32>(a + 2, static_cast<u32>(t.base));
    next(c, i);
}

// Reads a system descriptor (16 bytes in IA-32e mode) for LLDT/LTR.
u64 read_system_descriptor(Cpu& c, u16 sel, u64& high, u64& at) {
    u64 d = c.read_descriptor(sel, &at);
    high = 0;
    if (c.sys.efer & efer::LMA) {
        if ((sel & 0xFFF8) + 15 > c.sys.gdtr.limit) raise(GP, sel_err(sel));
        high = c.read_implicit(at + 8, 8);
    }
    return d;
}

// 0F 00 /2  LLDT r/m16
template <K S> void LLDT(Cpu& c, const Insn& i) {
    need_cpl0(c);
    u16 sel = get<u16, S, 0>(c, i);
    if ((sel & 0xFFFC) == 0) {
        c.sys.ldtr = SegCache{sel, 0, 0, 0};
        next(c, i);
        return;
    }
    if (sel & 4) raise(GP, sel_err(sel));
    u64 high, at;
    u64 d = read_system_descriptor(c, sel, high, at);
    SegCache l = segment_from_descriptor(sel, d);
    if (l.s() || l.type() != 2) raise(GP, sel_err(sel));
    if (!l.present()) raise(NP, sel_err(sel));
    l.base |= (high & 0xFFFFFFFF) << 32;
    c.sys.ldtr = l;
    next(c, i);
}

// 0F 00 /3  LTR r/m16: an available TSS; marks it busy (SDM Vol. 2A LTR).
template <K S> void LTR(Cpu& c, const Insn& i) {
    need_cpl0(c);
    u16 sel = get<u16, S, 0>(c, i);
    if ((sel & 0xFFFC) == 0) raise(GP, 0);
    if (sel & 4) raise(GP, sel_err(sel));
    u64 high, at;
    u64 d = read_system_descriptor(c, sel, high, at);
    SegCache t = segment_from_descriptor(sel, d);
    bool available = !t.s() && (t.type() == 9 || (t.type() == 1 && !(c.sys.efer & efer::LMA)));
    if (!available) raise(GP, sel_err(sel));
    if (!t.present()) raise(NP, sel_err(sel));
    t.base |= (high & 0xFFFFFFFF) << 32;
    t.attr |= 2;  // busy
    c.write_implicit(at + 5, 1, ((d >> 40) & 0xFF) | 2);
    c.sys.tr = t;
    next(c, i);
}

// 0F 00 /0 SLDT; 0F 00 /1 STR: to a register, zero-extended to the operand size.
template <class T, K D, bool Tr> void SxTR(Cpu& c, const Insn& i) {
    if (umip_blocks(c)) raise(GP, 0);
    u16 sel = Tr ? c.sys.tr.sel : c.sys.ldtr.sel;
    if constexpr (D == K::M) c.write<u16>(ea(c, i), sel);
    else setr<T>(c, i.r0, static_cast<T>(sel));
    next(c, i);
}

// LAR/LSL/VERR/VERW: ZF tells whether the selector passes the checks (SDM Vol. 2A LAR).
struct DescCheck {
    bool ok;
    u64 desc;
    SegCache cache;
};
DescCheck probe_selector(Cpu& c, u16 sel) {
    DescCheck r{false, 0, {}};
    if ((sel & 0xFFFC) == 0) return r;
    try {
        r.desc = c.read_descriptor(sel);
    } catch (const Fault& f) {
        if (f.vector == GP && f.error == sel_err(sel)) return r;  // outside the table: ZF=0
        throw;
    }
    r.cache = segment_from_descriptor(sel, r.desc);
    const SegCache& d = r.cache;
    bool conforming_code = d.code() && (d.type() & 4);
    if (!conforming_code && (d.dpl() < c.cpl() || d.dpl() < (sel & 3))) return r;
    r.ok = true;
    return r;
}
template <class T, K S, bool Limit> void LAR_LSL(Cpu& c, const Insn& i) {
    u16 sel = get<u16, S, 1>(c, i);
    DescCheck r = probe_selector(c, sel);
    bool valid = r.ok;
    if (valid && !r.cache.s()) {
        u8 t = r.cache.type();
        bool long_mode = c.sys.efer & efer::LMA;
        // System types LAR/LSL accept (SDM Vol. 2A, LAR Table 3-52, LSL Table 3-62).
        if (long_mode) valid = t == 2 || t == 9 || t == 0xB || (!Limit && (t == 0xC));
        else valid = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xB || (!Limit && (t == 4 || t == 5 || t == 0xC));
    }
    if (valid) {
        c.s.rflags |= fl::ZF;
        if constexpr (Limit) setr<T>(c, i.r0, static_cast<T>(r.cache.limit));
        else setr<T>(c, i.r0, static_cast<T>(r.desc >> 32) & static_cast<T>(0x00F0FF00));
    } else {
        c.s.rflags &= ~fl::ZF;
    }
    next(c, i);
}
template <K S, bool Write> void VERx(Cpu& c, const Insn& i) {
    u16 sel = get<u16, S, 0>(c, i);
    DescCheck r = probe_selector(c, sel);
    bool ok = r.ok && r.cache.s();
    if (ok) ok = Write ? (!r.cache.code() && (r.cache.type() & 2)) : (!r.cache.code() || (r.cache.type() & 2));
    if (ok) c.s.rflags |= fl::ZF;
    else c.s.rflags &= ~fl::ZF;
    next(c, i);
}

// ---- TLB and cache control -----------------------------------------------------

// 0F 01 /7  INVLPG m
void INVLPG(Cpu& c, const Insn& i) {
    need_cpl0(c);
    u64 a = ea(c, i);
    if (c.mode() == Mode::Long64 && !is_canonical(a)) {
        next(c, i);  // a non-canonical INVLPG is a no-op (SDM Vol. 2A INVLPG)
        return;
    }
    c.flush_tlb_page(c.mode() == Mode::Long64 ? a : (a & 0xFFFFFFFF));
    next(c, i);
}
// 66 0F 38 82 /r  INVPCID r64, m128 (SDM Vol. 2A INVPCID)
void INVPCID(Cpu& c, const Insn& i) {
    need_cpl0(c);
    u64 type = getr<u64>(c, i.r0);
    u64 a = ea(c, i);
    u64 pcid = c.read<u64>(a), la = c.read<u64>(a + 8);
    if (pcid > 0xFFF) raise(GP, 0);
    switch (type) {
        case 0:
            if (!is_canonical(la)) raise(GP, 0);
            c.flush_tlb_page(la);
            break;
        case 1: c.flush_tlb_pcid(static_cast<u16>(pcid)); break;
        case 2: c.flush_tlb(); break;
        case 3: c.flush_tlb_nonglobal(); break;
        default: raise(GP, 0);
    }
    next(c, i);
}
// 0F 09 WBINVD, 0F 08 INVD: caches are not modelled.
void WBINVD(Cpu& c, const Insn& i) {
    need_cpl0(c);
    next(c, i);
}

// ---- MSRs ----------------------------------------------------------------------

bool pat_valid(u64 v) {
    for (int k = 0; k < 8; ++k) {
        u8 t = (v >> (8 * k)) & 0xFF;
        if (t == 2 || t == 3 || t > 7) return false;
    }
    return true;
}

bool read_msr(Cpu& c, u32 n, u64& v) {
    SysState& s = c.sys;
    switch (n) {
        case msr::TSC: v = c.cycles + s.tsc_offset; return true;
        case msr::APIC_BASE: v = s.apic_base; return true;
        case msr::MISC_ENABLE: v = s.misc_enable; return true;
        case msr::PAT: v = s.pat; return true;
        case msr::SYSENTER_CS: v = s.sysenter_cs; return true;
        case msr::SYSENTER_ESP: v = s.sysenter_esp; return true;
        case msr::SYSENTER_EIP: v = s.sysenter_eip; return true;
        case msr::EFER: v = s.efer; return true;
        case msr::STAR: v = s.star; return true;
        case msr::LSTAR: v = s.lstar; return true;
        case msr::CSTAR: v = s.cstar; return true;
        case msr::SFMASK: v = s.sfmask; return true;
        case msr::FS_BASE: v = s.seg[FS].base; return true;
        case msr::GS_BASE: v = s.seg[GS].base; return true;
        case msr::KERNEL_GS_BASE: v = s.kernel_gs_base; return true;
        case msr::TSC_AUX: v = s.tsc_aux; return true;
        default: return c.msr_handler && c.msr_handler->read(n, v);
    }
}

bool write_msr(Cpu& c, u32 n, u64 v) {
    SysState& s = c.sys;
    switch (n) {
        case msr::TSC: s.tsc_offset = v - c.cycles; return true;
        case msr::APIC_BASE:
            if (v & ~(0xFFFFFFF000ull | (1u << 11) | (1u << 10) | (1u << 8))) return false;
        {
            const u64 nv = (v & ~(1ull << 8)) | (s.apic_base & (1u << 8));  // BSP flag is read-only
            // The local APIC (the machine's handler) may refuse the transition
            // (SDM Vol. 3A 11.12.5): then WRMSR is #GP(0) and nothing changes.
            if (c.msr_handler && !c.msr_handler->write(n, nv)) return false;
            s.apic_base = nv;
            return true;
        }
        case msr::MISC_ENABLE: s.misc_enable = v; return true;
        case msr::PAT:
            if (!pat_valid(v)) return false;
            s.pat = v;
            return true;
        case msr::SYSENTER_CS: s.sysenter_cs = v & 0xFFFF; return true;
        case msr::SYSENTER_ESP:
        case msr::SYSENTER_EIP:
            if (!is_canonical(v)) return false;
            (n == msr::SYSENTER_ESP ? s.sysenter_esp : s.sysenter_eip) = v;
            return true;
        case msr::EFER: {
            if (v & ~efer::kValid) return false;
            // LME cannot change while paging is on; LMA is read-only.
            if (((v ^ s.efer) & efer::LME) && (s.cr0 & cr0::PG)) return false;
            u64 nv = (v & ~efer::LMA) | (s.efer & efer::LMA);
            bool nx_changed = (nv ^ s.efer) & efer::NXE;
            s.efer = nv;
            if (nx_changed) c.flush_tlb();
            c.update_mode();
            return true;
        }
        case msr::STAR: s.star = v; return true;
        case msr::LSTAR:
        case msr::CSTAR:
            if (!is_canonical(v)) return false;
            (n == msr::LSTAR ? s.lstar : s.cstar) = v;
            return true;
        case msr::SFMASK: s.sfmask = v & 0xFFFFFFFF; return true;
        case msr::FS_BASE:
        case msr::GS_BASE:
        case msr::KERNEL_GS_BASE:
            if (!is_canonical(v)) return false;
            if (n == msr::KERNEL_GS_BASE) s.kernel_gs_base = v;
            else s.seg[n == msr::FS_BASE ? FS : GS].base = v;
            c.sync_segment_bases();
            return true;
        case msr::TSC_AUX:
            if (v >> 32) return false;
            s.tsc_aux = v;
            return true;
        default: return c.msr_handler && c.msr_handler->write(n, v);
    }
}

// 0F 32 RDMSR; 0F 30 WRMSR (SDM Vol. 2B): ECX names the MSR, EDX:EAX the value.
void RDMSR(Cpu& c, const Insn& i) {
    need_cpl0(c);
    u64 v;
    if (!read_msr(c, static_cast<u32>(c.s.gpr[RCX]), v)) raise(GP, 0);
    c.s.gpr[RAX] = static_cast<u32>(v);
    c.s.gpr[RDX] = v >> 32;
    next(c, i);
}
void WRMSR(Cpu& c, const Insn& i) {
    need_cpl0(c);
    u64 v = (c.s.gpr[RDX] << 32) | static_cast<u32>(c.s.gpr[RAX]);
    if (!write_msr(c, static_cast<u32>(c.s.gpr[RCX]), v)) raise(GP, 0);
    c.end_block = true;  // an x2APIC EOI, TPR or ICR write may make an interrupt pending
    next(c, i);
}

// F3 0F AE /0..3  RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (CR4.FSGSBASE, 64-bit mode)
template <class T, u8 Seg, bool Write> void FSGSBASE(Cpu& c, const Insn& i) {
    if (!(c.sys.cr4 & cr4::FSGSBASE)) raise(UD);
    if constexpr (Write) {
        u64 v = getr<T>(c, i.r0);
        if (!is_canonical(v)) raise(GP, 0);
        c.sys.seg[Seg].base = v;
        c.sync_segment_bases();
    } else {
        setr<T>(c, i.r0, static_cast<T>(c.sys.seg[Seg].base));
    }
    next(c, i);
}
template <u8 Seg, bool Write> bool build_fsgsbase(Insn& i, const Decoded& d) {
    if (!d.long64()) return false;
    i.fn = i.osz == 8 ? FSGSBASE<u64, Seg, Write> : FSGSBASE<u32, Seg, Write>;
    i.cycles = cost(Cls::SegLoad, d);
    return true;
}

// 0F 01 F8  SWAPGS (SDM Vol. 2B): 64-bit mode only, CPL 0.
void SWAPGS(Cpu& c, const Insn& i) {
    if (c.mode() != Mode::Long64) raise(UD);
    need_cpl0(c);
    std::swap(c.sys.seg[GS].base, c.sys.kernel_gs_base);
    c.sync_segment_bases();
    next(c, i);
}

// ---- fast system calls ---------------------------------------------------------

// 0F 05  SYSCALL (SDM Vol. 2B SYSCALL)
void SYSCALL(Cpu& c, const Insn& i) {
    SysState& s = c.sys;
    if (!(s.efer & efer::LMA) || !(s.efer & efer::SCE)) raise(UD);
    const bool from64 = c.mode() == Mode::Long64;
    c.s.gpr[RCX] = c.s.rip + i.len;
    c.s.gpr[R11] = c.s.rflags & ~fl::RF;
    c.s.rflags &= ~(s.sfmask | fl::RF);
    c.s.rflags |= fl::FIXED1;
    u16 sel = static_cast<u16>((s.star >> 32) & 0xFFFF);
    s.seg[CS] = flat_code64(sel & 0xFFFC, 0);
    s.seg[SS] = flat_data(static_cast<u16>(sel + 8), 0);
    c.set_cpl(0);
    c.s.rip = from64 ? s.lstar : s.cstar;
    c.update_mode();
}

// 0F 07  SYSRET (REX.W: to 64-bit mode). Intel raises #GP(0) at CPL 0 for a
// non-canonical RCX rather than faulting after the switch.
template <bool To64> void SYSRET(Cpu& c, const Insn& i) {
    SysState& s = c.sys;
    if (c.mode() != Mode::Long64 || !(s.efer & efer::SCE)) raise(UD);
    need_cpl0(c);
    u64 target = c.s.gpr[RCX];
    if (To64 && !is_canonical(target)) raise(GP, 0);
    u16 base = static_cast<u16>((s.star >> 48) & 0xFFFF);
    if (To64) s.seg[CS] = flat_code64(static_cast<u16>((base + 16) | 3), 3);
    else s.seg[CS] = flat_code32(static_cast<u16>(base | 3), 3);
    // SS keeps its flat data cache with DPL 3 (SDM: "SS.DPL := 3").
    s.seg[SS] = flat_data(static_cast<u16>((base + 8) | 3), 3);
    c.s.rflags = (c.s.gpr[R11] & 0x3C7FD7) | fl::FIXED1;
    c.set_cpl(3);
    c.s.rip = To64 ? target : static_cast<u32>(target);
    c.update_mode();
}

// 0F 34 SYSENTER; 0F 35 SYSEXIT (SDM Vol. 2B)
void SYSENTER(Cpu& c, const Insn& i) {
    SysState& s = c.sys;
    if (!(s.cr0 & cr0::PE) || (s.sysenter_cs & 0xFFFC) == 0) raise(GP, 0);
    const bool lm = s.efer & efer::LMA;
    c.s.rflags &= ~(fl::IF | fl::RF | (1u << 17));
    u16 sel = static_cast<u16>(s.sysenter_cs & 0xFFFC);
    s.seg[CS] = lm ? flat_code64(sel, 0) : flat_code32(sel, 0);
    s.seg[SS] = flat_data(static_cast<u16>(sel + 8), 0);
    c.set_cpl(0);
    c.s.gpr[RSP] = lm ? s.sysenter_esp : static_cast<u32>(s.sysenter_esp);
    c.s.rip = lm ? s.sysenter_eip : static_cast<u32>(s.sysenter_eip);
    c.update_mode();
}
template <bool To64> void SYSEXIT(Cpu& c, const Insn& i) {
    SysState& s = c.sys;
    if (!(s.cr0 & cr0::PE) || (s.sysenter_cs & 0xFFFC) == 0) raise(GP, 0);
    need_cpl0(c);
    u16 base = static_cast<u16>(s.sysenter_cs);
    if (To64) {
        if (!is_canonical(c.s.gpr[RDX]) || !is_canonical(c.s.gpr[RCX])) raise(GP, 0);
        s.seg[CS] = flat_code64(static_cast<u16>((base + 32) | 3), 3);
        s.seg[SS] = flat_data(static_cast<u16>((base + 40) | 3), 3);
        c.s.rip = c.s.gpr[RDX];
        c.s.gpr[RSP] = c.s.gpr[RCX];
    } else {
        s.seg[CS] = flat_code32(static_cast<u16>((base + 16) | 3), 3);
        s.seg[SS] = flat_data(static_cast<u16>((base + 24) | 3), 3);
        c.s.rip = static_cast<u32>(c.s.gpr[RDX]);
        c.s.gpr[RSP] = static_cast<u32>(c.s.gpr[RCX]);
    }
    c.set_cpl(3);
    c.update_mode();
}

// 0F 01 CB STAC; 0F 01 CA CLAC: #UD above CPL 0.
template <bool Set> void xAC(Cpu& c, const Insn& i) {
    if (c.cpl() != 0) raise(UD);
    if (Set) c.s.rflags |= fl::AC;
    else c.s.rflags &= ~fl::AC;
    next(c, i);
}

// ---- segment registers ---------------------------------------------------------

u8 seg_of(ZydisRegister r) { return static_cast<u8>(r - ZYDIS_REGISTER_ES); }

// 8E /r  MOV Sreg, r/m16. Loading SS inhibits interrupts for one instruction.
template <K S> void MOV_Sw_Ew(Cpu& c, const Insn& i) {
    u16 sel = get<u16, S, 1>(c, i);
    c.load_data_segment(i.aux, sel);
    if (i.aux == SS) {
        c.interrupt_shadow = c.mov_ss_shadow = true;
        c.end_block = true;
    }
    next(c, i);
}
// 8C /r  MOV r/m16, Sreg (a register destination is zero-extended).
template <class T, K D> void MOV_Ew_Sw(Cpu& c, const Insn& i) {
    u16 sel = c.sys.seg[i.aux].sel;
    if constexpr (D == K::M) c.write<u16>(ea(c, i), sel);
    else setr<T>(c, i.r0, static_cast<T>(sel));
    next(c, i);
}

bool build_mov_sreg(Insn& i, const Decoded& d) {
    bool to_seg = d.kind(0) == K::R && ZydisRegisterGetClass(d.op[0].reg.value) == ZYDIS_REGCLASS_SEGMENT;
    if (to_seg) {
        i.aux = seg_of(d.op[0].reg.value);
        if (i.aux == CS) return false;
        i.fn = d.kind(1) == K::R ? MOV_Sw_Ew<K::R> : MOV_Sw_Ew<K::M>;
    } else {
        i.aux = seg_of(d.op[1].reg.value);
        if (d.kind(0) == K::M) i.fn = MOV_Ew_Sw<u16, K::M>;
        else i.fn = by_width_wdq(d.size(0), []<class T>() { return &MOV_Ew_Sw<T, K::R>; });
    }
    i.cycles = cost(Cls::SegLoad, d);
    return true;
}

// PUSH Sreg: RSP moves by the operand size, only the 16-bit selector is written
// (what recent Intel processors do, SDM Vol. 2B PUSH).
template <class T> void PUSH_Sreg(Cpu& c, const Insn& i) {
    u64 sp = (c.s.gpr[RSP] - sizeof(T)) & c.sp_mask;
    c.write<u16>(sp + c.s.seg_base[SS], c.sys.seg[i.aux].sel);
    c.s.gpr[RSP] = (c.s.gpr[RSP] & ~c.sp_mask) | sp;
    next(c, i);
}
template <class T> void POP_Sreg(Cpu& c, const Insn& i) {
    u64 sp = c.s.gpr[RSP] & c.sp_mask;
    u16 sel = static_cast<u16>(c.read<T>(sp + c.s.seg_base[SS]));
    c.load_data_segment(i.aux, sel);
    c.s.gpr[RSP] = (c.s.gpr[RSP] & ~c.sp_mask) | ((sp + sizeof(T)) & c.sp_mask);
    if (i.aux == SS) {
        c.interrupt_shadow = c.mov_ss_shadow = true;
        c.end_block = true;
    }
    next(c, i);
}

// LDS/LES/LFS/LGS/LSS r, m16:16/32/64: offset then selector.
template <class T, u8 Seg> void LxS(Cpu& c, const Insn& i) {
    u64 a = ea(c, i);
    T off = c.read<T>(a);
    u16 sel = c.read<u16>(a + sizeof(T));
    c.load_data_segment(Seg, sel);
    setr<T>(c, i.r0, off);
    if (Seg == SS) {
        c.interrupt_shadow = true;
        c.end_block = true;
    }
    next(c, i);
}
template <u8 Seg> bool build_lxs(Insn& i, const Decoded& d) {
    i.fn = by_width_wdq(i.osz, []<class T>() { return &LxS<T, Seg>; });
    i.cycles = cost(Cls::SegLoad, d);
    return true;
}

// ---- far transfers and IRET ----------------------------------------------------

// Loads CS for a far JMP/CALL to `sel`:`offset` (SDM Vol. 2A JMP, "far jumps in
// protected mode"; only direct code-segment targets, see Deviations).
SegCache check_far_target(Cpu& c, u16 sel) {
    if ((sel & 0xFFFC) == 0) raise(GP, 0);
    u64 d = c.read_descriptor(sel);
    SegCache cs = segment_from_descriptor(sel, d);
    if (!cs.s() || !cs.code()) raise(GP, sel_err(sel));
    bool conforming = cs.type() & 4;
    if (conforming ? cs.dpl() > c.cpl() : ((sel & 3) > c.cpl() || cs.dpl() != c.cpl())) raise(GP, sel_err(sel));
    if (!cs.present()) raise(NP, sel_err(sel));
    if ((c.sys.efer & efer::LMA) && cs.l() && cs.db()) raise(GP, sel_err(sel));
    cs.sel = static_cast<u16>((sel & 0xFFFC) | c.cpl());
    cs.attr |= 1;  // accessed
    return cs;
}

void far_transfer(Cpu& c, const Insn& i, u16 sel, u64 offset, bool call) {
    const unsigned w = i.osz;
    if (c.mode() == Mode::Real) {
        if (call) {
            if (w == 4) {
                push<u32>(c, c.sys.seg[CS].sel);
                push<u32>(c, static_cast<u32>(c.s.rip + i.len));
            } else {
                push<u16>(c, c.sys.seg[CS].sel);
                push<u16>(c, static_cast<u16>(c.s.rip + i.len));
            }
        }
        c.set_real_segment(CS, sel);
        c.s.rip = w == 2 ? (offset & 0xFFFF) : (offset & 0xFFFFFFFF);
        return;
    }
    SegCache cs = check_far_target(c, sel);
    if (call) {
        u64 ret = c.s.rip + i.len;
        u16 old = c.sys.seg[CS].sel;
        if (w == 8) { push<u64>(c, old); push<u64>(c, ret); }
        else if (w == 4) { push<u32>(c, old); push<u32>(c, static_cast<u32>(ret)); }
        else { push<u16>(c, old); push<u16>(c, static_cast<u16>(ret)); }
    }
    c.sys.seg[CS] = cs;
    c.update_mode();
    c.s.rip = cs.l() ? offset : (w == 2 ? (offset & 0xFFFF) : (offset & 0xFFFFFFFF));
}

// EA cd/cp  JMP ptr16:16/32; 9A CALL ptr16:16/32 (not in 64-bit mode)
template <bool Call> void FAR_ptr(Cpu& c, const Insn& i) {
    far_transfer(c, i, static_cast<u16>(i.disp), i.imm, Call);
    c.cycles += timing::kTakenBranch;
}
// FF /5 JMP m16:16/32/64; FF /3 CALL m16:...
template <bool Call> void FAR_mem(Cpu& c, const Insn& i) {
    u64 a = ea(c, i);
    u64 off = i.osz == 8 ? c.read<u64>(a) : i.osz == 4 ? c.read<u32>(a) : c.read<u16>(a);
    u16 sel = c.read<u16>(a + i.osz);
    far_transfer(c, i, sel, off, Call);
    c.cycles += timing::kTakenBranch;
}

template <bool Call> bool build_far(Insn& i, const Decoded& d) {
    if (d.op[0].type == ZYDIS_OPERAND_TYPE_POINTER) {
        i.imm = d.op[0].ptr.offset;
        i.disp = d.op[0].ptr.segment;
        i.fn = FAR_ptr<Call>;
    } else if (d.op[0].type == ZYDIS_OPERAND_TYPE_MEMORY) {
        i.fn = FAR_mem<Call>;
    } else {
        return false;
    }
    i.cycles = cost(Cls::Iret, d);
    return true;
}

// RFLAGS bits IRET may change at the old CPL (SDM Vol. 2A IRET, "EFLAGS update").
u64 iret_flags(const Cpu& c, u64 old, u64 popped, unsigned w) {
    u64 changeable = fl::ARITH | fl::TF | fl::DF | fl::NT | fl::RF | fl::AC | fl::ID;
    u8 iopl = (old >> 12) & 3;
    if (c.cpl() <= iopl) changeable |= fl::IF;
    if (c.cpl() == 0) changeable |= 0x3000 | (1u << 19) | (1u << 20);  // IOPL, VIF, VIP
    if (w == 2) changeable &= 0xFFFF;
    return ((old & ~changeable) | (popped & changeable)) | fl::FIXED1;
}

// The data segments an outer-level return must not leave pointing at
// more-privileged segments (SDM Vol. 2A RET/IRET, "RETURN-TO-OUTER-PRIVILEGE-LEVEL").
void null_privileged_segments(Cpu& c) {
    for (u8 k : {ES, DS, FS, GS}) {
        SegCache& sc = c.sys.seg[k];
        bool data_or_nc = sc.s() && (!sc.code() || !(sc.type() & 4));
        if (data_or_nc && sc.dpl() < c.cpl()) {
            // The selector becomes null; FS/GS keep their base (what 64-bit
            // software depends on is the base MSR, not the selector).
            sc.sel = 0;
            sc.attr = 0;
            if (k != FS && k != GS) sc.base = 0;
        }
    }
    c.sync_segment_bases();
}

// Far RET and IRET share the checks; `iret` also pops RFLAGS.
void far_return(Cpu& c, const Insn& i, unsigned w, bool iret, u16 imm) {
    auto slot = [&](u64 sp, unsigned k) -> u64 {
        u64 a = c.s.seg_base[SS] + ((sp + k * w) & c.sp_mask);
        return w == 8 ? c.read<u64>(a) : w == 4 ? c.read<u32>(a) : c.read<u16>(a);
    };
    u64 sp = c.s.gpr[RSP] & c.sp_mask;
    u64 new_ip = slot(sp, 0);
    u16 sel = static_cast<u16>(slot(sp, 1));
    u64 popped_flags = iret ? slot(sp, 2) : 0;
    unsigned n = iret ? 3 : 2;

    if (c.mode() == Mode::Real) {
        c.set_real_segment(CS, sel);
        c.s.rip = new_ip & (w == 2 ? 0xFFFF : 0xFFFFFFFF);
        if (iret) {
            u64 keep = w == 2 ? ~0xFFFFull : ((1u << 17) | (1u << 19) | (1u << 20));  // VM, VIF, VIP
            c.s.rflags = (c.s.rflags & keep) | (popped_flags & ~keep) | fl::FIXED1;
        }
        c.s.gpr[RSP] = (c.s.gpr[RSP] & ~c.sp_mask) | ((sp + n * w + imm) & c.sp_mask);
        return;
    }
    if (iret && (c.s.rflags & fl::NT) && !(c.sys.efer & efer::LMA)) raise(GP, 0);  // task return

    const u8 rpl = sel & 3;
    if ((sel & 0xFFFC) == 0) raise(GP, 0);
    if (rpl < c.cpl()) raise(GP, sel_err(sel));
    u64 d = c.read_descriptor(sel);
    SegCache cs = segment_from_descriptor(sel, d);
    if (!cs.s() || !cs.code()) raise(GP, sel_err(sel));
    bool conforming = cs.type() & 4;
    if (conforming ? cs.dpl() > rpl : cs.dpl() != rpl) raise(GP, sel_err(sel));
    if (!cs.present()) raise(NP, sel_err(sel));
    const bool lma = c.sys.efer & efer::LMA;
    if (lma && cs.l() && cs.db()) raise(GP, sel_err(sel));
    const bool to64 = lma && cs.l();
    if (to64 && !is_canonical(new_ip)) raise(GP, 0);

    const bool outer = rpl > c.cpl();
    const bool pop_ss = outer || (iret && c.mode() == Mode::Long64);
    u64 new_sp = 0;
    u16 ss_sel = 0;
    SegCache ss;
    if (pop_ss) {
        u64 base = sp + (iret ? 0 : imm);
        new_sp = slot(base, n);
        ss_sel = static_cast<u16>(slot(base, n + 1));
        if ((ss_sel & 0xFFFC) == 0) {
            // A null SS is allowed when returning to 64-bit mode below CPL 3.
            if (!(to64 && rpl != 3)) raise(GP, 0);
            ss = SegCache{ss_sel, 0, 0, static_cast<u16>(rpl << 5)};
        } else {
            if ((ss_sel & 3) != rpl) raise(GP, sel_err(ss_sel));
            u64 sd = c.read_descriptor(ss_sel);
            ss = segment_from_descriptor(ss_sel, sd);
            if (!ss.s() || ss.code() || !(ss.type() & 2) || ss.dpl() != rpl) raise(GP, sel_err(ss_sel));
            if (!ss.present()) raise(SS_, sel_err(ss_sel));
        }
    }

    // Commit.
    if (iret) c.s.rflags = iret_flags(c, c.s.rflags, popped_flags, w);
    cs.sel = sel;
    cs.attr |= 1;
    c.sys.seg[CS] = cs;
    c.set_cpl(rpl);
    if (pop_ss) {
        ss.attr |= ss.present() ? 1 : 0;
        c.sys.seg[SS] = ss;
        c.update_mode();
        c.s.gpr[RSP] = to64 ? new_sp : (new_sp & (ss.db() ? 0xFFFFFFFF : 0xFFFF)) | (c.s.gpr[RSP] & ~(ss.db() ? 0xFFFFFFFFull : 0xFFFFull));
        if (!iret) c.s.gpr[RSP] += imm;
    } else {
        c.update_mode();
        c.s.gpr[RSP] = (c.s.gpr[RSP] & ~c.sp_mask) | ((sp + n * w + imm) & c.sp_mask);
    }
    if (outer) null_privileged_segments(c);
    c.s.rip = to64 ? new_ip : (w == 2 ? (new_ip & 0xFFFF) : (new_ip & 0xFFFFFFFF));
}

// CF IRET/IRETD/IRETQ
void IRET(Cpu& c, const Insn& i) {
    far_return(c, i, i.osz, true, 0);
    c.nmi_blocked = false;
    c.cycles += timing::kTakenBranch;
}
// CB RETF; CA iw RETF imm16
void RETF(Cpu& c, const Insn& i) {
    far_return(c, i, i.osz, false, static_cast<u16>(i.imm));
    c.cycles += timing::kTakenBranch;
}


template <bool Idt> bool build_lxdt(Insn& i, const Decoded& d) { return simple<LxDT<Idt>, Cls::Desc>(i, d); }
template <bool Idt> bool build_sxdt(Insn& i, const Decoded& d) { return simple<SxDT<Idt>, Cls::Desc>(i, d); }

bool build_lldt(Insn& i, const Decoded& d) {
    i.fn = d.kind(0) == K::R ? LLDT<K::R> : LLDT<K::M>;
    i.cycles = cost(Cls::Desc, d);
    return true;
}
bool build_ltr(Insn& i, const Decoded& d) {
    i.fn = d.kind(0) == K::R ? LTR<K::R> : LTR<K::M>;
    i.cycles = cost(Cls::Desc, d);
    return true;
}
template <bool Tr> bool build_sxtr(Insn& i, const Decoded& d) {
    if (d.kind(0) == K::M) i.fn = SxTR<u16, K::M, Tr>;
    else i.fn = by_width_wdq(d.size(0), []<class T>() { return &SxTR<T, K::R, Tr>; });
    i.cycles = cost(Cls::Desc, d);
    return true;
}
bool build_lmsw(Insn& i, const Decoded& d) {
    i.fn = d.kind(0) == K::R ? LMSW<K::R> : LMSW<K::M>;
    i.cycles = cost(Cls::CrWrite, d);
    return true;
}
bool build_smsw(Insn& i, const Decoded& d) {
    if (d.kind(0) == K::M) i.fn = SMSW<u16, K::M>;
    else i.fn = by_width_wdq(d.size(0), []<class T>() { return &SMSW<T, K::R>; });
    i.cycles = cost(Cls::Desc, d);
    return true;
}
template <bool Limit> bool build_lar(Insn& i, const Decoded& d) {
    if (d.kind(1) == K::R) i.fn = by_width_wdq(i.osz, []<class T>() { return &LAR_LSL<T, K::R, Limit>; });
    else i.fn = by_width_wdq(i.osz, []<class T>() { return &LAR_LSL<T, K::M, Limit>; });
    i.cycles = cost(Cls::Desc, d);
    return true;
}
template <bool Write> bool build_ver(Insn& i, const Decoded& d) {
    i.fn = d.kind(0) == K::R ? VERx<K::R, Write> : VERx<K::M, Write>;
    i.cycles = cost(Cls::Desc, d);
    return true;
}
bool build_sysret(Insn& i, const Decoded& d) {
    i.fn = i.osz == 8 ? SYSRET<true> : SYSRET<false>;
    i.cycles = cost(Cls::Syscall, d);
    return true;
}
bool build_sysexit(Insn& i, const Decoded& d) {
    i.fn = i.osz == 8 ? SYSEXIT<true> : SYSEXIT<false>;
    i.cycles = cost(Cls::Syscall, d);
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_CLTS, simple<CLTS, Cls::CrWrite>},
    {ZYDIS_MNEMONIC_LMSW, build_lmsw},
    {ZYDIS_MNEMONIC_SMSW, build_smsw},
    {ZYDIS_MNEMONIC_LGDT, build_lxdt<false>},
    {ZYDIS_MNEMONIC_LIDT, build_lxdt<true>},
    {ZYDIS_MNEMONIC_SGDT, build_sxdt<false>},
    {ZYDIS_MNEMONIC_SIDT, build_sxdt<true>},
    {ZYDIS_MNEMONIC_LLDT, build_lldt},
    {ZYDIS_MNEMONIC_LTR, build_ltr},
    {ZYDIS_MNEMONIC_SLDT, build_sxtr<false>},
    {ZYDIS_MNEMONIC_STR, build_sxtr<true>},
    {ZYDIS_MNEMONIC_LAR, build_lar<false>},
    {ZYDIS_MNEMONIC_LSL, build_lar<true>},
    {ZYDIS_MNEMONIC_VERR, build_ver<false>},
    {ZYDIS_MNEMONIC_VERW, build_ver<true>},
    {ZYDIS_MNEMONIC_INVLPG, simple<INVLPG, Cls::CrWrite>},
    {ZYDIS_MNEMONIC_INVPCID, simple<INVPCID, Cls::CrWrite>},
    {ZYDIS_MNEMONIC_WBINVD, simple<WBINVD, Cls::CrWrite>},
    {ZYDIS_MNEMONIC_INVD, simple<WBINVD, Cls::CrWrite>},
    {ZYDIS_MNEMONIC_RDMSR, simple<RDMSR, Cls::Msr>},
    {ZYDIS_MNEMONIC_WRMSR, simple<WRMSR, Cls::Msr>},
    {ZYDIS_MNEMONIC_RDFSBASE, build_fsgsbase<FS, false>},
    {ZYDIS_MNEMONIC_RDGSBASE, build_fsgsbase<GS, false>},
    {ZYDIS_MNEMONIC_WRFSBASE, build_fsgsbase<FS, true>},
    {ZYDIS_MNEMONIC_WRGSBASE, build_fsgsbase<GS, true>},
    {ZYDIS_MNEMONIC_SWAPGS, simple<SWAPGS, Cls::Syscall>},
    {ZYDIS_MNEMONIC_SYSCALL, simple<SYSCALL, Cls::Syscall>},
    {ZYDIS_MNEMONIC_SYSRET, build_sysret},
    {ZYDIS_MNEMONIC_SYSENTER, simple<SYSENTER, Cls::Syscall>},
    {ZYDIS_MNEMONIC_SYSEXIT, build_sysexit},
    {ZYDIS_MNEMONIC_STAC, simple<xAC<true>, Cls::Alu>},
    {ZYDIS_MNEMONIC_CLAC, simple<xAC<false>, Cls::Alu>},
    {ZYDIS_MNEMONIC_LDS, build_lxs<DS>},
    {ZYDIS_MNEMONIC_LES, build_lxs<ES>},
    {ZYDIS_MNEMONIC_LFS, build_lxs<FS>},
    {ZYDIS_MNEMONIC_LGS, build_lxs<GS>},
    {ZYDIS_MNEMONIC_LSS, build_lxs<SS>},
    {ZYDIS_MNEMONIC_IRET, simple<IRET, Cls::Iret>},
    {ZYDIS_MNEMONIC_IRETD, simple<IRET, Cls::Iret>},
    {ZYDIS_MNEMONIC_IRETQ, simple<IRET, Cls::Iret>},
};

}  // namespace

std::span<const BuilderEntry> priv_builders() { return kBuilders; }

// MOV with a control, debug or segment register operand, called by the MOV
// builder (ops_int.cpp). Returns false when `d` is an ordinary MOV.
bool build_mov_system(Insn& i, const Decoded& d, bool& handled) {
    handled = true;
    for (int k = 0; k < 2; ++k) {
        if (d.kind(k) != K::R) continue;
        switch (ZydisRegisterGetClass(d.op[k].reg.value)) {
            case ZYDIS_REGCLASS_CONTROL: return build_mov_cr(i, d);
            case ZYDIS_REGCLASS_DEBUG: return build_mov_dr(i, d);
            case ZYDIS_REGCLASS_SEGMENT: return build_mov_sreg(i, d);
            default: break;
        }
    }
    handled = false;
    return false;
}

// Far forms of JMP, CALL and RET, called by their builders (ops_ctrl.cpp) when
// Zydis reports a far branch.
bool build_far_jmp(Insn& i, const Decoded& d) { return build_far<false>(i, d); }
bool build_far_call(Insn& i, const Decoded& d) { return build_far<true>(i, d); }
bool build_far_ret(Insn& i, const Decoded& d) {
    i.fn = RETF;
    i.cycles = cost(Cls::Iret, d);
    return true;
}

// Segment-register forms of PUSH/POP, called by the PUSH/POP builders (ops_ctrl.cpp).
bool build_push_sreg(Insn& i, const Decoded& d) {
    i.aux = seg_of(d.op[0].reg.value);
    i.fn = by_width_wdq(i.osz, []<class T>() { return &PUSH_Sreg<T>; });
    i.cycles = cost(Cls::Stack, d);
    return true;
}
bool build_pop_sreg(Insn& i, const Decoded& d) {
    i.aux = seg_of(d.op[0].reg.value);
    if (i.aux == CS) return false;
    i.fn = by_width_wdq(i.osz, []<class T>() { return &POP_Sreg<T>; });
    i.cycles = cost(Cls::SegLoad, d);
    return true;
}

}  // namespace sy
