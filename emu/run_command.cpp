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
#include "check_run.h"
#include "chrome_json.h"
#include "hash.h"
#include "hosts.h"
#include "launch.h"
#include "machine.h"
#include "multiboot.h"
#include "recording.h"
#include "stub.h"
#include "tcp.h"

namespace sy::cli {

namespace {

// Exit statuses of `run` besides the guest's own (always odd: (v << 1) | 1)
// and kStatusBadImage (launch.h).
constexpr int kStatusTripleFault = 4, kStatusAllHalted = 6, kStatusCycleLimit = 8, kStatusCheck = 10;
// A replay that left the recorded run (docs/replay.md).
constexpr int kStatusDiverged = 12;
// A reset with --no-reboot, and Ctrl-A X: QEMU exits with 0 for both.
constexpr int kStatusReset = 0, kStatusQuit = 0;

struct RunOptions {
    MachineOptions machine;
    std::string max_cycles = "0";  // 0: no limit
    std::string serial;  // empty: stdio (what -nographic gives QEMU)
    std::string debugcon = "none";
    std::string input = "stdin";
    std::string screen;
    std::string record, replay;  // --record FILE, --replay FILE (docs/replay.md)
    bool stats = false;
    bool check = false;
    std::string trace;  // --trace FILE.json
    bool nographic = false;
    bool no_reboot = false;
    // The gdb stub: -gdb tcp::PORT (or tcp:HOST:PORT), -s for tcp::1234, -S
    // to wait for gdb before the first instruction.
    std::string gdb;
    bool gdb_default = false;
    bool paused = false;
};

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

void write_trace(const std::string& path, std::ofstream& f, debug::CheckedRun& run, Machine& m,
                 const std::string& kernel) {
    const trace::Recorder& r = *run.debugger().trace();
    trace::ChromeTraceInfo info;
    // The same per-switch breakdown as --stats prints (--timing detailed).
    size_t n = 0;
    for (const debug::SwitchRecord& s : run.switches().log())
        if (s.cost) info.switch_costs[{s.cpu, s.cycle}] = debug::format_switch_cost(++n, s, run.kernel().symbols());
    info.machine = "switchyard: " + std::filesystem::path(kernel).filename().string() + ", " +
                   std::to_string(m.cpu_count()) + (m.cpu_count() == 1 ? " CPU" : " CPUs");
    info.cycles_per_us = Machine::kCpuHz / 1'000'000;
    info.end_cycle = m.now();
    for (unsigned n = 0; n < m.cpu_count(); ++n) info.cpu_now.push_back(m.cpu(n).cycles);
    const size_t events = trace::write_chrome_json(f, r, info);
    f.close();
    if (!f) std::fprintf(stderr, "switchyard: --trace %s: cannot write it\n", path.c_str());
    else
        std::fprintf(stderr, "switchyard: trace: %zu events, %llu switches in %s (open it in ui.perfetto.dev)\n", events,
                     (unsigned long long)r.switches(), path.c_str());
}

// --stats with --timing detailed: where each CPU's cycles went, and its misses.
void print_timing_stats(timing::System& t) {
    std::fprintf(stderr, "timing: %.*s\n", int(timing::kCoreName.size()), timing::kCoreName.data());
    for (unsigned n = 0; n < t.size(); ++n) {
        const timing::Counters& c = t.cpu(n).counters();
        const u64 busy = c.cycles - c.part[size_t(timing::Part::Halted)];
        std::fprintf(stderr, "cpu%u ipc=%.2f", n, busy ? double(c.insns) / double(busy) : 0.0);
        for (size_t k = 0; k < timing::kParts; ++k) {
            const std::string_view name = timing::part_name(timing::Part(k));
            std::fprintf(stderr, " %.*s=%llu", int(name.size()), name.data(), (unsigned long long)c.part[k]);
        }
        std::fprintf(stderr,
                     "\ncpu%u misses: l1i=%llu l1d=%llu l2=%llu llc=%llu snoop=%llu itlb=%llu dtlb=%llu walks=%llu "
                     "branches=%llu mispredicts=%llu resteers=%llu returns=%llu return-mispredicts=%llu events=%llu\n",
                     n, (unsigned long long)c.l1i_misses, (unsigned long long)c.l1d_misses,
                     (unsigned long long)c.l2_misses, (unsigned long long)c.llc_misses, (unsigned long long)c.snoops,
                     (unsigned long long)c.itlb_misses, (unsigned long long)c.dtlb_misses,
                     (unsigned long long)c.walks, (unsigned long long)c.branches, (unsigned long long)c.mispredicts,
                     (unsigned long long)c.resteers, (unsigned long long)c.returns,
                     (unsigned long long)c.return_mispredicts, (unsigned long long)c.events);
    }
}

// --stats with --timing detailed: every switch's cost, then the histogram.
void print_switch_costs(const debug::CheckedRun& run) {
    const auto& log = run.switches().log();
    size_t n = 0;
    for (const debug::SwitchRecord& r : log)
        if (r.cost) std::fprintf(stderr, "%s\n", debug::format_switch_cost(++n, r, run.kernel().symbols()).c_str());
    const std::string summary = debug::switch_cost_summary(log, run.kernel());
    std::fputs(summary.empty() ? "switches: none\n" : summary.c_str(), stderr);
}

int run(const RunOptions& o) {
    Prepared prepared = prepare(o.machine);
    const u64 max_cycles = number_option(o.max_cycles, "--max-cycles", 0, ~0ull);

    // What the run depends on besides its input, for --record and --replay.
    if (!o.record.empty() && !o.replay.empty()) fail("--record and --replay: one or the other");
    u64 limit = max_cycles;
    std::optional<replay::Recording> recording;
    std::unique_ptr<replay::RecordingWriter> writer;
    if (!o.record.empty() || !o.replay.empty()) {
        const boot::BootParams& params = *prepared.params;
        replay::MachineIdentity id;
        id.kernel = {prepared.kernel, prepared.image->size(), replay::hash64(prepared.image->data(), prepared.image->size())};
        for (const auto& mod : params.modules)
            id.modules.push_back({mod.cmdline, mod.data.size(), replay::hash64(mod.data.data(), mod.data.size())});
        id.append = o.machine.append;
        id.cmdline = params.cmdline;
        id.ram_bytes = prepared.config.ram_bytes;
        id.cpus = prepared.config.cpus;
        id.quantum = prepared.config.quantum;
        id.timing = o.machine.timing;
        id.debugcon = o.debugcon != "none";
        id.no_reboot = o.no_reboot;
        id.max_cycles = max_cycles;
        for (const auto& [slot, file] : prepared.disks) {
            std::vector<u8> img = read_file(file, ~0ull, "a disk image");
            img.resize(img.size() / dev::kSectorSize * dev::kSectorSize);
            id.drives.push_back({slot, file, img.size() / dev::kSectorSize, replay::hash64(img.data(), img.size())});
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
                prepared.params->cmdline = r.cmdline;
                for (size_t k = 0; k < prepared.params->modules.size(); ++k)
                    prepared.params->modules[k].cmdline = r.modules[k].name;
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
    // A replay runs on the images the recorded run started with, in memory; a
    // recording keeps each sector from before its first write.
    DiskOpener open_disk;
    if (recording) {
        open_disk = [&](unsigned slot, const std::string& file) -> std::unique_ptr<dev::BlockBackend> {
            // mismatch() checked that the drives are in the recorded slots.
            const replay::DriveId* drive = nullptr;
            for (const replay::DriveId& d : recording->machine.drives)
                if (d.slot == slot) drive = &d;
            try {
                return std::make_unique<dev::MemoryDisk>(replay::recorded_image(file, *drive, *recording));
            } catch (const replay::RecordingError& e) {
                fail(e.what());
            }
        };
    } else if (writer) {
        open_disk = [&](unsigned slot, const std::string& file) {
            return replay::record_disk(std::make_unique<dev::FileDisk>(file), slot, *writer);
        };
    }
    Launch l = start(prepared, console->serial_sink(), console->debugcon_sink(), open_disk);
    Machine* m = l.machine.get();
    auto& boot = l.boot;
    // --check and --trace run under the debugger; a plain run never sees it.
    std::unique_ptr<debug::CheckedRun> checked;
    std::ofstream trace_file;
    if (o.check || !o.trace.empty()) {
        try {
            checked = std::make_unique<debug::CheckedRun>(*m, l.kernel, o.check);
        } catch (const std::exception& e) {
            fail(std::string(o.check ? "--check" : "--trace") + ": " + l.kernel + ": " + e.what());
        }
    }
    // --stats --timing detailed: each context switch's cost, when the kernel
    // describes itself (its debugger descriptor); any other kernel runs as it is.
    // Not with the gdb stub, whose debugger is the machine's only one.
    std::string no_switches = "not with the gdb stub";
    if (o.stats && m->timing() && !checked && o.gdb.empty() && !o.gdb_default) {
        try {
            checked = std::make_unique<debug::CheckedRun>(*m, l.kernel, false);
        } catch (const std::exception& e) {
            no_switches = e.what();
        }
    }
    if (!o.trace.empty()) {
        trace_file.open(o.trace, std::ios::binary | std::ios::trunc);
        if (!trace_file) fail("--trace " + o.trace + ": cannot write it (" + std::strerror(errno) + ")");
        checked->debugger().record_trace();
    }

    std::optional<gdb::Endpoint> gdb_at;
    if (o.gdb_default) gdb_at = gdb::Endpoint{"", 1234};
    if (!o.gdb.empty()) {
        gdb_at = gdb::parse_endpoint(o.gdb);
        if (!gdb_at) fail("-gdb " + o.gdb + ": expected tcp::PORT or tcp:HOST:PORT (PORT 0 picks a free one)");
    }
    if (o.paused && !gdb_at) fail("-S (start paused) needs the gdb stub: add -s or -gdb tcp::PORT");
    if (gdb_at && o.check) fail("--check and the gdb stub cannot be used together yet");
    if (gdb_at && (writer || recording)) fail("--record/--replay and the gdb stub cannot be used together yet");

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
    if (gdb_at) {
        // Guest awareness when the kernel has a debugger descriptor; without
        // one gdb's threads are the processors. With --trace the stub drives
        // the debugger that records the timeline (one debugger per machine):
        // the trace holds what gdb made the machine execute, and going back
        // cuts it back (docs/trace.md).
        std::unique_ptr<guest::CpuMemory> mem;
        std::unique_ptr<guest::Kernel> kernel;
        std::unique_ptr<debug::Debugger> own;
        if (!checked) {
            mem = std::make_unique<guest::CpuMemory>(m->cpu(0));
            try {
                kernel = std::make_unique<guest::Kernel>(guest::Kernel::load(Symbols::load(l.kernel), *mem));
            } catch (const std::exception& e) {
                std::fprintf(stderr, "switchyard: gdb stub: %s; gdb's threads are the CPUs\n", e.what());
            }
            own = std::make_unique<debug::Debugger>(*m, kernel.get());
        }
        debug::Debugger& dbg = checked ? checked->debugger() : *own;
        // gdb's reverse-stepi and reverse-continue (bs, bc): snapshots as the
        // GUI takes them (docs/replay.md); off under --timing detailed.
        dbg.enable_reverse(debug::Debugger::kDefaultSnapshotInterval, size_t(1) << 30);
        std::optional<gdb::TcpServer> server;
        try {
            server.emplace(*gdb_at);
        } catch (const std::exception& e) {
            fail(std::string("-gdb: ") + e.what());
        }
        gdb::Stub stub(dbg, [&](const std::string& b) { server->send(b); });
        if (!o.no_reboot) stub.reboot = boot;
        stub.max_cycles = max_cycles;
        std::fprintf(stderr, "switchyard: gdb stub listening on tcp:%s:%u%s\n", gdb_at->host.c_str(), server->port(),
                     o.paused ? " (the machine waits for gdb)" : "");
        server->serve(stub, o.paused, [&] { return console->stop_requested(); });
        if (stub.end() == gdb::Stub::End::Killed) {
            console->flush();
            std::fprintf(stderr, "switchyard: killed by gdb at cycle %llu\n", (unsigned long long)m->now());
            if (!o.trace.empty()) write_trace(o.trace, trace_file, *checked, *m, l.kernel);
            console.reset();
            return kStatusQuit;
        }
        r = stub.result();
    }
    for (; !gdb_at;) {
        r = checked ? checked->run(limit ? limit : ~0ull) : m->run(limit ? limit : ~0ull);
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
    case RunEnd::Debug:
        std::fprintf(stderr, "switchyard: check failed on %s\n", checked->violation()->c_str());
        status = kStatusCheck;
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
        if (timing::System* t = m->timing()) {
            print_timing_stats(*t);
            if (checked) print_switch_costs(*checked);
            else std::fprintf(stderr, "switches: not followed (%s)\n", no_switches.c_str());
        }
    }
    if (!o.screen.empty()) write_screen(o.screen, *m);
    if (!o.trace.empty()) write_trace(o.trace, trace_file, *checked, *m, l.kernel);
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
  10             --check: an invariant of the context switch or a kernel entry broke
  12             a --replay left the recorded run (the reason is printed)
  128+n          killed by signal n (SIGINT, SIGTERM, SIGHUP), output flushed

QEMU spellings accepted (one dash): -kernel K, -smp N[,sockets=S,cores=C,threads=T],
  -m SIZE, -append STR, -initrd "F1 args,F2" (modules first),
  -drive file=IMG,index=0|1,format=raw,if=ide, -serial stdio|null|file:P,
  -debugcon stdio|null|file:P, -nographic, -no-reboot, -gdb tcp::PORT, -s, -S,
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
        {"-gdb", "--gdb"},
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
    add_machine_options(cmd, o->machine);
    cmd->add_option("--max-cycles", o->max_cycles, "stop (status 8) when the clock reaches CYCLES; 0: no limit")
        ->type_name("CYCLES");
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
    cmd->add_option("--gdb", o->gdb,
                    "the gdb remote stub on tcp::PORT or tcp:HOST:PORT (QEMU's -gdb; port 0 picks a free one and "
                    "prints it); docs/gdb.md")
        ->type_name("DEV");
    cmd->add_flag("-s", o->gdb_default, "QEMU -s: shorthand for -gdb tcp::1234");
    cmd->add_flag("-S", o->paused, "QEMU -S: do not start the CPUs until gdb connects and continues");
    cmd->add_flag("--stats", o->stats,
                  "print cycles=N insns=M and per-CPU figures on stderr at exit; with --timing detailed also "
                  "where the cycles went and every context switch's cost");
    cmd->add_flag("--check", o->check,
                  "check the context switch and kernel entry invariants of a kernel with a debugger descriptor "
                  "(docs/gui.md); stop at the first that breaks, naming it (status 10)");
    cmd->add_option("--trace", o->trace,
                    "write the run's timeline to FILE as Chrome trace-event JSON (ui.perfetto.dev, chrome://tracing): "
                    "per CPU, which task ran when, every context switch, interrupts, exceptions and system calls "
                    "(docs/trace.md); needs a kernel with a debugger descriptor")
        ->type_name("FILE");
    cmd->callback([o] { exit_status = run(*o); });
}

}  // namespace sy::cli
