// The anatomy of one context switch, as the switch model the kernel runs
// performs it: the model's sequence of steps, named as the seed article of
// that model names them (../shared/seeds/: 001 for linux, 000 for linux26,
// 004 for xv6, 002 for solaris), each step the guest code that performs it,
// and which step a CPU is at.
//
// Nothing here is a script: each step's instructions are found by decoding
// the routines the kernel's descriptor names (the call of the switch in
// __schedule, the model's switch routine, __switch_to, the end routine and
// where next resumes) from guest memory, by what they do: the instruction
// that stores RSP, the one that loads it, the call or jump to __switch_to,
// the `ret`s. A CPU is at the step whose instructions contain its RIP (the
// narrowest one, so a `ret` inside a routine is its own step); under xv6,
// where swtch runs twice per switch, also by whether RSP is on a task's stack
// or on the CPU's scheduler thread's.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "guest/kernel.h"
#include "guest/tasks.h"

namespace sy::debug {

struct AnatomyStep {
    std::string name;  // "__switch_to_asm: push prev's callee-saved registers"
    std::string what;  // one sentence: what it does, in the article's terms
    std::vector<std::pair<u64, u64>> ranges;  // the instructions, [start, end)
    enum class Stack { Any, Task, Scheduler } stack = Stack::Any;  // where RSP is during it
};

struct Anatomy {
    std::string model;  // "linux", "linux26", "xv6", "solaris"
    std::string seed;   // "seed 001: modern Linux x86-64 (inactive_task_frame)"
    std::vector<AnatomyStep> steps;
    int current = -1;   // the step CPU `cpu` is at; -1: none
    unsigned cpu = 0;
    std::string inside; // RIP is in this routine, called from the current step ("switch_fpu_prepare")
};

// The running model's steps (empty if the kernel has no version 3 descriptor
// for it, or its code cannot be read).
Anatomy switch_steps(const guest::Kernel& k);
// The step an instruction at `rip` with stack pointer `rsp` is in (-1: none).
int step_at(const Anatomy& a, u64 rip, bool rsp_on_task_stack);
// True if the instruction that ends at `ret` is a direct call of the routine
// that contains `callee` (a return address that frame pointers found is
// trusted only then: a routine without a frame of its own hides its caller).
bool calls(const guest::Kernel& k, u64 ret, u64 callee);

}  // namespace sy::debug
