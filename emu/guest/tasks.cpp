// The task list (descriptor header: "Walking the tasks").
#include "tasks.h"

namespace sy::guest {

std::string Task::state_name(const Descriptor& d) const {
    if (exit_state == int(d.exit_zombie)) return "zombie";
    if (exit_state == int(d.exit_dead) || state == long(d.task_dead)) return "dead";
    if (current_on) return idle(d) ? "idle" : "running";
    if (idle(d)) return "idle";
    if (state == long(d.task_running)) return "runnable";
    if (state & long(d.task_uninterruptible)) return "uninterruptible";
    if (state & long(d.task_interruptible)) return "sleeping";
    return "state " + std::to_string(state);
}

u64 current_task(const Kernel& k, unsigned kcpu) { return k.ptr_at(k.percpu(kcpu) + k.d().percpu.current_task); }

std::optional<Task> read_task(const Kernel& k, u64 addr) {
    const Descriptor& d = k.d();
    std::vector<u8> raw(d.task.size);
    if (raw.empty() || k.read(addr, raw.data(), raw.size()) != raw.size()) return std::nullopt;
    auto field = [&](u32 off, size_t n) -> u64 {
        u64 v = 0;
        if (off + n <= raw.size()) std::memcpy(&v, raw.data() + off, n);
        return v;
    };
    const size_t L = k.ptr_size();  // a long or a pointer: 8 bytes, 4 in the i386 build
    Task t;
    t.addr = addr;
    t.pid = int(field(d.task.pid, 4));
    size_t len = std::min<size_t>(d.task.comm_len, raw.size() - std::min<size_t>(d.task.comm, raw.size()));
    t.name.assign(reinterpret_cast<const char*>(raw.data() + d.task.comm), len);
    if (auto z = t.name.find('\0'); z != std::string::npos) t.name.resize(z);
    t.state = long(i64(field(d.task.state, L) << (64 - 8 * L)) >> (64 - 8 * L));  // sign-extended
    t.exit_state = int(field(d.task.exit_state, 4));
    t.flags = u32(field(d.task.flags, 4));
    t.on_cpu = int(field(d.task.on_cpu, 4));
    t.cpu = int(field(d.task.cpu, 4));
    t.stack = field(d.task.stack, L);
    t.stack_size = d.thread_size;
    t.saved_rsp = field(d.task.thread_sp, L);
    t.mm = field(d.task.mm, L);
    t.active_mm = field(d.task.active_mm, L);
    t.stack_canary = field(d.task.stack_canary, L);
    t.fsbase = field(d.task.thread_fsbase, L);
    t.gsbase = field(d.task.thread_gsbase, L);
    t.ti_flags = field(d.task.ti_flags, L);
    t.nvcsw = field(d.task.nvcsw, L);
    t.nivcsw = field(d.task.nivcsw, L);
    if (u64 parent = field(d.task.parent, L)) t.parent_pid = k.get<int>(parent + d.task.pid).value_or(-1);
    if (u64 why = field(d.task.blocked_on, L)) t.blocked_on = k.string_at(why, 32);
    for (unsigned c = 0; c < k.nr_cpus(); ++c)
        if (current_task(k, c) == addr) t.current_on = c;
    return t;
}

std::vector<Task> read_tasks(const Kernel& k, size_t limit) {
    const Descriptor& d = k.d();
    std::vector<Task> out;
    u64 head = d.task_list;
    u64 p = k.ptr_at(head + d.list_next);
    while (p && p != head && out.size() < limit) {
        auto t = read_task(k, p - d.task.tasks);
        if (!t) break;
        out.push_back(std::move(*t));
        p = k.ptr_at(p + d.list_next);
    }
    return out;
}

const Task* find_task(const std::vector<Task>& tasks, u64 task_struct) {
    for (const Task& t : tasks)
        if (t.addr == task_struct) return &t;
    return nullptr;
}

const Task* task_with_stack(const std::vector<Task>& tasks, u64 addr) {
    for (const Task& t : tasks)
        if (t.stack_contains(addr)) return &t;
    return nullptr;
}

const Task* find_pid(const std::vector<Task>& tasks, int pid) {
    for (const Task& t : tasks)
        if (t.pid == pid) return &t;
    return nullptr;
}

u64 task_cr3(const Kernel& k, const Task& t) {
    const Descriptor& d = k.d();
    u64 mm = t.mm ? t.mm : t.active_mm;
    if (!mm) return k.kernel_cr3();
    u64 pgd = k.ptr_at(mm + d.mm.pgd);
    auto pa = pgd ? k.direct_phys(pgd) : std::nullopt;
    return pa.value_or(k.kernel_cr3());
}

}  // namespace sy::guest
