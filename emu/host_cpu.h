// The CPU this program runs on, for the tools that use it as an oracle
// (isa-test, the unit tests that compare with native instructions).
#pragma once
#include <cstring>

#include "system.h"

namespace sy {

// The host's vendor, from CPUID leaf 0: the interpreter must follow the same
// vendor's choices where the SDM leaves a result undefined.
inline Vendor host_vendor() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    // (inline assembly: <cpuid.h> would find cpu/cpuid.h on our include path)
    asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0u), "c"(0u));
    char v[13] = {};
    std::memcpy(v, &ebx, 4);
    std::memcpy(v + 4, &edx, 4);
    std::memcpy(v + 8, &ecx, 4);
    return std::strcmp(v, "AuthenticAMD") == 0 || std::strcmp(v, "HygonGenuine") == 0 ? Vendor::Amd : Vendor::Intel;
}

}  // namespace sy
