// Guest behaviour never crashes the emulator: random byte sequences with random
// register values either execute or raise an architectural exception.
#include <doctest/doctest.h>

#include <random>

#include "support.h"

using namespace sy;

TEST_CASE("robustness: random instruction bytes never crash the interpreter") {
    test::Machine m(1 << 20);
    std::mt19937_64 rng(12345);
    int faults = 0, executed = 0;
    for (int round = 0; round < 50000; ++round) {
        u8 code[16];
        for (u8& b : code) b = static_cast<u8>(rng());
        // Bias towards real opcodes: often start with a common prefix or 0F escape.
        if (round % 3 == 0) code[0] = 0x48;
        if (round % 5 == 0) code[1] = 0x0F;
        std::copy(std::begin(code), std::end(code), m.bus.ram.begin() + 0x1000);
        m.cpu.code_cache().invalidate_page(1);
        for (int n = 0; n < 16; ++n) {
            u64 v = rng();
            // Half of the registers point into RAM so that memory forms run too.
            m.cpu.s.gpr[n] = (rng() % 2) ? (0x8000 + (v & 0x3FFF8)) : v;
        }
        m.cpu.s.gpr[RSP] = 0x80000;
        m.cpu.s.rip = 0x1000;
        m.cpu.s.rflags = fl::FIXED1 | (rng() & (fl::ARITH | fl::DF));
        m.cpu.halted = false;
        StepResult r = m.cpu.step();
        if (r.fault) {
            ++faults;
            // Faults leave RIP at the instruction; INT n/INT3 are traps (RIP after them).
            CHECK((m.cpu.s.rip == 0x1000 || r.fault->software));
        } else {
            ++executed;
        }
    }
    MESSAGE("executed " << executed << ", faulted " << faults);
}
