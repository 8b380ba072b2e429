// The timeline (timeline.h).
#include "timeline.h"

#include <cstring>

#include "archive.h"

namespace sy::replay {

namespace {
constexpr size_t kPage = 0x1000;
}

Timeline::Timeline(Machine& m, u64 interval, size_t max_bytes)
    : m_(m), interval_(interval ? interval : 1), max_bytes_(max_bytes) {
    m_.set_round_listener(this);
    m_.set_input_listener(this);
}

Timeline::~Timeline() {
    m_.set_round_listener(nullptr);
    m_.set_input_listener(nullptr);
    m_.watch_writes(nullptr);
    if (m_.host() == this) m_.set_host(inner_);
}

// ---- snapshots ----

void Timeline::take(size_t op, bool op_start) {
    Snapshot s;
    s.id = next_id_++;
    s.op = op;
    s.op_start = op_start;
    s.cycle = m_.now();
    for (unsigned n = 0; n < m_.cpu_count(); ++n) {
        s.insns.push_back(m_.cpu(n).insns);
        s.cycles.push_back(m_.cpu(n).cycles);
    }
    s.host_calls = host_calls_;
    Archive ar(s.state);
    m_.serialize(ar);
    bytes_ += s.bytes();
    snaps_.push_back(std::move(s));
    // Every page counts as unwritten again: the next write to each is kept
    // in this snapshot.
    m_.watch_writes(this);
    next_at_ = m_.now() + interval_;
    last_snapshot_op_ = op;
    // The oldest snapshots go first; the newest always stays.
    while (bytes_ > max_bytes_ && snaps_.size() > 1) {
        bytes_ -= snaps_.front().bytes();
        snaps_.pop_front();
    }
    if (on_snapshot) on_snapshot(snaps_.back().id);
    if (scan_ && replaying_) scan_ended_ = true;
}

void Timeline::before_first_write(u64 page) {
    if (snaps_.empty()) return;
    Snapshot& s = snaps_.back();
    const size_t before = s.bytes();
    s.pages.push_back(page);
    const u8* p = m_.ram() + page * kPage;
    s.page_bytes.insert(s.page_bytes.end(), p, p + kPage);
    bytes_ += s.bytes() - before;
}

void Timeline::round_start(Machine& m) {
    if (m.now() >= next_at_ && !scan_ended_) take(current_, false);
}

void Timeline::op_starting(size_t op) {
    if (snaps_.empty() || m_.now() >= next_at_ || op - last_snapshot_op_ >= kStepsPerSnapshot) take(op, true);
}

size_t Timeline::pages_kept() const {
    size_t n = 0;
    for (const Snapshot& s : snaps_) n += s.pages.size();
    return n;
}

// ---- forward ----

void Timeline::begin(Op::Kind kind, unsigned cpu, u64 cycle_limit, bool for_step) {
    if (m_.host() != this) {
        inner_ = m_.host();
        m_.set_host(this);
    }
    Op op;
    op.kind = kind;
    op.cpu = cpu;
    op.cycle_limit = cycle_limit;
    op.for_step = for_step;
    for (unsigned n = 0; n < m_.cpu_count(); ++n) op.insns_before.push_back(m_.cpu(n).insns);
    ops_.push_back(std::move(op));
    current_ = ops_.size() - 1;
    op_starting(current_);
}

void Timeline::end(std::optional<Position> stop, bool stopped_by_trap) {
    ops_[current_].end = stop;
    ops_[current_].stopped_by_trap = stopped_by_trap;
}

// ---- back ----

void Timeline::put_back_ram(size_t down_to) {
    u8* ram = m_.ram();
    for (size_t k = snaps_.size(); k-- > down_to;) {
        const Snapshot& s = snaps_[k];
        for (size_t i = s.pages.size(); i-- > 0;)
            std::memcpy(ram + s.pages[i] * kPage, s.page_bytes.data() + i * kPage, kPage);
    }
}

Timeline::Restored Timeline::restored(size_t index) const {
    const Snapshot& s = snaps_[index];
    return Restored{s.id, s.op, s.op_start, index};
}

Timeline::Restored Timeline::restore_index(size_t index) {
    put_back_ram(index);
    while (snaps_.size() > index + 1) {
        bytes_ -= snaps_.back().bytes();
        snaps_.pop_back();
    }
    Snapshot& s = snaps_.back();
    bytes_ -= s.page_bytes.size() + s.pages.size() * 8;
    s.pages.clear();
    s.page_bytes.clear();
    // The machine loads last: it drops the decoded code of the RAM it replaced.
    Archive ar(s.state.data(), s.state.size());
    m_.serialize(ar);
    m_.watch_writes(this);
    host_calls_ = s.host_calls;
    next_event_ = 0;
    while (next_event_ < events_.size() && events_[next_event_].call <= host_calls_) ++next_event_;
    next_at_ = s.cycle + interval_;
    last_snapshot_op_ = s.op;
    current_ = s.op;
    return restored(index);
}

std::optional<Timeline::Restored> Timeline::restore_before(const Point& p) {
    for (size_t k = snaps_.size(); k-- > 0;) {
        const Snapshot& s = snaps_[k];
        bool usable = s.op < p.op;
        if (s.op == p.op) {
            if (s.op_start) usable = true;
            else if (p.at) {
                // Taken inside the op: usable if the CPU had not reached `at` yet.
                const unsigned c = p.at->cpu;
                usable = p.at->cycles ? s.cycles[c] < *p.at->cycles : s.insns[c] < p.at->insns;
            }
        }
        if (usable) return restore_index(k);
    }
    return std::nullopt;
}

void Timeline::set_replaying(bool on) {
    replaying_ = on;
    m_.mute_output(on);
    if (!on) scan_ = scan_ended_ = false;
}

void Timeline::truncate(const Point& here) {
    if (here.at) {
        ops_.resize(here.op + 1);
        ops_[here.op].end = here.at;
    } else {
        ops_.resize(here.op);
    }
    current_ = ops_.empty() ? 0 : ops_.size() - 1;
    while (!events_.empty() && events_.back().call > host_calls_) events_.pop_back();
    next_event_ = events_.size();
}

// ---- the host ----

InputEvent Timeline::event(InputEvent::Kind kind) const {
    InputEvent e;
    e.kind = kind;
    e.where = where_;
    e.call = host_calls_;
    e.cycle = m_.now();
    return e;
}

void Timeline::serial(const u8* bytes, size_t n) {
    // Only what enters in a host call can be placed in the history (the GUI
    // feeds its typing through poll()).
    if (!in_call_ || replaying_) return;
    InputEvent e = event(InputEvent::Kind::Serial);
    e.bytes.assign(bytes, bytes + n);
    events_.push_back(std::move(e));
}

void Timeline::key(dev::Key k, bool pressed) {
    if (!in_call_ || replaying_) return;
    InputEvent e = event(InputEvent::Kind::Key);
    e.key = u16(k);
    e.pressed = pressed;
    events_.push_back(std::move(e));
}

// Replaying: the logged input of this host call.
void Timeline::deliver(Machine& m) {
    while (next_event_ < events_.size() && events_[next_event_].call <= host_calls_) {
        const InputEvent& e = events_[next_event_++];
        if (e.call != host_calls_) continue;
        if (e.kind == InputEvent::Kind::Serial) m.inject_serial(e.bytes.data(), e.bytes.size());
        else if (e.kind == InputEvent::Kind::Key) m.key_event(dev::Key(e.key), e.pressed);
    }
}

void Timeline::poll(Machine& m) {
    ++host_calls_, where_ = HostCall::Poll;
    if (replaying_) return deliver(m);
    in_call_ = true;
    if (inner_) inner_->poll(m);
    in_call_ = false;
}

void Timeline::refill(Machine& m) {
    ++host_calls_, where_ = HostCall::Refill;
    if (replaying_) return deliver(m);
    in_call_ = true;
    if (inner_) inner_->refill(m);
    in_call_ = false;
}

bool Timeline::wait(Machine& m) {
    ++host_calls_, where_ = HostCall::Wait;
    if (replaying_) {
        bool go_on = false;
        for (size_t k = next_event_; k < events_.size() && events_[k].call <= host_calls_; ++k)
            if (events_[k].call == host_calls_ && events_[k].kind == InputEvent::Kind::Wait) go_on = events_[k].go_on;
        deliver(m);
        return go_on;
    }
    in_call_ = true;
    const bool go_on = inner_ && inner_->wait(m);
    in_call_ = false;
    InputEvent e = event(InputEvent::Kind::Wait);
    e.go_on = go_on;
    events_.push_back(std::move(e));
    return go_on;
}

bool Timeline::stop_requested() {
    ++host_calls_, where_ = HostCall::StopCheck;
    if (replaying_) {
        if (scan_ended_) return true;
        bool stop = false;
        while (next_event_ < events_.size() && events_[next_event_].call <= host_calls_) {
            if (events_[next_event_].call == host_calls_ && events_[next_event_].kind == InputEvent::Kind::Stop) stop = true;
            ++next_event_;
        }
        return stop;
    }
    if (!inner_ || !inner_->stop_requested()) return false;
    events_.push_back(event(InputEvent::Kind::Stop));
    return true;
}

}  // namespace sy::replay
