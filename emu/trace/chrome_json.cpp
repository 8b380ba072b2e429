// Chrome trace-event JSON (chrome_json.h).
#include "chrome_json.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace sy::trace {

using nlohmann::json;

namespace {

std::string hex(u64 v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    return buf;
}

// The stretch's and the slices' names as the trace shows them.
std::string event_name(const Event& e) {
    if (e.kind == Kind::Task) return "pid " + std::to_string(e.pid) + " " + (e.name.empty() ? "?" : e.name);
    if (e.kind == Kind::Switch) return "switch " + std::to_string(e.prev_pid) + " -> " + std::to_string(e.pid);
    return e.name;
}

}  // namespace

std::vector<Event> timeline(const Recorder& r, const std::vector<u64>& cpu_now) {
    std::vector<Event> all = r.events();
    for (unsigned c = 0; c < r.cpus(); ++c) {
        std::vector<Event> open = r.open(c, c < cpu_now.size() ? cpu_now[c] : 0);
        all.insert(all.end(), std::make_move_iterator(open.begin()), std::make_move_iterator(open.end()));
    }
    // By begin; at the same cycle a stretch comes before the switch instant
    // that starts it and both before the slices that resume inside it.
    std::stable_sort(all.begin(), all.end(), [](const Event& a, const Event& b) {
        if (a.begin != b.begin) return a.begin < b.begin;
        if (a.depth != b.depth) return a.depth < b.depth;
        return a.kind < b.kind;
    });
    return all;
}

size_t write_chrome_json(std::ostream& out, const Recorder& r, const ChromeTraceInfo& info) {
    const u64 cycles_per_us = std::max<u64>(1, info.cycles_per_us);
    auto ns = [&](u64 cycles) { return cycles / cycles_per_us * 1000 + cycles % cycles_per_us * 1000 / cycles_per_us; };
    auto us = [](u64 ns) { return double(ns) / 1000.0; };
    size_t n = 0;
    bool first = true;
    auto emit = [&](const json& j) {
        out << (first ? "\n" : ",\n") << j.dump();
        first = false;
        ++n;
    };
    out << "{\"displayTimeUnit\":\"ns\",\"otherData\":"
        << json{{"source", "switchyard run --trace"},
                {"machine", info.machine},
                {"clock", "each CPU's cycle counter (TSC), converted at cycles_per_us"},
                {"cycles_per_us", info.cycles_per_us},
                {"end_cycle", info.end_cycle},
                {"cpus", r.cpus()},
                {"switches", r.switches()},
                {"unmatched_exits", r.unmatched_exits()}}
               .dump()
        << ",\"traceEvents\":[";
    emit({{"ph", "M"}, {"name", "process_name"}, {"pid", 1}, {"tid", 0}, {"args", {{"name", info.machine}}}});
    for (unsigned c = 0; c < r.cpus(); ++c) {
        emit({{"ph", "M"}, {"name", "thread_name"}, {"pid", 1}, {"tid", c + 1}, {"args", {{"name", "cpu " + std::to_string(c)}}}});
        emit({{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", 1}, {"tid", c + 1}, {"args", {{"sort_index", c}}}});
    }
    for (const Event& e : timeline(r, info.cpu_now)) {
        const u64 b = ns(e.begin), d = ns(e.end) - b;
        json j = {{"name", event_name(e)}, {"cat", kind_name(e.kind)}, {"pid", 1}, {"tid", e.cpu + 1}, {"ts", us(b)}};
        json args = json::object();
        if (e.kind == Kind::Switch) {
            j["ph"] = "i";
            j["s"] = "t";
            args = {{"prev", "pid " + std::to_string(e.prev_pid) + " " + e.prev_name},
                    {"next", "pid " + std::to_string(e.pid) + " " + e.name},
                    {"ret_addr", hex(e.ret_addr)},
                    {"ret_sym", e.ret_sym},
                    {"cycle", e.begin}};
            if (auto it = info.switch_costs.find({e.cpu, e.begin}); it != info.switch_costs.end()) args["cost"] = it->second;
        } else {
            j["ph"] = "X";
            j["dur"] = us(d);
            args["begin_cycle"] = e.begin;
            args["end_cycle"] = e.end;
            if (e.kind == Kind::Task) {
                args["pid"] = e.pid;
                args["name"] = e.name;
            } else {
                args[e.kind == Kind::Syscall ? "nr" : "vector"] = e.number;
                args["handler"] = e.where;
                args["from"] = e.from_user ? "user" : "kernel";
                args["task"] = "pid " + std::to_string(e.pid) + " " + e.task_name;
                if (e.resumed) args["resumed"] = true;  // the part after its task was switched back in
            }
            if (e.open) args["open"] = true;  // still running when the run ended
        }
        j["args"] = std::move(args);
        emit(j);
    }
    out << "\n]}\n";
    return n;
}

}  // namespace sy::trace
