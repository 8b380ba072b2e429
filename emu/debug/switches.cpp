// The switch tracker (switches.h).
#include "switches.h"

namespace sy::debug {

SwitchRegs sample_switch_regs(const guest::Kernel& k, const Cpu& cpu) {
    SwitchRegs r;
    guest::Checker chk(k);
    r.tss_rsp0 = chk.tss_rsp0(cpu);
    r.cr3 = cpu.sys.cr3 & ~0xFFFull;
    r.fs_base = cpu.sys.seg[FS].base;
    r.gs_base = cpu.sys.seg[GS].base;
    r.kernel_gs_base = cpu.sys.kernel_gs_base;
    if (auto kcpu = k.cpu_of_apic(cpu.apic_id)) {
        u64 pc = k.percpu(*kcpu);
        r.current_task = k.ptr_at(pc + k.d().percpu.current_task);
        r.stack_canary = k.ptr_at(pc + k.d().percpu.stack_canary);
        r.top_of_stack = k.ptr_at(pc + k.d().percpu.top_of_stack);
    }
    return r;
}

void SwitchTracker::entered(const guest::Kernel& k, unsigned cpu, const Cpu& c) {
    SwitchInProgress s;
    // RDI = prev, RSI = next; the i386 switch_to has them in EAX and EDX.
    const bool i386 = k.ptr_size() == 4;
    s.prev = i386 ? u32(c.s.gpr[RAX]) : c.s.gpr[RDI];
    s.next = i386 ? u32(c.s.gpr[RDX]) : c.s.gpr[RSI];
    if (auto t = guest::read_task(k, s.prev)) s.prev_pid = t->pid, s.prev_name = t->name;
    if (auto t = guest::read_task(k, s.next)) s.next_pid = t->pid, s.next_name = t->name;
    s.entry_cycle = c.cycles;
    s.entry_rsp = c.s.gpr[RSP];
    s.before = sample_switch_regs(k, c);
    // context_switch() loaded next's address space before the call: what prev
    // ran in is its own mm (or the one it borrowed).
    if (auto t = guest::read_task(k, s.prev)) s.before.cr3 = guest::task_cr3(k, *t);
    current_[cpu] = std::move(s);
}

const SwitchRecord& SwitchTracker::at_ret(const guest::Kernel& k, unsigned cpu, const Cpu& c) {
    SwitchRecord r;
    r.cycle = c.cycles;
    r.insns = c.insns;
    r.cpu = cpu;
    const u64 rsp = c.s.gpr[RSP];
    r.ret_addr = k.ptr_size() == 4 ? k.memory().get<u32>(c.sys.cr3 & ~0xFFFull, rsp).value_or(0)
                                   : k.memory().get<u64>(c.sys.cr3 & ~0xFFFull, rsp).value_or(0);
    r.ret_sym = k.symbols().format(r.ret_addr);
    if (!current_[cpu]) {
        // Attached in the middle of a switch: next is the task whose stack RSP
        // is on; prev is unknown.
        SwitchInProgress s;
        for (const guest::Task& t : guest::read_tasks(k))
            if (t.stack_contains(rsp)) s.next = t.addr, s.next_pid = t.pid, s.next_name = t.name;
        s.before = sample_switch_regs(k, c);
        current_[cpu] = std::move(s);
    }
    SwitchInProgress& s = *current_[cpu];
    s.at_ret = true;
    s.ret_addr = r.ret_addr;
    r.prev = s.prev, r.next = s.next;
    r.prev_pid = s.prev_pid, r.next_pid = s.next_pid;
    r.prev_name = s.prev_name, r.next_name = s.next_name;
    log_.push_back(std::move(r));
    last_ret_[cpu] = log_.size();
    return log_.back();
}

void SwitchTracker::set_cost(unsigned cpu, const SwitchCost& c) {
    if (!last_ret_[cpu]) return;
    SwitchRecord& r = log_[last_ret_[cpu] - 1];
    if (!r.cost) r.cost = c;
}

}  // namespace sy::debug
