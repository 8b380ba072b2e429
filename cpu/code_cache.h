// The decode cache. Instructions are decoded once into blocks (straight-line runs
// ending at a control transfer, a page end or kMaxBlock instructions) and reused
// until a write touches the page they came from. Blocks are keyed by linear RIP
// and the physical address it maps to, so a CR3 change never runs stale code.
//
// Self-modifying code: when a page first holds decoded code, every attached CPU
// drops its write-TLB entries; all writes to that page then take the slow path,
// which calls invalidate_page() and makes the writing CPU end its block.
#pragma once
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "insn.h"
#include "system.h"

namespace sy {

class Cpu;

struct Block {
    u64 la = 0;       // linear address of the first instruction
    u64 pa = 0;       // its physical address
    u8 ctx = 0;                // decode context: mode and FPU/SSE enables (Cpu::decode_ctx)
    u64 cs_base = 0;           // branch targets in the records are CS offsets
    // Block chaining: the blocks that ran after this one, with the cache
    // generation and CPU fetch epoch they are valid for (Cpu::run).
    struct Link {
        u64 la = ~0ull;
        Block* next = nullptr;
        u64 generation = 0, epoch = 0;
    };
    Link links[2];
    u8 next_link = 0;
    u64 pages[2] = {~0ull, ~0ull};  // physical pages the bytes came from
    std::vector<Insn> insns;
};

class CodeCache {
public:
    static constexpr size_t kMaxBlock = 64;

    // The block starting at linear `la` (physical `pa`), decoding it if needed.
    // May throw Fault (fetch from an unmapped page).
    Block* lookup(Cpu& cpu, u64 la, u64 pa, u8 ctx, u64 cs_base) {
        Block* b = fast_[hash(la)];
        if (b && b->la == la && b->pa == pa && b->ctx == ctx && b->cs_base == cs_base) [[likely]] return b;
        return lookup_slow(cpu, la, pa, ctx, cs_base);
    }
    bool is_code_page(u64 ppage) const { return by_page_.count(ppage) != 0; }
    // Drops every block decoded from physical page `ppage`.
    void invalidate_page(u64 ppage);
    void invalidate_all();
    void attach(Cpu* cpu) { cpus_.push_back(cpu); }

    // Debugger trap records (observer.h): every instruction decoded at linear
    // address `la`, now and later, asks the running CPU's observer before it
    // runs. Costs nothing at other addresses.
    void set_trap(u64 la);
    void clear_trap(u64 la);
    bool has_traps() const { return !traps_.empty(); }
    // The handler a trap record stands in for.
    Handler trapped_handler(const Insn* insn) const;
    void detach(Cpu* cpu);

    // Statistics, for tests and the benchmark.
    u64 blocks_built = 0;
    u64 insns_decoded = 0;
    u64 invalidations = 0;
    // Incremented whenever a block is dropped: chain links of an older
    // generation may point at freed blocks and are not followed.
    u64 generation = 0;

private:
    static constexpr size_t kFast = 1 << 14;
    static size_t hash(u64 la) { return (la ^ (la >> 14)) & (kFast - 1); }
    Block* lookup_slow(Cpu& cpu, u64 la, u64 pa, u8 ctx, u64 cs_base);
    Block* build(Cpu& cpu, u64 la, u64 pa, u8 ctx, u64 cs_base);
    void drop(Block* b);
    // Puts trap records on (or takes them off) the instructions of `b` at `la`.
    void patch_traps(Block& b, u64 la, bool on);
    void free_graveyard();

    struct Key {
        u64 la, pa;
        u8 ctx;
        u64 cs_base;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const {
            return k.la * 0x9E3779B97F4A7C15ull ^ k.pa ^ (static_cast<size_t>(k.ctx) << 56);
        }
    };
    Block* fast_[kFast] = {};
    std::unordered_map<Key, std::unique_ptr<Block>, KeyHash> blocks_;
    std::unordered_map<u64, std::vector<Block*>> by_page_;
    // Blocks dropped while possibly executing; freed at the next lookup.
    std::vector<std::unique_ptr<Block>> graveyard_;
    std::vector<Cpu*> cpus_;
    std::unordered_set<u64> traps_;
    std::unordered_map<const Insn*, Handler> trapped_;  // trap record -> the instruction's handler
};

}  // namespace sy
