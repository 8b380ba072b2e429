// The recorder and the replayer (hosts.h).
#include "hosts.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "hash.h"

namespace sy::replay {

// ---- recording ----

Recorder::Recorder(HostIo& inner, Machine& m, RecordingWriter& out, std::function<int()> stop_signal)
    : inner_(inner), m_(m), out_(out), stop_signal_(std::move(stop_signal)) {
    m_.set_input_listener(this);
}

Recorder::~Recorder() { m_.set_input_listener(nullptr); }

InputEvent Recorder::event(InputEvent::Kind kind) const {
    InputEvent e;
    e.kind = kind;
    e.where = where_;
    e.call = call_;
    e.cycle = m_.now();
    return e;
}

void Recorder::serial(const u8* bytes, size_t n) {
    // Input outside a host call cannot be placed in the run; the console
    // never gives any (a GUI's timeline records its own, emu/replay/timeline.h).
    if (!in_call_) return;
    InputEvent e = event(InputEvent::Kind::Serial);
    e.bytes.assign(bytes, bytes + n);
    out_.event(e);
}

void Recorder::key(dev::Key k, bool pressed) {
    if (!in_call_) return;
    InputEvent e = event(InputEvent::Kind::Key);
    e.key = u16(k);
    e.pressed = pressed;
    out_.event(e);
}

void Recorder::poll(Machine& m) {
    ++call_, where_ = HostCall::Poll, in_call_ = true;
    inner_.poll(m);
    in_call_ = false;
    out_.flush();  // what was typed is on disk at each poll, whatever happens later
}

void Recorder::refill(Machine& m) {
    ++call_, where_ = HostCall::Refill, in_call_ = true;
    inner_.refill(m);
    in_call_ = false;
}

bool Recorder::wait(Machine& m) {
    ++call_, where_ = HostCall::Wait, in_call_ = true;
    out_.flush();
    const bool go_on = inner_.wait(m);
    in_call_ = false;
    InputEvent e = event(InputEvent::Kind::Wait);
    e.go_on = go_on;
    out_.event(e);
    return go_on;
}

bool Recorder::stop_requested() {
    ++call_, where_ = HostCall::StopCheck;
    if (!inner_.stop_requested()) return false;
    InputEvent e = event(InputEvent::Kind::Stop);
    e.signal = stop_signal_ ? stop_signal_() : 0;
    out_.event(e);
    return true;
}

bool JournaledDisk::write(u64 lba, const u8* in) {
    if (lba < inner_->sectors()) {
        u8 old[dev::kSectorSize];
        if (inner_->read(lba, old)) before_write_(lba, old);
    }
    return inner_->write(lba, in);
}

std::unique_ptr<dev::BlockBackend> record_disk(std::unique_ptr<dev::BlockBackend> disk, unsigned slot,
                                               RecordingWriter& out) {
    auto seen = std::make_shared<std::set<u64>>();
    return std::make_unique<JournaledDisk>(std::move(disk), [seen, slot, &out](u64 lba, const u8* old) {
        if (!seen->insert(lba).second) return;
        SectorImage s;
        s.slot = u8(slot);
        s.lba = lba;
        std::memcpy(s.bytes.data(), old, s.bytes.size());
        out.sector(s);
    });
}

std::vector<u8> recorded_image(const std::string& path, const DriveId& drive, const Recording& r) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw RecordingError(path + ": cannot open disk image");
    std::vector<u8> img((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    img.resize(size_t(drive.sectors * dev::kSectorSize));
    if (hash64(img.data(), img.size()) == drive.hash) return img;
    for (const SectorImage& s : r.sectors)
        if (s.slot == drive.slot && s.lba < drive.sectors)
            std::memcpy(img.data() + s.lba * dev::kSectorSize, s.bytes.data(), s.bytes.size());
    if (hash64(img.data(), img.size()) == drive.hash) return img;
    throw RecordingError(path + ": not the disk image the recording started with (" + drive.path +
                         "), nor that image after the recorded run");
}

// ---- replaying ----

Replayer::Replayer(const Recording& r, HostIo& out, std::function<bool()> live_stop)
    : r_(r), out_(out), live_stop_(std::move(live_stop)) {}

void Replayer::diverge(const std::string& why) {
    if (divergence_.empty()) divergence_ = why;
}

void Replayer::deliver(Machine& m, HostCall where) {
    while (next_ < r_.events.size() && r_.events[next_].call <= call_) {
        const InputEvent& e = r_.events[next_];
        if (e.call < call_ || e.where != where || e.cycle != m.now()) {
            diverge("the recording has input in " + std::string(host_call_name(e.where)) + " call " +
                    std::to_string(e.call) + " at cycle " + std::to_string(e.cycle) + ", the replay was in " +
                    host_call_name(where) + " call " + std::to_string(call_) + " at cycle " + std::to_string(m.now()));
            return;
        }
        ++next_;
        switch (e.kind) {
        case InputEvent::Kind::Serial:
            if (m.inject_serial(e.bytes.data(), e.bytes.size()) != e.bytes.size())
                diverge("COM1's queue had no room at cycle " + std::to_string(e.cycle) + " for the recorded input");
            break;
        case InputEvent::Kind::Key: m.key_event(dev::Key(e.key), e.pressed); break;
        case InputEvent::Kind::Wait: wait_answer_ = e.go_on; break;
        case InputEvent::Kind::Stop: stop_ = e.signal; break;
        }
    }
}

void Replayer::poll(Machine& m) {
    ++call_;
    out_.poll(m);  // flushes the output (the console reads no input in a replay)
    deliver(m, HostCall::Poll);
}

void Replayer::refill(Machine& m) {
    ++call_;
    deliver(m, HostCall::Refill);
}

bool Replayer::wait(Machine& m) {
    ++call_;
    out_.wait(m);  // flushes; its answer is the recording's
    wait_answer_.reset();
    deliver(m, HostCall::Wait);
    if (!wait_answer_) {
        diverge("the replay waited for input at cycle " + std::to_string(m.now()) + " (host call " +
                std::to_string(call_) + "), the recorded run did not");
        return false;
    }
    return *wait_answer_;
}

bool Replayer::stop_requested() {
    ++call_;
    if (!divergence_.empty()) return true;
    if (next_ < r_.events.size() && r_.events[next_].call == call_) {
        const InputEvent& e = r_.events[next_];
        if (e.kind == InputEvent::Kind::Stop && e.where == HostCall::StopCheck) {
            ++next_;
            stop_ = e.signal;
            return true;
        }
        diverge("the recording has input in " + std::string(host_call_name(e.where)) + " call " + std::to_string(e.call) +
                ", the replay made a stop check there");
        return true;
    }
    return live_stop_ && live_stop_();
}

}  // namespace sy::replay
