// The frames a task's kernel stack holds, decoded with the descriptor's
// layouts: the inactive_task_frame at thread.sp of a switched-out task (the
// registers __switch_to_asm pushed and the ret_addr __switch_to's `ret` will
// pop), the fork_frame of a task that never ran (an inactive_task_frame whose
// ret_addr is ret_from_fork, then pt_regs), and the pt_regs at the top of a
// user task's stack (its user registers). And the stack as 8-byte slots with
// those regions named, for the threads panel.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tasks.h"

namespace sy::guest {

// What a switched-out task saved, in its switch model's place (debug
// descriptor version 3, include/switch_model.h in the guest kernel). The
// fields are named after the linux model's inactive_task_frame; under the
// others they hold the same things:
//   linux    inactive_task_frame at thread.sp; ret_addr is in it
//   linux26  RBP and RFLAGS (SAVE_CONTEXT) at thread.sp; ret_addr is
//            thread_return, which no memory holds (resume_slot 0)
//   xv6      struct context at thread.sp; ret_addr = context.rip
//   solaris  label_t in the task; ret_addr = label.pc; RSP = label.sp, and the
//            return address into resume()'s caller at label.sp + 8
struct InactiveFrame {
    u64 addr = 0;  // where the saved state is: thread.sp, or the task's label_t
    u64 r15 = 0, r14 = 0, r13 = 0, r12 = 0, rbx = 0, rbp = 0, ret_addr = 0;
    u64 rflags = 0;       // linux26: what SAVE_CONTEXT's pushfq saved
    std::string ret_sym;  // "__schedule+0x1dd", "ret_from_fork", "thread_return", "resume_return"
    std::string kind;     // "inactive_task_frame", "SAVE_CONTEXT", "struct context", "label_t"
    u64 resume_slot = 0;  // the address of the saved resume PC (0: none, linux26)
    u64 resume_sp = 0;    // RSP when it resumes at ret_addr
    std::optional<u64> caller_ret;  // solaris: [label.sp + 8], the return into resume()'s caller
    // The address of the ret_addr slot: what __switch_to's `ret` pops (linux).
    u64 ret_addr_slot(const Descriptor&) const { return resume_slot; }
    // RSP once the switch has returned to ret_addr (linux: thread.sp + sizeof(inactive_task_frame)).
    u64 sp_after(const Descriptor&) const { return resume_sp; }
};

struct PtRegs {
    u64 addr = 0;
    u64 r15 = 0, r14 = 0, r13 = 0, r12 = 0, bp = 0, bx = 0, r11 = 0, r10 = 0, r9 = 0, r8 = 0;
    u64 ax = 0, cx = 0, dx = 0, si = 0, di = 0, orig_ax = 0, ip = 0, cs = 0, flags = 0, sp = 0, ss = 0;
    bool from_user() const { return (cs & 3) == 3; }
};

// The linux model's inactive_task_frame (or xv6's struct context, the same
// registers in the same order: `kind` says which) at addr.
std::optional<InactiveFrame> read_inactive_frame(const Kernel& k, u64 addr);
// What a switched-out task saved, under the model the kernel runs.
std::optional<InactiveFrame> read_saved_state(const Kernel& k, const Task& t);
// Whether switching t away saves its state: not for a dead task under a model
// whose models[].flags has SY_MODEL_DEAD_UNSAVED (solaris' resume_from_zombie
// saves nothing; its label_t still holds its last switch before it died).
bool switch_saves(const Kernel& k, const Task& t);
// Where the `ret` that ends a switch to t finds its resume PC: RSP at the end
// routine's ret (linux: thread.sp + ret_addr offset; linux26: thread.sp - 8,
// where `call __switch_to` pushes thread_return; xv6: thread.sp + context.rip;
// solaris: label.sp - 8, where resume pushes label.pc for spl0).
u64 switch_end_rsp(const Kernel& k, const Task& t);

// xv6: each CPU's scheduler thread (no task_struct), with its saved context.
struct SchedulerThread {
    unsigned cpu = 0;
    u64 context = 0;  // xv6_cpus[cpu].scheduler
    std::optional<InactiveFrame> frame;
};
std::vector<SchedulerThread> read_scheduler_threads(const Kernel& k);
std::optional<PtRegs> read_pt_regs(const Kernel& k, u64 addr);

// Where a task's user pt_regs sit: stack + THREAD_SIZE - sizeof(pt_regs).
u64 pt_regs_addr(const Kernel& k, const Task& t);
// A task that never ran: thread.sp is its fork_frame at the top of the stack
// and the frame's ret_addr is ret_from_fork.
bool is_fork_frame(const Kernel& k, const Task& t, const InactiveFrame& f);

// The frames of a task as the model shows them.
struct TaskFrames {
    std::optional<InactiveFrame> frame;  // switched out (or being switched to)
    bool never_ran = false;              // frame is the head of a fork_frame
    std::optional<PtRegs> user_regs;     // user tasks: pt_regs at the top of the stack
};
TaskFrames read_frames(const Kernel& k, const Task& t, bool switched_out);

// One 8-byte slot of a kernel stack.
struct StackSlot {
    u64 addr = 0;
    u64 value = 0;
    bool readable = false;
    std::string sym;     // the value symbolised, if it is a kernel code address
    std::string region;  // "inactive_task_frame", "fork_frame", "pt_regs", "" (plain stack)
    std::string field;   // "ret_addr", "r15", "ip", ...
};

// Region markers for slot labelling.
struct Region {
    u64 start = 0, size = 0;
    std::string name;
    std::vector<std::pair<u32, std::string>> fields;  // offset -> field name
};
// The named regions a task's stack holds, from its frames.
std::vector<Region> stack_regions(const Kernel& k, const Task& t, const TaskFrames& f);
// The slots of [from, to) (8-byte aligned) labelled with `regions`.
std::vector<StackSlot> stack_slots(const Kernel& k, u64 from, u64 to, const std::vector<Region>& regions);

// The field layouts, from the descriptor (offset, name).
std::vector<std::pair<u32, std::string>> inactive_frame_fields(const Descriptor& d);
std::vector<std::pair<u32, std::string>> pt_regs_fields(const Descriptor& d);

}  // namespace sy::guest
