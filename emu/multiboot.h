// Multiboot v1 boot loader (Multiboot Specification 0.6.96: 3.1 the OS image
// format and header, 3.2 machine state, 3.3 boot information format).
//
// Accepted images:
//   * ELF32 (EM_386, ET_EXEC) without the a.out kludge: PT_LOAD segments are
//     loaded at their physical address (p_paddr), bytes past p_filesz zeroed.
//   * any image whose Multiboot header sets flag 16 (the "a.out kludge"): the
//     header's load_addr / load_end_addr / bss_end_addr / entry_addr say what to
//     load where; this is how flat binaries and ELF64 kernels boot. As in GRUB
//     and QEMU, the kludge takes precedence over the ELF headers.
// The header lies in the first 8192 bytes, 4-byte aligned, with magic
// 0x1BADB002 and magic + flags + checksum == 0 (mod 2^32).
//
// Checks (each failure is a BootError with a one-line message):
//   the header (found, checksum, no required feature bits 3-15), the ELF
//   headers and program headers inside the file, p_filesz <= p_memsz, every
//   loaded byte inside RAM, outside the firmware area 0xE0000-0xFFFFF and
//   outside every other segment, and an entry point inside a loaded segment.
//
// Deviations:
//   * Flag 2 (video mode) is accepted but no mode is set: there is no display,
//     and the information structure has no VBE/framebuffer fields (flags 11/12
//     clear), which the spec lets a kernel detect.
//   * An ELF entry point that is a virtual address inside a segment whose
//     p_vaddr differs from p_paddr (a higher-half kernel) is translated to the
//     physical address, since paging is off at entry.
//   * The command line is "<kernel path> <append>", as QEMU builds it.
#pragma once
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "types.h"

namespace sy {
class Machine;
}

namespace sy::boot {

inline constexpr u32 kHeaderMagic = 0x1BADB002;
inline constexpr u32 kBootMagic = 0x2BADB002;  // EAX at entry
inline constexpr size_t kSearchBytes = 8192;

// Header flag bits (3.1.2).
namespace mbflag {
inline constexpr u32 PageAlign = 1u << 0, MemInfo = 1u << 1, VideoMode = 1u << 2, AoutKludge = 1u << 16;
inline constexpr u32 kKnownRequired = PageAlign | MemInfo | VideoMode;
}  // namespace mbflag

// Information structure flag bits (3.3).
namespace infoflag {
inline constexpr u32 Mem = 1u << 0, CmdLine = 1u << 2, Mods = 1u << 3, Mmap = 1u << 6, LoaderName = 1u << 9;
}

struct BootError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A module that cannot be placed: module() is its file (the string up to the
// first blank), so the error is reported under that name, not the kernel's.
struct ModuleError : BootError {
    ModuleError(std::string file, const std::string& what) : BootError(what), file_(std::move(file)) {}
    const std::string& module() const { return file_; }

private:
    std::string file_;
};

// One run of bytes to place in physical memory: `file_size` bytes from
// `file_offset` of the image, then zeros up to `mem_size`.
struct Segment {
    u64 paddr = 0;
    u64 file_offset = 0;
    u64 file_size = 0;
    u64 mem_size = 0;
};

struct KernelImage {
    std::string format;  // "ELF32", "ELF64 with a.out kludge", "a.out kludge"
    u64 header_offset = 0;
    u32 header_flags = 0;
    u32 entry = 0;
    std::vector<Segment> segments;
    u64 end() const;  // first byte after the highest segment
};

// Parses and checks an image against a machine with `ram_size` bytes of RAM.
// Throws BootError.
KernelImage parse_multiboot(std::span<const u8> image, u64 ram_size);

struct Module {
    std::string cmdline;  // the module's string (QEMU: "path args")
    std::vector<u8> data;
};

struct BootParams {
    std::string cmdline;  // the kernel's: boot_name(KERNEL) + " " + --append
    std::vector<Module> modules;
    std::string loader_name = "switchyard";
};

// Where things went, for tests and --verbose reports.
struct BootLayout {
    u32 entry = 0;
    u32 info_addr = 0;      // the multiboot_info structure (EBX)
    u32 info_end = 0;       // end of the block holding it, the map, strings, GDT
    u32 gdt_addr = 0;
    std::vector<std::pair<u32, u32>> modules;  // [start, end) of each module
};

// The first word of a kernel's command line: its file's name, without the
// directory ("build/guest-kernel/kernel.elf" -> "kernel.elf"). QEMU puts the
// path as it was typed; the name alone keeps the boot information's layout,
// and with it the whole run, the same wherever the file lives (docs/machine.md).
std::string boot_name(const std::string& kernel_path);

// Loads the image and the modules into the machine's RAM, writes the boot
// information, and puts CPU 0 in the state of spec section 3.2. Throws BootError
// (nothing useful is left in RAM then).
BootLayout load_multiboot(Machine& m, std::span<const u8> image, const BootParams& params);

}  // namespace sy::boot
