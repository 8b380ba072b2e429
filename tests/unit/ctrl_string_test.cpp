// String instructions with and without REP (cpu/ops_string.cpp). Oracles: the
// host CPU running the same instruction on a host buffer laid out like the
// guest's, and SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ" for the restart state
// after a fault.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "support.h"

using namespace sy;

namespace {

constexpr u64 kCode = 0x1000;
constexpr u64 kBuf = 0x10000;  // guest address of the 4 KiB work buffer
constexpr size_t kBufSize = 0x1000;

struct Regs {
    u64 rax, rcx, rsi, rdi, rflags;
};

// Runs `bytes` (one string instruction) on the host over `buf`, with RSI/RDI
// given as offsets into it. Returns the registers with RSI/RDI as offsets again.
// The instruction bytes are fixed per call site (a switch keeps them literal).
Regs host_run(int which, std::vector<u8>& buf, Regs in) {
    u64 rax = in.rax, rcx = in.rcx;
    u8* rsi = buf.data() + in.rsi;
    u8* rdi = buf.data() + in.rdi;
    u64 df = in.rflags & fl::DF;
    u64 flags = 0;
#define HOST_STRING(insn)                                                                                    \
    asm volatile("testq %[df], %[df]; jz 1f; std; 1: " insn "; pushfq; popq %[f]; cld"                      \
                 : "+a"(rax), "+c"(rcx), "+S"(rsi), "+D"(rdi), [f] "=r"(flags)                               \
                 : [df] "r"(df)                                                                              \
                 : "cc", "memory")
    switch (which) {
        case 0: HOST_STRING("rep movsb"); break;
        case 1: HOST_STRING("rep movsw"); break;
        case 2: HOST_STRING("rep movsl"); break;
        case 3: HOST_STRING("rep movsq"); break;
        case 4: HOST_STRING("rep stosb"); break;
        case 5: HOST_STRING("rep stosw"); break;
        case 6: HOST_STRING("rep stosl"); break;
        case 7: HOST_STRING("rep stosq"); break;
        case 8: HOST_STRING("repe cmpsb"); break;
        case 9: HOST_STRING("repne cmpsw"); break;
        case 10: HOST_STRING("repe cmpsl"); break;
        case 11: HOST_STRING("repne cmpsq"); break;
        case 12: HOST_STRING("repne scasb"); break;
        case 13: HOST_STRING("repe scasw"); break;
        case 14: HOST_STRING("repne scasl"); break;
        case 15: HOST_STRING("repe scasq"); break;
        case 16: HOST_STRING("lodsq"); break;
        case 17: HOST_STRING("rep lodsb"); break;
    }
#undef HOST_STRING
    return {rax, rcx, static_cast<u64>(rsi - buf.data()), static_cast<u64>(rdi - buf.data()), flags};
}

// The same instructions' encodings, for the guest.
const std::vector<u8> kEncoding[] = {
    {0xF3, 0xA4}, {0xF3, 0x66, 0xA5}, {0xF3, 0xA5}, {0xF3, 0x48, 0xA5},  // rep movs b/w/d/q
    {0xF3, 0xAA}, {0xF3, 0x66, 0xAB}, {0xF3, 0xAB}, {0xF3, 0x48, 0xAB},  // rep stos
    {0xF3, 0xA6}, {0xF2, 0x66, 0xA7}, {0xF3, 0xA7}, {0xF2, 0x48, 0xA7},  // repe/repne cmps
    {0xF2, 0xAE}, {0xF3, 0x66, 0xAF}, {0xF2, 0xAF}, {0xF3, 0x48, 0xAF},  // repne/repe scas
    {0x48, 0xAD}, {0xF3, 0xAC},                                          // lodsq, rep lodsb
};

void fill(std::vector<u8>& buf, u32 seed) {
    for (size_t k = 0; k < buf.size(); ++k) {
        seed = seed * 1103515245 + 12345;
        buf[k] = static_cast<u8>(seed >> 16);
    }
}

}  // namespace

