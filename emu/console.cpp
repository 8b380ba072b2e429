// The console of `switchyard run`; see console.h for the rules.
#include "console.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace sy {

namespace {

// The terminal as it was, for every path out of the process (signal handlers
// use it, so it is a plain global and tcsetattr is async-signal-safe).
struct termios g_saved_tty;
volatile sig_atomic_t g_tty_raw = 0;
volatile sig_atomic_t g_stop_signal = 0;

void restore_tty() {
    if (g_tty_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_tty);
        g_tty_raw = 0;
    }
}

void on_stop_signal(int sig) {
    g_stop_signal = sig;
    std::signal(sig, SIG_DFL);  // a second one ends the process at once
}

void on_fatal_signal(int sig) {
    restore_tty();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

constexpr u8 kCtrlA = 0x01;
constexpr size_t kChunk = 4096;
constexpr size_t kOutputBuffer = 1 << 16;

}  // namespace

void Console::install_signal_handlers() {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, on_stop_signal);
    // SIGPIPE too: output to a reader that went away (`| head`) ends the run as
    // it would end any program in a pipeline, but not with the terminal raw.
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE}) std::signal(sig, on_fatal_signal);
}

Console::Output Console::open_output(const std::string& spec, const char* option) {
    if (spec == "stdio" || spec == "mon:stdio") {
        static std::vector<char> buffer(kOutputBuffer);
        static bool buffered = false;
        if (!buffered) std::setvbuf(stdout, buffer.data(), _IOFBF, buffer.size());  // flushed at each poll
        buffered = true;
        return {stdout, false};
    }
    if (spec == "null" || spec == "none") return {};
    if (spec.rfind("file:", 0) == 0) {
        FILE* f = std::fopen(spec.c_str() + 5, "wb");
        if (!f) throw ConsoleError(std::string(option) + " " + spec + ": cannot open: " + std::strerror(errno));
        return {f, true};
    }
    throw ConsoleError(std::string(option) + " " + spec + ": expected stdio, null, none or file:PATH");
}

Console::Console(const Options& o) {
    serial_ = open_output(o.serial, "--serial");
    // Both on stdout: one stream, so their bytes keep their order.
    if (o.debugcon == o.serial && serial_.owned) throw ConsoleError("--debugcon " + o.debugcon + ": already the serial output");
    debugcon_ = open_output(o.debugcon, "--debugcon");

    if (o.input == "none") return;
    if (o.input == "stdin") {
        fd_ = STDIN_FILENO;
    } else {
        struct stat st;
        if (stat(o.input.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            throw ConsoleError(o.input + ": is a directory, not an input file");
        fd_ = open(o.input.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw ConsoleError(o.input + ": cannot open input file: " + std::strerror(errno));
        owned_fd_ = true;
    }
    struct stat st;
    if (fstat(fd_, &st) != 0) {
        kind_ = Kind::None;  // a closed stdin: no input
        return;
    }
    if (isatty(fd_) && fd_ == STDIN_FILENO) {
        kind_ = Kind::Terminal;
        if (tcgetattr(fd_, &g_saved_tty) == 0) {
            struct termios raw = g_saved_tty;
            raw.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
            raw.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
            raw.c_cflag |= CS8;
            raw.c_cc[VMIN] = 1, raw.c_cc[VTIME] = 0;  // output processing (OPOST) stays, as in QEMU
            if (tcsetattr(fd_, TCSANOW, &raw) == 0) g_tty_raw = 1;
            static bool at_exit = false;
            if (!at_exit) std::atexit(restore_tty);
            at_exit = true;
        }
    } else {
        kind_ = S_ISREG(st.st_mode) ? Kind::File : Kind::Stream;
    }
}

Console::~Console() {
    flush();
    restore_terminal();
    if (serial_.owned) std::fclose(serial_.file);
    if (debugcon_.owned) std::fclose(debugcon_.file);
    if (owned_fd_) close(fd_);
}

void Console::restore_terminal() { restore_tty(); }

std::function<void(u8)> Console::sink(Output& o) {
    if (!o.file) return {};
    FILE* f = o.file;
    return [f](u8 b) { std::fputc(b, f); };
}

void Console::flush() {
    if (serial_.file) std::fflush(serial_.file);
    if (debugcon_.file) std::fflush(debugcon_.file);
}

int Console::stop_signal() const { return g_stop_signal; }

bool Console::stop_requested() { return quit_ || g_stop_signal; }

// Ctrl-A commands (QEMU's character multiplexer keys).
void Console::filter_terminal(const u8* in, size_t n, std::vector<u8>& out) {
    for (size_t k = 0; k < n; ++k) {
        u8 c = in[k];
        if (!ctrl_a_) {
            if (c == kCtrlA) ctrl_a_ = true;
            else out.push_back(c);
            continue;
        }
        ctrl_a_ = false;
        switch (c) {
        case 'x': case 'X': quit_ = true; break;
        case kCtrlA: out.push_back(kCtrlA); break;
        case 'h': case 'H': case '?':
            flush();
            std::fprintf(stderr, "\nC-a h    print this help\nC-a x    exit switchyard\nC-a C-a  send C-a to the guest\n");
            break;
        default: break;  // unknown commands are ignored
        }
    }
}

bool Console::read_some(Machine& m) {
    size_t room = std::min(m.serial_room(), kChunk);
    if (room == 0) return true;
    u8 buf[kChunk];
    ssize_t n = read(fd_, buf, room);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) {
        eof_ = true;
        return false;
    }
    if (kind_ == Kind::Terminal) {
        std::vector<u8> out;
        filter_terminal(buf, size_t(n), out);
        m.inject_serial(out.data(), out.size());
    } else {
        m.inject_serial(buf, size_t(n));
    }
    return true;
}

void Console::poll(Machine& m) {
    flush();
    if ((kind_ != Kind::Terminal && kind_ != Kind::Stream) || eof_ || !m.serial_room()) return;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP))) read_some(m);
}

void Console::refill(Machine& m) {
    if (kind_ == Kind::File && !eof_) read_some(m);
}

bool Console::wait(Machine& m) {
    flush();
    // A regular file was there from the start: nothing more will come.
    if ((kind_ != Kind::Terminal && kind_ != Kind::Stream) || eof_ || !m.serial_room()) return false;
    for (;;) {
        if (stop_requested()) return true;
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, -1);
        if (r < 0) {
            if (errno == EINTR) return true;  // a signal: let the run look at it
            return false;
        }
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        size_t before = m.serial_room();
        bool more = read_some(m);
        if (!more || m.serial_room() != before || quit_) return true;
    }
}

}  // namespace sy
