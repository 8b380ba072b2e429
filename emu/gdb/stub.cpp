// The gdb remote protocol over the debugger core (stub.h). Packet meanings
// from the gdb manual's "Packets", "Stop Reply Packets", "General Query
// Packets" and "Thread List Format".
#include "stub.h"

#include <algorithm>

#include "cpu.h"
#include "guest/kernel.h"

namespace sy::gdb {

namespace {

constexpr int kSigInt = 2, kSigTrap = 5, kSigKill = 9;

std::string hex2(unsigned v) {
    static const char d[] = "0123456789abcdef";
    return {d[(v >> 4) & 15], d[v & 15]};
}

// "addr,len" (m, Z) with what follows it, split at the first `sep`.
bool split2(const std::string& s, char sep, std::string& a, std::string& b) {
    const auto k = s.find(sep);
    if (k == std::string::npos) return false;
    a = s.substr(0, k);
    b = s.substr(k + 1);
    return true;
}

// A thread id as gdb writes it: hex, "0" any, "-1" all (multiprocess "pP.T" not used).
std::optional<u64> parse_tid(const std::string& s) {
    if (s == "-1") return ~0ull;
    return parse_hex(s);
}

}  // namespace

Stub::Stub(debug::Debugger& d, std::function<void(const std::string&)> send) : d_(d), send_(std::move(send)) {}

const std::vector<Thread>& Stub::threads() {
    if (!threads_) threads_ = read_threads(d_);
    return *threads_;
}

void Stub::send_packet(const std::string& payload) {
    last_sent_ = frame(payload);
    send_(last_sent_);
}

void Stub::connected() {
    reader_.reset();
    last_sent_.clear();
    g_thread_ = c_thread_ = 0;
    if (state_ == State::FreeRunning || state_ == State::Running) {
        d_.cancel();
        state_ = State::Paused;
    }
    invalidate();
}

void Stub::run_free() {
    state_ = State::FreeRunning;
    first_slice_ = true;
    step_cpu_.reset();
}

void Stub::host_stop() {
    d_.cancel();
    state_ = State::Finished;
    end_ = End::Machine;
    result_ = {};
    result_.end = RunEnd::Stopped;
    send_packet("X" + hex2(kSigKill));  // gdb hears the run ended (nowhere if none is attached)
}

void Stub::disconnected() {
    reader_.reset();
    if (state_ == State::Running || state_ == State::FreeRunning) {
        d_.cancel();
        state_ = State::Paused;
    }
    remove_all_breakpoints();
    invalidate();
}

void Stub::remove_all_breakpoints() {
    while (!d_.watchpoints().empty()) d_.remove_watchpoint(d_.watchpoints().front().id);
    for (const auto& [addr, kinds] : bps_)
        for (const debug::Breakpoint& b : d_.breakpoints())
            if (b.addr == addr) {
                d_.remove_breakpoint(b.id);
                break;
            }
    bps_.clear();
}

void Stub::receive(const char* bytes, size_t n) {
    std::vector<Event> events;
    reader_.feed(bytes, n, events);
    for (Event& e : events) {
        if (state_ == State::Finished) return;
        switch (e.kind) {
        case Event::Ack: break;
        case Event::Nak:
            if (!last_sent_.empty()) send_(last_sent_);
            break;
        case Event::Bad: send_("-"); break;
        case Event::Interrupt:
            // Ctrl-C: only a running machine has anything to stop.
            if (state_ == State::Running) interrupt_ = true;
            break;
        case Event::Packet: {
            send_("+");
            if (state_ == State::Running) break;  // gdb sends nothing but Ctrl-C while it waits
            std::optional<std::string> reply = handle(e.data);
            if (reply) send_packet(*reply);
            break;
        }
        }
    }
}

// ---- stop replies ----

std::string Stub::stop_reply_now(int signal) {
    std::string r = "T" + hex2(unsigned(signal));
    if (const Thread* t = thread_on_cpu(threads(), last_cpu_)) {
        r += "thread:" + hex_number(t->id) + ";core:" + hex_number(unsigned(t->core)) + ";";
        // gdb takes the thread a stop reply names as the one its next `g`
        // and `m` are about (it sends no Hg for it): so does the stub.
        g_thread_ = c_thread_ = t->id;
    }
    return r;
}

std::string Stub::stop_reply(const debug::Stop& s) {
    last_cpu_ = s.cpu;
    std::string r = stop_reply_now(kSigTrap);
    if (s.kind == debug::StopKind::Breakpoint) {
        auto it = bps_.find(d_.machine().cpu(s.cpu).s.rip);
        const unsigned kinds = it == bps_.end() ? 1 : it->second;
        r += (kinds & 1) ? "swbreak:;" : "hwbreak:;";
    }
    if (s.kind == debug::StopKind::Watchpoint)
        for (const debug::Watch& w : d_.watchpoints())
            if (w.id == s.watch) {
                const char* key = w.kind == debug::WatchKind::Write  ? "watch"
                                  : w.kind == debug::WatchKind::Read ? "rwatch"
                                                                     : "awatch";
                r += std::string(key) + ":" + hex_number(w.addr) + ";";
            }
    return r;
}

void Stub::stopped(const debug::Stop& s) {
    invalidate();
    const bool for_gdb = state_ == State::Running;
    if (s.kind == debug::StopKind::Reset && reboot) {
        Machine& m = d_.machine();
        m.reset();
        reboot();
        first_slice_ = true;  // go on as the command said, from the new boot
        step_cpu_.reset();
        return;
    }
    if (s.final()) {
        state_ = State::Finished;
        end_ = End::Machine;
        result_ = s.run;
        // gdb hears how it ended (with no gdb attached this goes nowhere).
        if (s.kind == debug::StopKind::Exited) send_packet("W" + hex2(unsigned(s.run.exit_status) & 0xFF));
        else send_packet("X" + hex2(kSigKill));
        return;
    }
    state_ = State::Paused;
    if (for_gdb) send_packet(stop_reply(s));
}

void Stub::resume(std::optional<unsigned> step_cpu) {
    invalidate();
    state_ = State::Running;
    first_slice_ = true;
    interrupt_ = false;
    step_cpu_ = step_cpu;
}

void Stub::run_slice() {
    if (!running()) return;
    if (interrupt_ && state_ == State::Running) {
        interrupt_ = false;
        d_.cancel();
        state_ = State::Paused;
        invalidate();
        if (auto c = d_.last_cpu()) last_cpu_ = *c;
        send_packet(stop_reply_now(kSigInt));
        return;
    }
    Machine& m = d_.machine();
    u64 limit = m.now() + kSliceCycles;
    if (max_cycles) limit = std::min(limit, max_cycles);
    debug::Stop s;
    if (first_slice_) {
        first_slice_ = false;
        s = step_cpu_ ? d_.step(*step_cpu_, limit) : d_.cont(limit);
    } else {
        s = d_.resume(limit);
    }
    if (s.kind == debug::StopKind::Limit) {
        if (max_cycles && m.now() >= max_cycles) {
            s.run.end = RunEnd::CycleLimit;
            state_ = State::Finished;
            end_ = End::Machine;
            result_ = s.run;
            send_packet("X" + hex2(kSigKill));
        }
        return;
    }
    if (s.kind == debug::StopKind::AllHalted && !s.run.nothing_to_wait_for) return;
    stopped(s);
}

// ---- threads and registers ----

const Thread* Stub::selected(u64 which) {
    const auto& ts = threads();
    if (which != 0 && which != ~0ull)
        if (const Thread* t = find_thread(ts, which)) return t;
    if (const Thread* t = thread_on_cpu(ts, last_cpu_)) return t;
    return ts.empty() ? nullptr : &ts.front();
}

// ---- memory ----

std::string Stub::read_memory(const std::string& args) {
    std::string a, l;
    if (!split2(args, ',', a, l)) return "E01";
    auto addr = parse_hex(a), len = parse_hex(l);
    if (!addr || !len) return "E01";
    const u64 n = std::min<u64>(*len, kPacketSize / 2);
    const Thread* t = selected(g_thread_);
    if (!t) return "E01";
    std::string buf(n, '\0');
    Machine& m = d_.machine();
    // The thread's address space; debug reads never fault or touch a device.
    const size_t got = t->cpu >= 0 ? m.cpu(unsigned(t->cpu)).peek(*addr, buf.data(), n)
                                   : m.cpu(0).peek_in(t->cr3, *addr, buf.data(), n);
    if (got == 0 && n > 0) return "E14";
    return to_hex(buf.data(), got);
}

std::string Stub::write_memory(const std::string& args, bool binary) {
    std::string head, data, a, l;
    if (!split2(args, ':', head, data) || !split2(head, ',', a, l)) return "E01";
    auto addr = parse_hex(a), len = parse_hex(l);
    if (!addr || !len || *len > kPacketSize) return "E01";
    std::string bytes;
    if (binary) bytes = data;
    else if (auto b = from_hex(data)) bytes = *b;
    else return "E01";
    if (bytes.size() != *len) return "E01";
    const Thread* t = selected(g_thread_);
    if (!t) return "E01";
    Machine& m = d_.machine();
    const Cpu& c = m.cpu(t->cpu >= 0 ? unsigned(t->cpu) : 0);
    // Every page is translated before the first byte is written: all or nothing.
    std::vector<std::pair<u64, size_t>> pieces;
    for (u64 done = 0; done < bytes.size();) {
        const u64 va = *addr + done;
        const size_t chunk = size_t(std::min<u64>(bytes.size() - done, 0x1000 - (va & 0xFFF)));
        u64 pa = 0;
        const bool ok = t->cpu >= 0 ? c.translate_peek(va, pa) : c.translate_peek_in(t->cr3, va, pa);
        if (!ok || pa >= m.ram_size() || chunk > m.ram_size() - pa) return "E14";
        pieces.push_back({pa, chunk});
        done += chunk;
    }
    size_t at = 0;
    for (auto [pa, chunk] : pieces) {
        m.write_phys(pa, bytes.data() + at, chunk);  // drops decoded code on those pages
        at += chunk;
    }
    invalidate();
    return "OK";
}

// ---- breakpoints ----

std::string Stub::breakpoint(const std::string& p, bool insert) {
    // Z<type>,<addr>,<kind>[;cond...]
    const char type = p.size() > 1 ? p[1] : '?';
    std::string rest = p.size() > 3 ? p.substr(3) : "";
    if (auto semi = rest.find(';'); semi != std::string::npos) rest = rest.substr(0, semi);
    std::string a, k;
    if (p.size() < 3 || p[2] != ',' || !split2(rest, ',', a, k)) return "E01";
    auto addr = parse_hex(a);
    if (!addr || !parse_hex(k)) return "E01";
    if (type == '2' || type == '3' || type == '4') {
        const debug::WatchKind kind = type == '2' ? debug::WatchKind::Write
                                      : type == '3' ? debug::WatchKind::Read
                                                    : debug::WatchKind::Access;
        const u64 len = *parse_hex(k);
        if (len == 0 || len > 4096) return "E01";
        for (const debug::Watch& w : d_.watchpoints())
            if (w.addr == *addr && w.len == len && w.kind == kind) {
                if (!insert) d_.remove_watchpoint(w.id);
                return "OK";
            }
        if (insert) d_.add_watchpoint(*addr, len, kind);
        return "OK";
    }
    if (type != '0' && type != '1') return "";
    const unsigned bit = type == '0' ? 1 : 2;
    if (insert) {
        if (!bps_.count(*addr)) d_.add_breakpoint_at(*addr);
        bps_[*addr] |= bit;
        return "OK";
    }
    auto it = bps_.find(*addr);
    if (it == bps_.end()) return "OK";
    it->second &= ~bit;
    if (it->second == 0) {
        for (const debug::Breakpoint& b : d_.breakpoints())
            if (b.addr == *addr) {
                d_.remove_breakpoint(b.id);
                break;
            }
        bps_.erase(it);
    }
    return "OK";
}

// ---- run control ----

unsigned Stub::cpu_for_step(u64 tid) {
    const Thread* t = selected(tid);
    return t && t->cpu >= 0 ? unsigned(t->cpu) : ~0u;
}

std::optional<std::string> Stub::vcont(const std::string& p) {
    // vCont;action[:tid];action... — the first action that applies to a thread wins.
    std::optional<unsigned> step;
    bool any = false;
    size_t k = 5;  // after "vCont"
    while (k < p.size()) {
        if (p[k] != ';') return "E01";
        size_t end = p.find(';', k + 1);
        if (end == std::string::npos) end = p.size();
        std::string action = p.substr(k + 1, end - k - 1);
        k = end;
        std::string tid;
        if (auto colon = action.find(':'); colon != std::string::npos) {
            tid = action.substr(colon + 1);
            action = action.substr(0, colon);
        }
        if (action.empty()) return "E01";
        const char op = action[0];
        // C and S carry a signal; a bare-metal guest has no signals to take: ignored.
        if ((op == 'C' || op == 'S') && !parse_hex(action.substr(1))) return "E01";
        if ((op == 'c' || op == 's') && action.size() != 1) return "E01";
        if (op != 'c' && op != 's' && op != 'C' && op != 'S') return "E01";
        std::optional<u64> id;
        if (!tid.empty()) {
            id = parse_tid(tid);
            if (!id || (*id != 0 && *id != ~0ull && !find_thread(threads(), *id))) return "E01";
        }
        any = true;
        if ((op == 's' || op == 'S') && !step) {
            const unsigned cpu = cpu_for_step(id.value_or(g_thread_));
            if (cpu == ~0u) return "E01";  // a switched-out task cannot run an instruction
            step = cpu;
        }
    }
    if (!any) return "E01";
    resume(step);
    return std::nullopt;
}

std::optional<std::string> Stub::reverse(char kind) {
    // bs (reverse-stepi) and bc (reverse-continue) through the debugger's
    // reverse execution (emu/replay, docs/replay.md): the machine goes back
    // by restoring a snapshot and re-running its history. Without it (off
    // under --timing detailed) the packets are unsupported: an empty reply.
    if (!d_.reverse_enabled()) return "";
    invalidate();
    debug::Stop s;
    if (kind == 's') {
        unsigned cpu = cpu_for_step(c_thread_ ? c_thread_ : g_thread_);
        if (cpu == ~0u) cpu = last_cpu_;
        s = d_.reverse_stepi(cpu);
    } else {
        s = d_.reverse_continue();
    }
    invalidate();
    state_ = State::Paused;
    if (s.kind == debug::StopKind::Limit) {
        // Nothing earlier in the history: gdb's "No more reverse-execution
        // history" (the stop reply's replaylog:begin).
        last_cpu_ = s.cpu;
        return stop_reply_now(kSigTrap) + "replaylog:begin;";
    }
    return stop_reply(s);
}

// ---- qXfer ----

std::string Stub::qxfer(const std::string& p) {
    // qXfer:object:read:annex:offset,length
    std::string object, annex;
    std::string rest = p.substr(5);  // after "qXfer"
    if (rest.rfind(":features:read:", 0) == 0) {
        object = "features";
        rest = rest.substr(15);
    } else if (rest.rfind(":threads:read:", 0) == 0) {
        object = "threads";
        rest = rest.substr(14);
    } else {
        return "";
    }
    std::string range;
    if (!split2(rest, ':', annex, range)) return "E01";
    std::string o, l;
    if (!split2(range, ',', o, l)) return "E01";
    auto off = parse_hex(o), len = parse_hex(l);
    if (!off || !len) return "E01";
    std::string doc;
    if (object == "features") {
        if (annex != "target.xml") return "E00";
        doc = target_xml();
    } else {
        if (!annex.empty()) return "E00";
        doc = threads_xml(threads());
    }
    if (*off >= doc.size()) return "l";
    const u64 n = std::min<u64>({*len, kPacketSize / 2, doc.size() - *off});
    return (*off + n >= doc.size() ? "l" : "m") + doc.substr(size_t(*off), size_t(n));
}

// ---- the packets ----

std::optional<std::string> Stub::handle(const std::string& p) {
    if (p.empty()) return "";
    Machine& m = d_.machine();
    switch (p[0]) {
    case '?': return stop_reply_now(kSigTrap);
    case 'g': {
        const Thread* t = selected(g_thread_);
        return t ? encode_registers(t->regs) : "E01";
    }
    case 'G': {
        const Thread* t = selected(g_thread_);
        if (!t || t->cpu < 0) return "E01";  // a switched-out task's registers are in its frame: not written
        if (!write_registers(m.cpu(unsigned(t->cpu)), p.substr(1))) return "E01";
        invalidate();
        return "OK";
    }
    case 'p': {
        auto n = parse_hex(p.substr(1));
        const Thread* t = selected(g_thread_);
        if (!n || !t || *n >= register_defs().size()) return "E01";
        return encode_register(t->regs, int(*n));
    }
    case 'P': {
        std::string a, v;
        if (!split2(p.substr(1), '=', a, v)) return "E01";
        auto n = parse_hex(a);
        const Thread* t = selected(g_thread_);
        if (!n || !t || t->cpu < 0 || *n >= register_defs().size()) return "E01";
        if (!write_register(m.cpu(unsigned(t->cpu)), int(*n), v)) return "E01";
        invalidate();
        return "OK";
    }
    case 'm': return read_memory(p.substr(1));
    case 'M': return write_memory(p.substr(1), false);
    case 'X': return write_memory(p.substr(1), true);
    case 'Z': return breakpoint(p, true);
    case 'z': return breakpoint(p, false);
    case 'c':
    case 's':
    case 'C':
    case 'S': {
        // c [addr], s [addr], C sig[;addr], S sig[;addr]
        std::string arg = p.substr(1);
        if (p[0] == 'C' || p[0] == 'S') {
            const auto semi = arg.find(';');
            if (!parse_hex(arg.substr(0, semi))) return "E01";
            arg = semi == std::string::npos ? "" : arg.substr(semi + 1);
        }
        const bool step = p[0] == 's' || p[0] == 'S';
        const u64 tid = c_thread_ && c_thread_ != ~0ull ? c_thread_ : g_thread_;
        const unsigned cpu = step ? cpu_for_step(tid) : 0;
        if (step && cpu == ~0u) return "E01";
        if (!arg.empty()) {
            auto addr = parse_hex(arg);
            const Thread* t = selected(tid);
            if (!addr || !t || t->cpu < 0) return "E01";
            m.cpu(unsigned(t->cpu)).s.rip = *addr;
        }
        resume(step ? std::optional<unsigned>(cpu) : std::nullopt);
        return std::nullopt;
    }
    case 'k':
        state_ = State::Finished;
        end_ = End::Killed;
        return std::nullopt;
    case 'D':
        remove_all_breakpoints();
        state_ = State::FreeRunning;  // the machine runs on, as after QEMU's detach
        first_slice_ = true;
        step_cpu_.reset();
        detached_ = true;
        return "OK";
    case 'H': {
        if (p.size() < 3 || (p[1] != 'g' && p[1] != 'c')) return "E01";
        auto id = parse_tid(p.substr(2));
        if (!id) return "E01";
        if (*id != 0 && *id != ~0ull && !find_thread(threads(), *id)) return "E01";
        (p[1] == 'g' ? g_thread_ : c_thread_) = *id;
        return "OK";
    }
    case 'T': {
        auto id = parse_tid(p.substr(1));
        return id && find_thread(threads(), *id) ? "OK" : "E01";
    }
    case 'b':
        if (p == "bs" || p == "bc") return reverse(p[1]);
        return "";
    case 'v':
        if (p == "vCont?") return "vCont;c;C;s;S";
        if (p.rfind("vCont;", 0) == 0) return vcont(p);
        if (p == "vMustReplyEmpty") return "";
        if (p.rfind("vKill", 0) == 0) {
            state_ = State::Finished;
            end_ = End::Killed;
            return "OK";
        }
        return "";
    case 'q':
        if (p.rfind("qSupported", 0) == 0)
            return "PacketSize=" + hex_number(kPacketSize) +
                   ";qXfer:features:read+;qXfer:threads:read+;vContSupported+;swbreak+;hwbreak+" +
                   (d_.reverse_enabled() ? ";ReverseStep+;ReverseContinue+" : "");
        if (p == "qC") {
            const Thread* t = selected(g_thread_);
            return t ? "QC" + hex_number(t->id) : "E01";
        }
        if (p == "qAttached" || p.rfind("qAttached:", 0) == 0) return "1";
        if (p == "qfThreadInfo") {
            std::string r = "m";
            for (const Thread& t : threads()) r += (r.size() > 1 ? "," : "") + hex_number(t.id);
            return r.size() > 1 ? r : "l";
        }
        if (p == "qsThreadInfo") return "l";
        if (p.rfind("qThreadExtraInfo,", 0) == 0) {
            auto id = parse_tid(p.substr(17));
            const Thread* t = id ? find_thread(threads(), *id) : nullptr;
            return t ? to_hex(t->extra) : "E01";
        }
        if (p.rfind("qXfer:", 0) == 0) return qxfer(p);
        if (p.rfind("qSymbol", 0) == 0) return "OK";
        return "";
    default: return "";
    }
}

}  // namespace sy::gdb
