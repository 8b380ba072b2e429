// The timing TLBs (tlb.h).
#include "tlb.h"

namespace sy::timing {

void TlbArray::init(TlbGeometry g) {
    sets_ = g.sets();
    ways_ = g.ways;
    e_.assign(g.entries, Entry{});
    clock_ = 0;
}

const TlbArray::Entry* TlbArray::find(u64 vpn, PageSize size, u16 pcid) {
    const u32 base = (u32(vpn) & (sets_ - 1)) * ways_;
    for (u32 w = 0; w < ways_; ++w) {
        Entry& e = e_[base + w];
        if (e.vpn == vpn && e.size == size && (e.global || e.pcid == pcid)) {
            e.stamp = ++clock_;
            return &e;
        }
    }
    return nullptr;
}

void TlbArray::insert(u64 vpn, PageSize size, u16 pcid, bool global) {
    const u32 base = (u32(vpn) & (sets_ - 1)) * ways_;
    u32 best = base;
    for (u32 w = 0; w < ways_; ++w) {
        const Entry& e = e_[base + w];
        if (e.vpn == kEmpty) {
            best = base + w;
            break;
        }
        if (e.stamp < e_[best].stamp) best = base + w;
    }
    e_[best] = Entry{vpn, ++clock_, pcid, size, global};
}

Tlbs::Tlbs(const CoreParams& p) {
    itlb_4k_.init(p.itlb_4k);
    itlb_2m_.init(p.itlb_2m);
    dtlb_4k_.init(p.dtlb_4k);
    dtlb_2m_.init(p.dtlb_2m);
    dtlb_1g_.init(p.dtlb_1g);
    stlb_.init(p.stlb);
    stlb_1g_.init(p.stlb_1g);
}

TlbArray& Tlbs::first(bool fetch, PageSize s) {
    if (fetch) return s == PageSize::k4K ? itlb_4k_ : itlb_2m_;
    return s == PageSize::k4K ? dtlb_4k_ : s == PageSize::k2M ? dtlb_2m_ : dtlb_1g_;
}

Tlbs::Hit Tlbs::lookup(bool fetch, u64 la, u16 pcid) {
    Last& last = last_[fetch];
    if (last.valid && (la & ~last.mask) == last.base && last.pcid == pcid) return Hit::L1;
    // The first level: every page size the side has, as the hardware probes them.
    static constexpr PageSize kSizes[] = {PageSize::k4K, PageSize::k2M, PageSize::k1G};
    for (PageSize s : kSizes) {
        if (fetch && s == PageSize::k1G) break;
        if (first(fetch, s).find(la >> page_shift(s), s, pcid)) {
            const u64 mask = (1ull << page_shift(s)) - 1;
            last = Last{true, la & ~mask, mask, pcid};
            return Hit::L1;
        }
    }
    // The STLB (4 KiB and 2 MiB in one array, 1 GiB in its own).
    for (PageSize s : kSizes) {
        TlbArray& t = s == PageSize::k1G ? stlb_1g_ : stlb_;
        const TlbArray::Entry* e = t.find(la >> page_shift(s), s, pcid);
        if (!e) continue;
        // Refill the first level; a 1 GiB page enters the ITLB as its 2 MiB piece.
        PageSize fs = fetch && s == PageSize::k1G ? PageSize::k2M : s;
        first(fetch, fs).insert(la >> page_shift(fs), fs, e->pcid, e->global);
        forget_last();
        return Hit::Stlb;
    }
    return Hit::Miss;
}

void Tlbs::fill(bool fetch, u64 la, u16 pcid, PageSize size, bool global) {
    (size == PageSize::k1G ? stlb_1g_ : stlb_).insert(la >> page_shift(size), size, pcid, global);
    PageSize fs = fetch && size == PageSize::k1G ? PageSize::k2M : size;
    first(fetch, fs).insert(la >> page_shift(fs), fs, pcid, global);
    forget_last();
}

void Tlbs::flush_all() {
    for (TlbArray* t : {&itlb_4k_, &itlb_2m_, &dtlb_4k_, &dtlb_2m_, &dtlb_1g_, &stlb_, &stlb_1g_})
        t->drop_if([](const TlbArray::Entry&) { return true; });
    forget_last();
}

void Tlbs::flush_nonglobal() {
    for (TlbArray* t : {&itlb_4k_, &itlb_2m_, &dtlb_4k_, &dtlb_2m_, &dtlb_1g_, &stlb_, &stlb_1g_})
        t->drop_if([](const TlbArray::Entry& e) { return !e.global; });
    forget_last();
}

void Tlbs::flush_pcid(u16 pcid) {
    for (TlbArray* t : {&itlb_4k_, &itlb_2m_, &dtlb_4k_, &dtlb_2m_, &dtlb_1g_, &stlb_, &stlb_1g_})
        t->drop_if([pcid](const TlbArray::Entry& e) { return !e.global && e.pcid == pcid; });
    forget_last();
}

void Tlbs::flush_page(u64 la) {
    for (TlbArray* t : {&itlb_4k_, &itlb_2m_, &dtlb_4k_, &dtlb_2m_, &dtlb_1g_, &stlb_, &stlb_1g_})
        t->drop_if([la](const TlbArray::Entry& e) { return e.vpn == la >> page_shift(e.size); });
    forget_last();
}

}  // namespace sy::timing
