// The symbol table of an ELF image (the guest kernel's, read with libelf): names
// for addresses ("__schedule+0x1dd") and addresses for names (breakpoints),
// plus where each loaded segment sits in physical memory, so that a debugger
// can find a kernel object before paging is on.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "types.h"

namespace sy {

struct Symbol {
    std::string name;
    u64 addr = 0;
    u64 size = 0;
    bool function = false;  // STT_FUNC (or a label in an executable section)
};

struct SymbolRef {
    const Symbol* sym = nullptr;
    u64 offset = 0;  // addr - sym->addr
};

class Symbols {
public:
    // Reads the ELF file at `path`. Throws std::runtime_error with a one-line
    // message when the file is not a readable ELF image.
    static Symbols load(const std::string& path);
    static Symbols from_memory(const void* image, size_t size);

    // The symbol that contains `addr`: the nearest one at or below it whose
    // size covers it (a sized symbol), or that is a zero-sized label with no
    // other symbol in between. nullopt outside every symbol.
    std::optional<SymbolRef> lookup(u64 addr) const;
    // "__schedule+0x1dd", "ret_from_fork", or "" when nothing contains `addr`.
    std::string format(u64 addr) const;
    // The same for a return address, looked up at addr - 1 as debuggers do: a
    // call that ends a function (to a noreturn one) returns past its end.
    std::string format_return(u64 addr) const;
    // The address of `name`, if it is defined.
    std::optional<u64> address_of(std::string_view name) const;
    const Symbol* find(std::string_view name) const;

    // A loaded (PT_LOAD) range: [vaddr, vaddr + size) at physical paddr.
    struct Segment {
        u64 vaddr = 0, paddr = 0, size = 0;
        bool exec = false;
    };
    const std::vector<Segment>& segments() const { return segments_; }
    // The physical address of virtual `va` in the image's load map, if loaded.
    std::optional<u64> load_address(u64 va) const;
    // Executable sections ([start, end)), e.g. .text.
    struct Range {
        u64 start = 0, end = 0;
        bool contains(u64 a) const { return a >= start && a < end; }
    };
    const std::vector<Range>& text() const { return text_; }
    bool in_text(u64 a) const;

    const std::vector<Symbol>& all() const { return syms_; }
    bool empty() const { return syms_.empty(); }

private:
    std::vector<Symbol> syms_;  // sorted by address
    std::vector<Segment> segments_;
    std::vector<Range> text_;
};

}  // namespace sy
