// The step loop and the memory access slow paths (SDM Vol. 3A, 6.5 "Exception
// classifications": a fault reports the address of the faulting instruction and
// leaves the state as it was before it; 6.9 and Table 6-2 "Priority among
// simultaneous exceptions and interrupts": what is recognised at an instruction
// boundary, and in which order).
#include "cpu.h"

#include <algorithm>

#include "code_cache.h"
#include "timing/core.h"


namespace sy {

Cpu::Cpu(Bus& bus, std::shared_ptr<CodeCache> code) : bus_(bus), code_(std::move(code)) {
    if (!code_) code_ = std::make_shared<CodeCache>();
    code_->attach(this);
    set_flat64(0);
}

Cpu::~Cpu() { code_->detach(this); }

void Cpu::new_fetch_epoch() { fetch_epoch_ = code_->new_epoch(); }

void Cpu::serialize(Archive& ar) {
    ar.section("cpu");
    ar(s, sys, cycles, insns, sp_mask, end_block, halted, mov_ss_shadow, interrupt_shadow, nmi_blocked, ignne, ferr_,
       db_trap_, external_event_);
    for (Translation& t : atlb_) ar(t.vpn, t.ppn, t.page_mask, t.pcid, t.global, t.writable, t.user, t.nx, t.dirty);
    // The fault behind a triple fault, kept for its report.
    bool tf = triple_fault.has_value();
    Fault f = tf ? *triple_fault : Fault{0};
    ar(tf, f.vector, f.has_error, f.error, f.software, f.insn_len, f.keep_rf);
    if (ar.loading()) {
        triple_fault = tf ? std::optional<Fault>(f) : std::nullopt;
        // What is derived from the registers, and the host caches, start again.
        user_ = sys.cpl == 3;
        bp_.load(sys.dr, sys.cr4 & cr4::DE);
        flush_host_tlbs();
        for (auto& set : wcode_) std::fill(std::begin(set), std::end(set), nullptr);
    }
}

Cpu::PhysSpan Cpu::translate_span_at(u64 la, unsigned size, Access kind, bool supervisor, bool system) {
    PhysSpan span;
    span.la = la;
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
    if (model_) [[unlikely]] report_span(span, false);
}

void Cpu::phys_write_span(const PhysSpan& span, const void* src) {
    phys_write_bytes(span.pa[0], src, span.first);
    if (span.first < span.size)
        phys_write_bytes(span.pa[1], static_cast<const u8*>(src) + span.first, span.size - span.first);
    if (model_) [[unlikely]] report_span(span, true);
}

// Every access that went through a translation reaches the timing model here
// (the accesses that hit a host-TLB entry do in model_read/model_write).
void Cpu::report_span(const PhysSpan& span, bool write) {
    model_->data(*this, span.la, span.pa[0], span.first, write, bus_.ram_page(span.pa[0]) != nullptr);
    if (span.first < span.size)
        model_->data(*this, (span.la | 0xFFF) + 1, span.pa[1], span.size - span.first, write,
                     bus_.ram_page(span.pa[1]) != nullptr);
}

void Cpu::set_timing_model(timing::Model* m) {
    model_ = m;
    flush_host_tlbs();  // entries change their tags (kModelTag)
}

bool Cpu::model_read(u64 la, void* dst, unsigned size) {
    const size_t idx = (la >> 12) & (kTlbSize - 1);
    const TlbEntry& e = rtlb_[user_][idx];
    const u64 off = la & 0xFFF;
    if (e.tag != ((la >> 12) | kModelTag) || off + size > 0x1000) return false;
    std::memcpy(dst, e.host + off, size);
    model_->data(*this, la, (model_ppn_[0][user_][idx] << 12) | off, size, false);
    return true;
}

bool Cpu::model_write(u64 la, const void* src, unsigned size) {
    const size_t idx = (la >> 12) & (kTlbSize - 1);
    const TlbEntry& e = wtlb_[user_][idx];
    const u64 off = la & 0xFFF;
    if ((e.tag & ~kCodePageTag) != ((la >> 12) | kModelTag) || off + size > 0x1000) return false;
    if ((e.tag & kCodePageTag) && (*wcode_[user_][idx] & code_line_mask(off, off + size))) return false;
    std::memcpy(e.host + off, src, size);
    model_->data(*this, la, (model_ppn_[1][user_][idx] << 12) | off, size, true);
    return true;
}

void Cpu::read_slow(u64 la, void* dst, unsigned size) {
    if (model_ && model_read(la, dst, size)) return;
    const PhysSpan span = translate_span(la, size, Access::Read);
    phys_read_span(span, dst);
    if (bp_.data || !watch_.empty()) [[unlikely]] note_data_access(span.la, size, false);
}

void Cpu::write_slow(u64 la, const void* src, unsigned size) {
    if (model_ && model_write(la, src, size)) return;
    // A page with decoded code: the store goes straight in unless it touches
    // one of the page's lines that hold code (then the decode cache looks).
    // Pages a data breakpoint watches never have write-TLB entries.
    const size_t idx = (la >> 12) & (kTlbSize - 1);
    const TlbEntry& e = wtlb_[user_][idx];
    const u64 off = la & 0xFFF;
    if (e.tag == ((la >> 12) | kCodePageTag) && off + size <= 0x1000 &&
        !(*wcode_[user_][idx] & code_line_mask(off, off + size))) {
        std::memcpy(e.host + off, src, size);
        return;
    }
    const PhysSpan span = translate_span(la, size, Access::Write);
    phys_write_span(span, src);
    if (bp_.data || !watch_.empty()) [[unlikely]] note_data_access(span.la, size, true);
}

u64 Cpu::read_implicit(u64 la, unsigned size) {
    u64 v = 0;
    phys_read_span(translate_span(la, size, Access::Read, true), &v);
    return v;
}

void Cpu::write_implicit(u64 la, unsigned size, u64 value) {
    phys_write_span(translate_span(la, size, Access::Write, true), &value);
}

void Cpu::note_data_access(u64 la, unsigned size, bool write) {
    if (u8 hits = bp_.data_hits(la, size, write)) {
        db_trap_ |= hits;
        end_block = true;
    }
    for (size_t n = 0; n < watch_.size() && !watch_hit_; ++n)
        if (watch_[n].meets(la, size, write)) {
            watch_hit_ = {n, write};
            end_block = true;
        }
}

bool Cpu::watch_page(u64 vpn) const {
    for (const Watchpoint& w : watch_)
        if (w.covers_page(vpn)) return true;
    return false;
}

void Cpu::set_watchpoints(std::vector<Watchpoint> w) {
    watch_ = std::move(w);
    watch_hit_.reset();
    flush_host_tlbs();
}

u32 Cpu::port_in(u16 port, unsigned size) {
    u32 v = bus_.io_in(port, size);
    end_block = true;  // e.g. reading a UART register can raise its interrupt
    if (bp_.io) [[unlikely]] db_trap_ |= bp_.io_hits(port, size);
    return v;
}

void Cpu::port_out(u16 port, unsigned size, u32 value) {
    bus_.io_out(port, size, value);
    end_block = true;  // e.g. an EOI or an unmasked line at the PIC
    if (bp_.io) [[unlikely]] db_trap_ |= bp_.io_hits(port, size);
}

void Cpu::load_breakpoints() {
    bp_.load(sys.dr, sys.cr4 & cr4::DE);
    // Watched pages leave the host TLBs; the next block runs in the loop that
    // matches the code breakpoints now armed.
    flush_host_tlbs();
    end_block = true;
}

u64 Cpu::fetch_phys(u64 la) { return translate(linear(la), Access::Exec); }

void Cpu::fetch_bytes(u64 la, u8* dst, size_t size) {
    for (size_t k = 0; k < size;) {
        const u64 a = linear(la + k);
        const size_t n = std::min<size_t>(size - k, 0x1000 - (a & 0xFFF));
        copy_from_phys(translate(a, Access::Exec), dst + k, n);
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

// Physical accesses go page by page: RAM with memcpy, anything else to the bus
// as one access of 1, 2, 4 or 8 bytes or byte by byte. A data access that
// reaches a device ends the block: an interrupt may be pending now (an EOI, a
// TPR or ICR write, a UART register read...).
void Cpu::phys_read_bytes(u64 pa, void* dst, size_t size) {
    if (copy_from_phys(pa, dst, size)) end_block = true;
}

bool Cpu::copy_from_phys(u64 pa, void* dst, size_t size) {
    bool device = false;
    u8* out = static_cast<u8*>(dst);
    while (size) {
        const size_t n = std::min<size_t>(size, 0x1000 - (pa & 0xFFF));
        if (u8* page = bus_.ram_page(pa)) {
            std::memcpy(out, page + (pa & 0xFFF), n);
        } else {
            device = true;
            if (n == 1 || n == 2 || n == 4 || n == 8) {
                u64 v = bus_.mmio_read(pa, static_cast<unsigned>(n));
                std::memcpy(out, &v, n);
            } else {
                for (size_t k = 0; k < n; ++k) out[k] = static_cast<u8>(bus_.mmio_read(pa + k, 1));
            }
        }
        pa += n;
        out += n;
        size -= n;
    }
    return device;
}

void Cpu::phys_write_bytes(u64 pa, const void* src, size_t size) {
    const u8* in = static_cast<const u8*>(src);
    while (size) {
        const size_t n = std::min<size_t>(size, 0x1000 - (pa & 0xFFF));
        if (u8* page = bus_.ram_page_for_write(pa)) {
            // Decoded blocks whose bytes this overlaps go; the rest of the
            // running block may be among them.
            if (code_->store(pa, static_cast<unsigned>(n))) end_block = true;
            std::memcpy(page + (pa & 0xFFF), in, n);
        } else {
            if (n == 1 || n == 2 || n == 4 || n == 8) {
                u64 v = 0;
                std::memcpy(&v, in, n);
                bus_.mmio_write(pa, static_cast<unsigned>(n), v);
            } else {
                for (size_t k = 0; k < n; ++k) bus_.mmio_write(pa + k, 1, in[k]);
            }
            end_block = true;
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
    const u8 from_cpl = sys.cpl;
    if (model_) model_->begin(nullptr);  // the frame's accesses belong to the event
    bool ok = deliver_fault(f);
    external_event_ = false;
    if (!ok) stop = {StopReason::TripleFault, triple_fault};
    else {
        if (model_) model_->event(*this, f.vector, external);
        if (observer) [[unlikely]] observer->delivered(*this, f.vector, from_cpl);
    }
    return ok;
}

// The block at linear `la`. Chaining: the block that followed `prev` last time,
// if nothing that could change the fetch (code writes, TLB or mode changes)
// happened since; otherwise the decode cache, and `prev` learns the link.
[[gnu::always_inline]] inline const Block* Cpu::next_block(u64 la, Block*& prev, u64& prev_generation) {
    Block* b = nullptr;
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
    return b;
}

// The rare boundary, out of the common path's way: step(), a shadow (after STI
// or MOV SS: one instruction, then look for interrupts again), TF (single-step:
// the instruction runs alone and traps with #DB after it, SDM Vol. 3A
// 17.3.1.4), RF (set only by IRET and by a REP string instruction that stopped
// between iterations, both of which end their block: it suppresses this
// instruction's breakpoints and is cleared as the instruction starts,
// 17.3.1.1), or armed code breakpoints. A lone instruction is one whose block
// end_block ends after it: it is set before the instruction runs. `insns`
// counts each instruction as it retires, so a fault leaves it right.
template <bool Detailed>
[[gnu::noinline]] void Cpu::rare_boundary(u64 la, bool one, Block*& prev, u64& prev_generation, u64 cycle_limit) {
    const bool after_mov_ss = mov_ss_shadow, resume = s.rflags & fl::RF;
    if (one || interrupt_shadow) end_block = true;
    interrupt_shadow = mov_ss_shadow = false;
    if (bp_.exec && !resume && !after_mov_ss) {
        if (u8 hits = bp_.exec_hits(code_linear(la))) {
            sys.dr[6] = (sys.dr[6] & ~dr6::kBreakpoints) | hits;
            Fault db{DB};
            db.keep_rf = true;
            throw db;
        }
    }
    if (s.rflags & fl::TF) {
        end_block = true;
        db_trap_ |= dr6::BS;  // void if the instruction faults
    }
    s.rflags &= ~fl::RF;
    const Block* b = next_block(la, prev, prev_generation);
    const Insn* i = b->insns.data();
    const Insn* end = i + b->insns.size();
    const timing::Facts* f = b->facts.data();
    u64 pc = b->la;
    // The block loop of execute(), and, while code breakpoints are armed, a
    // stop before an instruction that has one (the first was checked above):
    // the next boundary raises its #DB.
    while (i != end) {
        if constexpr (Detailed) {
            model_->begin(f);
            i->fn(*this, *i);
            model_->retire(*this, *i, *f, pc, b->pa + (pc - b->la));
            pc = b->next_la(static_cast<size_t>(i - b->insns.data()), pc);
            ++f;
        } else {
            i->fn(*this, *i);
            cycles += i->cycles;
        }
        ++insns;
        ++i;
        if (end_block | (cycles >= cycle_limit)) [[unlikely]] break;
        if (bp_.exec && bp_.exec_hits(code_linear(s.seg_base[CS] + s.rip))) break;
    }
}

// At each instruction boundary, in the order of SDM Vol. 3A Table 6-2:
//   4. traps of the previous instruction: single-step (RFLAGS.TF when it
//      began), data and I/O breakpoints, reported by one #DB after it (held
//      one more instruction after MOV SS / POP SS, 6.8.3);
//   5. NMI and 6. maskable interrupts (take_interrupt: IF, the STI / MOV SS
//      shadow, NMI blocking);
//   7. instruction breakpoints: a #DB fault before the instruction, unless
//      RFLAGS.RF is set or it follows MOV SS;
//   8-10. fetch, decode and execution faults (the handlers, the decoder).
// A block runs without looking at events between its instructions: every
// instruction after which one can be pending or acceptable ends its block
// (end_block: device accesses, STI, POPF, MOV SS, WRMSR, MOV CR8; IRET and
// HLT end blocks anyway), so interrupts are recognised at the boundary the SDM
// names (6.8.1 ... 6.8.3), not at the end of the block.
//
// The Observed instantiation (observer.h: only while a debugger asks) first
// asks the observer at each boundary it stops at: it may stop the CPU there,
// or have the next instruction run alone.
//
// The Detailed instantiation (a timing model is attached) runs the same
// boundary and the same blocks, and retires every instruction into the model,
// which sets `cycles`; the fast one adds each instruction's table cost.
template <bool One, bool Observed, bool Detailed> StepResult Cpu::execute(u64 cycle_limit) {
    end_block = false;  // no block is running yet: whatever set it (update_mode) is done
    // With the model, `cycles` is its clock whichever way this returns (a
    // handler or a page walk may have added fast-clock costs on the way).
    struct ModelClock {
        Cpu& c;
        ~ModelClock() { c.cycles = c.model_->now(); }
    };
    struct NoClock {
        explicit NoClock(Cpu&) {}
    };
    [[maybe_unused]] std::conditional_t<Detailed, ModelClock, NoClock> model_clock{*this};
    if constexpr (Detailed) model_->sync(*this);
    StepResult stop;
    Block* prev = nullptr;  // the block that ran last, for chaining
    u64 prev_generation = 0;
    while (cycles < cycle_limit) {
        if (interrupts) {
            take_interrupt(stop);
            if (stop.reason == StopReason::TripleFault) return stop;
        }
        if (halted) return {StopReason::Halt, {}};
        bool lone = One;
        if constexpr (Observed) {
            const Observer::Action a = observer->before(*this);
            if (a == Observer::Action::Stop) return {StopReason::Debug, {}};
            lone = One || a == Observer::Action::Single;
        }
        const u64 la = s.seg_base[CS] + s.rip;
        // The boundary after a block that ran to its end is quiet when the
        // checks above would pass it by: no HLT, no shadow, no TF or RF, no
        // armed code breakpoint, and no interrupt that has become acceptable.
        // Every instruction that can make one pending sets end_block (see
        // above), so only a change of IF or of NMI blocking (IRET, SYSRET,
        // which end their blocks without end_block) could have made one
        // acceptable since take_interrupt() looked.
        [[maybe_unused]] auto quiet_boundary = [this, flags_seen = s.rflags, nmi_seen = nmi_blocked] {
            return !(halted | interrupt_shadow | bp_.exec | (((s.rflags ^ flags_seen) & fl::IF) != 0) |
                     ((s.rflags & (fl::TF | fl::RF)) != 0) | (nmi_blocked != nmi_seen));
        };
        const Insn* first = nullptr;
        const Insn* i = nullptr;
        try {
            if (!(lone || interrupt_shadow || (s.rflags & (fl::TF | fl::RF)) || bp_.exec)) [[likely]] {
                // The common boundary: the block runs to its end or until an
                // instruction ends it. `insns` is added per block: counting per
                // instruction here makes the compiler pair it with `cycles`,
                // which handlers also update.
                const Block* b = next_block(la, prev, prev_generation);
                first = i = b->insns.data();
                const Insn* end = i + b->insns.size();
                if constexpr (Detailed) {
                    const timing::Facts* f = b->facts.data();
                    u64 pc = b->la;
                    while (i != end) {
                        model_->begin(f);
                        i->fn(*this, *i);
                        model_->retire(*this, *i, *f, pc, b->pa + (pc - b->la));
                        pc = b->next_la(static_cast<size_t>(i - b->insns.data()), pc);
                        ++f;
                        ++i;
                        if (end_block | (cycles >= cycle_limit)) [[unlikely]] break;
                    }
                } else {
                    for (;;) {
                        while (i != end) {
                            i->fn(*this, *i);
                            cycles += i->cycles;
                            ++i;
                            if (end_block | (cycles >= cycle_limit)) [[unlikely]] goto block_stopped;
                        }
                        // The block ran to its end: the next one starts here at
                        // once when the boundary at the top of the loop would
                        // find nothing to do (quiet_boundary).
                        if constexpr (One || Observed) break;
                        if (!quiet_boundary()) break;
                        insns += static_cast<u64>(i - first);
                        first = nullptr;  // counted: a fetch fault below must not count it again
                        b = next_block(s.seg_base[CS] + s.rip, prev, prev_generation);
                        first = i = b->insns.data();
                        end = i + b->insns.size();
                    }
                block_stopped:;
                }
                insns += static_cast<u64>(i - first);
            } else {
                rare_boundary<Detailed>(la, lone, prev, prev_generation, cycle_limit);
            }
            // Trap-class debug conditions of the instruction that just completed
            // (single-step, data and I/O breakpoints) make one #DB, held over one
            // more instruction after MOV SS / POP SS (6.8.3). A data or I/O
            // breakpoint ends the block and single-step runs one instruction:
            // only a block that ended early can have one.
            if (end_block) [[unlikely]] {
                end_block = false;
                if (db_trap_ && !mov_ss_shadow) {
                    sys.dr[6] = (sys.dr[6] & ~dr6::kBreakpoints) | db_trap_;
                    db_trap_ = 0;
                    Fault db{DB};
                    db.keep_rf = true;
                    if (!deliver_exceptions) return {StopReason::Fault, db};
                    prev = nullptr;
                    if (!deliver_event(db, false, stop)) return stop;
                }
                // A debugger's watchpoint met by the instruction that completed.
                if (watch_hit_) [[unlikely]] {
                    const auto [index, write] = *watch_hit_;
                    watch_hit_.reset();
                    if (observer && observer->watched(*this, index, write)) return {StopReason::Debug, {}};
                }
            }
        } catch (const Fault& f) {
            if (first) insns += static_cast<u64>(i - first);
            end_block = false;
            db_trap_ = 0;  // the instruction did not complete: its traps are void
            watch_hit_.reset();
            prev = nullptr;
            if (!deliver_exceptions) return {StopReason::Fault, f};
            if (!deliver_event(f, false, stop)) return stop;
        } catch (const DebugStop&) {
            // A trap record stopped the CPU before its instruction (observer.h).
            if (first) insns += static_cast<u64>(i - first);
            end_block = false;
            db_trap_ = 0;
            watch_hit_.reset();
            return {StopReason::Debug, {}};
        }
        if constexpr (One) break;
    }
    return {halted ? StopReason::Halt : StopReason::Budget, {}};
}

// The observed loop only while a debugger asks for it (observer.h), the
// detailed one only with a timing model: both are looked at here, never
// inside the loop.
template <bool One> StepResult Cpu::dispatch(u64 cycle_limit) {
    const bool observed = observe_boundaries && observer;
    if (model_) return observed ? execute<One, true, true>(cycle_limit) : execute<One, false, true>(cycle_limit);
    return observed ? execute<One, true, false>(cycle_limit) : execute<One, false, false>(cycle_limit);
}

StepResult Cpu::run(u64 cycle_limit) { return dispatch<false>(cycle_limit); }

StepResult Cpu::step() { return dispatch<true>(~0ull); }

}  // namespace sy
