// The machine options and the launch shared by `run` and `gui` (launch.h).
#include "launch.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace sy::cli {

[[noreturn]] void fail(const std::string& msg, int status) {
    std::fflush(stdout);
    std::fprintf(stderr, "switchyard: %s\n", msg.c_str());
    std::exit(status);
}

std::optional<u64> parse_u64(const std::string& s) {
    if (s.empty()) return std::nullopt;
    unsigned base = 10;
    size_t k = 0;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16, k = 2;
    u64 v = 0;
    for (; k < s.size(); ++k) {
        char c = char(std::tolower(static_cast<unsigned char>(s[k])));
        unsigned d;
        if (c >= '0' && c <= '9') d = unsigned(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
        else return std::nullopt;
        if (v > (~0ull - d) / base) return std::nullopt;  // overflow
        v = v * base + d;
    }
    return v;
}

u64 number_option(const std::string& text, const std::string& option, u64 lo, u64 hi) {
    auto v = parse_u64(text);
    if (!v || *v < lo || *v > hi)
        fail(option + " " + text + ": expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    return *v;
}

// QEMU's -smp [cpus=]N[,sockets=S][,dies=D][,clusters=L][,cores=C][,threads=T][,maxcpus=M]:
// the CPU count; without N it is the product of the topology. The topology
// itself is not modelled (every CPU is one core of its own package).
static unsigned parse_smp(const std::string& spec) {
    const std::string opt = "--smp " + spec;
    std::optional<u64> cpus, maxcpus;
    u64 product = 1;
    bool topology = false;
    size_t start = 0;
    for (size_t k = 0; k <= spec.size(); ++k) {
        if (k != spec.size() && spec[k] != ',') continue;
        std::string p = spec.substr(start, k - start);
        start = k + 1;
        auto eq = p.find('=');
        std::string key = eq == std::string::npos ? "cpus" : p.substr(0, eq);
        std::string val = eq == std::string::npos ? p : p.substr(eq + 1);
        auto v = parse_u64(val);
        if (!v || *v == 0 || *v > Machine::kMaxCpus)
            fail(opt + ": " + key + " must be a whole number from 1 to " + std::to_string(Machine::kMaxCpus));
        if (key == "cpus") cpus = v;
        else if (key == "maxcpus") maxcpus = v;
        else if (key == "sockets" || key == "dies" || key == "clusters" || key == "cores" || key == "threads")
            product *= *v, topology = true;
        else fail(opt + ": unknown field " + key + " (cpus, sockets, dies, clusters, cores, threads, maxcpus)");
    }
    u64 n = cpus ? *cpus : topology ? product : maxcpus ? *maxcpus : 1;
    if (topology && n > product)
        fail(opt + ": " + std::to_string(n) + " CPUs do not fit a topology of " + std::to_string(product));
    if (maxcpus && *maxcpus < n) fail(opt + ": maxcpus is below the CPU count");
    if (n > Machine::kMaxCpus) fail(opt + ": at most " + std::to_string(Machine::kMaxCpus) + " CPUs");
    return unsigned(n);
}

// "256M", "1G", "65536K", "1048576B"; a bare number is MiB, as QEMU's -m reads it.
static std::optional<u64> parse_size(std::string s) {
    if (s.rfind("size=", 0) == 0) s = s.substr(5);
    size_t used = 0;
    while (used < s.size() && std::isdigit(static_cast<unsigned char>(s[used]))) ++used;
    auto n = parse_u64(s.substr(0, used));
    if (!n) return std::nullopt;
    std::string unit = s.substr(used);
    for (char& c : unit) c = char(std::toupper(static_cast<unsigned char>(c)));
    if (unit.size() > 1 && (unit.ends_with("IB") || unit.ends_with("B")) && unit != "B")
        unit = unit.substr(0, unit.size() - (unit.ends_with("IB") ? 2 : 1));
    u64 mul;
    if (unit.empty() || unit == "M") mul = mem::MiB;
    else if (unit == "B") mul = 1;
    else if (unit == "K") mul = mem::KiB;
    else if (unit == "G") mul = mem::GiB;
    else return std::nullopt;
    if (*n > (~0ull) / mul) return std::nullopt;
    return *n * mul;
}

std::vector<u8> read_file(const std::string& path, u64 max_size, const std::string& what) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail(path + ": is a directory, not " + what);
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(path + ": cannot open " + what + ": " + std::strerror(errno));
    f.seekg(0, std::ios::end);
    auto size = f.tellg();
    if (size < 0) fail(path + ": cannot read " + what);
    if (u64(size) > max_size) fail(path + ": " + what.substr(what.find(' ') + 1) + " is larger than guest RAM (try --mem)");
    f.seekg(0);
    std::vector<u8> bytes(static_cast<size_t>(size));
    if (!f.read(reinterpret_cast<char*>(bytes.data()), size)) fail(path + ": cannot read " + what);
    return bytes;
}

std::string bundled_kernel() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    auto k = exe.parent_path() / "guest-kernel" / "kernel.elf";
    return std::filesystem::exists(k, ec) ? k.string() : std::string{};
}

