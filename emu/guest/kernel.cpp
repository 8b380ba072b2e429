// Finding and reading the guest kernel through its debugger descriptor.
#include "kernel.h"

#include <cstring>

#include "disasm.h"

namespace sy::guest {

Kernel Kernel::load(Symbols syms, const GuestMemory& mem) {
    Kernel k;
    k.syms_ = std::make_shared<const Symbols>(std::move(syms));
    k.mem_ = &mem;
    const Symbols& s = *k.syms_;
    auto va = s.address_of("switchyard_debug_descriptor");
    if (!va) throw KernelError("the kernel has no symbol switchyard_debug_descriptor (not the bundled kernel?)");
    auto pa = s.load_address(*va);
    if (!pa) throw KernelError("switchyard_debug_descriptor is not in a loaded segment of the kernel image");
    if (mem.read_phys(*pa, &k.d_, sizeof k.d_) != sizeof k.d_)
        throw KernelError("the debugger descriptor is outside guest RAM (kernel not loaded?)");
    const Descriptor& d = k.d_;
    if (std::memcmp(d.magic, SY_DEBUG_MAGIC, sizeof d.magic) != 0)
        throw KernelError("no debugger descriptor in guest memory where the symbol says (kernel not loaded?)");
    if (d.version < kMinDescriptorVersion || d.size < sizeof(Descriptor) || d.pointer_size != 8)
        throw KernelError("the kernel's debugger descriptor is version " + std::to_string(d.version) + ", size " +
                          std::to_string(d.size) + "; this switchyard reads version " +
                          std::to_string(kMinDescriptorVersion) + " or later (rebuild the kernel)");
    if (d.self != *va) throw KernelError("the debugger descriptor's self pointer disagrees with the ELF symbol");

    // The `ret`s of __switch_to, decoded from the image in guest memory.
    Symbols::Range r = k.routine(d.sym_switch_to);
    std::vector<u8> code(r.end - r.start);
    if (!code.empty() && k.read(r.start, code.data(), code.size()) == code.size())
        k.switch_rets_ = find_returns(code.data(), code.size(), r.start);
    if (k.switch_rets_.empty()) throw KernelError("cannot find the ret of __switch_to in the kernel's code");
    return k;
}

std::vector<u64> find_returns(const u8* code, size_t n, u64 start) {
    Disassembler dis;
    std::vector<u64> out;
    for (const DisasmLine& l : dis.decode_all(code, n, start))
        if (l.is_ret) out.push_back(l.addr);
    return out;
}

Symbols::Range Kernel::routine(u64 addr) const {
    auto ref = syms_->lookup(addr);
    if (ref && ref->offset == 0 && ref->sym->size) return {addr, addr + ref->sym->size};
    return {addr, addr};
}

std::optional<u64> Kernel::direct_phys(u64 va) const {
    if (va >= d_.start_kernel_map) return va - d_.start_kernel_map;
    if (va >= d_.page_offset && va - d_.page_offset < (u64(4) << 30)) return va - d_.page_offset;
    return std::nullopt;
}

u64 Kernel::kernel_cr3() const {
    auto pa = direct_phys(d_.init_mm + d_.mm.pgd);
    if (!pa) return 0;
    u64 pgd = mem_->get_phys<u64>(*pa).value_or(0);
    auto root = pgd ? direct_phys(pgd) : std::nullopt;
    return root.value_or(0);
}

size_t Kernel::read(u64 va, void* dst, size_t n) const {
    if (u64 cr3 = kernel_cr3()) return mem_->read(cr3, va, dst, n);
    // Before paging_init(): only the image and the direct map can be read.
    auto pa = direct_phys(va);
    return pa ? mem_->read_phys(*pa, dst, n) : 0;
}

std::string Kernel::string_at(u64 va, size_t max) const {
    std::string s(max, '\0');
    size_t got = read(va, s.data(), max);
    s.resize(got);
    if (auto z = s.find('\0'); z != std::string::npos) s.resize(z);
    return s;
}

unsigned Kernel::nr_cpus() const {
    int n = get<int>(d_.nr_cpu_ids).value_or(0);
    if (n < 1) n = 1;
    if (n > int(d_.max_cpus)) n = int(d_.max_cpus);
    return unsigned(n);
}

std::optional<unsigned> Kernel::cpu_of_apic(u32 apic_id) const {
    u64 online = get<u64>(d_.cpu_online_mask).value_or(1);
    for (unsigned k = 0; k < d_.max_cpus && k < 64; ++k) {
        if (!(online & (1ull << k))) continue;
        auto id = get<u32>(percpu(k) + d_.percpu.apic_id);
        if (id && *id == apic_id) return k;
    }
    return std::nullopt;
}

}  // namespace sy::guest
