// Building the panels' model (model.h).
#include "model.h"

#include <algorithm>
#include <cstdio>

namespace sy::debug {

std::string hex(u64 v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    return buf;
}

namespace {

SegmentView seg_view(const char* name, const SegCache& s) {
    return {name, s.sel, s.base, s.limit, s.attr, s.dpl(), s.present()};
}

bool in_routine(const guest::Kernel& k, u64 start, u64 rip) {
    Symbols::Range r = k.routine(start);
    return rip >= r.start && rip < r.end;
}

}  // namespace

CpuView cpu_view(Machine& m, unsigned n, const guest::Kernel* k) {
    const Cpu& c = m.cpu(n);
    CpuView v;
    v.index = n;
    v.apic_id = c.apic_id;
    v.halted = c.halted;
    v.waiting_sipi = m.waiting_for_sipi(n);
    std::copy(c.s.gpr, c.s.gpr + 16, v.gpr);
    v.rip = c.s.rip;
    v.rflags = c.s.rflags;
    v.cpl = c.cpl();
    v.mode = mode_name(c.mode());
    static const char* const kNames[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
    for (int s = 0; s < 6; ++s) v.seg[s] = seg_view(kNames[s], c.sys.seg[s]);
    v.ldtr = seg_view("ldtr", c.sys.ldtr);
    v.tr = seg_view("tr", c.sys.tr);
    v.gdtr_base = c.sys.gdtr.base, v.gdtr_limit = c.sys.gdtr.limit;
    v.idtr_base = c.sys.idtr.base, v.idtr_limit = c.sys.idtr.limit;
    v.fs_base = c.sys.seg[FS].base;
    v.gs_base = c.sys.seg[GS].base;
    v.kernel_gs_base = c.sys.kernel_gs_base;
    v.cr0 = c.sys.cr0, v.cr2 = c.sys.cr2, v.cr3 = c.sys.cr3, v.cr4 = c.sys.cr4, v.efer = c.sys.efer;
    v.cycles = c.cycles;
    v.insns = c.insns;
    // The 64-bit TSS: RSP0 at offset 4, IST1-7 at 36 (SDM Vol. 3A, Figure 8-11),
    // read through TR's base like the CPU does.
    guest::CpuMemory mem(c);
    if (c.sys.tr.present() && c.sys.tr.limit >= 0x67 && !(c.sys.efer & efer::LMA)) {
        // The 32-bit TSS (Figure 8-2): ESP0 at offset 4, no IST.
        v.tss_rsp0 = mem.get<u32>(c.sys.cr3 & ~0xFFFull, c.sys.tr.base + 4);
    } else if (c.sys.tr.present() && c.sys.tr.limit >= 0x67) {
        v.tss_rsp0 = mem.get<u64>(c.sys.cr3 & ~0xFFFull, c.sys.tr.base + 4);
        for (int i = 0; i < 7; ++i)
            v.tss_ist[i] = mem.get<u64>(c.sys.cr3 & ~0xFFFull, c.sys.tr.base + 36 + 8 * i).value_or(0);
    }
    if (k) {
        v.rip_sym = k->symbols().format(c.s.rip);
        v.kcpu = k->cpu_of_apic(c.apic_id);
        if (v.kcpu) {
            v.percpu = k->percpu(*v.kcpu);
            v.current_task = guest::current_task(*k, *v.kcpu);
        }
    }
    return v;
}

Model build_model(Machine& m, const guest::Kernel* k, const SwitchTracker* sw, const ModelOptions& o) {
    Model model;
    model.now = m.now();
    for (unsigned n = 0; n < m.cpu_count(); ++n) model.cpus.push_back(cpu_view(m, n, k));
    if (sw && o.with_log) model.log = sw->log();
    if (!k) {
        model.kernel_note = "no kernel descriptor: CPU state only";
        return model;
    }
    model.kernel_known = true;
    const guest::Descriptor& d = k->d();
    model.switch_model = k->switch_model_name();
    for (const guest::SchedulerThread& st : guest::read_scheduler_threads(*k)) model.scheduler_threads.push_back(st);
    model.lab_breaks = k->get<int>(d.lab_breaks).value_or(0);
    std::vector<guest::Task> tasks = guest::read_tasks(*k);
    if (tasks.empty()) model.kernel_note = "the kernel has no tasks yet";

    // Each CPU: whose stack RSP is on, and where it is.
    for (CpuView& v : model.cpus) {
        const Cpu& c = m.cpu(v.index);
        if (const guest::Task* t = guest::task_with_stack(tasks, c.s.gpr[RSP])) v.rsp_pid = t->pid;
        if (const guest::Task* t = guest::find_task(tasks, v.current_task)) v.current_pid = t->pid;
        if (v.waiting_sipi) v.where = "waiting for SIPI";
        else if (v.halted) v.where = "halted";
        else if (v.cpl == 3) v.where = "user mode";
        else if (in_routine(*k, d.sym_switch_to_asm, v.rip)) v.where = "__switch_to_asm";
        else if (in_routine(*k, d.sym_switch_to, v.rip)) v.where = "__switch_to";
        else if (k->in_switch_code(v.rip)) v.where = v.rip_sym;
        else v.where = v.rip_sym.empty() ? "kernel" : v.rip_sym;
    }

    // The switch in progress, per CPU.
    struct Progress {
        unsigned cpu;
        const SwitchInProgress* s;
    };
    std::vector<Progress> progress;
    // A record counts while its CPU is still inside the model's switch code:
    // once the ret has popped next's resume PC, next just runs. (xv6 enters
    // swtch again for the next switch before that switch's beginning at
    // __switch_to, and its first ret returns into the scheduler thread: a
    // record whose ret was reached is over unless the CPU is at that ret, on
    // next's stack.)
    if (sw)
        for (unsigned n = 0; n < m.cpu_count(); ++n)
            if (const auto& s = sw->in_progress(n)) {
                const Cpu& c = m.cpu(n);
                const guest::Task* next = guest::find_task(tasks, s->next);
                const bool at_its_ret = k->is_switch_end(c.s.rip) && next && next->stack_contains(c.s.gpr[RSP]);
                if (k->in_switch_code(c.s.rip) && (!s->at_ret || at_its_ret)) progress.push_back({n, &*s});
            }
    // The switch view shows progress.front(): the followed CPU's switch, else
    // one at the ret that ends it (where run-to-switch stops), else CPU order.
    std::stable_sort(progress.begin(), progress.end(), [&](const Progress& a, const Progress& b) {
        auto rank = [&](const Progress& p) { return o.focus_cpu == p.cpu ? 0 : p.s->at_ret ? 1 : 2; };
        return rank(a) < rank(b);
    });

    for (const guest::Task& t : tasks) {
        TaskView tv;
        tv.task = t;
        tv.state = t.state_name(d);
        tv.cr3 = guest::task_cr3(*k, t);
        const Progress* as_next = nullptr;
        const Progress* as_prev = nullptr;
        for (const Progress& p : progress) {
            if (p.s->next == t.addr) as_next = &p;
            if (p.s->prev == t.addr) as_prev = &p;
        }
        for (const CpuView& v : model.cpus) {
            if (v.current_task == t.addr && !v.waiting_sipi) tv.on_cpu = int(v.index);
            if (t.stack_contains(v.gpr[RSP]) && !v.waiting_sipi) tv.rsp_cpu = int(v.index), tv.rsp = v.gpr[RSP];
        }
        // Switched out: what it saved is what it resumes from. Not a task that
        // switches away saving nothing (solaris: a dead one, in
        // resume_from_zombie on some CPU or already gone): its saved place is
        // stale, whatever RSP and current_task say.
        if (as_next) tv.switched_out = true;  // its frame is being popped
        else if (!guest::switch_saves(*k, t)) tv.switched_out = false;
        else if (as_prev) tv.switched_out = !t.stack_contains(m.cpu(as_prev->cpu).s.gpr[RSP]);
        else tv.switched_out = !t.current_on;
        if (as_next) tv.on_cpu = int(as_next->cpu);
        tv.frames = guest::read_frames(*k, t, tv.switched_out);
        tv.resume_sp_at_end = guest::switch_end_rsp(*k, t);
        // The slot holding the resume PC, where the model keeps it on the stack
        // (linux26 keeps none; Solaris keeps it in the task's label_t).
        if (tv.frames.frame && t.stack_contains(tv.frames.frame->ret_addr_slot(d)))
            tv.ret_slot = tv.frames.frame->ret_addr_slot(d);
        if (as_next && as_next->s->at_ret && tv.resume_sp_at_end == m.cpu(as_next->cpu).s.gpr[RSP]) tv.popping = true;

        // Backtrace: from the saved frame, or from the CPU running on this stack.
        if (tv.switched_out && tv.frames.frame) {
            tv.backtrace = guest::unwind_switched_out(*k, t, *tv.frames.frame, tv.frames.user_regs);
        } else if (tv.rsp_cpu >= 0 && m.cpu(unsigned(tv.rsp_cpu)).cpl() == 0) {
            const Cpu& c = m.cpu(unsigned(tv.rsp_cpu));
            tv.backtrace = guest::unwind_live(*k, &t, c.s.rip, c.s.gpr[RSP], c.s.gpr[RBP], tv.frames.user_regs);
        } else if (tv.on_cpu >= 0 && m.cpu(unsigned(tv.on_cpu)).cpl() == 3) {
            const Cpu& c = m.cpu(unsigned(tv.on_cpu));
            tv.backtrace.frames.push_back({c.s.rip, c.s.gpr[RSP], c.s.gpr[RBP], "", "rip"});
            tv.backtrace.end = "running in user mode";
        } else if (!guest::switch_saves(*k, t)) {
            tv.backtrace.end = "dead: its switch away saved nothing to resume from";
        }

        // Stack slots: the live part of the stack and a few below it.
        std::vector<guest::Region> regions = guest::stack_regions(*k, t, tv.frames);
        if (t.stack) {
            u64 lowest = t.stack_top();
            if (tv.switched_out && t.stack_contains(t.saved_rsp)) lowest = std::min(lowest, t.saved_rsp);
            if (const auto& f = tv.frames.frame; f && t.stack_contains(f->resume_sp))
                lowest = std::min(lowest, f->resume_sp - 8);  // the slot a switch's end pops
            if (tv.rsp_cpu >= 0) lowest = std::min(lowest, tv.rsp);
            if (as_prev && k->switch_model() == SY_SWITCH_LINUX) {
                // Where __switch_to_asm's pushes land: the frame below the return address.
                u64 frame = as_prev->s->entry_rsp - d.frame.ret_addr;
                lowest = std::min(lowest, frame);
                if (!tv.frames.frame)
                    regions.push_back({frame, d.frame.size, "inactive_task_frame", guest::inactive_frame_fields(d)});
            }
            if (lowest == t.stack_top()) lowest = guest::pt_regs_addr(*k, t);
            lowest = std::max(t.stack, lowest - 8 * o.slots_below_rsp);
            u64 highest = std::min(t.stack_top(), lowest + 8 * o.max_slots);
            tv.slots = guest::stack_slots(*k, lowest, highest, regions);
        }
        model.tasks.push_back(std::move(tv));
    }

    // Which step of the model's switch a CPU is at: the one in the switch in
    // progress, else the first in kernel mode at a step.
    model.anatomy = switch_steps(*k);
    std::vector<unsigned> order;
    if (!progress.empty()) order.push_back(progress.front().cpu);
    for (unsigned n = 0; n < m.cpu_count(); ++n) order.push_back(n);
    for (unsigned n : order) {
        const Cpu& c = m.cpu(n);
        if (c.cpl() != 0 || m.waiting_for_sipi(n)) continue;
        const guest::Task* on = guest::task_with_stack(tasks, c.s.gpr[RSP]);
        int at = step_at(model.anatomy, c.s.rip, on != nullptr);
        // In a routine a step calls (switch_fpu_prepare from __switch_to) while
        // its switch is under way: the step of the nearest caller, by the frame
        // pointers (on a task's stack only).
        const bool switching = sw && sw->in_progress(n) && !sw->in_progress(n)->at_ret;
        if (at < 0 && switching && on) {
            const guest::Unwound bt = guest::unwind_live(*k, on, c.s.rip, c.s.gpr[RSP], c.s.gpr[RBP], std::nullopt, 8);
            for (size_t f = 1; f < bt.frames.size() && at < 0 && calls(*k, bt.frames[f].pc, bt.frames[f - 1].pc); ++f)
                if ((at = step_at(model.anatomy, bt.frames[f].pc - 1, true)) >= 0)
                    model.anatomy.inside = k->symbols().format(c.s.rip);
        }
        if (at >= 0) {
            model.anatomy.current = at;
            model.anatomy.cpu = n;
            break;
        }
    }

    // The switch view: the first CPU with a switch in progress.
    if (!progress.empty()) {
        const Progress& p = progress.front();
        const Cpu& c = m.cpu(p.cpu);
        SwitchView s;
        s.cpu = p.cpu;
        s.prev = p.s->prev, s.next = p.s->next;
        s.prev_pid = p.s->prev_pid, s.next_pid = p.s->next_pid;
        s.prev_name = p.s->prev_name, s.next_name = p.s->next_name;
        s.rsp = c.s.gpr[RSP];
        s.cycle = c.cycles;
        s.at_ret = p.s->at_ret;
        const guest::Task* next = guest::find_task(tasks, p.s->next);
        s.on_next_stack = next && next->stack_contains(s.rsp);
        if (next) {
            s.ret_slot = guest::switch_end_rsp(*k, *next);
            s.ret_addr = k->ptr_at(s.ret_slot);
            s.ret_sym = k->symbols().format(s.ret_addr);
        }
        if (k->switch_model() != SY_SWITCH_LINUX) {
            const std::string end = k->symbols().format(d.models[k->switch_model()].end);
            if (s.at_ret) s.phase = "at the ret of " + end + ": about to pop next's resume PC";
            else s.phase = std::string(s.on_next_stack ? "on next's stack" : "not on next's stack yet") + ", in " +
                           k->symbols().format(c.s.rip);
        } else if (s.at_ret) s.phase = "at the ret of __switch_to: about to pop next's ret_addr";
        else if (in_routine(*k, d.sym_switch_to, c.s.rip)) s.phase = "__switch_to, on next's stack";
        else if (s.on_next_stack) s.phase = "__switch_to_asm, on next's stack: popping next's registers";
        else s.phase = "__switch_to_asm, on prev's stack: pushing prev's registers";
        SwitchRegs now = sample_switch_regs(*k, c);
        const SwitchRegs& b = p.s->before;
        s.changes = {
            {"TSS.RSP0", b.tss_rsp0.value_or(0), now.tss_rsp0.value_or(0), b.tss_rsp0.has_value()},
            {"top_of_stack", b.top_of_stack, now.top_of_stack},
            {"CR3", b.cr3, now.cr3},
            {"FS base", b.fs_base, now.fs_base},
            {"GS base", b.gs_base, now.gs_base},
            {"KERNEL_GS_BASE", b.kernel_gs_base, now.kernel_gs_base},
            {"current_task", b.current_task, now.current_task},
            {"stack canary", b.stack_canary, now.stack_canary},
        };
        model.sw = std::move(s);
    }
    return model;
}

}  // namespace sy::debug
