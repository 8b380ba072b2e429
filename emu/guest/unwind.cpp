// The frame-pointer unwinder (unwind.h).
#include "unwind.h"

namespace sy::guest {

namespace {

// Follows the RBP chain from `fp` while it stays inside [lo, hi) and moves up.
void walk_chain(const Kernel& k, u64 fp, u64 lo, u64 hi, size_t max_frames, Unwound& out) {
    const u64 w = k.ptr_size();  // a stack word: 8 bytes, 4 in the i386 build
    while (out.frames.size() < max_frames) {
        if (fp == 0) {
            out.end = "rbp 0 (the outermost frame)";
            return;
        }
        if (fp < lo || fp + 2 * w > hi || (fp & (w - 1))) {
            out.end = "rbp outside the stack";
            return;
        }
        auto saved_fp = k.get_ptr(fp);
        auto ret = k.get_ptr(fp + w);
        if (!saved_fp || !ret) {
            out.end = "unreadable stack";
            return;
        }
        if (!k.in_kernel_text(*ret)) {
            out.end = "return address outside kernel text";
            return;
        }
        out.frames.push_back({*ret, fp + 2 * w, *saved_fp, k.symbols().format_return(*ret), "return address"});
        if (*saved_fp != 0 && *saved_fp <= fp) {
            out.end = "rbp chain does not go up";
            return;
        }
        fp = *saved_fp;
    }
    out.end = "frame limit";
}

void add_user_frame(const Kernel& k, const std::optional<PtRegs>& regs, Unwound& out) {
    if (!regs || !regs->from_user()) return;
    out.frames.push_back({regs->ip, regs->sp, regs->bp, "", "pt_regs"});
    out.end = "user mode (pt_regs)";
}

}  // namespace

Unwound unwind_switched_out(const Kernel& k, const Task& t, const InactiveFrame& f,
                            const std::optional<PtRegs>& user_regs, size_t max_frames) {
    Unwound out;
    const Descriptor& d = k.d();
    // Frame #0 is where the task's switch model resumes it (frames.h).
    out.frames.push_back({f.ret_addr, f.sp_after(d), f.rbp, f.ret_sym, "saved frame"});
    // A task that never ran has no kernel frames below: it starts in
    // ret_from_fork and leaves through its pt_regs.
    if (is_fork_frame(k, t, f)) {
        if (k.switch_model() == SY_SWITCH_LINUX26) {
            out.frames.push_back({d.sym_ret_from_fork, f.addr, 0, k.symbols().format(d.sym_ret_from_fork), "TIF_FORK"});
            out.end = "never ran (TIF_FORK: thread_return jumps to ret_from_fork)";
        } else {
            out.end = "never ran (fork_frame)";
        }
        add_user_frame(k, user_regs, out);
        return out;
    }
    // The pt_regs (if any) bound the kernel frames from above.
    u64 hi = user_regs ? user_regs->addr : t.stack_top();
    u64 lo = f.sp_after(d);
    if (f.caller_ret && k.in_kernel_text(*f.caller_ret)) {
        // Solaris: resume_return drops SAVE_REGS's frame and returns to resume()'s caller.
        out.frames.push_back({*f.caller_ret, lo + 16, f.rbp, k.symbols().format_return(*f.caller_ret), "return address"});
        lo += 16;
    }
    walk_chain(k, f.rbp, lo, hi, max_frames, out);
    add_user_frame(k, user_regs, out);
    return out;
}

Unwound unwind_live(const Kernel& k, const Task* t, u64 rip, u64 rsp, u64 rbp,
                    const std::optional<PtRegs>& user_regs, size_t max_frames) {
    Unwound out;
    out.frames.push_back({rip, rsp, rbp, k.symbols().format(rip), "rip"});
    if (!k.in_kernel_text(rip)) {
        out.end = "not in kernel code";
        return out;
    }
    if (!t || !t->stack_contains(rsp)) {
        out.end = "RSP is not on a task's kernel stack";
        return out;
    }
    u64 hi = user_regs && user_regs->addr > rsp ? user_regs->addr : t->stack_top();
    // Where RBP does not describe this frame yet (or any more): at a routine's
    // first instruction and at a `ret` the return address is at [rsp], after
    // the prologue's `push %rbp` at [rsp + 8]; RBP still is the caller's.
    u8 op = 0;
    k.read(rip, &op, 1);
    auto ref = k.symbols().lookup(rip);
    std::optional<u64> ret_slot;
    const u64 w = k.ptr_size();
    if ((ref && ref->offset == 0) || op == 0xC3) ret_slot = rsp;
    else if (ref && ref->offset == 1 && k.get<u8>(rip - 1).value_or(0) == 0x55) ret_slot = rsp + w;
    if (ret_slot) {
        auto ret = k.get_ptr(*ret_slot);
        if (ret && k.in_kernel_text(*ret))
            out.frames.push_back({*ret, *ret_slot + w, rbp, k.symbols().format_return(*ret), "return address"});
    }
    walk_chain(k, rbp, rsp, hi, max_frames, out);
    add_user_frame(k, user_regs, out);
    return out;
}

}  // namespace sy::guest
