// Listings and dumps (listing.h).
#include "listing.h"

#include <cstdio>

namespace sy::debug {

std::vector<ListingRow> listing(const Debugger& d, unsigned cpu, u64 around, size_t count, u64 max_back) {
    std::vector<ListingRow> out;
    Machine& m = const_cast<Debugger&>(d).machine();
    const Cpu& c = m.cpu(cpu);
    const Symbols* syms = d.kernel() ? &d.kernel()->symbols() : nullptr;
    u64 from = around;
    if (syms)
        if (auto ref = syms->lookup(around); ref && ref->offset <= max_back) from = ref->sym->addr;
    // Enough bytes for the rows before `around` and `count` after it.
    std::vector<u8> code((around - from) + count * 15 + 16);
    size_t got = c.peek(from, code.data(), code.size());
    Disassembler dis(code_bits(c));
    size_t off = 0;
    std::vector<ListingRow> rows;
    while (off < got) {
        DisasmLine l = dis.decode(code.data() + off, got - off, from + off);
        ListingRow r;
        r.addr = from + off;
        r.len = l.len;
        r.text = l.text;
        if (l.len == 0) {
            r.len = 1;
            char b[8];
            std::snprintf(b, sizeof b, "%02x", code[off]);
            r.bytes = b;
        }
        for (u8 k = 0; k < l.len; ++k) {
            char b[4];
            std::snprintf(b, sizeof b, "%s%02x", k ? " " : "", code[off + k]);
            r.bytes += b;
        }
        if (syms) {
            if (auto ref = syms->lookup(r.addr); ref && ref->offset == 0) r.label = ref->sym->name;
            if (l.target) r.target = syms->format(*l.target);
        }
        r.is_rip = r.addr == c.s.rip;
        r.breakpoint = d.has_breakpoint(r.addr);
        rows.push_back(std::move(r));
        off += rows.back().len;
        if (rows.back().addr >= around && --count == 0) break;
    }
    // Keep at most a screenful before `around`.
    size_t first = 0;
    for (size_t k = 0; k < rows.size(); ++k)
        if (rows[k].addr >= around) {
            first = k > 12 ? k - 12 : 0;
            break;
        }
    out.assign(rows.begin() + long(first), rows.end());
    return out;
}

std::vector<AddressSpace> address_spaces(Machine& m, const Model& model) {
    std::vector<AddressSpace> out;
    for (unsigned n = 0; n < m.cpu_count(); ++n) {
        AddressSpace s;
        s.kind = AddressSpace::CpuCr3;
        s.cpu = n;
        s.cr3 = m.cpu(n).sys.cr3 & ~0xFFFull;
        s.name = "cpu" + std::to_string(n) + " CR3";
        out.push_back(s);
    }
    for (const TaskView& t : model.tasks) {
        if (!t.task.mm) continue;
        AddressSpace s;
        s.kind = AddressSpace::TaskMm;
        s.cr3 = t.cr3;
        s.name = "pid " + std::to_string(t.task.pid) + " (" + t.task.name + ")";
        out.push_back(s);
    }
    AddressSpace p;
    p.kind = AddressSpace::Physical;
    p.name = "physical";
    out.push_back(p);
    return out;
}

MemoryDump dump_memory(Machine& m, const AddressSpace& space, u64 addr, size_t n) {
    MemoryDump d;
    d.addr = addr;
    d.bytes.assign(n, 0);
    guest::CpuMemory mem(m.cpu(space.kind == AddressSpace::CpuCr3 ? space.cpu : 0));
    switch (space.kind) {
    case AddressSpace::Physical: d.valid = mem.read_phys(addr, d.bytes.data(), n); break;
    case AddressSpace::CpuCr3: d.valid = mem.read(m.cpu(space.cpu).sys.cr3, addr, d.bytes.data(), n); break;
    case AddressSpace::TaskMm: d.valid = mem.read(space.cr3, addr, d.bytes.data(), n); break;
    }
    return d;
}

}  // namespace sy::debug
