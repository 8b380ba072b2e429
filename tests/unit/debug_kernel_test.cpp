// The debugger core on the bundled guest kernel (emu/debug/, emu/guest/).
// Oracles: the CPU itself (what the ret of __switch_to really pops, where a
// call really returns), the kernel's own view of itself (its descriptor's
// symbol addresses, compiled by its C compiler), and a run of the same
// machine without a debugger (same cycles, same instructions).
#include <doctest/doctest.h>

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "debugger.h"
#include "listing.h"
#include "guest/kernel.h"
#include "machine.h"
#include "model.h"
#include "guest_boot.h"
#include "multiboot.h"

using namespace sy;

namespace {

struct Rig {
    std::unique_ptr<Machine> m;
    std::unique_ptr<guest::CpuMemory> mem;
    std::unique_ptr<guest::Kernel> k;
    std::unique_ptr<debug::Debugger> d;
    explicit Rig(unsigned cpus = 2, const std::string& append = "", bool debugger = true) {
        m = test::guest_machine(cpus, append);
        if (!debugger) return;
        mem = std::make_unique<guest::CpuMemory>(m->cpu(0));
        k = std::make_unique<guest::Kernel>(test::load_guest_kernel(*mem));
        d = std::make_unique<debug::Debugger>(*m, k.get());
    }
    u64 peek64(unsigned cpu, u64 va) {
        u64 v = 0;
        m->cpu(cpu).peek(va, &v, 8);
        return v;
    }
};

}  // namespace

TEST_CASE("kernel symbols: the ELF symbols agree with the addresses the kernel's descriptor was compiled with") {
    Rig r(1);
    const guest::Descriptor& d = r.k->d();
    const Symbols& s = r.k->symbols();
    CHECK(s.address_of("__switch_to_asm") == d.sym_switch_to_asm);
    CHECK(s.address_of("__switch_to") == d.sym_switch_to);
    CHECK(s.address_of("ret_from_fork") == d.sym_ret_from_fork);
    CHECK(s.address_of("__schedule") == d.sym___schedule);
    CHECK(s.address_of("switchyard_debug_descriptor") == d.self);
    CHECK(s.format(d.sym___schedule + 0x10) == "__schedule+0x10");
    CHECK(s.format(d.sym_ret_from_fork) == "ret_from_fork");
    // The kernel's own text range and the ELF's executable sections agree.
    CHECK(s.in_text(d.text_start));
    CHECK(s.in_text(d.text_end - 1));
    REQUIRE_FALSE(r.k->switch_to_rets().empty());
    for (u64 ret : r.k->switch_to_rets()) {
        u8 op = 0;
        r.k->read(ret, &op, 1);
        CHECK(op == 0xC3);  // ret
    }
}

TEST_CASE("run to switch: stops at the ret of __switch_to, one step lands where next's saved frame says") {
    Rig r(2);
    for (int n = 1; n <= 6; ++n) {
        debug::Stop s = r.d->run_to_switch();
        REQUIRE(s.kind == debug::StopKind::Switch);
        const Cpu& c = r.m->cpu(s.cpu);
        debug::Model model = debug::build_model(*r.m, r.k.get(), &r.d->switches());
        REQUIRE(model.sw);
        CHECK(model.sw->at_ret);
        CHECK(model.sw->cpu == s.cpu);
        const debug::TaskView* next = nullptr;
        for (const auto& t : model.tasks)
            if (t.task.addr == model.sw->next) next = &t;
        REQUIRE(next);
        REQUIRE(next->frames.frame);
        CHECK(next->popping);
        const u64 predicted = next->frames.frame->ret_addr;
        const u64 predicted_sp = next->frames.frame->sp_after(r.k->d());
        CHECK(model.sw->ret_addr == predicted);
        CHECK(c.s.gpr[RSP] == next->ret_slot);
        // The CPU executes the ret: where it goes is the oracle.
        debug::Stop st = r.d->step(s.cpu);
        CHECK(st.kind == debug::StopKind::Step);
        CHECK(c.s.rip == predicted);
        CHECK(c.s.gpr[RSP] == predicted_sp);
        CHECK((predicted == r.k->d().sym_ret_from_fork ||
               (predicted >= r.k->d().sym_sched_text_start && predicted < r.k->d().sym_sched_text_end)));
        CHECK(r.d->switches().count() == size_t(n));
        CHECK(r.d->switches().log().back().next == model.sw->next);
    }
}