TEST_CASE("rep movs/stos/cmps/scas/lods: both directions agree with the host") {
    using sy::u64;
    const u64 arith = fl::ARITH;
    for (int which = 0; which < 18; ++which) {
        for (bool down : {false, true}) {
            for (u64 count : {0ull, 1ull, 5ull, 37ull}) {
                for (bool equal_runs : {false, true}) {
                    std::vector<u8> buf(kBufSize);
                    fill(buf, static_cast<u32>(which * 977 + count));
                    Regs in{0x1122334455667788ull, count, 0x700, 0x900, fl::FIXED1 | (down ? fl::DF : 0)};
                    if (equal_runs) {
                        // Equal data for a stretch, so REPE runs long and REPNE stops early;
                        // for SCAS, a stretch of RAX's bytes.
                        std::memcpy(&buf[0x900 - 0x100], &buf[0x700 - 0x100], 0x200);
                        for (int k = 0; k < 0x100; ++k) buf[0x900 - 0x80 + k] = static_cast<u8>(in.rax >> (8 * (k % 8)));
                        buf[0x900 + (down ? -0x38 : 0x38)] ^= 0x5A;
                    }
                    test::Machine m;
                    std::copy(buf.begin(), buf.end(), m.bus.ram.begin() + kBuf);
                    std::vector<u8> code = kEncoding[which];
                    code.push_back(0xF4);
                    std::copy(code.begin(), code.end(), m.bus.ram.begin() + kCode);
                    m.cpu.s.rip = kCode;
                    m.cpu.s.gpr[RAX] = in.rax;
                    m.cpu.s.gpr[RCX] = in.rcx;
                    m.cpu.s.gpr[RSI] = kBuf + in.rsi;
                    m.cpu.s.gpr[RDI] = kBuf + in.rdi;
                    m.cpu.s.rflags = in.rflags;
                    auto r = m.cpu.run(1'000'000);
                    REQUIRE(r.reason == StopReason::Halt);

                    Regs want = host_run(which, buf, in);
                    CAPTURE(which);
                    CAPTURE(down);
                    CAPTURE(count);
                    CAPTURE(equal_runs);
                    CHECK(m.cpu.s.gpr[RAX] == want.rax);
                    CHECK(m.cpu.s.gpr[RCX] == want.rcx);
                    CHECK(m.cpu.s.gpr[RSI] - kBuf == want.rsi);
                    CHECK(m.cpu.s.gpr[RDI] - kBuf == want.rdi);
                    // CMPS/SCAS set the flags when they run; otherwise they stay (the
                    // host's flags then come from the asm around the instruction).
                    bool compares = which >= 8 && which < 16 && count != 0;
                    CHECK((m.cpu.s.rflags & arith) == ((compares ? want.rflags : in.rflags) & arith));
                    CHECK(std::equal(buf.begin(), buf.end(), m.bus.ram.begin() + kBuf));
                }
            }
        }
    }
}

TEST_CASE("rep movs with overlapping source and destination copies element by element (host oracle)") {
    // dst = src + 1 element propagates the first element forwards (DF=0), and
    // dst = src - 1 element backwards (DF=1): the page-at-a-time path must not apply.
    for (int which : {0, 3}) {
        for (bool down : {false, true}) {
            for (i64 delta : {-8, -1, 1, 8, 16}) {
                std::vector<u8> buf(kBufSize);
                fill(buf, static_cast<u32>(which * 31 + delta + 100));
                Regs in{0, 200, 0x800, static_cast<u64>(0x800 + delta), fl::FIXED1 | (down ? fl::DF : 0)};
                test::Machine m;
                std::copy(buf.begin(), buf.end(), m.bus.ram.begin() + kBuf);
                std::vector<u8> code = kEncoding[which];
                code.push_back(0xF4);
                std::copy(code.begin(), code.end(), m.bus.ram.begin() + kCode);
                m.cpu.s.rip = kCode;
                m.cpu.s.gpr[RCX] = in.rcx;
                m.cpu.s.gpr[RSI] = kBuf + in.rsi;
                m.cpu.s.gpr[RDI] = kBuf + in.rdi;
                m.cpu.s.rflags = in.rflags;
                REQUIRE(m.cpu.run(1'000'000).reason == StopReason::Halt);
                Regs want = host_run(which, buf, in);
                CAPTURE(which);
                CAPTURE(down);
                CAPTURE(delta);
                CHECK(m.cpu.s.gpr[RSI] - kBuf == want.rsi);
                CHECK(m.cpu.s.gpr[RDI] - kBuf == want.rdi);
                CHECK(std::equal(buf.begin(), buf.end(), m.bus.ram.begin() + kBuf));
            }
        }
    }
}

namespace {

// RAM from 0 up to `ram_end`; any access beyond it raises #PF, as a not-present
// page would once paging exists. (The machine's Bus answers unmapped reads with
// all ones; this test bus models the fault instead, inside the test.)
class EndingBus : public Bus {
public:
    explicit EndingBus(size_t ram_end) : ram(ram_end) {}
    u8* ram_page(u64 pa) override { return pa < ram.size() ? ram.data() + (pa & ~0xFFFull) : nullptr; }
    u64 mmio_read(u64, unsigned) override { raise(PF_, 0); }
    void mmio_write(u64, unsigned, u64) override { raise(PF_, 2); }
    std::vector<u8> ram;
};

}  // namespace

