// The detailed model's TLBs (sizes from params.h, Skylake's Table 2-15):
// first-level ITLB (4 KiB, 2 MiB) and DTLB (4 KiB, 2 MiB, 1 GiB), and the
// second-level STLB shared by both (4 KiB and 2 MiB together, 1 GiB apart).
// A first-level miss that hits the STLB costs stlb_hit_latency; a miss in both
// walks the page tables through the data caches (core.cpp). These are timing
// structures beside the architectural TLB (cpu/mmu.cpp): they decide what an
// access costs, never what it translates to.
//
// Entries are tagged with the PCID and the global bit and are flushed as the
// SDM says the architectural TLB is (Vol. 3A, 4.10.4): MOV to CR3 without
// CR4.PCIDE drops every non-global entry; with PCIDE, the entries of the new
// PCID unless bit 63 was set; INVLPG the page at any size and PCID; INVPCID by
// its type; CR0/CR4 paging changes everything. A 1 GiB instruction page is held
// as the 2 MiB piece that was fetched from.
#pragma once
#include <vector>

#include "params.h"

namespace sy::timing {

enum class PageSize : u8 { k4K, k2M, k1G };
constexpr unsigned page_shift(PageSize s) { return s == PageSize::k4K ? 12 : s == PageSize::k2M ? 21 : 30; }

class TlbArray {
public:
    void init(TlbGeometry g);
    struct Entry;
    // The entry for virtual page `vpn` (the address >> the size's shift) that
    // `pcid` may use, made most recently used; nullptr if there is none.
    const Entry* find(u64 vpn, PageSize size, u16 pcid);
    void insert(u64 vpn, PageSize size, u16 pcid, bool global);
    template <class Pred> void drop_if(Pred p) {
        for (Entry& e : e_)
            if (e.vpn != kEmpty && p(e)) e.vpn = kEmpty;
    }
    struct Entry {
        u64 vpn = kEmpty;
        u64 stamp = 0;
        u16 pcid = 0;
        PageSize size = PageSize::k4K;
        bool global = false;
    };

private:
    static constexpr u64 kEmpty = ~0ull;
    u32 sets_ = 0, ways_ = 0;
    u64 clock_ = 0;
    std::vector<Entry> e_;
};

class Tlbs {
public:
    explicit Tlbs(const CoreParams& p);
    enum class Hit : u8 { L1, Stlb, Miss };
    // A translation of linear `la` for an instruction fetch or a data access,
    // with the current PCID (0 without CR4.PCIDE).
    Hit lookup(bool fetch, u64 la, u16 pcid);
    // After a walk: the page's size and global bit go into the STLB and the
    // first level of that side.
    void fill(bool fetch, u64 la, u16 pcid, PageSize size, bool global);

    void flush_all();
    void flush_nonglobal();
    void flush_pcid(u16 pcid);  // the non-global entries of one PCID
    void flush_page(u64 la);    // every entry that maps the page of `la`

private:
    void forget_last() { last_[0].valid = last_[1].valid = false; }
    TlbArray& first(bool fetch, PageSize s);
    TlbArray itlb_4k_, itlb_2m_, dtlb_4k_, dtlb_2m_, dtlb_1g_, stlb_, stlb_1g_;
    // The last page each side hit in its first level: a repeated hit changes
    // nothing (that entry is already the most recently used of its set).
    struct Last {
        bool valid = false;
        u64 base = 0, mask = 0;
        u16 pcid = 0;
    } last_[2];
};

}  // namespace sy::timing
