// Tasks and processors as gdb threads (threads.h).
#include "threads.h"

#include <algorithm>

#include "model.h"

namespace sy::gdb {

namespace {

std::string xml_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '<') o += "&lt;";
        else if (c == '>') o += "&gt;";
        else if (c == '&') o += "&amp;";
        else if (c == '"') o += "&quot;";
        else if (static_cast<unsigned char>(c) < 0x20) o += ' ';
        else o += c;
    }
    return o;
}

std::vector<Thread> processor_threads(Machine& m) {
    std::vector<Thread> ts;
    for (unsigned n = 0; n < m.cpu_count(); ++n) {
        const Cpu& c = m.cpu(n);
        Thread t;
        t.id = n + 1;
        t.name = "cpu" + std::to_string(n);
        t.state = m.waiting_for_sipi(n) ? "waiting for SIPI" : c.halted ? "halted" : "running";
        t.cpu = int(n);
        t.core = int(n);
        t.cr3 = c.sys.cr3;
        t.extra = t.state + ", cpu " + std::to_string(n);
        t.regs = cpu_registers(c);
        ts.push_back(std::move(t));
    }
    return ts;
}

}  // namespace

std::vector<Thread> read_threads(debug::Debugger& d) {
    Machine& m = d.machine();
    const guest::Kernel* k = d.kernel();
    if (!k) return processor_threads(m);
    debug::ModelOptions o;
    o.max_slots = 0;  // the stacks' slots are the GUI's; gdb reads memory itself
    o.slots_below_rsp = 0;
    debug::Model model = debug::build_model(m, k, &d.switches(), o);
    // Until the kernel runs a task on some CPU (early boot: no per-CPU
    // current_task yet), its task list says nothing about the processors:
    // they are the threads.
    if (std::none_of(model.tasks.begin(), model.tasks.end(), [](const debug::TaskView& t) { return t.on_cpu >= 0; }))
        return processor_threads(m);
    const guest::Descriptor& desc = k->d();
    std::vector<Thread> ts;
    for (const debug::TaskView& tv : model.tasks) {
        const guest::Task& task = tv.task;
        Thread t;
        t.pid = task.pid;
        t.id = task.idle(desc) && task.cpu > 0 ? kIdleBase + u64(task.cpu) : u64(task.pid) + 1;
        t.name = task.name;
        t.state = tv.state;
        // Its kernel CPU as a machine CPU.
        t.core = task.cpu;
        for (const debug::CpuView& v : model.cpus)
            if (v.kcpu && int(*v.kcpu) == task.cpu) t.core = int(v.index);
        t.cr3 = tv.cr3;
        // A task being switched to, once the CPU's RSP is in its stack (from
        // the load of next's RSP to the ret that ends the switch), runs on
        // that CPU too: it gets the CPU's registers, so that a stop there
        // names a thread and gdb unwinds the stack the CPU is on. (prev, its
        // frame saved, is switched out from that instruction on.)
        const bool switching_in = tv.switched_out && tv.on_cpu >= 0 && tv.rsp_cpu == tv.on_cpu;
        if (tv.on_cpu >= 0 && (!tv.switched_out || switching_in)) {
            const Cpu& c = m.cpu(unsigned(tv.on_cpu));
            t.cpu = tv.on_cpu;
            t.core = tv.on_cpu;
            t.cr3 = c.sys.cr3;
            t.regs = cpu_registers(c);
        } else if (tv.frames.frame) {
            const guest::InactiveFrame& f = *tv.frames.frame;
            SavedFrame s{f.ret_addr, f.sp_after(desc), f.rbx, f.rbp, f.r12, f.r13, f.r14, f.r15};
            if (k->switch_model() == SY_SWITCH_LINUX26) {
                // 2.6 keeps only RBP and RFLAGS at thread.sp (popped after
                // thread_return). At thread_return RBP is the task itself
                // (the switching CPU's SAVE_CONTEXT moved next there) and the
                // callee-saved registers are whatever __switch_to left: gdb
                // finds the task's own in __schedule's frame by unwinding.
                s.rbp = task.addr;
                s.callee_saved = false;
            }
            t.regs = frame_registers(s);
        }
        t.extra = t.state + ", cpu " + std::to_string(t.core);
        if (tv.frames.never_ran) t.extra += ", never ran";
        ts.push_back(std::move(t));
    }
    return ts;
}

const Thread* thread_on_cpu(const std::vector<Thread>& ts, unsigned cpu) {
    for (const Thread& t : ts)
        if (t.cpu == int(cpu)) return &t;
    return nullptr;
}

const Thread* find_thread(const std::vector<Thread>& ts, u64 id) {
    for (const Thread& t : ts)
        if (t.id == id) return &t;
    return nullptr;
}

std::string threads_xml(const std::vector<Thread>& ts) {
    std::string x = "<?xml version=\"1.0\"?>\n<threads>\n";
    for (const Thread& t : ts) {
        std::string name = t.pid >= 0 ? t.name + " (pid " + std::to_string(t.pid) + ")" : t.name;
        char id[32];
        std::snprintf(id, sizeof id, "%llx", (unsigned long long)t.id);
        x += std::string("<thread id=\"") + id + "\" core=\"" + std::to_string(t.core) + "\" name=\"" +
             xml_escape(name) + "\">" + xml_escape(t.extra) + "</thread>\n";
    }
    x += "</threads>\n";
    return x;
}

}  // namespace sy::gdb
