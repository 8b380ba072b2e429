// The register set the stub gives gdb: its target description (the XML that
// qXfer:features:read returns) and the values of one thread's registers, in
// the description's order, which is the order of the `g` packet and the
// numbers of `p`/`P`.
//
// Features (gdb manual, "i386 Features"; the names are gdb's, so that gdb's
// amd64 code recognises every register):
//   org.gnu.gdb.i386.core      rax..r15, rip, eflags, cs ss ds es fs gs,
//                              st0-st7 and the x87 control registers
//   org.gnu.gdb.i386.sse       xmm0-xmm15, mxcsr
//   org.gnu.gdb.i386.segments  fs_base, gs_base
//   org.switchyard.x86.sys     k_gs_base (IA32_KERNEL_GS_BASE), cr0, cr2, cr3,
//                              cr4, cr8, efer (QEMU's names for them)
// A register whose value is not known (a switched-out task keeps only what
// its inactive_task_frame holds) is sent as "xx" bytes: gdb shows it as
// <unavailable>.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "types.h"

namespace sy {
class Cpu;
}

namespace sy::gdb {

struct RegisterDef {
    const char* name;
    unsigned bits;
    const char* type;     // a gdb type name ("int64", "code_ptr", "i387_ext", "vec128", ...)
    const char* feature;  // the feature it belongs to
};

// Every register, in `g` order (the description numbers them 0, 1, 2, ...).
const std::vector<RegisterDef>& register_defs();
// Its number, or -1.
int register_number(const std::string& name);
// The target description document ("target.xml").
const std::string& target_xml();

// One thread's registers: the bytes of each (little-endian, bits / 8 long), or
// nothing where the value is unavailable.
struct RegisterValues {
    std::vector<std::optional<std::string>> regs;
    RegisterValues() : regs(register_defs().size()) {}
    void set(int n, u64 v);
    std::optional<u64> get(int n) const;  // the low 8 bytes
};

// What a processor's state gives, every register known.
RegisterValues cpu_registers(const Cpu& c);
// What a switched-out task resumes with (docs/gdb.md): rip = its frame's
// ret_addr, rsp = thread.sp + sizeof(inactive_task_frame), rbx, rbp, r12-r15
// from the frame; everything else unavailable.
struct SavedFrame {
    u64 rip = 0, rsp = 0, rbx = 0, rbp = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
    bool callee_saved = true;  // false: rbx and r12-r15 unavailable too (linux26 keeps none of them)
};
RegisterValues frame_registers(const SavedFrame& f);

// The `g` reply and the value part of a `p` reply: hex bytes, "xx" where unavailable.
std::string encode_registers(const RegisterValues& v);
std::string encode_register(const RegisterValues& v, int n);

// Writes register `n` (`P`) or all of them (`G`, hex in `g` order) into a
// processor. Only the general registers, rip and eflags are written; the
// others are left as they are (the packet's bytes for them are checked and
// ignored). False if the hex is malformed or of the wrong length.
bool write_register(Cpu& c, int n, const std::string& hex);
bool write_registers(Cpu& c, const std::string& hex);

}  // namespace sy::gdb
