// Architectural exceptions (SDM Vol. 3A, 6.3.1 "Exception and interrupt vectors").
// A handler throws Fault; the step loop is the one place that catches it, restores
// RIP to the faulting instruction and delivers it.
#pragma once
#include "types.h"

namespace sy {

enum Vector : u8 {
    DE = 0, DB = 1, NMI = 2, BP = 3, OF_ = 4, BR = 5, UD = 6, NM = 7, DF = 8,
    TS = 10, NP = 11, SS_ = 12, GP = 13, PF_ = 14, MF = 16, AC_ = 17, MC = 18, XM = 19,
};

struct Fault {
    u8 vector;
    bool has_error = false;
    u32 error = 0;
    // INT n, INT3, INTO: the gate's DPL is checked against CPL and RIP already
    // points past the instruction (SDM Vol. 3A, 6.12.1.1).
    bool software = false;
    u8 insn_len = 0;  // of the INT instruction: a fault during its delivery reports the INT itself
    // #DB traps and instruction-breakpoint faults push RFLAGS.RF as it is; every
    // other fault-class exception pushes it set (SDM Vol. 3A, 17.3.1.1).
    bool keep_rf = false;
};

// Exception classes for the double-fault rules (SDM Vol. 3A, Table 6-4/6-5).
inline bool contributory(u8 v) { return v == 0 || (v >= 10 && v <= 13); }

[[noreturn]] inline void raise(u8 vector) { throw Fault{vector}; }
[[noreturn]] inline void raise(u8 vector, u32 error) { throw Fault{vector, true, error}; }
[[noreturn]] inline void raise_software(u8 vector, u8 insn_len) { throw Fault{vector, false, 0, true, insn_len}; }

const char* vector_name(u8 vector);  // "#GP" etc.

}  // namespace sy
