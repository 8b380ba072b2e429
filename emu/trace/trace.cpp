// The event list (trace.h).
#include "trace.h"

namespace sy::trace {

const char* kind_name(Kind k) {
    switch (k) {
    case Kind::Task: return "task";
    case Kind::Switch: return "switch";
    case Kind::Interrupt: return "interrupt";
    case Kind::Exception: return "exception";
    case Kind::Syscall: return "syscall";
    }
    return "?";
}

Recorder::Recorder(unsigned cpus) : cpus_(cpus) {}

void Recorder::start(unsigned cpu, u64 cycle, int pid, std::string name) {
    PerCpu& p = cpus_[cpu];
    p.started = true;
    p.since = cycle;
    p.pid = pid;
    p.name = std::move(name);
}

void Recorder::entered(unsigned cpu, u64 cycle, Kind kind, int number, std::string name, std::string where,
                       bool from_user) {
    PerCpu& p = cpus_[cpu];
    if (!p.started) start(cpu, cycle, -1, "");
    p.slices.push_back(Slice{kind, number, std::move(name), std::move(where), from_user, false, cycle});
}

Event Recorder::slice_event(unsigned cpu, const PerCpu& p, size_t k, u64 end) const {
    const Slice& s = p.slices[k];
    Event e;
    e.kind = s.kind;
    e.cpu = cpu;
    e.begin = s.begin;
    e.end = end;
    e.depth = unsigned(k + 1);
    e.pid = p.pid;
    e.task_name = p.name;
    e.name = s.name;
    e.number = s.number;
    e.where = s.where;
    e.from_user = s.from_user;
    e.resumed = s.resumed;
    return e;
}

Event Recorder::stretch_event(unsigned cpu, const PerCpu& p, u64 end) const {
    Event e;
    e.kind = Kind::Task;
    e.cpu = cpu;
    e.begin = p.since;
    e.end = end;
    e.pid = p.pid;
    e.name = p.name;
    return e;
}

void Recorder::exited(unsigned cpu, u64 cycle) {
    PerCpu& p = cpus_[cpu];
    if (p.slices.empty()) {
        ++unmatched_exits_;
        return;
    }
    events_.push_back(slice_event(cpu, p, p.slices.size() - 1, cycle));
    p.slices.pop_back();
}

void Recorder::switched(unsigned cpu, u64 cycle, u64 prev, int prev_pid, const std::string& prev_name, u64 next,
                        int next_pid, const std::string& next_name, u64 ret_addr, const std::string& ret_sym) {
    PerCpu& p = cpus_[cpu];
    if (!p.started) start(cpu, cycle, prev_pid, prev_name);
    // prev's name now: an execve() during the stretch renamed it.
    if (p.pid < 0 || p.pid == prev_pid) p.pid = prev_pid, p.name = prev_name;
    // prev's slices end here, innermost first, and wait for prev to run again.
    for (size_t k = p.slices.size(); k-- > 0;) events_.push_back(slice_event(cpu, p, k, cycle));
    events_.push_back(stretch_event(cpu, p, cycle));
    if (prev) parked_[prev] = std::move(p.slices);
    p.slices.clear();

    Event sw;
    sw.kind = Kind::Switch;
    sw.cpu = cpu;
    sw.begin = sw.end = cycle;
    sw.pid = next_pid;
    sw.name = next_name;
    sw.prev_pid = prev_pid;
    sw.prev_name = prev_name;
    sw.ret_addr = ret_addr;
    sw.ret_sym = ret_sym;
    events_.push_back(std::move(sw));
    ++switches_;

    p.task = next;
    p.pid = next_pid;
    p.name = next_name;
    p.since = cycle;
    if (auto it = parked_.find(next); it != parked_.end()) {
        p.slices = std::move(it->second);
        parked_.erase(it);
        for (Slice& s : p.slices) s.begin = cycle, s.resumed = true;
    }
}

Recorder::Mark Recorder::mark() const { return Mark{events_.size(), cpus_, parked_, switches_, unmatched_exits_}; }

void Recorder::rewind(const Mark& m) {
    if (m.events < events_.size()) events_.resize(m.events);
    cpus_ = m.cpus;
    parked_ = m.parked;
    switches_ = m.switches;
    unmatched_exits_ = m.unmatched_exits;
}

std::vector<Event> Recorder::open(unsigned cpu, u64 now) const {
    std::vector<Event> out;
    const PerCpu& p = cpus_[cpu];
    if (!p.started) return out;
    out.push_back(stretch_event(cpu, p, now));
    out.back().open = true;
    for (size_t k = 0; k < p.slices.size(); ++k) {
        out.push_back(slice_event(cpu, p, k, now));
        out.back().open = true;
    }
    return out;
}

}  // namespace sy::trace
