// String instructions: MOVS, STOS, LODS, CMPS, SCAS and their REP prefixes.
// SDM Vol. 1, 7.3.9 "String operations"; Vol. 2B, REP/REPE/REPZ/REPNE/REPNZ and
// each instruction's page.
//
// Operands are implicit: the source is seg:[RSI] (DS unless overridden), the
// destination ES:[RDI] (never overridden). In 64-bit mode only an FS or GS
// override has a base (Cpu::sync_segment_bases keeps the others at 0), so the
// same handlers serve every mode. The address size picks RSI/RDI/RCX,
// ESI/EDI/ECX (67h in 64-bit mode; their updates zero-extend like every 32-bit
// register write) or SI/DI/CX. DF=0 steps up, DF=1 steps down.
//
// A REP instruction runs its iterations inside one handler call; the base cost
// (i.cycles) is charged once as the start-up, plus timing::Cls::String per
// iteration. RCX/RSI/RDI are written back after every iteration (or every run
// of the page-at-a-time path below, which either completes or faults before
// changing anything), so a fault in iteration k leaves the registers
// describing iterations 0..k-1 and RIP at the instruction: re-executing it
// resumes the copy (SDM Vol. 2B, REP: "the registers are updated so the
// instruction can be restarted").
// The same restart point bounds the work of one call: after kRepChunk
// iterations the handler returns with RIP still at the instruction and ends the
// block, as hardware does when an interrupt arrives between iterations. A guest
// count of 2^64-1 therefore cannot hang the emulator: run() stops at its cycle
// budget. Such an instruction counts once per chunk in Cpu::insns, and pays the
// start-up cost once per chunk; interrupts are recognised between chunks. It
// also stops after an iteration that met a data breakpoint, and after every
// iteration under single-step (exec.h, rep_stop_after_iteration), so those
// #DB traps come between iterations as on hardware.
//
// Deviation: F2 (REPNE) on MOVS/STOS/LODS, which the SDM leaves undefined,
// repeats like F3, as Intel and AMD processors do.
//
// Vendor difference (measured by isa-test): in 64-bit mode with a 67h prefix and
// ECX = 0, an Intel core still writes ECX, zero-extending it to 64 bits, and
// MOVS and STOS (the fast-string forms) also write the pointer registers they
// step; LODS, CMPS and SCAS leave RSI and RDI alone. An AMD core leaves RCX, RSI
// and RDI untouched (Cpu::vendor picks).
#include <algorithm>
#include <initializer_list>

#include "code_cache.h"
#include "decode.h"
#include "timing/core.h"

