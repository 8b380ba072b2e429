// Decode cache: see code_cache.h.
#include "code_cache.h"

#include <algorithm>

#include "cpu.h"
#include "decode.h"

namespace sy {

namespace {
// Linear address of the page after the one `la` is in (the second page of a
// straddling instruction); Cpu::fetch_phys applies the mode's wrap-around.
u64 next_page(u64 la) { return (la | 0xFFF) + 1; }

// The handler of a trap record: the observer decides whether the CPU stops
// before the instruction; if not, the instruction runs as decoded.
void trap_record(Cpu& cpu, const Insn& insn) {
    if (cpu.observer && cpu.observer->trap(cpu)) throw DebugStop{};
    cpu.code_cache().trapped_handler(&insn)(cpu, insn);
}

}  // namespace

Handler CodeCache::trapped_handler(const Insn* insn) const { return trapped_.at(insn); }

// Whether block `b` may have an instruction at `la`: its instructions all
// start in its first page, in any order when it goes on through a JMP or CALL
// (CodeCache::build), so a callee may lie below the block's start.
static bool may_start_in(const Block& b, u64 la) { return (la >> 12) == (b.la >> 12); }

void CodeCache::patch_traps(Block& b, u64 la, bool on) {
    u64 a = b.la;
    for (size_t k = 0; k < b.insns.size(); a = b.next_la(k, a), ++k) {
        Insn& i = b.insns[k];
        if (a == la) {
            if (on && i.fn != trap_record) {
                trapped_[&i] = i.fn;
                i.fn = trap_record;
            } else if (!on && i.fn == trap_record) {
                i.fn = trapped_.at(&i);
                trapped_.erase(&i);
            }
        }
    }
}

void CodeCache::set_trap(u64 la) {
    if (!traps_.insert(la).second) return;
    for (auto& [k, b] : blocks_)
        if (may_start_in(*b, la)) patch_traps(*b, la, true);
}

void CodeCache::clear_trap(u64 la) {
    if (!traps_.erase(la)) return;
    for (auto& [k, b] : blocks_)
        if (may_start_in(*b, la)) patch_traps(*b, la, false);
}

void CodeCache::free_graveyard() {
    if (!trapped_.empty())
        for (auto& b : graveyard_)
            for (const Insn& i : b->insns) trapped_.erase(&i);
    graveyard_.clear();
}

Block* CodeCache::find(const Key& key) const {
    auto it = blocks_.find(key);
    return it != blocks_.end() ? it->second.get() : nullptr;
}

Block* CodeCache::lookup_slow(Cpu& cpu, u64 la, u64 pa, u8 ctx, u64 cs_base) {
    free_graveyard();
    const Key key{la, pa, ctx, cs_base};
    Block* b = find(key);
    // The key names the first page only. A straddling instruction is reused
    // only while its second page still translates to the page its bytes came
    // from; otherwise it is decoded again (and a fetch fault there is raised).
    if (b && b->straddles()) {
        const u64 second = cpu.fetch_phys(next_page(la)) >> 12;
        b = find(key);  // that walk's A/D writes may have dropped it
        if (b && second != b->bytes[1].page) {
            drop(b);
            b = nullptr;
        }
    }
    if (!b) b = build(cpu, la, pa, ctx, cs_base);
    if (!b->straddles()) fast_[hash(la)] = b;
    return b;
}

Block* CodeCache::build(Cpu& cpu, u64 la, u64 pa, u8 ctx, u64 cs_base) {
    auto blk = std::make_unique<Block>();
    blk->la = la;
    blk->pa = pa;
    blk->ctx = ctx;
    blk->cs_base = cs_base;
    const u16 start = static_cast<u16>(pa & 0xFFF);
    blk->bytes[0] = Block::Bytes{pa >> 12, start, start};
    u64 cur = la;
    u8 buf[32];
    for (size_t n = 0; n < kMaxBlock; ++n) {
        // Fetch up to the end of this page; an instruction that crosses the page
        // boundary needs the next page too, fetched (and faulting) like a read.
        size_t in_page = 0x1000 - (cur & 0xFFF);
        size_t want = std::min<size_t>(in_page, ZYDIS_MAX_INSTRUCTION_LENGTH);
        cpu.fetch_bytes(cur, buf, want);
        Insn insn;
        timing::Facts facts;
        bool ends;
        if (!decode_one(buf, want, cur - cs_base, ctx, insn, &ends, &facts)) {
            if (n > 0) break;  // let the crossing instruction start its own block
            cpu.fetch_bytes(cur, buf, ZYDIS_MAX_INSTRUCTION_LENGTH);
            decode_one(buf, ZYDIS_MAX_INSTRUCTION_LENGTH, cur - cs_base, ctx, insn, &ends, &facts);
            ends = true;
            if (insn.len > in_page)
                blk->bytes[1] = Block::Bytes{cpu.fetch_phys(next_page(cur)) >> 12, 0, static_cast<u16>(insn.len - in_page)};
        }
        blk->insns.push_back(insn);
        blk->facts.push_back(facts);
        ++insns_decoded;
        // The bytes of a superblock: one range of the page from its lowest
        // to its highest decoded byte (a store between the pieces drops it
        // too, which is only slower).
        Block::Bytes& r = blk->bytes[0];
        r.begin = std::min<u16>(r.begin, static_cast<u16>(cur & 0xFFF));
        r.end = std::max<u16>(r.end, static_cast<u16>(std::min<u64>(0x1000, (cur & 0xFFF) + insn.len)));
        // A direct JMP or CALL into this page: the block goes on at the
        // target (Block::next_la), so the call/ret pair and the loop around
        // it need one block fewer. Bytes that straddle stay alone.
        const u64 target = cs_base + insn.imm;
        if ((facts.flow == timing::Flow::Jmp || facts.flow == timing::Flow::Call) && !blk->straddles() &&
            (target >> 12) == (la >> 12) && n + 1 < kMaxBlock) {
            cur = target;
            continue;
        }
        cur += insn.len;
        if (ends || (cur & 0xFFF) == 0 || (cur >> 12) != (la >> 12)) break;
    }
    ++blocks_built;
    Block* b = blk.get();
    if (!traps_.empty())
        for (u64 t : traps_)
            if (may_start_in(*b, t)) patch_traps(*b, t, true);
    add_to_pages(b);
    blocks_.emplace(Key{la, pa, ctx, cs_base}, std::move(blk));
    return b;
}

void CodeCache::add_to_pages(Block* b) {
    for (const Block::Bytes& r : b->bytes) {
        if (r.page == ~0ull) continue;
        auto [it, fresh] = pages_.try_emplace(r.page);
        CodePage& p = it->second;
        // Write-TLB entries made before the page ever held code carry no
        // pointer to its lines: those (and only those) must go.
        if (fresh)
            for (Cpu* c : cpus_)
                if (const u8* host = c->bus().ram_page(r.page << 12)) c->forget_write_page(host);
        if (std::find(p.blocks.begin(), p.blocks.end(), b) == p.blocks.end()) p.blocks.push_back(b);
        p.lines |= code_line_mask(r.begin, r.end);
    }
}

void CodeCache::drop(Block* b) {
    ++generation;
    fast_[hash(b->la)] = fast_[hash(b->la)] == b ? nullptr : fast_[hash(b->la)];
    for (const Block::Bytes& r : b->bytes) {
        if (r.page == ~0ull) continue;
        CodePage& p = pages_[r.page];
        p.blocks.erase(std::remove(p.blocks.begin(), p.blocks.end(), b), p.blocks.end());
        p.lines = 0;
        for (const Block* o : p.blocks)
            for (const Block::Bytes& q : o->bytes)
                if (q.page == r.page) p.lines |= code_line_mask(q.begin, q.end);
    }
    auto it = blocks_.find(Key{b->la, b->pa, b->ctx, b->cs_base});
    if (it != blocks_.end()) {
        graveyard_.push_back(std::move(it->second));
        blocks_.erase(it);
    }
}

bool CodeCache::store(u64 pa, unsigned size) {
    auto it = pages_.find(pa >> 12);
    if (it == pages_.end()) return false;
    const u64 page = pa >> 12, begin = pa & 0xFFF, end = begin + size;
    if (!(it->second.lines & code_line_mask(begin, end))) return false;
    std::vector<Block*> victims;
    for (Block* b : it->second.blocks)
        for (const Block::Bytes& r : b->bytes)
            if (r.page == page && r.begin < end && begin < r.end) {
                victims.push_back(b);
                break;
            }
    for (Block* b : victims) drop(b);
    invalidations += victims.size();
    return !victims.empty();
}

void CodeCache::invalidate_page(u64 ppage) {
    auto it = pages_.find(ppage);
    if (it == pages_.end()) return;
    std::vector<Block*> victims = it->second.blocks;
    for (Block* b : victims) drop(b);
    invalidations += victims.size();
}

void CodeCache::invalidate_all() {
    ++generation;
    for (auto& [k, b] : blocks_) graveyard_.push_back(std::move(b));
    invalidations += blocks_.size();
    blocks_.clear();
    for (auto& [page, p] : pages_) p = CodePage{};
    std::fill(std::begin(fast_), std::end(fast_), nullptr);
}

void CodeCache::detach(Cpu* cpu) { cpus_.erase(std::remove(cpus_.begin(), cpus_.end(), cpu), cpus_.end()); }

}  // namespace sy
