// The guest kernel as a debugger knows it: its debugger descriptor
// (guest-kernel/include/debug_descriptor.h, the kernel's own description of
// its objects and layouts) and its ELF symbols. Nothing here hard-codes an
// address or an offset of the kernel: every one comes from the descriptor.
#pragma once
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "guest-kernel/include/debug_descriptor.h"
#include "memory.h"
#include "symbols.h"

namespace sy::guest {

using Descriptor = sy_debug_descriptor;

// The descriptor versions this reader understands: version 2 added the kernel
// text range and the lab switches, version 3 the switch models (fields are
// only ever appended).
inline constexpr u32 kMinDescriptorVersion = 2;

struct KernelError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Kernel {
public:
    // Finds `switchyard_debug_descriptor` through the ELF symbols, reads it
    // from guest physical memory at the address the image's load map gives,
    // and checks its magic, version and size. Throws KernelError naming what
    // is missing or wrong.
    static Kernel load(Symbols syms, const GuestMemory& mem);

    const Descriptor& d() const { return d_; }
    const Symbols& symbols() const { return *syms_; }
    const GuestMemory& memory() const { return *mem_; }

    // The root of the kernel's page tables (init_mm.pgd as a physical address,
    // a CR3 value), or 0 before the kernel has built them.
    u64 kernel_cr3() const;
    // Physical address of a kernel address in the image or the direct map (the
    // descriptor's rules), if it is one.
    std::optional<u64> direct_phys(u64 va) const;
    // Reads kernel virtual memory: through init_mm's page tables once they
    // exist, by the descriptor's rules before.
    size_t read(u64 va, void* dst, size_t n) const;
    template <class T> std::optional<T> get(u64 va) const {
        T v{};
        if (read(va, &v, sizeof v) != sizeof v) return std::nullopt;
        return v;
    }
    u64 u64_at(u64 va, u64 fallback = 0) const { return get<u64>(va).value_or(fallback); }
    // A pointer or unsigned long of the kernel: 8 bytes, or 4 in the i386
    // build (descriptor version 4, pointer_size).
    u32 ptr_size() const { return d_.pointer_size; }
    std::optional<u64> get_ptr(u64 va) const {
        if (ptr_size() != 4) return get<u64>(va);
        auto v = get<u32>(va);
        return v ? std::optional<u64>(*v) : std::nullopt;
    }
    u64 ptr_at(u64 va, u64 fallback = 0) const { return get_ptr(va).value_or(fallback); }
    // Its code is 32-bit (the i386 build): decode it so.
    unsigned code_bits() const { return ptr_size() == 4 ? 32 : 64; }
    std::string string_at(u64 va, size_t max) const;

    // Code the debugger stops at, from the descriptor and the symbol sizes.
    u64 switch_to_asm() const { return d_.sym_switch_to_asm; }
    u64 switch_to() const { return d_.sym_switch_to; }
    u64 ret_from_fork() const { return d_.sym_ret_from_fork; }
    // [start, end) of a routine named by the descriptor, its end from the ELF size.
    Symbols::Range routine(u64 addr) const;
    // The `ret` instructions of __switch_to, each of which pops next's ret_addr
    // (found by decoding the routine's bytes from guest memory).
    const std::vector<u64>& switch_to_rets() const { return switch_rets_; }
    // The switch model this boot runs (descriptor version 3, read from guest
    // memory each time: the command line sets it early in the boot), SY_SWITCH_*;
    // SY_SWITCH_LINUX for a version 2 kernel.
    unsigned switch_model() const;
    std::string switch_model_name() const;
    // Every model the kernel offers (`--append switch=NAME`), by SY_SWITCH_* number.
    std::vector<std::string> switch_model_names() const;
    // Every model's switch beginnings and end rets: the debugger traps them all
    // before the kernel has chosen its model.
    std::vector<u64> all_switch_traps() const;
    // For the running model: a switch begins here (RDI = prev, RSI = next) /
    // this `ret` ends one, popping next's resume PC.
    bool is_switch_begin(u64 rip) const;
    bool is_switch_end(u64 rip) const;
    // Inside the running model's switch code (its routines and __switch_to).
    bool in_switch_code(u64 rip) const;
    // Kernel text, [_text, _etext).
    bool in_kernel_text(u64 a) const { return a >= d_.text_start && a < d_.text_end; }

    // Per-CPU areas: the kernel's CPU number of the processor with `apic_id`
    // (percpu.apic_id), and the area's address.
    std::optional<unsigned> cpu_of_apic(u32 apic_id) const;
    u64 percpu(unsigned kcpu) const { return d_.percpu_base + u64(kcpu) * d_.percpu.stride; }
    unsigned nr_cpus() const;

private:
    Descriptor d_{};
    std::shared_ptr<const Symbols> syms_;
    const GuestMemory* mem_ = nullptr;
    std::vector<u64> switch_rets_;
    struct ModelTraps {
        std::vector<u64> begins, end_rets;
    };
    ModelTraps traps_[SY_DEBUG_NR_MODELS];
};

// The `ret` (C3, C2 iw) instructions in [start, end), decoded from `code`.
std::vector<u64> find_returns(const u8* code, size_t n, u64 start, unsigned bits = 64);
// Every IRET and SYSRET in kernel text, where interrupts, exceptions and
// system calls end: decoded from guest memory one symbol at a time (from each
// code symbol to the next), so data between routines cannot desynchronise it.
std::vector<u64> find_kernel_exits(const Kernel& k);

}  // namespace sy::guest
