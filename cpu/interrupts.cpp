// Exception and interrupt delivery (SDM Vol. 3A, ch. 6 "Interrupt and exception
// handling": 6.10 IDT, 6.12 protected-mode delivery, 6.14 64-bit mode delivery,
// 6.15 the vectors and their classes, Table 6-5 the double-fault conditions;
// ch. 20.1.4 for real mode).
//
// Deviations: task gates are not supported (#GP with the vector's error code);
// interrupts from virtual-8086 mode are not modelled.
#include <cstdio>

#include "cpu.h"

namespace sy {

namespace {
constexpr u64 kClearOnEntry = fl::TF | fl::NT | fl::RF | (1u << 17) /* VM */;

// Vectors whose exception pushes an error code (SDM Vol. 3A, Table 6-1; 6.13).
// Only the exception does: an external interrupt or INT n through the same
// vector pushes none.
bool pushes_error(u8 v) { return v == DF || (v >= TS && v <= PF_) || v == AC_ || v == 21; }

// Fault-class exceptions (Table 6-1). #DB is a fault for general detect; its
// traps and instruction breakpoints say so with Fault::keep_rf.
bool fault_class(u8 v) {
    return v == DE || v == DB || v == BR || v == UD || v == NM || (v >= TS && v <= PF_) || v == MF || v == AC_ ||
           v == XM || v == 20 || v == 21;
}
}  // namespace

// Exceptions (faults, traps, aborts raised by an instruction or by a delivery)
// are told apart from interrupts here: `external_event_` marks an NMI or INTR
// from the InterruptSource, Fault::software an INT n, INT3 or INTO. Only
// exceptions have error codes and take part in the double-fault rules (SDM
// Vol. 3A, 6.15 Table 6-5 classes exceptions only; an interrupt is benign).
bool Cpu::deliver_fault(const Fault& first) {
    Fault f = first;
    const bool exception = !f.software && !external_event_;
    f.has_error = exception && pushes_error(f.vector);
    if (!exception) f.error = 0;
    // The handler of a fault-class exception sees RF set in the saved RFLAGS, so
    // that returning to the instruction does not stop again at its instruction
    // breakpoint (SDM Vol. 3A, 17.3.1.1).
    const bool set_rf = exception && !f.keep_rf && fault_class(f.vector);
    // Entering the #DB handler clears DR7.GD, so that it can use the debug
    // registers (17.2.4).
    if (exception && f.vector == DB) sys.dr[7] &= ~dr7::GD;
    try {
        deliver(f.vector, f.has_error, f.error, f.software, external_event_, set_rf);
        return true;
    } catch (const Fault& second) {
        // A fault while delivering a software interrupt is reported at the INT
        // instruction (SDM Vol. 3A, 6.12.1.1: the #GP for a gate DPL < CPL).
        if (f.software) s.rip -= f.insn_len;
        // A fault while delivering: Table 6-5 decides between serial handling,
        // a double fault and shutdown.
        if (exception && f.vector == DF) {
            triple_fault = second;
            return false;
        }
        bool df = exception && ((contributory(f.vector) && contributory(second.vector)) ||
                                (f.vector == PF_ && (second.vector == PF_ || contributory(second.vector))));
        if (!df) {
            external_event_ = false;
            return deliver_fault(second);
        }
        try {
            deliver(DF, true, 0, false, false);
            return true;
        } catch (const Fault& third) {
            triple_fault = third;
            return false;
        }
    }
}

void Cpu::deliver(u8 vec, bool has_err, u32 err, bool software, bool external, bool set_rf) {
    const u32 ext = external ? 1 : 0;
    const u64 flags = s.rflags | (set_rf ? fl::RF : 0);  // the RFLAGS image pushed
    const u32 idt_err = vec * 8u + 2u + ext;  // error code naming the IDT entry
    halted = false;

    if (sys.mode == Mode::Real) {
        // Real mode: a 4-byte IVT entry (IP, CS); push FLAGS, CS, IP.
        if (vec * 4u + 3u > sys.idtr.limit) raise(GP, idt_err);
        u64 entry = sys.idtr.base + vec * 4u;
        u16 ip = static_cast<u16>(read_implicit(entry, 2));
        u16 cs = static_cast<u16>(read_implicit(entry + 2, 2));
        auto push16 = [&](u16 v) {
            u16 sp = static_cast<u16>(s.gpr[RSP] - 2);
            write<u16>(sys.seg[SS].base + sp, v);
            s.gpr[RSP] = (s.gpr[RSP] & ~0xFFFFull) | sp;
        };
        push16(static_cast<u16>(flags));
        push16(sys.seg[CS].sel);
        push16(static_cast<u16>(s.rip));
        s.rflags &= ~(fl::IF | fl::TF | fl::AC | fl::RF);
        set_real_segment(CS, cs);
        s.rip = ip;
        return;
    }

    const bool long_mode = sys.efer & efer::LMA;
    const unsigned gate_size = long_mode ? 16 : 8;
    if (vec * gate_size + gate_size - 1 > sys.idtr.limit) raise(GP, idt_err);
    u64 gate_la = sys.idtr.base + vec * gate_size;
    u64 lo = read_implicit(gate_la, 8);
    u64 hi = long_mode ? read_implicit(gate_la + 8, 4) : 0;
    const u8 type = (lo >> 40) & 0xF;
    const u8 gate_dpl = (lo >> 45) & 3;
    const bool present = (lo >> 47) & 1;
    const u16 sel = static_cast<u16>(lo >> 16);
    u64 offset = (lo & 0xFFFF) | (((lo >> 48) & 0xFFFF) << 16) | (hi << 32);
    bool gate32 = type == 0xE || type == 0xF;
    bool gate16 = !long_mode && (type == 0x6 || type == 0x7);
    if (!gate32 && !gate16) raise(GP, idt_err);  // task gates included (see Deviations)
    if (software && gate_dpl < sys.cpl) raise(GP, vec * 8u + 2u);
    if (!present) raise(NP, idt_err);
    const bool interrupt_gate = (type & 1) == 0;

    // The handler's code segment.
    if ((sel & 0xFFFC) == 0) raise(GP, ext);
    u64 cs_desc = read_descriptor(sel);
    SegCache cs = segment_from_descriptor(sel, cs_desc);
    if (!cs.code() || cs.dpl() > sys.cpl) raise(GP, (sel & 0xFFFC) + ext);
    if (long_mode && (!cs.l() || cs.db())) raise(GP, (sel & 0xFFFC) + ext);
    if (!cs.present()) raise(NP, (sel & 0xFFFC) + ext);
    const bool conforming = cs.type() & 4;
    const u8 new_cpl = conforming ? sys.cpl : cs.dpl();
    cs.sel = static_cast<u16>((sel & 0xFFFC) | new_cpl);
    const u8 ist = long_mode ? (lo >> 32) & 7 : 0;

    if (long_mode) {
        // 64-bit frame (SDM Vol. 3A, 6.14.2): SS, RSP, RFLAGS, CS, RIP [, error],
        // on a stack aligned to 16 bytes; the new stack comes from IST or RSPn.
        u64 rsp = s.gpr[RSP];
        if (ist || new_cpl < sys.cpl) {
            u32 off = ist ? 0x24 + (ist - 1) * 8 : 4 + new_cpl * 8;
            if (off + 7 > sys.tr.limit) raise(TS, (sys.tr.sel & 0xFFFC) + ext);
            u64 at = sys.tr.base + off;
            rsp = read_implicit(at, 8);
            if (!is_canonical(rsp)) raise(SS_, ext);
        }
        rsp &= ~0xFull;
        u64 frame[6] = {sys.seg[SS].sel, s.gpr[RSP], flags, sys.seg[CS].sel, s.rip, err};
        const int n = has_err ? 6 : 5;
        u64 top = rsp - 8 * n;
        const bool sup = new_cpl < 3;
        // Check every slot before writing any (a fault here becomes #DF or is
        // handled serially, with nothing half-written).
        PhysSpan slots[6];
        for (int k = 0; k < n; ++k) {
            u64 slot = rsp - 8 * (k + 1);
            if (!is_canonical(slot)) raise(SS_, ext);
            slots[k] = translate_span_at(slot, 8, Access::Write, sup, true);
        }
        for (int k = 0; k < n; ++k) phys_write_span(slots[k], &frame[k]);
        if (new_cpl != sys.cpl) sys.seg[SS] = SegCache{new_cpl, 0, 0, static_cast<u16>(new_cpl << 5)};  // null SS, RPL = CPL
        s.gpr[RSP] = top;
        sys.seg[CS] = cs;
        set_cpl(new_cpl);
        s.rip = offset;
    } else {
        // Protected mode: a 32-bit (or 16-bit) frame; an inner-privilege
        // handler gets SS:ESP from the 32-bit TSS (SDM Vol. 3A, 6.12.1).
        const unsigned w = gate32 ? 4 : 2;
        u64 ss_base = sys.seg[SS].base;
        u64 esp = s.gpr[RSP] & sp_mask;
        u16 new_ss_sel = sys.seg[SS].sel;
        u64 new_ss_desc = 0;
        const bool stack_switch = new_cpl < sys.cpl;
        if (stack_switch) {
            u32 off = 4 + new_cpl * 8;
            if (off + 5 > sys.tr.limit) raise(TS, (sys.tr.sel & 0xFFFC) + ext);
            u64 at = sys.tr.base + off;
            esp = read_implicit(at, 4);
            new_ss_sel = static_cast<u16>(read_implicit(at + 4, 2));
            if ((new_ss_sel & 0xFFFC) == 0 || (new_ss_sel & 3) != new_cpl) raise(TS, (new_ss_sel & 0xFFFC) + ext);
            new_ss_desc = read_descriptor(new_ss_sel);
            ss_base = ((new_ss_desc >> 16) & 0xFFFFFF) | (((new_ss_desc >> 56) & 0xFF) << 24);
        }
        u64 vals[6];
        int n = 0;
        if (stack_switch) {
            vals[n++] = sys.seg[SS].sel;
            vals[n++] = s.gpr[RSP] & sp_mask;
        }
        vals[n++] = flags;
        vals[n++] = sys.seg[CS].sel;
        vals[n++] = s.rip;
        if (has_err) vals[n++] = err;
        // Every slot (both pages of one that crosses a page boundary) is
        // translated before any is written.
        PhysSpan slots[6];
        u32 mask = stack_switch ? 0xFFFFFFFF : static_cast<u32>(sp_mask);
        for (int k = 0; k < n; ++k) {
            u64 slot = (esp - w * (k + 1)) & mask;
            slots[k] = translate_span_at(system_linear(ss_base + slot), w, Access::Write, new_cpl < 3, true);
        }
        for (int k = 0; k < n; ++k) phys_write_span(slots[k], &vals[k]);
        if (stack_switch) {
            set_segment(SS, new_ss_sel, new_ss_desc);
            s.gpr[RSP] = (esp - w * n) & 0xFFFFFFFF;
        } else {
            s.gpr[RSP] = (s.gpr[RSP] & ~sp_mask) | ((esp - w * n) & sp_mask);
        }
        sys.seg[CS] = cs;
        set_cpl(new_cpl);
        s.rip = offset & (gate32 ? 0xFFFFFFFF : 0xFFFF);
    }
    s.rflags &= ~kClearOnEntry;
    if (interrupt_gate) s.rflags &= ~fl::IF;
    update_mode();
}

std::string Cpu::describe() const {
    static const char* names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    static const char* segs[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
    std::string out;
    char line[160];
    std::snprintf(line, sizeof line, "mode=%s cpl=%u rip=%016llx rflags=%016llx cycles=%llu insns=%llu\n",
                  mode_name(sys.mode), sys.cpl, (unsigned long long)s.rip, (unsigned long long)s.rflags,
                  (unsigned long long)cycles, (unsigned long long)insns);
    out += line;
    for (int k = 0; k < 16; ++k) {
        std::snprintf(line, sizeof line, "%s%3s=%016llx", k % 4 ? "  " : "", names[k], (unsigned long long)s.gpr[k]);
        out += line;
        if (k % 4 == 3) out += "\n";
    }
    for (int k = 0; k < 6; ++k) {
        const SegCache& c = sys.seg[k];
        std::snprintf(line, sizeof line, "%s=%04x base=%016llx limit=%08x attr=%04x\n", segs[k], c.sel,
                      (unsigned long long)c.base, c.limit, c.attr);
        out += line;
    }
    std::snprintf(line, sizeof line, "tr=%04x base=%016llx limit=%08x  ldtr=%04x  gdtr=%016llx/%04x  idtr=%016llx/%04x\n",
                  sys.tr.sel, (unsigned long long)sys.tr.base, sys.tr.limit, sys.ldtr.sel,
                  (unsigned long long)sys.gdtr.base, sys.gdtr.limit, (unsigned long long)sys.idtr.base, sys.idtr.limit);
    out += line;
    std::snprintf(line, sizeof line, "cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n",
                  (unsigned long long)sys.cr0, (unsigned long long)sys.cr2, (unsigned long long)sys.cr3,
                  (unsigned long long)sys.cr4, (unsigned long long)sys.efer);
    out += line;
    std::snprintf(line, sizeof line, "fs.base=%016llx gs.base=%016llx kernel_gs_base=%016llx\n",
                  (unsigned long long)sys.seg[FS].base, (unsigned long long)sys.seg[GS].base,
                  (unsigned long long)sys.kernel_gs_base);
    out += line;
    return out;
}

}  // namespace sy
