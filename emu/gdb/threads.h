// What gdb's threads are: the guest kernel's tasks, read through its debugger
// descriptor (the same model the GUI's threads panel draws, emu/debug/model.h),
// or, without a descriptor, the processors (as QEMU's stub shows them).
//
// Thread ids (gdb reserves 0 for "any" and -1 for "all"):
//   - a task: pid + 1. The idle tasks all have pid 0, as in Linux: swapper/0
//     is thread 1 and swapper/N (N >= 1) is thread kIdleBase + N;
//   - a processor (no descriptor): its index + 1.
// Registers (registers.h): a task on a CPU has that CPU's; a switched-out task
// has what its inactive_task_frame gives back when it resumes (and a task that
// never ran, what its fork_frame's frame gives: rip = ret_from_fork), or what
// the boot's other switch model saved (linux26: only rip = thread_return, rsp
// and rbp); the rest unavailable. Memory is read and written through the thread's address space.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "debugger.h"
#include "registers.h"

namespace sy::gdb {

inline constexpr u64 kIdleBase = 0x40000000;

struct Thread {
    u64 id = 0;
    std::string name;        // comm, or "cpuN"
    std::string state;       // "running", "sleeping", ... ; "running", "halted" for a processor
    int pid = -1;            // -1 for a processor
    int cpu = -1;            // the machine CPU running it, or -1
    int core = 0;            // the CPU it runs or last ran on (for qXfer:threads and core:)
    u64 cr3 = 0;             // its address space
    std::string extra;       // qThreadExtraInfo: "sleeping, cpu 1"
    RegisterValues regs;
};

// The threads now, in the task list's order (or CPU order).
std::vector<Thread> read_threads(debug::Debugger& d);
// The thread running on machine CPU `cpu` (a stop reply names it).
const Thread* thread_on_cpu(const std::vector<Thread>& ts, unsigned cpu);
const Thread* find_thread(const std::vector<Thread>& ts, u64 id);

// The qXfer:threads:read document.
std::string threads_xml(const std::vector<Thread>& ts);

}  // namespace sy::gdb
