// Paging and the TLBs (SDM Vol. 3A, ch. 4 "Paging": 4.3 32-bit paging, 4.4 PAE
// paging, 4.5 4-level paging, 4.6 access rights, 4.7 page-fault exceptions,
// 4.8 accessed and dirty flags, 4.10 caching translation information).
//
// Two levels of caching:
//  - the architectural TLB (atlb_): translations with their combined rights,
//    tagged with the PCID and the global bit. Its behaviour is what software can
//    observe (4.10.2-4.10.4): an entry is used only while CR3 holds its PCID or
//    it is global; MOV to CR3 keeps global entries and other PCIDs' entries
//    (and, with CR4.PCIDE and bit 63 set, the new PCID's too); INVLPG drops the
//    entries that map the page, whatever their size and PCID; INVPCID drops
//    what its type says (type 0 also drops the page's global and other-PCID
//    entries, which the SDM allows); writes to CR0.PG/WP, CR4.PGE/PAE/PSE/
//    PCIDE/SMEP/SMAP and EFER.NXE drop everything.
//  - the host-pointer TLBs (rtlb_/wtlb_, one set per privilege): "this linear
//    page may be read/written right now, and here are its bytes". They carry
//    no PCID, so they answer only for the address space that filled them: every
//    MOV to CR3 and every architectural TLB change drops them all, and takes
//    a new fetch epoch (no chain link made before it is followed after it).
//
// PAE paging walks from the four PDPTE registers (SysState::pdpte, 4.4.1),
// loaded by MOV to CR0/CR3/CR4 (ops_priv.cpp) and never written back: the
// processor sets no accessed bit in a PDPTE, where bits 2:1 and 8:5 are reserved.
//
// Deviations: MAXPHYADDR is 40; protection keys and HLAT are not modelled.
#include <algorithm>
#include <atomic>
#include <cstring>

#include "code_cache.h"
#include "cpu.h"
#include "timing.h"
#include "timing/core.h"

