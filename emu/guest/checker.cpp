// The switch and entry invariants (checker.h).
#include "checker.h"

#include <cstdio>

#include "frames.h"

namespace sy::guest {

namespace {

std::string hex(u64 v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    return buf;
}

bool canonical(u64 a) { return u64(i64(a << 16) >> 16) == a; }

}  // namespace

std::string Checker::describe(u64 task) const {
    auto t = read_task(k_, task);
    if (!t) return "task " + hex(task);
    return "pid " + std::to_string(t->pid) + " (" + t->name + ")";
}

std::optional<u64> Checker::percpu_of(const Cpu& cpu) const {
    auto kcpu = k_.cpu_of_apic(cpu.apic_id);
    if (!kcpu) return std::nullopt;
    return k_.percpu(*kcpu);
}

std::optional<u64> Checker::tss_rsp0(const Cpu& cpu) const {
    const u64 cr3 = cpu.sys.cr3 & ~0xFFFull, at = cpu.sys.tr.base + k_.d().percpu.tss_sp0;
    if (k_.ptr_size() == 4) return k_.memory().get<u32>(cr3, at);  // the i386 build's 32-bit TSS: ESP0
    return k_.memory().get<u64>(cr3, at);
}

Violation Checker::at_switch_ret(const Cpu& cpu, u64 prev, u64 next) const {
    const Descriptor& d = k_.d();
    auto n = read_task(k_, next);
    if (!n) return "the task being switched to (" + hex(next) + ") cannot be read";
    const std::string who = "next, " + describe(next) + ",";
    const u64 rsp = cpu.s.gpr[RSP];
    // The ret that ends the switch: __switch_to's under linux (and linux26),
    // the model's end routine's under the others (debug descriptor version 3).
    const unsigned model = k_.switch_model();
    const std::string end = model == SY_SWITCH_LINUX ? "__switch_to" : k_.symbols().format(d.models[model].end);
    if (!n->stack_contains(rsp))
        return "RSP " + hex(rsp) + " at the ret of " + end + " is not inside the stack of " + who + " [" +
               hex(n->stack) + ", " + hex(n->stack_top()) + ")";
    const bool x86_64 = k_.ptr_size() == 8;  // the i386 build: switch_end_rsp() knows its switch_to
    if (model == SY_SWITCH_LINUX && x86_64 && rsp != n->saved_rsp + d.frame.ret_addr)
        return "RSP " + hex(rsp) + " at the ret of __switch_to is not at the ret_addr of the inactive_task_frame of " +
               who + " thread.sp + " + std::to_string(d.frame.ret_addr) + " = " + hex(n->saved_rsp + d.frame.ret_addr) +
               ": the pushes and pops of the switch do not balance";
    if ((model != SY_SWITCH_LINUX || !x86_64) && rsp != switch_end_rsp(k_, *n))
        return "RSP " + hex(rsp) + " at the ret of " + end + " is not where the " + k_.switch_model_name() +
               " model keeps the resume PC of " + who + " " + hex(switch_end_rsp(k_, *n)) +
               ": the pushes and pops of the switch do not balance";
    u64 ret = x86_64 ? k_.memory().get<u64>(cpu.sys.cr3 & ~0xFFFull, rsp).value_or(0)
                     : k_.memory().get<u32>(cpu.sys.cr3 & ~0xFFFull, rsp).value_or(0);
    if (!canonical(ret) || !k_.in_kernel_text(ret))
        return "the ret_addr that " + end + "'s ret is about to pop, " + hex(ret) +
               (canonical(ret) ? ", is outside kernel text" : ", is not canonical");
    auto kcpu = k_.cpu_of_apic(cpu.apic_id);
    if (!kcpu) return "this CPU (APIC ID " + std::to_string(cpu.apic_id) + ") has no per-CPU area";
    u64 pc = k_.percpu(*kcpu);
    u64 cur = current_task(k_, *kcpu);
    if (cur != next)
        return "the per-CPU current_task of cpu" + std::to_string(*kcpu) + " is " + describe(cur) + ", not " + who +
               " at the end of the switch";
    auto rsp0 = tss_rsp0(cpu);
    if (!rsp0 || *rsp0 != n->stack_top())
        return "TSS.RSP0 of cpu" + std::to_string(*kcpu) + " is " + (rsp0 ? hex(*rsp0) : "unreadable") +
               ", not the top of the stack of " + who + " " + hex(n->stack_top()) +
               ": the next interrupt from user mode would land on another task's stack";
    u64 top = k_.ptr_at(pc + d.percpu.top_of_stack);
    if (top != n->stack_top())
        return "the per-CPU top_of_stack of cpu" + std::to_string(*kcpu) + " is " + hex(top) +
               ", not the top of the stack of " + who + " " + hex(n->stack_top()) +
               ": the next system call would run on another task's stack";
    u64 canary = k_.ptr_at(pc + d.percpu.stack_canary);
    if (canary != n->stack_canary)
        return "the stack canary at %gs:" + std::to_string(d.percpu.stack_canary) + " is " + hex(canary) +
               ", not the stack_canary of " + who + " " + hex(n->stack_canary) +
               ": its stack-protected functions will fail their check when they return";
    // FS/GS bases and SWAPGS are x86-64's; the i386 build's TLS is a GDT entry.
    if (!x86_64) return std::nullopt;
    if (cpu.sys.seg[FS].base != n->fsbase)
        return "FS base is " + hex(cpu.sys.seg[FS].base) + ", not the thread.fsbase of " + who + " " + hex(n->fsbase) +
               ": its thread-local storage would be another task's";
    if (cpu.sys.kernel_gs_base != n->gsbase)
        return "KERNEL_GS_BASE is " + hex(cpu.sys.kernel_gs_base) + ", not the thread.gsbase of " + who + " " +
               hex(n->gsbase) + ": SWAPGS on the way to user mode would give it another GS base";
    if (cpu.sys.seg[GS].base != pc)
        return "GS base is " + hex(cpu.sys.seg[GS].base) + ", not the per-CPU area of cpu" + std::to_string(*kcpu) +
               " " + hex(pc) + " in the middle of the kernel";
    u64 want_cr3 = task_cr3(k_, *n);
    if (want_cr3 && (cpu.sys.cr3 & ~0xFFFull) != want_cr3)
        return "CR3 is " + hex(cpu.sys.cr3) + ", not the address space of " + who + " " + hex(want_cr3);
    (void)prev;
    return std::nullopt;
}

Violation Checker::at_kernel_entry(const Cpu& cpu, int vector) const {
    const Descriptor& d = k_.d();
    auto kcpu = k_.cpu_of_apic(cpu.apic_id);
    if (!kcpu) return std::nullopt;  // not a CPU the kernel runs on yet
    u64 cur = current_task(k_, *kcpu);
    auto t = read_task(k_, cur);
    if (!t || !t->stack) return std::nullopt;
    const std::string what = vector < 0 ? std::string("SYSCALL") : "the entry for vector " + std::to_string(vector);
    const std::string who = "current, " + describe(cur) + ",";
    auto rsp0 = tss_rsp0(cpu);
    if (!rsp0 || *rsp0 != t->stack_top())
        return "TSS.RSP0 of cpu" + std::to_string(*kcpu) + " is " + (rsp0 ? hex(*rsp0) : "unreadable") + " at " + what +
               " from user mode, not the top of the stack of " + who + " " + hex(t->stack_top());
    u64 top = k_.ptr_at(k_.percpu(*kcpu) + d.percpu.top_of_stack);
    if (top != t->stack_top())
        return "the per-CPU top_of_stack of cpu" + std::to_string(*kcpu) + " is " + hex(top) + " at " + what +
               " from user mode, not the top of the stack of " + who + " " + hex(t->stack_top());
    // IST vectors (NMI, #DF) run on their own stacks; the rest on RSP0's.
    u64 rsp = cpu.s.gpr[RSP];
    if (vector >= 0 && !t->stack_contains(rsp)) {
        u64 gate[2] = {};
        k_.memory().read(cpu.sys.cr3 & ~0xFFFull, cpu.sys.idtr.base + 16 * u64(vector), gate, sizeof gate);
        bool ist = k_.ptr_size() == 8 && ((gate[0] >> 32) & 7);  // no IST in the i386 build
        if (!ist)
            return "RSP " + hex(rsp) + " after " + what + " from user mode is not on the stack of " + who + " [" +
                   hex(t->stack) + ", " + hex(t->stack_top()) + ")";
    }
    return std::nullopt;
}

Violation Checker::at_gs_access(const Cpu& cpu, u64 entry_rip) const {
    if (k_.ptr_size() != 8) return std::nullopt;  // the i386 kernel reaches its per-CPU area through FS
    auto pc = percpu_of(cpu);
    if (!pc || cpu.sys.seg[GS].base == *pc) return std::nullopt;
    std::string where = k_.symbols().format(cpu.s.rip);
    std::string entry = entry_rip ? " since the entry from user mode at " + hex(entry_rip) + " (" +
                                        k_.symbols().format(entry_rip) + ")"
                                  : "";
    return "kernel code at " + hex(cpu.s.rip) + (where.empty() ? "" : " (" + where + ")") +
           " accesses memory through GS with GS base " + hex(cpu.sys.seg[GS].base) +
           ", not this CPU's per-CPU area " + hex(*pc) + ": a SWAPGS is missing" + entry;
}

}  // namespace sy::guest
