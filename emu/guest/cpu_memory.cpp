// GuestMemory over the CPU's debug reads (cpu.h: peek, peek_phys).
#include "cpu.h"
#include "memory.h"

namespace sy::guest {

size_t CpuMemory::read(u64 cr3, u64 va, void* dst, size_t n) const {
    // TEMPORARY until Cpu::peek_in(cr3, ...) exists: the CPU's own address space only.
    if ((cr3 & ~0xFFFull) != (cpu_->sys.cr3 & ~0xFFFull)) {
        // Kernel addresses are the same in every address space.
        if (!(va >> 63)) return 0;
    }
    return cpu_->peek(va, dst, n);
}

size_t CpuMemory::read_phys(u64 pa, void* dst, size_t n) const {
    Cpu& c = const_cast<Cpu&>(*cpu_);
    u8* out = static_cast<u8*>(dst);
    size_t done = 0;
    while (done < n) {
        u8* page = c.bus().ram_page(pa + done);
        if (!page) break;
        size_t k = std::min<size_t>(n - done, 0x1000 - ((pa + done) & 0xFFF));
        std::memcpy(out + done, page + ((pa + done) & 0xFFF), k);
        done += k;
    }
    return done;
}

}  // namespace sy::guest
