// Port and MMIO dispatch: which device answers which port or physical address.
//
// The machine builds one IoBus at start-up, registers every device range, and
// forwards the CPU Bus's io_in/io_out/mmio_read/mmio_write to it. Overlapping
// registrations are configuration bugs and throw std::invalid_argument naming
// both ranges, so a machine with two devices on one port never starts.
//
// Access widths. Each port range registers the widest access its registers
// accept (`width`, 1, 2 or 4). A wider access is split into `width`-sized pieces
// at consecutive ports, least significant piece at the lowest port, the way the
// ISA bus splits a 16-bit cycle to an 8-bit device into two byte cycles. So
// `inw 0x3F8` reads RBR then IER, as on a PC. Each piece is dispatched on its own
// and may land on another device or on nothing.
//
// Unclaimed ports and addresses read as all ones (floating bus) and ignore writes.
#pragma once
#include <string>
#include <vector>

#include "device.h"

namespace sy::dev {

class IoBus {
public:
    // Ports [first, first + count) go to `dev`; accesses wider than `width` are split.
    void add_ports(u16 first, unsigned count, PortDevice* dev, unsigned width = 1, std::string name = {});
    // Physical addresses [base, base + length) go to `dev` with offsets from base.
    void add_mmio(u64 base, u64 length, MmioDevice* dev, std::string name = {});

    u32 io_in(u16 port, unsigned size, u64 now);
    void io_out(u16 port, unsigned size, u32 value, u64 now);

    // True when some device claims `paddr`; lets the machine tell MMIO from unmapped.
    bool claims_mmio(u64 paddr) const { return find_mmio(paddr) != nullptr; }
    u64 mmio_read(u64 paddr, unsigned size, u64 now);
    void mmio_write(u64 paddr, unsigned size, u64 value, u64 now);

private:
    struct PortRange {
        u32 first, end;  // [first, end)
        unsigned width;
        PortDevice* dev;
        std::string name;
    };
    struct MmioRange {
        u64 base, end;  // [base, end)
        MmioDevice* dev;
        std::string name;
    };
    const PortRange* find_port(u16 port) const;
    const MmioRange* find_mmio(u64 paddr) const;

    std::vector<PortRange> ports_;
    // Port -> index + 1 into ports_ (0: unclaimed): the lookup is on every IN and
    // OUT, and a PC has a few dozen ranges.
    std::vector<u8> port_index_ = std::vector<u8>(0x10000, 0);
    std::vector<MmioRange> mmio_;  // few entries: a linear scan is enough
};

}  // namespace sy::dev
