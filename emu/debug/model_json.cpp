// Model -> JSON (model_json.h).
#include "model_json.h"

#include "chrome_json.h"

namespace sy::debug {

using nlohmann::json;

namespace {

json segment_json(const SegmentView& s) {
    return {{"sel", s.sel}, {"base", s.base}, {"limit", s.limit}, {"attr", s.attr}, {"dpl", s.dpl}, {"present", s.present}};
}

json cpu_json(const CpuView& c) {
    static const char* const kGpr[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                         "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    json regs = json::object();
    for (int r = 0; r < 16; ++r) regs[kGpr[r]] = c.gpr[r];
    json segs = json::object();
    for (const SegmentView& s : c.seg) segs[s.name] = segment_json(s);
    segs["ldtr"] = segment_json(c.ldtr);
    segs["tr"] = segment_json(c.tr);
    json ist = json::array();
    for (u64 v : c.tss_ist) ist.push_back(v);
    json j = {
        {"index", c.index}, {"apic_id", c.apic_id}, {"halted", c.halted}, {"waiting_sipi", c.waiting_sipi},
        {"regs", regs}, {"rip", c.rip}, {"rip_sym", c.rip_sym}, {"rflags", c.rflags}, {"cpl", c.cpl},
        {"mode", c.mode}, {"segments", segs},
        {"gdtr", {{"base", c.gdtr_base}, {"limit", c.gdtr_limit}}},
        {"idtr", {{"base", c.idtr_base}, {"limit", c.idtr_limit}}},
        {"fs_base", c.fs_base}, {"gs_base", c.gs_base}, {"kernel_gs_base", c.kernel_gs_base},
        {"cr0", c.cr0}, {"cr2", c.cr2}, {"cr3", c.cr3}, {"cr4", c.cr4}, {"efer", c.efer},
        {"tss", {{"rsp0", c.tss_rsp0 ? json(*c.tss_rsp0) : json(nullptr)}, {"ist", ist}}},
        {"cycles", c.cycles}, {"insns", c.insns},
        {"current_task", c.current_task}, {"current_pid", c.current_pid}, {"rsp_pid", c.rsp_pid},
        {"percpu", c.percpu}, {"where", c.where},
    };
    j["kcpu"] = c.kcpu ? json(*c.kcpu) : json(nullptr);
    return j;
}

json task_json(const TaskView& t) {
    json j = {
        {"pid", t.task.pid}, {"name", t.task.name}, {"state", t.state}, {"cpu", t.task.cpu},
        {"task_struct", t.task.addr}, {"saved_rsp", t.task.saved_rsp},
        {"stack", {{"base", t.task.stack}, {"size", t.task.stack_size}}},
        {"switched_out", t.switched_out}, {"on_cpu", t.on_cpu}, {"cr3", t.cr3},
        {"stack_canary", t.task.stack_canary}, {"fsbase", t.task.fsbase}, {"gsbase", t.task.gsbase},
        {"parent_pid", t.task.parent_pid}, {"blocked_on", t.task.blocked_on},
    };
    if (const auto& f = t.frames.frame) {
        j["frame"] = {{"addr", f->addr}, {"r15", f->r15}, {"r14", f->r14}, {"r13", f->r13}, {"r12", f->r12},
                      {"rbx", f->rbx}, {"rbp", f->rbp}, {"ret_addr", f->ret_addr}, {"ret_sym", f->ret_sym},
                      {"never_ran", t.frames.never_ran}, {"being_popped", t.popping},
                      {"kind", f->kind}, {"resume_sp", f->resume_sp}, {"resume_slot", f->resume_slot}};
        if (f->kind == "SAVE_CONTEXT") j["frame"]["rflags"] = f->rflags;
        if (f->caller_ret) j["frame"]["caller_ret"] = *f->caller_ret;
    }
    if (const auto& r = t.frames.user_regs) {
        j["pt_regs"] = {{"addr", r->addr}, {"ip", r->ip}, {"cs", r->cs}, {"flags", r->flags}, {"sp", r->sp},
                        {"ss", r->ss}, {"ax", r->ax}, {"orig_ax", r->orig_ax}, {"bp", r->bp}};
    }
    json bt = json::array();
    for (const auto& f : t.backtrace.frames)
        bt.push_back({{"pc", f.pc}, {"sp", f.sp}, {"fp", f.fp}, {"sym", f.sym}, {"source", f.source}});
    j["backtrace"] = bt;
    j["backtrace_end"] = t.backtrace.end;
    json slots = json::array();
    for (const auto& s : t.slots) {
        json e = {{"addr", s.addr}, {"value", s.value}};
        if (!s.readable) e["value"] = nullptr;
        if (!s.sym.empty()) e["sym"] = s.sym;
        if (!s.region.empty()) e["region"] = s.region;
        if (!s.field.empty()) e["field"] = s.field;
        slots.push_back(e);
    }
    j["slots"] = slots;
    if (t.rsp_cpu >= 0) j["rsp"] = {{"cpu", t.rsp_cpu}, {"value", t.rsp}};
    return j;
}

json record_json(const SwitchRecord& r) {
    json j = {{"cycle", r.cycle},         {"cpu", r.cpu},           {"prev_pid", r.prev_pid}, {"prev_name", r.prev_name},
              {"next_pid", r.next_pid},   {"next_name", r.next_name}, {"ret_addr", r.ret_addr}, {"ret_sym", r.ret_sym}};
    if (r.cost) {  // --timing detailed (switch_cost.h)
        const timing::Counters& c = r.cost->counters;
        json parts;
        for (size_t p = 0; p < timing::kParts; ++p) parts[std::string(timing::part_name(timing::Part(p)))] = c.part[p];
        j["cost"] = {{"start", r.cost->start == SwitchCost::Start::Interrupt ? "interrupt" : "schedule"},
                     {"cycles", c.cycles},
                     {"insns", c.insns},
                     {"parts", parts},
                     {"mispredicts", c.mispredicts},
                     {"ret", {{"pc", r.cost->ret.pc},
                              {"predicted", r.cost->ret.predicted},
                              {"actual", r.cost->ret.actual},
                              {"correct", r.cost->ret.correct()}}}};
    }
    return j;
}

}  // namespace

json anatomy_json(const Anatomy& a) {
    json steps = json::array();
    for (const AnatomyStep& s : a.steps) {
        json ranges = json::array();
        for (const auto& [lo, hi] : s.ranges) ranges.push_back({lo, hi});
        const char* stack = s.stack == AnatomyStep::Stack::Task        ? "task"
                            : s.stack == AnatomyStep::Stack::Scheduler ? "scheduler"
                                                                       : "any";
        steps.push_back({{"name", s.name}, {"what", s.what}, {"ranges", ranges}, {"stack", stack}});
    }
    return {{"model", a.model}, {"seed", a.seed}, {"steps", steps}, {"current", a.current}, {"cpu", a.cpu}, {"inside", a.inside}};
}

json model_json(const Model& m) {
    json j;
    j["now"] = m.now;
    j["kernel_known"] = m.kernel_known;
    if (!m.kernel_note.empty()) j["kernel_note"] = m.kernel_note;
    j["lab_breaks"] = m.lab_breaks;
    if (m.kernel_known) j["switch_model"] = m.switch_model;
    if (!m.scheduler_threads.empty()) {
        j["scheduler_threads"] = json::array();
        for (const auto& st : m.scheduler_threads) {
            json e = {{"cpu", st.cpu}, {"context", st.context}};
            if (st.frame) e["rip"] = st.frame->ret_addr, e["rip_sym"] = st.frame->ret_sym, e["rbp"] = st.frame->rbp;
            j["scheduler_threads"].push_back(e);
        }
    }
    j["cpus"] = json::array();
    for (const CpuView& c : m.cpus) j["cpus"].push_back(cpu_json(c));
    j["tasks"] = json::array();
    for (const TaskView& t : m.tasks) j["tasks"].push_back(task_json(t));
    if (m.sw) {
        const SwitchView& s = *m.sw;
        json changes = json::array();
        for (const auto& c : s.changes)
            changes.push_back({{"name", c.name}, {"before", c.known_before ? json(c.before) : json(nullptr)},
                               {"now", c.now}, {"changed", c.changed()}});
        j["switch"] = {{"cpu", s.cpu},          {"prev_pid", s.prev_pid}, {"next_pid", s.next_pid},
                       {"prev_name", s.prev_name}, {"next_name", s.next_name}, {"prev_task", s.prev},
                       {"next_task", s.next},   {"ret_addr", s.ret_addr}, {"ret_sym", s.ret_sym},
                       {"ret_slot", s.ret_slot}, {"rsp", s.rsp},          {"cycle", s.cycle},
                       {"at_ret", s.at_ret},    {"phase", s.phase},       {"changes", changes}};
    } else {
        j["switch"] = nullptr;
    }
    j["switch_log"] = json::array();
    for (const auto& r : m.log) j["switch_log"].push_back(record_json(r));
    j["anatomy"] = anatomy_json(m.anatomy);
    return j;
}

json timeline_json(const trace::Recorder& r, Machine& m) {
    std::vector<u64> now;
    for (unsigned n = 0; n < m.cpu_count(); ++n) now.push_back(m.cpu(n).cycles);
    json out = json::array();
    for (const trace::Event& e : trace::timeline(r, now))
        out.push_back({{"kind", trace::kind_name(e.kind)}, {"cpu", e.cpu}, {"begin", e.begin}, {"end", e.end},
                       {"depth", e.depth}, {"pid", e.pid}, {"name", e.name}, {"number", e.number},
                       {"open", e.open}, {"resumed", e.resumed}});
    return out;
}

}  // namespace sy::debug
