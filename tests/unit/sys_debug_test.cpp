// Debug registers and #DB (SDM Vol. 3A, 17.2 "Debug registers", 17.3.1 "Debug
// exception (#DB)": 17.3.1.1 instruction breakpoints are faults before the
// instruction, suppressed by RF; 17.3.1.2 data and I/O breakpoints are traps
// after it; 17.3.1.4 single-step; 17.2.4 general detect; 17.2.5 LEN masks the
// address, any byte of an access in range hits; 6.8.3 MOV SS holds debug traps
// over one instruction; Table 6-2 priorities). The guest code was assembled
// with GNU as (listings in the comments).
#include <doctest/doctest.h>

#include "sys_support.h"

using namespace sy;
using test::SysMachine;

namespace {

constexpr u64 kCount = 0x5000, kDr6 = 0x5008, kFlags = 0x5010, kRip = 0x5018;  // what the handler records
constexpr u64 kData = 0x6000;
constexpr u64 kRecorder = 0x22000, kTfHandler = 0x22100;

// DR7 bits for breakpoint n: enabled (L), R/W and LEN fields.
constexpr u64 kExec = 0, kWrite = 1, kIo = 2, kReadWrite = 3;
constexpr u64 kLen1 = 0, kLen2 = 1, kLen8 = 2, kLen4 = 3;
u64 dr7_for(int n, u64 rw, u64 len) { return (1ull << (2 * n)) | (rw << (16 + 4 * n)) | (len << (18 + 4 * n)) | dr7::kFixed1; }

struct DebugMachine : SysMachine {
    DebugMachine() {
        // #DB handler that counts, records DR6 (then clears it), the saved RIP
        // and RFLAGS, and returns with RF set in the image:
        //   push rax; inc qword [0x5000]; mov rax, [rsp+8]; mov [0x5018], rax
        //   mov rax, [rsp+24]; mov [0x5010], rax; mov rax, dr6; mov [0x5008], rax
        //   xor eax, eax; mov dr6, rax; or qword [rsp+24], 0x10000; pop rax; iretq
        const u8 recorder[] = {0x50, 0x48, 0xff, 0x04, 0x25, 0x00, 0x50, 0x00, 0x00, 0x48, 0x8b, 0x44, 0x24, 0x08,
                               0x48, 0x89, 0x04, 0x25, 0x18, 0x50, 0x00, 0x00, 0x48, 0x8b, 0x44, 0x24, 0x18, 0x48,
                               0x89, 0x04, 0x25, 0x10, 0x50, 0x00, 0x00, 0x0f, 0x21, 0xf0, 0x48, 0x89, 0x04, 0x25,
                               0x08, 0x50, 0x00, 0x00, 0x31, 0xc0, 0x0f, 0x23, 0xf0, 0x48, 0x81, 0x4c, 0x24, 0x18,
                               0x00, 0x00, 0x01, 0x00, 0x58, 0x48, 0xcf};
        std::copy(std::begin(recorder), std::end(recorder), m.bus.ram.begin() + kRecorder);
        // inc qword [0x5000]; test rcx, rcx; jnz 1f; and qword [rsp+16], ~0x100; 1: iretq
        const u8 tf_handler[] = {0x48, 0xff, 0x04, 0x25, 0x00, 0x50, 0x00, 0x00, 0x48, 0x85, 0xc9, 0x75,
                                 0x09, 0x48, 0x81, 0x64, 0x24, 0x10, 0xff, 0xfe, 0xff, 0xff, 0x48, 0xcf};
        std::copy(std::begin(tf_handler), std::end(tf_handler), m.bus.ram.begin() + kTfHandler);
        cpu.s.rip = kKernelCode;
        cpu.s.gpr[RBX] = kData;
    }
    void record_db() { gate(DB, kRecorder, 0, 0); }
    void arm(int n, u64 addr, u64 rw, u64 len) {
        cpu.sys.dr[n] = addr;
        cpu.sys.dr[7] |= dr7_for(n, rw, len);
        cpu.load_breakpoints();
    }
    u64 count() const { return get64(kCount); }
};

}  // namespace

