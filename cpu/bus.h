// The CPU's only window on the outside world: physical memory and port I/O.
// The machine (emu/) implements it; cpu/ never sees devices directly.
#pragma once
#include "types.h"

namespace sy {

class Bus {
public:
    virtual ~Bus() = default;
    // Host pointer to the start of the 4 KiB RAM page holding `paddr`, or nullptr
    // when the page is not plain RAM (MMIO or unmapped). Pointers stay valid for
    // the life of the bus, so the CPU may cache them in its TLB.
    virtual u8* ram_page(u64 paddr) = 0;
    // The same page for a write the CPU is about to make through the pointer
    // (a store, a page walk's A/D bits, a write-TLB entry, a bulk string
    // copy). Every CPU write to RAM asks this first, so a machine can see which
    // pages change (snapshots: emu/replay/) without a check on the CPU's fast
    // path: a write-TLB entry exists only after this was asked for its page.
    virtual u8* ram_page_for_write(u64 paddr) { return ram_page(paddr); }
    // Accesses that miss RAM. `size` is 1, 2, 4 or 8. Unmapped reads return all ones.
    virtual u64 mmio_read(u64 paddr, unsigned size) { return ~0ull >> (64 - 8 * size); }
    virtual void mmio_write(u64 paddr, unsigned size, u64 value) {}
    virtual u32 io_in(u16 port, unsigned size) { return ~0u >> (32 - 8 * size); }
    virtual void io_out(u16 port, unsigned size, u32 value) {}
};

}  // namespace sy
