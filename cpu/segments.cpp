// Segmentation: selectors, descriptors and the hidden caches (SDM Vol. 3A, 3.4
// "Logical and linear addresses", 3.5 system descriptors, 5.5-5.8 privilege
// checks), and the processor modes that follow from CR0, EFER and CS (2.2).
//
// Deviations: segment limit checks are not performed on ordinary data accesses
// (only the null and type/privilege checks at load time); expand-down segments
// are treated as expand-up.
#include "code_cache.h"
#include "cpu.h"

namespace sy {

const char* mode_name(Mode m) {
    switch (m) {
        case Mode::Real: return "real";
        case Mode::Prot16: return "protected-16";
        case Mode::Prot32: return "protected-32";
        case Mode::Compat16: return "compatibility-16";
        case Mode::Compat32: return "compatibility-32";
        case Mode::Long64: return "64-bit";
    }
    return "?";
}

SegCache flat_code64(u16 sel, u8 dpl) { return SegCache{sel, 0, 0xFFFFFFFF, static_cast<u16>(0xA09B | dpl << 5)}; }
SegCache flat_code32(u16 sel, u8 dpl) { return SegCache{sel, 0, 0xFFFFFFFF, static_cast<u16>(0xC09B | dpl << 5)}; }
SegCache flat_data(u16 sel, u8 dpl) { return SegCache{sel, 0, 0xFFFFFFFF, static_cast<u16>(0xC093 | dpl << 5)}; }

SegCache segment_from_descriptor(u16 sel, u64 d) {
    SegCache c;
    c.sel = sel;
    c.base = ((d >> 16) & 0xFFFFFF) | (((d >> 56) & 0xFF) << 24);
    u32 limit = static_cast<u32>((d & 0xFFFF) | (((d >> 48) & 0xF) << 16));
    c.attr = static_cast<u16>(((d >> 40) & 0xFF) | (((d >> 52) & 0xF) << 12));
    c.limit = c.g() ? (limit << 12) | 0xFFF : limit;
    return c;
}

void Cpu::sync_segment_bases() {
    bool long64 = sys.mode == Mode::Long64;
    for (int k = 0; k < 6; ++k) s.seg_base[k] = (long64 && k != FS && k != GS) ? 0 : sys.seg[k].base;
    s.seg_base[SEG_NONE] = 0;
}

void Cpu::update_mode() {
    Mode m;
    const SegCache& cs = sys.seg[CS];
    if (!(sys.cr0 & cr0::PE)) m = Mode::Real;
    else if (sys.efer & efer::LMA) m = cs.l() ? Mode::Long64 : (cs.db() ? Mode::Compat32 : Mode::Compat16);
    else m = cs.db() ? Mode::Prot32 : Mode::Prot16;
    sys.mode = m;
    sp_mask = m == Mode::Long64 ? ~0ull : (sys.seg[SS].db() ? 0xFFFFFFFFull : 0xFFFFull);
    sync_segment_bases();
    end_block = true;
    new_fetch_epoch();
}

void Cpu::set_flat64(u8 cpl) {
    sys.cr0 = cr0::PE | cr0::ET | cr0::NE | cr0::MP;
    sys.cr4 = cr4::OSFXSR | cr4::OSXMMEXCPT;
    sys.efer = efer::LME | efer::LMA | efer::SCE | efer::NXE;
    // Flat selectors as Linux lays them out: kernel CS 0x10, SS 0x18; user CS 0x33, SS 0x2b.
    u16 cs_sel = cpl == 3 ? 0x33 : 0x10, ss_sel = cpl == 3 ? 0x2B : 0x18;
    sys.seg[CS] = flat_code64(cs_sel, cpl);
    for (int k : {ES, SS, DS, FS, GS}) sys.seg[k] = flat_data(k == SS ? ss_sel : 0, cpl);
    sys.tr = SegCache{0, 0, 0x67, 0x8B};
    set_cpl(cpl);
    load_breakpoints();
    flush_tlb();
    update_mode();
}

void Cpu::reset() {
    s = CpuState{};
    s.gpr[RDX] = 0x600;  // family/model/stepping signature (SDM Vol. 3A, 9.1.4)
    s.rip = 0xFFF0;
    // x87 after RESET: control word 0040h, every register +0.0 and valid (SDM Vol. 3A, Table 9-1).
    s.fpu.fcw = 0x0040;
    s.fpu.ftw = 0xFF;
    sys = SysState{};
    sys.mode = Mode::Real;
    for (int k = 0; k < 6; ++k) sys.seg[k] = SegCache{0, 0, 0xFFFF, 0x93};
    sys.seg[CS] = SegCache{0xF000, 0xFFFF0000, 0xFFFF, 0x9B};
    sys.ldtr = SegCache{0, 0, 0xFFFF, 0x82};
    sys.tr = SegCache{0, 0, 0xFFFF, 0x8B};
    set_cpl(0);
    halted = false;
    interrupt_shadow = mov_ss_shadow = false;
    db_trap_ = 0;
    watch_hit_.reset();
    load_breakpoints();
    flush_tlb();
    update_mode();
}

u64 Cpu::read_descriptor(u16 sel, u64* at) {
    const bool ldt = sel & 4;
    u64 base = ldt ? sys.ldtr.base : sys.gdtr.base;
    u32 limit = ldt ? sys.ldtr.limit : sys.gdtr.limit;
    if (ldt && !sys.ldtr.present()) raise(GP, sel & 0xFFFC);
    u32 offset = sel & 0xFFF8;
    if (offset + 7 > limit) raise(GP, sel & 0xFFFC);
    u64 la = base + offset;
    if (at) *at = la;
    return read_implicit(la, 8);
}

void Cpu::set_segment(u8 seg, u16 sel, u64 desc) {
    SegCache c = segment_from_descriptor(sel, desc);
    // FS and GS bases in 64-bit mode come from the descriptor's 32-bit base too;
    // WRMSR/WRFSBASE can give them 64-bit values afterwards.
    sys.seg[seg] = c;
    if (seg == CS || seg == SS) update_mode();
    else sync_segment_bases();
}

void Cpu::set_real_segment(u8 seg, u16 sel) {
    SegCache& c = sys.seg[seg];
    c.sel = sel;
    c.base = static_cast<u64>(sel) << 4;
    if (seg == CS) update_mode();
    else sync_segment_bases();
}

void Cpu::load_data_segment(u8 seg, u16 sel) {
    if (sys.mode == Mode::Real) {
        set_real_segment(seg, sel);
        return;
    }
    const u8 rpl = sel & 3;
    const bool null = (sel & 0xFFFC) == 0;
    if (seg == SS) {
        // A null SS is allowed only in 64-bit mode below CPL 3, with RPL = CPL.
        if (null) {
            if (sys.mode != Mode::Long64 || sys.cpl == 3 || rpl != sys.cpl) raise(GP, 0);
            sys.seg[SS] = SegCache{sel, 0, 0, static_cast<u16>(sys.cpl << 5)};
            update_mode();
            return;
        }
        if (rpl != sys.cpl) raise(GP, sel & 0xFFFC);
        u64 at;
        u64 d = read_descriptor(sel, &at);
        SegCache c = segment_from_descriptor(sel, d);
        if (!c.s() || c.code() || !(c.type() & 2) || c.dpl() != sys.cpl) raise(GP, sel & 0xFFFC);
        if (!c.present()) raise(SS_, sel & 0xFFFC);
        if (!(d & (1ull << 40))) write_implicit(at + 5, 1, (d >> 40) | 1);  // accessed
        set_segment(SS, sel, d | (1ull << 40));
        return;
    }
    if (null) {
        // Intel: a null selector makes the register unusable and, for FS and GS
        // in 64-bit mode, clears the base (AMD would keep it).
        sys.seg[seg] = SegCache{sel, 0, 0, 0};
        sync_segment_bases();
        return;
    }
    u64 at;
    u64 d = read_descriptor(sel, &at);
    SegCache c = segment_from_descriptor(sel, d);
    bool readable = c.s() && (!c.code() || (c.type() & 2));
    if (!readable) raise(GP, sel & 0xFFFC);
    bool conforming_code = c.code() && (c.type() & 4);
    if (!conforming_code && (rpl > c.dpl() || sys.cpl > c.dpl())) raise(GP, sel & 0xFFFC);
    if (!c.present()) raise(NP, sel & 0xFFFC);
    if (!(d & (1ull << 40))) write_implicit(at + 5, 1, (d >> 40) | 1);
    set_segment(seg, sel, d | (1ull << 40));
}

}  // namespace sy
