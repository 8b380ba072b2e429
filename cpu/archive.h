// Saving and restoring state: one pattern for the CPU, every device and the
// machine, used by snapshots and reverse execution (emu/replay/, docs/replay.md).
//
// A class with state gets one member
//
//     void serialize(Archive& ar) { ar(field_a, field_b, chip_); }
//
// that names every field holding state, in a fixed order. The same function
// saves (the archive appends the bytes) and restores (it reads them back into
// the same fields), so the two directions cannot disagree. What to name:
// everything that changes while the machine runs (registers, latches, FIFOs,
// counters, "last seen" levels). What not to name: configuration fixed at
// construction (clock rates, base ports, the IRQ line a device drives, output
// callbacks), and caches that can be rebuilt (the decode cache, host-pointer
// TLBs): the owner drops those on restore instead. A nested struct either gets
// its own serialize() or has its fields listed by its owner.
//
// The archive handles integers, enums, bools, floating point, std::array,
// std::vector, std::deque, std::optional, std::string, plain arrays, and any
// type with a serialize(Archive&) member. Fields are stored in host byte order
// without padding; a saved archive is read back by the same build (snapshots
// never outlive the process; the replay file format in emu/replay/ is separate
// and versioned). A load past the end of the data, or a section() whose name
// does not match, throws ArchiveError, so a serialize() that saves and loads
// different fields fails its round-trip test instead of restoring garbage.
#pragma once
#include <array>
#include <cstring>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "types.h"

namespace sy {

struct ArchiveError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Archive {
public:
    // An archive that appends to `out`.
    explicit Archive(std::vector<u8>& out) : out_(&out) {}
    // An archive that reads `size` bytes at `data`.
    Archive(const u8* data, size_t size) : in_(data), end_(data + size) {}

    bool saving() const { return out_ != nullptr; }
    bool loading() const { return out_ == nullptr; }
    // Bytes left to read (loading).
    size_t remaining() const { return size_t(end_ - in_); }

    template <class... T> Archive& operator()(T&... fields) {
        (io(fields), ...);
        return *this;
    }

    // Raw bytes, in either direction.
    void bytes(void* p, size_t n) {
        if (saving()) {
            const u8* b = static_cast<const u8*>(p);
            out_->insert(out_->end(), b, b + n);
            return;
        }
        if (n > remaining()) throw ArchiveError("archive: read past the end of the saved state");
        std::memcpy(p, in_, n);
        in_ += n;
    }

    // A marker between the parts of a larger archive: saving writes `name`,
    // loading checks it, so a part that saves and loads different amounts is
    // caught at the next marker and named.
    void section(const char* name) {
        std::string s = name;
        if (saving()) {
            io(s);
            return;
        }
        std::string got;
        io(got);
        if (got != s) throw ArchiveError(std::string("archive: expected section ") + name + ", found " + got);
    }

    // One value; public so that serialize() members can call it for a single field.
    template <class T> void io(T& v) {
        if constexpr (requires { v.serialize(*this); }) {
            v.serialize(*this);
        } else if constexpr (std::is_same_v<T, bool>) {
            u8 b = v ? 1 : 0;
            bytes(&b, 1);
            v = b != 0;
        } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_same_v<T, u128> ||
                             std::is_same_v<T, i128>) {
            bytes(&v, sizeof v);
        } else if constexpr (std::is_array_v<T>) {
            for (auto& e : v) io(e);
        } else {
            io_container(v);
        }
    }

private:
    template <class T, size_t N> void io_container(std::array<T, N>& a) {
        if constexpr (std::is_arithmetic_v<T>) bytes(a.data(), sizeof(T) * N);
        else
            for (auto& e : a) io(e);
    }
    template <class T> void io_container(std::vector<T>& v) {
        u64 n = v.size();
        io(n);
        if (loading()) {
            if (n > remaining()) throw ArchiveError("archive: a saved length exceeds the saved state");
            v.resize(size_t(n));
        }
        if constexpr (std::is_arithmetic_v<T>) bytes(v.data(), sizeof(T) * v.size());
        else
            for (auto& e : v) io(e);
    }
    template <class T> void io_container(std::deque<T>& d) {
        u64 n = d.size();
        io(n);
        if (loading()) {
            if (n > remaining()) throw ArchiveError("archive: a saved length exceeds the saved state");
            d.resize(size_t(n));
        }
        for (auto& e : d) io(e);
    }
    void io_container(std::string& s) {
        u64 n = s.size();
        io(n);
        if (loading()) {
            if (n > remaining()) throw ArchiveError("archive: a saved length exceeds the saved state");
            s.resize(size_t(n));
        }
        bytes(s.data(), s.size());
    }
    template <class T> void io_container(std::optional<T>& o) {
        bool has = o.has_value();
        io(has);
        if (loading()) {
            if (has) o.emplace();
            else o.reset();
        }
        if (has) io(*o);
    }

    std::vector<u8>* out_ = nullptr;
    const u8* in_ = nullptr;
    const u8* end_ = nullptr;
};

// The saved state of `x`, and loading it back: for tests and for snapshots
// of one object.
template <class T> std::vector<u8> save_state(T& x) {
    std::vector<u8> out;
    Archive ar(out);
    ar.io(x);
    return out;
}
template <class T> void load_state(T& x, const std::vector<u8>& saved) {
    Archive ar(saved.data(), saved.size());
    ar.io(x);
    if (ar.remaining()) throw ArchiveError("archive: saved state left over after loading");
}

}  // namespace sy
