// Port and MMIO dispatch; see io_bus.h for the width and overlap rules.
#include "io_bus.h"

#include <cstdio>
#include <stdexcept>

namespace sy::dev {

namespace {
std::string hex_range(u64 first, u64 end) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "[%#llx, %#llx)", (unsigned long long)first, (unsigned long long)end);
    return buf;
}
}  // namespace

void IoBus::add_ports(u16 first, unsigned count, PortDevice* dev, unsigned width, std::string name) {
    if (!dev || count == 0 || u32(first) + count > 0x10000 || (width != 1 && width != 2 && width != 4))
        throw std::invalid_argument("IoBus::add_ports: bad range or width for " + name);
    u32 end = u32(first) + count;
    for (const PortRange& r : ports_)
        if (first < r.end && r.first < end)
            throw std::invalid_argument("IoBus: ports " + hex_range(first, end) + " (" + name + ") overlap " +
                                        hex_range(r.first, r.end) + " (" + r.name + ")");
    if (ports_.size() >= 255) throw std::invalid_argument("IoBus: too many port ranges");
    ports_.push_back({first, end, width, dev, std::move(name)});
    for (u32 p = first; p < end; ++p) port_index_[p] = u8(ports_.size());
}

void IoBus::add_mmio(u64 base, u64 length, MmioDevice* dev, std::string name) {
    if (!dev || length == 0 || base + length < base)
        throw std::invalid_argument("IoBus::add_mmio: bad range for " + name);
    u64 end = base + length;
    for (const MmioRange& r : mmio_)
        if (base < r.end && r.base < end)
            throw std::invalid_argument("IoBus: MMIO " + hex_range(base, end) + " (" + name + ") overlaps " +
                                        hex_range(r.base, r.end) + " (" + r.name + ")");
    mmio_.push_back({base, end, dev, std::move(name)});
}

const IoBus::PortRange* IoBus::find_port(u16 port) const {
    u8 n = port_index_[port];
    return n ? &ports_[n - 1] : nullptr;
}

const IoBus::MmioRange* IoBus::find_mmio(u64 paddr) const {
    for (const MmioRange& r : mmio_)
        if (paddr >= r.base && paddr < r.end) return &r;
    return nullptr;
}

u32 IoBus::io_in(u16 port, unsigned size, u64 now) {
    const PortRange* r = find_port(port);
    if (r && size <= r->width) return r->dev->io_read(port, size, now);
    if (!r && size == 1) return 0xFF;
    // Split into pieces of the device's width (bytes where nothing answers), low piece first.
    unsigned width = r ? r->width : 1;
    u32 value = 0;
    for (unsigned done = 0; done < size; done += width)
        value |= io_in(u16(port + done), width, now) << (8 * done);
    return value;
}

void IoBus::io_out(u16 port, unsigned size, u32 value, u64 now) {
    const PortRange* r = find_port(port);
    if (r && size <= r->width) return r->dev->io_write(port, size, value, now);
    if (!r && size == 1) return;
    unsigned width = r ? r->width : 1;
    for (unsigned done = 0; done < size; done += width) {
        u32 piece = (value >> (8 * done)) & (~0u >> (32 - 8 * width));
        io_out(u16(port + done), width, piece, now);
    }
}

u64 IoBus::mmio_read(u64 paddr, unsigned size, u64 now) {
    const MmioRange* r = find_mmio(paddr);
    if (!r) return ~0ull >> (64 - 8 * size);
    return r->dev->mmio_read(paddr - r->base, size, now);
}

void IoBus::mmio_write(u64 paddr, unsigned size, u64 value, u64 now) {
    if (const MmioRange* r = find_mmio(paddr)) r->dev->mmio_write(paddr - r->base, size, value, now);
}

}  // namespace sy::dev
