// Decode cache: see code_cache.h.
#include "code_cache.h"

#include <algorithm>

#include "cpu.h"
#include "decode.h"

namespace sy {

namespace {

// The handler of a trap record: the observer decides whether the CPU stops
// before the instruction; if not, the instruction runs as decoded.
void trap_record(Cpu& cpu, const Insn& insn) {
    if (cpu.observer && cpu.observer->trap(cpu)) throw DebugStop{};
    cpu.code_cache().trapped_handler(&insn)(cpu, insn);
}

}  // namespace

Handler CodeCache::trapped_handler(const Insn* insn) const { return trapped_.at(insn); }

void CodeCache::patch_traps(Block& b, u64 la, bool on) {
    u64 a = b.la;
    for (Insn& i : b.insns) {
        if (a == la) {
            if (on && i.fn != trap_record) {
                trapped_[&i] = i.fn;
                i.fn = trap_record;
            } else if (!on && i.fn == trap_record) {
                i.fn = trapped_.at(&i);
                trapped_.erase(&i);
            }
        }
        a += i.len;
    }
}

void CodeCache::set_trap(u64 la) {
    if (!traps_.insert(la).second) return;
    for (auto& [k, b] : blocks_)
        if (la >= b->la && la - b->la < 0x1000 * 2) patch_traps(*b, la, true);
}

void CodeCache::clear_trap(u64 la) {
    if (!traps_.erase(la)) return;
    for (auto& [k, b] : blocks_)
        if (la >= b->la && la - b->la < 0x1000 * 2) patch_traps(*b, la, false);
}

void CodeCache::free_graveyard() {
    if (!trapped_.empty())
        for (auto& b : graveyard_)
            for (const Insn& i : b->insns) trapped_.erase(&i);
    graveyard_.clear();
}

Block* CodeCache::lookup_slow(Cpu& cpu, u64 la, u64 pa, u8 ctx, u64 cs_base) {
    free_graveyard();
    auto it = blocks_.find(Key{la, pa, ctx, cs_base});
    Block* b = it != blocks_.end() ? it->second.get() : build(cpu, la, pa, ctx, cs_base);
    fast_[hash(la)] = b;
    return b;
}

Block* CodeCache::build(Cpu& cpu, u64 la, u64 pa, u8 ctx, u64 cs_base) {
    auto blk = std::make_unique<Block>();
    blk->la = la;
    blk->pa = pa;
    blk->ctx = ctx;
    blk->cs_base = cs_base;
    blk->pages[0] = pa >> 12;
    u64 cur = la;
    u8 buf[32];
    for (size_t n = 0; n < kMaxBlock; ++n) {
        // Fetch up to the end of this page; an instruction that crosses the page
        // boundary needs the next page too, fetched (and faulting) like a read.
        size_t in_page = 0x1000 - (cur & 0xFFF);
        size_t want = std::min<size_t>(in_page, ZYDIS_MAX_INSTRUCTION_LENGTH);
        cpu.fetch_bytes(cur, buf, want);
        Insn insn;
        bool ends;
        if (!decode_one(buf, want, cur - cs_base, ctx, insn, &ends)) {
            if (n > 0) break;  // let the crossing instruction start its own block
            cpu.fetch_bytes(cur, buf, ZYDIS_MAX_INSTRUCTION_LENGTH);
            blk->pages[1] = cpu.fetch_phys(cur + want) >> 12;
            decode_one(buf, ZYDIS_MAX_INSTRUCTION_LENGTH, cur - cs_base, ctx, insn, &ends);
            ends = true;
        }
        blk->insns.push_back(insn);
        ++insns_decoded;
        cur += insn.len;
        if (ends || (cur & 0xFFF) == 0 || (cur >> 12) != (la >> 12)) break;
    }
    ++blocks_built;
    Block* b = blk.get();
    if (!traps_.empty())
        for (u64 t : traps_)
            if (t >= b->la && t < cur) patch_traps(*b, t, true);
    for (u64 pg : b->pages) {
        if (pg == ~0ull) continue;
        auto& list = by_page_[pg];
        if (list.empty())
            for (Cpu* c : cpus_) c->flush_write_tlb();
        list.push_back(b);
    }
    blocks_.emplace(Key{la, pa, ctx, cs_base}, std::move(blk));
    return b;
}

void CodeCache::drop(Block* b) {
    ++generation;
    fast_[hash(b->la)] = fast_[hash(b->la)] == b ? nullptr : fast_[hash(b->la)];
    for (u64 pg : b->pages) {
        if (pg == ~0ull) continue;
        auto it = by_page_.find(pg);
        if (it == by_page_.end()) continue;
        auto& v = it->second;
        v.erase(std::remove(v.begin(), v.end(), b), v.end());
        if (v.empty()) by_page_.erase(it);
    }
    auto it = blocks_.find(Key{b->la, b->pa, b->ctx, b->cs_base});
    if (it != blocks_.end()) {
        graveyard_.push_back(std::move(it->second));
        blocks_.erase(it);
    }
}

void CodeCache::invalidate_page(u64 ppage) {
    auto it = by_page_.find(ppage);
    if (it == by_page_.end()) return;
    std::vector<Block*> victims = it->second;
    for (Block* b : victims) drop(b);
    ++invalidations;
}

void CodeCache::invalidate_all() {
    ++generation;
    for (auto& [k, b] : blocks_) graveyard_.push_back(std::move(b));
    blocks_.clear();
    by_page_.clear();
    std::fill(std::begin(fast_), std::end(fast_), nullptr);
    ++invalidations;
}

void CodeCache::detach(Cpu* cpu) { cpus_.erase(std::remove(cpus_.begin(), cpus_.end(), cpu), cpus_.end()); }

}  // namespace sy
