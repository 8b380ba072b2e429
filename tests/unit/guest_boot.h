// The bundled guest kernel (SY_GUEST_KERNEL, build/guest-kernel/kernel.elf)
// booted on a machine, for the unit tests of the debugger, the gdb stub,
// reverse execution and the trace: one way to do it for all of them.
#pragma once
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "guest/kernel.h"
#include "machine.h"
#include "multiboot.h"

namespace sy::test {

inline std::vector<u8> guest_kernel_image() {
    std::ifstream f(SY_GUEST_KERNEL, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Loads the kernel into `m` as Multiboot does, its command line the kernel's
// file name ("kernel.elf", as `switchyard run` gives it, wherever the build
// is) followed by `tail` (" WORDS...": docs/guest-kernel.md).
inline void boot_guest_kernel(Machine& m, const std::string& tail = "") {
    boot::BootParams p;
    p.cmdline = boot::boot_name(SY_GUEST_KERNEL) + tail;
    boot::load_multiboot(m, guest_kernel_image(), p);
}

// A machine with `cpus` CPUs and 64 MiB of RAM, the kernel loaded with
// `append` after a space (even when empty: the command line's length moves the
// boot information, and with it which CPU the tests' runs meet first).
inline std::unique_ptr<Machine> guest_machine(unsigned cpus, const std::string& append = "") {
    MachineConfig c;
    c.ram_bytes = 64 * mem::MiB;
    c.cpus = cpus;
    auto m = std::make_unique<Machine>(c);
    boot_guest_kernel(*m, " " + append);
    return m;
}

// The kernel's symbols and debugger descriptor, read through `mem`.
inline guest::Kernel load_guest_kernel(guest::CpuMemory& mem) {
    return guest::Kernel::load(Symbols::load(SY_GUEST_KERNEL), mem);
}

}  // namespace sy::test
