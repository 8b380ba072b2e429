// GuestMemory over the CPU's debug reads (cpu.h: peek_in, peek_phys).
#include "cpu.h"
#include "memory.h"

namespace sy::guest {

size_t CpuMemory::read(u64 cr3, u64 va, void* dst, size_t n) const { return cpu_->peek_in(cr3, va, dst, n); }

size_t CpuMemory::read_phys(u64 pa, void* dst, size_t n) const { return cpu_->peek_phys(pa, dst, n); }

}  // namespace sy::guest