TEST_CASE("run to switch: the backtrace of a sleeping task starts where it really resumes") {
    // Predict each sleeping task's resume address from its saved frame, then
    // watch it resume: after the ret of __switch_to, RIP and RSP are frame #0's.
    Rig r(1);
    std::map<u64, guest::BacktraceFrame> predicted;
    int confirmed = 0;
    for (int n = 0; n < 40 && confirmed < 8; ++n) {
        debug::Stop s = r.d->run_to_switch();
        REQUIRE(s.kind == debug::StopKind::Switch);
        debug::Model model = debug::build_model(*r.m, r.k.get(), &r.d->switches());
        const u64 next = model.sw->next;
        auto it = predicted.find(next);
        if (it != predicted.end()) {
            r.d->step(s.cpu);
            CHECK(r.m->cpu(s.cpu).s.rip == it->second.pc);
            CHECK(r.m->cpu(s.cpu).s.gpr[RSP] == it->second.sp);
            ++confirmed;
        }
        predicted.clear();
        for (const auto& t : model.tasks)
            if (t.switched_out && t.task.addr != next && !t.backtrace.frames.empty())
                predicted[t.task.addr] = t.backtrace.frames.front();
    }
    CHECK(confirmed >= 8);
}

TEST_CASE("debugger: a run stopped at every switch takes the same cycles and instructions as one without") {
    const u64 limit = 300'000'000;
    Rig plain(2, "", false);
    plain.m->run(limit);
    Rig r(2);
    r.d->set_checks(true);
    int stops = 0;
    for (;;) {
        debug::Stop s = r.d->run_to_switch(std::nullopt, limit);
        if (s.kind != debug::StopKind::Switch) {
            CHECK(s.kind == debug::StopKind::Limit);
            break;
        }
        ++stops;
    }
    CHECK(stops > 10);
    CHECK(r.m->now() == plain.m->now());
    for (unsigned n = 0; n < 2; ++n) {
        CHECK(r.m->cpu(n).insns == plain.m->cpu(n).insns);
        CHECK(r.m->cpu(n).cycles == plain.m->cpu(n).cycles);
        CHECK(r.m->cpu(n).s.rip == plain.m->cpu(n).s.rip);
    }
}

TEST_CASE("debugger: a breakpoint at a symbol, step out returns to the caller, step over a call comes back") {
    Rig r(1);
    r.d->add_breakpoint("__schedule");
    debug::Stop s = r.d->cont();
    REQUIRE(s.kind == debug::StopKind::Breakpoint);
    Cpu& c = r.m->cpu(0);
    CHECK(c.s.rip == r.k->d().sym___schedule);
    // Step out: the caller's return address is what the call pushed.
    const u64 ret = r.peek64(0, c.s.gpr[RSP]), rsp = c.s.gpr[RSP];
    r.d->remove_breakpoint(r.d->breakpoints().front().id);
    s = r.d->step_out(0);
    REQUIRE(s.kind == debug::StopKind::Step);
    CHECK(c.s.rip == ret);
    CHECK(c.s.gpr[RSP] == rsp + 8);
    // Into the first system call, step to its first call, then over it.
    r.d->add_breakpoint("do_syscall_64");
    s = r.d->cont();
    REQUIRE(s.kind == debug::StopKind::Breakpoint);
    r.d->remove_breakpoint(r.d->breakpoints().front().id);
    for (int n = 0; n < 200 && !r.d->disassemble(0, c.s.rip).is_call; ++n) r.d->step(0);
    DisasmLine call = r.d->disassemble(0, c.s.rip);
    REQUIRE(call.is_call);
    INFO(call.text, " at ", r.k->symbols().format(c.s.rip));
    const u64 at = c.s.rip, sp = c.s.gpr[RSP];
    s = r.d->step_over(0);
    REQUIRE(s.kind == debug::StopKind::Step);
    CHECK(c.s.rip == at + call.len);
    CHECK(c.s.gpr[RSP] == sp);
}

TEST_CASE("checks: the unbroken kernel runs clean to the end of its self-tests") {
    Rig r(2, "ktest");
    r.d->set_checks(true);
    debug::Stop s = r.d->cont();
    CHECK(s.kind == debug::StopKind::Exited);
    CHECK(s.run.exit_status == 1);
    CHECK(s.message == "");
}