namespace sy {

// The SSE forms of MOVSD and CMPSD (F2 0F 10/11, F2 0F C2) share their Zydis
// mnemonic with the string forms; the builder below forwards them. Defined in
// cpu/ops_sse.cpp; the weak definitions here only stand in until it does.
bool build_sse_movsd(Insn& i, const Decoded& d);
bool build_sse_cmpsd(Insn& i, const Decoded& d);
__attribute__((weak)) bool build_sse_movsd(Insn&, const Decoded&) { return false; }
__attribute__((weak)) bool build_sse_cmpsd(Insn&, const Decoded&) { return false; }

namespace {

using timing::Cls;

// One iteration step in bytes, signed by DF.
template <class T> inline u64 step(const Cpu& c) {
    return (c.s.rflags & fl::DF) ? static_cast<u64>(-static_cast<i64>(sizeof(T))) : sizeof(T);
}

// Pointer registers at address size A (u64, or u32 with 67h).
template <class A> inline u64 reg(const Cpu& c, Gpr r) { return getr<A>(c, r * 8); }
template <class A> inline void advance(Cpu& c, Gpr r, u64 delta) {
    setr<A>(c, r * 8, static_cast<A>(getr<A>(c, r * 8) + delta));
}
// The Intel rule for a zero count with 32-bit addressing (see the file header):
// the registers in `regs` are rewritten, zero-extended.
template <class A, bool Rep> inline void zero_count_writes(Cpu& c, std::initializer_list<Gpr> regs) {
    if constexpr (Rep && sizeof(A) == 4)
        if (getr<A>(c, RCX * 8) == 0 && c.vendor == Vendor::Intel)
            for (Gpr r : regs) setr<A>(c, r * 8, getr<A>(c, r * 8));
}
inline void charge_iteration(Cpu& c) { c.cycles += timing::cost(Cls::String, false); }

// Iterations one handler call runs at most; see the file header.
constexpr u64 kRepChunk = u64(1) << 16;

// Runs `body` once, or RCX times with a REP prefix. `body` returns false to
// stop early (REPE/REPNE termination), after RCX has been decremented. Returns
// true when the instruction is complete (the caller then moves RIP on), false
// when a chunk of kRepChunk iterations ran and RCX is not yet zero: RIP stays
// at the instruction, the block ends, and the next step resumes the loop.
// `bulk(max)` may do up to `max` iterations at once (updating RSI/RDI, not
// RCX) and returns how many it did; 0 sends the next iteration through `body`.
template <class A, bool Rep, class F, class B> inline bool repeat(Cpu& c, F body, B bulk) {
    if constexpr (!Rep) {
        body();
        return true;
    } else {
        for (u64 n = 0; getr<A>(c, RCX * 8) != 0;) {
            if (n >= kRepChunk || (n > 0 && rep_stop_after_iteration(c))) {
                rep_unfinished(c);
                return false;
            }
            const A left = getr<A>(c, RCX * 8);
            if (u64 k = (c.s.rflags & fl::TF) ? 0 : bulk(std::min<u64>(left, kRepChunk - n))) {
                setr<A>(c, RCX * 8, static_cast<A>(left - k));
                c.cycles += k * timing::cost(Cls::String, false);
                n += k;
                continue;
            }
            bool more = body();
            setr<A>(c, RCX * 8, static_cast<A>(getr<A>(c, RCX * 8) - 1));
            charge_iteration(c);
            ++n;
            if (!more) break;
        }
        return true;
    }
}
template <class A, bool Rep, class F> inline bool repeat(Cpu& c, F body) {
    return repeat<A, Rep>(c, body, [](u64) { return u64(0); });
}

// ---- the page-at-a-time path of REP MOVS / REP STOS ----------------------------
// In 64-bit addressing, a run of elements that lies inside one source page and
// one destination page, both plain RAM, moves with one memmove/fill. It ends
// exactly where the element loop would take a different path: the first
// element of a run is translated like the element loop's first access (same
// address, same access kind, same order, so a #PF reports the same CR2 and
// error code with the registers of the completed iterations); anything else (a
// non-canonical address, an element crossing a page, MMIO, a page holding
// decoded code, source and destination overlapping) falls back to the element
// loop for one iteration.

// Whole elements of W bytes from the current one at `a` to the page edge in
// the direction of travel (0 when the current element crosses the page end).
inline u64 room(u64 a, u64 W, bool down) {
    u64 off = a & 0xFFF;
    if (off + W > 0x1000) return 0;
    return down ? off / W + 1 : (0x1000 - off) / W;
}

// Host pointer for linear `a` (the current element), or nullptr when the bulk
// path does not apply. May raise the fault the element access would. `pa`
// gets the physical address.
inline u8* host(Cpu& c, u64 a, Access kind, u64& pa) {
    if (!is_canonical(a) || c.data_watched(a)) return nullptr;  // a data breakpoint: element by element
    pa = c.translate(a, kind);
    u8* page = kind == Access::Write ? c.bus().ram_page_for_write(pa) : c.bus().ram_page(pa);
    if (!page || (kind == Access::Write && c.code_cache().is_code_page(pa >> 12))) return nullptr;
    return page + (pa & 0xFFF);
}

template <class T> u64 bulk_movs(Cpu& c, u64 src, u64 dst, bool down, u64 max) {
    constexpr u64 W = sizeof(T);
    const u64 k = std::min({max, room(src, W, down), room(dst, W, down)});
    if (k < 2) return 0;
    const u64 span = (k - 1) * W;  // from the lowest element to the current one
    const u64 lo_s = down ? src - span : src, lo_d = down ? dst - span : dst;
    if (lo_s < lo_d + k * W && lo_d < lo_s + k * W) return 0;  // overlapping runs: element order matters
    u64 pa_s, pa_d;
    u8* hs = host(c, src, Access::Read, pa_s);
    if (!hs) return 0;
    u8* hd = host(c, dst, Access::Write, pa_d);
    if (!hd) return 0;
    u8* from = down ? hs - span : hs;
    u8* to = down ? hd - span : hd;
    if (from < to + k * W && to < from + k * W) return 0;  // two linear pages on one physical page
    std::memcpy(to, from, k * W);
    if (timing::Model* m = c.timing_model()) [[unlikely]]
        m->string_run(c, true, lo_s, down ? pa_s - span : pa_s, lo_d, down ? pa_d - span : pa_d, k * W);
    return k;
}

template <class T> u64 bulk_stos(Cpu& c, u64 dst, T v, bool down, u64 max) {
    constexpr u64 W = sizeof(T);
    const u64 k = std::min(max, room(dst, W, down));
    if (k < 2) return 0;
    u64 pa;
    u8* hd = host(c, dst, Access::Write, pa);
    if (!hd) return 0;
    u8* to = down ? hd - (k - 1) * W : hd;
    for (u64 n = 0; n < k; ++n) std::memcpy(to + n * W, &v, W);
    if (timing::Model* m = c.timing_model()) [[unlikely]]
        m->string_run(c, false, 0, 0, down ? dst - (k - 1) * W : dst, down ? pa - (k - 1) * W : pa, k * W);
    return k;
}

// REPE continues while ZF=1, REPNE while ZF=0 (i.rep: 1 REPE, 2 REPNE).
inline bool rep_cond_holds(const Cpu& c, const Insn& i) {
    bool zf = c.s.rflags & fl::ZF;
    return i.rep == 1 ? zf : !zf;
}

// A4/A5 MOVS m,m
template <class T, class A, bool Rep> void MOVS(Cpu& c, const Insn& i) {
    zero_count_writes<A, Rep>(c, {RCX, RSI, RDI});
    const u64 d = step<T>(c), src_base = c.s.seg_base[i.seg], dst_base = c.s.seg_base[ES];
    const bool down = c.s.rflags & fl::DF;
    const bool done = repeat<A, Rep>(
        c,
        [&] {
            T v = c.read<T>(src_base + reg<A>(c, RSI));
            c.write<T>(dst_base + reg<A>(c, RDI), v);
            advance<A>(c, RSI, d);
            advance<A>(c, RDI, d);
            return true;
        },
        [&](u64 max) -> u64 {
            if constexpr (sizeof(A) != 8) return 0;
            u64 k = bulk_movs<T>(c, src_base + reg<A>(c, RSI), dst_base + reg<A>(c, RDI), down, max);
            advance<A>(c, RSI, d * k);
            advance<A>(c, RDI, d * k);
            return k;
        });
    if (done) next(c, i);
}
// AA/AB STOS m
template <class T, class A, bool Rep> void STOS(Cpu& c, const Insn& i) {
    zero_count_writes<A, Rep>(c, {RCX, RDI});
    const u64 d = step<T>(c), dst_base = c.s.seg_base[ES];
    const bool down = c.s.rflags & fl::DF;
    const T v = getr<T>(c, RAX * 8);
    const bool done = repeat<A, Rep>(
        c,
        [&] {
            c.write<T>(dst_base + reg<A>(c, RDI), v);
            advance<A>(c, RDI, d);
            return true;
        },
        [&](u64 max) -> u64 {
            if constexpr (sizeof(A) != 8) return 0;
            u64 k = bulk_stos<T>(c, dst_base + reg<A>(c, RDI), v, down, max);
            advance<A>(c, RDI, d * k);
            return k;
        });
    if (done) next(c, i);
}
// AC/AD LODS m
template <class T, class A, bool Rep> void LODS(Cpu& c, const Insn& i) {
    zero_count_writes<A, Rep>(c, {RCX});
    const u64 d = step<T>(c), src_base = c.s.seg_base[i.seg];
    const bool done = repeat<A, Rep>(c, [&] {
        setr<T>(c, RAX * 8, c.read<T>(src_base + reg<A>(c, RSI)));
        advance<A>(c, RSI, d);
        return true;
    });
    if (done) next(c, i);
}
// A6/A7 CMPS m,m: flags of [RSI] - [RDI]
template <class T, class A, bool Rep> void CMPS(Cpu& c, const Insn& i) {
    zero_count_writes<A, Rep>(c, {RCX});
    const u64 d = step<T>(c), src_base = c.s.seg_base[i.seg], dst_base = c.s.seg_base[ES];
    const bool done = repeat<A, Rep>(c, [&] {
        T a = c.read<T>(src_base + reg<A>(c, RSI));
        T b = c.read<T>(dst_base + reg<A>(c, RDI));
        alu::sub<T>(c.s.rflags, a, b);
        advance<A>(c, RSI, d);
        advance<A>(c, RDI, d);
        return rep_cond_holds(c, i);
    });
    if (done) next(c, i);
}
// AE/AF SCAS m: flags of rAX - [RDI]
template <class T, class A, bool Rep> void SCAS(Cpu& c, const Insn& i) {
    zero_count_writes<A, Rep>(c, {RCX});
    const u64 d = step<T>(c), dst_base = c.s.seg_base[ES];
    const T a = getr<T>(c, RAX * 8);
    const bool done = repeat<A, Rep>(c, [&] {
        alu::sub<T>(c.s.rflags, a, c.read<T>(dst_base + reg<A>(c, RDI)));
        advance<A>(c, RDI, d);
        return rep_cond_holds(c, i);
    });
    if (done) next(c, i);
}

enum class Op : u8 { Movs, Stos, Lods, Cmps, Scas };

inline bool gpr_base_is_rsi(ZydisRegister r) {
    return r == ZYDIS_REGISTER_RSI || r == ZYDIS_REGISTER_ESI || r == ZYDIS_REGISTER_SI;
}

template <Op O, class T, class A, bool Rep> constexpr Handler pick_op() {
    if constexpr (O == Op::Movs) return &MOVS<T, A, Rep>;
    else if constexpr (O == Op::Stos) return &STOS<T, A, Rep>;
    else if constexpr (O == Op::Lods) return &LODS<T, A, Rep>;
    else if constexpr (O == Op::Cmps) return &CMPS<T, A, Rep>;
    else return &SCAS<T, A, Rep>;
}

// The element size comes from the mnemonic (MOVSB..MOVSQ), which Zydis also
// reports as the operand width.
template <Op O> bool build_string(Insn& i, const Decoded& d) {
    if (d.count() != 0) return false;  // not the string form
    // The source segment: the one the [RSI] operand names (DS or an override).
    i.seg = DS;
    for (int n = 0; n < d.in.operand_count; ++n) {
        const ZydisDecodedOperand& o = d.op[n];
        if (o.type == ZYDIS_OPERAND_TYPE_MEMORY && o.mem.segment >= ZYDIS_REGISTER_ES &&
            o.mem.segment <= ZYDIS_REGISTER_GS && gpr_base_is_rsi(o.mem.base))
            i.seg = static_cast<u8>(o.mem.segment - ZYDIS_REGISTER_ES);
    }
    const bool rep = i.rep != 0;
    auto with_asz = [&]<class A>() -> Handler {
        return by_width(i.osz, [&]<class T>() {
            return rep ? pick_op<O, T, A, true>() : pick_op<O, T, A, false>();
        });
    };
    if (i.asz == 8) i.fn = with_asz.template operator()<u64>();
    else if (i.asz == 4) i.fn = with_asz.template operator()<u32>();
    else i.fn = with_asz.template operator()<u16>();
    i.cycles = cost(Cls::String, d, true);
    return true;
}

template <Builder Sse> bool build_movsd_or_sse(Insn& i, const Decoded& d) {
    if (d.in.meta.category != ZYDIS_CATEGORY_STRINGOP) return Sse(i, d);
    return build_string<Op::Movs>(i, d);
}
template <Builder Sse> bool build_cmpsd_or_sse(Insn& i, const Decoded& d) {
    if (d.in.meta.category != ZYDIS_CATEGORY_STRINGOP) return Sse(i, d);
    return build_string<Op::Cmps>(i, d);
}

const BuilderEntry kBuilders[] = {
    {ZYDIS_MNEMONIC_MOVSB, build_string<Op::Movs>},
    {ZYDIS_MNEMONIC_MOVSW, build_string<Op::Movs>},
    {ZYDIS_MNEMONIC_MOVSD, build_movsd_or_sse<build_sse_movsd>},
    {ZYDIS_MNEMONIC_MOVSQ, build_string<Op::Movs>},
    {ZYDIS_MNEMONIC_STOSB, build_string<Op::Stos>},
    {ZYDIS_MNEMONIC_STOSW, build_string<Op::Stos>},
    {ZYDIS_MNEMONIC_STOSD, build_string<Op::Stos>},
    {ZYDIS_MNEMONIC_STOSQ, build_string<Op::Stos>},
    {ZYDIS_MNEMONIC_LODSB, build_string<Op::Lods>},
    {ZYDIS_MNEMONIC_LODSW, build_string<Op::Lods>},
    {ZYDIS_MNEMONIC_LODSD, build_string<Op::Lods>},
    {ZYDIS_MNEMONIC_LODSQ, build_string<Op::Lods>},
    {ZYDIS_MNEMONIC_CMPSB, build_string<Op::Cmps>},
    {ZYDIS_MNEMONIC_CMPSW, build_string<Op::Cmps>},
    {ZYDIS_MNEMONIC_CMPSD, build_cmpsd_or_sse<build_sse_cmpsd>},
    {ZYDIS_MNEMONIC_CMPSQ, build_string<Op::Cmps>},
    {ZYDIS_MNEMONIC_SCASB, build_string<Op::Scas>},
    {ZYDIS_MNEMONIC_SCASW, build_string<Op::Scas>},
    {ZYDIS_MNEMONIC_SCASD, build_string<Op::Scas>},
    {ZYDIS_MNEMONIC_SCASQ, build_string<Op::Scas>},
};

}  // namespace

std::span<const BuilderEntry> string_builders() { return kBuilders; }

}  // namespace sy
