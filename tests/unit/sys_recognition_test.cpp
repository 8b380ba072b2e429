// Where external interrupts are recognised (SDM Vol. 3A, 6.8.1: at instruction
// boundaries, as soon as IF and the shadows allow; 6.8.3 the MOV SS / STI
// shadow), and Cpu::step() as one instruction of Cpu::run(). The instruction
// that makes an interrupt pending here is a device access (an OUT, an MMIO
// write, a WRMSR handled by the machine): the interrupt must be taken at the
// very next boundary, with RIP after that instruction in the frame, not at the
// end of the decoded block.
#include <doctest/doctest.h>

#include "sys_support.h"

using namespace sy;
using test::SysMachine;

namespace {

// nop, the instruction under test, 32 x `inc eax`, hlt: one long straight
// block from the instruction under test on (the nop first, so that nothing
// left over from the set-up ends the block).
std::vector<u8> incs_then_hlt(std::vector<u8> head) {
    head.insert(head.begin(), 0x90);
    for (int k = 0; k < 32; ++k) head.insert(head.end(), {0xFF, 0xC0});
    head.push_back(0xF4);
    return head;
}

void place(SysMachine& t, u64 at, const std::vector<u8>& code) {
    std::copy(code.begin(), code.end(), t.m.bus.ram.begin() + at);
    for (u64 pg = at >> 12; pg <= (at + code.size()) >> 12; ++pg) t.cpu.code_cache().invalidate_page(pg);
}

struct RaiseOnWrite : MsrHandler {
    test::TestPic* pic;
    bool read(u32, u64&) override { return false; }
    bool write(u32 msr, u64) override {
        if (msr != 0x80B) return false;  // x2APIC EOI
        pic->vectors.push_back(0x31);
        return true;
    }
};

}  // namespace

TEST_CASE("recognition: an OUT that makes an interrupt pending is followed by it at the next boundary") {
    test::TestPic pic;
    SysMachine t;
    t.cpu.interrupts = &pic;
    t.m.bus.on_io_out = [&](u16 port, unsigned, u32) {
        if (port == 0x21) pic.vectors.push_back(0x30);  // unmasking a line that was raised
    };
    place(t, SysMachine::kKernelCode, incs_then_hlt({0xE6, 0x21}));  // out 0x21, al
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.rflags = fl::FIXED1 | fl::IF;
    t.cpu.s.gpr[RAX] = 0;
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.in_handler(0x30));
    CHECK(t.cpu.s.gpr[RAX] == 0);                                    // no inc ran before it
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode + 3);     // RIP: the instruction after OUT
}

TEST_CASE("recognition: an MMIO write (an EOI, an ICR write) is followed by the interrupt it makes pending") {
    test::TestPic pic;
    SysMachine t;
    t.cpu.interrupts = &pic;
    t.set_pte(0x3FF000, 0x1000000 | 3);  // a device page outside RAM
    t.cpu.flush_tlb();
    t.m.bus.on_mmio_write = [&](u64 pa, unsigned, u64) {
        if (pa == 0x10000B0) pic.vectors.push_back(0x32);
    };
    // mov [rbx], eax  with rbx = 0x3FF0B0
    place(t, SysMachine::kKernelCode, incs_then_hlt({0x89, 0x03}));
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.rflags = fl::FIXED1 | fl::IF;
    t.cpu.s.gpr[RAX] = 0;
    t.cpu.s.gpr[RBX] = 0x3FF0B0;
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.in_handler(0x32));
    CHECK(t.cpu.s.gpr[RAX] == 0);
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode + 3);
}

TEST_CASE("recognition: a WRMSR the machine handles (x2APIC EOI) is followed by the interrupt it makes pending") {
    test::TestPic pic;
    RaiseOnWrite msrs;
    msrs.pic = &pic;
    SysMachine t;
    t.cpu.interrupts = &pic;
    t.cpu.msr_handler = &msrs;
    place(t, SysMachine::kKernelCode, incs_then_hlt({0x0F, 0x30}));  // wrmsr, ecx = 0x80b
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.rflags = fl::FIXED1 | fl::IF;
    t.cpu.s.gpr[RCX] = 0x80B;
    t.cpu.s.gpr[RAX] = 0;
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.in_handler(0x31));
    CHECK(t.cpu.s.gpr[RAX] == 0);
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode + 3);
}

