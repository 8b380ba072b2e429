// SYSCALL/SYSRET, SWAPGS, the base MSRs and segment loads. Expected values: SDM
// Vol. 2B SYSCALL (RCX := RIP, R11 := RFLAGS, RFLAGS &= ~FMASK, CS := STAR[47:32],
// SS := STAR[47:32]+8, CPL 0), SYSRET (CS := STAR[63:48]+16 | 3, SS :=
// STAR[63:48]+8 | 3, RFLAGS := R11 & 3C7FD7h | 2; #GP(0) for a non-canonical RCX
// at CPL 0), SWAPGS (#UD outside 64-bit mode, #GP(0) above CPL 0), WRMSR/RDMSR
// (#GP(0) for unknown MSRs and reserved bits), MOV (segment loads: #GP(sel),
// #NP(sel), SS rules), Vol. 3A 3.4.4 (FS/GS bases in 64-bit mode).
#include <doctest/doctest.h>

#include "sys_support.h"

using namespace sy;
using test::SysMachine;

TEST_CASE("syscall: from ring 3 to LSTAR at CPL 0, and sysretq back") {
    SysMachine t;
    t.cpu.sys.lstar = SysMachine::kKernelCode;
    t.cpu.sys.sfmask = fl::IF | fl::DF | fl::TF;
    t.code(SysMachine::kUserCode, {0x0F, 0x05, 0xF4});  // syscall; (after return) hlt at CPL 3 -> #GP
    t.code(SysMachine::kKernelCode, {0x48, 0x0F, 0x07});  // sysretq
    t.enter_user(SysMachine::kUserCode, SysMachine::kUserStack);
    t.cpu.s.rflags = fl::FIXED1 | fl::IF | fl::DF | fl::CF;
    REQUIRE(t.cpu.step().reason == StopReason::Budget);
    CHECK(t.cpu.cpl() == 0);
    CHECK(t.cpu.s.rip == SysMachine::kKernelCode);
    CHECK(t.cpu.s.gpr[RCX] == SysMachine::kUserCode + 2);
    CHECK(t.cpu.s.gpr[R11] == (fl::FIXED1 | fl::IF | fl::DF | fl::CF));
    CHECK(t.cpu.s.rflags == (fl::FIXED1 | fl::CF));
    CHECK(t.cpu.sys.seg[CS].sel == SysMachine::kKernelCs);
    CHECK(t.cpu.sys.seg[SS].sel == SysMachine::kKernelDs);
    CHECK(t.cpu.s.gpr[RSP] == SysMachine::kUserStack);  // SYSCALL does not switch stacks
    REQUIRE(t.cpu.step().reason == StopReason::Budget);
    CHECK(t.cpu.cpl() == 3);
    CHECK(t.cpu.s.rip == SysMachine::kUserCode + 2);
    CHECK(t.cpu.sys.seg[CS].sel == SysMachine::kUserCs);  // 0x23 + 16
    CHECK(t.cpu.sys.seg[SS].sel == SysMachine::kUserDs);  // 0x23 + 8
    CHECK(t.cpu.s.rflags == (fl::FIXED1 | fl::IF | fl::DF | fl::CF));
    CHECK(t.cpu.mode() == Mode::Long64);
    t.run();
    CHECK(t.in_handler(GP));  // HLT at CPL 3
}

TEST_CASE("syscall: #UD without EFER.SCE, sysret #GP(0) for a non-canonical RCX, #GP at CPL 3") {
    SysMachine t;
    t.cpu.sys.efer &= ~efer::SCE;
    t.code(SysMachine::kKernelCode, {0x0F, 0x05});
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.run();
    CHECK(t.in_handler(UD));

    SysMachine n;
    n.code(SysMachine::kKernelCode, {0x48, 0x0F, 0x07});
    n.cpu.s.rip = SysMachine::kKernelCode;
    n.cpu.s.gpr[RCX] = 0x0000800000000000;
    n.run();
    CHECK(n.in_handler(GP));
    CHECK(n.cpu.cpl() == 0);
    CHECK(n.get64(0x60000 - 48) == 0);

    SysMachine u;
    u.code(SysMachine::kUserCode, {0x48, 0x0F, 0x07});
    u.enter_user(SysMachine::kUserCode, SysMachine::kUserStack);
    u.run();
    CHECK(u.in_handler(GP));
}

