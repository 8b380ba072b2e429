// Backtraces of kernel stacks by frame pointers (the guest kernel is built
// with -fno-omit-frame-pointer: every C function pushes RBP and points RBP at
// it, so [rbp] is the caller's RBP and [rbp + 8] the return address).
//
// A switched-out task is unwound as crash and drgn do it, from its saved
// inactive_task_frame, not from a live RIP: frame #0 has rip = ret_addr (where
// the task resumes), rsp = thread.sp + sizeof(inactive_task_frame) (RSP after
// __switch_to's `ret`) and rbx, rbp, r12-r15 from the frame; the RBP chain
// goes on from the frame's rbp. A running task is unwound from the CPU's
// registers.
#pragma once
#include <string>
#include <vector>

#include "frames.h"

namespace sy::guest {

struct BacktraceFrame {
    u64 pc = 0;   // the frame's instruction (a return address from #1 on)
    u64 sp = 0;   // RSP in that frame (for #0 of a sleeping task: after the ret)
    u64 fp = 0;   // RBP in that frame
    std::string sym;
    // Where the pc came from: "saved frame" (inactive_task_frame.ret_addr),
    // "rip" (a CPU's RIP), "return address" ([rbp + 8]), "pt_regs" (user ip).
    std::string source;
};

struct Unwound {
    std::vector<BacktraceFrame> frames;
    std::string end;  // why the walk stopped: "rbp 0", "rbp outside the stack", "user mode", ...
};

// A switched-out task, from its saved frame.
Unwound unwind_switched_out(const Kernel& k, const Task& t, const InactiveFrame& f,
                            const std::optional<PtRegs>& user_regs, size_t max_frames = 32);
// A running task (or any code on a known stack) from live registers.
Unwound unwind_live(const Kernel& k, const Task* t, u64 rip, u64 rsp, u64 rbp,
                    const std::optional<PtRegs>& user_regs, size_t max_frames = 32);

}  // namespace sy::guest
