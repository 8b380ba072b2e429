// The task list, read the way the descriptor's header says: every task_struct
// on task_list, its fields at the descriptor's offsets. A Task is a copy of
// what guest memory held when it was read.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "kernel.h"

namespace sy::guest {

struct Task {
    u64 addr = 0;  // the task_struct
    int pid = 0;
    std::string name;      // comm
    long state = 0;        // TASK_* (the descriptor gives the values)
    int exit_state = 0;    // 0, EXIT_ZOMBIE or EXIT_DEAD
    u32 flags = 0;         // PF_*
    int on_cpu = 0;        // 1 while running or switching away
    int cpu = 0;           // its CPU (kernel numbering)
    u64 stack = 0;         // lowest address of its kernel stack; 0 once freed
    u64 stack_size = 0;    // THREAD_SIZE
    u64 saved_rsp = 0;     // thread.sp: where its inactive_task_frame is while switched out
    u64 mm = 0, active_mm = 0;
    u64 stack_canary = 0;
    u64 fsbase = 0, gsbase = 0;  // thread.fsbase / thread.gsbase
    u64 ti_flags = 0;
    u64 nvcsw = 0, nivcsw = 0;
    int parent_pid = -1;
    std::string blocked_on;  // what it sleeps on
    // The kernel CPU whose per-CPU current_task is this task.
    std::optional<unsigned> current_on;

    bool kthread(const Descriptor& d) const { return flags & d.pf_kthread; }
    bool idle(const Descriptor& d) const { return flags & d.pf_idle; }
    bool user(const Descriptor& d) const { return mm != 0; }
    u64 stack_top() const { return stack + stack_size; }
    bool stack_contains(u64 a) const { return stack && a >= stack && a < stack_top(); }
    // "running", "runnable", "sleeping", "uninterruptible", "zombie", "dead", "idle".
    std::string state_name(const Descriptor& d) const;
};

// Every task on task_list, in list order (init_task first). Stops after
// `limit` entries or at a broken link.
std::vector<Task> read_tasks(const Kernel& k, size_t limit = 4096);
std::optional<Task> read_task(const Kernel& k, u64 task);
// The per-CPU current_task of kernel CPU `kcpu`.
u64 current_task(const Kernel& k, unsigned kcpu);

// Finds a task by its task_struct address or by the stack holding `addr`.
const Task* find_task(const std::vector<Task>& tasks, u64 task_struct);
const Task* task_with_stack(const std::vector<Task>& tasks, u64 addr);
const Task* find_pid(const std::vector<Task>& tasks, int pid);

// The physical root (a CR3 value) of a task's address space: its mm's pgd,
// or the kernel's for a kernel thread (which borrows whatever is loaded).
u64 task_cr3(const Kernel& k, const Task& t);

}  // namespace sy::guest