TEST_CASE("debug: an instruction breakpoint is a fault before the instruction, RF lets it run once") {
    DebugMachine t;
    t.record_db();
    t.code(SysMachine::kKernelCode, {0x90, 0xFF, 0xC0, 0xFF, 0xC0, 0xF4});  // nop; inc eax; inc eax; hlt
    t.arm(0, SysMachine::kKernelCode + 1, kExec, kLen1);
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.count() == 1);
    CHECK(t.get64(kRip) == SysMachine::kKernelCode + 1);  // at the instruction: a fault
    CHECK((t.get64(kDr6) & 0xF) == 1);                      // B0
    CHECK((t.get64(kFlags) & fl::RF) == 0);  // an instruction breakpoint keeps RF as it was
    CHECK(t.cpu.s.gpr[RAX] == 2);            // the handler's RF let the instruction run, once
    CHECK((t.cpu.s.rflags & fl::RF) == 0);   // and RF cleared as it started
}

// step() is one iteration of run()'s loop: a fault (here the breakpoint's #DB)
// is delivered and nothing retires; the next step() runs the handler.
TEST_CASE("debug: step() at an instruction breakpoint delivers the #DB without executing the instruction") {
    DebugMachine t;
    t.code(SysMachine::kKernelCode, {0xFF, 0xC0, 0xF4});  // inc eax; hlt
    t.arm(0, SysMachine::kKernelCode, kExec, kLen1);
    t.cpu.step();
    CHECK(t.cpu.s.gpr[RAX] == 0);
    CHECK(t.cpu.insns == 0);
    CHECK(t.cpu.s.rip == SysMachine::kHandlers + DB * 16);
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode);
    t.cpu.step();
    CHECK(t.in_handler(DB));
}

TEST_CASE("debug: a write breakpoint traps after the write, not on a read, LEN 4 covers 4 bytes") {
    DebugMachine t;
    t.record_db();
    // mov al, [rbx]; mov [rbx+2], al; nop; hlt
    t.code(SysMachine::kKernelCode, {0x8a, 0x03, 0x88, 0x43, 0x02, 0x90, 0xf4});
    t.arm(1, kData, kWrite, kLen4);
    t.m.bus.ram[kData] = 0x77;
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.count() == 1);
    CHECK(t.get64(kRip) == SysMachine::kKernelCode + 5);  // after the write: a trap
    CHECK((t.get64(kDr6) & 0xF) == 2);                      // B1
    CHECK(t.m.bus.ram[kData + 2] == 0x77);                  // the write happened
}

TEST_CASE("debug: a read/write breakpoint traps on a read overlapping its range, never on a fetch") {
    DebugMachine t;
    t.record_db();
    t.code(SysMachine::kKernelCode, {0x8b, 0x43, 0x0f, 0xf4});  // mov eax, [rbx+0xf]; hlt
    t.arm(0, kData + 0x10, kReadWrite, kLen2);                 // 0x6010-0x6011; the read is 0x600f-0x6012
    t.arm(1, SysMachine::kKernelCode, kReadWrite, kLen4);      // data breakpoints ignore fetches
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.count() == 1);
    CHECK((t.get64(kDr6) & 0xF) == 1);
    CHECK(t.get64(kRip) == SysMachine::kKernelCode + 3);
}

TEST_CASE("debug: LEN 8 masks the low address bits, the byte after the range does not hit") {
    DebugMachine t;
    t.record_db();
    // mov [rbx+0x20], al; mov [rbx+0x28], al; hlt
    t.code(SysMachine::kKernelCode, {0x88, 0x43, 0x20, 0x88, 0x43, 0x28, 0xf4});
    t.arm(2, kData + 0x25, kWrite, kLen8);  // covers 0x6020-0x6027
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.count() == 1);
    CHECK(t.get64(kRip) == SysMachine::kKernelCode + 3);
    CHECK((t.get64(kDr6) & 0xF) == 4);
}

TEST_CASE("debug: a page read through the host TLB before MOV DR7 is watched after it") {
    DebugMachine t;
    t.record_db();
    // mov eax, [rbx]              (fills the host TLB)
    // mov eax, 0xf0001; mov dr7, rax   (L0, R/W 11, LEN 4)
    // mov ecx, [rbx+0x100]        (same page, outside the range: must not refill the TLB)
    // mov ecx, [rbx]; hlt
    t.code(SysMachine::kKernelCode, {0x8b, 0x03, 0xb8, 0x01, 0x00, 0x0f, 0x00, 0x0f, 0x23, 0xf8, 0x8b,
                                     0x8b, 0x00, 0x01, 0x00, 0x00, 0x8b, 0x0b, 0xf4});
    t.cpu.sys.dr[0] = kData;
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.count() == 1);
    CHECK(t.get64(kRip) == SysMachine::kKernelCode + 18);
    CHECK((t.get64(kDr6) & 0xF) == 1);
}

