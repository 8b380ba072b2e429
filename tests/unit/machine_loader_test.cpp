// The Multiboot v1 loader on well-formed and damaged images built in memory.
// Expected machine state and information layout: Multiboot Specification
// 0.6.96, 3.2 (EAX = 0x2BADB002, EBX = info, flat 32-bit protected mode, IF = 0)
// and 3.3 (info field offsets, mmap entries with a leading size field,
// module list of {start, end, string, 0}).
#include <doctest/doctest.h>

#include <string>

#include "machine.h"
#include "machine_support.h"
#include "multiboot.h"

using namespace sy;
using namespace sy::test;

namespace {

constexpr u64 kRam = 16 * mem::MiB;

Machine make_machine(unsigned cpus = 1) {
    MachineConfig c;
    c.ram_bytes = kRam;
    c.cpus = cpus;
    return Machine(c);
}

u32 rd32(Machine& m, u64 pa) {
    u32 v;
    m.read_phys(pa, &v, 4);
    return v;
}
std::string rdstr(Machine& m, u64 pa) {
    std::string s;
    for (char c; m.read_phys(pa++, &c, 1), c;) s.push_back(c);
    return s;
}

// The message of the BootError `f` throws, or "" if it does not throw one.
template <class F> std::string boot_error(F f) {
    try {
        f();
    } catch (const boot::BootError& e) {
        return e.what();
    }
    return "";
}

std::string parse_error(const std::vector<u8>& image, u64 ram = kRam) {
    return boot_error([&] { boot::parse_multiboot(image, ram); });
}

std::vector<u8> good_elf() {
    // 12 header bytes, then "hlt", 4 KiB of bss.
    return make_elf32({{0x100000, with_header_room({0xF4, 0xAA, 0xBB}), 0x2000}}, 0x10000C);
}

}  // namespace

TEST_CASE("loader: ELF32 segments are loaded at p_paddr with the bss zeroed") {
    Machine m = make_machine();
    std::vector<u8> junk(0x3000, 0x5A);
    m.write_phys(0x100000, junk.data(), junk.size());  // bss must be cleared
    boot::BootLayout l = boot::load_multiboot(m, good_elf(), {});
    u8 got[4];
    m.read_phys(0x10000C, got, 4);
    CHECK(got[0] == 0xF4);
    CHECK(got[1] == 0xAA);
    CHECK(got[2] == 0xBB);
    CHECK(got[3] == 0x00);
    m.read_phys(0x101FFF, got, 1);
    CHECK(got[0] == 0);
    m.read_phys(0x102000, got, 1);
    CHECK(got[0] == 0x5A);  // past p_memsz: untouched
    CHECK(l.entry == 0x10000C);
}

TEST_CASE("loader: CPU 0 enters in the state of Multiboot 3.2") {
    Machine m = make_machine();
    boot::BootLayout l = boot::load_multiboot(m, good_elf(), {});
    Cpu& c = m.cpu(0);
    CHECK(u32(c.s.gpr[RAX]) == 0x2BADB002);
    CHECK(u32(c.s.gpr[RBX]) == l.info_addr);
    CHECK(c.s.rip == 0x10000C);
    CHECK(c.mode() == Mode::Prot32);
    CHECK((c.sys.cr0 & cr0::PE) != 0);
    CHECK((c.sys.cr0 & cr0::PG) == 0);
    CHECK((c.s.rflags & fl::IF) == 0);
    CHECK((c.s.rflags & (1u << 17)) == 0);  // VM
    CHECK(c.cpl() == 0);
    for (int seg = 0; seg < 6; ++seg) {
        CAPTURE(seg);
        CHECK(c.sys.seg[seg].base == 0);
        CHECK(c.sys.seg[seg].limit == 0xFFFFFFFF);
        CHECK(c.sys.seg[seg].db());
        CHECK(c.sys.seg[seg].present());
    }
    CHECK(c.sys.seg[CS].code());
    CHECK_FALSE(c.sys.seg[DS].code());
    // The GDT the selectors name is really in memory.
    u64 code_desc;
    m.read_phys(c.sys.gdtr.base + c.sys.seg[CS].sel, &code_desc, 8);
    CHECK(code_desc == 0x00CF9B000000FFFFull);
}