TEST_CASE("rep movsq faulting mid-way leaves a restartable state (SDM Vol. 2B, REP)") {
    for (bool down : {false, true}) {
        // RAM is [0, 0x20000). Upwards the destination starts at 0x1FF00 and runs
        // off the end after 0x100/8 = 32 qwords. Downwards it starts at 0x80 and
        // wraps below 0 to 0xFFFF'FFFF'FFFF'FFF8 after 17 qwords.
        EndingBus bus(0x20000);
        Cpu cpu(bus);
        const u8 code[] = {0xF3, 0x48, 0xA5, 0xF4};  // rep movsq; hlt
        std::memcpy(&bus.ram[kCode], code, sizeof code);
        for (size_t k = 0; k < 0x1000; ++k) bus.ram[0x8000 + k] = static_cast<u8>(k * 7 + 1);
        const u64 src = down ? 0x8800 : 0x8000, dst = down ? 0x80 : 0x1FF00;
        const u64 fits = down ? 17 : 32;
        const i64 step = down ? -8 : 8;
        cpu.s.rip = kCode;
        cpu.s.gpr[RCX] = 100;
        cpu.s.gpr[RSI] = src;
        cpu.s.gpr[RDI] = dst;
        if (down) cpu.s.rflags |= fl::DF;
        std::vector<u8> before = bus.ram;
        auto r = cpu.run(1'000'000);
        REQUIRE(r.reason == StopReason::Fault);
        CAPTURE(down);
        CHECK(r.fault->vector == PF_);
        // Completed iterations are reflected; the faulting one changed nothing.
        CHECK(cpu.s.rip == kCode);
        CHECK(cpu.s.gpr[RCX] == 100 - fits);
        CHECK(cpu.s.gpr[RSI] == src + step * static_cast<i64>(fits));
        CHECK(cpu.s.gpr[RDI] == dst + step * static_cast<i64>(fits));
        std::vector<u8> expect = before;
        for (u64 k = 0; k < fits; ++k) std::memcpy(&expect[dst + step * i64(k)], &before[src + step * i64(k)], 8);
        CHECK(bus.ram == expect);
    }
}