TEST_CASE("debug: REP STOSB stops after the iteration that writes the watched byte, with RF in the frame") {
    DebugMachine t;
    t.record_db();
    t.code(SysMachine::kKernelCode, {0xf3, 0xaa, 0xf4});  // rep stosb; hlt
    t.cpu.s.gpr[RDI] = kData + 0x100;
    t.cpu.s.gpr[RCX] = 16;
    t.cpu.s.gpr[RAX] = 0x5A;
    t.arm(3, kData + 0x105, kWrite, kLen1);
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.count() == 1);
    CHECK(t.get64(kRip) == SysMachine::kKernelCode);  // between iterations: RIP at the REP
    CHECK((t.get64(kFlags) & fl::RF) != 0);            // 17.3.1.1: a trap before the last iteration
    CHECK((t.get64(kDr6) & 0xF) == 8);
    CHECK(t.cpu.s.gpr[RCX] == 0);  // resumed and finished
    for (int k = 0; k < 16; ++k) CHECK(t.m.bus.ram[kData + 0x100 + k] == 0x5A);
}

TEST_CASE("debug: REP STOSB under TF traps after every iteration") {
    DebugMachine t;
    t.gate(DB, kTfHandler, 0, 0);  // counts; clears TF once RCX is 0
    // pushfq; or qword [rsp], 0x100; popfq; rep stosb; hlt
    t.code(SysMachine::kKernelCode, {0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0xf3, 0xaa, 0xf4});
    t.cpu.s.gpr[RDI] = kData;
    t.cpu.s.gpr[RCX] = 3;
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.count() == 3);
    CHECK(t.cpu.s.rip == SysMachine::kKernelCode + 13);
}

TEST_CASE("debug: an I/O breakpoint needs CR4.DE and traps after the OUT to its port") {
    for (bool de : {false, true}) {
        INFO("CR4.DE = " << de);
        DebugMachine t;
        t.record_db();
        t.code(SysMachine::kKernelCode, {0xe6, 0x81, 0xe6, 0x80, 0x90, 0xf4});  // out 0x81, al; out 0x80, al; nop; hlt
        if (de) t.cpu.sys.cr4 |= cr4::DE;
        t.arm(3, 0x80, kIo, kLen1);
        REQUIRE(t.run().reason == StopReason::Halt);
        CHECK(t.count() == (de ? 1u : 0u));
        if (de) {
            CHECK(t.get64(kRip) == SysMachine::kKernelCode + 4);
            CHECK((t.get64(kDr6) & 0xF) == 8);
        }
    }
}

TEST_CASE("debug: MOV DRn under DR7.GD is a #DB fault with BD, entering the handler clears GD") {
    DebugMachine t;  // the #DB stub halts
    t.code(SysMachine::kKernelCode, {0x0f, 0x21, 0xf8, 0xf4});  // mov rax, dr7; hlt
    t.cpu.sys.dr[7] = dr7::GD | dr7::kFixed1;
    t.cpu.load_breakpoints();
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.in_handler(DB));
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode);  // at the MOV
    CHECK((t.get64(0x60000 - 24) & fl::RF) != 0);             // a fault-class #DB pushes RF set
    CHECK((t.cpu.sys.dr[6] & dr6::BD) != 0);
    CHECK((t.cpu.sys.dr[7] & dr7::GD) == 0);
}

TEST_CASE("debug: single-step and a data breakpoint on one instruction make one #DB with BS and B0") {
    DebugMachine t;  // the #DB stub halts
    // pushfq; or qword [rsp], 0x100; popfq; mov [rbx], al; hlt
    t.code(SysMachine::kKernelCode, {0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x88, 0x03, 0xf4});
    t.arm(0, kData, kWrite, kLen1);
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.in_handler(DB));
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode + 12);
    CHECK((t.cpu.sys.dr[6] & (dr6::BS | 0xF)) == (dr6::BS | 1));
}

