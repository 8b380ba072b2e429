// Exception and interrupt delivery in IA-32e mode, byte by byte. Expected frames
// and stack choices: SDM Vol. 3A, 6.14.2 "64-bit mode stack frame" (SS, RSP,
// RFLAGS, CS, RIP, error code; RSP aligned to 16 bytes first), 6.14.4 "stack
// switching" (RSPn from the TSS on a privilege change, SS := NULL with RPL = new
// CPL), 6.14.5 "interrupt stack table", 6.12.1.1 (software INT n checks the gate
// DPL: #GP(vector*8+2)), 6.12.1.2 (interrupt gates clear IF, trap gates do not;
// TF, NT, RF cleared).
#include <doctest/doctest.h>

#include "sys_support.h"

using namespace sy;
using test::SysMachine;

TEST_CASE("delivery: #UD at CPL 0 pushes a 5-word frame on the current stack, aligned to 16") {
    SysMachine t;
    t.code(SysMachine::kKernelCode, {0x0F, 0x0B});  // ud2
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.gpr[RSP] = 0x60008;  // not 16-byte aligned: the CPU aligns before pushing
    t.cpu.s.rflags = fl::FIXED1 | fl::IF | fl::CF;
    auto r = t.run();
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(t.in_handler(UD));
    const u64 top = 0x60000;  // 0x60008 & ~0xF
    CHECK(t.cpu.s.gpr[RSP] == top - 40);
    CHECK(t.get64(top - 8) == SysMachine::kKernelDs);        // SS
    CHECK(t.get64(top - 16) == 0x60008);                     // RSP before the event
    // RFLAGS, with RF set: the image of every fault-class exception has it (SDM Vol. 3A, 17.3.1.1).
    CHECK(t.get64(top - 24) == (fl::FIXED1 | fl::IF | fl::CF | fl::RF));
    CHECK(t.get64(top - 32) == SysMachine::kKernelCs);       // CS
    CHECK(t.get64(top - 40) == SysMachine::kKernelCode);     // RIP of the faulting ud2
    CHECK((t.cpu.s.rflags & fl::IF) == 0);                   // interrupt gate
    CHECK(t.cpu.cpl() == 0);
}

TEST_CASE("delivery: a trap gate leaves IF set, #GP pushes its error code") {
    SysMachine t;
    t.gate(GP, SysMachine::kHandlers + GP * 16, 0, 0, 0xF);  // trap gate
    // mov ax, 0x7f8; mov ds, ax: a selector beyond the GDT limit -> #GP(0x7f8)
    t.code(SysMachine::kKernelCode, {0x66, 0xB8, 0xF8, 0x07, 0x8E, 0xD8});
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.rflags = fl::FIXED1 | fl::IF;
    auto r = t.run();
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(t.in_handler(GP));
    const u64 top = 0x60000;
    CHECK(t.cpu.s.gpr[RSP] == top - 48);
    CHECK(t.get64(top - 48) == 0x7F8);                      // error code: the selector, RPL cleared
    CHECK(t.get64(top - 40) == SysMachine::kKernelCode + 4);  // RIP of mov ds
    CHECK((t.cpu.s.rflags & fl::IF) != 0);
}

TEST_CASE("delivery: INT n from ring 3 switches to TSS.RSP0 and nulls SS") {
    SysMachine t;
    t.gate(0x80, SysMachine::kHandlers + 0x80 * 16, 3, 0);
    t.code(SysMachine::kUserCode, {0xCD, 0x80});  // int 0x80
    t.enter_user(SysMachine::kUserCode, SysMachine::kUserStack - 8);
    t.cpu.s.rflags = fl::FIXED1 | fl::IF | fl::TF * 0;
    auto r = t.run();
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(t.in_handler(0x80));
    const u64 top = SysMachine::kRsp0;
    CHECK(t.cpu.s.gpr[RSP] == top - 40);
    CHECK(t.get64(top - 8) == SysMachine::kUserDs);             // user SS
    CHECK(t.get64(top - 16) == SysMachine::kUserStack - 8);     // user RSP
    CHECK(t.get64(top - 32) == SysMachine::kUserCs);            // user CS (RPL 3)
    CHECK(t.get64(top - 40) == SysMachine::kUserCode + 2);      // INT n is a trap: RIP after it
    CHECK(t.cpu.cpl() == 0);
    CHECK(t.cpu.sys.seg[SS].sel == 0);                           // NULL selector, RPL = new CPL (0)
    CHECK(t.cpu.sys.seg[CS].sel == SysMachine::kKernelCs);
}

TEST_CASE("delivery: INT n through a DPL 0 gate from ring 3 is #GP(vector*8+2)") {
    SysMachine t;  // gate 0x81 has DPL 0
    t.code(SysMachine::kUserCode, {0xCD, 0x81});
    t.enter_user(SysMachine::kUserCode, SysMachine::kUserStack);
    auto r = t.run();
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(t.in_handler(GP));
    CHECK(t.get64(SysMachine::kRsp0 - 48) == 0x81 * 8 + 2);
    CHECK(t.get64(SysMachine::kRsp0 - 40) == SysMachine::kUserCode);  // a fault: RIP at the INT
}

