// `switchyard run [KERNEL] [options]`: boot a Multiboot kernel on the PC machine
// and run it until it exits through isa-debug-exit (see docs/machine.md).
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "commands.h"
#include "machine.h"
#include "multiboot.h"

namespace sy::cli {

namespace {

// Exit statuses of `run` besides the guest's own (always odd: (v << 1) | 1).
constexpr int kStatusBadImage = 2, kStatusTripleFault = 4, kStatusAllHalted = 6, kStatusCycleLimit = 8;

struct RunOptions {
    std::string kernel;
    std::string mem = "256M";
    unsigned smp = 2;
    u64 quantum = MachineConfig{}.quantum;
    u64 max_cycles = 0;  // 0: no limit
    std::string append;
    std::vector<std::string> modules;
    std::vector<std::string> initrd;
    std::vector<std::string> drives;
    std::vector<std::string> devices;
    std::string serial = "stdio";
    std::string debugcon = "stdio";
    std::string input = "stdin";
    bool stats = false;
    bool verbose = false;
};

[[noreturn]] void fail(const std::string& msg, int status = kStatusBadImage) {
    std::fflush(stdout);
    std::fprintf(stderr, "switchyard: %s\n", msg.c_str());
    std::exit(status);
}

// "256M", "1G", "65536K", "1048576B"; a bare number is MiB, as QEMU's -m reads it.
std::optional<u64> parse_size(std::string s) {
    if (s.rfind("size=", 0) == 0) s = s.substr(5);
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
    size_t used = 0;
    u64 n;
    try {
        n = std::stoull(s, &used, 10);
    } catch (...) {
        return std::nullopt;
    }
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
    if (n > (~0ull) / mul) return std::nullopt;
    return n * mul;
}

std::vector<u8> read_file(const std::string& path, u64 max_size, const char* what) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail(path + ": is a directory, not a " + what);
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(path + ": cannot open " + what + ": " + std::strerror(errno));
    f.seekg(0, std::ios::end);
    auto size = f.tellg();
    if (size < 0) fail(path + ": cannot read " + what);
    if (u64(size) > max_size) fail(path + ": " + what + " is larger than guest RAM (try --mem)");
    f.seekg(0);
    std::vector<u8> bytes(static_cast<size_t>(size));
    if (!f.read(reinterpret_cast<char*>(bytes.data()), size)) fail(path + ": cannot read " + what);
    return bytes;
}

// The bundled guest kernel, built beside the binary (build/guest-kernel/kernel.elf).
std::string bundled_kernel() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    auto k = exe.parent_path() / "guest-kernel" / "kernel.elf";
    return std::filesystem::exists(k, ec) ? k.string() : std::string{};
}

// An output stream for --serial / --debugcon: "stdio", "null", "file:PATH".
std::function<void(u8)> open_sink(const std::string& spec, const char* option) {
    if (spec == "stdio" || spec == "mon:stdio")
        return [](u8 b) { std::fputc(b, stdout); };
    if (spec == "null" || spec == "none") return {};
    if (spec.rfind("file:", 0) == 0) {
        FILE* f = std::fopen(spec.c_str() + 5, "wb");
        if (!f) fail(std::string(option) + " " + spec + ": cannot open: " + std::strerror(errno));
        return [f](u8 b) { std::fputc(b, f); };  // flushed by exit()
    }
    fail(std::string(option) + " " + spec + ": expected stdio, null or file:PATH");
}

