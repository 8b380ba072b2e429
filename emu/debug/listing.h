// What the disassembly and memory panels show, read from the machine: a
// listing of instructions with symbols, the CPU's RIP and breakpoints marked,
// and hex dumps through any address space.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "debugger.h"
#include "model.h"

namespace sy::debug {

struct ListingRow {
    u64 addr = 0;
    u8 len = 0;
    std::string bytes;   // "48 89 e5"
    std::string text;    // "movq %rsp, %rbp"
    std::string label;   // a symbol that starts here ("__switch_to_asm")
    std::string target;  // the symbol a direct call/jump goes to
    bool is_rip = false, breakpoint = false;
};

// `count` instructions of CPU `cpu`'s address space from `from`; when `from`
// is inside a known routine, the listing starts at the routine (so that the
// instructions before RIP decode right) unless that is more than `max_back`
// bytes before.
std::vector<ListingRow> listing(const Debugger& d, unsigned cpu, u64 around, size_t count, u64 max_back = 0x400);

// Where a hex dump reads from.
struct AddressSpace {
    enum Kind { Physical, CpuCr3, TaskMm } kind = CpuCr3;
    unsigned cpu = 0;  // CpuCr3: this CPU's CR3
    u64 cr3 = 0;       // TaskMm: the task's page-table root
    std::string name;  // "cpu0 CR3", "pid 3 (spin)", "physical"
};
// The spaces to offer: each CPU's current CR3, each task with its own
// address space, physical memory.
std::vector<AddressSpace> address_spaces(Machine& m, const Model& model);

struct MemoryDump {
    u64 addr = 0;
    std::vector<u8> bytes;
    size_t valid = 0;  // bytes readable from addr (the rest unmapped)
};
MemoryDump dump_memory(Machine& m, const AddressSpace& space, u64 addr, size_t n);

}  // namespace sy::debug
