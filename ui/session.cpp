// The GUI session (session.h).
#include "session.h"

#include <chrono>
#include <cstdio>

namespace sy::ui {

Session::Session(const cli::MachineOptions& o, bool checks) {
    cli::Prepared p = cli::prepare(o);
    launch_ = cli::start(p, [this](u8 b) { serial_.push_back(char(b)); }, {});
    Machine& m = machine();
    mem_ = std::make_unique<guest::CpuMemory>(m.cpu(0));
    try {
        kernel_.emplace(guest::Kernel::load(Symbols::load(launch_.kernel), *mem_));
    } catch (const std::exception& e) {
        kernel_note_ = e.what();
    }
    dbg_ = std::make_unique<debug::Debugger>(m, kernel());
    dbg_->set_checks(checks);
    dbg_->record_trace();  // the Timeline panel's event list (emu/trace/)
    m.set_host(this);
    // Snapshots every 10M cycles, at most 512 MiB of them (docs/replay.md).
    dbg_->enable_reverse(debug::Debugger::kDefaultSnapshotInterval, size_t(512) << 20);
    status_ = kernel_ ? "stopped at the first instruction: F5 runs, F6 runs to the next context switch"
                      : "no guest awareness (" + kernel_note_ + "): F5 runs";
    refresh();
}

Session::~Session() {
    if (launch_.machine) machine().set_host(nullptr);
}

void Session::refresh() {
    // The switch log only grows: keep the copy and append what is new rather
    // than copy all of it after every slice.
    std::vector<debug::SwitchRecord> log = std::move(model_.log);
    debug::ModelOptions o;
    o.with_log = false;
    o.focus_cpu = cpu;
    model_ = debug::build_model(machine(), kernel(), &dbg_->switches(), o);
    const auto& all = dbg_->switches().log();
    if (log.size() > all.size()) log.clear();  // a log that was started again
    log.insert(log.end(), all.begin() + std::ptrdiff_t(log.size()), all.end());
    model_.log = std::move(log);
    ++generation_;
}

void Session::type(const std::string& s) { input_.insert(input_.end(), s.begin(), s.end()); }

void Session::poll(Machine& m) {
    while (!input_.empty() && m.serial_room()) {
        u8 b = input_.front();
        if (m.inject_serial(&b, 1) != 1) break;
        input_.pop_front();
    }
}

bool Session::wait(Machine& m) {
    if (input_.empty()) return false;
    poll(m);
    return true;
}

std::string Session::describe(const debug::Stop& s) const {
    using debug::StopKind;
    const std::string cpu = "cpu" + std::to_string(s.cpu);
    switch (s.kind) {
    case StopKind::Breakpoint: return cpu + ": " + s.message;
    case StopKind::Watchpoint: return cpu + ": " + s.message;
    case StopKind::Step: return cpu + ": stepped";
    case StopKind::Switch: return s.message;
    case StopKind::Check: return "check failed on " + cpu + ": " + s.message;
    case StopKind::Limit: return "paused";
    case StopKind::Exited: {
        int v = s.run.exit_status >> 1;
        return "the guest powered off (exit device value " + std::to_string(v) + ")";
    }
    case StopKind::TripleFault: return "triple fault on " + cpu;
    case StopKind::AllHalted: return "every CPU is halted for good";
    case StopKind::Reset: return "the guest reset the machine";
    case StopKind::Stopped: return "stopped";
    }
    return "";
}

void Session::finish(const debug::Stop& s) {
    running_.reset();
    last_stop_ = s;
    status_ = describe(s);
    using debug::StopKind;
    if (s.kind == StopKind::Breakpoint || s.kind == StopKind::Watchpoint || s.kind == StopKind::Step || s.kind == StopKind::Switch ||
        s.kind == StopKind::Check || s.kind == StopKind::TripleFault)
        cpu = s.cpu;
    disasm_at.reset();
    if (s.final()) finished_ = true;
    refresh();
}

// After a reverse command: the console shows what the guest had written by
// then; the machine may have come back from its end.
void Session::went_back(const debug::Stop& s) {
    serial_.resize(std::min<size_t>(serial_.size(), machine().serial_output_count()));
    if (s.kind == debug::StopKind::Limit) {  // nothing earlier: the machine stayed
        status_ = s.message;
        refresh();
        return;
    }
    finished_ = false;
    finish(s);
    status_ = "back: " + status_;
}

void Session::command(Command c) {
    const bool reverse = c == Command::ReverseContinue || c == Command::PreviousSwitch || c == Command::ReverseStep;
    if (reverse && running_) return;
    if (finished_ && !reverse) return;
    Machine& m = machine();
    debug::Debugger& d = *dbg_;
    const u64 soon = m.now() + slice_;
    auto start = [&](Command what, const debug::Stop& s) {
        if (s.kind == debug::StopKind::Limit) {
            running_ = what;
            status_ = "running";
            refresh();
        } else {
            finish(s);
        }
    };
    switch (c) {
    case Command::Continue: start(c, d.cont(soon)); break;
    case Command::Pause:
        if (running_) {
            d.cancel();
            running_.reset();
            status_ = "paused";
            refresh();
        }
        break;
    case Command::RunToSwitch: start(c, d.run_to_switch(std::nullopt, soon)); break;
    case Command::Step:
        if (running_) return;
        start(c, d.step(cpu, soon));
        break;
    case Command::StepOver:
        if (running_) return;
        start(c, d.step_over(cpu, soon));
        break;
    case Command::StepOut:
        if (running_) return;
        start(c, d.step_out(cpu, soon));
        break;
    case Command::ReverseContinue: went_back(d.reverse_continue()); break;
    case Command::PreviousSwitch: went_back(d.previous_switch()); break;
    case Command::ReverseStep: went_back(d.reverse_stepi(cpu)); break;
    case Command::ToggleBreakpoint: {
        u64 a = selected_addr ? *selected_addr : m.cpu(cpu).s.rip;
        bool on = d.toggle_breakpoint(a);
        ++generation_;
        status_ = std::string(on ? "breakpoint set at " : "breakpoint removed at ") +
                  (kernel() ? kernel()->symbols().format(a) : "") + " (" + debug::hex(a) + ")";
        break;
    }
    }
}

void Session::tick(double budget_ms) {
    if (!running_ || finished_) return;
    using clock = std::chrono::steady_clock;
    auto t0 = clock::now();
    debug::Stop s = dbg_->resume(machine().now() + slice_);
    auto t1 = clock::now();
    double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    // Aim each slice at the budget less the model's rebuild after it: the
    // window stays responsive while the guest runs as fast as the host allows.
    if (ms > 0.05) {
        double aim = budget_ms - refresh_ms_;
        double scale = (aim < 0.5 ? 0.5 : aim) / ms;
        scale = scale < 0.5 ? 0.5 : scale > 2.0 ? 2.0 : scale;
        slice_ = u64(double(slice_) * scale);
        if (slice_ < 20'000) slice_ = 20'000;
        if (slice_ > 200'000'000) slice_ = 200'000'000;
    }
    if (s.kind == debug::StopKind::Limit ||
        // Idle with nothing to wake it: waiting for the user to type.
        (s.kind == debug::StopKind::AllHalted && s.run.nothing_to_wait_for)) {
        refresh();
        refresh_ms_ = std::chrono::duration<double, std::milli>(clock::now() - t1).count();
        return;
    }
    finish(s);
}

bool Session::run_to_switches(unsigned n) {
    for (unsigned k = 0; k < n; ++k) {
        debug::Stop s = dbg_->run_to_switch(std::nullopt, ~0ull);
        if (s.kind != debug::StopKind::Switch) {
            finish(s);
            return false;
        }
        if (k + 1 == n) finish(s);
    }
    if (n == 0) refresh();
    return true;
}

}  // namespace sy::ui
