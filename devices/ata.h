// ATA PIO disk controller: the PC's primary IDE channel with a master (index 0)
// and a slave (index 1), no DMA.
// Source: ATA/ATAPI-6 (T13/1410D revision 3b), cited by clause title:
//   "I/O register descriptions": Alternate Status, Command, Data, Device,
//     Device Control (nIEN, SRST, HOB), Error (ABRT, IDNF, UNC), Features,
//     LBA Low/Mid/High, Sector Count, Status (BSY, DRDY, DF, DRQ, ERR);
//   "Command descriptions": EXECUTE DEVICE DIAGNOSTIC (90h), FLUSH CACHE (E7h),
//     FLUSH CACHE EXT (EAh), IDENTIFY DEVICE (ECh, its table of words),
//     READ SECTORS (20h), READ SECTORS EXT (24h), SET FEATURES (EFh),
//     WRITE SECTORS (30h), WRITE SECTORS EXT (34h);
//   "48-bit Address feature set" (the two-byte FIFO behind each of Features,
//     Sector Count and LBA Low/Mid/High, read back with HOB);
//   "Protocol": PIO data-in (INTRQ at the start of every DRQ block, none after
//     the last), PIO data-out (no INTRQ before the first block, one after each
//     block including the last), non-data (INTRQ at completion), software reset,
//     "Signature and persistence" (Sector Count 01h, LBA Low 01h, LBA Mid/High 00h,
//     Device 00h, Error 01h after reset or diagnostics).
// PC wiring: command block 0x1F0-0x1F7, control block 0x3F6, INTRQ on IRQ 14.
// Register the data port 0x1F0 with width 4 (this device splits a 32-bit access
// into two 16-bit transfers, low word first, as `insl`/`outsl` expect) and
// 0x1F1-0x1F7 and 0x3F6 with width 1.
//
// The disk behind each slot is a BlockBackend: an in-memory image (tests) or a
// raw image file (the machine passes paths). A command finishes in zero cycles,
// but its data only moves through the data port, 16 bits at a time.
//
// Deviations:
//   * LBA only: a command with the Device register's LBA bit (6) clear is aborted
//     (ABRT). IDENTIFY still reports a nominal geometry in words 1, 3 and 6
//     (cylinders/16/63 with 2 to 16383 cylinders, as QEMU guesses it) for old
//     readers, and word 53 bit 0 = 0
//     (no current CHS translation); INITIALIZE DEVICE PARAMETERS is aborted.
//   * No DMA, no READ/WRITE MULTIPLE (word 47 bits 7:0 = 0), no ATAPI, no power
//     management, no SMART, no write cache (FLUSH does flush the backend). Every
//     other command is aborted.
//   * The whole LBA range of a read or write is checked when the command is
//     issued; a range past the end fails at once with IDNF, before any data moves.
//   * Status bit 4 (DSC in older standards) is set whenever DRDY is, as QEMU does:
//     an idle device reads 50h.
//   * Software reset is instantaneous: BSY reads 1 while SRST is held and the
//     reset completes when it is cleared.
//   * A selected slot with no device, beside a present one, reads 00h from
//     Status, Alternate Status and Error (the ATA-6 rule for device 0 answering
//     for an absent device 1, and QEMU's choice); other registers read the
//     shared task file. With no device at all the channel reads 00h everywhere
//     but Data, as QEMU's empty channel does (a real floating bus with the
//     required pull-down on DD7 reads 7Fh or FFh; 00h keeps BSY clear either way).
//   * Data port reads without DRQ return 0 and move nothing (QEMU); 8-bit data
//     port reads return FFh and 8-bit data writes are ignored.
//   * A partial sector at the end of an image file is not addressable.
#pragma once
#include <array>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "device.h"