TEST_CASE("rep stosb crossing into the non-canonical hole: #GP after the last canonical byte") {
    // A RAM page at the top of the lower canonical half (identity-mapped while
    // paging is off). The store walks up to 0x0000'8000'0000'0000, which is not
    // canonical: #GP(0) with RDI there and RCX counting what is left.
    class HighBus : public Bus {
    public:
        std::vector<u8> page = std::vector<u8>(0x1000);
        std::vector<u8> low = std::vector<u8>(0x10000);
        u8* ram_page(u64 pa) override {
            if ((pa >> 12) == (0x0000'7FFF'FFFF'F000ull >> 12)) return page.data();
            return pa < low.size() ? low.data() + (pa & ~0xFFFull) : nullptr;
        }
    } bus;
    Cpu cpu(bus);
    const u8 code[] = {0xF3, 0xAA, 0xF4};  // rep stosb; hlt
    std::memcpy(&bus.low[kCode], code, sizeof code);
    cpu.s.rip = kCode;
    cpu.s.gpr[RAX] = 0xAB;
    cpu.s.gpr[RDI] = 0x0000'7FFF'FFFF'FFF0ull;
    cpu.s.gpr[RCX] = 0x40;
    auto r = cpu.run(100000);
    REQUIRE(r.reason == StopReason::Fault);
    CHECK(r.fault->vector == GP);
    CHECK(cpu.s.rip == kCode);
    CHECK(cpu.s.gpr[RDI] == 0x0000'8000'0000'0000ull);
    CHECK(cpu.s.gpr[RCX] == 0x30);
    for (int k = 0xFF0; k < 0x1000; ++k) CHECK(bus.page[k] == 0xAB);
    // Restarting after the guest fixes RCX completes it without running again.
    cpu.s.gpr[RCX] = 0;
    r = cpu.run(100000);
    CHECK(r.reason == StopReason::Halt);
}

TEST_CASE("67h: ESI/EDI/ECX are the pointers and count, updates zero-extend") {
    test::Machine m;
    // 67 f3 a4  rep movsb (addr32); f4 hlt
    m.load(kCode, {0x67, 0xF3, 0xA4, 0xF4});
    for (int k = 0; k < 16; ++k) m.bus.ram[0x5000 + k] = static_cast<u8>(0xC0 + k);
    m.cpu.s.gpr[RSI] = 0xFFFF'0000'0000'5000ull;
    m.cpu.s.gpr[RDI] = 0x1234'0000'0000'6000ull;
    m.cpu.s.gpr[RCX] = 0x8000'0000'0000'0004ull;  // ECX = 4
    auto r = m.cpu.run(1000);
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RSI] == 0x5004);
    CHECK(m.cpu.s.gpr[RDI] == 0x6004);
    CHECK(m.cpu.s.gpr[RCX] == 0);
    CHECK(std::equal(&m.bus.ram[0x5000], &m.bus.ram[0x5004], &m.bus.ram[0x6000]));
    CHECK(m.bus.ram[0x6004] == 0);
}

TEST_CASE("fs: and gs: overrides apply to the source only") {
    test::Machine m;
    // 64 a4  movsb fs:[rsi] -> [rdi]; 65 48 ad  lodsq gs:[rsi]; f4
    m.load(kCode, {0x64, 0xA4, 0x65, 0x48, 0xAD, 0xF4});
    m.cpu.s.seg_base[FS] = 0x7000;
    m.cpu.s.seg_base[GS] = 0x8000;
    m.bus.ram[0x7010] = 0x5A;
    u64 q = 0x0102030405060708ull;
    std::memcpy(&m.bus.ram[0x8011], &q, 8);
    m.cpu.s.gpr[RSI] = 0x10;
    m.cpu.s.gpr[RDI] = 0x9000;
    auto r = m.cpu.run(1000);
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(m.bus.ram[0x9000] == 0x5A);
    CHECK(m.cpu.s.gpr[RAX] == q);
    CHECK(m.cpu.s.gpr[RSI] == 0x19);
}

TEST_CASE("a huge REP count runs in restartable chunks and stops at the cycle budget") {
    test::Machine m;
    m.load(kCode, {0xF3, 0x48, 0xAB, 0xF4});  // rep stosq; hlt
    m.cpu.s.gpr[RCX] = ~0ull;
    m.cpu.s.gpr[RDI] = 0x20000;
    // Walks up through RAM, then through unmapped space (writes there are dropped).
    auto r = m.cpu.run(1'000'000);
    CHECK(r.reason == StopReason::Budget);
    CHECK(m.cpu.s.rip == kCode);
    u64 done = ~0ull - m.cpu.s.gpr[RCX];
    CHECK(done > 0);
    CHECK(m.cpu.s.gpr[RDI] == 0x20000 + done * 8);
}

TEST_CASE("movsd/cmpsd with XMM operands are not string instructions") {
    // f2 0f 10 c1  movsd xmm0, xmm1 ; f2 0f c2 c1 00  cmpsd xmm0, xmm1, 0
    // Whether or not the SSE group implements them, RSI/RDI/memory stay untouched.
    for (std::initializer_list<u8> code : {std::initializer_list<u8>{0xF2, 0x0F, 0x10, 0xC1, 0xF4},
                                           std::initializer_list<u8>{0xF2, 0x0F, 0xC2, 0xC1, 0x00, 0xF4}}) {
        test::Machine m;
        m.load(kCode, code);
        m.cpu.s.gpr[RSI] = 0x5000;
        m.cpu.s.gpr[RDI] = 0x6000;
        m.bus.ram[0x5000] = 0x77;
        m.cpu.run(1000);
        CHECK(m.cpu.s.gpr[RSI] == 0x5000);
        CHECK(m.cpu.s.gpr[RDI] == 0x6000);
        CHECK(m.bus.ram[0x6000] == 0);
    }
}

TEST_CASE("rep stosb over the next instruction: the new bytes run (self-modifying code)") {
    test::Machine m;
    // 0: f3 aa            rep stosb          (RDI -> the mov's immediate)
    // 2: b8 01 00 00 00   mov eax, 1
    // 7: f4               hlt
    m.load(kCode, {0xF3, 0xAA, 0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4});
    m.cpu.s.gpr[RAX] = 0x07;
    m.cpu.s.gpr[RCX] = 4;
    m.cpu.s.gpr[RDI] = kCode + 3;
    auto r = m.cpu.run(1000);
    REQUIRE(r.reason == StopReason::Halt);
    CHECK(m.cpu.s.gpr[RAX] == 0x0707'0707);
}