// Serial input. A file or pipe on stdin (or --input FILE) is read completely
// before the guest starts, so the bytes the guest receives, and when, depend
// only on the guest. A terminal is polled without blocking when the guest
// looks for input: typing is interactive and not reproducible anyway.
std::function<std::optional<u8>()> open_input(const std::string& spec) {
    if (spec == "none") return {};
    int fd = 0;
    if (spec != "stdin") {
        auto bytes = read_file(spec, ~0ull, "input file");
        auto buf = std::make_shared<std::deque<u8>>(bytes.begin(), bytes.end());
        return [buf]() -> std::optional<u8> {
            if (buf->empty()) return std::nullopt;
            u8 b = buf->front();
            buf->pop_front();
            return b;
        };
    }
    if (isatty(fd)) {
        return [fd]() -> std::optional<u8> {
            pollfd p{fd, POLLIN, 0};
            u8 b;
            if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && read(fd, &b, 1) == 1) return b;
            return std::nullopt;
        };
    }
    auto buf = std::make_shared<std::deque<u8>>();
    u8 chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buf->insert(buf->end(), chunk, chunk + n);
    }
    return [buf]() -> std::optional<u8> {
        if (buf->empty()) return std::nullopt;
        u8 b = buf->front();
        buf->pop_front();
        return b;
    };
}

