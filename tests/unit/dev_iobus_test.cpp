// IoBus: dispatch by range, overlap rejection, ISA-style splitting of wide
// accesses to narrow devices, floating-bus reads of unclaimed ports.
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "io_bus.h"

using namespace sy;
using namespace sy::dev;

namespace {
// Answers with the low byte of the port number; logs writes.
struct EchoPorts : PortDevice {
    struct Write {
        u16 port;
        unsigned size;
        u32 value;
    };
    std::vector<Write> writes;
    std::vector<unsigned> read_sizes;
    u32 io_read(u16 port, unsigned size, u64) override {
        read_sizes.push_back(size);
        return size == 1 ? u8(port) : (0xAB00u | u8(port));
    }
    void io_write(u16 port, unsigned size, u32 value, u64) override { writes.push_back({port, size, value}); }
};
struct Mem : MmioDevice {
    u64 last_offset = ~0ull;
    u64 mmio_read(u64 offset, unsigned, u64) override { return last_offset = offset, 0x1122334455667788ull; }
    void mmio_write(u64 offset, unsigned, u64, u64) override { last_offset = offset; }
};
}  // namespace

TEST_CASE("iobus: overlapping port and MMIO registrations are rejected") {
    IoBus bus;
    EchoPorts a, b;
    bus.add_ports(0x3F8, 8, &a, 1, "com1");
    CHECK_THROWS_AS(bus.add_ports(0x3FF, 1, &b, 1, "clash"), std::invalid_argument);
    CHECK_THROWS_AS(bus.add_ports(0x3F0, 9, &b, 1, "clash"), std::invalid_argument);
    CHECK_NOTHROW(bus.add_ports(0x400, 1, &b, 1, "adjacent"));
    CHECK_NOTHROW(bus.add_ports(0x3F0, 8, &b, 1, "below"));
    CHECK_THROWS_AS(bus.add_ports(0xFFFF, 2, &b), std::invalid_argument);  // past the port space
    Mem m1, m2;
    bus.add_mmio(0xFEC00000, 0x1000, &m1, "ioapic");
    CHECK_THROWS_AS(bus.add_mmio(0xFEC00FFF, 0x10, &m2, "clash"), std::invalid_argument);
    CHECK_NOTHROW(bus.add_mmio(0xFEC01000, 0x10, &m2, "next"));
}

TEST_CASE("iobus: a 16-bit access to a byte-wide device becomes two byte accesses, low port first") {
    IoBus bus;
    EchoPorts dev;
    bus.add_ports(0x3F8, 8, &dev, 1);
    CHECK(bus.io_in(0x3F8, 2, 0) == 0xF9F8);
    CHECK(bus.io_in(0x3F8, 4, 0) == 0xFBFAF9F8);
    bus.io_out(0x3F8, 2, 0xBEEF, 0);
    REQUIRE(dev.writes.size() == 2);
    CHECK(dev.writes[0].port == 0x3F8);
    CHECK(dev.writes[0].value == 0xEF);
    CHECK(dev.writes[1].port == 0x3F9);
    CHECK(dev.writes[1].value == 0xBE);
    // Straddling the end: the byte past the device floats high.
    CHECK(bus.io_in(0x3FF, 2, 0) == 0xFFFF);
}

TEST_CASE("iobus: a device registered 16 bits wide gets the whole access") {
    IoBus bus;
    EchoPorts dev;
    bus.add_ports(0x510, 1, &dev, 2);
    CHECK(bus.io_in(0x510, 2, 0) == 0xAB10);
    bus.io_out(0x510, 2, 0x0019, 0);
    REQUIRE(dev.writes.size() == 1);
    CHECK(dev.writes[0].size == 2);
    CHECK(dev.writes[0].value == 0x19);
}

TEST_CASE("iobus: unclaimed ports and addresses read all ones, MMIO gets offsets") {
    IoBus bus;
    CHECK(bus.io_in(0x80, 1, 0) == 0xFF);
    CHECK(bus.io_in(0x80, 2, 0) == 0xFFFF);
    CHECK(bus.io_in(0x80, 4, 0) == 0xFFFFFFFF);
    CHECK(bus.mmio_read(0xFEE00000, 4, 0) == 0xFFFFFFFF);
    CHECK(bus.mmio_read(0xFEE00000, 8, 0) == ~0ull);
    Mem m;
    bus.add_mmio(0xFEC00000, 0x1000, &m);
    CHECK(bus.claims_mmio(0xFEC00010));
    CHECK_FALSE(bus.claims_mmio(0xFEC01000));
    bus.mmio_read(0xFEC00010, 4, 0);
    CHECK(m.last_offset == 0x10);
}
