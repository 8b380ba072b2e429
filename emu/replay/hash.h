// A 64-bit hash of bytes, for telling images and states apart: the kernel and
// disk images a recording belongs to, RAM in the state comparisons of the
// tests. Not cryptographic. Each 8-byte word goes through a multiply-rotate
// round (the shape of xxHash64's), the tail byte by byte, and the result
// through MurmurHash3's 64-bit finaliser, so one flipped bit anywhere changes
// about half the output bits.
#pragma once
#include <cstring>

#include "types.h"

namespace sy::replay {

class Hasher {
public:
    void add(const void* data, size_t size) {
        const u8* p = static_cast<const u8*>(data);
        length_ += size;
        for (; size >= 8; p += 8, size -= 8) {
            u64 w;
            std::memcpy(&w, p, 8);
            h_ = round(h_, w);
        }
        for (; size; ++p, --size) h_ = round(h_, *p | 0x100ull);
    }
    void add_u64(u64 v) { add(&v, sizeof v); }
    u64 value() const {
        u64 h = h_ ^ length_;
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDull;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53ull;
        h ^= h >> 33;
        return h;
    }

private:
    static u64 rotl(u64 x, int r) { return (x << r) | (x >> (64 - r)); }
    static u64 round(u64 h, u64 w) {
        h ^= rotl(w * 0xC2B2AE3D27D4EB4Full, 31) * 0x9E3779B185EBCA87ull;
        return rotl(h, 27) * 0x9E3779B185EBCA87ull + 0x85EBCA77C2B2AE63ull;
    }
    u64 h_ = 0x27D4EB2F165667C5ull;
    u64 length_ = 0;
};

inline u64 hash64(const void* data, size_t size) {
    Hasher h;
    h.add(data, size);
    return h.value();
}

}  // namespace sy::replay
