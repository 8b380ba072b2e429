// Recordings: what a run of `switchyard run --record FILE` took from outside
// the guest, so that `--replay FILE` runs it again exactly (the same output,
// the same cycle counts, the same exit status). docs/replay.md describes the
// file format; this is its reader and writer.
//
// A run depends on (docs/machine.md, "The determinism guarantee") the kernel,
// modules, options and disk images it starts with, and on the input it is given
// and where in the run it arrives. The first part is the MachineIdentity: a
// replay refuses to start when its own differs. The second is the event log.
// Input reaches the machine only inside its calls to the host (HostIo: poll,
// refill, wait, stop_requested), and the machine makes those calls at points
// that depend on the guest alone, so an event is placed by the number of the
// host call it came in (counted from the start of the run) and carries the
// machine cycle of that call as a check. What wait() answered and a
// stop_requested() that said yes (C-a x, a signal) are events too.
//
// Disks: the guest's writes go to the image file during a recording, so the
// recording keeps each sector's contents from before its first write; a
// replay rebuilds the image the run started with from the file as it is now
// (or from an untouched copy), checks it against the recorded hash, and runs on
// a copy in memory, leaving the file alone.
#pragma once
#include <array>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ata.h"
#include "types.h"

namespace sy::replay {

inline constexpr char kMagic[8] = {'S', 'Y', 'R', 'E', 'P', 'L', 'A', 'Y'};
inline constexpr u32 kFormatVersion = 2;  // 2: --timing in the machine record

// A bad, truncated or foreign recording file; the message is one line.
struct RecordingError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A file the run started with: the kernel (name = its path) or a module
// (name = its module string, file and arguments).
struct ImageId {
    std::string name;
    u64 size = 0;
    u64 hash = 0;  // hash64 of the contents
};

struct DriveId {
    unsigned slot = 0;
    std::string path;  // as given, for messages
    u64 sectors = 0;
    u64 hash = 0;      // hash64 of the whole image as the run started
};

// Everything besides input that makes one run differ from another.
struct MachineIdentity {
    ImageId kernel;
    std::vector<ImageId> modules;
    std::string append;  // --append
    // The Multiboot command line the guest read ("KERNEL-PATH APPEND"); a
    // replay gives the guest this one, wherever its kernel file is now. The
    // module strings likewise (ImageId::name).
    std::string cmdline;
    u64 ram_bytes = 0;
    u32 cpus = 0;
    u64 quantum = 0;
    std::string timing = "fast";  // --timing: the cycle clock
    bool debugcon = false;   // the 0xE9 device exists only with --debugcon
    bool no_reboot = false;
    u64 max_cycles = 0;      // 0: none
    std::vector<DriveId> drives;

    // Why a run with this identity is not the recorded run, as one phrase
    // naming the option ("--append is \"sh\", the recording has \"\""), or
    // empty when it is. max_cycles is not compared (a replay takes the
    // recorded one).
    std::string mismatch(const MachineIdentity& recorded) const;
};

// Where an event came in.
enum class HostCall : u8 { Poll = 1, Refill = 2, Wait = 3, StopCheck = 4 };
const char* host_call_name(HostCall c);

struct InputEvent {
    enum class Kind : u8 { Serial = 1, Key = 2, Wait = 3, Stop = 4 };
    Kind kind = Kind::Serial;
    HostCall where = HostCall::Poll;
    u64 call = 0;   // the host call, counted from 1 at the start of the run
    u64 cycle = 0;  // Machine::now() during that call
    std::vector<u8> bytes;  // Serial: the bytes COM1's queue took
    u16 key = 0;            // Key: dev::Key
    bool pressed = false;
    bool go_on = false;     // Wait: what wait() answered
    i32 signal = 0;         // Stop: the signal that stopped the run, 0 for C-a x
};

// A disk sector as it was before the guest first wrote it.
struct SectorImage {
    u8 slot = 0;
    u64 lba = 0;
    std::array<u8, dev::kSectorSize> bytes{};
};

// How the recorded run ended.
struct RecordedEnd {
    u64 cycle = 0;
    u64 insns = 0;
    u8 reason = 0;  // sy::RunEnd
    i32 status = 0; // the exit status `run` returned (128 + n for signal n)
};

struct Recording {
    MachineIdentity machine;
    std::vector<InputEvent> events;  // in call order
    std::vector<SectorImage> sectors;
    std::optional<RecordedEnd> end;       // missing when the recording run was killed

    // Reads and checks a whole file; throws RecordingError naming the file.
    static Recording load(const std::string& path);
};

// Writes a recording as the run goes, so that what was recorded is on disk
// even if the run is killed (only the end record is then missing).
class RecordingWriter {
public:
    // Creates (truncates) `path`; throws RecordingError naming it.
    RecordingWriter(const std::string& path, const MachineIdentity& m);
    ~RecordingWriter();
    RecordingWriter(const RecordingWriter&) = delete;
    RecordingWriter& operator=(const RecordingWriter&) = delete;

    void event(const InputEvent& e);
    void sector(const SectorImage& s);
    void end(const RecordedEnd& e);
    void flush();

private:
    void record(u8 type, const std::vector<u8>& payload);
    std::string path_;
    FILE* f_ = nullptr;
};

}  // namespace sy::replay
