// The step loop and the memory access slow paths (SDM Vol. 3A, 6.5 "Exception
// classifications": a fault reports the address of the faulting instruction and
// leaves the state as it was before it).
#include "cpu.h"

#include <algorithm>

#include "code_cache.h"


namespace sy {

Cpu::Cpu(Bus& bus, std::shared_ptr<CodeCache> code) : bus_(bus), code_(std::move(code)) {
    if (!code_) code_ = std::make_shared<CodeCache>();
    code_->attach(this);
    set_flat64(0);
}

Cpu::~Cpu() { code_->detach(this); }

void Cpu::new_fetch_epoch() { fetch_epoch_ = code_->new_epoch(); }

Cpu::PhysSpan Cpu::translate_span_at(u64 la, unsigned size, Access kind, bool supervisor, bool system) {
    PhysSpan span;
    span.size = size;
    span.first = std::min<unsigned>(size, 0x1000 - (la & 0xFFF));
    span.pa[0] = translate(la, kind, supervisor);
    if (span.first < size) {
        const u64 next = (la | 0xFFF) + 1;
        span.pa[1] = translate(system ? system_linear(next) : linear(next), kind, supervisor);
    }
    return span;
}

void Cpu::phys_read_span(const PhysSpan& span, void* dst) {
    phys_read_bytes(span.pa[0], dst, span.first);
    if (span.first < span.size) phys_read_bytes(span.pa[1], static_cast<u8*>(dst) + span.first, span.size - span.first);
}

void Cpu::phys_write_span(const PhysSpan& span, const void* src) {
    phys_write_bytes(span.pa[0], src, span.first);
    if (span.first < span.size)
        phys_write_bytes(span.pa[1], static_cast<const u8*>(src) + span.first, span.size - span.first);
}

void Cpu::read_slow(u64 la, void* dst, unsigned size) { phys_read_span(translate_span(la, size, Access::Read), dst); }

void Cpu::write_slow(u64 la, const void* src, unsigned size) {
    // A page with decoded code: the store goes straight in unless it touches
    // one of the page's lines that hold code (then the decode cache looks).
    const size_t idx = (la >> 12) & (kTlbSize - 1);
    const TlbEntry& e = wtlb_[user_][idx];
    const u64 off = la & 0xFFF;
    if (e.tag == ((la >> 12) | kCodePageTag) && off + size <= 0x1000 &&
        !(*wcode_[user_][idx] & code_line_mask(off, off + size))) {
        std::memcpy(e.host + off, src, size);
        return;
    }
    phys_write_span(translate_span(la, size, Access::Write), src);
}

u64 Cpu::read_implicit(u64 la, unsigned size) {
    u64 v = 0;
    phys_read_span(translate_span(la, size, Access::Read, true), &v);
    return v;
}

void Cpu::write_implicit(u64 la, unsigned size, u64 value) {
    phys_write_span(translate_span(la, size, Access::Write, true), &value);
}

u64 Cpu::fetch_phys(u64 la) { return translate(linear(la), Access::Exec); }

void Cpu::fetch_bytes(u64 la, u8* dst, size_t size) {
    for (size_t k = 0; k < size;) {
        const u64 a = linear(la + k);
        const size_t n = std::min<size_t>(size - k, 0x1000 - (a & 0xFFF));
        phys_read_bytes(translate(a, Access::Exec), dst + k, n);
        k += n;
    }
}

size_t Cpu::peek(u64 la, void* dst, size_t size) const {
    u8* out = static_cast<u8*>(dst);
    size_t done = 0;
    while (done < size) {
        u64 pa;
        if (!translate_peek(la + done, pa)) break;
        u8* page = bus_.ram_page(pa);
        if (!page) break;
        size_t n = std::min<size_t>(size - done, 0x1000 - (pa & 0xFFF));
        std::memcpy(out + done, page + (pa & 0xFFF), n);
        done += n;
    }
    return done;
}

// Physical accesses go page by page: RAM with memcpy, anything else to the bus
// as one access of 1, 2, 4 or 8 bytes or byte by byte.
void Cpu::phys_read_bytes(u64 pa, void* dst, size_t size) {
    u8* out = static_cast<u8*>(dst);
    while (size) {
        const size_t n = std::min<size_t>(size, 0x1000 - (pa & 0xFFF));
        if (u8* page = bus_.ram_page(pa)) {
            std::memcpy(out, page + (pa & 0xFFF), n);
        } else if (n == 1 || n == 2 || n == 4 || n == 8) {
            u64 v = bus_.mmio_read(pa, static_cast<unsigned>(n));
            std::memcpy(out, &v, n);
        } else {
            for (size_t k = 0; k < n; ++k) out[k] = static_cast<u8>(bus_.mmio_read(pa + k, 1));
        }
        pa += n;
        out += n;
        size -= n;
    }
}

void Cpu::phys_write_bytes(u64 pa, const void* src, size_t size) {
    const u8* in = static_cast<const u8*>(src);
    while (size) {
        const size_t n = std::min<size_t>(size, 0x1000 - (pa & 0xFFF));
        if (u8* page = bus_.ram_page(pa)) {
            // Decoded blocks whose bytes this overlaps go; the rest of the
            // running block may be among them.
            if (code_->store(pa, static_cast<unsigned>(n))) end_block = true;
            std::memcpy(page + (pa & 0xFFF), in, n);
        } else if (n == 1 || n == 2 || n == 4 || n == 8) {
            u64 v = 0;
            std::memcpy(&v, in, n);
            bus_.mmio_write(pa, static_cast<unsigned>(n), v);
        } else {
            for (size_t k = 0; k < n; ++k) bus_.mmio_write(pa + k, 1, in[k]);
        }
        pa += n;
        in += n;
        size -= n;
    }
}

u64 Cpu::phys_read(u64 pa, unsigned size) {
    u64 v = 0;
    phys_read_bytes(pa, &v, size);
    return v;
}

void Cpu::phys_write(u64 pa, unsigned size, u64 value) { phys_write_bytes(pa, &value, size); }

// Accepts a pending external interrupt or NMI if the CPU can take it now
// (RFLAGS.IF, the STI/MOV SS shadow). Returns true if one was delivered.
bool Cpu::take_interrupt(StepResult& stop) {
    if (!interrupts || interrupt_shadow) return false;
    if (!nmi_blocked && interrupts->has_nmi()) {
        interrupts->ack_nmi();
        halted = false;
        // Further NMIs wait for the next IRET (SDM Vol. 3A, 6.7.1).
        nmi_blocked = true;
        deliver_event(Fault{NMI}, true, stop);
        return true;
    }
    if (!(s.rflags & fl::IF) || !interrupts->has_interrupt()) return false;
    u8 vector = interrupts->acknowledge();
    halted = false;
    deliver_event(Fault{vector}, true, stop);
    return true;
}

// Delivers `f`; on a triple fault fills `stop` and returns false.
bool Cpu::deliver_event(const Fault& f, bool external, StepResult& stop) {
    external_event_ = external;
    bool ok = deliver_fault(f);
    external_event_ = false;
    if (!ok) stop = {StopReason::TripleFault, triple_fault};
    return ok;
}

StepResult Cpu::run(u64 cycle_limit) {
    StepResult stop;
    Block* prev = nullptr;  // the block that ran last, for chaining
    u64 prev_generation = 0;
    while (cycles < cycle_limit) {
        if (interrupts) {
            take_interrupt(stop);
            if (stop.reason == StopReason::TripleFault) return stop;
        }
        if (halted) return {StopReason::Halt, {}};
        // In an interrupt shadow (after STI or MOV SS), run one instruction and
        // look for interrupts again only after it.
        // RFLAGS.TF set before an instruction makes it trap with #DB after it
        // (single-step, SDM Vol. 3A 17.3.1.4): run it alone.
        const bool single_step = s.rflags & fl::TF;
        const bool single = interrupt_shadow | single_step;
        interrupt_shadow = false;
        const Insn* first = nullptr;
        const Insn* i = nullptr;
        try {
            const u64 la = s.seg_base[CS] + s.rip;
            Block* b = nullptr;
            // Chaining: the block that followed `prev` last time, if nothing that
            // could change the fetch (code writes, TLB or mode changes) happened.
            if (prev && prev_generation == code_->generation) {
                for (const Block::Link& l : prev->links)
                    if (l.la == la && l.epoch == fetch_epoch_ && l.generation == prev_generation) {
                        b = l.next;
                        break;
                    }
            }
            if (!b) {
                b = code_->lookup(*this, linear(la), fetch_phys(la), decode_ctx(), s.seg_base[CS]);
                if (prev && prev_generation == code_->generation) {
                    prev->next_link ^= 1;
                    prev->links[prev->next_link] = Block::Link{la, b, code_->generation, fetch_epoch_};
                }
            }
            prev = b;
            prev_generation = code_->generation;
            first = i = b->insns.data();
            const Insn* end = i + b->insns.size();
            // `insns` is added per block: counting per instruction here makes
            // the compiler pair it with `cycles`, which handlers also update.
            while (i != end) {
                i->fn(*this, *i);
                cycles += i->cycles;
                ++i;
                if (end_block | (cycles >= cycle_limit) | single) [[unlikely]] break;
            }
            insns += static_cast<u64>(i - first);
            end_block = false;
            if (single_step && i != first) {
                sys.dr[6] |= 1u << 14;  // DR6.BS
                Fault db{DB};
                if (!deliver_exceptions) return {StopReason::Fault, db};
                prev = nullptr;
                if (!deliver_event(db, false, stop)) return stop;
            }
        } catch (const Fault& f) {
            if (first) insns += static_cast<u64>(i - first);
            end_block = false;
            prev = nullptr;
            if (!deliver_exceptions) return {StopReason::Fault, f};
            if (!deliver_event(f, false, stop)) return stop;
        }
    }
    return {halted ? StopReason::Halt : StopReason::Budget, {}};
}

StepResult Cpu::step() {
    StepResult stop;
    if (take_interrupt(stop)) return stop;
    if (halted) return {StopReason::Halt, {}};
    interrupt_shadow = false;
    try {
        u64 la = s.seg_base[CS] + s.rip;
        Block* b = code_->lookup(*this, linear(la), fetch_phys(la), decode_ctx(), s.seg_base[CS]);
        const Insn& i = b->insns.front();
        i.fn(*this, i);
        cycles += i.cycles;
        ++insns;
        end_block = false;
    } catch (const Fault& f) {
        end_block = false;
        if (!deliver_exceptions) return {StopReason::Fault, f};
        deliver_event(f, false, stop);
        return stop;
    }
    return {halted ? StopReason::Halt : StopReason::Budget, {}};
}

}  // namespace sy