TEST_CASE("syscall: sysretl returns to 32-bit compatibility mode with CS = STAR[63:48]") {
    SysMachine t;
    t.code(SysMachine::kKernelCode, {0x0F, 0x07});  // sysret (no REX.W)
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.gpr[RCX] = 0xFFFFFFFF00031000;  // only ECX is used
    t.cpu.s.gpr[R11] = fl::FIXED1;
    REQUIRE(t.cpu.step().reason == StopReason::Budget);
    CHECK(t.cpu.sys.seg[CS].sel == SysMachine::kUserCs32);
    CHECK(t.cpu.mode() == Mode::Compat32);
    CHECK(t.cpu.s.rip == 0x31000);
}

TEST_CASE("swapgs exchanges GS.base and IA32_KERNEL_GS_BASE, #GP at CPL 3") {
    SysMachine t;
    // mov ecx, 0xC0000102; mov eax, 0x5000; xor edx, edx; wrmsr; swapgs; mov rax, gs:[0]; hlt
    t.code(SysMachine::kKernelCode, {0xB9, 0x02, 0x01, 0x00, 0xC0, 0xB8, 0x00, 0x50, 0x00, 0x00, 0x31, 0xD2, 0x0F,
                                     0x30, 0x0F, 0x01, 0xF8, 0x65, 0x48, 0x8B, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0xF4});
    t.put64(0x5000, 0xFEEDFACE);
    t.cpu.sys.seg[GS].base = 0x7000;
    t.cpu.sync_segment_bases();
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.run();
    CHECK(t.cpu.s.gpr[RAX] == 0xFEEDFACE);
    CHECK(t.cpu.sys.seg[GS].base == 0x5000);
    CHECK(t.cpu.sys.kernel_gs_base == 0x7000);

    SysMachine u;
    u.code(SysMachine::kUserCode, {0x0F, 0x01, 0xF8});
    u.enter_user(SysMachine::kUserCode, SysMachine::kUserStack);
    u.run();
    CHECK(u.in_handler(GP));
}

TEST_CASE("msr: unknown MSRs and reserved bits raise #GP(0), FS_BASE must be canonical") {
    auto try_wrmsr = [](u32 msr, u64 value) {
        SysMachine t;
        // wrmsr; hlt
        t.code(SysMachine::kKernelCode, {0x0F, 0x30, 0xF4});
        t.cpu.s.rip = SysMachine::kKernelCode;
        t.cpu.s.gpr[RCX] = msr;
        t.cpu.s.gpr[RAX] = static_cast<u32>(value);
        t.cpu.s.gpr[RDX] = value >> 32;
        t.run();
        return !t.in_handler(GP);
    };
    CHECK(try_wrmsr(msr::FS_BASE, 0x00007FFF00001000));
    CHECK_FALSE(try_wrmsr(msr::FS_BASE, 0x0000800000000000));
    CHECK_FALSE(try_wrmsr(0x12345678, 0));
    CHECK_FALSE(try_wrmsr(msr::EFER, 1u << 15));     // reserved EFER bit
    CHECK_FALSE(try_wrmsr(msr::PAT, 0x0000000000000002));  // memory type 2 is reserved
    CHECK(try_wrmsr(msr::PAT, 0x0007040600070406));
}