// "-device isa-debug-exit,iobase=0xf4,iosize=0x04" names the device that is
// always there; anything else would be a device we do not have.
void check_device(const std::string& spec) {
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
struct DriveSpec {
    std::string file;
    int index = -1;
};

DriveSpec parse_drive(const std::string& spec) {
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
std::vector<std::string> split_initrd(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t k = 0; k <= s.size(); ++k)
        if (k == s.size() || s[k] == ',') {
            if (k > start) out.push_back(s.substr(start, k - start));
            start = k + 1;
        }
    return out;
}

int run(const RunOptions& o) {
    std::string kernel = o.kernel;
    if (kernel.empty()) {
        kernel = bundled_kernel();
        if (kernel.empty()) fail("no KERNEL given and the bundled guest kernel is not built yet (build/guest-kernel/kernel.elf)");
    }
    auto ram = parse_size(o.mem);
    if (!ram) fail("--mem " + o.mem + ": expected a size such as 256M or 1G");
    for (const auto& d : o.devices) check_device(d);
    std::vector<DriveSpec> drives;
    bool used[2] = {};
    for (const auto& spec : o.drives) {
        DriveSpec d = parse_drive(spec);
        if (d.index < 0) d.index = used[0] ? 1 : 0;
        if (used[d.index]) fail("--drive " + spec + ": ATA slot " + std::to_string(d.index) + " is already taken");
        used[d.index] = true;
        drives.push_back(d);
    }

    MachineConfig cfg;
    cfg.ram_bytes = *ram;
    cfg.cpus = o.smp;
    cfg.quantum = o.quantum;
    cfg.serial_out = open_sink(o.serial, "--serial");
    cfg.debugcon_out = open_sink(o.debugcon, "--debugcon");
    if (isatty(1)) std::setvbuf(stdout, nullptr, _IONBF, 0);  // echo typed characters at once

    std::optional<Machine> m;
    try {
        m.emplace(cfg);
    } catch (const std::exception& e) {
        fail(std::string("bad machine configuration: ") + e.what());
    }

    boot::BootParams params;
    params.cmdline = kernel + " " + o.append;
    std::vector<std::string> mods;
    for (const auto& i : o.initrd)
        for (auto& s : split_initrd(i)) mods.push_back(s);
    mods.insert(mods.end(), o.modules.begin(), o.modules.end());
    for (const auto& spec : mods) {
        std::string path = spec.substr(0, spec.find(' '));
        params.modules.push_back({spec, read_file(path, *ram, "module")});
    }
    std::vector<u8> image = read_file(kernel, *ram, "kernel image");
    try {
        auto layout = boot::load_multiboot(*m, image, params);
        if (o.verbose) {
            std::fprintf(stderr, "switchyard: %s: entry 0x%x, boot info 0x%x-0x%x, %zu module(s)\n", kernel.c_str(),
                         layout.entry, layout.info_addr, layout.info_end, layout.modules.size());
        }
    } catch (const boot::BootError& e) {
        fail(kernel + ": " + e.what());
    }
    for (const auto& d : drives) {
        std::error_code ec;
        if (std::filesystem::is_directory(d.file, ec)) fail(d.file + ": is a directory, not a disk image");
        errno = 0;
        try {
            m->ata().attach(unsigned(d.index), std::make_unique<dev::FileDisk>(d.file));
        } catch (const std::exception&) {
            fail(d.file + ": cannot open disk image for reading and writing" +
                 (errno ? std::string(": ") + std::strerror(errno) : std::string()));
        }
    }
    m->set_serial_input(open_input(o.input));

    RunResult r = m->run(o.max_cycles ? o.max_cycles : ~0ull);
    std::fflush(stdout);
    int status = 0;
    switch (r.end) {
        case RunEnd::GuestExit: status = r.exit_status; break;
        case RunEnd::TripleFault:
            std::fprintf(stderr, "switchyard: triple fault on cpu%u at cycle %llu\n%s\n", r.cpu,
                         (unsigned long long)m->now(), r.detail.c_str());
            status = kStatusTripleFault;
            break;
        case RunEnd::AllHalted:
            std::fprintf(stderr, "switchyard: every CPU is halted with interrupts off at cycle %llu\n%s",
                         (unsigned long long)m->now(), r.detail.c_str());
            status = kStatusAllHalted;
            break;
        case RunEnd::CycleLimit:
            std::fprintf(stderr, "switchyard: --max-cycles %llu reached\n%s", (unsigned long long)o.max_cycles,
                         r.detail.c_str());
            status = kStatusCycleLimit;
            break;
    }
    if (o.stats) {
        std::fprintf(stderr, "cycles=%llu insns=%llu\n", (unsigned long long)m->now(),
                     (unsigned long long)m->total_insns());
        for (unsigned n = 0; n < m->cpu_count(); ++n)
            std::fprintf(stderr, "cpu%u cycles=%llu insns=%llu%s\n", n, (unsigned long long)m->cpu(n).cycles,
                         (unsigned long long)m->cpu(n).insns, m->waiting_for_sipi(n) ? " (never started)" : "");
    }
    return status;
}

constexpr const char* kFooter = R"(
The machine (docs/machine.md): CPU n has APIC ID n and its own local APIC at
0xFEE00000 (x2APIC MSRs too); APs wait for INIT-SIPI-SIPI. I/O APIC at
0xFEC00000; ISA IRQs reach both the 8259As and the I/O APIC (IRQ 0 on pin 2);
the 8259As' INT is the BSP's LINT0 (virtual wire). COM1 0x3F8 IRQ 4, PIT IRQ 0,
RTC IRQ 8, ATA 0x1F0/0x3F6 IRQ 14 (--drive), fw_cfg, debugcon 0xE9, exit 0xF4.

Exit status:
  (v << 1) | 1   the guest wrote v to the isa-debug-exit port 0xf4 (always odd)
  2              bad option, or a missing or malformed kernel/module/disk image
  4              triple fault (the CPU state is printed on stderr)
  6              every CPU halted with interrupts off (or waiting for SIPI)
  8              --max-cycles reached

QEMU spellings accepted (one dash): -kernel K, -smp N, -m SIZE, -append STR,
  -initrd "F1 args,F2" (modules first), -drive file=IMG,index=0|1,format=raw,if=ide,
  -serial stdio|null|file:P, -debugcon stdio|null|file:P,
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 (always present);
  -nographic, -no-reboot, -no-shutdown, -enable-kvm, -display X, -monitor X and
  -accel X are accepted and ignored.

Serial input: a file or pipe on stdin is read whole before the guest starts, so
runs with the same input are reproducible; a terminal is polled when the guest
reads the line status register or has receive interrupts enabled.
)";

}  // namespace

