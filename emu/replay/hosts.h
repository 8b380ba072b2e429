// The two sides of a recording (recording.h): Recorder stands between the
// machine and the real host (the console) and logs every input with the host
// call it came in; Replayer is the host of a replay and gives the machine the
// logged input in the same calls. Both count the machine's host calls the same
// way: one per poll, refill, wait and stop_requested, from 1 at the start.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "machine.h"
#include "recording.h"

namespace sy::replay {

class Recorder final : public HostIo, private InputListener {
public:
    // Logs what `inner` gives `m` to `out`. `stop_signal` says why inner's
    // stop_requested() said yes (a signal number, 0 for C-a x).
    Recorder(HostIo& inner, Machine& m, RecordingWriter& out, std::function<int()> stop_signal);
    ~Recorder() override;

    void poll(Machine& m) override;
    void refill(Machine& m) override;
    bool wait(Machine& m) override;
    bool stop_requested() override;

    u64 calls() const { return call_; }

private:
    void serial(const u8* bytes, size_t n) override;
    void key(dev::Key k, bool pressed) override;
    InputEvent event(InputEvent::Kind kind) const;

    HostIo& inner_;
    Machine& m_;
    RecordingWriter& out_;
    std::function<int()> stop_signal_;
    u64 call_ = 0;
    HostCall where_ = HostCall::Poll;
    bool in_call_ = false;
};

// A disk whose writes are told to `before_write` first, with the sector's
// contents before the write: the recorder keeps each sector's first one
// (the image the run started with can then be rebuilt), a timeline the first
// one after each snapshot.
class JournaledDisk final : public dev::BlockBackend {
public:
    JournaledDisk(std::unique_ptr<dev::BlockBackend> inner, std::function<void(u64 lba, const u8* old)> before_write)
        : inner_(std::move(inner)), before_write_(std::move(before_write)) {}
    u64 sectors() const override { return inner_->sectors(); }
    bool read(u64 lba, u8* out) override { return inner_->read(lba, out); }
    bool write(u64 lba, const u8* in) override;
    bool flush() override { return inner_->flush(); }

private:
    std::unique_ptr<dev::BlockBackend> inner_;
    std::function<void(u64, const u8*)> before_write_;
};

// The recorder's side of a disk: logs each sector's contents before its first
// write in the run.
std::unique_ptr<dev::BlockBackend> record_disk(std::unique_ptr<dev::BlockBackend> disk, unsigned slot,
                                               RecordingWriter& out);

// The image a recorded run started with, rebuilt from `path` as it is now: the
// file itself if its hash is the recorded one, else the file with the sectors
// the recorded run overwrote put back. Throws RecordingError when neither
// matches (another image, or one changed since).
std::vector<u8> recorded_image(const std::string& path, const DriveId& drive, const Recording& r);

class Replayer final : public HostIo {
public:
    // `out` flushes the output and can still stop the replay (a signal).
    Replayer(const Recording& r, HostIo& out, std::function<bool()> live_stop);

    void poll(Machine& m) override;
    void refill(Machine& m) override;
    bool wait(Machine& m) override;
    bool stop_requested() override;

    // Why the replay left the recorded run, or empty while it follows it. The
    // replay stops at the next round when it diverges.
    const std::string& divergence() const { return divergence_; }
    // Events the run never reached (a divergence too, checked at the end).
    size_t events_left() const { return r_.events.size() - next_; }
    // The signal of a recorded stop the replay reproduced (0: C-a x).
    std::optional<i32> recorded_stop() const { return stop_; }

private:
    // Injects every event of call `call_`; false on divergence.
    void deliver(Machine& m, HostCall where);
    void diverge(const std::string& why);

    const Recording& r_;
    HostIo& out_;
    std::function<bool()> live_stop_;
    size_t next_ = 0;
    u64 call_ = 0;
    std::optional<bool> wait_answer_;
    std::optional<i32> stop_;
    std::string divergence_;
};

}  // namespace sy::replay
