// Builders for Multiboot images in memory, for the loader tests: an ELF32 or
// ELF64 executable with chosen segments, or a flat a.out-kludge image. Field
// offsets follow the System V ABI ELF header/program header layouts and the
// Multiboot Specification 0.6.96, 3.1.
#pragma once
#include <cstring>
#include <vector>

#include "types.h"

namespace sy::test {

inline void put32(std::vector<u8>& b, size_t off, u32 v) {
    if (b.size() < off + 4) b.resize(off + 4);
    std::memcpy(b.data() + off, &v, 4);
}
inline void put16(std::vector<u8>& b, size_t off, u16 v) {
    if (b.size() < off + 2) b.resize(off + 2);
    std::memcpy(b.data() + off, &v, 2);
}
inline void put64(std::vector<u8>& b, size_t off, u64 v) {
    if (b.size() < off + 8) b.resize(off + 8);
    std::memcpy(b.data() + off, &v, 8);
}

// A Multiboot header (magic, flags, checksum) at `off`; `checksum_delta`
// damages the checksum.
inline void put_mb_header(std::vector<u8>& b, size_t off, u32 flags, u32 checksum_delta = 0) {
    put32(b, off, 0x1BADB002);
    put32(b, off + 4, flags);
    put32(b, off + 8, u32(-(0x1BADB002u + flags)) + checksum_delta);
}

struct TestSegment {
    u32 paddr;
    std::vector<u8> bytes;  // file contents
    u32 memsz;              // >= bytes.size() for a well-formed image
    u32 vaddr = 0;          // 0: same as paddr
};

// An ELF32 EM_386 ET_EXEC image. Segment n's bytes sit at file offset
// 0x1000 * (n + 1); the Multiboot header is placed at the start of segment 0's
// bytes unless `mb_flags` is ~0u (no header).
inline std::vector<u8> make_elf32(std::vector<TestSegment> segs, u32 entry, u32 mb_flags = 0x3) {
    std::vector<u8> b(0x1000 * (segs.size() + 1), 0);
    const u8 ident[] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
    std::memcpy(b.data(), ident, sizeof ident);
    put16(b, 16, 2);       // ET_EXEC
    put16(b, 18, 3);       // EM_386
    put32(b, 20, 1);       // EV_CURRENT
    put32(b, 24, entry);
    put32(b, 28, 52);      // e_phoff
    put16(b, 40, 52);      // e_ehsize
    put16(b, 42, 32);      // e_phentsize
    put16(b, 44, u16(segs.size()));
    for (size_t n = 0; n < segs.size(); ++n) {
        size_t ph = 52 + 32 * n, off = 0x1000 * (n + 1);
        put32(b, ph + 0, 1);  // PT_LOAD
        put32(b, ph + 4, u32(off));
        put32(b, ph + 8, segs[n].vaddr ? segs[n].vaddr : segs[n].paddr);
        put32(b, ph + 12, segs[n].paddr);
        put32(b, ph + 16, u32(segs[n].bytes.size()));
        put32(b, ph + 20, segs[n].memsz);
        put32(b, ph + 24, 7);
        put32(b, ph + 28, 0x1000);
        if (b.size() < off + segs[n].bytes.size()) b.resize(off + segs[n].bytes.size());
        std::memcpy(b.data() + off, segs[n].bytes.data(), segs[n].bytes.size());
    }
    if (mb_flags != ~0u) put_mb_header(b, 0x1000, mb_flags);
    return b;
}

// Bytes that begin with room for a Multiboot header (filled by make_elf32),
// followed by `code`.
inline std::vector<u8> with_header_room(std::vector<u8> code) {
    std::vector<u8> b(12, 0);
    b.insert(b.end(), code.begin(), code.end());
    return b;
}

// A flat a.out-kludge image: header at file offset 0 with its address fields,
// loaded at `load_addr` (header_addr = load_addr), then `code`.
inline std::vector<u8> make_kludge(u32 load_addr, std::vector<u8> code, u32 bss_extra, u32 entry_offset = 32) {
    std::vector<u8> b(32, 0);
    u32 flags = 0x3 | (1u << 16);
    put_mb_header(b, 0, flags);
    u32 end = load_addr + 32 + u32(code.size());
    put32(b, 12, load_addr);                               // header_addr
    put32(b, 16, load_addr);                               // load_addr
    put32(b, 20, end);                                     // load_end_addr
    put32(b, 24, bss_extra ? end + bss_extra : 0);         // bss_end_addr
    put32(b, 28, load_addr + entry_offset);                // entry_addr
    // resize + copy rather than insert: g++ 12 -O2 warns falsely on the insert.
    b.resize(32 + code.size());
    std::copy(code.begin(), code.end(), b.begin() + 32);
    return b;
}

}  // namespace sy::test
