// The detailed timing model's parameters: one named core, Intel Skylake client
// (Core i7-6700K class), in one table. Everything the model charges comes from
// here or from the instruction timing table (cpu/timing.h); docs/timing.md
// tables each value beside the published figure it comes from and beside what
// the calibration kernels measure.
//
// Sources (the `src` column of the table below):
//   ORM   Intel 64 and IA-32 Architectures Optimization Reference Manual,
//         Skylake client: Table 2-14 (caches), Table 2-15 (TLBs)
//   7cpu  7-cpu.com measurements of the i7-6700 (latencies, DRAM)
//   Agner Agner Fog, "The microarchitecture of Intel, AMD and VIA CPUs",
//         Skylake chapter (issue width, branch prediction, return stack)
//   est   an estimate, no published figure: each one is listed in
//         docs/timing.md under "Estimates"
//
// Clock: the machine's cycle clock runs at 2 GHz (Machine::kCpuHz); latencies
// published in nanoseconds are converted at that rate.
#pragma once
#include <array>
#include <string_view>

#include "types.h"

namespace sy::timing {

struct CacheGeometry {
    u32 bytes;    // capacity
    u32 ways;     // associativity
    u32 latency;  // load-to-use cycles of a hit at this level
    constexpr u32 lines() const { return bytes / 64; }
    constexpr u32 sets() const { return lines() / ways; }
};

struct TlbGeometry {
    u32 entries;
    u32 ways;
    constexpr u32 sets() const { return entries / ways; }
};

struct CoreParams {
    // ---- caches (64-byte lines) ----
    u32 line_bytes;
    CacheGeometry l1i, l1d, l2, llc;
    u32 dram_latency;       // load-to-use of an access that misses the LLC
    u32 snoop_latency;      // load-to-use of a line another core holds Modified/Exclusive
    u32 uncached_latency;   // an access to a page that is not RAM (MMIO)
    // ---- TLBs ----
    TlbGeometry itlb_4k, itlb_2m, dtlb_4k, dtlb_2m, dtlb_1g, stlb, stlb_1g;
    u32 stlb_hit_latency;   // added to an access whose first-level TLB misses and STLB hits
    u32 walk_latency;       // fixed part of a page walk; each entry read adds its cache latency
    // ---- branch prediction ----
    u32 gshare_bits;        // log2 of the direction predictor's 2-bit counters
    u32 history_bits;       // global history of conditional branch outcomes
    TlbGeometry btb;        // branch target buffer (entries, ways)
    u32 indirect_bits;      // log2 of the indirect target predictor's entries
    u32 rsb_entries;        // return stack buffer
    u32 mispredict_penalty; // cycles from a mispredicted branch to the correct path
    u32 resteer_penalty;    // a taken direct branch the BTB did not know: the decoder redirects
    // ---- the core ----
    u32 issue_width;        // instructions issued per cycle, in order
    // ---- string instructions (REP MOVS/STOS/...) ----
    u32 string_startup;     // fixed cost of a REP string instruction (fast-string microcode)
    u32 string_bytes_per_cycle;
    u32 fill_buffers;       // line misses a string instruction overlaps
    // ---- events ----
    u32 event_delivery;     // an exception or interrupt delivered through the IDT (64-bit mode)
};

inline constexpr CoreParams kSkylake{
    .line_bytes = 64,
    .l1i = {32 * 1024, 8, 4},
    .l1d = {32 * 1024, 8, 4},
    .l2 = {256 * 1024, 4, 12},
    .llc = {8 * 1024 * 1024, 16, 42},
    .dram_latency = 144,  // 42 cycles + 51 ns (7cpu) at 2 GHz
    .snoop_latency = 60,
    .uncached_latency = 144,
    .itlb_4k = {128, 8},
    .itlb_2m = {8, 8},
    .dtlb_4k = {64, 4},
    .dtlb_2m = {32, 4},
    .dtlb_1g = {4, 4},
    .stlb = {1536, 12},
    .stlb_1g = {16, 4},
    .stlb_hit_latency = 9,
    .walk_latency = 8,
    .gshare_bits = 14,
    .history_bits = 14,
    .btb = {4096, 4},
    .indirect_bits = 10,
    .rsb_entries = 16,
    .mispredict_penalty = 16,
    .resteer_penalty = 8,
    .issue_width = 4,
    .string_startup = 20,
    .string_bytes_per_cycle = 32,
    .fill_buffers = 10,
    .event_delivery = 150,
};

// The core the model is built for.
inline constexpr const CoreParams& kParams = kSkylake;
inline constexpr std::string_view kCoreName = "Intel Skylake client (Core i7-6700K class) at 2 GHz";

// The table as data, for `switchyard timing-params`, the calibration tests and
// docs/timing.md: name, value, where it comes from.
struct ParamRow {
    std::string_view name;
    u32 value;
    std::string_view unit;
    std::string_view src;
};

constexpr auto param_rows(const CoreParams& p) {
    return std::array{
        ParamRow{"line_bytes", p.line_bytes, "bytes", "ORM"},
        ParamRow{"l1i.bytes", p.l1i.bytes, "bytes", "ORM"},
        ParamRow{"l1i.ways", p.l1i.ways, "ways", "ORM"},
        ParamRow{"l1d.bytes", p.l1d.bytes, "bytes", "ORM"},
        ParamRow{"l1d.ways", p.l1d.ways, "ways", "ORM"},
        ParamRow{"l1d.latency", p.l1d.latency, "cycles", "ORM, 7cpu"},
        ParamRow{"l2.bytes", p.l2.bytes, "bytes", "ORM"},
        ParamRow{"l2.ways", p.l2.ways, "ways", "ORM"},
        ParamRow{"l2.latency", p.l2.latency, "cycles", "ORM, 7cpu"},
        ParamRow{"llc.bytes", p.llc.bytes, "bytes", "ORM (2 MiB per core, 4 cores)"},
        ParamRow{"llc.ways", p.llc.ways, "ways", "ORM"},
        ParamRow{"llc.latency", p.llc.latency, "cycles", "7cpu (ORM: 44)"},
        ParamRow{"dram.latency", p.dram_latency, "cycles", "7cpu: 42 cycles + 51 ns"},
        ParamRow{"snoop.latency", p.snoop_latency, "cycles", "est"},
        ParamRow{"uncached.latency", p.uncached_latency, "cycles", "est"},
        ParamRow{"itlb_4k.entries", p.itlb_4k.entries, "entries", "ORM"},
        ParamRow{"itlb_4k.ways", p.itlb_4k.ways, "ways", "ORM"},
        ParamRow{"itlb_2m.entries", p.itlb_2m.entries, "entries", "ORM"},
        ParamRow{"dtlb_4k.entries", p.dtlb_4k.entries, "entries", "ORM"},
        ParamRow{"dtlb_4k.ways", p.dtlb_4k.ways, "ways", "ORM"},
        ParamRow{"dtlb_2m.entries", p.dtlb_2m.entries, "entries", "ORM"},
        ParamRow{"dtlb_1g.entries", p.dtlb_1g.entries, "entries", "ORM"},
        ParamRow{"stlb.entries", p.stlb.entries, "entries", "ORM"},
        ParamRow{"stlb.ways", p.stlb.ways, "ways", "ORM"},
        ParamRow{"stlb_1g.entries", p.stlb_1g.entries, "entries", "ORM"},
        ParamRow{"stlb.hit_latency", p.stlb_hit_latency, "cycles", "7cpu"},
        ParamRow{"walk.latency", p.walk_latency, "cycles", "est"},
        ParamRow{"gshare.bits", p.gshare_bits, "log2 entries", "est"},
        ParamRow{"history.bits", p.history_bits, "branches", "est"},
        ParamRow{"btb.entries", p.btb.entries, "entries", "Agner (about 4096)"},
        ParamRow{"btb.ways", p.btb.ways, "ways", "est"},
        ParamRow{"indirect.bits", p.indirect_bits, "log2 entries", "est"},
        ParamRow{"rsb.entries", p.rsb_entries, "entries", "Agner"},
        ParamRow{"mispredict.penalty", p.mispredict_penalty, "cycles", "Agner (15-20), 7cpu"},
        ParamRow{"resteer.penalty", p.resteer_penalty, "cycles", "est"},
        ParamRow{"issue.width", p.issue_width, "instructions", "Agner"},
        ParamRow{"string.startup", p.string_startup, "cycles", "est"},
        ParamRow{"string.bytes_per_cycle", p.string_bytes_per_cycle, "bytes", "ORM (fast strings)"},
        ParamRow{"fill_buffers", p.fill_buffers, "lines", "ORM"},
        ParamRow{"event.delivery", p.event_delivery, "cycles", "est"},
    };
}

consteval bool params_consistent(const CoreParams& p) {
    auto pow2 = [](u32 v) { return v && !(v & (v - 1)); };
    for (CacheGeometry g : {p.l1i, p.l1d, p.l2, p.llc})
        if (g.bytes % (64 * g.ways) || !pow2(g.sets())) return false;
    for (TlbGeometry t : {p.itlb_4k, p.itlb_2m, p.dtlb_4k, p.dtlb_2m, p.dtlb_1g, p.stlb, p.stlb_1g, p.btb})
        if (t.entries % t.ways || !pow2(t.sets())) return false;
    return p.line_bytes == 64 && pow2(p.rsb_entries) && p.issue_width >= 1 && p.history_bits <= p.gshare_bits &&
           p.l1d.latency < p.l2.latency && p.l2.latency < p.llc.latency && p.llc.latency < p.dram_latency;
}
static_assert(params_consistent(kSkylake), "cache and TLB sets must be powers of two; latencies must grow by level");

}  // namespace sy::timing