TEST_CASE("debug: after MOV SS the single-step trap waits for the next instruction (6.8.3)") {
    DebugMachine t;  // the #DB stub halts
    t.code(SysMachine::kKernelCode, {0x8e, 0xd0, 0x90, 0xf4});  // mov ss, ax; nop; hlt
    t.cpu.s.gpr[RAX] = SysMachine::kKernelDs;
    t.cpu.s.rflags = fl::FIXED1 | fl::TF;
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.in_handler(DB));
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode + 3);  // after the nop
    CHECK((t.cpu.sys.dr[6] & dr6::BS) != 0);
}

TEST_CASE("debug: a pending interrupt is delivered before an instruction breakpoint at the same boundary") {
    test::TestPic pic;
    pic.vectors = {0x30};
    DebugMachine t;  // the #DB stub halts; vector 0x30 returns at once
    t.cpu.interrupts = &pic;
    t.m.bus.ram[SysMachine::kHandlers + 0x30 * 16] = 0x48;
    t.m.bus.ram[SysMachine::kHandlers + 0x30 * 16 + 1] = 0xCF;  // iretq
    t.code(SysMachine::kKernelCode, {0x90, 0xf4});
    t.cpu.s.rflags = fl::FIXED1 | fl::IF;
    t.arm(0, SysMachine::kKernelCode, kExec, kLen1);
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(pic.acks == 1);
    CHECK(t.in_handler(DB));
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode);
}

TEST_CASE("debug: a data access in an instruction that faults reports the fault, not the breakpoint") {
    DebugMachine t;  // the #PF stub halts
    t.code(SysMachine::kKernelCode, {0xa4, 0xf4});  // movsb: reads [rsi] (watched), writes [rdi] (read-only)
    t.cpu.s.gpr[RSI] = kData;
    t.cpu.s.gpr[RDI] = 0x7000;
    t.set_pte(0x7000, 0x7000 | 1);
    t.cpu.flush_tlb();
    t.arm(0, kData, kReadWrite, kLen1);
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.in_handler(PF_));
    CHECK((t.cpu.sys.dr[6] & 0xF) == 0);
    CHECK(t.cpu.s.gpr[RSI] == kData);
}

TEST_CASE("debug: MOV to DR6/DR7 keeps their fixed bits, DR4/DR5 alias them unless CR4.DE, bits 63:32 are #GP") {
    DebugMachine t;
    // xor eax, eax; mov dr7, rax; mov dr6, rax; mov rbx, dr7; mov rcx, dr6; mov rdx, dr4; mov rsi, dr5; hlt
    t.code(SysMachine::kKernelCode, {0x31, 0xc0, 0x0f, 0x23, 0xf8, 0x0f, 0x23, 0xf0, 0x0f, 0x21, 0xfb,
                                     0x0f, 0x21, 0xf1, 0x0f, 0x21, 0xe2, 0x0f, 0x21, 0xee, 0xf4});
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.cpu.s.gpr[RBX] == 0x400);
    CHECK(t.cpu.s.gpr[RCX] == 0xFFFF0FF0);
    CHECK(t.cpu.s.gpr[RDX] == 0xFFFF0FF0);
    CHECK(t.cpu.s.gpr[RSI] == 0x400);

    DebugMachine u;
    u.code(SysMachine::kKernelCode, {0x0f, 0x21, 0xe2, 0xf4});  // mov rdx, dr4
    u.cpu.sys.cr4 |= cr4::DE;
    REQUIRE(u.run().reason == StopReason::Halt);
    CHECK(u.in_handler(UD));

    DebugMachine v;
    // movabs rax, 0x100000000; mov dr7, rax
    v.code(SysMachine::kKernelCode, {0x48, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x23, 0xf8});
    REQUIRE(v.run().reason == StopReason::Halt);
    CHECK(v.in_handler(GP));
    CHECK(v.get64(0x60000 - 40) == SysMachine::kKernelCode + 10);
}

TEST_CASE("debug: with code breakpoints armed elsewhere, instructions retire and count as without them") {
    for (bool armed : {false, true}) {
        INFO("armed = " << armed);
        DebugMachine t;  // the #UD stub halts
        t.code(SysMachine::kKernelCode, {0x90, 0xFF, 0xC0, 0x0F, 0x0B});  // nop; inc eax; ud2
        if (armed) t.arm(0, SysMachine::kKernelCode + 0x100, kExec, kLen1);
        REQUIRE(t.run().reason == StopReason::Halt);
        CHECK(t.in_handler(UD));
        CHECK(t.cpu.s.gpr[RAX] == 1);
        CHECK(t.cpu.insns == 3);  // nop, inc, the stub's hlt; ud2 faulted
    }
}

