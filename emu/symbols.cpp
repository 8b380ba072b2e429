// ELF symbols through libelf (gelf: the same code reads ELF32 and ELF64).
#include "symbols.h"

#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace sy {

Symbols Symbols::load(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(path + ": cannot open the kernel image for its symbols");
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    try {
        return from_memory(bytes.data(), bytes.size());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

Symbols Symbols::from_memory(const void* image, size_t size) {
    if (elf_version(EV_CURRENT) == EV_NONE) throw std::runtime_error("libelf is unusable");
    Elf* elf = elf_memory(static_cast<char*>(const_cast<void*>(image)), size);
    if (!elf || elf_kind(elf) != ELF_K_ELF) {
        if (elf) elf_end(elf);
        throw std::runtime_error("not an ELF file");
    }
    Symbols out;
    size_t nph = 0;
    if (elf_getphdrnum(elf, &nph) == 0) {
        for (size_t k = 0; k < nph; ++k) {
            GElf_Phdr ph;
            if (!gelf_getphdr(elf, int(k), &ph) || ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
            out.segments_.push_back({ph.p_vaddr, ph.p_paddr, ph.p_memsz, (ph.p_flags & PF_X) != 0});
        }
    }
    size_t shstrndx = 0;
    elf_getshdrstrndx(elf, &shstrndx);
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh)) continue;
        if ((sh.sh_flags & SHF_ALLOC) && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_size)
            out.text_.push_back({sh.sh_addr, sh.sh_addr + sh.sh_size});
        if (sh.sh_type != SHT_SYMTAB) continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (!data || !sh.sh_entsize) continue;
        size_t count = sh.sh_size / sh.sh_entsize;
        for (size_t k = 0; k < count; ++k) {
            GElf_Sym s;
            if (!gelf_getsym(data, int(k), &s)) continue;
            int type = GELF_ST_TYPE(s.st_info);
            if (s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS) continue;
            if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE) continue;
            const char* name = elf_strptr(elf, sh.sh_link, s.st_name);
            if (!name || !*name || name[0] == '.') continue;
            // Local labels of assembly (1:, .L...) never reach the table; keep the rest.
            out.syms_.push_back({name, s.st_value, s.st_size, type == STT_FUNC});
        }
    }
    elf_end(elf);
    for (Symbol& s : out.syms_)
        if (!s.function)
            for (const Range& r : out.text_)
                if (r.contains(s.addr)) s.function = true;  // labels of assembly routines
    // Sorted by address; at one address a sized symbol before a label, then by name.
    std::sort(out.syms_.begin(), out.syms_.end(), [](const Symbol& a, const Symbol& b) {
        if (a.addr != b.addr) return a.addr < b.addr;
        if ((a.size != 0) != (b.size != 0)) return a.size != 0;
        return a.name < b.name;
    });
    std::sort(out.text_.begin(), out.text_.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
    return out;
}

std::optional<SymbolRef> Symbols::lookup(u64 addr) const {
    auto it = std::upper_bound(syms_.begin(), syms_.end(), addr, [](u64 a, const Symbol& s) { return a < s.addr; });
    if (it == syms_.begin()) return std::nullopt;
    // The highest start at or below addr; among symbols at that start, prefer one
    // whose size covers addr.
    u64 start = std::prev(it)->addr;
    const Symbol* label = nullptr;
    for (auto j = std::prev(it);; --j) {
        if (j->addr != start) break;
        if (j->size && addr < j->addr + j->size) return SymbolRef{&*j, addr - j->addr};
        if (!j->size) label = &*j;
        if (j == syms_.begin()) break;
    }
    // A label (an assembly entry point without .size) covers the code up to the
    // next symbol, within its own executable section.
    if (label)
        for (const Range& r : text_)
            if (r.contains(label->addr) && r.contains(addr)) return SymbolRef{label, addr - label->addr};
    // Inside an earlier sized symbol that spans past later labels (rare).
    for (auto j = std::prev(it);; --j) {
        if (j->size && addr >= j->addr && addr < j->addr + j->size) return SymbolRef{&*j, addr - j->addr};
        if (j == syms_.begin() || addr - j->addr > 0x100000) break;
    }
    return std::nullopt;
}

std::string Symbols::format(u64 addr) const {
    auto r = lookup(addr);
    if (!r) return {};
    if (r->offset == 0) return r->sym->name;
    char buf[32];
    std::snprintf(buf, sizeof buf, "+0x%llx", (unsigned long long)r->offset);
    return r->sym->name + buf;
}

std::string Symbols::format_return(u64 addr) const {
    auto r = lookup(addr);
    if (!r || r->offset == 0) {
        if (auto before = lookup(addr - 1)) r = SymbolRef{before->sym, addr - before->sym->addr};
    }
    if (!r) return {};
    if (r->offset == 0) return r->sym->name;
    char buf[32];
    std::snprintf(buf, sizeof buf, "+0x%llx", (unsigned long long)r->offset);
    return r->sym->name + buf;
}

const Symbol* Symbols::find(std::string_view name) const {
    for (const Symbol& s : syms_)
        if (s.name == name) return &s;
    return nullptr;
}

std::optional<u64> Symbols::address_of(std::string_view name) const {
    if (const Symbol* s = find(name)) return s->addr;
    return std::nullopt;
}

std::optional<u64> Symbols::load_address(u64 va) const {
    for (const Segment& s : segments_)
        if (va >= s.vaddr && va - s.vaddr < s.size) return s.paddr + (va - s.vaddr);
    return std::nullopt;
}

bool Symbols::in_text(u64 a) const {
    for (const Range& r : text_)
        if (r.contains(a)) return true;
    return false;
}

}  // namespace sy