namespace sy {

namespace {
constexpr unsigned kMaxPhysBits = 40;
constexpr u64 kAddrMask = ((1ull << kMaxPhysBits) - 1) & ~0xFFFull;  // bits 39:12
constexpr u64 kRsvdHigh = 0x000FFFFFFFFFFFFFull & ~((1ull << kMaxPhysBits) - 1);  // bits 51:40

// Page-fault error code bits (SDM Vol. 3A, 4.7).
constexpr u32 kPfPresent = 1, kPfWrite = 2, kPfUser = 4, kPfRsvd = 8, kPfFetch = 16;
// Reserved in a PAE PDPTE: bits 2:1, 8:5 and 63:MAXPHYADDR (Table 4-8).
constexpr u64 kPdpteRsvd = 0x1E6 | ~((1ull << kMaxPhysBits) - 1);
}  // namespace

u64 Cpu::linear(u64 la) const {
    if (sys.mode == Mode::Long64) {
        if (!is_canonical(la)) raise(GP, 0);
        return la;
    }
    return la & 0xFFFFFFFFull;
}

u64 Cpu::system_linear(u64 la) const {
    if (sys.efer & efer::LMA) {
        if (!is_canonical(la)) raise(GP, 0);
        return la;
    }
    return la & 0xFFFFFFFFull;
}

// Walks the paging structures for `la`, once per TLB miss. Fills `t` and
// returns true when a translation exists; otherwise returns false with the
// error code's P and RSVD bits in `error` (4.7). Writes nothing: the caller
// checks the access rights and only then sets the accessed and dirty flags on
// the recorded path, so a faulting access changes no entry.
bool Cpu::walk(u64 la, Translation& t, u32& error, WalkPath* path, const u64* peek_root, WalkTrace* trace) {
    error = 0;
    const u64 cr3 = peek_root ? *peek_root : sys.cr3;
    const bool nxe = sys.efer & efer::NXE;
    const bool pge = sys.cr4 & cr4::PGE;
    bool writable = true, usr = true, nx = false;
    u64 leaf = 0, page_size = 0x1000;

    // Entries in RAM are read straight from it; only the real walk (with a
    // path) goes to the general physical path for a table outside RAM.
    auto read_entry = [&](u64 addr, unsigned size) {
        u64 v = 0;
        if (trace && trace->count < 4) trace->entry[trace->count++] = addr;
        u8* host = bus_.ram_page(addr);
        if (host) {
            host += addr & 0xFFF;
            std::memcpy(&v, host, size);
        } else if (path) {
            v = phys_read(addr, size);
        }
        if (path) path->entry[path->count++] = WalkPath::Entry{addr, v, host, size};
        return v;
    };

    if (sys.cr4 & cr4::PAE) {
        const bool four_level = sys.efer & efer::LMA;
        int level = four_level ? 4 : 2;
        u64 table = cr3 & kAddrMask;
        if (!four_level) {
            // PAE: the PDPTE comes from its register, checked when it was
            // loaded; a debugger's walk through another CR3 reads that PDPT.
            u64 pdpte = sys.pdpte[(la >> 30) & 3];
            if (peek_root && *peek_root != sys.cr3) pdpte = read_entry((cr3 & 0xFFFFFFE0ull) + 8 * ((la >> 30) & 3), 8);
            if (!(pdpte & 1)) return false;
            table = pdpte & kAddrMask;
        }
        for (;; --level) {
            unsigned shift = 12 + 9 * (level - 1);
            u64 index = (la >> shift) & 511;
            u64 e = read_entry(table + index * 8, 8);
            if (!(e & 1)) return false;
            u64 rsvd = kRsvdHigh | (nxe ? 0 : (1ull << 63));
            if (level == 4) rsvd |= 0x80;
            if (level == 3 && (e & 0x80)) rsvd |= 0x3FFFE000;
            if (level == 2 && (e & 0x80)) rsvd |= 0x1FE000;
            if (e & rsvd) {
                error = kPfPresent | kPfRsvd;
                return false;
            }
            writable &= (e >> 1) & 1;
            usr &= (e >> 2) & 1;
            nx |= nxe && (e >> 63);
            bool large = (level == 2 || level == 3) && (e & 0x80);
            if (level == 1 || large) {
                leaf = e;
                page_size = 1ull << shift;
                break;
            }
            table = e & kAddrMask;
        }
        t.ppn = (((leaf & kAddrMask) & ~(page_size - 1)) | (la & (page_size - 1))) >> 12;
    } else {
        // 32-bit paging: two levels of 4-byte entries, 4 MiB pages with CR4.PSE.
        u64 pde = read_entry((cr3 & 0xFFFFF000ull) + ((la >> 22) & 1023) * 4, 4);
        if (!(pde & 1)) return false;
        writable &= (pde >> 1) & 1;
        usr &= (pde >> 2) & 1;
        if ((pde & 0x80) && (sys.cr4 & cr4::PSE)) {
            if (pde & (1u << 21)) {  // bit 21 reserved with MAXPHYADDR 40 (bits 20:13 hold PA 39:32)
                error = kPfPresent | kPfRsvd;
                return false;
            }
            leaf = pde;
            page_size = 1ull << 22;
            u64 base = (pde & 0xFFC00000ull) | (((pde >> 13) & 0xFF) << 32);
            t.ppn = (base | (la & 0x3FFFFF)) >> 12;
        } else {
            u64 pte = read_entry((pde & 0xFFFFF000ull) + ((la >> 12) & 1023) * 4, 4);
            if (!(pte & 1)) return false;
            writable &= (pte >> 1) & 1;
            usr &= (pte >> 2) & 1;
            leaf = pte;
            t.ppn = (pte & 0xFFFFF000ull) >> 12;
        }
    }
    t.vpn = la >> 12;
    t.page_mask = page_size - 1;
    t.pcid = (sys.cr4 & cr4::PCIDE) ? static_cast<u16>(cr3 & 0xFFF) : 0;
    t.global = pge && (leaf & 0x100);
    t.writable = writable;
    t.user = usr;
    t.nx = nx;
    t.dirty = leaf & 0x40;
    return true;
}

// Accessed and dirty flags (4.8). The processor sets them with locked
// read-modify-writes; here each is an atomic OR into the entry's RAM, so it
// keeps whatever else the entry holds now (a recursive mapping can put one
// entry on the path twice), and the machine's CPUs run in turn on one host
// thread, so no other CPU acts between this walk and its updates. An entry
// outside RAM is written through the general physical path. A page-table page
// that also holds decoded code tells the decode cache, as any store does.
void Cpu::set_accessed_dirty(const WalkPath& path, bool write) {
    for (unsigned k = 0; k < path.count; ++k) {
        const WalkPath::Entry& e = path.entry[k];
        const u64 bits = 0x20 | (write && k == path.count - 1 ? 0x40 : 0);
        if ((e.value & bits) == bits) continue;
        if (!e.host) {
            phys_write(e.addr, e.size, e.value | bits);
            continue;
        }
        if (code_->store(e.addr, e.size)) end_block = true;
        // The walk read through ram_page(); a write asks ram_page_for_write(),
        // as every CPU write to RAM does, so that a machine sees the page
        // change (snapshots, emu/replay: without it a restore misses A/D bits).
        u8* page = bus_.ram_page_for_write(e.addr);
        u8* host = page ? page + (e.addr & 0xFFF) : e.host;
        if (e.size == 8) std::atomic_ref<u64>(*reinterpret_cast<u64*>(host)).fetch_or(bits);
        else std::atomic_ref<u32>(*reinterpret_cast<u32*>(host)).fetch_or(static_cast<u32>(bits));
    }
}

// Access rights (SDM Vol. 3A, 4.6). Returns normally or raises #PF with P=1.
void Cpu::check_rights(const Translation& t, u64 la, Access kind, bool user_access, bool implicit) {
    bool ok = true;
    if (user_access) {
        ok = t.user && (kind != Access::Write || t.writable) && (kind != Access::Exec || !t.nx);
    } else if (kind == Access::Exec) {
        ok = !t.nx && !(t.user && (sys.cr4 & cr4::SMEP));
    } else {
        if (t.user && (sys.cr4 & cr4::SMAP) && (implicit || sys.cpl == 3 || !(s.rflags & fl::AC))) ok = false;
        if (kind == Access::Write && !t.writable && (sys.cr0 & cr0::WP)) ok = false;
    }
    if (!ok) page_fault(la, kPfPresent, kind, user_access);
}

void Cpu::page_fault(u64 la, u32 error, Access kind, bool user_access) {
    if (kind == Access::Write) error |= kPfWrite;
    if (user_access) error |= kPfUser;
    // I/D (4.7): a fetch, when SMEP is on, or when execute-disable exists
    // (PAE or 4-level paging, with EFER.NXE).
    if (kind == Access::Exec && ((sys.cr4 & cr4::SMEP) || ((sys.cr4 & cr4::PAE) && (sys.efer & efer::NXE))))
        error |= kPfFetch;
    sys.cr2 = la;
    raise(PF_, error);
}

u64 Cpu::translate(u64 la, Access kind, bool supervisor) {
    const bool user_access = sys.cpl == 3 && !supervisor;
    u64 pa;
    bool host_ok = true;  // may the host TLB remember this page for this privilege?
    if (!(sys.cr0 & cr0::PG)) {
        pa = la;
    } else {
        Translation& e = atlb_[(la >> 12) & (kArchTlbSize - 1)];
        u16 pcid = (sys.cr4 & cr4::PCIDE) ? static_cast<u16>(sys.cr3 & 0xFFF) : 0;
        bool hit = e.vpn == (la >> 12) && (e.global || e.pcid == pcid) && !(kind == Access::Write && !e.dirty);
        Translation t;
        if (hit) {
            t = e;
            // A cached entry whose rights forbid the access is re-walked: the
            // entry may be stale, and the fault must reflect the tables.
            bool rights = user_access ? (t.user && (kind != Access::Write || t.writable) && (kind != Access::Exec || !t.nx))
                                      : true;
            if (!rights) hit = false;
        }
        if (!hit) {
            u32 err;
            WalkPath path;
            cycles += timing::kPageWalk;
            if (!walk(la, t, err, &path)) page_fault(la, err, kind, user_access);
            check_rights(t, la, kind, user_access, supervisor);
            set_accessed_dirty(path, kind == Access::Write);
            if (kind == Access::Write) t.dirty = true;
            if (e.vpn != ~0ull && e.vpn != t.vpn) evicted(e.vpn);
            e = t;
        } else {
            check_rights(t, la, kind, user_access, supervisor);
        }
        pa = (t.ppn << 12) | (la & 0xFFF);
        // SMAP makes supervisor access to user pages depend on RFLAGS.AC: keep
        // those on the checked path.
        host_ok = !(t.user && !user_access && (sys.cr4 & cr4::SMAP));
    }
    // A page a data breakpoint watches stays on the checked path (debug.cpp).
    if (host_ok && kind != Access::Exec && !supervisor && !data_watched(la)) {
        if (u8* page = kind == Access::Read ? bus_.ram_page(pa) : bus_.ram_page_for_write(pa)) {
            size_t idx = (la >> 12) & (kTlbSize - 1);
            const u64 model_tag = model_ ? kModelTag : 0;
            if (model_) model_ppn_[kind == Access::Write][user_][idx] = pa >> 12;
            if (kind == Access::Read) rtlb_[user_][idx] = TlbEntry{(la >> 12) | model_tag, page};
            else {
                const u64* lines = code_->code_lines(pa >> 12);
                wtlb_[user_][idx] = TlbEntry{(la >> 12) | model_tag | (lines ? kCodePageTag : 0), page};
                wcode_[user_][idx] = lines;
            }
        }
    }
    return pa;
}

bool Cpu::walk_trace(u64 la, WalkTrace& out) {
    out = WalkTrace{};
    if (!(sys.cr0 & cr0::PG)) return false;
    Translation t;
    u32 err;
    if (!walk(la, t, err, nullptr, nullptr, &out)) return false;
    out.page_bytes = t.page_mask + 1;
    out.global = t.global;
    return true;
}

bool Cpu::translate_peek(u64 la, u64& pa) const { return translate_peek_in(sys.cr3, la, pa); }

bool Cpu::translate_peek_in(u64 cr3, u64 la, u64& pa) const {
    if (sys.mode == Mode::Long64 ? !is_canonical(la) : false) return false;
    if (sys.mode != Mode::Long64) la &= 0xFFFFFFFFull;
    if (!(sys.cr0 & cr0::PG)) {
        pa = la;
        return true;
    }
    Translation t;
    u32 err;
    // walk() with a peek root reads RAM only and writes nothing; it is not
    // const because it shares its code with the real walk.
    if (!const_cast<Cpu*>(this)->walk(la, t, err, nullptr, &cr3)) return false;
    pa = (t.ppn << 12) | (la & 0xFFF);
    return true;
}

void Cpu::flush_host_tlbs() {
    new_fetch_epoch();
    for (auto& set : rtlb_) std::fill(std::begin(set), std::end(set), TlbEntry{});
    for (auto& set : wtlb_) std::fill(std::begin(set), std::end(set), TlbEntry{});
}

// An architectural TLB entry for linear page `vpn` gave way to another page.
// What the host caches derived from it goes too: its host-TLB entries, and
// the chain links of this fetch epoch (a link skips the fetch translation the
// entry stood for). So a host-TLB hit or a followed link is always an access
// the architectural TLB would have answered without a walk, and the cycles a
// run takes do not depend on what the host caches hold: dropping them (a
// snapshot restored, docs/replay.md) changes nothing the guest can see.
void Cpu::evicted(u64 vpn) {
    const size_t idx = vpn & (kTlbSize - 1);
    for (unsigned u = 0; u < 2; ++u) {
        if (rtlb_[u][idx].tag == vpn) rtlb_[u][idx] = TlbEntry{};
        if ((wtlb_[u][idx].tag & ~kCodePageTag) == vpn) wtlb_[u][idx] = TlbEntry{};
    }
    new_fetch_epoch();
}

void Cpu::forget_write_page(const u8* host) {
    for (auto& set : wtlb_)
        for (TlbEntry& e : set)
            if (e.host == host) e = TlbEntry{};
}

void Cpu::flush_tlb() {
    std::fill(std::begin(atlb_), std::end(atlb_), Translation{});
    flush_host_tlbs();
    if (model_) model_->tlb_flush_all();
}

// MOV to CR3 (4.10.4.1). Without PCIDs: every non-global entry. With PCIDs:
// the non-global entries of the PCID now in CR3, unless bit 63 was set; other
// PCIDs' entries stay (they are used only once CR3 holds their PCID again).
void Cpu::flush_tlb_cr3(bool keep_pcid) {
    if (!(sys.cr4 & cr4::PCIDE)) {
        for (Translation& t : atlb_)
            if (!t.global) t = Translation{};
        if (model_) model_->tlb_flush_nonglobal();
    } else if (!keep_pcid) {
        const u16 pcid = static_cast<u16>(sys.cr3 & 0xFFF);
        for (Translation& t : atlb_)
            if (!t.global && t.pcid == pcid) t = Translation{};
        if (model_) model_->tlb_flush_pcid(pcid);
    }
    flush_host_tlbs();
}

bool Cpu::read_pdptes(u64 cr3, u64 (&out)[4]) {
    const u64 pdpt = cr3 & 0xFFFFFFE0ull;
    for (unsigned k = 0; k < 4; ++k) {
        out[k] = phys_read(pdpt + 8 * k, 8);
        if ((out[k] & 1) && (out[k] & kPdpteRsvd)) return false;
    }
    return true;
}

void Cpu::flush_tlb_nonglobal() {
    for (Translation& t : atlb_)
        if (!t.global) t = Translation{};
    flush_host_tlbs();
    if (model_) model_->tlb_flush_nonglobal();
}

void Cpu::flush_tlb_pcid(u16 pcid) {
    for (Translation& t : atlb_)
        if (!t.global && t.pcid == pcid) t = Translation{};
    flush_host_tlbs();
    if (model_) model_->tlb_flush_pcid(pcid);
}

void Cpu::flush_tlb_page(u64 la) {
    for (Translation& t : atlb_)
        if (t.vpn != ~0ull && ((t.vpn << 12) & ~t.page_mask) == (la & ~t.page_mask)) t = Translation{};
    flush_host_tlbs();
    if (model_) model_->tlb_flush_page(la);
}

}  // namespace sy