// The debugger's watchpoints (cpu/observer.h): not the guest's DR0-DR3, never
// a #DB; the CPU stops after the instruction whose access met one.
namespace {
struct WatchRecorder final : Observer {
    std::vector<std::pair<size_t, bool>> hits;
    bool trap(Cpu&) override { return false; }
    bool watched(Cpu&, size_t index, bool write) override {
        hits.push_back({index, write});
        return true;
    }
};
}  // namespace

TEST_CASE("debug: a debugger's write watchpoint stops after the write, a read one after the read, the guest sees no #DB") {
    DebugMachine t;
    t.record_db();
    WatchRecorder w;
    t.cpu.observer = &w;
    // mov al, [rbx]; mov [rbx+2], al; nop; hlt
    t.code(SysMachine::kKernelCode, {0x8a, 0x03, 0x88, 0x43, 0x02, 0x90, 0xf4});
    t.m.bus.ram[kData] = 0x77;
    // The page is in the host TLBs before the watchpoint is set.
    u8 v = 0;
    REQUIRE(t.cpu.peek(kData, &v, 1) == 1);
    t.cpu.set_watchpoints({Watchpoint{kData + 1, 4, true, false}});
    REQUIRE(t.run().reason == StopReason::Debug);
    CHECK(t.cpu.s.rip == SysMachine::kKernelCode + 5);  // after the write
    CHECK(t.cpu.insns == 2);
    CHECK(t.m.bus.ram[kData + 2] == 0x77);              // the write happened
    CHECK(w.hits == std::vector<std::pair<size_t, bool>>{{0, true}});
    CHECK(t.count() == 0);                               // no #DB for the guest
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(w.hits.size() == 1);

    // A read watchpoint on the byte the first instruction reads.
    DebugMachine r;
    WatchRecorder w2;
    r.cpu.observer = &w2;
    r.code(SysMachine::kKernelCode, {0x8a, 0x03, 0x88, 0x43, 0x02, 0x90, 0xf4});
    r.cpu.set_watchpoints({Watchpoint{kData + 2, 1, true, false}, Watchpoint{kData, 1, false, true}});
    REQUIRE(r.run().reason == StopReason::Debug);
    CHECK(r.cpu.s.rip == SysMachine::kKernelCode + 2);
    CHECK(w2.hits == std::vector<std::pair<size_t, bool>>{{1, false}});
    REQUIRE(r.run().reason == StopReason::Debug);
    CHECK(r.cpu.s.rip == SysMachine::kKernelCode + 5);
    CHECK(w2.hits.back() == std::pair<size_t, bool>{0, true});
    r.cpu.set_watchpoints({});
    REQUIRE(r.run().reason == StopReason::Halt);
}

TEST_CASE("debug: a watchpoint stops REP STOSB after the iteration that met it, resuming finishes it") {
    DebugMachine t;
    WatchRecorder w;
    t.cpu.observer = &w;
    // mov rdi, rbx; mov ecx, 16; mov al, 0x5a; rep stosb; hlt
    t.code(SysMachine::kKernelCode, {0x48, 0x89, 0xdf, 0xb9, 0x10, 0x00, 0x00, 0x00, 0xb0, 0x5a, 0xf3, 0xaa, 0xf4});
    t.cpu.set_watchpoints({Watchpoint{kData + 5, 1, true, false}});
    REQUIRE(t.run().reason == StopReason::Debug);
    CHECK(t.cpu.s.rip == SysMachine::kKernelCode + 10);  // still at the REP STOSB
    CHECK(t.cpu.s.gpr[RCX] == 10);                       // bytes 0..5 stored
    CHECK(t.m.bus.ram[kData + 5] == 0x5a);
    CHECK(t.m.bus.ram[kData + 6] == 0);
    REQUIRE(t.run().reason == StopReason::Halt);
    CHECK(t.cpu.s.gpr[RCX] == 0);
    CHECK(t.m.bus.ram[kData + 15] == 0x5a);
}
