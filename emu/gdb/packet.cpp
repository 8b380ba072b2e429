// Packet framing and hex (packet.h).
#include "packet.h"

namespace sy::gdb {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr char kDigits[] = "0123456789abcdef";

}  // namespace

void PacketReader::reset() {
    state_ = State::Idle;
    body_.clear();
    oversized_ = false;
}

void PacketReader::feed(const char* bytes, size_t n, std::vector<Event>& out) {
    for (size_t k = 0; k < n; ++k) {
        const char c = bytes[k];
        switch (state_) {
        case State::Idle:
            if (c == '$') {
                state_ = State::Body;
                body_.clear();
                oversized_ = false;
                sum_ = 0;
            } else if (c == '\x03') {
                out.push_back({Event::Interrupt, {}});
            } else if (c == '+') {
                out.push_back({Event::Ack, {}});
            } else if (c == '-') {
                out.push_back({Event::Nak, {}});
            }
            // Anything else between packets is noise: ignored.
            break;
        case State::Body:
        case State::Escape:
            if (c == '$') {
                // A packet cut short: the new one starts here.
                out.push_back({Event::Bad, "truncated packet"});
                body_.clear();
                oversized_ = false;
                sum_ = 0;
                state_ = State::Body;
                break;
            }
            if (c == '#' && state_ == State::Body) {
                state_ = State::Sum1;
                break;
            }
            sum_ = u8(sum_ + u8(c));
            if (state_ == State::Body && c == '}') {
                state_ = State::Escape;
                break;
            }
            {
                const char b = state_ == State::Escape ? char(c ^ 0x20) : c;
                state_ = State::Body;
                if (body_.size() >= max_) oversized_ = true;
                else body_.push_back(b);
            }
            break;
        case State::Sum1:
            sent_sum_ = hex_digit(c);
            sum_ok_ = sent_sum_ >= 0;
            state_ = State::Sum2;
            break;
        case State::Sum2: {
            const int lo = hex_digit(c);
            state_ = State::Idle;
            if (!sum_ok_ || lo < 0) out.push_back({Event::Bad, "checksum is not hex"});
            else if (oversized_) out.push_back({Event::Bad, "packet over the size limit"});
            else if (u8(sent_sum_ * 16 + lo) != sum_) out.push_back({Event::Bad, "bad checksum"});
            else out.push_back({Event::Packet, std::move(body_)});
            body_.clear();
            break;
        }
        }
    }
}

std::string frame(std::string_view payload) {
    std::string s;
    s.reserve(payload.size() + 4);
    s.push_back('$');
    u8 sum = 0;
    for (char c : payload) {
        if (c == '$' || c == '#' || c == '}' || c == '*') {
            s.push_back('}');
            sum = u8(sum + u8('}'));
            c = char(c ^ 0x20);
        }
        s.push_back(c);
        sum = u8(sum + u8(c));
    }
    s.push_back('#');
    s.push_back(kDigits[sum >> 4]);
    s.push_back(kDigits[sum & 15]);
    return s;
}

std::string to_hex(const void* bytes, size_t n) {
    const u8* p = static_cast<const u8*>(bytes);
    std::string s(2 * n, '0');
    for (size_t k = 0; k < n; ++k) {
        s[2 * k] = kDigits[p[k] >> 4];
        s[2 * k + 1] = kDigits[p[k] & 15];
    }
    return s;
}

std::string to_hex(std::string_view bytes) { return to_hex(bytes.data(), bytes.size()); }

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2) return std::nullopt;
    std::string out(hex.size() / 2, '\0');
    for (size_t k = 0; k < out.size(); ++k) {
        const int hi = hex_digit(hex[2 * k]), lo = hex_digit(hex[2 * k + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[k] = char(hi * 16 + lo);
    }
    return out;
}

std::optional<u64> parse_hex(std::string_view s) {
    if (s.empty() || s.size() > 16) return std::nullopt;
    u64 v = 0;
    for (char c : s) {
        const int d = hex_digit(c);
        if (d < 0) return std::nullopt;
        v = v * 16 + u64(d);
    }
    return v;
}

std::string hex_number(u64 v) {
    std::string s;
    do {
        s.insert(s.begin(), kDigits[v & 15]);
        v >>= 4;
    } while (v);
    return s;
}

}  // namespace sy::gdb