TEST_CASE("delivery: an IST gate switches stacks even without a privilege change") {
    SysMachine t;
    t.gate(NMI, SysMachine::kHandlers + NMI * 16, 0, 1);
    t.gate(0x40, SysMachine::kHandlers + 0x40 * 16, 0, 1);
    t.code(SysMachine::kKernelCode, {0xCD, 0x40});  // int 0x40 at CPL 0
    t.cpu.s.rip = SysMachine::kKernelCode;
    auto r = t.run();
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(t.in_handler(0x40));
    CHECK(t.cpu.s.gpr[RSP] == SysMachine::kIst1 - 40);
    CHECK(t.get64(SysMachine::kIst1 - 16) == 0x60000);  // the interrupted RSP
}

TEST_CASE("delivery: interrupt gates clear TF, NT and RF as well as IF") {
    SysMachine t;
    t.code(SysMachine::kKernelCode, {0x0F, 0x0B});
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.rflags = fl::FIXED1 | fl::IF | fl::NT | fl::RF | fl::AC;
    t.run();
    CHECK((t.cpu.s.rflags & (fl::IF | fl::NT | fl::RF | fl::TF)) == 0);
    CHECK((t.cpu.s.rflags & fl::AC) != 0);
}

TEST_CASE("delivery: IRETQ to ring 3 restores CS, SS, RSP, RFLAGS and CPL") {
    SysMachine t;
    // The kernel builds an IRET frame and executes iretq (48 cf).
    const u64 k = 0x5FF00;
    t.put64(k + 0, SysMachine::kUserCode);             // RIP
    t.put64(k + 8, SysMachine::kUserCs);               // CS
    t.put64(k + 16, fl::FIXED1 | fl::IF | fl::ZF);     // RFLAGS
    t.put64(k + 24, SysMachine::kUserStack - 0x10);    // RSP
    t.put64(k + 32, SysMachine::kUserDs);              // SS
    t.code(SysMachine::kKernelCode, {0x48, 0xCF});
    t.code(SysMachine::kUserCode, {0x90, 0x0F, 0x0B});  // nop; ud2 -> #UD back into the kernel
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.gpr[RSP] = k;
    t.cpu.set_segment(DS, SysMachine::kKernelDs, 0x00CF92000000FFFF);  // DPL 0 data: nulled on return
    REQUIRE(t.cpu.step().reason == StopReason::Budget);
    CHECK(t.cpu.cpl() == 3);
    CHECK(t.cpu.s.rip == SysMachine::kUserCode);
    CHECK(t.cpu.s.gpr[RSP] == SysMachine::kUserStack - 0x10);
    CHECK(t.cpu.sys.seg[CS].sel == SysMachine::kUserCs);
    CHECK(t.cpu.sys.seg[SS].sel == SysMachine::kUserDs);
    CHECK(t.cpu.s.rflags == (fl::FIXED1 | fl::IF | fl::ZF));
    CHECK(t.cpu.sys.seg[DS].sel == 0);  // SDM Vol. 2A IRET: data segments with DPL < CPL become null
    CHECK(t.cpu.mode() == Mode::Long64);
    t.run();
    CHECK(t.in_handler(UD));
    CHECK(t.get64(SysMachine::kRsp0 - 40) == SysMachine::kUserCode + 1);
}

TEST_CASE("delivery: IRETQ at CPL 3 cannot set IOPL or IF-independent privileged bits") {
    SysMachine t;
    const u64 k = SysMachine::kUserStack - 0x100;
    t.put64(k + 0, SysMachine::kUserCode + 2);
    t.put64(k + 8, SysMachine::kUserCs);
    t.put64(k + 16, fl::FIXED1 | 0x3000 /* IOPL 3 */ | fl::CF);
    t.put64(k + 24, SysMachine::kUserStack);
    t.put64(k + 32, SysMachine::kUserDs);
    t.code(SysMachine::kUserCode, {0x48, 0xCF});
    t.enter_user(SysMachine::kUserCode, k);
    t.cpu.s.rflags = fl::FIXED1 | fl::IF;
    REQUIRE(t.cpu.step().reason == StopReason::Budget);
    CHECK(((t.cpu.s.rflags >> 12) & 3) == 0);   // IOPL kept (CPL 3 > 0)
    CHECK((t.cpu.s.rflags & fl::IF) != 0);       // IF kept (CPL 3 > IOPL 0)
    CHECK((t.cpu.s.rflags & fl::CF) != 0);
}

