// The event list (trace.h) as Chrome trace-event JSON ("JSON Object Format"
// of the Trace Event Format), which ui.perfetto.dev and chrome://tracing open:
//
//   - one process, pid 1, named after the machine; one thread per CPU, tid =
//     CPU + 1, named "cpu N" by a thread_name metadata event (pid and tid 0
//     mean the kernel's swapper in Perfetto and are avoided);
//   - a complete event ("X") per task stretch, "pid N name", depth 0;
//   - an instant event ("i", thread scope) per switch, args prev, next,
//     ret_addr, ret_sym, and with --timing detailed its cost (the key=value
//     line `run --stats` prints for it, emu/debug/switch_cost.h);
//   - complete events for interrupts, exceptions and system calls, nested
//     inside the stretches (trace.h says why they nest);
//   - ts and dur in microseconds with three decimals: cycles are converted to
//     whole nanoseconds first (floor), so that a child never ends after its
//     parent by rounding; "otherData" states the cycles per microsecond.
#pragma once
#include <map>
#include <ostream>
#include <utility>
#include <string>
#include <vector>

#include "trace.h"

namespace sy::trace {

struct ChromeTraceInfo {
    std::string machine;  // the process's name ("switchyard: kernel.elf --smp 2")
    u64 cycles_per_us = 2000;
    u64 end_cycle = 0;    // the machine clock when the list was read
    // Each CPU's cycle counter then: open stretches and slices end there.
    std::vector<u64> cpu_now;
    // With --timing detailed: each switch's cost line, by (CPU, the CPU's
    // cycle count at the switch's ret), which is where the switch instant is.
    std::map<std::pair<unsigned, u64>, std::string> switch_costs;
};

// The whole timeline (closed events and what is still open, closed at each
// CPU's `now`), in the order a trace wants: by begin, parents before children.
std::vector<Event> timeline(const Recorder& r, const std::vector<u64>& cpu_now);

// Writes the trace; returns the number of trace events written.
size_t write_chrome_json(std::ostream& out, const Recorder& r, const ChromeTraceInfo& info);

}  // namespace sy::trace