// QEMU's one-dash options, rewritten to ours before CLI11 parses (CLI11 would
// read "-kernel" as the short flags -k -e -r ...).
std::vector<std::string> rewrite_qemu_run_args(std::vector<std::string> args) {
    static const std::pair<const char*, const char*> kRenamed[] = {
        {"-kernel", "--kernel"}, {"-smp", "--smp"},       {"-m", "--mem"},          {"-append", "--append"},
        {"-initrd", "--initrd"}, {"-drive", "--drive"},   {"-serial", "--serial"},  {"-debugcon", "--debugcon"},
        {"-device", "--device"},
    };
    std::vector<std::string> out;
    for (size_t k = 0; k < args.size(); ++k) {
        const std::string& a = args[k];
        if (a == "-nographic" || a == "-no-reboot" || a == "-no-shutdown" || a == "-enable-kvm") continue;
        if (a == "-display" || a == "-monitor" || a == "-accel") {
            ++k;
            continue;
        }
        bool renamed = false;
        for (auto [from, to] : kRenamed)
            if (a == from) {
                out.push_back(to);
                renamed = true;
            }
        if (renamed && a == "-smp" && k + 1 < args.size()) {
            // "-smp 4", "-smp cpus=4", "-smp 4,sockets=1": keep the CPU count.
            std::string v = args[++k];
            if (v.rfind("cpus=", 0) == 0) v = v.substr(5);
            out.push_back(v.substr(0, v.find(',')));
            continue;
        }
        if (!renamed) out.push_back(a);
    }
    return out;
}

void add_run(CLI::App& app) {
    auto o = std::make_shared<RunOptions>();
    auto* cmd = app.add_subcommand("run", "Boot a Multiboot kernel on the PC machine and run it");
    cmd->footer(kFooter);
    cmd->add_option("KERNEL,--kernel", o->kernel,
                    "Multiboot v1 kernel (ELF32, or any image with the a.out kludge); default: the bundled "
                    "guest kernel build/guest-kernel/kernel.elf");
    cmd->add_option("--mem", o->mem, "RAM size: 256M, 1G, 65536K; a bare number is MiB (2M..3G)")->capture_default_str();
    cmd->add_option("--smp", o->smp, "number of CPUs; CPU 0 boots, the others wait for INIT-SIPI-SIPI")
        ->check(CLI::Range(1u, Machine::kMaxCpus))
        ->capture_default_str();
    cmd->add_option("--quantum", o->quantum, "cycles each CPU runs before the next one takes its turn")
        ->check(CLI::Range(u64(1), u64(1) << 40))
        ->capture_default_str();
    cmd->add_option("--max-cycles", o->max_cycles, "stop (status 8) when the clock reaches N cycles; 0: no limit");
    cmd->add_option("--append", o->append, "kernel command line (Multiboot cmdline is \"KERNEL STR\", as in QEMU)");
    cmd->add_option("--module", o->modules,
                    "load FILE as a Multiboot module (repeatable, in order); \"FILE args\" sets its string")
        ->allow_extra_args(false);
    cmd->add_option("--initrd", o->initrd, "QEMU -initrd: comma-separated modules, placed before --module ones")->allow_extra_args(false);
    cmd->add_option("--drive", o->drives, "raw disk image on the primary ATA channel: file=IMG,index=0|1 (0 master, 1 slave; "
                    "QEMU's format=raw,if=ide accepted); the guest's writes go to the file")->allow_extra_args(false);
    cmd->add_option("--device", o->devices, "QEMU -device: only isa-debug-exit,iobase=0xf4,iosize=0x04")->allow_extra_args(false);
    cmd->add_option("--serial", o->serial, "where COM1 output goes: stdio, null or file:PATH")->capture_default_str();
    cmd->add_option("--debugcon", o->debugcon, "where port 0xE9 output goes: stdio, null or file:PATH")
        ->capture_default_str();
    cmd->add_option("--input", o->input, "COM1 input: stdin, none, or a file read whole at start")->capture_default_str();
    cmd->add_flag("--stats", o->stats, "print cycles=N insns=M and per-CPU figures on stderr at exit");
    cmd->add_flag("-v,--verbose", o->verbose, "report where the loader put things");
    cmd->callback([o] { exit_status = run(*o); });
}

}  // namespace sy::cli