TEST_CASE("delivery: a #GP whose handler gate is not present becomes #DF (SDM Table 6-5)") {
    SysMachine t;
    t.gate(GP, SysMachine::kHandlers + GP * 16, 0, 0, 0xE, false);  // #GP gate not present -> #NP
    t.gate(DF, SysMachine::kHandlers + DF * 16, 0, 1);
    t.code(SysMachine::kKernelCode, {0x66, 0xB8, 0xF8, 0x07, 0x8E, 0xD8});  // mov ds, 0x7f8 -> #GP
    t.cpu.s.rip = SysMachine::kKernelCode;
    auto r = t.run();
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(t.in_handler(DF));
    CHECK(t.get64(SysMachine::kIst1 - 48) == 0);  // #DF error code is 0
}

TEST_CASE("delivery: a fault while delivering #DF is a triple fault and stops the CPU") {
    SysMachine t;
    t.gate(GP, 0, 0, 0, 0xE, false);
    t.gate(DF, 0, 0, 0, 0xE, false);
    t.gate(NP, 0, 0, 0, 0xE, false);
    t.code(SysMachine::kKernelCode, {0x66, 0xB8, 0xF8, 0x07, 0x8E, 0xD8});
    t.cpu.s.rip = SysMachine::kKernelCode;
    auto r = t.run();
    CHECK(r.reason == StopReason::TripleFault);
    CHECK(t.cpu.describe().find("cr3=") != std::string::npos);
}

TEST_CASE("delivery: #PF during #PF delivery (unmapped stack) becomes #DF") {
    SysMachine t;
    t.gate(DF, SysMachine::kHandlers + DF * 16, 0, 1);
    t.set_pte(0x5F000, 0);  // the kernel stack page is not present
    t.code(SysMachine::kKernelCode, {0x48, 0x8B, 0x03});  // mov rax, [rbx] with rbx unmapped
    t.cpu.s.gpr[RBX] = 0x5F800;
    t.cpu.s.gpr[RSP] = 0x60000;  // pushes go to 0x5FFF8.. -> #PF while delivering #PF
    t.cpu.s.rip = SysMachine::kKernelCode;
    auto r = t.run();
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(t.in_handler(DF));
}

TEST_CASE("delivery: external interrupts wait for IF and for the instruction after STI") {
    test::TestPic pic;
    pic.vectors = {0x30};
    SysMachine t;
    t.cpu.interrupts = &pic;
    // nop; sti; mov eax, 1; hlt   (IF = 0 at first)
    t.code(SysMachine::kKernelCode, {0x90, 0xFB, 0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4});
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.rflags = fl::FIXED1;
    auto r = t.run();
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(t.in_handler(0x30));
    // The interrupt arrived after `mov eax, 1` (the STI shadow), before HLT.
    CHECK(t.cpu.s.gpr[RAX] == 1);
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode + 7);
}

// SDM Vol. 3A, 6.13: only the exceptions of Table 6-1 push an error code; an
// external interrupt (or INT n) through vector 8, 10-14, 17 or 21 pushes none.
TEST_CASE("delivery: an external interrupt on an exception vector pushes no error code") {
    for (u8 v : {u8(DF), u8(TS), u8(NP), u8(SS_), u8(GP), u8(PF_), u8(AC_), u8(21)}) {
        INFO("vector " << int(v));
        test::TestPic pic;
        pic.vectors = {v};
        SysMachine t;
        t.cpu.interrupts = &pic;
        t.code(SysMachine::kKernelCode, {0x90, 0xF4});  // nop; hlt
        t.cpu.s.rip = SysMachine::kKernelCode;
        t.cpu.s.rflags = fl::FIXED1 | fl::IF;
        auto r = t.run();
        REQUIRE(r.reason == StopReason::Halt);
        CHECK(t.in_handler(v));
        CHECK(t.cpu.s.gpr[RSP] == 0x60000 - 40);                  // five slots: no error code
        CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode);  // RIP: the interrupted instruction
        CHECK(t.get64(0x60000 - 32) == SysMachine::kKernelCs);
    }
}

TEST_CASE("delivery: INT n through an exception vector pushes no error code") {
    SysMachine t;
    t.code(SysMachine::kKernelCode, {0xCD, 0x0D});  // int 0x0d
    t.cpu.s.rip = SysMachine::kKernelCode;
    auto r = t.run();
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(t.in_handler(GP));
    CHECK(t.cpu.s.gpr[RSP] == 0x60000 - 40);
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode + 2);  // INT n is a trap
}

// Table 6-5 classes exceptions only: an interrupt is benign, so a #NP while
// delivering an external interrupt on vector 13 is handled serially, with EXT set.
TEST_CASE("delivery: a fault while delivering an external interrupt on vector 13 is not a double fault") {
    test::TestPic pic;
    pic.vectors = {GP};
    SysMachine t;
    t.cpu.interrupts = &pic;
    t.gate(GP, SysMachine::kHandlers + GP * 16, 0, 0, 0xE, /*present=*/false);
    t.code(SysMachine::kKernelCode, {0x90, 0xF4});
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.rflags = fl::FIXED1 | fl::IF;
    auto r = t.run();
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(t.in_handler(NP));
    CHECK(t.get64(0x60000 - 48) == GP * 8u + 2u + 1u);  // IDT entry 13, EXT
}
