// x87 and MMX behaviour the isa-test cannot see from user mode: the CR0/CR4
// gates (SDM Vol. 3A, 2.5, Table 2-2 and Vol. 2 per instruction), #MF and the
// FERR#/IGNNE# path of CR0.NE = 0 (SDM Vol. 1, 8.7), the real-mode
// FNSTENV/FSAVE layouts (SDM Vol. 1, Figures 8-10 and 8-12), and that the host
// FPU is left as it was after a transcendental ran on it (x87_host.cpp).
#include <doctest/doctest.h>

#include <cstring>

#include "support.h"

using namespace sy;
using namespace sy::test;

namespace {

constexpr u64 kCode = 0x1000;

// Runs `code` at kCode (followed by HLT) once; returns the stop.
StepResult run_code(Machine& m, std::initializer_list<u8> code) {
    std::vector<u8> bytes(code);
    bytes.push_back(0xF4);
    m.cpu.write_bytes(kCode, bytes.data(), static_cast<unsigned>(bytes.size()));
    m.cpu.halted = false;
    m.cpu.s.rip = kCode;
    m.cpu.s.gpr[RSP] = 0x8000;
    return m.cpu.run(m.cpu.cycles + 1000);
}
int vector_of(const StepResult& r) { return r.fault ? r.fault->vector : -1; }

class RecordingPin : public FerrPin {
public:
    void set(bool asserted) override { levels.push_back(asserted); }
    std::vector<bool> levels;
};

}  // namespace

TEST_CASE("gates: MMX forms depend on CR0.EM (#UD) and CR0.TS (#NM) only, not on CR4.OSFXSR") {
    const std::initializer_list<u8> paddb_mm = {0x0F, 0xFC, 0xC1};  // paddb mm0, mm1
    Machine m;
    m.cpu.sys.cr4 &= ~cr4::OSFXSR;
    CHECK(run_code(m, paddb_mm).reason == StopReason::Halt);
    m.cpu.sys.cr0 |= cr0::TS;
    CHECK(vector_of(run_code(m, paddb_mm)) == NM);
    m.cpu.sys.cr0 = (m.cpu.sys.cr0 & ~cr0::TS) | cr0::EM;
    CHECK(vector_of(run_code(m, paddb_mm)) == UD);
    // The XMM form of the same opcode keeps the SSE rule: #UD without OSFXSR.
    m.cpu.sys.cr0 &= ~cr0::EM;
    CHECK(vector_of(run_code(m, {0x66, 0x0F, 0xFC, 0xC1})) == UD);
}

TEST_CASE("gates: FISTTP is an x87 instruction (EM/TS -> #NM), CRC32 and POPCNT are never gated") {
    Machine m;
    m.cpu.sys.cr4 &= ~cr4::OSFXSR;
    m.cpu.s.gpr[RBX] = 0x4000;
    // fld1; fisttp dword [rbx]: runs without OSFXSR.
    CHECK(run_code(m, {0xD9, 0xE8, 0xDB, 0x0B}).reason == StopReason::Halt);
    u32 v;
    std::memcpy(&v, &m.bus.ram[0x4000], 4);
    CHECK(v == 1);
    m.cpu.sys.cr0 |= cr0::EM;
    CHECK(vector_of(run_code(m, {0xDB, 0x0B})) == NM);
    m.cpu.sys.cr0 |= cr0::TS;
    // crc32 eax, ebx; popcnt eax, ebx: neither EM, TS nor OSFXSR matters (SDM Vol. 2A, CRC32 and POPCNT).
    CHECK(run_code(m, {0xF2, 0x0F, 0x38, 0xF1, 0xC3}).reason == StopReason::Halt);
    CHECK(run_code(m, {0xF3, 0x0F, 0xB8, 0xC3}).reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RAX] == 1);  // popcnt of 0x4000
}

TEST_CASE("gates: WAIT raises #NM only with CR0.MP and CR0.TS both set (SDM Vol. 3A, Table 2-2)") {
    Machine m;
    m.cpu.sys.cr0 = (m.cpu.sys.cr0 & ~cr0::MP) | cr0::TS;
    CHECK(run_code(m, {0x9B}).reason == StopReason::Halt);
    m.cpu.sys.cr0 |= cr0::MP;
    CHECK(vector_of(run_code(m, {0x9B})) == NM);
    CHECK(vector_of(run_code(m, {0xD9, 0xE8})) == NM);  // fld1
    CHECK(run_code(m, {0x0F, 0x06}).reason == StopReason::Halt);  // clts (CPL 0)
    CHECK(run_code(m, {0x9B, 0xD9, 0xE8}).reason == StopReason::Halt);
}