TEST_CASE("segments: loading DS checks the limit, type, privilege and presence") {
    auto load_ds = [](u16 sel, u64 desc_at_0x50, u8 cpl) {
        SysMachine t;
        t.cpu.sys.gdtr.limit = 0x57;
        t.put64(SysMachine::kGdt + 0x50, desc_at_0x50);
        // mov ax, sel; mov ds, ax; ud2 (the #UD handler means the load went through)
        u64 at = cpl == 3 ? SysMachine::kUserCode : SysMachine::kKernelCode;
        t.code(at, {0x66, 0xB8, static_cast<u8>(sel), static_cast<u8>(sel >> 8), 0x8E, 0xD8, 0x0F, 0x0B});
        if (cpl == 3) t.enter_user(at, SysMachine::kUserStack);
        else t.cpu.s.rip = at;
        t.run();
        struct R {
            int vector;
            u64 error;
            u16 ds;
        } r{-1, 0, t.cpu.sys.seg[DS].sel};
        for (int v : {GP, NP, UD})
            if (t.in_handler(v)) {
                r.vector = v;
                r.error = t.get64((cpl == 3 ? SysMachine::kRsp0 : 0x60000) - 48);
            }
        return r;
    };
    auto ok = load_ds(0x50, 0x00CF92000000FFFF, 0);
    CHECK(ok.vector == UD);
    CHECK(ok.ds == 0x50);
    auto beyond = load_ds(0x58, 0, 0);
    CHECK(beyond.vector == GP);
    CHECK(beyond.error == 0x58);
    auto np = load_ds(0x50, 0x00CF12000000FFFF, 0);  // P = 0
    CHECK(np.vector == NP);
    CHECK(np.error == 0x50);
    auto priv = load_ds(0x53, 0x00CF92000000FFFF, 3);  // DPL 0 data from CPL 3
    CHECK(priv.vector == GP);
    CHECK(priv.error == 0x50);
    auto exec_only = load_ds(0x50, 0x00CF98000000FFFF, 0);  // execute-only code
    CHECK(exec_only.vector == GP);
    auto null = load_ds(0x0, 0, 3);  // a null selector is fine for DS
    CHECK(null.vector == UD);
}

TEST_CASE("segments: a selector load into FS sets the base from the descriptor") {
    SysMachine t;
    t.cpu.sys.gdtr.limit = 0x57;
    t.put64(SysMachine::kGdt + 0x50, 0x12CF92345678FFFF);  // base 0x12345678
    t.cpu.sys.seg[FS].base = 0xDEAD0000;
    t.code(SysMachine::kKernelCode, {0x66, 0xB8, 0x50, 0x00, 0x8E, 0xE0, 0xF4});  // mov ax, 0x50; mov fs, ax
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.run();
    CHECK(t.cpu.sys.seg[FS].base == 0x12345678);
    CHECK(t.cpu.s.seg_base[FS] == 0x12345678);
}

TEST_CASE("cr0: setting PG with LME activates long mode, CR0.TS makes SSE raise #NM") {
    SysMachine t;
    t.code(SysMachine::kKernelCode, {0x0F, 0x57, 0xC0, 0xF4});  // xorps xmm0, xmm0; hlt
    t.cpu.sys.cr0 |= cr0::TS;
    t.cpu.update_mode();
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.run();
    CHECK(t.in_handler(NM));
    // CLTS in the handler path: the same bytes then run.
    SysMachine u;
    u.code(SysMachine::kKernelCode, {0x0F, 0x06, 0x0F, 0x57, 0xC0, 0xF4});  // clts; xorps; hlt
    u.cpu.sys.cr0 |= cr0::TS;
    u.cpu.update_mode();
    u.cpu.s.xmm[0] = Xmm{1, 2};
    u.cpu.s.rip = SysMachine::kKernelCode;
    auto r = u.run();
    CHECK(r.reason == StopReason::Halt);
    CHECK(u.cpu.s.xmm[0] == Xmm{});
}

TEST_CASE("in/out at CPL 3 follow IOPL and the TSS I/O permission bitmap") {
    SysMachine t;
    // Give the TSS a bitmap at 0x68 allowing port 0x80 only; limit covers 0x68 + 0x2000/8 bytes.
    t.cpu.sys.tr.limit = 0x68 + 0x2000;
    for (u64 k = 0; k < 0x2000; ++k) t.m.bus.ram[SysMachine::kTss + 0x68 + k] = 0xFF;
    t.m.bus.ram[SysMachine::kTss + 0x68 + 0x80 / 8] = 0xFE;  // port 0x80 allowed
    t.code(SysMachine::kUserCode, {0xE6, 0x80, 0xE6, 0x81});  // out 0x80, al; out 0x81, al
    t.enter_user(SysMachine::kUserCode, SysMachine::kUserStack);
    t.run();
    CHECK(t.in_handler(GP));
    CHECK(t.get64(SysMachine::kRsp0 - 40) == SysMachine::kUserCode + 2);  // the second OUT faulted
}

