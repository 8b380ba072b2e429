// isa-test: running a case on the host CPU and in the interpreter.
#pragma once
#include <memory>
#include <string>

#include "forms.h"
#include "system.h"

namespace sy::isatest {

// Runs instruction bytes natively, in this process. The test address space is
// mapped at its fixed address; the instruction is entered and left through
// signals, so the kernel loads and saves every register (ucontext) for us.
class NativeRunner {
public:
    // Returns nullptr (and a reason) when this host cannot run cases natively.
    static std::unique_ptr<NativeRunner> create(std::string* why);
    ~NativeRunner();
    TestState run(const Case& c);

private:
    NativeRunner() = default;
};

// Runs the same case in the interpreter, with the undefined-result choices of
// `vendor` (the host's, unless the cases came from a vectors file made elsewhere).
class EmuRunner {
public:
    explicit EmuRunner(Vendor vendor);
    ~EmuRunner();
    TestState run(const Case& c);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sy::isatest
