// Each switch model's steps, found in the guest's code (anatomy.h).
#include "anatomy.h"

#include <map>
#include <tuple>

#include "disasm.h"

namespace sy::debug {

namespace {

// A routine the descriptor names, decoded from guest memory.
struct Code {
    u64 start = 0, end = 0;
    std::vector<DisasmLine> lines;
    bool ok() const { return !lines.empty(); }
};

Code decode(const guest::Kernel& k, u64 start) {
    Code c;
    if (!start) return c;
    Symbols::Range r = k.routine(start);
    c.start = r.start, c.end = r.end;
    if (r.end <= r.start || r.end - r.start > 0x10000) return c;
    std::vector<u8> bytes(r.end - r.start);
    bytes.resize(k.read(r.start, bytes.data(), bytes.size()));
    Disassembler dis;
    for (const DisasmLine& l : dis.decode_all(bytes.data(), bytes.size(), r.start)) {
        if (!l.len) break;
        c.lines.push_back(l);
    }
    return c;
}

std::string mnemonic(const DisasmLine& l) { return l.text.substr(0, l.text.find(' ')); }
std::string operands(const DisasmLine& l) {
    size_t sp = l.text.find(' ');
    return sp == std::string::npos ? "" : l.text.substr(sp + 1);
}
bool is_mov(const DisasmLine& l) { return mnemonic(l).rfind("mov", 0) == 0; }
// movq %rsp, <memory>: a task's RSP saved (thread.sp, context, label_t).
bool stores_rsp(const DisasmLine& l) {
    const std::string o = operands(l);
    return is_mov(l) && o.rfind("%rsp, ", 0) == 0 && o.find('(') != std::string::npos;
}
// mov <anything>, %rsp: the stack switch.
bool loads_rsp(const DisasmLine& l) {
    const std::string o = operands(l);
    return is_mov(l) && o.size() > 6 && o.compare(o.size() - 6, 6, ", %rsp") == 0;
}

const DisasmLine* find(const Code& c, bool (*pred)(const DisasmLine&), u64 from = 0) {
    for (const DisasmLine& l : c.lines)
        if (l.addr >= from && pred(l)) return &l;
    return nullptr;
}
const DisasmLine* branch_to(const Code& c, u64 target, bool call) {
    if (!target) return nullptr;
    for (const DisasmLine& l : c.lines)
        if ((call ? l.is_call : l.is_jump) && l.target == target) return &l;
    return nullptr;
}
const DisasmLine* after(const Code& c, const DisasmLine* l) {
    if (!l) return nullptr;
    for (const DisasmLine& m : c.lines)
        if (m.addr == l->addr + l->len) return &m;
    return nullptr;
}
u64 end_of(const DisasmLine* l) { return l ? l->addr + l->len : 0; }

struct Builder {
    Anatomy a;
    bool complete = true;  // every landmark found
    AnatomyStep& step(std::string name, std::string what, AnatomyStep::Stack st = AnatomyStep::Stack::Any) {
        a.steps.push_back({std::move(name), std::move(what), {}, st});
        return a.steps.back();
    }
    // [lo, hi) if both landmarks were found.
    void range(AnatomyStep& s, u64 lo, u64 hi) {
        if (lo && hi > lo) s.ranges.push_back({lo, hi});
        else complete = false;
    }
    void line(AnatomyStep& s, const DisasmLine* l) { range(s, l ? l->addr : 0, end_of(l)); }
    void rets(AnatomyStep& s, const Code& c) {
        bool any = false;
        for (const DisasmLine& l : c.lines)
            if (l.is_ret) s.ranges.push_back({l.addr, l.addr + l.len}), any = true;
        if (!any) complete = false;
    }
    void whole(AnatomyStep& s, const Code& c) { range(s, c.start, c.end); }
};

// Modern Linux (seed 001): context_switch() calls __switch_to_asm, which
// pushes the inactive_task_frame, swaps stacks and jumps to __switch_to, whose
// ret pops next's ret_addr.
void linux_steps(const guest::Kernel& k, Builder& b) {
    const guest::Descriptor& d = k.d();
    const Code sched = decode(k, d.sym___schedule), asm_ = decode(k, d.sym_switch_to_asm), to = decode(k, d.sym_switch_to);
    const DisasmLine* call = branch_to(sched, d.sym_switch_to_asm, true);
    const DisasmLine* store = find(asm_, stores_rsp);
    const DisasmLine* load = store ? find(asm_, loads_rsp, store->addr) : nullptr;
    const DisasmLine* jmp = branch_to(asm_, d.sym_switch_to, false);
    b.line(b.step("context_switch(): call __switch_to_asm(prev, next)",
                  "the call pushes prev's return address: the ret_addr of its inactive_task_frame"),
           call);
    b.range(b.step("__switch_to_asm: push rbp, rbx, r12-r15 (prev's inactive_task_frame)",
                   "prev's callee-saved registers go onto prev's stack below ret_addr"),
            asm_.start, store ? store->addr : 0);
    b.range(b.step("stack swap: prev->thread.sp = RSP; RSP = next->thread.sp",
                   "RSP moves to the inactive_task_frame next saved when it switched out"),
            store ? store->addr : 0, end_of(load));
    b.range(b.step("next's stack canary; pop next's inactive_task_frame",
                   "%gs:40 gets next's canary, then r15 ... rbp are popped: RSP reaches next's ret_addr"),
            end_of(load), jmp ? jmp->addr : 0);
    AnatomyStep& j = b.step("jmp __switch_to (no return address pushed)",
                            "__switch_to switches the FPU, FS/GS bases, current_task and TSS.RSP0 to next");
    b.line(j, jmp);
    b.whole(j, to);
    b.rets(b.step("__switch_to's ret pops next's ret_addr", "RSP is at next's inactive_task_frame.ret_addr"), to);
    AnatomyStep& land = b.step("next resumes at ret_addr", "after its own call of __switch_to_asm, or in ret_from_fork");
    b.line(land, after(sched, call));
    b.range(land, d.sym_ret_from_fork, d.sym_ret_from_fork + 1);
}

// Linux 2.6 (seed 000): the switch_to macro inlined in __schedule.
void linux26_steps(const guest::Kernel& k, Builder& b) {
    const guest::Descriptor& d = k.d();
    const auto& m = d.models[SY_SWITCH_LINUX26];
    const Code st = decode(k, m.begin[0]), ret = decode(k, m.resume_pc), to = decode(k, d.sym_switch_to);
    const DisasmLine* store = find(st, stores_rsp);
    const DisasmLine* call = branch_to(st, d.sym_switch_to, true);
    const DisasmLine* jc = nullptr;
    for (const DisasmLine& l : ret.lines)
        if (l.is_jump && mnemonic(l) != "jmp") jc = &l;  // the TIF_FORK test's conditional jump
    b.range(b.step("SAVE_CONTEXT: pushfq; pushq %rbp", "prev's RFLAGS and RBP go onto prev's stack; RBP keeps next"),
            st.start, store ? store->addr : 0);
    b.line(b.step("save RSP in prev->thread.sp", "all that is left of prev: RSP, pointing at SAVE_CONTEXT's two words"), store);
    b.range(b.step("load next->thread.sp: on next's stack", "and next's stack canary into %gs:40"), end_of(store),
            call ? call->addr : 0);
    AnatomyStep& c = b.step("call __switch_to, on next's stack",
                            "the call pushes thread_return on next's stack: no sleeping stack holds it");
    b.line(c, call);
    b.whole(c, to);
    b.rets(b.step("__switch_to's ret pops thread_return", "the address the call pushed a moment ago"), to);
    b.range(b.step("thread_return: TIF_FORK? ret_from_fork", "a task that never ran goes on to ret_from_fork"),
            ret.start, end_of(jc));
    b.range(b.step("RESTORE_CONTEXT: popq %rbp; popfq", "next's RBP and RFLAGS, saved when it switched out"), end_of(jc),
            ret.end);
}

// xv6 (seed 004): task -> scheduler thread -> task, two swtch()es.
void xv6_steps(const guest::Kernel& k, Builder& b) {
    const guest::Descriptor& d = k.d();
    using S = AnatomyStep::Stack;
    const Code sched = decode(k, d.xv6.sym_sched), sch = decode(k, d.xv6.sym_scheduler), sw = decode(k, d.xv6.sym_swtch),
               to = decode(k, d.sym_switch_to);
    const DisasmLine* call1 = branch_to(sched, d.xv6.sym_swtch, true);
    const DisasmLine* call2 = branch_to(sch, d.xv6.sym_swtch, true);
    const DisasmLine* store = find(sw, stores_rsp);
    const DisasmLine* load = store ? find(sw, loads_rsp, store->addr) : nullptr;
    const DisasmLine* ret = nullptr;
    for (const DisasmLine& l : sw.lines)
        if (l.is_ret) ret = &l;
    const u64 store_at = store ? store->addr : 0, ret_at = ret ? ret->addr : 0;
    b.line(b.step("sched(): call swtch(&prev->context, scheduler)", "prev gives the CPU to its scheduler thread"), call1);
    b.range(b.step("swtch: push prev's struct context", "rbp, rbx, r12-r15 below the rip the call pushed", S::Task), sw.start,
            store_at);
    b.range(b.step("swtch: *old = RSP; RSP = the scheduler's context", "prev->thread.sp; onto the scheduler's stack",
                   S::Task),
            store_at, end_of(load));
    b.range(b.step("swtch: pop the scheduler's context; ret into scheduler()",
                   "swtch() returns in the scheduler thread, as if it had been a NOP there", S::Scheduler),
            end_of(load), sw.end);
    AnatomyStep& pick = b.step("scheduler(): pick next; switch_mm; __switch_to(prev, next)",
                               "on the scheduler's own stack, outside every task");
    b.whole(pick, sch);
    b.whole(pick, to);
    b.line(b.step("scheduler(): call swtch(&c->scheduler, next->context)", "the scheduler gives the CPU to next"), call2);
    b.range(b.step("swtch: push the scheduler's context", "the scheduler thread's registers, on its stack", S::Scheduler),
            sw.start, store_at);
    b.range(b.step("swtch: *old = RSP; RSP = next's context (thread.sp)", "onto next's stack", S::Scheduler), store_at,
            end_of(load));
    b.range(b.step("swtch: pop next's struct context", "r15 ... rbp, saved when next called sched()", S::Task), end_of(load),
            ret_at);
    b.line(b.step("swtch's ret pops context.rip", "into sched(), or ret_from_fork for a task that never ran", S::Task), ret);
    AnatomyStep& land = b.step("next resumes in sched()", "its own swtch() returns: a NOP from its point of view");
    b.line(land, after(sched, call1));
    b.range(land, d.sym_ret_from_fork, d.sym_ret_from_fork + 1);
}

// Solaris (seed 002): resume() keeps prev in its label_t and reaches next
// through spl0's ret.
void solaris_steps(const guest::Kernel& k, Builder& b) {
    const guest::Descriptor& d = k.d();
    const auto& m = d.models[SY_SWITCH_SOLARIS];
    const Code sched = decode(k, d.sym___schedule), res = decode(k, m.begin[0]), zombie = decode(k, m.begin[1]),
               spl = decode(k, m.end), rr = decode(k, d.solaris.sym_resume_return), to = decode(k, d.sym_switch_to);
    const DisasmLine* call = branch_to(sched, m.begin[0], true);
    const DisasmLine* load = find(res, loads_rsp);
    const DisasmLine* sw_call = branch_to(res, d.sym_switch_to, true);
    const DisasmLine* zcall = branch_to(zombie, d.sym_switch_to, true);
    const DisasmLine* spl_ret = nullptr;
    for (const DisasmLine& l : spl.lines)
        if (l.is_ret) spl_ret = &l;
    b.line(b.step("context_switch(): call resume(prev, t)", "resume_from_zombie(prev, t) when prev has exited"), call);
    b.range(b.step("resume: SAVE_REGS into prev's label_t", "rbp, rbx, r12-r15, label.sp and label.pc = resume_return"),
            res.start, load ? load->addr : 0);
    AnatomyStep& swap = b.step("switch to t's stack (label.sp) and its canary",
                               "resume_from_zombie saves nothing: the dead thread never runs again");
    b.range(swap, load ? load->addr : 0, sw_call ? sw_call->addr : 0);
    if (zombie.ok()) b.range(swap, zombie.start, zcall ? zcall->addr : 0);
    AnatomyStep& c = b.step("call __switch_to", "current, TSS.RSP0, FS/GS bases and the FPU become t's");
    b.line(c, sw_call);
    if (zombie.ok()) b.line(c, zcall);
    b.whole(c, to);
    AnatomyStep& restore = b.step("RESTORE_REGS from t's label_t; push label.pc; jmp spl0",
                                  "resume_from_zombie frees the dead thread's stack first");
    b.range(restore, end_of(sw_call), res.end);
    if (zombie.ok()) b.range(restore, end_of(zcall), zombie.end);
    b.range(b.step("spl0: task priority (CR8) = 0", "interrupts stay off until finish_task_switch()"), spl.start,
            spl_ret ? spl_ret->addr : 0);
    b.line(b.step("spl0's ret pops label.pc: resume_return", "the jmp spl0 that seemingly does not come back"), spl_ret);
    AnatomyStep& rr_step = b.step("resume_return: drop the SAVE_REGS frame, return from resume()",
                                  "t is back in its own resume(), or starts in ret_from_fork");
    b.whole(rr_step, rr);
    b.range(rr_step, d.sym_ret_from_fork, d.sym_ret_from_fork + 1);
    b.line(b.step("t resumes in __schedule after its call of resume()", "switch_to returns prev, from RAX"),
           after(sched, call));
}

}  // namespace

Anatomy switch_steps(const guest::Kernel& k) {
    const guest::Descriptor& d = k.d();
    const unsigned model = k.switch_model();
    // The code does not change while the kernel runs: build each model's steps once.
    using Key = std::tuple<u64, unsigned, u64, u64>;
    static std::map<Key, Anatomy> cache;
    const Key key{d.self, model, d.text_start, d.text_end};
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    Builder b;
    b.a.model = k.switch_model_name();
    if (d.version < 3 && model != SY_SWITCH_LINUX) return b.a;
    switch (model) {
    case SY_SWITCH_LINUX:
        b.a.seed = "seed 001: Linux x86-64 today, __switch_to_asm and struct inactive_task_frame";
        linux_steps(k, b);
        break;
    case SY_SWITCH_LINUX26:
        b.a.seed = "seed 000: Linux 2.6 x86-64, the switch_to macro and thread_return";
        linux26_steps(k, b);
        break;
    case SY_SWITCH_XV6:
        b.a.seed = "seed 004: xv6, the scheduler thread, swtch() and struct context";
        xv6_steps(k, b);
        break;
    case SY_SWITCH_SOLARIS:
        b.a.seed = "seed 002: Solaris resume(), the label_t, spl0 and resume_return";
        solaris_steps(k, b);
        break;
    }
    // Only a sequence whose every landmark was found in the code is shown (the
    // kernel's text is in its image, readable from the first instruction).
    if (!b.complete) b.a.steps.clear();
    cache[key] = b.a;
    return b.a;
}

bool calls(const guest::Kernel& k, u64 ret, u64 callee) {
    auto ref = k.symbols().lookup(callee);
    if (!ref) return false;
    u8 code[5] = {};
    if (k.read(ret - 5, code, sizeof code) != sizeof code) return false;  // E8 rel32: call's direct form
    const DisasmLine l = Disassembler().decode(code, sizeof code, ret - 5);
    return l.len == 5 && l.is_call && l.target == callee - ref->offset;
}

int step_at(const Anatomy& a, u64 rip, bool rsp_on_task_stack) {
    int best = -1;
    u64 best_size = ~0ull;
    for (size_t n = 0; n < a.steps.size(); ++n) {
        const AnatomyStep& s = a.steps[n];
        if (s.stack == AnatomyStep::Stack::Task && !rsp_on_task_stack) continue;
        if (s.stack == AnatomyStep::Stack::Scheduler && rsp_on_task_stack) continue;
        for (const auto& [lo, hi] : s.ranges)
            if (rip >= lo && rip < hi && hi - lo < best_size) best = int(n), best_size = hi - lo;
    }
    return best;
}

}  // namespace sy::debug
