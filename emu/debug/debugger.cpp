// The debugger core (debugger.h).
#include "debugger.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "code_cache.h"
#include "fault.h"
#include "model.h"

namespace sy::debug {

const char* stop_kind_name(StopKind k) {
    switch (k) {
    case StopKind::Breakpoint: return "breakpoint";
    case StopKind::Watchpoint: return "watchpoint";
    case StopKind::Step: return "step";
    case StopKind::Switch: return "switch";
    case StopKind::Check: return "check";
    case StopKind::Limit: return "limit";
    case StopKind::Exited: return "exited";
    case StopKind::TripleFault: return "triple fault";
    case StopKind::AllHalted: return "all halted";
    case StopKind::Reset: return "reset";
    case StopKind::Stopped: return "stopped";
    }
    return "?";
}

namespace {

std::optional<u64> parse_number(const std::string& s) {
    if (s.empty()) return std::nullopt;
    size_t k = (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 2 : 0;
    if (k == s.size()) return std::nullopt;
    u64 v = 0;
    for (; k < s.size(); ++k) {
        char c = char(std::tolower(static_cast<unsigned char>(s[k])));
        unsigned d;
        if (c >= '0' && c <= '9') d = unsigned(c - '0');
        else if (c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
        else return std::nullopt;
        if (v >> 60) return std::nullopt;
        v = v * 16 + d;
    }
    return v;
}

}  // namespace

Debugger::Debugger(Machine& m, const guest::Kernel* kernel)
    : m_(m), k_(kernel), tracker_(m.cpu_count()), cpus_(m.cpu_count()) {
    if (k_) checker_ = std::make_unique<guest::Checker>(*k_);
    for (unsigned n = 0; n < m_.cpu_count(); ++n) {
        m_.cpu(n).observer = this;
        cpus_[n].last_cpl = m_.cpu(n).cpl();
    }
    // Every switch model's beginnings and end rets: the kernel picks its model
    // at boot, after this (the trap handler asks which one runs).
    if (k_) {
        for (u64 a : k_->all_switch_traps()) arm(a);
        if (m_.timing()) meter_ = std::make_unique<SwitchCostMeter>(m_, *k_, tracker_);
    }
}

Debugger::~Debugger() {
    for (u64 a : armed_) code().clear_trap(a);
    if (!watches_.empty())
        for (unsigned n = 0; n < m_.cpu_count(); ++n) m_.cpu(n).set_watchpoints({});
    for (unsigned n = 0; n < m_.cpu_count(); ++n) {
        m_.cpu(n).observer = nullptr;
        m_.cpu(n).observe_boundaries = false;
    }
}

// ---- breakpoints ----

u64 Debugger::resolve(const std::string& where) const {
    std::string w = where;
    if (auto v = parse_number(w)) return *v;
    u64 off = 0;
    if (auto plus = w.find('+'); plus != std::string::npos) {
        auto o = parse_number(w.substr(plus + 1));
        if (!o) throw std::invalid_argument("breakpoint " + where + ": bad offset after +");
        off = *o;
        w = w.substr(0, plus);
    }
    if (!k_) throw std::invalid_argument("breakpoint " + where + ": no symbols (give an address)");
    auto a = k_->symbols().address_of(w);
    if (!a) throw std::invalid_argument("breakpoint " + where + ": no symbol " + w + " in the kernel");
    return *a + off;
}

int Debugger::add_breakpoint(const std::string& where) { return add_breakpoint_at(resolve(where), where); }

int Debugger::add_breakpoint_at(u64 addr, const std::string& where) {
    for (Breakpoint& b : bps_)
        if (b.addr == addr) return b.id;
    Breakpoint b;
    b.id = next_id_++;
    b.addr = addr;
    b.where = where.empty() ? (k_ && !k_->symbols().format(addr).empty() ? k_->symbols().format(addr) : hex(addr)) : where;
    bps_.push_back(b);
    arm(addr);
    return b.id;
}

bool Debugger::remove_breakpoint(int id) {
    auto it = std::find_if(bps_.begin(), bps_.end(), [&](const Breakpoint& b) { return b.id == id; });
    if (it == bps_.end()) return false;
    u64 addr = it->addr;
    bps_.erase(it);
    disarm(addr);
    return true;
}

bool Debugger::toggle_breakpoint(u64 addr) {
    for (const Breakpoint& b : bps_)
        if (b.addr == addr) {
            remove_breakpoint(b.id);
            return false;
        }
    add_breakpoint_at(addr);
    return true;
}

bool Debugger::has_breakpoint(u64 addr) const {
    return std::any_of(bps_.begin(), bps_.end(), [&](const Breakpoint& b) { return b.addr == addr; });
}

// ---- watchpoints ----

int Debugger::add_watchpoint(u64 addr, u64 len, WatchKind kind) {
    if (len == 0 || len > 4096) throw std::invalid_argument("watchpoint: length " + std::to_string(len) + " (1 to 4096)");
    for (const Watch& w : watches_)
        if (w.addr == addr && w.len == len && w.kind == kind) return w.id;
    watches_.push_back({next_id_++, addr, len, kind, 0});
    load_watchpoints();
    return watches_.back().id;
}

bool Debugger::remove_watchpoint(int id) {
    auto it = std::find_if(watches_.begin(), watches_.end(), [&](const Watch& w) { return w.id == id; });
    if (it == watches_.end()) return false;
    watches_.erase(it);
    load_watchpoints();
    return true;
}

void Debugger::load_watchpoints() {
    std::vector<sy::Watchpoint> cpu;
    for (const Watch& w : watches_)
        cpu.push_back({w.addr, w.len, w.kind != WatchKind::Read, w.kind != WatchKind::Write});
    for (unsigned n = 0; n < m_.cpu_count(); ++n) m_.cpu(n).set_watchpoints(cpu);
}

bool Debugger::watched(Cpu& c, size_t index, bool write) {
    if (index >= watches_.size()) return false;
    Watch& w = watches_[index];
    const unsigned i = index_of(c);
    if (replaying_) {
        // Re-running history: a hit is where reverse_continue may go back to
        // (the machine stands after the instruction, as the forward stop left
        // it); it never stops the re-run.
        if (scanning_) {
            hits_.push_back(replay::Point{tl_->current_op(), position_of(i)});
            hit_watch_.push_back(w.id);
        }
        return false;
    }
    ++w.hits;
    request_stop(i, StopKind::Watchpoint,
                 std::string(write ? "write to " : "read of ") + hex(w.addr) + " (watchpoint " + std::to_string(w.id) + ")",
                 false);
    pending_->watch = w.id;
    pending_->watch_write = write;
    return true;
}

bool Debugger::watched(u64 addr) const {
    if (has_breakpoint(addr)) return true;
    if (goal_ == Goal::Temp && temp_.addr == addr) return true;
    if (trace_ && (addr == k_->d().sym_entry_SYSCALL_64 ||
                   std::binary_search(trace_exits_.begin(), trace_exits_.end(), addr)))
        return true;
    if (k_)
        for (u64 a : k_->all_switch_traps())
            if (a == addr) return true;
    return false;
}

void Debugger::arm(u64 addr) {
    if (std::find(armed_.begin(), armed_.end(), addr) != armed_.end()) return;
    armed_.push_back(addr);
    code().set_trap(addr);
}

void Debugger::disarm(u64 addr) {
    if (watched(addr)) return;
    auto it = std::find(armed_.begin(), armed_.end(), addr);
    if (it == armed_.end()) return;
    armed_.erase(it);
    code().clear_trap(addr);
}

// ---- run control ----

unsigned Debugger::index_of(const Cpu& cpu) const {
    for (unsigned n = 0; n < m_.cpu_count(); ++n)
        if (&m_.cpu(n) == &cpu) return n;
    return 0;
}

bool Debugger::observing() const { return checks_ || goal_ == Goal::StepOne; }

void Debugger::update_observer() {
    const bool on = observing();
    for (unsigned n = 0; n < m_.cpu_count(); ++n)
        m_.cpu(n).observe_boundaries = replaying_ ? target_ && target_->cpu == n : on;
}

void Debugger::request_stop(unsigned cpu, StopKind kind, std::string message, bool at_trap) {
    Stop s;
    s.kind = kind;
    s.cpu = cpu;
    s.message = std::move(message);
    pending_ = std::move(s);
    last_cpu_ = cpu;
    // Resuming runs the instruction the CPU stopped before, without stopping
    // there again: a trap's bookkeeping is done, a boundary's check reported.
    if (at_trap) cpus_[cpu].resume_past = m_.cpu(cpu).s.rip;
    else cpus_[cpu].resume_boundary = m_.cpu(cpu).insns;
}

Stop Debugger::from_run_result(const RunResult& r) {
    Stop s;
    s.run = r;
    s.cpu = r.cpu;
    switch (r.end) {
    case RunEnd::GuestExit: s.kind = StopKind::Exited; break;
    case RunEnd::TripleFault: s.kind = StopKind::TripleFault; break;
    case RunEnd::AllHalted: s.kind = StopKind::AllHalted; break;
    case RunEnd::CycleLimit: s.kind = StopKind::Limit; break;
    case RunEnd::Reset: s.kind = StopKind::Reset; break;
    case RunEnd::Stopped: s.kind = StopKind::Stopped; break;
    case RunEnd::Debug: s.kind = StopKind::Step; break;  // replaced by pending_
    }
    s.message = r.detail;
    return s;
}

Stop Debugger::run(u64 cycle_limit) {
    update_observer();
    pending_.reset();
    RunResult r = machine_run(cycle_limit);
    Stop s;
    if (r.end == RunEnd::Debug && pending_) {
        s = std::move(*pending_);
        pending_.reset();
        s.run = r;
    } else {
        s = from_run_result(r);
    }
    // The goal stays over a slice's end, and while the guest only waits for
    // input (the GUI feeds it and goes on).
    if (s.kind != StopKind::Limit && !(s.kind == StopKind::AllHalted && r.nothing_to_wait_for)) cancel();
    return s;
}

void Debugger::set_goal(Goal g, std::optional<unsigned> cpu, const Temp* temp) {
    cancel();
    // A new command: a CPU that sits on a breakpoint goes past it (it is
    // leaving it). resume() after a slice sets no goal and skips nothing.
    for (unsigned n = 0; n < m_.cpu_count(); ++n) cpus_[n].leaving = m_.cpu(n).s.rip;
    goal_ = g;
    goal_cpu_ = cpu;
    if (g == Goal::Temp) {
        temp_ = *temp;
        arm(temp_.addr);
    }
}

// The decode cache the CPUs share, where the trap records go.
CodeCache& Debugger::code() { return m_.cpu(0).code_cache(); }

void Debugger::cancel() {
    const Goal was = goal_;
    goal_ = Goal::None;
    goal_cpu_.reset();
    if (was == Goal::Temp) disarm(temp_.addr);
    update_observer();
}

Stop Debugger::resume(u64 cycle_limit) { return run(cycle_limit); }

Stop Debugger::cont(u64 cycle_limit) {
    set_goal(Goal::None);
    return run(cycle_limit);
}

Stop Debugger::step(unsigned cpu, u64 cycle_limit) {
    if (m_.cpu(cpu).halted || m_.waiting_for_sipi(cpu)) {
        // It moves only when something wakes it: run until it does.
        set_goal(Goal::StepOne, cpu);
        stepping_halted_ = cpu;
        return run(cycle_limit);
    }
    set_goal(Goal::None);
    pending_.reset();
    StepResult r = machine_step(cpu);
    Stop s;
    s.cpu = cpu;
    last_cpu_ = cpu;
    if (pending_) {
        s = std::move(*pending_);
        pending_.reset();
        return s;
    }
    cpus_[cpu].resume_past.reset();  // past the instruction: a trap at the next one is new
    if (m_.exit_requested()) {
        s.kind = StopKind::Exited;
        s.run = m_.finish_exit();
        return s;
    }
    if (r.reason == StopReason::TripleFault) {
        s.kind = StopKind::TripleFault;
        s.message = m_.cpu(cpu).describe();
        return s;
    }
    s.kind = StopKind::Step;
    return s;
}

DisasmLine Debugger::disassemble(unsigned cpu, u64 addr) const {
    const Cpu& c = m_.cpu(cpu);
    u8 buf[16] = {};
    size_t n = c.peek(addr, buf, sizeof buf);
    return (code_bits(c) == 32 ? dis32_ : dis_).decode(buf, n, addr);
}

Stop Debugger::step_over(unsigned cpu, u64 cycle_limit) {
    const Cpu& c = m_.cpu(cpu);
    DisasmLine l = disassemble(cpu, c.s.rip);
    if (!l.is_call || c.halted) return step(cpu, cycle_limit);
    const Temp t{c.s.rip + l.len, c.s.gpr[RSP]};
    set_goal(Goal::Temp, std::nullopt, &t);
    return run(cycle_limit);
}

Stop Debugger::step_out(unsigned cpu, u64 cycle_limit) {
    const Cpu& c = m_.cpu(cpu);
    std::optional<Temp> target;
    if (k_) {
        std::vector<guest::Task> tasks = guest::read_tasks(*k_);
        const guest::Task* t = guest::task_with_stack(tasks, c.s.gpr[RSP]);
        guest::Unwound u = guest::unwind_live(*k_, t, c.s.rip, c.s.gpr[RSP], c.s.gpr[RBP], std::nullopt, 2);
        if (u.frames.size() >= 2) target = Temp{u.frames[1].pc, u.frames[1].sp};
    }
    if (!target) {
        // No kernel awareness: the frame pointer says where the caller is.
        u64 ret = 0;
        if (c.peek(c.s.gpr[RBP] + 8, &ret, 8) == 8) target = Temp{ret, c.s.gpr[RBP] + 16};
    }
    if (!target) return step(cpu, cycle_limit);
    set_goal(Goal::Temp, std::nullopt, &*target);
    return run(cycle_limit);
}

Stop Debugger::run_to_switch(std::optional<unsigned> cpu, u64 cycle_limit) {
    if (!k_) {
        Stop s;
        s.kind = StopKind::Limit;
        s.message = "no kernel descriptor: switches are not known";
        return s;
    }
    set_goal(Goal::Switch, cpu);
    return run(cycle_limit);
}

// ---- the observer ----

bool Debugger::trap(Cpu& c) {
    const unsigned i = index_of(c);
    PerCpu& p = cpus_[i];
    const u64 rip = c.s.rip;
    const bool leaving = p.leaving && *p.leaving == rip;
    p.leaving.reset();
    if (p.resume_past && *p.resume_past == rip) {
        p.resume_past.reset();
        return false;
    }
    p.resume_past.reset();
    if (replaying_) return replay_trap(c, i);
    bool stop = false;
    if (trace_) trace_trap(i, c);
    if (k_) {
        if (const SwitchRecord* sr = note_switch(c, i)) {
            const SwitchRecord& r = *sr;
            if (trace_) trace_switch(i, c, r);
            if (checks_) {
                if (guest::Violation v = checker_->at_switch_ret(c, r.prev, r.next)) {
                    request_stop(i, StopKind::Check, *v);
                    return true;
                }
            }
            if (goal_ == Goal::Switch && (!goal_cpu_ || *goal_cpu_ == i)) {
                request_stop(i, StopKind::Switch,
                             "cpu" + std::to_string(i) + ": switch " + std::to_string(tracker_.count()) + ", pid " +
                                 std::to_string(r.prev_pid) + " -> pid " + std::to_string(r.next_pid) +
                                 ", about to pop ret_addr " + hex(r.ret_addr) + " (" + r.ret_sym + ")");
                stop = true;
            }
        }
    }
    if (goal_ == Goal::Temp && rip == temp_.addr && c.s.gpr[RSP] == temp_.rsp && !stop) {
        request_stop(i, StopKind::Step, "");
        stop = true;
    }
    for (Breakpoint& b : bps_) {
        if (!b.enabled || b.addr != rip || leaving) continue;
        ++b.hits;
        if (!stop) request_stop(i, StopKind::Breakpoint, "breakpoint " + std::to_string(b.id) + " at " + b.where);
        stop = true;
    }
    return stop;
}

void Debugger::delivered(Cpu& c, u8 vector, u8 from_cpl) {
    // The interrupt may come at the first boundary back in user mode, before
    // before() has seen it: the privilege it interrupted is what counts.
    const unsigned i = index_of(c);
    if (trace_) {
        if (!trace_->started(i)) trace_start(i);
        const bool exception = vector < 32 && vector != 2;
        char name[32];
        if (vector < 32) std::snprintf(name, sizeof name, "%s", vector_name(vector));
        else std::snprintf(name, sizeof name, "interrupt 0x%02x", vector);
        trace_->entered(i, c.cycles, exception ? trace::Kind::Exception : trace::Kind::Interrupt, vector, name,
                        k_->symbols().format(c.s.rip), from_cpl == 3);
    }
    PerCpu& p = cpus_[i];
    if (from_cpl == 3) {
        p.entry_vector = vector;
        p.last_cpl = 3;
    }
}

// ---- the timeline ----

bool Debugger::record_trace() {
    if (!k_) return false;
    if (trace_) return true;
    trace_ = std::make_unique<trace::Recorder>(m_.cpu_count());
    trace_exits_ = guest::find_kernel_exits(*k_);
    for (u64 a : trace_exits_) arm(a);
    if (k_->d().sym_entry_SYSCALL_64) arm(k_->d().sym_entry_SYSCALL_64);
    for (unsigned n = 0; n < m_.cpu_count(); ++n)
        if (!m_.waiting_for_sipi(n)) trace_start(n);
    return true;
}

// A CPU's first stretch: the task the kernel has as current there, if it has
// one yet (at power-on it has not; the first switch's prev names it then).
void Debugger::trace_start(unsigned i) {
    const Cpu& c = m_.cpu(i);
    int pid = -1;
    std::string name;
    if (auto kcpu = k_->cpu_of_apic(c.apic_id))
        if (u64 cur = guest::current_task(*k_, *kcpu))
            if (auto t = guest::read_task(*k_, cur)) pid = t->pid, name = t->name;
    trace_->start(i, c.cycles, pid, name);
}

void Debugger::trace_switch(unsigned i, const Cpu& c, const SwitchRecord& r) {
    trace_->switched(i, c.cycles, r.prev, r.prev_pid, r.prev_name, r.next, r.next_pid, r.next_name, r.ret_addr,
                     r.ret_sym);
}

void Debugger::trace_trap(unsigned i, const Cpu& c) {
    const u64 rip = c.s.rip;
    if (rip == k_->d().sym_entry_SYSCALL_64) {
        if (!trace_->started(i)) trace_start(i);
        const u64 nr = c.s.gpr[RAX];
        trace_->entered(i, c.cycles, trace::Kind::Syscall, int(nr), syscall_name(nr), "entry_SYSCALL_64", true);
    } else if (std::binary_search(trace_exits_.begin(), trace_exits_.end(), rip)) {
        if (!trace_->started(i)) trace_start(i);
        trace_->exited(i, c.cycles);
    }
}

// The name of the function the kernel's sys_call_table has for `nr`, without
// its "sys_" ("sched_yield"); "syscall N" when there is none (-ENOSYS).
std::string Debugger::syscall_name(u64 nr) {
    const Symbol* table = k_->symbols().find("sys_call_table");
    const u64 entries = table ? table->size / 8 : 0;
    if (nr >= entries) return "syscall " + std::to_string(nr);
    if (syscall_names_.size() < entries) syscall_names_.resize(entries);
    std::string& name = syscall_names_[nr];
    if (name.empty()) {
        std::string sym = k_->symbols().format(k_->u64_at(table->addr + 8 * nr));
        if (sym.rfind("sys_", 0) == 0) sym = sym.substr(4);
        name = sym.empty() || sym.find('+') != std::string::npos ? "syscall " + std::to_string(nr) : sym;
    }
    return name;
}

bool Debugger::uses_gs(const Cpu& c) const {
    u8 buf[16] = {};
    size_t n = c.peek(c.s.rip, buf, sizeof buf);
    return dis_.decode(buf, n, c.s.rip).gs_memory;
}

Observer::Action Debugger::before(Cpu& c) {
    const unsigned i = index_of(c);
    if (replaying_) return replay_before(c, i);
    PerCpu& p = cpus_[i];
    if (goal_ == Goal::StepOne && goal_cpu_ == i) {
        request_stop(i, StopKind::Step, "", false);
        return Action::Stop;
    }
    if (!checks_) return Action::Run;
    const u8 cpl = c.cpl();
    const bool resumed = p.resume_boundary && *p.resume_boundary == c.insns;
    p.resume_boundary.reset();
    if (cpl == 0 && p.last_cpl == 3) {
        // The first instruction of a kernel entry from user mode.
        const int vector = p.entry_vector >= 0 ? p.entry_vector : -1;
        p.entry_rip = c.s.rip;
        p.last_cpl = cpl;
        p.entry_vector = -2;
        if (!resumed)
            if (guest::Violation v = checker_->at_kernel_entry(c, vector)) {
                request_stop(i, StopKind::Check, *v, false);
                return Action::Stop;
            }
    }
    p.last_cpl = cpl;
    if (cpl != 0) return Action::Run;
    // Kernel code with a GS base that is not this CPU's per-CPU area: every
    // instruction is looked at until SWAPGS (or a return to user mode) ends it.
    if (k_->ptr_size() != 8) return Action::Run;  // no SWAPGS to miss: the i386 kernel's per-CPU area is FS's
    if (!p.percpu || (++p.percpu_retry & 0xFFF) == 0) p.percpu = checker_->percpu_of(c).value_or(0);
    if (!p.percpu || c.sys.seg[GS].base == p.percpu) return Action::Run;
    if (!resumed && uses_gs(c))
        if (guest::Violation v = checker_->at_gs_access(c, p.entry_rip)) {
            request_stop(i, StopKind::Check, *v, false);
            return Action::Stop;
        }
    return Action::Single;
}

// ---- reverse execution ----

const SwitchRecord* Debugger::note_switch(Cpu& c, unsigned i) {
    const u64 rip = c.s.rip;
    if (k_->is_switch_begin(rip)) tracker_.entered(*k_, i, c);
    // Under linux every ret of __switch_to ends a switch (attached mid-switch
    // too). The other models' end routines also return elsewhere (xv6's swtch
    // into the scheduler thread): only the first ret after a beginning ends one.
    const auto& cur = tracker_.in_progress(i);
    const bool ends = k_->is_switch_end(rip) && (k_->switch_model() == SY_SWITCH_LINUX || (cur && !cur->at_ret));
    if (!ends) return nullptr;
    const SwitchRecord& r = tracker_.at_ret(*k_, i, c);
    if (tl_) switch_points_.push_back({tracker_.count() - 1, replay::Point{tl_->current_op(), position_of(i)}});
    return &r;
}

replay::Position Debugger::position_of(unsigned cpu) const {
    const Cpu& c = m_.cpu(cpu);
    return replay::Position{cpu, c.insns, c.cycles, c.s.rip};
}

RunResult Debugger::machine_run(u64 cycle_limit) {
    if (!tl_) return m_.run(cycle_limit);
    tl_->begin(replay::Op::Kind::Run, stepping_halted_.value_or(0), cycle_limit, stepping_halted_.has_value());
    stepping_halted_.reset();
    RunResult r = m_.run(cycle_limit);
    std::optional<replay::Position> end;
    if (r.end == RunEnd::Debug && pending_) end = position_of(pending_->cpu);
    tl_->end(end);
    return r;
}

StepResult Debugger::machine_step(unsigned cpu) {
    if (!tl_) return m_.step_cpu(cpu);
    tl_->begin(replay::Op::Kind::Step, cpu, 0);
    StepResult r = m_.step_cpu(cpu);
    tl_->end(position_of(cpu), pending_.has_value());
    return r;
}

bool Debugger::enable_reverse(u64 interval, size_t max_bytes) {
    if (tl_) return true;
    if (m_.timing()) return false;
    tl_ = std::make_unique<replay::Timeline>(m_, interval, max_bytes);
    tl_->on_snapshot = [this](u64 id) {
        saved_[id] = Saved{tracker_.save(), cpus_, trace_ ? std::optional(trace_->mark()) : std::nullopt};
    };
    return true;
}

bool Debugger::armed_at(u64 addr) const { return std::find(armed_.begin(), armed_.end(), addr) != armed_.end(); }

// A position with a clock is found by its clock and RIP: a trap runs inside a
// block, where the CPU's instruction count is still the block's first (the
// count is a lower bound then). One without is the first boundary at its count.
bool Debugger::at_target(const Cpu& c) const {
    const replay::Position& t = *target_;
    if (t.cycles) return c.cycles == *t.cycles && (!t.rip || c.s.rip == *t.rip);
    return c.insns == t.insns;
}

// Re-running: traps keep the switch log and the timeline as the first run did
// (restore_saved() cut both back to the snapshot) and collect breakpoint hits;
// the only stop is the target (the point, or where the command being re-run
// stopped).
bool Debugger::replay_trap(Cpu& c, unsigned i) {
    if (trace_) trace_trap(i, c);
    if (k_)
        if (const SwitchRecord* r = note_switch(c, i); r && trace_) trace_switch(i, c, *r);
    if (scanning_)
        for (const Breakpoint& b : bps_)
            if (b.enabled && b.addr == c.s.rip) {
                hits_.push_back(replay::Point{tl_->current_op(), position_of(i)});
                hit_watch_.push_back(0);
                break;
            }
    if (step_trap_ || (target_ && target_->cpu == i && at_target(c))) {
        request_stop(i, StopKind::Step, "");
        reached_ = true;
        return true;
    }
    return false;
}

Observer::Action Debugger::replay_before(Cpu& c, unsigned i) {
    if (!target_ || target_->cpu != i) return Action::Run;
    if (at_target(c)) {
        // A trap here stops inside the instruction, after its bookkeeping, as
        // the run that came here first did.
        const PerCpu& p = cpus_[i];
        if (armed_at(c.s.rip) && !(p.resume_past && *p.resume_past == c.s.rip)) return Action::Single;
        request_stop(i, StopKind::Step, "", false);
        reached_ = true;
        return Action::Stop;
    }
    if (target_->cycles ? c.cycles > *target_->cycles : c.insns > target_->insns) {  // past it: the re-run is not the run
        request_stop(i, StopKind::Step, "", false);
        return Action::Stop;
    }
    // Whole blocks while no block can reach the target, then one at a time.
    return c.insns + CodeCache::kMaxBlock >= target_->insns ? Action::Single : Action::Run;
}

void Debugger::restore_saved(const replay::Timeline::Restored& r) {
    const Saved& sv = saved_.at(r.id);
    tracker_.restore(sv.tracker);
    cpus_ = sv.cpus;
    // The timeline too: what a re-run adds from here is what the first run added.
    if (trace_) {
        if (sv.trace) trace_->rewind(*sv.trace);
        else trace_ = std::make_unique<trace::Recorder>(m_.cpu_count());  // the snapshot is older than the timeline
    }
    saved_.erase(saved_.upper_bound(r.id), saved_.end());
    while (!switch_points_.empty() && switch_points_.back().first >= tracker_.count()) switch_points_.pop_back();
    pending_.reset();
}

bool Debugger::rerun_to(const replay::Timeline::Restored& r, const replay::Point& p) {
    replaying_ = true;
    tl_->set_replaying(true);
    bool whole = true;
    for (size_t j = r.op; j <= p.op && j < tl_->ops().size(); ++j) {
        if (j != r.op || r.op_start) tl_->op_starting(j);
        if (tl_->scan_ended()) {
            whole = false;
            break;
        }
        if (j == p.op && !p.at) break;
        tl_->set_current_op(j);
        const replay::Op op = tl_->ops()[j];
        const bool last = j == p.op;
        step_trap_ = !last && op.kind == replay::Op::Kind::Step && op.stopped_by_trap;
        target_ = last ? p.at : op.kind == replay::Op::Kind::Run ? op.end : std::nullopt;
        reached_ = false;
        pending_.reset();
        update_observer();
        if (op.kind == replay::Op::Kind::Step) {
            m_.step_cpu(op.cpu);
            if (!pending_) cpus_[op.cpu].resume_past.reset();  // as step() does
        } else {
            m_.run(op.cycle_limit);
        }
        if (tl_->scan_ended()) {
            whole = false;
            break;
        }
        const bool ok = target_ ? reached_ : op.kind == replay::Op::Kind::Run || position_of(op.cpu) == *op.end;
        if (!ok) {
            replaying_ = false;
            tl_->set_replaying(false);
            target_.reset();
            update_observer();
            throw std::logic_error("reverse execution: running the history again from a snapshot did not reach "
                                   "where it went the first time (op " + std::to_string(j) + ")");
        }
    }
    pending_.reset();
    target_.reset();
    step_trap_ = false;
    replaying_ = false;
    tl_->set_replaying(false);
    update_observer();
    return whole;
}

Stop Debugger::no_history(const std::string& why) const {
    Stop s;
    s.kind = StopKind::Limit;
    s.message = why;
    return s;
}

Stop Debugger::go_back_to(const replay::Point& p, StopKind kind) {
    auto r = tl_->restore_before(p);
    if (!r) return no_history("that point is older than the oldest snapshot kept");
    restore_saved(*r);
    rerun_to(*r, p);
    tl_->truncate(p);
    Stop s;
    s.kind = kind;
    s.cpu = p.at ? p.at->cpu : last_cpu_.value_or(0);
    last_cpu_ = s.cpu;
    return s;
}

Stop Debugger::reverse_stepi(unsigned cpu) {
    if (!tl_) return no_history("reverse execution is off");
    cancel();
    const auto& ops = tl_->ops();
    for (size_t j = ops.size(); j-- > 0;) {
        const replay::Op& op = ops[j];
        if ((op.kind == replay::Op::Kind::Step || op.for_step) && op.cpu == cpu) {
            Stop s = go_back_to(replay::Point{j, std::nullopt}, StopKind::Step);
            s.cpu = cpu;
            last_cpu_ = cpu;
            return s;
        }
        const u64 after = j + 1 < ops.size() ? ops[j + 1].insns_before[cpu] : m_.cpu(cpu).insns;
        if (op.kind == replay::Op::Kind::Run && op.insns_before[cpu] < after)
            return go_back_to(replay::Point{j, replay::Position{cpu, after - 1, std::nullopt, std::nullopt}}, StopKind::Step);
    }
    return no_history("cpu" + std::to_string(cpu) + " executed nothing in the history kept");
}

Stop Debugger::previous_switch() {
    if (!tl_) return no_history("reverse execution is off");
    if (!k_) return no_history("no kernel descriptor: switches are not known");
    cancel();
    const auto& ops = tl_->ops();
    for (auto it = switch_points_.rbegin(); it != switch_points_.rend(); ++it) {
        const replay::Point& p = it->second;
        // The switch the machine stands at does not count.
        if (!ops.empty() && p.op == ops.size() - 1 && replay::same_place(p.at, ops.back().end)) continue;
        const replay::Point target = p;
        Stop s = go_back_to(target, StopKind::Switch);
        if (tracker_.count()) {
            const SwitchRecord& r = tracker_.log().back();
            s.message = "cpu" + std::to_string(r.cpu) + ": back at switch " + std::to_string(tracker_.count()) + ", pid " +
                        std::to_string(r.prev_pid) + " -> pid " + std::to_string(r.next_pid) + ", about to pop ret_addr " +
                        hex(r.ret_addr) + " (" + r.ret_sym + ")";
        }
        return s;
    }
    return no_history("no earlier context switch in the history kept");
}

Stop Debugger::reverse_continue() {
    if (!tl_) return no_history("reverse execution is off");
    cancel();
    const replay::Point end = tl_->now();
    replay::Position here{~0u, 0, std::nullopt, std::nullopt};  // where the machine stands: the last op's stop
    if (!tl_->ops().empty() && tl_->ops().back().end) here = *tl_->ops().back().end;
    std::optional<replay::Point> found;
    int found_watch = 0;
    // One stretch between snapshots at a time, newest first: the latest hit in
    // the newest stretch that has one.
    for (size_t k = tl_->snapshot_count(); k-- > 0 && !found;) {
        const bool newest = k + 1 == tl_->snapshot_count();
        replay::Timeline::Restored r = tl_->restore_index(k);
        restore_saved(r);
        hits_.clear();
        hit_watch_.clear();
        scanning_ = true;
        tl_->end_scan_at_next_snapshot(!newest);
        rerun_to(r, end);
        scanning_ = false;
        // The breakpoint the machine stands at does not count.
        if (newest && !hits_.empty() && hits_.back().op + 1 == end.op && replay::same_place(hits_.back().at, here)) {
            hits_.pop_back();
            hit_watch_.pop_back();
        }
        if (!hits_.empty()) {
            found = hits_.back();
            found_watch = hit_watch_.back();
        }
    }
    if (!found) {
        Stop s = go_back_to(end, StopKind::Limit);
        s.message = "no breakpoint or watchpoint hit earlier in the history kept";
        return s;
    }
    if (found_watch) {
        Stop s = go_back_to(*found, StopKind::Watchpoint);
        s.watch = found_watch;
        for (const Watch& w : watches_)
            if (w.id == found_watch) {
                s.watch_write = w.kind == WatchKind::Write;
                s.message = "back at a hit of watchpoint " + std::to_string(w.id) + " at " + hex(w.addr);
            }
        return s;
    }
    Stop s = go_back_to(*found, StopKind::Breakpoint);
    for (const Breakpoint& b : bps_)
        if (b.addr == found->at->rip) s.message = "breakpoint " + std::to_string(b.id) + " at " + b.where;
    return s;
}

}  // namespace sy::debug
