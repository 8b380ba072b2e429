// Frames on kernel stacks (arch/x86/include/switch_to.h and ptrace.h, arch/i386/include/ for i386, in the
// guest kernel; every offset below comes from the descriptor).
#include "frames.h"

#include <algorithm>

namespace sy::guest {

namespace {

// An n-byte field (8: x86-64's longs; 4: the i386 build's) at off, 0 when the
// descriptor says the structure has no such field (an offset past its end).
u64 field_at(const std::vector<u8>& raw, u32 off, size_t n = 8) {
    u64 v = 0;
    if (off <= raw.size() && n <= raw.size() - off) std::memcpy(&v, raw.data() + off, n);
    return v;
}

bool i386_model(const Kernel& k) { return k.d().models[k.switch_model()].saved == SY_SAVED_THREAD_IP; }

// i386 (switch_to.h in the guest's arch/i386): EBP and EFLAGS at thread.sp,
// the resume PC in thread.ip, which no stack holds.
std::optional<InactiveFrame> read_thread_ip(const Kernel& k, const Task& t) {
    const Descriptor& d = k.d();
    auto bp = k.get_ptr(t.saved_rsp + d.ia32.bp);
    auto flags = k.get_ptr(t.saved_rsp + d.ia32.flags);
    auto ip = k.get_ptr(t.addr + d.ia32.task_thread_ip);
    if (!bp || !flags || !ip) return std::nullopt;
    InactiveFrame f;
    f.addr = t.saved_rsp;
    f.rbp = *bp;
    f.rflags = *flags;
    f.ret_addr = *ip;
    f.ret_sym = k.symbols().format(f.ret_addr);
    f.kind = "switch_to frame";
    f.resume_slot = t.addr + d.ia32.task_thread_ip;  // in the task_struct: thread.ip
    f.resume_sp = t.saved_rsp;                        // `1:` pops EBP and EFLAGS from here
    return f;
}

}  // namespace

std::vector<std::pair<u32, std::string>> inactive_frame_fields(const Descriptor& d) {
    return {{d.frame.r15, "r15"}, {d.frame.r14, "r14"}, {d.frame.r13, "r13"},          {d.frame.r12, "r12"},
            {d.frame.bx, "rbx"},  {d.frame.bp, "rbp"},  {d.frame.ret_addr, "ret_addr"}};
}

std::vector<std::pair<u32, std::string>> pt_regs_fields(const Descriptor& d) {
    const auto& r = d.pt_regs;
    std::vector<std::pair<u32, std::string>> all = {{r.r15, "r15"}, {r.r14, "r14"}, {r.r13, "r13"}, {r.r12, "r12"},         {r.bp, "bp"},
            {r.bx, "bx"},   {r.r11, "r11"}, {r.r10, "r10"}, {r.r9, "r9"},           {r.r8, "r8"},
            {r.ax, "ax"},   {r.cx, "cx"},   {r.dx, "dx"},   {r.si, "si"},           {r.di, "di"},
            {r.orig_ax, "orig_ax"}, {r.ip, "ip"}, {r.cs, "cs"}, {r.flags, "flags"}, {r.sp, "sp"},
            {r.ss, "ss"}};
    // The i386 pt_regs have no r8-r15 (the descriptor's offset UINT32_MAX).
    std::erase_if(all, [&](const auto& f) { return f.first >= r.size; });
    return all;
}

std::optional<InactiveFrame> read_inactive_frame(const Kernel& k, u64 addr) {
    const Descriptor& d = k.d();
    std::vector<u8> raw(d.frame.size);
    if (!addr || k.read(addr, raw.data(), raw.size()) != raw.size()) return std::nullopt;
    InactiveFrame f;
    f.addr = addr;
    f.r15 = field_at(raw, d.frame.r15);
    f.r14 = field_at(raw, d.frame.r14);
    f.r13 = field_at(raw, d.frame.r13);
    f.r12 = field_at(raw, d.frame.r12);
    f.rbx = field_at(raw, d.frame.bx);
    f.rbp = field_at(raw, d.frame.bp);
    f.ret_addr = field_at(raw, d.frame.ret_addr);
    f.ret_sym = k.symbols().format(f.ret_addr);
    f.kind = k.switch_model() == SY_SWITCH_XV6 ? "struct context" : "inactive_task_frame";
    f.resume_slot = addr + d.frame.ret_addr;
    f.resume_sp = addr + d.frame.size;
    return f;
}

namespace {

// xv6's struct context, at its own offsets (the descriptor's xv6.*).
std::optional<InactiveFrame> read_context(const Kernel& k, u64 addr) {
    const Descriptor& d = k.d();
    std::vector<u8> raw(d.xv6.size);
    if (!addr || raw.empty() || k.read(addr, raw.data(), raw.size()) != raw.size()) return std::nullopt;
    InactiveFrame f;
    f.addr = addr;
    f.r15 = field_at(raw, d.xv6.r15), f.r14 = field_at(raw, d.xv6.r14), f.r13 = field_at(raw, d.xv6.r13);
    f.r12 = field_at(raw, d.xv6.r12), f.rbx = field_at(raw, d.xv6.rbx), f.rbp = field_at(raw, d.xv6.rbp);
    f.ret_addr = field_at(raw, d.xv6.rip);
    f.ret_sym = k.symbols().format(f.ret_addr);
    f.kind = "struct context";
    f.resume_slot = addr + d.xv6.rip;
    f.resume_sp = addr + d.xv6.size;
    return f;
}

// 2.6: RBP and RFLAGS at thread.sp; the PC is thread_return for everyone.
std::optional<InactiveFrame> read_context26(const Kernel& k, u64 addr) {
    const Descriptor& d = k.d();
    auto bp = k.get<u64>(addr + d.linux26.bp);
    auto flags = k.get<u64>(addr + d.linux26.flags);
    if (!addr || !bp || !flags) return std::nullopt;
    InactiveFrame f;
    f.addr = addr;
    f.rbp = *bp;
    f.rflags = *flags;
    f.ret_addr = d.models[SY_SWITCH_LINUX26].resume_pc;
    f.ret_sym = k.symbols().format(f.ret_addr);
    f.kind = "SAVE_CONTEXT";
    f.resume_slot = 0;
    f.resume_sp = addr;  // RESTORE_CONTEXT pops the two words after thread_return
    return f;
}

// Solaris: the label_t in the task.
std::optional<InactiveFrame> read_label(const Kernel& k, const Task& t) {
    const Descriptor& d = k.d();
    const u64 addr = t.addr + d.solaris.task_label;
    std::vector<u8> raw(d.solaris.size);
    if (raw.empty() || k.read(addr, raw.data(), raw.size()) != raw.size()) return std::nullopt;
    InactiveFrame f;
    f.addr = addr;
    f.rbp = field_at(raw, d.solaris.rbp), f.rbx = field_at(raw, d.solaris.rbx);
    f.r12 = field_at(raw, d.solaris.r12), f.r13 = field_at(raw, d.solaris.r13);
    f.r14 = field_at(raw, d.solaris.r14), f.r15 = field_at(raw, d.solaris.r15);
    f.ret_addr = field_at(raw, d.solaris.pc);
    f.ret_sym = k.symbols().format(f.ret_addr);
    f.kind = "label_t";
    f.resume_slot = addr + d.solaris.pc;
    f.resume_sp = field_at(raw, d.solaris.sp);
    if (f.ret_addr == d.solaris.sym_resume_return)
        if (auto ret = k.get<u64>(f.resume_sp + 8)) f.caller_ret = *ret;
    return f;
}

}  // namespace

std::optional<InactiveFrame> read_saved_state(const Kernel& k, const Task& t) {
    if (i386_model(k)) {
        if (!t.stack_contains(t.saved_rsp)) return std::nullopt;
        return read_thread_ip(k, t);
    }
    switch (k.switch_model()) {
    case SY_SWITCH_LINUX26:
        if (!t.stack_contains(t.saved_rsp)) return std::nullopt;
        return read_context26(k, t.saved_rsp);
    case SY_SWITCH_XV6:
        if (!t.stack_contains(t.saved_rsp)) return std::nullopt;
        return read_context(k, t.saved_rsp);
    case SY_SWITCH_SOLARIS: {
        auto f = read_label(k, t);
        if (!f || !t.stack_contains(f->resume_sp)) return std::nullopt;
        return f;
    }
    default:
        if (!t.stack_contains(t.saved_rsp)) return std::nullopt;
        return read_inactive_frame(k, t.saved_rsp);
    }
}

bool switch_saves(const Kernel& k, const Task& t) {
    const Descriptor& d = k.d();
    if (d.version < 3 || !(d.models[k.switch_model()].flags & SY_MODEL_DEAD_UNSAVED)) return true;
    return t.state != long(d.task_dead);
}

u64 switch_end_rsp(const Kernel& k, const Task& t) {
    const Descriptor& d = k.d();
    if (i386_model(k)) return t.saved_rsp - k.ptr_size();  // switch_to's pushl next->thread.ip
    switch (k.switch_model()) {
    case SY_SWITCH_LINUX26: return t.saved_rsp - 8;
    case SY_SWITCH_XV6: return t.saved_rsp + d.xv6.rip;
    case SY_SWITCH_SOLARIS: return k.u64_at(t.addr + d.solaris.task_label + d.solaris.sp) - 8;
    default: return t.saved_rsp + d.frame.ret_addr;
    }
}

std::vector<SchedulerThread> read_scheduler_threads(const Kernel& k) {
    const Descriptor& d = k.d();
    std::vector<SchedulerThread> out;
    if (k.switch_model() != SY_SWITCH_XV6) return out;
    for (unsigned c = 0; c < k.nr_cpus(); ++c) {
        SchedulerThread s;
        s.cpu = c;
        s.context = k.u64_at(d.xv6.cpus + u64(c) * d.xv6.cpu_stride + d.xv6.cpu_scheduler);
        if (s.context) s.frame = read_context(k, s.context);
        out.push_back(std::move(s));
    }
    return out;
}

std::optional<PtRegs> read_pt_regs(const Kernel& k, u64 addr) {
    const Descriptor& d = k.d();
    std::vector<u8> raw(d.pt_regs.size);
    if (!addr || k.read(addr, raw.data(), raw.size()) != raw.size()) return std::nullopt;
    const auto& o = d.pt_regs;
    auto field_at = [&, L = size_t(k.ptr_size())](const std::vector<u8>& b, u32 off) { return ::sy::guest::field_at(b, off, L); };
    PtRegs r;
    r.addr = addr;
    r.r15 = field_at(raw, o.r15), r.r14 = field_at(raw, o.r14), r.r13 = field_at(raw, o.r13);
    r.r12 = field_at(raw, o.r12), r.bp = field_at(raw, o.bp), r.bx = field_at(raw, o.bx);
    r.r11 = field_at(raw, o.r11), r.r10 = field_at(raw, o.r10), r.r9 = field_at(raw, o.r9);
    r.r8 = field_at(raw, o.r8), r.ax = field_at(raw, o.ax), r.cx = field_at(raw, o.cx);
    r.dx = field_at(raw, o.dx), r.si = field_at(raw, o.si), r.di = field_at(raw, o.di);
    r.orig_ax = field_at(raw, o.orig_ax), r.ip = field_at(raw, o.ip), r.cs = field_at(raw, o.cs);
    r.flags = field_at(raw, o.flags), r.sp = field_at(raw, o.sp), r.ss = field_at(raw, o.ss);
    return r;
}

u64 pt_regs_addr(const Kernel& k, const Task& t) { return t.stack ? t.stack_top() - k.d().pt_regs.size : 0; }

bool is_fork_frame(const Kernel& k, const Task& t, const InactiveFrame& f) {
    const Descriptor& d = k.d();
    if (i386_model(k))  // thread.ip = ret_from_fork or ret_from_kernel_thread, thread.sp = the pt_regs
        return (f.ret_addr == d.ia32.sym_ret_from_fork || f.ret_addr == d.ia32.sym_ret_from_kernel_thread) &&
               t.stack && f.addr == t.stack_top() - d.pt_regs.size;
    switch (k.switch_model()) {
    case SY_SWITCH_LINUX26:  // thread_return goes on to ret_from_fork
        return (t.ti_flags >> d.linux26.tif_fork) & 1;
    case SY_SWITCH_SOLARIS:  // resumed straight into ret_from_fork, RSP at the pt_regs
        return f.ret_addr == d.sym_ret_from_fork && t.stack && f.resume_sp == t.stack_top() - d.pt_regs.size;
    default:
        return f.ret_addr == d.sym_ret_from_fork && t.stack && f.addr == t.stack_top() - d.fork_frame.size;
    }
}

TaskFrames read_frames(const Kernel& k, const Task& t, bool switched_out) {
    TaskFrames out;
    if (!t.stack) return out;  // freed (a reaped or dead task)
    if (switched_out) {
        out.frame = read_saved_state(k, t);
        if (out.frame) out.never_ran = is_fork_frame(k, t, *out.frame);
    }
    // A user task's pt_regs hold its user registers whenever it is in the
    // kernel (it entered through them) or switched out; a new task's are the
    // fork_frame's.
    if (t.user(k.d()) || out.never_ran) out.user_regs = read_pt_regs(k, pt_regs_addr(k, t));
    return out;
}

std::vector<Region> stack_regions(const Kernel& k, const Task& t, const TaskFrames& f) {
    const Descriptor& d = k.d();
    std::vector<Region> out;
    if (f.frame && i386_model(k)) {
        if (!f.never_ran)
            out.push_back({f.frame->addr, d.ia32.size, "switch_to frame", {{d.ia32.bp, "ebp"}, {d.ia32.flags, "eflags"}}});
    } else if (f.frame) {
        const InactiveFrame& s = *f.frame;
        switch (k.switch_model()) {
        case SY_SWITCH_LINUX26:
            if (f.never_ran) out.push_back({s.addr, d.frame.size, "fork_frame", inactive_frame_fields(d)});
            else out.push_back({s.addr, d.linux26.size, "SAVE_CONTEXT", {{d.linux26.bp, "rbp"}, {d.linux26.flags, "rflags"}}});
            break;
        case SY_SWITCH_SOLARIS:
            // The label_t is in the task_struct; on the stack, SAVE_REGS's frame.
            if (!f.never_ran) out.push_back({s.resume_sp, 16, "SAVE_REGS frame", {{0, "rbp"}, {8, "return address"}}});
            break;
        case SY_SWITCH_XV6:
            out.push_back({s.addr, d.xv6.size, f.never_ran ? "fork_frame" : "struct context",
                           {{d.xv6.r15, "r15"}, {d.xv6.r14, "r14"}, {d.xv6.r13, "r13"}, {d.xv6.r12, "r12"},
                            {d.xv6.rbx, "rbx"}, {d.xv6.rbp, "rbp"}, {d.xv6.rip, "rip"}}});
            break;
        default:
            out.push_back({s.addr, d.frame.size, f.never_ran ? "fork_frame" : "inactive_task_frame",
                           inactive_frame_fields(d)});
        }
    }
    if (f.user_regs) {
        out.push_back({f.user_regs->addr, d.pt_regs.size, f.never_ran ? "fork_frame" : "pt_regs", pt_regs_fields(d)});
    }
    return out;
}

std::vector<StackSlot> stack_slots(const Kernel& k, u64 from, u64 to, const std::vector<Region>& regions) {
    std::vector<StackSlot> out;
    const u64 w = k.ptr_size();  // a stack word: 8 bytes, 4 in the i386 build
    from &= ~(w - 1);
    if (to <= from) return out;
    std::vector<u8> raw(to - from);
    size_t got = k.read(from, raw.data(), raw.size());
    for (u64 a = from; a + w <= to; a += w) {
        StackSlot s;
        s.addr = a;
        s.readable = a - from + w <= got;
        if (s.readable) std::memcpy(&s.value, raw.data() + (a - from), w);
        if (s.readable && k.in_kernel_text(s.value)) s.sym = k.symbols().format(s.value);
        for (const Region& r : regions) {
            if (a < r.start || a >= r.start + r.size) continue;
            s.region = r.name;
            for (auto& [off, name] : r.fields)
                if (r.start + off == a) s.field = name;
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace sy::guest