TEST_CASE("loader: the information structure (3.3)") {
    Machine m = make_machine();
    boot::BootParams p;
    p.cmdline = "kernel.elf quiet";
    boot::BootLayout l = boot::load_multiboot(m, good_elf(), p);
    u32 info = l.info_addr;
    u32 flags = rd32(m, info);
    CHECK((flags & (1u << 0)) != 0);  // mem_*
    CHECK((flags & (1u << 2)) != 0);  // cmdline
    CHECK((flags & (1u << 3)) != 0);  // mods
    CHECK((flags & (1u << 6)) != 0);  // mmap
    CHECK((flags & (1u << 9)) != 0);  // boot_loader_name
    CHECK(rd32(m, info + 4) == 639);
    CHECK(rd32(m, info + 8) == (kRam - mem::MiB) / 1024);
    CHECK(rdstr(m, rd32(m, info + 16)) == "kernel.elf quiet");
    CHECK(rdstr(m, rd32(m, info + 64)) == "switchyard");
    CHECK(rd32(m, info + 20) == 0);  // mods_count

    // Memory map: walk it by each entry's size field, as kernels do.
    u32 len = rd32(m, info + 44), at = rd32(m, info + 48);
    u64 usable = 0;
    bool firmware_reserved = false;
    for (u32 p2 = at; p2 < at + len; p2 += rd32(m, p2) + 4) {
        u64 base, length;
        m.read_phys(p2 + 4, &base, 8);
        m.read_phys(p2 + 12, &length, 8);
        u32 type = rd32(m, p2 + 20);
        if (type == 1) usable += length;
        if (type == 2 && base <= 0xF0000 && base + length >= 0x100000) firmware_reserved = true;
    }
    CHECK(usable == 0x9FC00 + kRam - mem::MiB);
    CHECK(firmware_reserved);
    // The block sits in low memory, clear of the kernel.
    CHECK(l.info_end <= 0xA0000);
}

TEST_CASE("loader: modules are page aligned after the kernel, in order, with their strings") {
    Machine m = make_machine();
    boot::BootParams p;
    p.modules.push_back({"initrd.img root=1", std::vector<u8>(5000, 0x11)});
    p.modules.push_back({"second", std::vector<u8>{1, 2, 3}});
    boot::BootLayout l = boot::load_multiboot(m, good_elf(), p);
    REQUIRE(l.modules.size() == 2);
    CHECK(l.modules[0].first == 0x102000);  // first page after the kernel's bss
    CHECK(l.modules[0].second == 0x102000 + 5000);
    CHECK(l.modules[1].first == 0x104000);
    CHECK(l.modules[1].second == 0x104003);
    u32 mods = rd32(m, l.info_addr + 24);
    CHECK(rd32(m, l.info_addr + 20) == 2);
    CHECK(rd32(m, mods) == 0x102000);
    CHECK(rd32(m, mods + 4) == 0x102000 + 5000);
    CHECK(rdstr(m, rd32(m, mods + 8)) == "initrd.img root=1");
    CHECK(rd32(m, mods + 16) == 0x104000);
    CHECK(rdstr(m, rd32(m, mods + 24)) == "second");
    u8 b;
    m.read_phys(0x104002, &b, 1);
    CHECK(b == 3);
}

TEST_CASE("loader: a kernel in low memory pushes the boot information above itself") {
    Machine m = make_machine();
    auto image = make_elf32({{0x8000, with_header_room({0xF4}), 0x10000}}, 0x800C);
    boot::BootLayout l = boot::load_multiboot(m, image, {});
    CHECK(l.info_addr >= 0x100000);
    CHECK(rd32(m, l.info_addr + 4) == 639);
}

TEST_CASE("loader: flat a.out-kludge image") {
    Machine m = make_machine();
    auto image = make_kludge(0x200000, {0x90, 0xF4}, 0x1000);
    boot::KernelImage k = boot::parse_multiboot(image, kRam);
    CHECK(k.format == "a.out kludge");
    REQUIRE(k.segments.size() == 1);
    CHECK(k.segments[0].paddr == 0x200000);
    CHECK(k.segments[0].file_size == 34);
    CHECK(k.segments[0].mem_size == 34 + 0x1000);
    boot::BootLayout l = boot::load_multiboot(m, image, {});
    CHECK(l.entry == 0x200020);
    u8 b[2];
    m.read_phys(0x200020, b, 2);
    CHECK(b[0] == 0x90);
    CHECK(b[1] == 0xF4);
}

