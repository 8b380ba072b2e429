// `switchyard run [KERNEL] [options]`: boot a Multiboot kernel on the PC machine
// and run it until it exits through isa-debug-exit (see docs/machine.md).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "commands.h"
#include "console.h"
#include "hash.h"
#include "hosts.h"
#include "machine.h"
#include "multiboot.h"
#include "recording.h"

namespace sy::cli {

namespace {

// Exit statuses of `run` besides the guest's own (always odd: (v << 1) | 1).
constexpr int kStatusBadImage = 2, kStatusTripleFault = 4, kStatusAllHalted = 6, kStatusCycleLimit = 8;
// A replay that left the recorded run (docs/replay.md).
constexpr int kStatusDiverged = 12;
// A reset with --no-reboot, and Ctrl-A X: QEMU exits with 0 for both.
constexpr int kStatusReset = 0, kStatusQuit = 0;

struct RunOptions {
    std::string kernel;
    std::string mem = "256M";
    std::string smp = "2";
    std::string quantum = std::to_string(MachineConfig{}.quantum);
    std::string max_cycles = "0";  // 0: no limit
    std::string append;
    std::vector<std::string> modules;
    std::vector<std::string> initrd;
    std::vector<std::string> drives;
    std::vector<std::string> devices;
    std::string serial;  // empty: stdio (what -nographic gives QEMU)
    std::string debugcon = "none";
    std::string input = "stdin";
    std::string screen;
    std::string record, replay;  // --record FILE, --replay FILE (docs/replay.md)
    bool stats = false;
    bool verbose = false;
    bool nographic = false;
    bool no_reboot = false;
};

[[noreturn]] void fail(const std::string& msg, int status = kStatusBadImage) {
    std::fflush(stdout);
    std::fprintf(stderr, "switchyard: %s\n", msg.c_str());
    std::exit(status);
}

// A whole number in decimal (or 0x hex): no sign, no trailing text, no overflow.
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
unsigned parse_smp(const std::string& spec) {
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
std::optional<u64> parse_size(std::string s) {
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

// `what` is the noun with its article ("a kernel image", "an input file").
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

// The bundled guest kernel, built beside the binary (build/guest-kernel/kernel.elf).
std::string bundled_kernel() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    auto k = exe.parent_path() / "guest-kernel" / "kernel.elf";
    return std::filesystem::exists(k, ec) ? k.string() : std::string{};
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

const char* signal_name(int sig) {
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
    }
}

void write_screen(const std::string& path, const Machine& m) {
    std::ofstream f(path, std::ios::binary);
    f << m.screen().text();
    if (!f) std::fprintf(stderr, "switchyard: --screen %s: cannot write the screen\n", path.c_str());
}

int run(const RunOptions& o) {
    std::string kernel = o.kernel;
    if (kernel.empty()) {
        kernel = bundled_kernel();
        if (kernel.empty()) fail("no KERNEL given and the bundled guest kernel is not built yet (build/guest-kernel/kernel.elf)");
    }
    auto ram = parse_size(o.mem);
    if (!ram) fail("--mem " + o.mem + ": expected a size such as 256M or 1G");
    const unsigned cpus = parse_smp(o.smp);
    const u64 quantum = number_option(o.quantum, "--quantum", 1, u64(1) << 40);
    const u64 max_cycles = number_option(o.max_cycles, "--max-cycles", 0, ~0ull);
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

    // Everything the guest gets from the host is read before the machine
    // starts, except the console input.
    boot::BootParams params;
    params.cmdline = kernel + " " + o.append;
    std::vector<std::string> mods;
    for (const auto& i : o.initrd)
        for (auto& s : split_initrd(i)) mods.push_back(s);
    mods.insert(mods.end(), o.modules.begin(), o.modules.end());
    for (const auto& spec : mods) {
        std::string path = spec.substr(0, spec.find(' '));
        params.modules.push_back({spec, read_file(path, *ram, "a module")});
    }
    std::vector<u8> image = read_file(kernel, *ram, "a kernel image");

    // What the run depends on besides its input, for --record and --replay.
    if (!o.record.empty() && !o.replay.empty()) fail("--record and --replay: one or the other");
    u64 limit = max_cycles;
    std::optional<replay::Recording> recording;
    std::unique_ptr<replay::RecordingWriter> writer;
    if (!o.record.empty() || !o.replay.empty()) {
        replay::MachineIdentity id;
        id.kernel = {kernel, image.size(), replay::hash64(image.data(), image.size())};
        for (const auto& mod : params.modules) id.modules.push_back({mod.cmdline, mod.data.size(), replay::hash64(mod.data.data(), mod.data.size())});
        id.append = o.append;
        id.cmdline = params.cmdline;
        id.ram_bytes = *ram;
        id.cpus = cpus;
        id.quantum = quantum;
        id.debugcon = o.debugcon != "none";
        id.no_reboot = o.no_reboot;
        id.max_cycles = max_cycles;
        for (const auto& d : drives) {
            std::vector<u8> img = read_file(d.file, ~0ull, "a disk image");
            img.resize(img.size() / dev::kSectorSize * dev::kSectorSize);
            id.drives.push_back({unsigned(d.index), d.file, img.size() / dev::kSectorSize, replay::hash64(img.data(), img.size())});
        }
        try {
            if (!o.record.empty()) {
                writer = std::make_unique<replay::RecordingWriter>(o.record, id);
            } else {
                if (o.input != "stdin") fail("--input " + o.input + " with --replay: the input comes from the recording");
                recording = replay::Recording::load(o.replay);
                const replay::MachineIdentity& r = recording->machine;
                if (std::string why = id.mismatch(r); !why.empty()) fail(o.replay + ": " + why);
                if (max_cycles && max_cycles != r.max_cycles)
                    fail(o.replay + ": --max-cycles is " + std::to_string(max_cycles) + ", the recording has " +
                         std::to_string(r.max_cycles));
                limit = r.max_cycles;
                // The guest reads the command line and module strings it was recorded with.
                params.cmdline = r.cmdline;
                for (size_t k = 0; k < params.modules.size(); ++k) params.modules[k].cmdline = r.modules[k].name;
            }
        } catch (const replay::RecordingError& e) {
            fail(e.what());
        }
    }

    std::optional<Console> console;
    try {
        Console::Options co;
        co.serial = o.serial.empty() ? "stdio" : o.serial;
        co.debugcon = o.debugcon;
        co.input = recording ? "none" : o.input;
        console.emplace(co);
    } catch (const ConsoleError& e) {
        fail(e.what());
    }

    MachineConfig cfg;
    cfg.ram_bytes = *ram;
    cfg.cpus = cpus;
    cfg.quantum = quantum;
    cfg.serial_out = console->serial_sink();
    cfg.debugcon_out = console->debugcon_sink();
    std::optional<Machine> m;
    try {
        m.emplace(cfg);
    } catch (const std::exception& e) {
        fail(std::string("bad machine configuration: ") + e.what());
    }
    for (const auto& d : drives) {
        std::error_code ec;
        if (std::filesystem::is_directory(d.file, ec)) fail(d.file + ": is a directory, not a disk image");
        errno = 0;
        try {
            std::unique_ptr<dev::BlockBackend> disk;
            if (recording) {
                // A replay runs on the image the recorded run started with, in memory.
                const replay::DriveId& id = recording->machine.drives[&d - drives.data()];
                disk = std::make_unique<dev::MemoryDisk>(replay::recorded_image(d.file, id, *recording));
            } else {
                disk = std::make_unique<dev::FileDisk>(d.file);
                if (writer) disk = replay::record_disk(std::move(disk), unsigned(d.index), *writer);
            }
            m->attach_disk(unsigned(d.index), std::move(disk));
        } catch (const replay::RecordingError& e) {
            fail(e.what());
        } catch (const std::exception&) {
            fail(d.file + ": cannot open disk image for reading and writing" +
                 (errno ? std::string(": ") + std::strerror(errno) : std::string()));
        }
    }
    auto boot = [&] {
        try {
            auto layout = boot::load_multiboot(*m, image, params);
            if (o.verbose) {
                std::fprintf(stderr, "switchyard: %s: entry 0x%x, boot info 0x%x-0x%x, %zu module(s)\n", kernel.c_str(),
                             layout.entry, layout.info_addr, layout.info_end, layout.modules.size());
            }
        } catch (const boot::ModuleError& e) {
            fail(e.module() + ": " + e.what());
        } catch (const boot::BootError& e) {
            fail(kernel + ": " + e.what());
        }
    };
    boot();

    Console::install_signal_handlers();
    if (console->interactive()) std::fprintf(stderr, "switchyard: serial console on this terminal; C-a x quits, C-a h helps\n");
    // The host: the console, or between it and the machine the recorder, or
    // instead of its input the replayer.
    std::optional<replay::Recorder> recorder;
    std::optional<replay::Replayer> replayer;
    if (writer) {
        recorder.emplace(*console, *m, *writer, [&] { return console->stop_signal(); });
        m->set_host(&*recorder);
    } else if (recording) {
        replayer.emplace(*recording, *console, [&] { return console->stop_requested(); });
        m->set_host(&*replayer);
    } else {
        m->set_host(&*console);
    }
    RunResult r;
    for (;;) {
        r = m->run(limit ? limit : ~0ull);
        if (r.end != RunEnd::Reset || o.no_reboot) break;
        // A reset reboots, as QEMU does without -no-reboot: power-on state, the
        // kernel and modules loaded again.
        m->reset();
        boot();
    }
    console->flush();
    int status = 0, signal = 0;
    const auto cycle = (unsigned long long)m->now();
    switch (r.end) {
    case RunEnd::GuestExit: status = r.exit_status; break;
    case RunEnd::TripleFault:
        std::fprintf(stderr, "switchyard: triple fault on cpu%u at cycle %llu\n%s\n", r.cpu, cycle, r.detail.c_str());
        status = kStatusTripleFault;
        break;
    case RunEnd::AllHalted:
        if (r.nothing_to_wait_for)
            std::fprintf(stderr, "switchyard: every CPU is halted at cycle %llu and nothing can wake them (no timer "
                                 "interrupt unmasked, no more input)\n%s", cycle, r.detail.c_str());
        else std::fprintf(stderr, "switchyard: every CPU is halted with interrupts off at cycle %llu\n%s", cycle, r.detail.c_str());
        status = kStatusAllHalted;
        break;
    case RunEnd::CycleLimit:
        std::fprintf(stderr, "switchyard: --max-cycles %llu reached\n%s", (unsigned long long)limit, r.detail.c_str());
        status = kStatusCycleLimit;
        break;
    case RunEnd::Reset:
        std::fprintf(stderr, "switchyard: the guest reset the machine at cycle %llu (--no-reboot)\n", cycle);
        status = kStatusReset;
        break;
    case RunEnd::Stopped:
        signal = replayer && replayer->recorded_stop() ? *replayer->recorded_stop() : console->stop_signal();
        if (signal) std::fprintf(stderr, "switchyard: terminated by %s at cycle %llu\n", signal_name(signal), cycle);
        else std::fprintf(stderr, "switchyard: terminated by C-a x at cycle %llu\n", cycle);
        status = kStatusQuit;
        break;
    }
    if (o.stats) {
        std::fprintf(stderr, "cycles=%llu insns=%llu\n", cycle, (unsigned long long)m->total_insns());
        for (unsigned n = 0; n < m->cpu_count(); ++n)
            std::fprintf(stderr, "cpu%u cycles=%llu insns=%llu%s\n", n, (unsigned long long)m->cpu(n).cycles,
                         (unsigned long long)m->cpu(n).insns, m->waiting_for_sipi(n) ? " (never started)" : "");
    }
    if (!o.screen.empty()) write_screen(o.screen, *m);
    const int run_status = signal ? 128 + signal : status;
    if (writer) {
        try {
            writer->end({m->now(), m->total_insns(), u8(r.end), run_status});
        } catch (const replay::RecordingError& e) {
            std::fprintf(stderr, "switchyard: %s\n", e.what());
        }
    }
    if (replayer) {
        // The replay must have been the recorded run: the same input in the
        // same places, the same end.
        std::string why = replayer->divergence();
        const auto& end = recording->end;
        if (why.empty() && replayer->events_left())
            why = std::to_string(replayer->events_left()) + " recorded input event(s) were never reached";
        if (why.empty() && !end)
            std::fprintf(stderr, "switchyard: %s has no end record (the recorded run was killed): replayed its input\n",
                         o.replay.c_str());
        if (why.empty() && end && (end->cycle != m->now() || end->insns != m->total_insns() || end->status != run_status))
            why = "the recorded run ended at cycle " + std::to_string(end->cycle) + " after " + std::to_string(end->insns) +
                  " instructions with status " + std::to_string(end->status) + ", the replay at cycle " +
                  std::to_string(m->now()) + " after " + std::to_string(m->total_insns()) + " with status " +
                  std::to_string(run_status);
        if (!why.empty()) {
            console.reset();
            std::fprintf(stderr, "switchyard: replay of %s diverged: %s\n", o.replay.c_str(), why.c_str());
            return kStatusDiverged;
        }
    }
    console.reset();  // flush, close, restore the terminal
    if (signal) {     // end as the signal would have ended us
        std::fflush(nullptr);
        std::signal(signal, SIG_DFL);
        std::raise(signal);
    }
    return status;
}

constexpr const char* kFooter = R"(
The machine (docs/machine.md): CPU n has APIC ID n and its own local APIC at
0xFEE00000 (x2APIC MSRs too); APs wait for INIT-SIPI-SIPI. I/O APIC at
0xFEC00000 (ID 0); ISA IRQs reach both the 8259As and the I/O APIC (IRQ 0 on
pin 2); the 8259As' INT is the BSP's LINT0 (virtual wire). COM1 0x3F8 IRQ 4,
PIT IRQ 0, RTC IRQ 8, keyboard controller 0x60/0x64 IRQ 1 and 12, VGA text
0xB8000 and 0x3C0-0x3DA, HPET 0xFED00000, ATA 0x1F0/0x3F6 IRQ 14 (--drive),
fw_cfg, isa-debug-exit 0xF4, isa-debugcon 0xE9 (with --debugcon only). The
firmware leaves what SeaBIOS leaves: 8259s at vectors 08h/70h, PIT at 18.2 Hz,
a real-mode IVT whose INT 08h counts ticks, the BIOS data area.

Console: COM1 is on this terminal (or the --serial sink) and --input feeds it
as the input arrives; on a terminal C-a x quits and C-a h lists the keys.
Output is written as the guest runs and flushed however the run ends (SIGINT,
SIGTERM and SIGHUP stop it cleanly).

Exit status:
  (v << 1) | 1   the guest wrote v to the isa-debug-exit port 0xf4 (always odd)
  0              C-a x, or the guest reset the machine with --no-reboot (as QEMU)
  2              bad option, or a missing or malformed kernel/module/disk image
  4              triple fault (the CPU state is printed on stderr)
  6              every CPU halted for good (interrupts off, or nothing can wake it)
  8              --max-cycles reached
  12             a --replay left the recorded run (the reason is printed)
  128+n          killed by signal n (SIGINT, SIGTERM, SIGHUP), output flushed

QEMU spellings accepted (one dash): -kernel K, -smp N[,sockets=S,cores=C,threads=T],
  -m SIZE, -append STR, -initrd "F1 args,F2" (modules first),
  -drive file=IMG,index=0|1,format=raw,if=ide, -serial stdio|null|file:P,
  -debugcon stdio|null|file:P, -nographic, -no-reboot,
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 (always present);
  -no-shutdown, -enable-kvm, -display X, -monitor X and -accel X are ignored.
)";

}  // namespace

// QEMU's one-dash options, rewritten to ours before CLI11 parses (CLI11 would
// read "-kernel" as the short flags -k -e -r ...).
std::vector<std::string> rewrite_qemu_run_args(std::vector<std::string> args) {
    static const std::pair<const char*, const char*> kRenamed[] = {
        {"-kernel", "--kernel"}, {"-smp", "--smp"},         {"-m", "--mem"},          {"-append", "--append"},
        {"-initrd", "--initrd"}, {"-drive", "--drive"},     {"-serial", "--serial"},  {"-debugcon", "--debugcon"},
        {"-device", "--device"}, {"-nographic", "--nographic"}, {"-no-reboot", "--no-reboot"},
    };
    std::vector<std::string> out;
    for (size_t k = 0; k < args.size(); ++k) {
        const std::string& a = args[k];
        if (a == "-no-shutdown" || a == "-enable-kvm") continue;
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
                    "guest kernel build/guest-kernel/kernel.elf")
        ->type_name("FILE");
    cmd->add_option("--mem", o->mem, "RAM size: 256M, 1G, 65536K; a bare number is MiB (2M..3G)")
        ->type_name("SIZE")
        ->capture_default_str();
    cmd->add_option("--smp", o->smp,
                    "number of CPUs (1-64), or QEMU's N,sockets=S,cores=C,threads=T; CPU 0 boots, the others wait "
                    "for INIT-SIPI-SIPI")
        ->type_name("N")
        ->capture_default_str();
    cmd->add_option("--quantum", o->quantum, "cycles each CPU runs before the next one takes its turn")
        ->type_name("CYCLES")
        ->capture_default_str();
    cmd->add_option("--max-cycles", o->max_cycles, "stop (status 8) when the clock reaches CYCLES; 0: no limit")
        ->type_name("CYCLES");
    cmd->add_option("--append", o->append, "kernel command line (Multiboot cmdline is \"KERNEL STR\", as in QEMU)")
        ->type_name("STR");
    cmd->add_option("--module", o->modules,
                    "load FILE as a Multiboot module (repeatable, in order); \"FILE args\" sets its string")
        ->type_name("\"FILE [ARGS]\"")
        ->allow_extra_args(false);
    cmd->add_option("--initrd", o->initrd, "QEMU -initrd: comma-separated modules, placed before --module ones")
        ->type_name("\"F1 [ARGS],F2\"")
        ->allow_extra_args(false);
    cmd->add_option("--drive", o->drives, "raw disk image on the primary ATA channel: file=IMG,index=0|1 (0 master, 1 slave; "
                    "QEMU's format=raw,if=ide accepted); the guest's writes go to the file")
        ->type_name("file=IMG,index=N")
        ->allow_extra_args(false);
    cmd->add_option("--device", o->devices, "QEMU -device: only isa-debug-exit,iobase=0xf4,iosize=0x04")
        ->type_name("DEVICE")
        ->allow_extra_args(false);
    cmd->add_option("--serial", o->serial, "where COM1 output goes: stdio (default), null or file:PATH")->type_name("SINK");
    cmd->add_option("--debugcon", o->debugcon,
                    "the isa-debugcon port 0xE9 and where its output goes: stdio, file:PATH, or none (default: no device, "
                    "as QEMU without -debugcon)")
        ->type_name("SINK")
        ->capture_default_str();
    cmd->add_option("--input", o->input,
                    "COM1 input, read as it arrives: stdin (a terminal, pipe or file), none, or a FILE or FIFO")
        ->type_name("SOURCE")
        ->capture_default_str();
    cmd->add_option("--screen", o->screen, "at exit, write the VGA text screen to FILE (UTF-8, one line per row)")
        ->type_name("FILE");
    cmd->add_flag("--nographic", o->nographic, "QEMU -nographic: no display, COM1 on the terminal (the default here)");
    cmd->add_flag("--no-reboot", o->no_reboot, "a guest reset ends the run (status 0, as QEMU) instead of rebooting");
    cmd->add_option("--record", o->record,
                    "record what the run takes from outside the guest (input, disk contents) in FILE, "
                    "for --replay (docs/replay.md)")
        ->type_name("FILE");
    cmd->add_option("--replay", o->replay,
                    "run a recording again exactly: the same output, cycles and exit status; give the options it "
                    "was recorded with (the input comes from FILE)")
        ->type_name("FILE");
    cmd->add_flag("--stats", o->stats, "print cycles=N insns=M and per-CPU figures on stderr at exit");
    cmd->add_flag("-v,--verbose", o->verbose, "report where the loader put things");
    cmd->callback([o] { exit_status = run(*o); });
}

}  // namespace sy::cli
