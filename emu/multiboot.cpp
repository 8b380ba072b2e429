// Multiboot v1 loader: header search, ELF32 and a.out-kludge loading, boot
// information (Multiboot Specification 0.6.96, sections 3.1-3.3; ELF layout
// from the System V ABI, "ELF Header" and "Program Header").
#include "multiboot.h"

#include <algorithm>
#include <cstring>

#include "machine.h"

namespace sy::boot {

namespace {

std::string hex(u64 v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

// Little-endian reads with a bounds check: every field read from the image
// goes through here, so a truncated file is an error, never an overread.
struct Reader {
    std::span<const u8> bytes;
    const char* what;  // names the structure in errors
    template <class T> T get(u64 off) const {
        if (off > bytes.size() || sizeof(T) > bytes.size() - off)
            throw BootError(std::string("truncated ") + what + " (needs byte " + hex(off + sizeof(T) - 1) +
                            ", file has " + std::to_string(bytes.size()) + ")");
        T v;
        std::memcpy(&v, bytes.data() + off, sizeof(T));
        return v;
    }
};

struct Header {
    u64 offset;
    u32 flags;
};

// 3.1.1: the header is in the first 8192 bytes, 32-bit aligned.
Header find_header(std::span<const u8> image) {
    size_t limit = std::min(image.size(), kSearchBytes);
    std::string bad_checksum;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        u32 magic, flags, sum;
        std::memcpy(&magic, image.data() + off, 4);
        if (magic != kHeaderMagic) continue;
        std::memcpy(&flags, image.data() + off + 4, 4);
        std::memcpy(&sum, image.data() + off + 8, 4);
        if (u32(magic + flags + sum) == 0) return {off, flags};
        if (bad_checksum.empty())
            bad_checksum = "Multiboot header at offset " + hex(off) + " has a bad checksum (magic + flags + checksum = " +
                           hex(u32(magic + flags + sum)) + ", must be 0)";
    }
    if (!bad_checksum.empty()) throw BootError(bad_checksum);
    if (image.empty()) throw BootError("empty file");
    throw BootError("no Multiboot header (magic 0x1BADB002, 4-byte aligned) in the first 8192 bytes");
}

// 3.1.3 address fields, flag 16.
void load_kludge(std::span<const u8> image, const Header& h, KernelImage& k) {
    Reader r{image, "Multiboot header (a.out kludge address fields)"};
    u32 header_addr = r.get<u32>(h.offset + 12);
    u32 load_addr = r.get<u32>(h.offset + 16);
    u32 load_end_addr = r.get<u32>(h.offset + 20);
    u32 bss_end_addr = r.get<u32>(h.offset + 24);
    u32 entry_addr = r.get<u32>(h.offset + 28);
    if (load_addr > header_addr)
        throw BootError("a.out kludge: load_addr " + hex(load_addr) + " is above header_addr " + hex(header_addr));
    u64 before = header_addr - load_addr;  // bytes of text before the header
    if (before > h.offset)
        throw BootError("a.out kludge: load_addr " + hex(load_addr) + " would start " + hex(before - h.offset) +
                        " bytes before the beginning of the file");
    Segment s;
    s.paddr = load_addr;
    s.file_offset = h.offset - before;
    if (load_end_addr == 0) {
        s.file_size = image.size() - s.file_offset;
    } else {
        if (load_end_addr < load_addr)
            throw BootError("a.out kludge: load_end_addr " + hex(load_end_addr) + " is below load_addr " +
                            hex(load_addr));
        s.file_size = u64(load_end_addr) - load_addr;
        if (s.file_offset + s.file_size > image.size())
            throw BootError("truncated image: a.out kludge loads " + std::to_string(s.file_size) +
                            " bytes from file offset " + hex(s.file_offset) + ", file has " +
                            std::to_string(image.size()));
    }
    s.mem_size = s.file_size;
    if (bss_end_addr != 0) {
        if (bss_end_addr < s.paddr + s.file_size)
            throw BootError("a.out kludge: bss_end_addr " + hex(bss_end_addr) + " is below the end of the loaded text " +
                            hex(s.paddr + s.file_size));
        s.mem_size = u64(bss_end_addr) - load_addr;
    }
    k.segments.push_back(s);
    k.entry = entry_addr;
}

// ELF32 executable: PT_LOAD segments at p_paddr.
void load_elf32(std::span<const u8> image, KernelImage& k) {
    Reader r{image, "ELF header"};
    r.get<u8>(51);  // the whole 52-byte header is in the file
    u16 type = r.get<u16>(16), machine = r.get<u16>(18);
    if (r.get<u8>(5) != 1) throw BootError("ELF image is not little-endian");
    if (machine != 3) throw BootError("ELF32 image is for machine " + std::to_string(machine) + ", not i386 (3)");
    if (type != 2) throw BootError("ELF image is not an executable (e_type " + std::to_string(type) + ", want ET_EXEC)");
    u32 entry = r.get<u32>(24), phoff = r.get<u32>(28);
    u16 phentsize = r.get<u16>(42), phnum = r.get<u16>(44);
    if (phnum == 0) throw BootError("ELF image has no program headers");
    if (phentsize < 32) throw BootError("ELF program header size " + std::to_string(phentsize) + " is below 32");
    Reader ph{image, "ELF program header table"};
    ph.get<u8>(u64(phoff) + u64(phentsize) * phnum - 1);  // the whole table is in the file
    struct Virt {
        u64 vaddr, paddr, memsz;
    };
    std::vector<Virt> virt;
    for (unsigned n = 0; n < phnum; ++n) {
        u64 at = phoff + u64(phentsize) * n;
        if (ph.get<u32>(at) != 1) continue;  // PT_LOAD
        Segment s;
        s.file_offset = ph.get<u32>(at + 4);
        u32 vaddr = ph.get<u32>(at + 8);
        s.paddr = ph.get<u32>(at + 12);
        s.file_size = ph.get<u32>(at + 16);
        s.mem_size = ph.get<u32>(at + 20);
        std::string name = "ELF segment " + std::to_string(n);
        if (s.file_size > s.mem_size)
            throw BootError(name + ": p_filesz " + hex(s.file_size) + " exceeds p_memsz " + hex(s.mem_size));
        if (s.file_offset + s.file_size > image.size())
            throw BootError("truncated image: " + name + " needs file bytes up to " + hex(s.file_offset + s.file_size) +
                            ", file has " + hex(image.size()));
        if (s.mem_size == 0) continue;
        k.segments.push_back(s);
        virt.push_back({vaddr, s.paddr, s.mem_size});
    }
    if (k.segments.empty()) throw BootError("ELF image has no loadable (PT_LOAD) segment");
    k.entry = entry;
    auto in_phys = [&](u64 a) {
        return std::any_of(virt.begin(), virt.end(), [&](const Virt& v) { return a >= v.paddr && a < v.paddr + v.memsz; });
    };
    if (!in_phys(entry))
        for (const Virt& v : virt)
            if (entry >= v.vaddr && entry < v.vaddr + v.memsz) {
                k.entry = u32(entry - v.vaddr + v.paddr);
                break;
            }
}

void check_segments(const KernelImage& k, u64 ram_size) {
    for (size_t n = 0; n < k.segments.size(); ++n) {
        const Segment& s = k.segments[n];
        u64 end = s.paddr + s.mem_size;
        std::string range = "segment at " + hex(s.paddr) + "-" + hex(end - 1);
        if (end > ram_size)
            throw BootError(range + " lies outside RAM (" + std::to_string(ram_size / mem::MiB) + " MiB; try --mem)");
        if (s.paddr < Machine::kFirmwareEnd && end > Machine::kFirmwareBase)
            throw BootError(range + " overlaps the firmware area 0xe0000-0xfffff");
        for (size_t j = 0; j < n; ++j) {
            const Segment& o = k.segments[j];
            if (s.paddr < o.paddr + o.mem_size && o.paddr < end)
                throw BootError(range + " overlaps the segment at " + hex(o.paddr) + "-" + hex(o.paddr + o.mem_size - 1));
        }
    }
    bool entry_loaded = std::any_of(k.segments.begin(), k.segments.end(), [&](const Segment& s) {
        return k.entry >= s.paddr && k.entry < s.paddr + s.mem_size;
    });
    if (!entry_loaded) throw BootError("entry point " + hex(k.entry) + " is not inside any loaded segment");
}

// Builds the block holding the boot information at a chosen physical address.
class InfoBlock {
public:
    explicit InfoBlock(u32 base) : base_(base) {}
    u32 addr(size_t off) const { return u32(base_ + off); }
    size_t alloc(size_t size, size_t align) {
        size_t off = (bytes_.size() + align - 1) & ~(align - 1);
        bytes_.resize(off + size, 0);
        return off;
    }
    size_t add_string(const std::string& s) {
        size_t off = alloc(s.size() + 1, 1);
        std::memcpy(bytes_.data() + off, s.data(), s.size());
        return off;
    }
    template <class T> void put(size_t off, T v) { std::memcpy(bytes_.data() + off, &v, sizeof v); }
    std::vector<u8>& bytes() { return bytes_; }

private:
    u32 base_;
    std::vector<u8> bytes_;
};

// Flat 4 GiB descriptors (SDM Vol. 3A, 3.4.5), accessed bit set as the CPU
// would have left it after loading them.
constexpr u64 kFlatCode32 = 0x00CF9B000000FFFFull;  // base 0, limit 4 GiB, G, D, P, DPL 0, execute/read
constexpr u64 kFlatData32 = 0x00CF93000000FFFFull;  // base 0, limit 4 GiB, G, B, P, DPL 0, read/write
constexpr u16 kCodeSel = 0x08, kDataSel = 0x10;

// Low memory free for the boot information when no segment claims it: above
// the real-mode IVT/BDA and the initial stack, below the EBDA.
constexpr u64 kLowInfoBase = 0x8000, kLowInfoEnd = 0x9F000;
constexpr u32 kInitialEsp = 0x7FF0;

BootLayout write_info(Machine& m, const KernelImage& k, const BootParams& p, u64 modules_base) {
    BootLayout layout;
    layout.entry = k.entry;
    const u64 ram = m.ram_size();
    // Modules after the kernel (and above 1 MiB), each on a page boundary
    // whether or not header flag 0 asks for it.
    u64 at = modules_base;
    for (const Module& mod : p.modules) {
        at = (at + 0xFFF) & ~0xFFFull;
        if (at + mod.data.size() > ram)
            throw ModuleError(mod.cmdline.substr(0, mod.cmdline.find(' ')),
                              "module does not fit in RAM after the kernel and the modules before it (" +
                                  std::to_string(ram / mem::MiB) + " MiB; try --mem)");
        m.write_phys(at, mod.data.data(), mod.data.size());
        layout.modules.push_back({u32(at), u32(at + mod.data.size())});
        at += mod.data.size();
    }

    // Two passes: lay the block out to learn its size, then place it.
    auto build = [&](u32 base) {
        InfoBlock b(base);
        size_t gdt = b.alloc(24, 8);
        b.put<u64>(gdt + 8, kFlatCode32);
        b.put<u64>(gdt + 16, kFlatData32);
        size_t info = b.alloc(120, 8);
        u32 flags = infoflag::Mem | infoflag::CmdLine | infoflag::Mods | infoflag::Mmap | infoflag::LoaderName;
        b.put<u32>(info + 0, flags);
        b.put<u32>(info + 4, 639);                                                  // mem_lower, KiB
        b.put<u32>(info + 8, u32((std::min<u64>(ram, 0xFFFFFFFF) - 0x100000) / 1024));  // mem_upper, KiB
        struct Range {
            u64 base, len;
            u32 type;
        };
        const Range map[] = {{0, 0x9FC00, 1},
                             {0x9FC00, 0x400, 2},
                             {Machine::kFirmwareBase, Machine::kFirmwareEnd - Machine::kFirmwareBase, 2},
                             {0x100000, ram - 0x100000, 1}};
        size_t mmap = b.alloc(sizeof map / sizeof map[0] * 24, 4);
        for (size_t n = 0; n < std::size(map); ++n) {
            size_t e = mmap + n * 24;
            b.put<u32>(e, 20);  // size of the entry after this field
            b.put<u64>(e + 4, map[n].base);
            b.put<u64>(e + 12, map[n].len);
            b.put<u32>(e + 20, map[n].type);
        }
        b.put<u32>(info + 44, u32(std::size(map) * 24));  // mmap_length
        b.put<u32>(info + 48, b.addr(mmap));
        size_t mods = b.alloc(16 * p.modules.size(), 4);
        for (size_t n = 0; n < p.modules.size(); ++n) {
            size_t s = b.add_string(p.modules[n].cmdline);
            b.put<u32>(mods + 16 * n, layout.modules[n].first);
            b.put<u32>(mods + 16 * n + 4, layout.modules[n].second);
            b.put<u32>(mods + 16 * n + 8, b.addr(s));
        }
        b.put<u32>(info + 20, u32(p.modules.size()));
        b.put<u32>(info + 24, b.addr(mods));
        b.put<u32>(info + 16, b.addr(b.add_string(p.cmdline)));
        b.put<u32>(info + 64, b.addr(b.add_string(p.loader_name)));
        layout.gdt_addr = b.addr(gdt);
        layout.info_addr = b.addr(info);
        layout.info_end = b.addr(b.bytes().size());
        return std::move(b.bytes());
    };
    size_t size = build(0).size();

    auto overlaps_kernel = [&](u64 base, u64 end) {
        return std::any_of(k.segments.begin(), k.segments.end(),
                           [&](const Segment& s) { return base < s.paddr + s.mem_size && s.paddr < end; });
    };
    u64 base;
    if (kLowInfoBase + size <= kLowInfoEnd && !overlaps_kernel(kLowInfoBase, kLowInfoBase + size))
        base = kLowInfoBase;
    else
        base = (at + 0xFFF) & ~0xFFFull;
    if (base + size > ram)
        throw BootError("no room for the boot information after the kernel and modules (try --mem)");
    std::vector<u8> bytes = build(u32(base));
    m.write_phys(base, bytes.data(), bytes.size());
    return layout;
}

// Spec 3.2: the state of the machine when the OS image is entered.
void enter_protected_mode(Cpu& c, const BootLayout& l) {
    c.reset();
    c.s.gpr[RAX] = kBootMagic;
    c.s.gpr[RBX] = l.info_addr;
    c.s.gpr[RDX] = 0;
    c.s.gpr[RSP] = kInitialEsp;  // undefined by the spec; a harmless place
    c.s.rip = l.entry;
    c.s.rflags = fl::FIXED1;  // IF = 0, VM = 0
    c.sys.gdtr = {l.gdt_addr, 23};
    c.set_segment(CS, kCodeSel, kFlatCode32);
    for (u8 seg : {ES, SS, DS, FS, GS}) c.set_segment(seg, kDataSel, kFlatData32);
    c.sys.cr0 |= cr0::PE;
    c.set_cpl(0);
    c.update_mode();
}

}  // namespace

u64 KernelImage::end() const {
    u64 e = 0;
    for (const Segment& s : segments) e = std::max(e, s.paddr + s.mem_size);
    return e;
}

KernelImage parse_multiboot(std::span<const u8> image, u64 ram_size) {
    Header h = find_header(image);
    KernelImage k;
    k.header_offset = h.offset;
    k.header_flags = h.flags;
    if (u32 unknown = h.flags & 0xFFFF & ~mbflag::kKnownRequired)
        throw BootError("Multiboot header requires features this loader does not know (flags " + hex(unknown) + ")");
    bool elf = image.size() >= 5 && image[0] == 0x7F && image[1] == 'E' && image[2] == 'L' && image[3] == 'F';
    if (h.flags & mbflag::AoutKludge) {
        load_kludge(image, h, k);
        k.format = elf ? (image[4] == 2 ? "ELF64 with a.out kludge" : "ELF32 with a.out kludge") : "a.out kludge";
    } else if (elf && image[4] == 1) {
        load_elf32(image, k);
        k.format = "ELF32";
    } else if (elf && image[4] == 2) {
        throw BootError("ELF64 image without the a.out kludge (flag 16): Multiboot v1 loads only ELF32 or kludge images");
    } else if (elf) {
        throw BootError("ELF image of unknown class " + std::to_string(image[4]));
    } else {
        throw BootError("not an ELF image, and the Multiboot header has no a.out kludge address fields (flag 16)");
    }
    check_segments(k, ram_size);
    return k;
}

std::string boot_name(const std::string& kernel_path) {
    const size_t slash = kernel_path.find_last_of('/');
    return slash == std::string::npos ? kernel_path : kernel_path.substr(slash + 1);
}

BootLayout load_multiboot(Machine& m, std::span<const u8> image, const BootParams& params) {
    KernelImage k = parse_multiboot(image, m.ram_size());
    for (const Segment& s : k.segments) {
        // check_segments() put every byte inside RAM.
        m.write_phys(s.paddr, image.data() + s.file_offset, s.file_size);
        m.zero_phys(s.paddr + s.file_size, s.mem_size - s.file_size);
    }
    BootLayout layout = write_info(m, k, params, std::max<u64>(k.end(), 0x100000));
    enter_protected_mode(m.cpu(0), layout);
    return layout;
}

}  // namespace sy::boot
