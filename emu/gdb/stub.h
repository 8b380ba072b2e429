// The gdb remote stub's protocol layer: the packets gdb sends, answered from
// the debugger core (emu/debug/debugger.h: run control, breakpoints, the
// switch tracker) and guest awareness (threads.h: tasks as threads). No
// sockets here: bytes come in through receive() and go out through the
// `send` function, so the tests drive it directly; tcp.h carries it over TCP.
//
// The machine is either paused (gdb is looking at it), running for gdb (a
// continue or step: run_slice() runs it a slice at a time so that a Ctrl-C
// between slices is seen), running free (no gdb attached, or gdb detached), or
// finished (the guest exited, the machine died, gdb killed it).
//
// Robustness: a packet that is malformed, truncated, oversized or has a bad
// checksum is answered '-' (and a command it cannot parse "E01"); a dropped
// connection leaves the machine paused with gdb's breakpoints removed, and
// the transport listens for the next one.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "debugger.h"
#include "packet.h"
#include "threads.h"

namespace sy::gdb {

class Stub {
public:
    // The largest packet payload gdb may send (qSupported PacketSize) and the
    // largest reply's data.
    static constexpr size_t kPacketSize = 0x4000;
    // Guest cycles per slice while running (about 10 ms of guest time).
    static constexpr u64 kSliceCycles = 20'000'000;

    enum class State { Paused, Running, FreeRunning, Finished };
    enum class End { None, Killed, Machine };  // why the run ended (Finished)

    Stub(debug::Debugger& d, std::function<void(const std::string&)> send);

    // A connection arrived: the machine stops where it is (as QEMU's does).
    void connected();
    // It dropped: the machine stays paused, gdb's breakpoints are removed.
    void disconnected();
    // Bytes from gdb.
    void receive(const char* bytes, size_t n);
    // The machine runs with no gdb attached (run without -S).
    void run_free();
    // The host asked the run to end (a signal): RunEnd::Stopped.
    void host_stop();
    // While running (Running or FreeRunning): one slice, then the stop reply
    // if the machine stopped.
    void run_slice();
    // A guest reset reboots (the launch's boot function) when this is set.
    std::function<void()> reboot;
    // A cycle limit for the whole run (--max-cycles), 0 for none.
    u64 max_cycles = 0;

    State state() const { return state_; }
    bool running() const { return state_ == State::Running || state_ == State::FreeRunning; }
    End end() const { return end_; }
    // The machine's result when it ended (End::Machine).
    const RunResult& result() const { return result_; }
    // gdb detached (D): the transport closes the connection.
    bool take_detached() {
        const bool d = detached_;
        detached_ = false;
        return d;
    }
    // For a fresh start (a new connection in the fuzz tests).
    const std::vector<Thread>& threads();

private:
    std::optional<std::string> handle(const std::string& p);
    void send_packet(const std::string& payload);
    std::string stop_reply(const debug::Stop& s);
    std::string stop_reply_now(int signal);
    void stopped(const debug::Stop& s);
    void resume(std::optional<unsigned> step_cpu);
    std::string read_memory(const std::string& args);
    std::string write_memory(const std::string& args, bool binary);
    std::string breakpoint(const std::string& p, bool insert);
    std::optional<std::string> vcont(const std::string& p);
    std::string qxfer(const std::string& p);
    const Thread* selected(u64 which);
    unsigned cpu_for_step(u64 tid);
    void remove_all_breakpoints();
    void invalidate() { threads_.reset(); }
    std::optional<std::string> reverse(char kind);

    debug::Debugger& d_;
    std::function<void(const std::string&)> send_;
    PacketReader reader_{kPacketSize};
    std::string last_sent_;
    State state_ = State::Paused;
    End end_ = End::None;
    RunResult result_;
    bool detached_ = false;
    bool interrupt_ = false;
    bool first_slice_ = false;
    std::optional<unsigned> step_cpu_;
    std::optional<std::vector<Thread>> threads_;
    u64 g_thread_ = 0, c_thread_ = 0;  // Hg, Hc (0: any)
    unsigned last_cpu_ = 0;
    // gdb's breakpoints by address: bit 0 a Z0, bit 1 a Z1.
    std::map<u64, unsigned> bps_;
};

}  // namespace sy::gdb
