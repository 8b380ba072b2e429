// QEMU-compatible debug ports (isa-debugcon, isa-debug-exit) and fw_cfg.
// Expected values: QEMU hw/char/debugcon.c (readback 0xE9), hw/misc/debugexit.c
// (exit status (v << 1) | 1), docs/specs/fw_cfg.rst (selector/data ports,
// "QEMU" signature, FW_CFG_ID bit 0, file directory layout, big-endian fields).
#include <doctest/doctest.h>

#include <string>

#include "debug_ports.h"
#include "fw_cfg.h"
#include "io_bus.h"

using namespace sy;
using namespace sy::dev;

TEST_CASE("debugcon: writes to 0xE9 are output, reads return 0xE9") {
    std::string out;
    DebugCon con([&](u8 b) { out.push_back(char(b)); });
    IoBus bus;
    bus.add_ports(DebugCon::kPort, 1, &con);
    for (char c : std::string("hi\n")) bus.io_out(0xE9, 1, u8(c), 0);
    CHECK(out == "hi\n");
    CHECK(bus.io_in(0xE9, 1, 0) == 0xE9);
}

TEST_CASE("debug-exit: a write of v requests exit status (v << 1) | 1") {
    DebugExit dx;
    IoBus bus;
    bus.add_ports(DebugExit::kPort, DebugExit::kPorts, &dx, 4);
    CHECK_FALSE(dx.exit_request().has_value());
    bus.io_out(0xF4, 1, 0x10, 0);
    REQUIRE(dx.exit_request().has_value());
    CHECK(*dx.exit_request() == 0x21);
    bus.io_out(0xF4, 1, 0, 0);  // the first request stands
    CHECK(*dx.exit_request() == 0x21);
    DebugExit zero;
    zero.io_write(0xF4, 4, 0, 0);
    CHECK(*zero.exit_request() == 1);
}

namespace {
struct FwCfgGuest {
    IoBus bus;
    explicit FwCfgGuest(FwCfg& f) {
        bus.add_ports(FwCfg::kSelectorPort, 1, &f, 2);
        bus.add_ports(FwCfg::kDataPort, 1, &f, 1);
    }
    std::vector<u8> read(u16 key, size_t n) {
        bus.io_out(0x510, 2, key, 0);
        std::vector<u8> v;
        for (size_t i = 0; i < n; ++i) v.push_back(u8(bus.io_in(0x511, 1, 0)));
        return v;
    }
};
u64 le(const std::vector<u8>& v, size_t at, unsigned n) {
    u64 x = 0;
    for (unsigned i = 0; i < n; ++i) x |= u64(v[at + i]) << (8 * i);
    return x;
}
u64 be(const std::vector<u8>& v, size_t at, unsigned n) {
    u64 x = 0;
    for (unsigned i = 0; i < n; ++i) x = (x << 8) | v[at + i];
    return x;
}
}  // namespace

TEST_CASE("fw_cfg: signature, ID, RAM size and CPU count at their selectors") {
    FwCfg f(512ull << 20, 4);
    FwCfgGuest g(f);
    auto sig = g.read(0x0000, 4);
    CHECK(std::string(sig.begin(), sig.end()) == "QEMU");
    CHECK(le(g.read(0x0001, 4), 0, 4) == 1);  // traditional interface, no DMA
    CHECK(le(g.read(0x0003, 8), 0, 8) == (512ull << 20));
    CHECK(le(g.read(0x0005, 2), 0, 2) == 4);
    CHECK(le(g.read(0x000F, 2), 0, 2) == 4);
    // Past the end and unknown selectors read 0.
    CHECK(g.read(0x0000, 6)[5] == 0);
    CHECK(g.read(0x0123, 2) == std::vector<u8>{0, 0});
    // Reselecting rewinds the offset.
    CHECK(g.read(0x0000, 1)[0] == 'Q');
}

TEST_CASE("fw_cfg: the file directory is big-endian, sorted by name, and selects the files") {
    FwCfg f(64ull << 20, 1);
    u16 z = f.add_file("opt/zeta", {1, 2, 3});
    u16 a = f.add_file("etc/e820", std::vector<u8>(40, 0xEE));
    CHECK(z == 0x20);
    CHECK(a == 0x21);
    CHECK_THROWS(f.add_file("opt/zeta", {}));
    CHECK_THROWS(f.add_file(std::string(56, 'x'), {}));
    FwCfgGuest g(f);
    auto dir = g.read(0x0019, 4 + 2 * 64);
    REQUIRE(be(dir, 0, 4) == 2);
    // Entry: u32 size, u16 select, u16 reserved, char name[56].
    CHECK(be(dir, 4, 4) == 40);
    CHECK(be(dir, 8, 2) == 0x21);
    CHECK(std::string(reinterpret_cast<const char*>(&dir[12])) == "etc/e820");
    CHECK(be(dir, 68, 4) == 3);
    CHECK(be(dir, 72, 2) == 0x20);
    CHECK(std::string(reinterpret_cast<const char*>(&dir[76])) == "opt/zeta");
    CHECK(g.read(0x20, 4) == std::vector<u8>{1, 2, 3, 0});
}
