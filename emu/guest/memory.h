// How guest awareness reads the guest: virtual addresses through a chosen
// address space (a page-table root, CR3) and physical addresses, never
// faulting, never ticking, never touching a device. Everything in emu/guest/
// reads through this interface; the one implementation over the machine
// (CpuMemory) forwards to the CPU's peek functions.
#pragma once
#include <cstring>
#include <optional>

#include "types.h"

namespace sy {
class Cpu;
}

namespace sy::guest {

class GuestMemory {
public:
    virtual ~GuestMemory() = default;
    // Bytes at virtual `va` in the address space rooted at `cr3` (CR3's value:
    // the PML4's physical address, PCID bits ignored). Returns how many bytes
    // were read: fewer than `n` when an unmapped page (or a page outside RAM)
    // comes first.
    virtual size_t read(u64 cr3, u64 va, void* dst, size_t n) const = 0;
    // Bytes of physical RAM at `pa`; stops at the end of RAM.
    virtual size_t read_phys(u64 pa, void* dst, size_t n) const = 0;

    template <class T> std::optional<T> get(u64 cr3, u64 va) const {
        T v{};
        if (read(cr3, va, &v, sizeof v) != sizeof v) return std::nullopt;
        return v;
    }
    template <class T> std::optional<T> get_phys(u64 pa) const {
        T v{};
        if (read_phys(pa, &v, sizeof v) != sizeof v) return std::nullopt;
        return v;
    }
};

// GuestMemory over a processor's peek functions: the paging mode (4-level
// paging, CR4.PAE, ...) is the processor's, the root is the caller's.
class CpuMemory final : public GuestMemory {
public:
    explicit CpuMemory(const Cpu& cpu) : cpu_(&cpu) {}
    size_t read(u64 cr3, u64 va, void* dst, size_t n) const override;
    size_t read_phys(u64 pa, void* dst, size_t n) const override;

private:
    const Cpu* cpu_;
};

}  // namespace sy::guest
