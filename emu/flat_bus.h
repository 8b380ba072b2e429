// A machine-less Bus: flat RAM from physical address 0, nothing else. For
// tools that run guest code without devices (the benchmark).
#pragma once
#include <cstring>
#include <vector>

#include "bus.h"

namespace sy {

class FlatBus : public Bus {
public:
    explicit FlatBus(size_t bytes) : ram_((bytes + 0xFFF) & ~size_t(0xFFF)) {}
    u8* ram_page(u64 pa) override { return pa < ram_.size() ? ram_.data() + (pa & ~0xFFFull) : nullptr; }
    // Host-side copy into guest RAM (before the CPU runs: no decode cache to warn).
    void load(u64 pa, const std::vector<u8>& bytes) { std::memcpy(ram_.data() + pa, bytes.data(), bytes.size()); }
    size_t size() const { return ram_.size(); }

private:
    std::vector<u8> ram_;
};

}  // namespace sy
