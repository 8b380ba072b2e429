// The recording file format (recording.h, docs/replay.md).
//
//   "SYREPLAY"  u32 version
//   records:    u8 type  u32 length  payload[length]
//
// Integers are little-endian, strings are a u32 length and the bytes, and the
// first record is the machine identity. Unknown record types are an error: a
// version bump says when the format changes.
#include "recording.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace sy::replay {

namespace {

enum RecordType : u8 { kMachine = 1, kEvent = 2, kSector = 3, kEnd = 4 };

struct Out {
    std::vector<u8> b;
    void u8_(u8 v) { b.push_back(v); }
    void u32_(u32 v) {
        for (int k = 0; k < 4; ++k) b.push_back(u8(v >> (8 * k)));
    }
    void u64_(u64 v) {
        for (int k = 0; k < 8; ++k) b.push_back(u8(v >> (8 * k)));
    }
    void str(const std::string& s) {
        u32_(u32(s.size()));
        b.insert(b.end(), s.begin(), s.end());
    }
    void bytes(const u8* p, size_t n) {
        u32_(u32(n));
        b.insert(b.end(), p, p + n);
    }
};

struct In {
    const u8* p;
    const u8* end;
    const std::string& what;  // for messages
    void need(size_t n) const {
        if (size_t(end - p) < n) throw RecordingError(what + ": truncated record");
    }
    u8 u8_() {
        need(1);
        return *p++;
    }
    u32 u32_() {
        need(4);
        u32 v = 0;
        for (int k = 0; k < 4; ++k) v |= u32(p[k]) << (8 * k);
        p += 4;
        return v;
    }
    u64 u64_() {
        need(8);
        u64 v = 0;
        for (int k = 0; k < 8; ++k) v |= u64(p[k]) << (8 * k);
        p += 8;
        return v;
    }
    std::string str() {
        u32 n = u32_();
        need(n);
        std::string s(reinterpret_cast<const char*>(p), n);
        p += n;
        return s;
    }
    std::vector<u8> bytes() {
        u32 n = u32_();
        need(n);
        std::vector<u8> v(p, p + n);
        p += n;
        return v;
    }
};

void put_image(Out& o, const ImageId& i) {
    o.str(i.name);
    o.u64_(i.size);
    o.u64_(i.hash);
}
ImageId get_image(In& in) {
    ImageId i;
    i.name = in.str();
    i.size = in.u64_();
    i.hash = in.u64_();
    return i;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

const char* host_call_name(HostCall c) {
    switch (c) {
    case HostCall::Poll: return "poll";
    case HostCall::Refill: return "refill";
    case HostCall::Wait: return "wait";
    case HostCall::StopCheck: return "stop check";
    }
    return "?";
}

std::string MachineIdentity::mismatch(const MachineIdentity& r) const {
    if (kernel.hash != r.kernel.hash || kernel.size != r.kernel.size)
        return "the kernel " + kernel.name + " is not the image it was recorded with (" + r.kernel.name + ")";
    if (append != r.append) return "--append is " + quoted(append) + ", the recording has " + quoted(r.append);
    if (ram_bytes != r.ram_bytes)
        return "--mem is " + std::to_string(ram_bytes >> 20) + "M, the recording has " + std::to_string(r.ram_bytes >> 20) + "M";
    if (cpus != r.cpus) return "--smp is " + std::to_string(cpus) + ", the recording has " + std::to_string(r.cpus);
    if (quantum != r.quantum)
        return "--quantum is " + std::to_string(quantum) + ", the recording has " + std::to_string(r.quantum);
    if (timing != r.timing) return "--timing is " + timing + ", the recording has " + r.timing;
    if (debugcon != r.debugcon)
        return std::string("the recording was made ") + (r.debugcon ? "with" : "without") +
               " --debugcon (the 0xE9 device is part of the machine)";
    if (no_reboot != r.no_reboot)
        return std::string("the recording was made ") + (r.no_reboot ? "with" : "without") + " --no-reboot";
    if (modules.size() != r.modules.size())
        return std::to_string(modules.size()) + " module(s), the recording has " + std::to_string(r.modules.size());
    for (size_t k = 0; k < modules.size(); ++k)
        if (modules[k].hash != r.modules[k].hash || modules[k].size != r.modules[k].size)
            return "module " + std::to_string(k + 1) + " (" + modules[k].name + ") is not the file it was recorded with (" +
                   r.modules[k].name + ")";
    if (drives.size() != r.drives.size())
        return std::to_string(drives.size()) + " --drive(s), the recording has " + std::to_string(r.drives.size());
    for (size_t k = 0; k < drives.size(); ++k) {
        if (drives[k].slot != r.drives[k].slot)
            return "drive " + drives[k].path + " is in ATA slot " + std::to_string(drives[k].slot) +
                   ", the recording has slot " + std::to_string(r.drives[k].slot);
        if (drives[k].sectors != r.drives[k].sectors)
            return "disk image " + drives[k].path + " has " + std::to_string(drives[k].sectors) +
                   " sectors, the recorded one " + std::to_string(r.drives[k].sectors);
    }
    return {};
}

// ---- writing ----

RecordingWriter::RecordingWriter(const std::string& path, const MachineIdentity& m) : path_(path) {
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) throw RecordingError(path + ": cannot create the recording: " + std::strerror(errno));
    std::fwrite(kMagic, 1, sizeof kMagic, f_);
    Out v;
    v.u32_(kFormatVersion);
    std::fwrite(v.b.data(), 1, v.b.size(), f_);
    Out o;
    put_image(o, m.kernel);
    o.u32_(u32(m.modules.size()));
    for (const ImageId& i : m.modules) put_image(o, i);
    o.str(m.append);
    o.str(m.cmdline);
    o.u64_(m.ram_bytes);
    o.u32_(m.cpus);
    o.u64_(m.quantum);
    o.str(m.timing);
    o.u8_(m.debugcon);
    o.u8_(m.no_reboot);
    o.u64_(m.max_cycles);
    o.u32_(u32(m.drives.size()));
    for (const DriveId& d : m.drives) {
        o.u8_(u8(d.slot));
        o.str(d.path);
        o.u64_(d.sectors);
        o.u64_(d.hash);
    }
    record(kMachine, o.b);
    flush();
}

RecordingWriter::~RecordingWriter() {
    if (f_) std::fclose(f_);
}

void RecordingWriter::record(u8 type, const std::vector<u8>& payload) {
    Out h;
    h.u8_(type);
    h.u32_(u32(payload.size()));
    if (std::fwrite(h.b.data(), 1, h.b.size(), f_) != h.b.size() ||
        std::fwrite(payload.data(), 1, payload.size(), f_) != payload.size())
        throw RecordingError(path_ + ": cannot write the recording: " + std::strerror(errno));
}

void RecordingWriter::event(const InputEvent& e) {
    Out o;
    o.u8_(u8(e.kind));
    o.u8_(u8(e.where));
    o.u64_(e.call);
    o.u64_(e.cycle);
    switch (e.kind) {
    case InputEvent::Kind::Serial: o.bytes(e.bytes.data(), e.bytes.size()); break;
    case InputEvent::Kind::Key:
        o.u32_(e.key);
        o.u8_(e.pressed);
        break;
    case InputEvent::Kind::Wait: o.u8_(e.go_on); break;
    case InputEvent::Kind::Stop: o.u32_(u32(e.signal)); break;
    }
    record(kEvent, o.b);
}

void RecordingWriter::sector(const SectorImage& s) {
    Out o;
    o.u8_(s.slot);
    o.u64_(s.lba);
    o.bytes(s.bytes.data(), s.bytes.size());
    record(kSector, o.b);
}

void RecordingWriter::end(const RecordedEnd& e) {
    Out o;
    o.u64_(e.cycle);
    o.u64_(e.insns);
    o.u8_(e.reason);
    o.u32_(u32(e.status));
    record(kEnd, o.b);
    flush();
}

void RecordingWriter::flush() {
    if (std::fflush(f_) != 0) throw RecordingError(path_ + ": cannot write the recording: " + std::strerror(errno));
}

// ---- reading ----

Recording Recording::load(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw RecordingError(path + ": cannot open the recording: " + std::strerror(errno));
    std::vector<u8> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (data.size() < sizeof kMagic + 4 || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
        throw RecordingError(path + ": not a switchyard recording");
    In in{data.data() + sizeof kMagic, data.data() + data.size(), path};
    const u32 version = in.u32_();
    if (version != kFormatVersion)
        throw RecordingError(path + ": recording format version " + std::to_string(version) + ", this switchyard reads " +
                             std::to_string(kFormatVersion));
    Recording r;
    bool have_machine = false;
    while (in.p != in.end) {
        const u8 type = in.u8_();
        const u32 len = in.u32_();
        in.need(len);
        In rec{in.p, in.p + len, path};
        in.p += len;
        if (!have_machine && type != kMachine) throw RecordingError(path + ": the machine record is missing");
        switch (type) {
        case kMachine: {
            if (have_machine) throw RecordingError(path + ": two machine records");
            have_machine = true;
            MachineIdentity& m = r.machine;
            m.kernel = get_image(rec);
            for (u32 n = rec.u32_(); n; --n) m.modules.push_back(get_image(rec));
            m.append = rec.str();
            m.cmdline = rec.str();
            m.ram_bytes = rec.u64_();
            m.cpus = rec.u32_();
            m.quantum = rec.u64_();
            m.timing = rec.str();
            m.debugcon = rec.u8_();
            m.no_reboot = rec.u8_();
            m.max_cycles = rec.u64_();
            for (u32 n = rec.u32_(); n; --n) {
                DriveId d;
                d.slot = rec.u8_();
                d.path = rec.str();
                d.sectors = rec.u64_();
                d.hash = rec.u64_();
                m.drives.push_back(d);
            }
            break;
        }
        case kEvent: {
            InputEvent e;
            const u8 kind = rec.u8_(), where = rec.u8_();
            if (kind < 1 || kind > 4 || where < 1 || where > 4) throw RecordingError(path + ": bad event record");
            e.kind = InputEvent::Kind(kind);
            e.where = HostCall(where);
            e.call = rec.u64_();
            e.cycle = rec.u64_();
            switch (e.kind) {
            case InputEvent::Kind::Serial: e.bytes = rec.bytes(); break;
            case InputEvent::Kind::Key:
                e.key = u16(rec.u32_());
                e.pressed = rec.u8_();
                break;
            case InputEvent::Kind::Wait: e.go_on = rec.u8_(); break;
            case InputEvent::Kind::Stop: e.signal = i32(rec.u32_()); break;
            }
            if (!r.events.empty() && e.call < r.events.back().call)
                throw RecordingError(path + ": events out of order");
            r.events.push_back(std::move(e));
            break;
        }
        case kSector: {
            SectorImage s;
            s.slot = rec.u8_();
            s.lba = rec.u64_();
            std::vector<u8> b = rec.bytes();
            if (b.size() != s.bytes.size()) throw RecordingError(path + ": bad sector record");
            std::memcpy(s.bytes.data(), b.data(), b.size());
            r.sectors.push_back(s);
            break;
        }
        case kEnd: {
            RecordedEnd e;
            e.cycle = rec.u64_();
            e.insns = rec.u64_();
            e.reason = rec.u8_();
            e.status = i32(rec.u32_());
            r.end = e;
            break;
        }
        default: throw RecordingError(path + ": unknown record type " + std::to_string(type));
        }
        if (rec.p != rec.end) throw RecordingError(path + ": a record is longer than its contents");
    }
    if (!have_machine) throw RecordingError(path + ": the machine record is missing");
    return r;
}

}  // namespace sy::replay
