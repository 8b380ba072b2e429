// Finding and reading the guest kernel through its debugger descriptor.
#include "kernel.h"

#include <algorithm>
#include <cstddef>
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
    // Version 2 ends where version 3's switch models begin; its kernels run the
    // linux model (zeroes below read as SY_SWITCH_LINUX).
    const size_t known = d.version >= 3 ? sizeof(Descriptor) : offsetof(Descriptor, switch_model);
    if (d.version < 3) std::memset(reinterpret_cast<char*>(&k.d_) + known, 0, sizeof(Descriptor) - known);
    const bool pointers_ok = d.pointer_size == 8 || (d.pointer_size == 4 && d.version >= 4);
    if (d.version < kMinDescriptorVersion || d.size < known || !pointers_ok)
        throw KernelError("the kernel's debugger descriptor is version " + std::to_string(d.version) + ", size " +
                          std::to_string(d.size) + "; this switchyard reads version " +
                          std::to_string(kMinDescriptorVersion) + " or later (rebuild the kernel)");
    if (d.self != *va) throw KernelError("the debugger descriptor's self pointer disagrees with the ELF symbol");

    // The `ret`s of __switch_to, decoded from the image in guest memory.
    Symbols::Range r = k.routine(d.sym_switch_to);
    std::vector<u8> code(r.end - r.start);
    if (!code.empty() && k.read(r.start, code.data(), code.size()) == code.size())
        k.switch_rets_ = find_returns(code.data(), code.size(), r.start, k.code_bits());
    if (k.switch_rets_.empty()) throw KernelError("cannot find the ret of __switch_to in the kernel's code");

    // Each model's beginnings and the rets of its end routine (version 3; a
    // version 2 kernel has the linux model only).
    for (unsigned m = 0; m < SY_DEBUG_NR_MODELS; ++m) {
        if (m != SY_SWITCH_LINUX && d.version < 3) continue;
        if (d.version >= 3 && !d.models[m].name[0]) continue;  // not in this kernel (the i386 build has one)
        ModelTraps& t = k.traps_[m];
        if (m == SY_SWITCH_LINUX && d.version < 3) {
            t.begins = {d.sym_switch_to_asm};
            t.end_rets = k.switch_rets_;
            continue;
        }
        for (u64 b : d.models[m].begin)
            if (b) t.begins.push_back(b);
        Symbols::Range e = k.routine(d.models[m].end);
        std::vector<u8> bytes(e.end - e.start);
        if (!bytes.empty() && k.read(e.start, bytes.data(), bytes.size()) == bytes.size())
            t.end_rets = find_returns(bytes.data(), bytes.size(), e.start, k.code_bits());
        if (t.begins.empty() || t.end_rets.empty())
            throw KernelError(std::string("cannot find where the ") + d.models[m].name +
                              " switch model begins and ends in the kernel's code");
    }
    return k;
}

unsigned Kernel::switch_model() const {
    if (d_.version < 3 || !d_.switch_model) return SY_SWITCH_LINUX;
    int m = get<int>(d_.switch_model).value_or(SY_SWITCH_LINUX);
    return m >= 0 && m < SY_DEBUG_NR_MODELS ? unsigned(m) : SY_SWITCH_LINUX;
}

std::string Kernel::switch_model_name() const {
    if (d_.version < 3) return "linux";
    const auto& n = d_.models[switch_model()].name;
    return std::string(n, strnlen(n, sizeof n));
}

std::vector<std::string> Kernel::switch_model_names() const {
    if (d_.version < 3) return {"linux"};
    std::vector<std::string> out;
    for (const auto& m : d_.models) out.emplace_back(m.name, strnlen(m.name, sizeof m.name));
    return out;
}

std::vector<u64> Kernel::all_switch_traps() const {
    std::vector<u64> out;
    for (const ModelTraps& t : traps_) {
        out.insert(out.end(), t.begins.begin(), t.begins.end());
        out.insert(out.end(), t.end_rets.begin(), t.end_rets.end());
    }
    return out;
}

bool Kernel::is_switch_begin(u64 rip) const {
    const auto& b = traps_[switch_model()].begins;
    return std::find(b.begin(), b.end(), rip) != b.end();
}