TEST_CASE("checks: break=canary stops at the first switch's ret with the canary sentence") {
    Rig r(2, "break=canary");
    r.d->set_checks(true);
    debug::Stop s = r.d->cont();
    REQUIRE(s.kind == debug::StopKind::Check);
    CHECK(s.message.find("stack canary") != std::string::npos);
    const u64 rip = r.m->cpu(s.cpu).s.rip;
    bool at_ret = false;
    for (u64 a : r.k->switch_to_rets()) at_ret |= a == rip;
    CHECK(at_ret);
    CHECK(r.d->switches().count() == 1);  // the first switch already
}

TEST_CASE("backtrace of a sleeping task: when it resumes, stepping out returns through its predicted frames") {
    // The frames below frame #0 come from the RBP chain in guest memory; the
    // CPU confirms each one by returning to it (step out stops only where the
    // task really returns, with the predicted RSP).
    Rig r(1);
    int confirmed = 0;
    for (int n = 0; n < 60 && confirmed == 0; ++n) {
        debug::Stop s = r.d->run_to_switch();
        REQUIRE(s.kind == debug::StopKind::Switch);
        debug::Model model = debug::build_model(*r.m, r.k.get(), &r.d->switches());
        const debug::TaskView* next = nullptr;
        for (const auto& t : model.tasks)
            if (t.task.addr == model.sw->next) next = &t;
        REQUIRE(next);
        const auto& f = next->backtrace.frames;
        if (next->frames.never_ran || f.size() < 4 || f[1].source != "return address" || f[2].source != "return address")
            continue;
        r.d->step(s.cpu);
        Cpu& c = r.m->cpu(s.cpu);
        REQUIRE(c.s.rip == f[0].pc);
        for (size_t k = 1; k <= 2; ++k) {
            INFO("frame ", k, " predicted ", f[k].sym);
            debug::Stop o = r.d->step_out(s.cpu);
            REQUIRE(o.kind == debug::StopKind::Step);
            CHECK(c.s.rip == f[k].pc);
            CHECK(c.s.gpr[RSP] == f[k].sp);
        }
        ++confirmed;
    }
    CHECK(confirmed == 1);
}

