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

void Cpu::read_slow(u64 la, void* dst, unsigned size) {
    u8* out = static_cast<u8*>(dst);
    // Check every page the access touches before reading any of it.
    u64 a0 = linear(la), a1 = linear(la + size - 1);
    u64 pa0 = translate(a0, Access::Read);
    u64 pa1 = (a1 >> 12) != (a0 >> 12) ? translate(a1, Access::Read) : pa0;
    unsigned first = std::min<unsigned>(size, 0x1000 - (a0 & 0xFFF));
    for (int part = 0; part < 2; ++part) {
        unsigned n = part == 0 ? first : size - first;
        if (n == 0) break;
        u64 pa = part == 0 ? pa0 : (pa1 & ~0xFFFull);
        if (u8* page = bus_.ram_page(pa)) std::memcpy(out, page + (pa & 0xFFF), n);
        else if (n == 1 || n == 2 || n == 4 || n == 8) {
            u64 v = bus_.mmio_read(pa, n);
            std::memcpy(out, &v, n);
        } else {
            for (unsigned k = 0; k < n; ++k) out[k] = static_cast<u8>(bus_.mmio_read(pa + k, 1));
        }
        out += n;
    }
}

void Cpu::check_write(u64 la, unsigned size) {
    u64 a0 = linear(la), a1 = linear(la + size - 1);
    translate(a0, Access::Write);
    if ((a1 >> 12) != (a0 >> 12)) translate(a1, Access::Write);
}

void Cpu::write_slow(u64 la, const void* src, unsigned size) {
    const u8* in = static_cast<const u8*>(src);
    u64 a0 = linear(la), a1 = linear(la + size - 1);
    u64 pa0 = translate(a0, Access::Write);
    u64 pa1 = (a1 >> 12) != (a0 >> 12) ? translate(a1, Access::Write) : pa0;
    unsigned first = std::min<unsigned>(size, 0x1000 - (a0 & 0xFFF));
    for (int part = 0; part < 2; ++part) {
        unsigned n = part == 0 ? first : size - first;
        if (n == 0) break;
        u64 pa = part == 0 ? pa0 : (pa1 & ~0xFFFull);
        if (u8* page = bus_.ram_page(pa)) {
            if (code_->is_code_page(pa >> 12)) {
                code_->invalidate_page(pa >> 12);
                end_block = true;  // the rest of this block may be stale
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

u64 Cpu::fetch_phys(u64 la) { return translate(linear(la), Access::Exec); }

void Cpu::fetch_bytes(u64 la, u8* dst, size_t size) {
    for (size_t k = 0; k < size;) {
        u64 pa = fetch_phys(la + k);
        size_t n = std::min<size_t>(size - k, 0x1000 - (linear(la + k) & 0xFFF));
        if (u8* page = bus_.ram_page(pa)) std::memcpy(dst + k, page + (pa & 0xFFF), n);
        else
            for (size_t j = 0; j < n; ++j) dst[k + j] = static_cast<u8>(bus_.mmio_read(pa + j, 1));
        k += n;
    }
}

size_t Cpu::peek(u64 la, void* dst, size_t size) const { return peek_in(sys.cr3, la, dst, size); }

size_t Cpu::peek_in(u64 cr3, u64 la, void* dst, size_t size) const {
    u8* out = static_cast<u8*>(dst);
    size_t done = 0;
    while (done < size) {
        u64 pa;
        if (!translate_peek_in(cr3, la + done, pa)) break;
        size_t n = std::min<size_t>(size - done, 0x1000 - ((la + done) & 0xFFF));
        size_t got = peek_phys(pa, out + done, n);
        done += got;
        if (got < n) break;
    }
    return done;
}

size_t Cpu::peek_phys(u64 pa, void* dst, size_t size) const {
    u8* out = static_cast<u8*>(dst);
    size_t done = 0;
    while (done < size) {
        u8* page = bus_.ram_page(pa + done);
        if (!page) break;
        size_t n = std::min<size_t>(size - done, 0x1000 - ((pa + done) & 0xFFF));
        std::memcpy(out + done, page + ((pa + done) & 0xFFF), n);
        done += n;
    }
    return done;
}

u64 Cpu::phys_read(u64 pa, unsigned size) {
    u64 v = 0;
    if (u8* page = bus_.ram_page(pa); page && (pa & 0xFFF) + size <= 0x1000) std::memcpy(&v, page + (pa & 0xFFF), size);
    else v = bus_.mmio_read(pa, size);
    return v;
}

void Cpu::phys_write(u64 pa, unsigned size, u64 value) {
    if (u8* page = bus_.ram_page(pa); page && (pa & 0xFFF) + size <= 0x1000) {
        if (code_->is_code_page(pa >> 12)) {
            code_->invalidate_page(pa >> 12);
            end_block = true;
        }
        std::memcpy(page + (pa & 0xFFF), &value, size);
    } else {
        bus_.mmio_write(pa, size, value);
    }
}

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
    const u8 from_cpl = sys.cpl;
    bool ok = deliver_fault(f);
    external_event_ = false;
    if (!ok) stop = {StopReason::TripleFault, triple_fault};
    else if (observer) [[unlikely]] observer->delivered(*this, f.vector, from_cpl);
    return ok;
}

StepResult Cpu::run(u64 cycle_limit) {
    // The observed loop only while a debugger asks for it (observer.h).
    return observe_boundaries && observer ? run_loop<true>(cycle_limit) : run_loop<false>(cycle_limit);
}

template <bool Observed> StepResult Cpu::run_loop(u64 cycle_limit) {
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
        bool observed_single = false;
        if constexpr (Observed) {
            Observer::Action a = observer->before(*this);
            if (a == Observer::Action::Stop) return {StopReason::Debug, {}};
            observed_single = a == Observer::Action::Single;
        }
        const bool single = interrupt_shadow | single_step | observed_single;
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
                    if (l.la == la && l.epoch == fetch_epoch && l.generation == prev_generation) {
                        b = l.next;
                        break;
                    }
            }
            if (!b) {
                b = code_->lookup(*this, linear(la), fetch_phys(la), decode_ctx(), s.seg_base[CS]);
                if (prev && prev_generation == code_->generation) {
                    prev->next_link ^= 1;
                    prev->links[prev->next_link] = Block::Link{la, b, code_->generation, fetch_epoch};
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
        } catch (const DebugStop&) {
            // A trap record stopped before its instruction (observer.h).
            if (first) insns += static_cast<u64>(i - first);
            end_block = false;
            return {StopReason::Debug, {}};
        }
    }
    return {halted ? StopReason::Halt : StopReason::Budget, {}};
}

StepResult Cpu::step() {
    StepResult stop;
    if (take_interrupt(stop)) return stop;
    if (halted) return {StopReason::Halt, {}};
    if (observe_boundaries && observer && observer->before(*this) == Observer::Action::Stop)
        return {StopReason::Debug, {}};
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
    } catch (const DebugStop&) {
        end_block = false;
        return {StopReason::Debug, {}};
    }
    return {halted ? StopReason::Halt : StopReason::Budget, {}};
}

}  // namespace sy
