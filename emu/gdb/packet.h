// The framing of gdb's remote serial protocol (gdb manual, "Overview" of the
// Remote Protocol): a packet is `$payload#cc`, cc the payload's byte sum mod
// 256 in two hex digits; the receiver answers `+` (good) or `-` (resend).
// Outside packets, 0x03 asks a running target to stop (Ctrl-C). In binary
// data (X, and the stub's qXfer replies) `}` escapes the next byte, XORed with
// 0x20; `$`, `#`, `}` and `*` are always escaped.
//
// The reader never trusts its input: a payload over the limit, a bad or
// non-hex checksum, or a packet cut short by a new `$` each give one event,
// and nothing that arrives can make it hold more than the limit.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "types.h"

namespace sy::gdb {

struct Event {
    enum Kind {
        Packet,     // a whole packet with a good checksum: `data` is its payload, unescaped
        Interrupt,  // 0x03 outside a packet
        Ack,        // '+'
        Nak,        // '-': resend the last reply
        Bad,        // a bad checksum, an oversized packet: answer '-'
    };
    Kind kind = Packet;
    std::string data;  // Packet: the payload; Bad: what was wrong
};

class PacketReader {
public:
    explicit PacketReader(size_t max_payload) : max_(max_payload) {}
    // Takes bytes as they arrive and appends what they complete to `out`.
    void feed(const char* bytes, size_t n, std::vector<Event>& out);
    // Forgets a packet in progress (a new connection).
    void reset();

private:
    enum class State { Idle, Body, Escape, Sum1, Sum2 };
    State state_ = State::Idle;
    size_t max_;
    std::string body_;
    bool oversized_ = false;
    u8 sum_ = 0;      // of the bytes as sent (escapes included)
    int sent_sum_ = 0;
    bool sum_ok_ = true;
};

// `$payload#cc`, the payload escaped where it must be.
std::string frame(std::string_view payload);

// Hex helpers: "1f" <-> bytes; numbers as gdb writes them (no 0x, any length).
std::string to_hex(const void* bytes, size_t n);
std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);
std::optional<u64> parse_hex(std::string_view s);
std::string hex_number(u64 v);  // lower-case, no leading zeros ("0" for 0)

}  // namespace sy::gdb