bool Kernel::is_switch_end(u64 rip) const {
    const auto& e = traps_[switch_model()].end_rets;
    return std::find(e.begin(), e.end(), rip) != e.end();
}

bool Kernel::in_switch_code(u64 rip) const {
    const unsigned m = switch_model();
    if (m == SY_SWITCH_LINUX || d_.version < 3) {
        for (u64 start : {d_.sym_switch_to_asm, d_.sym_switch_to}) {
            Symbols::Range r = routine(start);
            if (rip >= r.start && rip < r.end) return true;
        }
        return false;
    }
    // From a beginning to the end routine's ret: the model's own routines and
    // __switch_to (all models call it).
    std::vector<u64> starts(d_.models[m].begin, d_.models[m].begin + 2);
    starts.push_back(d_.models[m].end);
    starts.push_back(d_.sym_switch_to);
    if (m == SY_SWITCH_XV6) starts.push_back(d_.xv6.sym_swtch);
    for (u64 start : starts) {
        if (!start) continue;
        Symbols::Range r = routine(start);
        if (rip >= r.start && rip < r.end) return true;
    }
    if (m == SY_SWITCH_LINUX26) {  // the statement inlined in __schedule: up to thread_return's end
        Symbols::Range r = routine(d_.models[m].resume_pc);
        Symbols::Range b = routine(d_.models[m].begin[0]);
        if (rip >= b.start && rip < std::max(r.end, b.end)) return true;
    }
    return false;
}

std::vector<u64> find_returns(const u8* code, size_t n, u64 start, unsigned bits) {
    Disassembler dis(bits);
    std::vector<u64> out;
    for (const DisasmLine& l : dis.decode_all(code, n, start))
        if (l.is_ret) out.push_back(l.addr);
    return out;
}

std::vector<u64> find_kernel_exits(const Kernel& k) {
    Disassembler dis(k.code_bits());
    std::vector<u64> out;
    const auto& all = k.symbols().all();
    for (size_t n = 0; n < all.size(); ++n) {
        const Symbol& s = all[n];
        if (!s.function || !k.in_kernel_text(s.addr)) continue;
        u64 end = k.d().text_end;
        for (size_t m = n + 1; m < all.size(); ++m)
            if (all[m].addr > s.addr) {
                end = std::min(end, all[m].addr);
                break;
            }
        if (end <= s.addr) continue;
        std::vector<u8> code(end - s.addr);
        code.resize(k.read(s.addr, code.data(), code.size()));
        for (const DisasmLine& l : dis.decode_all(code.data(), code.size(), s.addr))
            if (l.text.rfind("iret", 0) == 0 || l.text.rfind("sysret", 0) == 0) out.push_back(l.addr);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Symbols::Range Kernel::routine(u64 addr) const {
    auto ref = syms_->lookup(addr);
    if (ref && ref->offset == 0 && ref->sym->size) return {addr, addr + ref->sym->size};
    return {addr, addr};
}

std::optional<u64> Kernel::direct_phys(u64 va) const {
    if (ptr_size() == 4) {  // i386: the image is inside the direct map, which ends where the stacks begin
        if (va >= d_.page_offset && va < d_.vmap_stack_start) return va - d_.page_offset;
        return std::nullopt;
    }
    if (va >= d_.start_kernel_map) return va - d_.start_kernel_map;
    if (va >= d_.page_offset && va - d_.page_offset < (u64(4) << 30)) return va - d_.page_offset;
    return std::nullopt;
}

u64 Kernel::kernel_cr3() const {
    auto pa = direct_phys(d_.init_mm + d_.mm.pgd);
    if (!pa) return 0;
    u64 pgd = ptr_size() == 4 ? mem_->get_phys<u32>(*pa).value_or(0) : mem_->get_phys<u64>(*pa).value_or(0);
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
    u64 online = ptr_at(d_.cpu_online_mask, 1);
    for (unsigned k = 0; k < d_.max_cpus && k < 64; ++k) {
        if (!(online & (1ull << k))) continue;
        auto id = get<u32>(percpu(k) + d_.percpu.apic_id);
        if (id && *id == apic_id) return k;
    }
    return std::nullopt;
}

}  // namespace sy::guest
