// The step loop and the memory access slow paths (SDM Vol. 3A, 6.5 "Exception
// classifications": a fault reports the address of the faulting instruction and
// leaves the state as it was before it).
#include "cpu.h"

#include <algorithm>

#include "code_cache.h"

namespace sy {

namespace {
// 64-bit mode: bits 63..47 must equal bit 47 (SDM Vol. 1, 3.3.7.1).
inline bool canonical(u64 la) { return static_cast<u64>(static_cast<i64>(la << 16) >> 16) == la; }
}  // namespace

Cpu::Cpu(Bus& bus, std::shared_ptr<CodeCache> code) : bus_(bus), code_(std::move(code)) {
    if (!code_) code_ = std::make_shared<CodeCache>();
    code_->attach(this);
}

Cpu::~Cpu() { code_->detach(this); }

void Cpu::flush_tlb() {
    std::fill(std::begin(rtlb_), std::end(rtlb_), TlbEntry{});
    std::fill(std::begin(wtlb_), std::end(wtlb_), TlbEntry{});
}

void Cpu::flush_write_tlb() { std::fill(std::begin(wtlb_), std::end(wtlb_), TlbEntry{}); }

void Cpu::read_slow(u64 la, void* dst, unsigned size) {
    u8* out = static_cast<u8*>(dst);
    // Check every page the access touches before reading any of it.
    u64 last = la + size - 1;
    if (!canonical(la) || !canonical(last)) raise(GP, 0);
    u64 pa0 = translate(la, false);
    u64 pa1 = (last >> 12) != (la >> 12) ? translate(last, false) : pa0;
    unsigned first = std::min<unsigned>(size, 0x1000 - (la & 0xFFF));
    for (int part = 0; part < 2; ++part) {
        unsigned n = part == 0 ? first : size - first;
        if (n == 0) break;
        u64 a = part == 0 ? la : la + first;
        u64 pa = part == 0 ? pa0 : (pa1 & ~0xFFFull);
        u8* page = bus_.ram_page(pa);
        if (page) {
            std::memcpy(out, page + (pa & 0xFFF), n);
            rtlb_[(a >> 12) & (kTlbSize - 1)] = TlbEntry{a >> 12, page};
        } else if (n == 1 || n == 2 || n == 4 || n == 8) {
            u64 v = bus_.mmio_read(pa, n);
            std::memcpy(out, &v, n);
        } else {
            for (unsigned k = 0; k < n; ++k) out[k] = static_cast<u8>(bus_.mmio_read(pa + k, 1));
        }
        out += n;
    }
}

void Cpu::check_write(u64 la, unsigned size) {
    u64 last = la + size - 1;
    if (!canonical(la) || !canonical(last)) raise(GP, 0);
    translate(la, true);
    if ((last >> 12) != (la >> 12)) translate(last, true);
}

void Cpu::write_slow(u64 la, const void* src, unsigned size) {
    const u8* in = static_cast<const u8*>(src);
    u64 last = la + size - 1;
    if (!canonical(la) || !canonical(last)) raise(GP, 0);
    u64 pa0 = translate(la, true);
    u64 pa1 = (last >> 12) != (la >> 12) ? translate(last, true) : pa0;
    unsigned first = std::min<unsigned>(size, 0x1000 - (la & 0xFFF));
    for (int part = 0; part < 2; ++part) {
        unsigned n = part == 0 ? first : size - first;
        if (n == 0) break;
        u64 a = part == 0 ? la : la + first;
        u64 pa = part == 0 ? pa0 : (pa1 & ~0xFFFull);
        u8* page = bus_.ram_page(pa);
        if (page) {
            if (code_->is_code_page(pa >> 12)) {
                code_->invalidate_page(pa >> 12);
                end_block = true;  // the rest of this block may be stale
            } else {
                wtlb_[(a >> 12) & (kTlbSize - 1)] = TlbEntry{a >> 12, page};
                rtlb_[(a >> 12) & (kTlbSize - 1)] = TlbEntry{a >> 12, page};
            }
            std::memcpy(page + (pa & 0xFFF), in, n);
        } else if (n == 1 || n == 2 || n == 4 || n == 8) {
            u64 v = 0;
            std::memcpy(&v, in, n);
            bus_.mmio_write(pa, n, v);
        } else {
            for (unsigned k = 0; k < n; ++k) bus_.mmio_write(pa + k, 1, in[k]);
        }
        in += n;
    }
}

u64 Cpu::fetch_phys(u64 la) {
    if (!canonical(la)) raise(GP, 0);
    return translate(la, false);
}

void Cpu::fetch_bytes(u64 la, u8* dst, size_t size) {
    for (size_t k = 0; k < size;) {
        u64 pa = fetch_phys(la + k);
        size_t n = std::min<size_t>(size - k, 0x1000 - ((la + k) & 0xFFF));
        if (u8* page = bus_.ram_page(pa)) std::memcpy(dst + k, page + (pa & 0xFFF), n);
        else
            for (size_t j = 0; j < n; ++j) dst[k + j] = static_cast<u8>(bus_.mmio_read(pa + j, 1));
        k += n;
    }
}

size_t Cpu::peek(u64 la, void* dst, size_t size) const {
    u8* out = static_cast<u8*>(dst);
    size_t done = 0;
    while (done < size) {
        u64 a = la + done;
        if (!canonical(a)) break;
        u64 pa = translate(a, false);
        u8* page = bus_.ram_page(pa);
        if (!page) break;
        size_t n = std::min<size_t>(size - done, 0x1000 - (a & 0xFFF));
        std::memcpy(out + done, page + (pa & 0xFFF), n);
        done += n;
    }
    return done;
}

StepResult Cpu::run(u64 cycle_limit) {
    try {
        while (cycles < cycle_limit) {
            if (halted) return {StopReason::Halt, {}};
            Block* b = code_->lookup(*this, s.rip, fetch_phys(s.rip));
            for (const Insn& i : b->insns) {
                i.fn(*this, i);
                cycles += i.cycles;
                ++insns;
                if (end_block | (cycles >= cycle_limit)) [[unlikely]] break;
            }
            end_block = false;
        }
    } catch (const Fault& f) {
        end_block = false;
        return {StopReason::Fault, f};
    }
    return {halted ? StopReason::Halt : StopReason::Budget, {}};
}

StepResult Cpu::step() {
    try {
        Block* b = code_->lookup(*this, s.rip, fetch_phys(s.rip));
        const Insn& i = b->insns.front();
        i.fn(*this, i);
        cycles += i.cycles;
        ++insns;
        end_block = false;
    } catch (const Fault& f) {
        end_block = false;
        return {StopReason::Fault, f};
    }
    return {halted ? StopReason::Halt : StopReason::Budget, {}};
}

}  // namespace sy
