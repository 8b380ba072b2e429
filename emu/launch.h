// What `switchyard run` and `switchyard gui` share: the machine options (the
// kernel, memory, CPUs, the command line, modules, disks) and building and
// booting the machine they describe. Errors in them end the program with one
// `switchyard:` line and status 2.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "machine.h"
#include "multiboot.h"

namespace sy::cli {

inline constexpr int kStatusBadImage = 2;

struct MachineOptions {
    std::string kernel;
    std::string mem = "256M";
    std::string smp = "2";
    std::string quantum = std::to_string(MachineConfig{}.quantum);
    std::string timing = "fast";  // the cycle clock: fast or detailed (docs/timing.md)
    std::string append;
    std::vector<std::string> modules;
    std::vector<std::string> initrd;
    std::vector<std::string> drives;
    std::vector<std::string> devices;
    bool verbose = false;
};

// Registers KERNEL, --mem, --smp, --quantum, --timing, --append, --module,
// --initrd, --drive, --device and --verbose on `cmd`.
void add_machine_options(CLI::App* cmd, MachineOptions& o);

// The options checked and every file read, before anything starts.
struct Prepared {
    std::string kernel;  // the image to boot (the bundled one when none was given)
    MachineConfig config;
    std::shared_ptr<std::vector<u8>> image;
    std::shared_ptr<boot::BootParams> params;
    std::vector<std::pair<unsigned, std::string>> disks;  // ATA slot, image file
    bool verbose = false;
};
Prepared prepare(const MachineOptions& o);

struct Launch {
    std::string kernel;
    std::unique_ptr<Machine> machine;
    std::function<void()> boot;  // loads the kernel and modules (again, after a reset)
};
// Opens the disk image `file` for ATA slot `slot` (what the machine reads and
// writes); may throw, as dev::FileDisk does.
using DiskOpener = std::function<std::unique_ptr<dev::BlockBackend>(unsigned slot, const std::string& file)>;
// Builds the machine with the given output sinks, attaches the disks (through
// `open_disk`; empty: a dev::FileDisk on each image) and boots the kernel.
Launch start(const Prepared& p, std::function<void(u8)> serial_out, std::function<void(u8)> debugcon_out,
             const DiskOpener& open_disk = {});

// One `switchyard:` line on stderr and exit(status).
[[noreturn]] void fail(const std::string& msg, int status = kStatusBadImage);
// A whole number in decimal (or 0x hex): no sign, no trailing text, no overflow.
std::optional<u64> parse_u64(const std::string& s);
// The number an option gives, in [lo, hi], or fail() naming the option.
u64 number_option(const std::string& text, const std::string& option, u64 lo, u64 hi);
// The bundled guest kernel, built beside the binary (build/guest-kernel/kernel.elf), or "".
std::string bundled_kernel();
// `what` is the noun with its article ("a kernel image", "an input file").
std::vector<u8> read_file(const std::string& path, u64 max_size, const std::string& what);

}  // namespace sy::cli
