// A minimal machine for unit tests: flat RAM from physical 0 and one CPU in
// 64-bit mode, with paging off (linear == physical).
#pragma once
#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

#include "code_cache.h"
#include "cpu.h"

namespace sy::test {

class FlatBus : public Bus {
public:
    explicit FlatBus(size_t bytes) : ram(bytes) {}
    u8* ram_page(u64 pa) override { return pa < ram.size() ? ram.data() + (pa & ~0xFFFull) : nullptr; }
    // Device stand-ins: called for port writes and for writes outside RAM.
    void io_out(u16 port, unsigned size, u32 value) override {
        if (on_io_out) on_io_out(port, size, value);
    }
    void mmio_write(u64 pa, unsigned size, u64 value) override {
        if (on_mmio_write) on_mmio_write(pa, size, value);
    }
    std::vector<u8> ram;
    std::function<void(u16, unsigned, u32)> on_io_out;
    std::function<void(u64, unsigned, u64)> on_mmio_write;
};

struct Machine {
    explicit Machine(size_t bytes = 1 << 20) : bus(bytes), cpu(bus, code) {}
    // Copies `code` to `at` and points RIP there; RSP gets the top of RAM.
    void load(u64 at, std::initializer_list<u8> code) {
        std::copy(code.begin(), code.end(), bus.ram.begin() + at);
        // A host-side write bypasses the guest write path: drop stale decodes.
        for (u64 pg = at >> 12; pg <= (at + code.size()) >> 12; ++pg) cpu.code_cache().invalidate_page(pg);
        cpu.s.rip = at;
        cpu.s.gpr[RSP] = bus.ram.size() - 0x100;
    }
    FlatBus bus;
    // Shared with any further CPU a test attaches to this bus (Cpu(bus, code)),
    // as the machine shares one decode cache between its processors.
    std::shared_ptr<CodeCache> code = std::make_shared<CodeCache>();
    Cpu cpu;
};

}  // namespace sy::test
