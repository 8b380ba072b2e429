// The host side of `switchyard run`: where COM1 and port 0xE9 output go, where
// COM1 input comes from, the terminal's raw mode and its Ctrl-A commands, and
// the signals that stop a run cleanly. docs/machine.md, "The console".
//
// Output is buffered and written at every HostIo::poll (100 us of guest time),
// before the run waits for input, and when it ends, however it ends: a guest
// exit, a cycle limit, a fault, Ctrl-A X, SIGINT, SIGTERM or SIGHUP (which stop
// the run at the end of the current round; a second one kills at once). So a
// killed run has written everything the guest printed up to where it stopped.
//
// Input ("--input", default stdin) is read as it arrives and never as a whole:
//   * a terminal is put in raw mode (no echo, no line editing, Ctrl-C goes to
//     the guest, as QEMU's -nographic does) and restored on every exit path,
//     fatal signals included; Ctrl-A X quits, Ctrl-A H lists the commands,
//     Ctrl-A Ctrl-A sends a Ctrl-A;
//   * a pipe, FIFO or character device is read without blocking at each poll,
//     and waited for (poll(2)) when the guest is idle with nothing else to
//     wake it;
//   * a regular file is there all along: it is read in chunks whenever COM1
//     has room and the machine has no byte queued, so what the guest receives,
//     and when, depends on the guest alone (the run is reproducible without a
//     log).
// At most Machine::kSerialQueue bytes wait inside the machine; the rest stays
// in the pipe, so an endless input (`yes |`) costs no memory.
#pragma once
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "machine.h"

namespace sy {

struct ConsoleError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Console final : public HostIo {
public:
    struct Options {
        std::string serial = "stdio";   // stdio, mon:stdio, null, none, file:PATH
        std::string debugcon = "none";  // the same; none: no isa-debugcon device at all
        std::string input = "stdin";    // stdin, none, or a PATH (file, FIFO, device)
    };
    // Opens the outputs and the input; throws ConsoleError naming the option.
    explicit Console(const Options& o);
    ~Console() override;
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    // Byte sinks for MachineConfig; empty for null/none.
    std::function<void(u8)> serial_sink() { return sink(serial_); }
    std::function<void(u8)> debugcon_sink() { return sink(debugcon_); }

    void poll(Machine& m) override;
    void refill(Machine& m) override;
    bool wait(Machine& m) override;
    bool stop_requested() override;

    void flush();
    // Puts the terminal back as it was (also done by the destructor, at exit
    // and on fatal signals).
    void restore_terminal();
    bool interactive() const { return kind_ == Kind::Terminal; }
    // Why stop_requested() said yes: a signal number, or Ctrl-A X.
    int stop_signal() const;
    bool quit_requested() const { return quit_; }

    // SIGINT, SIGTERM, SIGHUP stop the run; SIGSEGV, SIGBUS, SIGFPE, SIGILL,
    // SIGABRT and SIGPIPE restore the terminal first and then do what they do.
    static void install_signal_handlers();

private:
    enum class Kind { None, Terminal, Stream, File };
    struct Output {
        FILE* file = nullptr;
        bool owned = false;
    };
    Output open_output(const std::string& spec, const char* option);
    std::function<void(u8)> sink(Output& o);
    // Reads what is there (at most what the machine has room for) and injects
    // it; false at end of input.
    bool read_some(Machine& m);
    void filter_terminal(const u8* in, size_t n, std::vector<u8>& out);

    Output serial_, debugcon_;
    Kind kind_ = Kind::None;
    int fd_ = -1;
    bool owned_fd_ = false, eof_ = false, quit_ = false, ctrl_a_ = false;
};

}  // namespace sy