TEST_CASE("recognition: POPF that sets IF lets a pending interrupt in right after it") {
    test::TestPic pic;
    pic.vectors = {0x33};
    SysMachine t;
    t.cpu.interrupts = &pic;
    // push 0x202; popfq; 32 x inc eax; hlt
    place(t, SysMachine::kKernelCode, incs_then_hlt({0x68, 0x02, 0x02, 0x00, 0x00, 0x9D}));
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.rflags = fl::FIXED1;
    t.cpu.s.gpr[RAX] = 0;
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.in_handler(0x33));
    CHECK(t.cpu.s.gpr[RAX] == 0);
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode + 7);
}

// Cpu::step() is one instruction of run(): the same program reaches the same
// state whether it is run or stepped, including an interrupt made pending by an
// OUT, the STI shadow and a single-step trap.
TEST_CASE("step: stepping a program gives the same state as running it") {
    // out 0x21, al        (raises vector 0x30 while IF = 0)
    // inc eax
    // sti                 (the shadow: the interrupt comes after the next one)
    // inc eax
    // inc eax             <- interrupt 0x30 arrives before this one
    // pushfq; or qword [rsp], 0x100; popfq     (TF on: the next instruction traps)
    // inc ebx             -> #DB after it
    // hlt
    const std::vector<u8> code = {0xE6, 0x21, 0xFF, 0xC0, 0xFB, 0xFF, 0xC0, 0xFF, 0xC0, 0x9C, 0x48,
                                  0x81, 0x0C, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9D, 0xFF, 0xC3, 0xF4};
    // Handler for 0x30: iretq. Handler for #DB: hlt (the stub).
    auto setup = [&](SysMachine& t, test::TestPic& pic) {
        t.cpu.interrupts = &pic;
        t.m.bus.on_io_out = [&pic](u16 port, unsigned, u32) {
            if (port == 0x21) pic.vectors.push_back(0x30);
        };
        t.m.bus.ram[SysMachine::kHandlers + 0x30 * 16] = 0x48;
        t.m.bus.ram[SysMachine::kHandlers + 0x30 * 16 + 1] = 0xCF;
        place(t, SysMachine::kKernelCode, code);
        t.cpu.s.rip = SysMachine::kKernelCode;
        t.cpu.s.rflags = fl::FIXED1;
    };
    test::TestPic pic_run, pic_step;
    SysMachine ran, stepped;
    setup(ran, pic_run);
    setup(stepped, pic_step);
    REQUIRE(ran.run().reason == StopReason::Halt);
    int steps = 0;
    while (stepped.cpu.step().reason != StopReason::Halt && ++steps < 100) {
    }
    CHECK(ran.in_handler(DB));
    CHECK(stepped.in_handler(DB));
    CHECK(stepped.cpu.s.gpr[RAX] == ran.cpu.s.gpr[RAX]);
    CHECK(stepped.cpu.s.gpr[RBX] == ran.cpu.s.gpr[RBX]);
    CHECK(stepped.cpu.s.gpr[RSP] == ran.cpu.s.gpr[RSP]);
    CHECK(stepped.cpu.insns == ran.cpu.insns);
    CHECK(stepped.cpu.cycles == ran.cpu.cycles);
    CHECK(stepped.cpu.sys.dr[6] == ran.cpu.sys.dr[6]);
    for (u64 a = 0x60000 - 0x100; a < 0x60000; a += 8) CHECK(stepped.get64(a) == ran.get64(a));
    // The interrupt frame (written below the #DB frame's slots, then reused)
    // and the #DB frame: RIP after inc ebx.
    CHECK(ran.get64(0x60000 - 40) == SysMachine::kKernelCode + 21);
    CHECK((ran.cpu.sys.dr[6] & dr6::BS) != 0);
    CHECK(ran.cpu.s.gpr[RAX] == 3);
    CHECK(pic_run.acks == 1);
    CHECK(pic_step.acks == 1);
}
