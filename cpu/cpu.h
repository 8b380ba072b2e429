// One x86-64 logical processor: register state, the linear-memory access path
// (with its software TLB of host pointers), the decode cache and the step loop.
#pragma once
#include <cstring>
#include <memory>
#include <optional>

#include "bus.h"
#include "fault.h"
#include "insn.h"
#include "state.h"

namespace sy {

class CodeCache;

// Why run() returned.
enum class StopReason { Budget, Fault, Halt };

struct StepResult {
    StopReason reason = StopReason::Budget;
    std::optional<Fault> fault;  // set when reason == Fault
};

class Cpu {
public:
    // `code` may be shared between processors of one machine; pass nullptr for a
    // private cache.
    Cpu(Bus& bus, std::shared_ptr<CodeCache> code = nullptr);
    ~Cpu();
    Cpu(const Cpu&) = delete;
    Cpu& operator=(const Cpu&) = delete;

    CpuState s;
    u64 cycles = 0;  // the cycle clock; RDTSC reads it
    u64 insns = 0;   // retired instructions

    // Runs until `cycles` reaches `cycle_limit`, an exception is raised or HLT.
    // Exceptions are not yet delivered through an IDT: run() stops and reports
    // them with RIP at the faulting instruction.
    StepResult run(u64 cycle_limit);
    // Executes exactly one instruction (a REP string instruction runs to completion).
    StepResult step();

    // ---- linear memory, used by handlers; may throw Fault ----
    template <class T> T read(u64 la) {
        const TlbEntry& e = rtlb_[(la >> 12) & (kTlbSize - 1)];
        u64 off = la & 0xFFF;
        if (e.tag == (la >> 12) && off <= 0x1000 - sizeof(T)) [[likely]] {
            T v;
            std::memcpy(&v, e.host + off, sizeof(T));
            return v;
        }
        T v;
        read_slow(la, &v, sizeof(T));
        return v;
    }
    template <class T> void write(u64 la, T v) {
        const TlbEntry& e = wtlb_[(la >> 12) & (kTlbSize - 1)];
        u64 off = la & 0xFFF;
        if (e.tag == (la >> 12) && off <= 0x1000 - sizeof(T)) [[likely]] {
            std::memcpy(e.host + off, &v, sizeof(T));
            return;
        }
        write_slow(la, &v, sizeof(T));
    }
    // Checks that `size` bytes at `la` may be written, raising the fault a write
    // would raise. Read-modify-write handlers call it before reading, so a
    // faulting instruction changes nothing.
    void check_write(u64 la, unsigned size);
    void read_bytes(u64 la, void* dst, unsigned size) { read_slow(la, dst, size); }
    void write_bytes(u64 la, const void* src, unsigned size) { write_slow(la, src, size); }

    // Debug access: never faults, never ticks, never changes state. Returns the
    // number of bytes read (stops at the first unmapped byte).
    size_t peek(u64 la, void* dst, size_t size) const;

    // Instruction fetch (used by the decoder): may fault like a read.
    void fetch_bytes(u64 la, u8* dst, size_t size);
    u64 fetch_phys(u64 la);

    Bus& bus() { return bus_; }
    CodeCache& code_cache() { return *code_; }

    // Drops every cached translation (called on writes to code, later on CR3/CR4).
    void flush_tlb();
    void flush_write_tlb();

    // Set by handlers that must end the current block early (a write into a page
    // holding decoded code, a mode change).
    bool end_block = false;
    bool halted = false;

private:
    static constexpr size_t kTlbSize = 256;
    struct TlbEntry {
        u64 tag = ~0ull;  // linear page number
        u8* host = nullptr;
    };
    void read_slow(u64 la, void* dst, unsigned size);
    void write_slow(u64 la, const void* src, unsigned size);
    // Linear -> physical. Identity until paging arrives (CPU core II).
    u64 translate(u64 la, bool write) const { return la; }

    Bus& bus_;
    std::shared_ptr<CodeCache> code_;
    TlbEntry rtlb_[kTlbSize];
    TlbEntry wtlb_[kTlbSize];
    friend class CodeCache;
};

}  // namespace sy