// fninit; fldcw [0x4000] (ZE unmasked); fld1; fldz; fdivp: ZE pending.
const std::initializer_list<u8> kDivideByZero = {0xDB, 0xE3, 0xD9, 0x2C, 0x25, 0x00, 0x40, 0x00, 0x00,
                                                 0xD9, 0xE8, 0xD9, 0xEE, 0xDE, 0xF9};
void prepare_divide(Machine& m) {
    const u16 cw = 0x037B;
    std::memcpy(&m.bus.ram[0x4000], &cw, 2);
}

TEST_CASE("#MF: a pending unmasked exception faults at the next waiting instruction, not at FNSTSW") {
    Machine m;
    prepare_divide(m);
    REQUIRE(run_code(m, kDivideByZero).reason == StopReason::Halt);
    CHECK((m.cpu.s.fpu.fsw & 0x8084) == 0x8084);  // B, ES, ZE
    CHECK(m.cpu.s.fpu.top() == 6);               // the unmasked ZE left the stack as it was
    CHECK(run_code(m, {0xDF, 0xE0}).reason == StopReason::Halt);  // fnstsw ax: non-waiting
    CHECK((m.cpu.s.gpr[RAX] & 0xFFFF) == m.cpu.s.fpu.fsw);
    StepResult r = run_code(m, {0x9B});  // fwait
    CHECK(vector_of(r) == MF);
    CHECK(m.cpu.s.rip == kCode);  // a fault: RIP at the FWAIT
    CHECK(run_code(m, {0xDB, 0xE2, 0x9B}).reason == StopReason::Halt);  // fnclex; fwait
}

TEST_CASE("FERR#: with CR0.NE = 0 a waiting instruction asserts FERR# and freezes, IGNNE# lets it run") {
    Machine m;
    RecordingPin pin;
    m.cpu.ferr_pin = &pin;
    m.cpu.sys.cr0 &= ~cr0::NE;
    prepare_divide(m);
    REQUIRE(run_code(m, kDivideByZero).reason == StopReason::Halt);
    StepResult r = run_code(m, {0x9B, 0x90});  // fwait; nop
    CHECK(r.reason == StopReason::Halt);
    CHECK(!r.fault);
    CHECK(m.cpu.s.rip == kCode);  // frozen before the FWAIT, which runs again after an interrupt
    CHECK(m.cpu.ferr());
    CHECK(pin.levels == std::vector<bool>{true});
    m.cpu.ignne = true;  // the chipset after a port F0h write
    r = run_code(m, {0x9B, 0x90});
    CHECK(r.reason == StopReason::Halt);
    CHECK(m.cpu.s.rip == kCode + 3);  // past fwait, nop, at the HLT (halted: RIP after it)
    // FNCLEX clears ES: FERR# drops.
    CHECK(run_code(m, {0xDB, 0xE2}).reason == StopReason::Halt);
    CHECK(!m.cpu.ferr());
    CHECK(pin.levels == std::vector<bool>{true, false});
}