namespace sy::dev {

inline constexpr unsigned kSectorSize = 512;

// The medium behind a drive, in 512-byte sectors. A false return is a media error.
class BlockBackend {
public:
    virtual ~BlockBackend() = default;
    virtual u64 sectors() const = 0;
    virtual bool read(u64 lba, u8* out) = 0;
    virtual bool write(u64 lba, const u8* in) = 0;
    virtual bool flush() { return true; }
};

// An image held in memory; its size is rounded down to whole sectors.
class MemoryDisk : public BlockBackend {
public:
    explicit MemoryDisk(std::vector<u8> bytes) : bytes_(std::move(bytes)) {}
    u64 sectors() const override { return bytes_.size() / kSectorSize; }
    bool read(u64 lba, u8* out) override;
    bool write(u64 lba, const u8* in) override;
    const std::vector<u8>& bytes() const { return bytes_; }

private:
    std::vector<u8> bytes_;
};

// A raw image file opened for reading and writing; throws std::runtime_error
// naming the path when it cannot be opened.
class FileDisk : public BlockBackend {
public:
    explicit FileDisk(const std::string& path);
    u64 sectors() const override { return sectors_; }
    bool read(u64 lba, u8* out) override;
    bool write(u64 lba, const u8* in) override;
    bool flush() override;

private:
    std::fstream file_;
    u64 sectors_ = 0;
};

class AtaChannel : public PortDevice {
public:
    static constexpr u16 kCmdBase = 0x1F0, kCtrl = 0x3F6;
    static constexpr unsigned kIrq = 14;
    // Status (Status register description) and Error bits.
    static constexpr u8 BSY = 0x80, DRDY = 0x40, DF = 0x20, DSC = 0x10, DRQ = 0x08, ERR = 0x01;
    static constexpr u8 ABRT = 0x04, IDNF = 0x10, UNC = 0x40;
    // Device control bits.
    static constexpr u8 NIEN = 0x02, SRST = 0x04, HOB = 0x80;

    explicit AtaChannel(IrqLine irq = {});

    // Puts a disk in slot 0 (master) or 1 (slave); nullptr empties it.
    void attach(unsigned slot, std::unique_ptr<BlockBackend> disk);
    // A hardware reset of the channel (the machine's reset): both devices idle
    // with their signature, the disks stay attached.
    void reset();

    u32 io_read(u16 port, unsigned size, u64 now) override;
    void io_write(u16 port, unsigned size, u32 value, u64 now) override;

    // Views for tests and the debugger.
    bool present(unsigned slot) const { return drive_[slot].disk != nullptr; }
    u8 status(unsigned slot) const { return drive_[slot].status; }
    bool irq_level() const { return irq_level_; }
    // The 256 IDENTIFY DEVICE words a drive would return.
    std::array<u16, 256> identify_words(unsigned slot) const;

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    // The disks' contents are the backends' (the timeline journals them).
    void serialize(Archive& ar) {
        for (Drive& d : drive_)
            ar(d.features, d.count, d.lba_lo, d.lba_mid, d.lba_hi, d.device, d.status, d.error, d.intrq, d.transfer,
               d.buf, d.pos, d.lba, d.remaining);
        ar(control_, irq_level_);
    }

private:
    enum class Transfer : u8 { None, In, Out };
    struct Drive {
        std::unique_ptr<BlockBackend> disk;
        // Task file: current and previous ("HOB") bytes of the 48-bit FIFO registers.
        u8 features[2] = {}, count[2] = {}, lba_lo[2] = {}, lba_mid[2] = {}, lba_hi[2] = {};
        u8 device = 0, status = 0, error = 0;
        bool intrq = false;  // interrupt pending
        Transfer transfer = Transfer::None;
        std::array<u8, kSectorSize> buf{};
        unsigned pos = 0;
        u64 lba = 0;            // next sector to move
        u64 remaining = 0;      // sectors left, the one in buf included
    };

    Drive& selected() { return drive_[(drive_[0].device >> 4) & 1]; }
    unsigned selected_slot() const { return (drive_[0].device >> 4) & 1; }
    void set_signature(Drive& d);
    void execute(Drive& d, u8 cmd);
    void begin_rw(Drive& d, bool write, bool ext);
    void finish(Drive& d, u8 error);
    void start_in_block(Drive& d);
    u16 data_read();
    void data_write(u16 v);
    u8 read_reg(unsigned reg);
    void write_reg(unsigned reg, u8 v);
    void write_control(u8 v);
    void update_irq();

    std::array<Drive, 2> drive_;
    u8 control_ = 0;
    IrqLine irq_;
    bool irq_level_ = false;
};

}  // namespace sy::dev
