// The timeline of a run: per CPU, the stretches each task ran, every context
// switch, and the interrupts, exceptions and system calls inside them, as one
// list of events. `run --trace` writes it as Chrome trace-event JSON
// (chrome_json.h) and the GUI's Timeline panel draws it; both read this list.
//
// Who feeds it: the debugger core (emu/debug/debugger.h), from what it sees
// anyway:
//   - a switch: its SwitchTracker's record at the `ret` of __switch_to (the
//     cycle, prev and next, the ret_addr about to be popped and its symbol);
//   - an interrupt or exception: cpu/observer.h's delivered() hook, with RIP
//     at the IDT handler's first instruction;
//   - a system call: a trap record at entry_SYSCALL_64 (SYSCALL does not go
//     through the IDT), the number in RAX;
//   - the end of one: trap records at every IRET and SYSRET in kernel text.
//
// Nesting. Open slices belong to a task, not to a CPU: an interrupt that calls
// schedule() on its way out returns (IRETQ) only when its task runs again,
// perhaps on another CPU. So each CPU's stack of open slices is the running
// task's; a switch closes prev's open slices at the switch and parks them,
// and reopens next's parked ones from the switch on (`resumed`). Every slice
// therefore lies inside one task stretch of one CPU, and slices nest properly
// on each CPU: what Chrome's and Perfetto's importers require of a track.
// An IRET or SYSRET with no open slice (a new task leaving ret_from_fork, or
// one that entered before tracing began) closes nothing and is counted.
//
// Time: each CPU's own cycle counter (its TSC), which stays within one
// instruction of the machine clock (emu/machine.h), so the CPUs' tracks line up.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "types.h"

namespace sy::trace {

enum class Kind : u8 {
    Task,       // a stretch one task ran on one CPU
    Switch,     // the ret of __switch_to (an instant: begin == end)
    Interrupt,  // an external interrupt, an IPI, NMI, or INT n (n >= 32)
    Exception,  // vectors 0-31 but NMI
    Syscall,
};
const char* kind_name(Kind k);  // "task", "switch", "interrupt", "exception", "syscall"

struct Event {
    Kind kind = Kind::Task;
    unsigned cpu = 0;        // machine CPU
    u64 begin = 0, end = 0;  // that CPU's cycle counter
    unsigned depth = 0;      // 0: a stretch or a switch; slices 1, 2, ... inside a stretch
    int pid = -1;            // the task (a stretch), the task it ran in (a slice), next (a switch)
    std::string name;        // the task's comm; a slice's "#PF", "sched_yield", "interrupt 0xec"
    std::string task_name;   // a slice: the comm of the task it ran in
    int number = -1;         // a slice's vector or system call number
    std::string where;       // a slice's handler, symbolised
    bool from_user = false;  // a slice entered from ring 3
    bool resumed = false;    // a slice that goes on after its task was switched back in
    bool open = false;       // still running where the list was read (end = then)
    // A switch: prev, and what the ret pops (next is pid/name).
    int prev_pid = -1;
    std::string prev_name;
    u64 ret_addr = 0;
    std::string ret_sym;
};

class Recorder {
public:
    explicit Recorder(unsigned cpus);

    bool started(unsigned cpu) const { return cpus_[cpu].started; }
    // The first stretch of `cpu` begins at `cycle` with the task the kernel
    // has as current there (pid -1 when it is not known: the first switch's
    // prev names it then).
    void start(unsigned cpu, u64 cycle, int pid, std::string name);
    // A slice begins (vector or system call number in `number`).
    void entered(unsigned cpu, u64 cycle, Kind kind, int number, std::string name, std::string where, bool from_user);
    // An IRET or SYSRET: the innermost open slice of the running task ends.
    void exited(unsigned cpu, u64 cycle);
    // The ret of __switch_to on `cpu` at `cycle`: prev's stretch and open
    // slices end, next's begin (task_structs identify the tasks).
    void switched(unsigned cpu, u64 cycle, u64 prev, int prev_pid, const std::string& prev_name, u64 next, int next_pid,
                  const std::string& next_name, u64 ret_addr, const std::string& ret_sym);

    // Closed events, in the order they closed.
    const std::vector<Event>& events() const { return events_; }
    // What is still open on `cpu` (its stretch and slices), closed at `now`,
    // with `open` set: events() plus open() of every CPU is the whole timeline.
    std::vector<Event> open(unsigned cpu, u64 now) const;
    unsigned cpus() const { return unsigned(cpus_.size()); }
    u64 switches() const { return switches_; }
    u64 unmatched_exits() const { return unmatched_exits_; }

private:
    struct Slice {
        Kind kind;
        int number;
        std::string name, where;
        bool from_user;
        bool resumed = false;
        u64 begin = 0;
    };
    struct PerCpu {
        bool started = false;
        u64 task = 0;  // task_struct; 0 before the first switch
        int pid = -1;
        std::string name;
        u64 since = 0;
        std::vector<Slice> slices;  // the running task's, innermost last
    };

public:
    // Reverse execution (emu/replay/timeline.h): each snapshot keeps a mark,
    // and going back to it cuts the list back to what had closed then and
    // puts back what was open. Events only ever append, so a mark is the
    // count of closed events plus the small open state.
    struct Mark {
        size_t events = 0;
        std::vector<PerCpu> cpus;
        std::map<u64, std::vector<Slice>> parked;
        u64 switches = 0, unmatched_exits = 0;
    };
    Mark mark() const;
    void rewind(const Mark& m);

private:
    Event slice_event(unsigned cpu, const PerCpu& p, size_t k, u64 end) const;
    Event stretch_event(unsigned cpu, const PerCpu& p, u64 end) const;

    std::vector<PerCpu> cpus_;
    std::map<u64, std::vector<Slice>> parked_;  // a switched-out task's open slices
    std::vector<Event> events_;
    u64 switches_ = 0, unmatched_exits_ = 0;
};

}  // namespace sy::trace
