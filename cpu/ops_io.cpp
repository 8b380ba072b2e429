// Port I/O: IN, OUT, INS, OUTS (SDM Vol. 2A IN/INS, Vol. 2B OUT/OUTS; Vol. 1,
// 19.5 "Protection of I/O ports": IOPL and the TSS I/O permission bitmap).
#include "decode.h"

namespace sy {
namespace {

using timing::Cls;

// #GP(0) unless the access is allowed: CPL <= IOPL, or every bit for the ports
// in the TSS I/O bitmap is clear (SDM Vol. 1, 19.5.2).
void check_io(Cpu& c, u16 port, unsigned size) {
    if (!(c.sys.cr0 & cr0::PE)) return;
    u8 iopl = (c.s.rflags >> 12) & 3;
    if (c.cpl() <= iopl) return;
    const SegCache& tr = c.sys.tr;
    if (!tr.present() || tr.s() || (tr.type() != 0x9 && tr.type() != 0xB) || tr.limit < 0x67) raise(GP, 0);
    u64 base = c.read_implicit(c.sys.tr.base + 0x66, 2);
    u64 off = base + port / 8;
    if (off + 1 > tr.limit) raise(GP, 0);
    u64 a = tr.base + off;
    u64 bits = c.read_implicit(a, 2);
    if ((bits >> (port & 7)) & ((1u << size) - 1)) raise(GP, 0);
}

// E4/E5 IN AL/eAX, imm8; EC/ED IN AL/eAX, DX
template <class T, bool Dx> void IN(Cpu& c, const Insn& i) {
    u16 port = Dx ? static_cast<u16>(c.s.gpr[RDX]) : static_cast<u16>(i.imm);
    check_io(c, port, sizeof(T));
    setr<T>(c, RAX * 8, static_cast<T>(c.port_in(port, sizeof(T))));
    next(c, i);
}
// E6/E7 OUT imm8, AL/eAX; EE/EF OUT DX, AL/eAX
template <class T, bool Dx> void OUT(Cpu& c, const Insn& i) {
    u16 port = Dx ? static_cast<u16>(c.s.gpr[RDX]) : static_cast<u16>(i.imm);
    check_io(c, port, sizeof(T));
    c.port_out(port, sizeof(T), getr<T>(c, RAX * 8));
    next(c, i);
}

constexpr u32 kRepChunk = 4096;

inline u64 addr_mask(const Insn& i) { return i.asz == 8 ? ~0ull : i.asz == 4 ? 0xFFFFFFFFull : 0xFFFFull; }
inline void set_masked(u64& reg, u64 v, u64 mask) { reg = mask == ~0ull ? v : mask == 0xFFFFFFFFull ? (v & mask) : ((reg & ~mask) | (v & mask)); }

// 6C/6D INS m, DX (ES:rDI); 6E/6F OUTS DX, m (seg:rSI), with REP.
template <class T, bool In> void INS_OUTS(Cpu& c, const Insn& i) {
    const u16 port = static_cast<u16>(c.s.gpr[RDX]);
    check_io(c, port, sizeof(T));
    const u64 mask = addr_mask(i);
    const i64 step = (c.s.rflags & fl::DF) ? -static_cast<i64>(sizeof(T)) : static_cast<i64>(sizeof(T));
    // A REP runs at most kRepChunk iterations per call; RIP then stays on the
    // instruction, which resumes where it stopped (as hardware does between
    // iterations), so a huge RCX cannot stall the machine's interleaving.
    for (u32 n = 0;; ++n) {
        if (i.rep && (c.s.gpr[RCX] & mask) == 0) break;
        if (n == kRepChunk || (n > 0 && rep_stop_after_iteration(c))) {
            rep_unfinished(c);
            return;
        }
        if (In) {
            u64 di = c.s.gpr[RDI] & mask;
            u64 a = c.s.seg_base[ES] + di;
            c.check_write(a, sizeof(T));
            c.write<T>(a, static_cast<T>(c.port_in(port, sizeof(T))));
            set_masked(c.s.gpr[RDI], di + step, mask);
        } else {
            u64 si = c.s.gpr[RSI] & mask;
            T v = c.read<T>(c.s.seg_base[i.seg] + si);
            c.port_out(port, sizeof(T), v);
            set_masked(c.s.gpr[RSI], si + step, mask);
        }
        if (!i.rep) break;
        set_masked(c.s.gpr[RCX], (c.s.gpr[RCX] & mask) - 1, mask);
        c.cycles += timing::kTable[static_cast<size_t>(Cls::Io)].cycles;
    }
    next(c, i);
}

bool build_in(Insn& i, const Decoded& d) {
    bool dx = d.kind(1) == K::R;
    unsigned w = d.size(0);
    if (dx) i.fn = w == 1 ? IN<u8, true> : w == 2 ? IN<u16, true> : IN<u32, true>;
    else i.fn = w == 1 ? IN<u8, false> : w == 2 ? IN<u16, false> : IN<u32, false>;
    i.cycles = cost(Cls::Io, d);
    return true;
}
bool build_out(Insn& i, const Decoded& d) {
    bool dx = d.kind(0) == K::R;
    unsigned w = d.size(1);
    if (dx) i.fn = w == 1 ? OUT<u8, true> : w == 2 ? OUT<u16, true> : OUT<u32, true>;
    else i.fn = w == 1 ? OUT<u8, false> : w == 2 ? OUT<u16, false> : OUT<u32, false>;
    i.cycles = cost(Cls::Io, d);
    return true;
}
template <class T, bool In> bool build_string_io(Insn& i, const Decoded& d) {
    // The source of OUTS may be overridden; its default is DS (in 64-bit mode
    // only an FS or GS override has a base).
    if (!In) {
        const u64 a = d.in.attributes;
        u8 seg = (a & ZYDIS_ATTRIB_HAS_SEGMENT_FS) ? FS : (a & ZYDIS_ATTRIB_HAS_SEGMENT_GS) ? GS
               : (a & ZYDIS_ATTRIB_HAS_SEGMENT_ES) ? ES : (a & ZYDIS_ATTRIB_HAS_SEGMENT_SS) ? SS
               : (a & ZYDIS_ATTRIB_HAS_SEGMENT_CS) ? CS : DS;
        i.seg = (d.long64() && seg != FS && seg != GS) ? static_cast<u8>(SEG_NONE) : seg;
    }
    i.fn = INS_OUTS<T, In>;
    i.cycles = cost(Cls::Io, d);
    return true;
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_IN, build_in},
    {ZYDIS_MNEMONIC_OUT, build_out},
    {ZYDIS_MNEMONIC_INSB, build_string_io<u8, true>},
    {ZYDIS_MNEMONIC_INSW, build_string_io<u16, true>},
    {ZYDIS_MNEMONIC_INSD, build_string_io<u32, true>},
    {ZYDIS_MNEMONIC_OUTSB, build_string_io<u8, false>},
    {ZYDIS_MNEMONIC_OUTSW, build_string_io<u16, false>},
    {ZYDIS_MNEMONIC_OUTSD, build_string_io<u32, false>},
};

}  // namespace

std::span<const BuilderEntry> io_builders() { return kBuilders; }

}  // namespace sy