TEST_CASE("single-step: TF set before an instruction traps with #DB after it (SDM Vol. 3A 17.3.1.4)") {
    SysMachine t;
    t.code(SysMachine::kKernelCode, {0x90, 0x90});
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.rflags = fl::FIXED1 | fl::TF;
    t.run();
    REQUIRE(t.in_handler(DB));
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode + 1);  // a trap: after the first NOP
    CHECK((t.get64(0x60000 - 24) & fl::TF) != 0);                 // saved RFLAGS still has TF
    CHECK((t.cpu.sys.dr[6] & (1u << 14)) != 0);                   // DR6.BS
}

TEST_CASE("single-step: POPF that sets TF traps after the next instruction, not after itself") {
    SysMachine t;
    // pushfq; or qword [rsp], 0x100; popfq; nop; nop
    t.code(SysMachine::kKernelCode, {0x9C, 0x48, 0x81, 0x0C, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9D, 0x90, 0x90});
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.run();
    REQUIRE(t.in_handler(DB));
    CHECK(t.get64(0x60000 - 40) == SysMachine::kKernelCode + 11);  // after the first NOP following POPF
}

TEST_CASE("lar/lsl/verr/verw report descriptor checks in ZF (SDM Vol. 2A LAR, LSL, Vol. 2B VERR/VERW)") {
    SysMachine t;
    // lar eax, [sel 0x18]; lsl ecx, [sel 0x18]; verw [0x10 code]; hlt
    // 0F 02 C3  lar eax, ebx ; 0F 03 CB lsl ecx, ebx ; 0F 00 EA verw dx ; F4
    t.code(SysMachine::kKernelCode, {0x0F, 0x02, 0xC3, 0x0F, 0x03, 0xCB, 0x0F, 0x00, 0xEA, 0xF4});
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.gpr[RBX] = SysMachine::kKernelDs;  // 00CF92000000FFFF
    t.cpu.s.gpr[RDX] = SysMachine::kKernelCs;  // code: not writable -> VERW clears ZF
    t.run();
    // Access rights: descriptor bits 63:32 masked by 00FxFF00h; bits 19:16 are undefined.
    CHECK((t.cpu.s.gpr[RAX] & 0x00F0FF00) == 0x00C09200);
    CHECK(t.cpu.s.gpr[RCX] == 0xFFFFFFFF);    // byte-granular limit of a 4-GiB segment
    CHECK((t.cpu.s.rflags & fl::ZF) == 0);    // VERW of a code segment fails
    SysMachine u;
    u.code(SysMachine::kUserCode, {0x0F, 0x02, 0xC3, 0x0F, 0x0B});  // lar eax, ebx at CPL 3; ud2
    u.enter_user(SysMachine::kUserCode, SysMachine::kUserStack);
    u.cpu.s.gpr[RBX] = SysMachine::kKernelDs;  // DPL 0 < CPL 3: fails
    u.cpu.s.gpr[RAX] = 0x1234;
    u.run();
    CHECK((u.cpu.s.rflags & fl::ZF) == 0);
    CHECK(u.cpu.s.gpr[RAX] == 0x1234);
}

TEST_CASE("msr: an IA32_APIC_BASE write the local APIC refuses is #GP(0) and changes nothing") {
    struct Refusing : MsrHandler {
        bool read(u32, u64&) override { return false; }
        bool write(u32 msr, u64 v) override { return msr == msr::APIC_BASE && (v & (1u << 10)) == 0; }
    } apic;
    SysMachine t;
    t.cpu.msr_handler = &apic;
    const u64 before = t.cpu.sys.apic_base;
    t.code(SysMachine::kKernelCode, {0x0F, 0x30, 0xF4});  // wrmsr; hlt
    t.cpu.s.rip = SysMachine::kKernelCode;
    t.cpu.s.gpr[RCX] = msr::APIC_BASE;
    t.cpu.s.gpr[RAX] = static_cast<u32>(before | (1u << 10));  // x2APIC enable: refused by this handler
    t.cpu.s.gpr[RDX] = 0;
    t.run();
    CHECK(t.in_handler(GP));
    CHECK(t.cpu.sys.apic_base == before);
}