// "-device isa-debug-exit,iobase=0xf4,iosize=0x04" names the device that is
// always there; anything else would be a device we do not have.
static void check_device(const std::string& spec) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t k = 0; k <= spec.size(); ++k)
        if (k == spec.size() || spec[k] == ',') {
            parts.push_back(spec.substr(start, k - start));
            start = k + 1;
        }
    if (parts[0] != "isa-debug-exit") fail("-device " + spec + ": unsupported device (only isa-debug-exit)");
    for (size_t k = 1; k < parts.size(); ++k) {
        const std::string& p = parts[k];
        auto eq = p.find('=');
        std::string key = p.substr(0, eq), val = eq == std::string::npos ? "" : p.substr(eq + 1);
        u64 v = 0;
        try {
            v = std::stoull(val, nullptr, 0);
        } catch (...) {
            fail("-device " + spec + ": bad value for " + key);
        }
        if ((key == "iobase" && v != 0xF4) || (key == "iosize" && v != 4) || (key != "iobase" && key != "iosize"))
            fail("-device " + spec + ": isa-debug-exit is fixed at iobase=0xf4, iosize=0x04");
    }
}

// "file=IMG,index=0|1[,format=raw][,if=ide][,media=disk]" (ours and QEMU's
// -drive): the image and the ATA slot, master 0 or slave 1 of the primary
// channel. Without index= a drive takes the first free slot, as QEMU does.
namespace {
struct DriveSpec {
    std::string file;
    int index = -1;
};
}  // namespace

static DriveSpec parse_drive(const std::string& spec) {
    DriveSpec d;
    size_t start = 0;
    for (size_t k = 0; k <= spec.size(); ++k) {
        if (k != spec.size() && spec[k] != ',') continue;
        std::string p = spec.substr(start, k - start);
        start = k + 1;
        auto eq = p.find('=');
        std::string key = p.substr(0, eq), val = eq == std::string::npos ? "" : p.substr(eq + 1);
        if (key == "file") d.file = val;
        else if (key == "index" && (val == "0" || val == "1")) d.index = val[0] - '0';
        else if ((key == "format" && val == "raw") || (key == "if" && val == "ide") || (key == "media" && val == "disk"))
            continue;
        else fail("--drive " + spec + ": unsupported " + (key.empty() ? "empty field" : key + "=" + val) +
                  " (file=IMG,index=0|1,format=raw,if=ide)");
    }
    if (d.file.empty()) fail("--drive " + spec + ": file=IMG is missing");
    return d;
}

// QEMU's -initrd "file1 args,file2": modules separated by commas, each string
// "path args"; the file is the part before the first space.
static std::vector<std::string> split_initrd(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t k = 0; k <= s.size(); ++k)
        if (k == s.size() || s[k] == ',') {
            if (k > start) out.push_back(s.substr(start, k - start));
            start = k + 1;
        }
    return out;
}

void add_machine_options(CLI::App* cmd, MachineOptions& o) {
    cmd->add_option("KERNEL,--kernel", o.kernel,
                    "Multiboot v1 kernel (ELF32, or any image with the a.out kludge); default: the bundled "
                    "guest kernel build/guest-kernel/kernel.elf")
        ->type_name("FILE");
    cmd->add_option("--mem", o.mem, "RAM size: 256M, 1G, 65536K; a bare number is MiB (2M..3G)")
        ->type_name("SIZE")
        ->capture_default_str();
    cmd->add_option("--smp", o.smp,
                    "number of CPUs (1-64), or QEMU's N,sockets=S,cores=C,threads=T; CPU 0 boots, the others wait "
                    "for INIT-SIPI-SIPI")
        ->type_name("N")
        ->capture_default_str();
    cmd->add_option("--quantum", o.quantum, "cycles each CPU runs before the next one takes its turn")
        ->type_name("CYCLES")
        ->capture_default_str();
    cmd->add_option("--timing", o.timing,
                    "the cycle clock: fast (each instruction its table cost) or detailed (caches, TLBs, branch "
                    "prediction, in-order issue: docs/timing.md)")
        ->check(CLI::IsMember({"fast", "detailed"}))
        ->capture_default_str();
    cmd->add_option("--append", o.append, "kernel command line (Multiboot cmdline is \"NAME STR\", NAME the kernel's file name)")
        ->type_name("STR");
    cmd->add_option("--module", o.modules,
                    "load FILE as a Multiboot module (repeatable, in order); \"FILE args\" sets its string")
        ->type_name("\"FILE [ARGS]\"")
        ->allow_extra_args(false);
    cmd->add_option("--initrd", o.initrd, "QEMU -initrd: comma-separated modules, placed before --module ones")
        ->type_name("\"F1 [ARGS],F2\"")
        ->allow_extra_args(false);
    cmd->add_option("--drive", o.drives, "raw disk image on the primary ATA channel: file=IMG,index=0|1 (0 master, 1 slave; "
                    "QEMU's format=raw,if=ide accepted); the guest's writes go to the file")
        ->type_name("file=IMG,index=N")
        ->allow_extra_args(false);
    cmd->add_option("--device", o.devices, "QEMU -device: only isa-debug-exit,iobase=0xf4,iosize=0x04")
        ->type_name("DEVICE")
        ->allow_extra_args(false);
    cmd->add_flag("-v,--verbose", o.verbose, "report where the loader put things");
}