TEST_CASE("loader: ELF64 boots through the a.out kludge, and is refused without it") {
    auto image = make_kludge(0x200000, {0xF4}, 0);
    // Make it look like an ELF64 file around the kludge header: the header is at
    // offset 0x40 (after a 64-byte ELF64 header), header_addr accordingly.
    std::vector<u8> elf(0x40, 0);
    const u8 ident[] = {0x7F, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(elf.data(), ident, sizeof ident);
    elf.insert(elf.end(), image.begin(), image.end());
    put32(elf, 0x40 + 12, 0x200040);  // header_addr: load_addr + 0x40
    put32(elf, 0x40 + 20, 0);         // load_end_addr 0: the whole file
    put32(elf, 0x40 + 28, 0x200060);  // entry: the hlt after the 32-byte header
    boot::KernelImage k = boot::parse_multiboot(elf, kRam);
    CHECK(k.format == "ELF64 with a.out kludge");
    CHECK(k.segments[0].file_offset == 0);
    CHECK(k.segments[0].file_size == elf.size());
    CHECK(k.entry == 0x200060);

    // The same ELF64 without flag 16.
    std::vector<u8> plain = elf;
    put_mb_header(plain, 0x40, 0x3);
    CHECK(parse_error(plain).find("ELF64 image without the a.out kludge") != std::string::npos);
}

TEST_CASE("loader: a higher-half entry point is translated to its physical address") {
    auto image = make_elf32({{0x100000, with_header_room({0xF4}), 0x1000, 0xC0100000}}, 0xC010000C);
    boot::KernelImage k = boot::parse_multiboot(image, kRam);
    CHECK(k.entry == 0x10000C);
}

TEST_CASE("loader: malformed images give one-line errors") {
    SUBCASE("empty file") { CHECK(parse_error({}) == "empty file"); }
    SUBCASE("no header") {
        auto image = make_elf32({{0x100000, with_header_room({0xF4}), 0x1000}}, 0x10000C, ~0u);
        CHECK(parse_error(image).find("no Multiboot header") == 0);
    }
    SUBCASE("wrong magic") {
        auto image = good_elf();
        put32(image, 0x1000, 0x1BADB003);
        CHECK(parse_error(image).find("no Multiboot header") == 0);
    }
    SUBCASE("bad checksum") {
        auto image = good_elf();
        put_mb_header(image, 0x1000, 0x3, 1);
        CHECK(parse_error(image).find("bad checksum") != std::string::npos);
    }
    SUBCASE("header beyond the first 8192 bytes") {
        auto image = good_elf();
        image.resize(0x3000);
        put32(image, 0x1000, 0);
        put_mb_header(image, 0x2000, 0x3);
        CHECK(parse_error(image).find("no Multiboot header") == 0);
    }
    SUBCASE("unknown required flag") {
        auto image = good_elf();
        put_mb_header(image, 0x1000, 0x3 | (1u << 5));
        CHECK(parse_error(image).find("does not know (flags 0x20)") != std::string::npos);
    }
    SUBCASE("truncated segment data") {
        auto image = good_elf();
        image.resize(0x100E);
        CHECK(parse_error(image).find("truncated image") == 0);
    }
    SUBCASE("program headers outside the file") {
        auto image = good_elf();
        put32(image, 28, 0x7FFFFFF0);  // e_phoff
        CHECK(parse_error(image).find("truncated ELF program header table") == 0);
    }
    SUBCASE("truncated ELF header") {
        std::vector<u8> image(24, 0);
        const u8 ident[] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
        std::memcpy(image.data(), ident, sizeof ident);
        put_mb_header(image, 8, 0x3);
        CHECK(parse_error(image).find("truncated ELF header") == 0);
    }
    SUBCASE("not an i386 ELF") {
        auto image = good_elf();
        put16(image, 18, 62);
        CHECK(parse_error(image).find("not i386") != std::string::npos);
    }
    SUBCASE("p_filesz above p_memsz") {
        auto image = make_elf32({{0x100000, with_header_room({0xF4, 0xF4}), 4}}, 0x100000);
        CHECK(parse_error(image).find("exceeds p_memsz") != std::string::npos);
    }
    SUBCASE("segment outside RAM") {
        auto image = make_elf32({{0x2000000, with_header_room({0xF4}), 0x1000}}, 0x200000C);
        CHECK(parse_error(image).find("lies outside RAM (16 MiB") != std::string::npos);
    }
    SUBCASE("huge segment") {
        auto image = make_elf32({{0x100000, with_header_room({0xF4}), 0xFFFFFFFF}}, 0x10000C);
        CHECK(parse_error(image).find("outside RAM") != std::string::npos);
    }
    SUBCASE("segment over the firmware area") {
        auto image = make_elf32({{0xDF000, with_header_room({0xF4}), 0x2000}}, 0xDF00C);
        CHECK(parse_error(image).find("overlaps the firmware area") != std::string::npos);
    }
    SUBCASE("overlapping segments") {
        auto image = make_elf32({{0x100000, with_header_room({0xF4}), 0x2000}, {0x101000, {1, 2}, 0x10}}, 0x10000C);
        CHECK(parse_error(image).find("overlaps the segment at 0x100000") != std::string::npos);
    }
    SUBCASE("entry outside every segment") {
        auto image = make_elf32({{0x100000, with_header_room({0xF4}), 0x1000}}, 0x400000);
        CHECK(parse_error(image).find("entry point 0x400000") == 0);
    }
    SUBCASE("neither ELF nor kludge") {
        std::vector<u8> image(64, 0);
        put_mb_header(image, 0, 0x3);
        CHECK(parse_error(image).find("not an ELF image") == 0);
    }
    SUBCASE("kludge: truncated address fields") {
        std::vector<u8> image(16, 0);
        put_mb_header(image, 0, 0x3 | (1u << 16));
        CHECK(parse_error(image).find("truncated Multiboot header") == 0);
    }
    SUBCASE("kludge: load_end_addr beyond the file") {
        auto image = make_kludge(0x200000, {0xF4}, 0);
        put32(image, 20, 0x300000);
        CHECK(parse_error(image).find("truncated image") == 0);
    }
    SUBCASE("kludge: load_addr above header_addr") {
        auto image = make_kludge(0x200000, {0xF4}, 0);
        put32(image, 16, 0x200004);
        CHECK(parse_error(image).find("above header_addr") != std::string::npos);
    }
    SUBCASE("kludge: load_addr before the start of the file") {
        auto image = make_kludge(0x200000, {0xF4}, 0);
        put32(image, 16, 0x1FF000);
        CHECK(parse_error(image).find("before the beginning of the file") != std::string::npos);
    }
    SUBCASE("kludge: bss_end_addr below the loaded end") {
        auto image = make_kludge(0x200000, {0xF4}, 0);
        put32(image, 24, 0x200001);
        CHECK(parse_error(image).find("bss_end_addr") != std::string::npos);
    }
    SUBCASE("errors are one line") {
        auto image = good_elf();
        put_mb_header(image, 0x1000, 0x3, 1);
        CHECK(parse_error(image).find('\n') == std::string::npos);
    }
}

TEST_CASE("loader: modules that do not fit in RAM are an error") {
    Machine m = make_machine();
    boot::BootParams p;
    p.modules.push_back({"big", std::vector<u8>(kRam, 0)});
    CHECK(boot_error([&] { boot::load_multiboot(m, good_elf(), p); }).find("does not fit in RAM") !=
          std::string::npos);
}

TEST_CASE("loader: the command line's first word is the kernel file's name, wherever the file is") {
    CHECK(boot::boot_name("/work/a/build/guest-kernel/kernel.elf") == "kernel.elf");
    CHECK(boot::boot_name("../b/kernel.elf") == "kernel.elf");
    CHECK(boot::boot_name("kernel.elf") == "kernel.elf");
}