namespace {

// The bytes of a static ELF executable at virtual `va` (its PT_LOAD segments).
std::vector<u8> elf_bytes_at(const std::string& path, u64 va, size_t n) {
    std::ifstream f(path, std::ios::binary);
    std::vector<u8> img{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    Elf64_Ehdr eh;
    std::memcpy(&eh, img.data(), sizeof eh);
    for (unsigned k = 0; k < eh.e_phnum; ++k) {
        Elf64_Phdr ph;
        std::memcpy(&ph, img.data() + eh.e_phoff + k * eh.e_phentsize, sizeof ph);
        if (ph.p_type == PT_LOAD && va >= ph.p_vaddr && va + n <= ph.p_vaddr + ph.p_filesz)
            return {img.begin() + long(ph.p_offset + (va - ph.p_vaddr)), img.begin() + long(ph.p_offset + (va - ph.p_vaddr) + n)};
    }
    return {};
}

}  // namespace

TEST_CASE("memory: each user task's code read through its own page tables is its program's bytes") {
    // The oracle is the program's ELF file (build/guest-kernel/user/NAME.elf),
    // which execve copied into that task's address space. A task of another
    // program than the one whose address space is loaded shows that the read
    // went through the task's page tables, not the CPU's.
    Rig r(1);
    int other_program = 0;
    for (int n = 0; n < 400 && other_program < 3; ++n) {
        REQUIRE(r.d->run_to_switch().kind == debug::StopKind::Switch);
        debug::Model model = debug::build_model(*r.m, r.k.get(), &r.d->switches());
        std::string loaded;
        for (const auto& t : model.tasks)
            if (t.task.addr == model.sw->next) loaded = t.task.mm ? t.task.name : "";
        for (const auto& t : model.tasks) {
            if (!t.task.mm || !t.frames.user_regs || !t.switched_out || t.task.addr == model.sw->next) continue;
            if (t.task.name == loaded || loaded.empty()) continue;
            const u64 ip = t.frames.user_regs->ip;
            std::vector<u8> want = elf_bytes_at(std::string(SY_GUEST_USER_DIR) + "/" + t.task.name + ".elf", ip, 16);
            if (want.size() != 16) continue;  // not in the file's bytes (bss, or a program without its ELF)
            debug::AddressSpace space;
            space.kind = debug::AddressSpace::TaskMm;
            space.cr3 = t.cr3;
            debug::MemoryDump d = debug::dump_memory(*r.m, space, ip, 16);
            INFO("pid ", t.task.pid, " ", t.task.name, " at ", debug::hex(ip), " while ", loaded, "'s address space is loaded");
            CHECK(d.valid == 16);
            CHECK(d.bytes == want);
            ++other_program;
        }
    }
    CHECK(other_program >= 3);
}

TEST_CASE("debugger: a slice that ends right before a breakpoint does not skip it") {
    // Where and when the breakpoint hits in one run...
    Rig a(1);
    a.d->add_breakpoint("__schedule");
    REQUIRE(a.d->cont().kind == debug::StopKind::Breakpoint);
    const u64 at_cycle = a.m->cpu(0).cycles, at_insns = a.m->cpu(0).insns;
    // ... and in slices, the first of which ends exactly there.
    Rig b(1);
    b.d->add_breakpoint("__schedule");
    debug::Stop s = b.d->cont(at_cycle);
    REQUIRE(s.kind == debug::StopKind::Limit);
    CHECK(b.m->cpu(0).s.rip == b.k->d().sym___schedule);  // at it, not yet through it
    s = b.d->resume(at_cycle + 1'000'000);
    CHECK(s.kind == debug::StopKind::Breakpoint);
    CHECK(b.m->cpu(0).insns == at_insns);
    CHECK(b.m->cpu(0).cycles == at_cycle);
}

TEST_CASE("solaris: a dead task in resume_from_zombie is not switched out, and every switched-out task called resume()") {
    // resume_from_zombie saves nothing of the dead prev: its label_t still
    // holds its last switch before it died, and [label.sp + 8] has since been
    // overwritten by whatever it ran. The oracle for "switched out through
    // resume()" is the code: [label.sp + 8] must follow a `call resume`.
    Rig r(2, "switch=solaris");
    const Symbols& syms = r.k->symbols();
    const u64 resume = *syms.address_of("resume");
    const u64 zombie = *syms.address_of("resume_from_zombie");
    auto called_resume = [&](u64 ret) {
        u8 call[5] = {};
        if (r.k->read(ret - 5, call, 5) != 5 || call[0] != 0xE8) return false;  // E8 cd: CALL rel32
        i32 rel;
        std::memcpy(&rel, call + 1, 4);
        return ret + u64(i64(rel)) == resume;
    };
    auto check = [&](u64 dead, const char* where) {
        debug::Model model = debug::build_model(*r.m, r.k.get(), &r.d->switches());
        int checked = 0;
        for (const auto& t : model.tasks) {
            INFO(where, ": pid ", t.task.pid, " ", t.task.name, " (", t.state, ")");
            if (t.task.addr == dead) {
                CHECK_FALSE(t.switched_out);
                CHECK(t.backtrace.frames.empty());
            }
            if (!t.switched_out || !t.frames.frame || t.frames.never_ran) continue;
            REQUIRE(t.frames.frame->caller_ret);
            CHECK(called_resume(*t.frames.frame->caller_ret));
            ++checked;
        }
        return checked;
    };
    r.d->add_breakpoint_at(zombie);
    int exits = 0;
    for (; exits < 2; ++exits) {
        debug::Stop s = r.d->cont(4'000'000'000ull);
        REQUIRE(s.kind == debug::StopKind::Breakpoint);
        const Cpu& c = r.m->cpu(s.cpu);
        const u64 dead = c.s.gpr[RDI];
        auto prev = guest::read_task(*r.k, dead);
        REQUIRE(prev);
        REQUIRE(prev->state == long(r.k->d().task_dead));
        // Step to the first instruction on next's stack: the switch is in
        // progress, prev's stack not freed yet.
        while (prev->stack_contains(c.s.gpr[RSP])) REQUIRE(r.d->step(s.cpu).kind == debug::StopKind::Step);
        CHECK(check(dead, "on next's stack in resume_from_zombie") >= 1);
        // Past __switch_to: current_task is next on that CPU, so only the
        // task's state says that nothing of it was saved.
        const u64 reap = *syms.address_of("resume_reap_zombie");
        while (c.s.rip != reap) REQUIRE(r.d->step(s.cpu).kind == debug::StopKind::Step);
        REQUIRE(guest::read_task(*r.k, dead)->stack);
        CHECK(check(dead, "at resume_reap_zombie") >= 1);
    }
    CHECK(exits == 2);
}