Prepared prepare(const MachineOptions& o) {
    Prepared p;
    p.kernel = o.kernel;
    if (p.kernel.empty()) {
        p.kernel = bundled_kernel();
        if (p.kernel.empty()) fail("no KERNEL given and the bundled guest kernel is not built yet (build/guest-kernel/kernel.elf)");
    }
    auto ram = parse_size(o.mem);
    if (!ram) fail("--mem " + o.mem + ": expected a size such as 256M or 1G");
    p.config.ram_bytes = *ram;
    p.config.cpus = parse_smp(o.smp);
    p.config.quantum = number_option(o.quantum, "--quantum", 1, u64(1) << 40);
    p.config.timing = o.timing == "detailed" ? timing::Mode::Detailed : timing::Mode::Fast;
    for (const auto& d : o.devices) check_device(d);
    bool used[2] = {};
    for (const auto& spec : o.drives) {
        DriveSpec d = parse_drive(spec);
        if (d.index < 0) d.index = used[0] ? 1 : 0;
        if (used[d.index]) fail("--drive " + spec + ": ATA slot " + std::to_string(d.index) + " is already taken");
        used[d.index] = true;
        p.disks.push_back({unsigned(d.index), d.file});
    }
    // Everything the guest gets from the host is read before the machine
    // starts, except the console input.
    p.params = std::make_shared<boot::BootParams>();
    p.params->cmdline = boot::boot_name(p.kernel) + " " + o.append;
    std::vector<std::string> mods;
    for (const auto& i : o.initrd)
        for (auto& s : split_initrd(i)) mods.push_back(s);
    mods.insert(mods.end(), o.modules.begin(), o.modules.end());
    for (const auto& spec : mods) {
        std::string path = spec.substr(0, spec.find(' '));
        p.params->modules.push_back({spec, read_file(path, *ram, "a module")});
    }
    p.image = std::make_shared<std::vector<u8>>(read_file(p.kernel, *ram, "a kernel image"));
    p.verbose = o.verbose;
    return p;
}

Launch start(const Prepared& p, std::function<void(u8)> serial_out, std::function<void(u8)> debugcon_out,
             const DiskOpener& open_disk) {
    Launch l;
    l.kernel = p.kernel;
    MachineConfig cfg = p.config;
    cfg.serial_out = std::move(serial_out);
    cfg.debugcon_out = std::move(debugcon_out);
    try {
        l.machine = std::make_unique<Machine>(cfg);
    } catch (const std::exception& e) {
        fail(std::string("bad machine configuration: ") + e.what());
    }
    for (const auto& [slot, file] : p.disks) {
        std::error_code ec;
        if (std::filesystem::is_directory(file, ec)) fail(file + ": is a directory, not a disk image");
        errno = 0;
        try {
            l.machine->attach_disk(slot, open_disk ? open_disk(slot, file) : std::make_unique<dev::FileDisk>(file));
        } catch (const std::exception&) {
            fail(file + ": cannot open disk image for reading and writing" +
                 (errno ? std::string(": ") + std::strerror(errno) : std::string()));
        }
    }
    Machine* m = l.machine.get();
    auto image = p.image;
    auto params = p.params;
    const std::string kernel = p.kernel;
    const bool verbose = p.verbose;
    l.boot = [m, image, params, kernel, verbose] {
        try {
            auto layout = boot::load_multiboot(*m, *image, *params);
            if (verbose) {
                std::fprintf(stderr, "switchyard: %s: entry 0x%x, boot info 0x%x-0x%x, %zu module(s)\n", kernel.c_str(),
                             layout.entry, layout.info_addr, layout.info_end, layout.modules.size());
            }
        } catch (const boot::ModuleError& e) {
            fail(e.module() + ": " + e.what());
        } catch (const boot::BootError& e) {
            fail(kernel + ": " + e.what());
        }
    };
    l.boot();
    return l;
}

}  // namespace sy::cli
