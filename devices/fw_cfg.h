// QEMU firmware configuration device (fw_cfg), x86 I/O port interface.
//
// Spec: QEMU docs/specs/fw_cfg.rst ("Guest-side Hardware Interface"), selector
// numbers from include/standard-headers/linux/qemu_fw_cfg.h.
//   0x510  selector register, 16-bit, little-endian (x86). Writing it selects an
//          item and rewinds the data offset to 0.
//   0x511  data register, 8-bit. Each read returns the next byte of the selected
//          item; past the end, and for an unknown selector, reads return 0.
// Items provided:
//   FW_CFG_SIGNATURE (0x00) "QEMU"
//   FW_CFG_ID        (0x01) u32 LE, bit 0 = traditional interface (no DMA)
//   FW_CFG_UUID      (0x02) 16 zero bytes
//   FW_CFG_RAM_SIZE  (0x03) u64 LE
//   FW_CFG_NOGRAPHIC (0x04) u16 LE, 1
//   FW_CFG_NB_CPUS   (0x05) u16 LE
//   FW_CFG_MAX_CPUS  (0x0F) u16 LE, = NB_CPUS
//   FW_CFG_FILE_DIR  (0x19) u32 BE count, then per file { u32 BE size; u16 BE
//                    select; u16 reserved; char name[56] } sorted by name
//   named files from FW_CFG_FILE_FIRST (0x20) on, added with add_file().
//
// Deviations:
//   * No DMA interface (port 0x514); FW_CFG_ID says so (bit 1 clear), which is
//     what firmware checks before using it.
//   * Data-port writes and the write channel (0x4000) are ignored, as QEMU has
//     done since 2.4.
//   * The data register is byte-wide; a 16/32-bit read of 0x511 is split by the
//     IoBus into byte reads (the second lands on the unclaimed 0x512).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "device.h"

namespace sy::dev {

namespace fwcfg {
inline constexpr u16 kSignature = 0x00;
inline constexpr u16 kId = 0x01;
inline constexpr u16 kUuid = 0x02;
inline constexpr u16 kRamSize = 0x03;
inline constexpr u16 kNoGraphic = 0x04;
inline constexpr u16 kNbCpus = 0x05;
inline constexpr u16 kMaxCpus = 0x0F;
inline constexpr u16 kFileDir = 0x19;
inline constexpr u16 kFileFirst = 0x20;
inline constexpr u16 kEntryMask = 0x3FFF;  // ~(WRITE_CHANNEL | ARCH_LOCAL)
inline constexpr unsigned kMaxFilePath = 56;
}  // namespace fwcfg

class FwCfg : public PortDevice {
public:
    static constexpr u16 kSelectorPort = 0x510;
    static constexpr u16 kDataPort = 0x511;

    FwCfg(u64 ram_size, u16 cpu_count);

    // Adds a named blob ("etc/e820", "opt/...") and returns its selector.
    // Names longer than 55 characters or added twice throw std::invalid_argument.
    u16 add_file(const std::string& name, std::vector<u8> data);
    // Sets (or replaces) a numbered item.
    void set_item(u16 key, std::vector<u8> data) { items_[key] = std::move(data); }

    u32 io_read(u16 port, unsigned size, u64 now) override;
    void io_write(u16 port, unsigned size, u32 value, u64 now) override;

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved
    // (the items are set up before the machine runs).
    void serialize(Archive& ar) { ar(selector_, offset_); }

private:
    void rebuild_file_dir();

    std::map<u16, std::vector<u8>> items_;
    std::map<std::string, u16> files_;  // name -> selector; map order = directory order
    u16 next_file_ = fwcfg::kFileFirst;
    u16 selector_ = 0;
    u32 offset_ = 0;
};

}  // namespace sy::dev