TEST_CASE("fnstenv/fldenv/fnsave: the real-mode layouts of SDM Vol. 1, Figures 8-10 and 8-12") {
    Machine m;
    m.cpu.reset();
    m.cpu.set_real_segment(CS, 0);
    for (u8 k : {DS, ES, SS}) m.cpu.set_real_segment(k, 0);
    m.cpu.update_mode();
    REQUIRE(m.cpu.mode() == Mode::Real);
    X87& f = m.cpu.s.fpu;
    f.fcw = 0x037F;
    f.fsw = 0x3800;
    f.ftw = 0x80;  // R7 valid (+1.0), the rest empty
    f.r[7] = F80{0x8000000000000000, 0x3FFF};
    f.fip = 0x2345;
    f.fcs = 0x1000;  // 20-bit FPU IP = 0x12345
    f.fdp = 0x6789;
    f.fds = 0x0050;  // 20-bit FPU DP = 0x06C89
    f.fop = 0x5AB;
    m.cpu.s.gpr[RBX] = 0x4000;
    // fnstenv [bx] (16-bit operand size in real mode: 14 bytes), then 66 fnstenv [bx+0x20] (28 bytes).
    REQUIRE(run_code(m, {0xD9, 0x37, 0x66, 0xD9, 0x77, 0x20}).reason == StopReason::Halt);
    u16 w[7];
    std::memcpy(w, &m.bus.ram[0x4000], 14);
    CHECK(w[0] == 0x037F);
    CHECK(w[1] == 0x3800);
    CHECK(w[2] == 0x3FFF);                        // R7 valid (00), others empty (11)
    CHECK(w[3] == 0x2345);                        // IP 15:0
    CHECK(w[4] == ((0x1u << 12) | 0x5AB));        // IP 19:16 in 15:12, FOP in 10:0
    CHECK(w[5] == 0x6C89);                        // DP 15:0
    CHECK(w[6] == 0x0000);                        // DP 19:16 in 15:12
    u32 d[7];
    std::memcpy(d, &m.bus.ram[0x4020], 28);
    CHECK((d[0] & 0xFFFF) == 0x037F);
    CHECK((d[3] & 0xFFFF) == 0x2345);              // IP 15:0
    CHECK(d[4] == ((0x0001u << 12) | 0x5AB));      // IP 31:16 in 27:12, FOP in 10:0
    CHECK((d[5] & 0xFFFF) == 0x6C89);
    CHECK(d[6] == 0);                              // DP 31:16 in 27:12
    CHECK((m.cpu.s.fpu.fcw & 0x3F) == 0x3F);       // FNSTENV masks every exception
    // FLDENV of the 16-bit image restores the pointers as 20-bit linear values.
    m.cpu.s.fpu.fip = m.cpu.s.fpu.fdp = 0;
    m.cpu.s.fpu.fop = 0;
    REQUIRE(run_code(m, {0xD9, 0x27}).reason == StopReason::Halt);
    CHECK(m.cpu.s.fpu.fip == 0x12345);
    CHECK(m.cpu.s.fpu.fdp == 0x06C89);
    CHECK(m.cpu.s.fpu.fop == 0x5AB);
    CHECK(m.cpu.s.fpu.fcw == 0x037F);
    // FNSAVE (16-bit: 94 bytes) stores ST(0) after the 14-byte environment, then FNINIT.
    REQUIRE(run_code(m, {0xDD, 0x37}).reason == StopReason::Halt);
    u64 sig;
    u16 se;
    std::memcpy(&sig, &m.bus.ram[0x4000 + 14], 8);
    std::memcpy(&se, &m.bus.ram[0x4000 + 22], 2);
    CHECK(sig == 0x8000000000000000);
    CHECK(se == 0x3FFF);
    CHECK(m.cpu.s.fpu.ftw == 0);
    CHECK(m.cpu.s.fpu.fcw == 0x037F);
}

TEST_CASE("x87 on the host: a transcendental leaves the host FPU as it found it") {
    // A guest control word with every exception unmasked and rounding up, an
    // SNaN operand: the host raises IE under that control word, and must neither
    // trap nor keep it.
    Machine m;
    m.cpu.s.fpu.fcw = 0x0B40;
    m.cpu.s.fpu.set_top(7);
    m.cpu.s.fpu.ftw = 0x80;
    m.cpu.s.fpu.r[7] = F80{0x8000000000000001, 0x7FFF};  // SNaN
    u16 cw_before, cw_after, sw_after;
    u8 env_after[28];
    asm volatile("fnstcw %0" : "=m"(cw_before));
    REQUIRE(run_code(m, {0xD9, 0xFE}).reason == StopReason::Halt);  // fsin
    asm volatile("fnstcw %0\n\tfnstsw %1\n\tfnstenv %2\n\tfldcw %0" : "=m"(cw_after), "=m"(sw_after), "=m"(env_after));
    CHECK(cw_after == cw_before);
    CHECK((sw_after & 0x38FF) == 0);  // no flag, no ES, TOP 0
    u16 tag;
    std::memcpy(&tag, env_after + 8, 2);
    CHECK(tag == 0xFFFF);  // the host stack is empty
    asm volatile("fwait");  // nothing pending on the host
    // The guest got IE and ES, and kept its operand (unmasked IE).
    CHECK((m.cpu.s.fpu.fsw & 0x8081) == 0x8081);
    CHECK(m.cpu.s.fpu.st(0) == (F80{0x8000000000000001, 0x7FFF}));
}

TEST_CASE("mmx: a write sets the register's exponent bits, TOP = 0, every tag valid, EMMS empties them") {
    Machine m;
    m.cpu.s.fpu.set_top(5);
    m.cpu.s.fpu.ftw = 0x21;
    m.cpu.s.gpr[RAX] = 0x1122334455667788;
    REQUIRE(run_code(m, {0x48, 0x0F, 0x6E, 0xD8}).reason == StopReason::Halt);  // movq mm3, rax
    CHECK(m.cpu.s.fpu.r[3] == (F80{0x1122334455667788, 0xFFFF}));
    CHECK(m.cpu.s.fpu.top() == 0);
    CHECK(m.cpu.s.fpu.ftw == 0xFF);
    REQUIRE(run_code(m, {0x0F, 0x77}).reason == StopReason::Halt);  // emms
    CHECK(m.cpu.s.fpu.ftw == 0x00);
    CHECK(m.cpu.s.fpu.r[3].sig == 0x1122334455667788);  // the value stays
}
