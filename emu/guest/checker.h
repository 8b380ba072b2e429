// The invariants of the context switch and of kernel entry, checked against
// what the CPU holds and what the kernel's own structures say. Each check
// returns nothing when the invariant holds, or one sentence naming what broke
// (for the debugger's stop message and `switchyard run --check`).
//
// At the `ret` of __switch_to (RSP at next's ret_addr, about to pop it):
//   RSP is inside next's stack, at next's inactive_task_frame.ret_addr;
//   ret_addr is canonical and inside kernel text;
//   the per-CPU current_task is next;
//   TSS.RSP0 (read through TR, as the CPU will) and top_of_stack are the top
//   of next's stack;
//   %gs:stack_canary is next's stack_canary;
//   FS base is next's thread.fsbase, KERNEL_GS_BASE its thread.gsbase, GS
//   base this CPU's per-CPU area, CR3 next's address space.
// At a kernel entry from ring 3 (the first instruction of the handler):
//   TSS.RSP0 and top_of_stack are the top of current's stack; after an
//   interrupt or exception RSP is on current's stack.
// While kernel code runs with a GS base that is not this CPU's per-CPU area
// (between an entry's first instruction and its SWAPGS, or after a SWAPGS
// too many): no instruction may access memory through GS.
#pragma once
#include <optional>
#include <string>

#include "cpu.h"
#include "frames.h"

namespace sy::guest {

using Violation = std::optional<std::string>;

class Checker {
public:
    explicit Checker(const Kernel& k) : k_(k) {}

    // `prev` and `next` are task_struct addresses (the debugger saw them in
    // RDI and RSI at __switch_to_asm's entry); `prev` may be 0 if unknown.
    Violation at_switch_ret(const Cpu& cpu, u64 prev, u64 next) const;
    // `vector` is the exception or interrupt delivered, or -1 for SYSCALL.
    Violation at_kernel_entry(const Cpu& cpu, int vector) const;
    // Before an instruction of kernel code that addresses memory through GS.
    Violation at_gs_access(const Cpu& cpu, u64 entry_rip) const;

    // This CPU's per-CPU area (its GS base in the kernel), if the kernel has
    // set one up for it.
    std::optional<u64> percpu_of(const Cpu& cpu) const;
    // TSS.RSP0 as the CPU would read it (TR's base + the descriptor's offset).
    std::optional<u64> tss_rsp0(const Cpu& cpu) const;
    // "pid 3 (spin)".
    std::string describe(u64 task) const;

private:
    const Kernel& k_;
};

}  // namespace sy::guest
