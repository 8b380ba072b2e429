// The decode cache. Instructions are decoded once into blocks (runs ending at a
// control transfer, a page end or kMaxBlock instructions; a direct JMP or CALL
// whose target is in the block's page does not end it, the block goes on at the
// target) and reused until a store overlaps their bytes. docs/cpu.md ("The
// decode cache") states the rules; in short:
//
// - Address spaces. A block is keyed by the linear address of its first
//   instruction *and* the physical address the running CPU's translation gives
//   for it, so a CR3 switch (with or without PCID preservation) or another CPU
//   in another address space never runs another space's bytes. An instruction
//   that straddles a page boundary starts its own one-instruction block, and
//   every lookup of such a block translates the second page again and compares
//   it with the page the bytes came from.
// - Chain links (Block::Link, Cpu::run) skip the lookup. A link is made and
//   followed only within one fetch epoch of one CPU: epochs come from this
//   cache's counter (new_epoch), so no two CPUs sharing the cache ever hold the
//   same one, and a CPU takes a new one whenever its fetch translation may
//   change (TLB flushes, CR3, mode and CPL changes).
// - Self-modifying code. The cache knows which 64-byte lines of each physical
//   page hold decoded bytes. A store that touches such a line takes the CPU's
//   slow path and drops exactly the blocks whose bytes it overlaps
//   (store()); stores elsewhere in the page go at full speed.
#pragma once
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "insn.h"
#include "system.h"
#include "timing/facts.h"

namespace sy {

class Cpu;

// The 64-byte lines of a page that bytes [begin, end) touch, as a bitmap (bit n:
// bytes 64n..64n+63). `end` > `begin`, both within the page.
constexpr unsigned kCodeLineShift = 6;
inline u64 code_line_mask(u64 begin, u64 end) {
    const u64 lo = begin >> kCodeLineShift, hi = (end - 1) >> kCodeLineShift;
    return ((2ull << hi) - 1) & (~0ull << lo);  // 2 << 63 wraps to 0: all lines up to 63
}

struct Block {
    u64 la = 0;       // linear address of the first instruction
    u64 pa = 0;       // its physical address
    u8 ctx = 0;                // decode context: mode and FPU/SSE enables (Cpu::decode_ctx)
    u64 cs_base = 0;           // branch targets in the records are CS offsets
    // Block chaining: the blocks that ran after this one, with the cache
    // generation and the fetch epoch of the CPU that made the link (Cpu::run).
    struct Link {
        u64 la = ~0ull;
        Block* next = nullptr;
        u64 generation = 0, epoch = 0;
    };
    Link links[2];
    u8 next_link = 0;
    // Where the bytes came from: [begin, end) of a physical page, and for an
    // instruction that straddles into the next linear page, the bytes it has there.
    struct Bytes {
        u64 page = ~0ull;  // physical page number
        u16 begin = 0, end = 0;
    };
    Bytes bytes[2];
    bool straddles() const { return bytes[1].page != ~0ull; }
    std::vector<Insn> insns;
    // What the detailed timing model needs of each instruction (insns[k]'s in facts[k]).
    std::vector<timing::Facts> facts;
    // The linear address of the instruction after insns[k] (at `la`) in the
    // block: a direct JMP or CALL that is not the block's last goes on at its
    // target (a superblock, CodeCache::build), anything else at la + length.
    u64 next_la(size_t k, u64 la) const {
        const bool jumps = facts[k].flow == timing::Flow::Jmp || facts[k].flow == timing::Flow::Call;
        return jumps && k + 1 < insns.size() ? cs_base + insns[k].imm : la + insns[k].len;
    }
};

class CodeCache {
public:
    static constexpr size_t kMaxBlock = 64;

    // The block starting at linear `la` (physical `pa`), decoding it if needed.
    // May throw Fault (fetch from an unmapped page). Straddling blocks never sit
    // in the fast table: their second page is checked on every lookup.
    Block* lookup(Cpu& cpu, u64 la, u64 pa, u8 ctx, u64 cs_base) {
        Block* b = fast_[hash(la)];
        if (b && b->la == la && b->pa == pa && b->ctx == ctx && b->cs_base == cs_base) [[likely]] return b;
        return lookup_slow(cpu, la, pa, ctx, cs_base);
    }
    // The bitmap of the 64-byte lines of physical page `ppage` that hold decoded
    // bytes, or nullptr if the page never held any. The bitmap stays at its
    // address for the life of the cache, so write-TLB entries may point at it.
    const u64* code_lines(u64 ppage) const {
        auto it = pages_.find(ppage);
        return it == pages_.end() ? nullptr : &it->second.lines;
    }
    bool is_code_page(u64 ppage) const {
        const u64* lines = code_lines(ppage);
        return lines && *lines;
    }
    // A guest store of `size` bytes at physical `pa` (inside one page): drops
    // the blocks whose bytes it overlaps. True if it dropped any, in which case
    // the storing CPU must end the block it is running.
    bool store(u64 pa, unsigned size);
    // Drops every block with bytes in physical page `ppage` (host-side writes).
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
    // A fetch epoch no CPU of this cache has had before (see the top of this file).
    u64 new_epoch() { return ++epochs_; }

    // Statistics, for tests and the benchmark.
    u64 blocks_built = 0;
    u64 insns_decoded = 0;
    u64 invalidations = 0;  // blocks dropped because their bytes were written
    // Incremented whenever a block is dropped: chain links of an older
    // generation may point at freed blocks and are not followed.
    u64 generation = 0;

private:
    static constexpr size_t kFast = 1 << 14;
    static size_t hash(u64 la) { return (la ^ (la >> 14)) & (kFast - 1); }
    struct Key;
    Block* find(const Key& key) const;
    Block* lookup_slow(Cpu& cpu, u64 la, u64 pa, u8 ctx, u64 cs_base);
    Block* build(Cpu& cpu, u64 la, u64 pa, u8 ctx, u64 cs_base);
    void drop(Block* b);
    void add_to_pages(Block* b);
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
    // What the cache knows about one physical page. Never erased (write-TLB
    // entries point at `lines`); emptied when its last block goes.
    struct CodePage {
        u64 lines = 0;               // code_line_mask of every block's bytes here
        std::vector<Block*> blocks;  // the blocks with bytes in this page
    };
    Block* fast_[kFast] = {};
    std::unordered_map<Key, std::unique_ptr<Block>, KeyHash> blocks_;
    std::unordered_map<u64, CodePage> pages_;
    // Blocks dropped while possibly executing; freed at the next lookup.
    std::vector<std::unique_ptr<Block>> graveyard_;
    std::vector<Cpu*> cpus_;
    u64 epochs_ = 0;
    std::unordered_set<u64> traps_;
    std::unordered_map<const Insn*, Handler> trapped_;  // trap record -> the instruction's handler
};

}  // namespace sy
