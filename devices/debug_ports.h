// QEMU's debug devices, so guests and test programs written for QEMU work as is.
//
// isa-debugcon (QEMU hw/char/debugcon.c, `-debugcon`): port 0xE9. A byte written
//   is output; a read returns 0xE9 (the "readback" value, QEMU's default), which
//   lets a guest detect the port (Bochs' port-E9 hack behaves the same way).
// isa-debug-exit (QEMU hw/misc/debugexit.c, `-device isa-debug-exit,iobase=0xf4,
//   iosize=0x04`): a write of value v asks the emulator to exit with status
//   (v << 1) | 1, so a guest can report success/failure to a test harness. Reads
//   return 0.
//
// Deviations:
//   * debug-exit does not exit: it records a request that the machine polls
//     (exit_request()) so the machine can stop cleanly and flush its output.
//     The first write wins; later writes do not change the status.
#pragma once
#include <functional>
#include <optional>

#include "device.h"

namespace sy::dev {

class DebugCon : public PortDevice {
public:
    static constexpr u16 kPort = 0xE9;
    explicit DebugCon(std::function<void(u8)> out) : out_(std::move(out)) {}
    u32 io_read(u16, unsigned size, u64) override { return 0xE9; }
    void io_write(u16, unsigned, u32 value, u64) override {
        if (out_) out_(u8(value));
    }

private:
    std::function<void(u8)> out_;
};

class DebugExit : public PortDevice {
public:
    static constexpr u16 kPort = 0xF4;
    static constexpr unsigned kPorts = 4;  // QEMU's default iosize
    u32 io_read(u16, unsigned, u64) override { return 0; }
    void io_write(u16, unsigned, u32 value, u64) override {
        if (!request_) request_ = int((u64(value) << 1) | 1);
    }
    // DebugCon has none. The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    void serialize(Archive& ar) { ar(request_); }
    // The exit status the guest asked for, if it asked.
    std::optional<int> exit_request() const { return request_; }

private:
    std::optional<int> request_;
};

}  // namespace sy::dev
