// The model the GUI's panels draw and `--dump-state` writes: a copy of the
// machine's processors and of the guest's tasks, frames, backtraces and
// stacks, taken while the machine is stopped. Built here, tested headless;
// the windows in ui/ only draw it.
//
// How each piece is known: processor state from the CPUs' registers; TSS
// fields through TR (as the CPU reads them); tasks, frames and backtraces
// from emu/guest/ (tasks.h, frames.h, unwind.h), which read guest memory
// through the CPU's peek with the kernel's descriptor's layouts; the switch in
// progress and the log from the debugger's SwitchTracker.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "anatomy.h"
#include "guest/unwind.h"
#include "machine.h"
#include "switches.h"

namespace sy::debug {

// "0xffffffff80107000".
std::string hex(u64 v);

struct SegmentView {
    const char* name = "";
    u16 sel = 0;
    u64 base = 0;
    u32 limit = 0;
    u16 attr = 0;
    u8 dpl = 0;
    bool present = false;
};

struct CpuView {
    unsigned index = 0;
    u32 apic_id = 0;
    std::optional<unsigned> kcpu;  // the kernel's CPU number
    bool halted = false, waiting_sipi = false;
    u64 gpr[16] = {};
    u64 rip = 0, rflags = 0;
    std::string rip_sym;
    u8 cpl = 0;
    std::string mode;
    SegmentView seg[6], ldtr, tr;
    u64 gdtr_base = 0, idtr_base = 0;
    u16 gdtr_limit = 0, idtr_limit = 0;
    u64 fs_base = 0, gs_base = 0, kernel_gs_base = 0;
    u64 cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0, efer = 0;
    std::optional<u64> tss_rsp0;
    u64 tss_ist[7] = {};
    u64 cycles = 0, insns = 0;
    u64 current_task = 0;
    int current_pid = -1;
    int rsp_pid = -1;         // whose kernel stack RSP is in (-1: none)
    u64 percpu = 0;           // its per-CPU area
    std::string where;        // "__switch_to_asm (on prev's stack)", "user mode", ...
};

struct TaskView {
    guest::Task task;
    std::string state;
    bool switched_out = false;  // its frame at thread.sp is what it resumes from
    guest::TaskFrames frames;
    guest::Unwound backtrace;
    std::vector<guest::StackSlot> slots;  // from the lowest slot shown to the top of the stack
    u64 cr3 = 0;
    int on_cpu = -1;          // machine CPU running it
    int rsp_cpu = -1;         // machine CPU whose RSP is inside this stack
    u64 rsp = 0;              // that RSP
    u64 ret_slot = 0;         // the ret_addr slot of its frame (highlighted; 0: linux26 keeps none)
    u64 resume_sp_at_end = 0; // RSP at the ret that ends a switch to it (guest::switch_end_rsp)
    bool popping = false;     // a CPU is at the ret of __switch_to about to pop ret_slot
};

struct RegisterChange {
    std::string name;
    u64 before = 0, now = 0;
    bool known_before = true;
    bool changed() const { return !known_before || before != now; }
};

struct SwitchView {
    unsigned cpu = 0;
    u64 prev = 0, next = 0;
    int prev_pid = -1, next_pid = -1;
    std::string prev_name, next_name;
    std::string phase;        // "saving prev's registers", "on next's stack", "__switch_to", "at the ret"
    bool on_next_stack = false;
    bool at_ret = false;
    u64 rsp = 0;
    u64 ret_addr = 0;         // at the ret: what it pops (next's frame.ret_addr)
    std::string ret_sym;
    u64 ret_slot = 0;
    u64 cycle = 0;            // the CPU's cycle count now
    std::vector<RegisterChange> changes;
};

struct Model {
    u64 now = 0;  // the machine clock
    std::vector<CpuView> cpus;
    bool kernel_known = false;
    std::string kernel_note;  // why tasks are missing, if they are
    std::vector<TaskView> tasks;
    std::optional<SwitchView> sw;  // the switch in progress (the first CPU in one)
    std::vector<SwitchRecord> log;
    int lab_breaks = 0;
    std::string switch_model;  // the kernel's switch model ("linux", "linux26", "xv6", "solaris")
    std::vector<guest::SchedulerThread> scheduler_threads;  // xv6: each CPU's scheduler thread
    // The running model's switch, step by step (anatomy.h), and the step of
    // the CPU in the switch in progress, or else of the first CPU at one (xv6's
    // first swtch runs before __switch_to, where the switch log sees it begin).
    Anatomy anatomy;
};

struct ModelOptions {
    size_t slots_below_rsp = 4;   // dead slots shown below a stack's lowest live one
    size_t max_slots = 512;       // per task
    bool with_log = true;         // copy the switch log (a caller that keeps its own copy appends to it)
    // The CPU the user follows (the GUI's selected CPU, the CPU a stop came
    // from): when several CPUs are inside a switch, its switch is the switch
    // view. Without one, a CPU at the ret that ends its switch comes first.
    std::optional<unsigned> focus_cpu;
};

Model build_model(Machine& m, const guest::Kernel* k, const SwitchTracker* sw, const ModelOptions& o = {});
CpuView cpu_view(Machine& m, unsigned n, const guest::Kernel* k);

}  // namespace sy::debug
