// ATA PIO channel; see ata.h for the ATA/ATAPI-6 clauses and the deviations.
#include "ata.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace sy::dev {

namespace {
constexpr unsigned kRegData = 0, kRegError = 1, kRegCount = 2, kRegLbaLo = 3, kRegLbaMid = 4, kRegLbaHi = 5,
                   kRegDevice = 6, kRegStatus = 7;
constexpr u8 kDevLba = 0x40;
constexpr u8 kIdle = AtaChannel::DRDY | AtaChannel::DSC;

// ATA strings: two characters per word, the first in the high byte, blank padded.
void put_string(std::array<u16, 256>& w, unsigned first, unsigned words, const char* s) {
    size_t n = std::strlen(s);
    for (unsigned i = 0; i < 2 * words; ++i) {
        u16 c = i < n ? u8(s[i]) : u8(' ');
        w[first + i / 2] |= i % 2 ? c : u16(c << 8);
    }
}
}  // namespace

bool MemoryDisk::read(u64 lba, u8* out) {
    if (lba >= sectors()) return false;
    std::memcpy(out, bytes_.data() + lba * kSectorSize, kSectorSize);
    return true;
}

bool MemoryDisk::write(u64 lba, const u8* in) {
    if (lba >= sectors()) return false;
    std::memcpy(bytes_.data() + lba * kSectorSize, in, kSectorSize);
    return true;
}

FileDisk::FileDisk(const std::string& path) : file_(path, std::ios::in | std::ios::out | std::ios::binary) {
    if (!file_) throw std::runtime_error("ata: cannot open disk image '" + path + "' for reading and writing");
    file_.seekg(0, std::ios::end);
    sectors_ = u64(file_.tellg()) / kSectorSize;
}

bool FileDisk::read(u64 lba, u8* out) {
    if (lba >= sectors_) return false;
    file_.clear();
    file_.seekg(std::streamoff(lba * kSectorSize));
    file_.read(reinterpret_cast<char*>(out), kSectorSize);
    return file_.gcount() == std::streamsize(kSectorSize);
}

bool FileDisk::write(u64 lba, const u8* in) {
    if (lba >= sectors_) return false;
    file_.clear();
    file_.seekp(std::streamoff(lba * kSectorSize));
    file_.write(reinterpret_cast<const char*>(in), kSectorSize);
    return bool(file_);
}

bool FileDisk::flush() {
    file_.flush();
    return bool(file_);
}

AtaChannel::AtaChannel(IrqLine irq) : irq_(irq) {}

void AtaChannel::attach(unsigned slot, std::unique_ptr<BlockBackend> disk) {
    Drive& d = drive_[slot];
    d.disk = std::move(disk);
    d.transfer = Transfer::None, d.intrq = false;
    d.status = d.disk ? kIdle : 0;
    if (d.disk) set_signature(d);
    drive_[0].device = drive_[1].device = 0;
    update_irq();
}

void AtaChannel::reset() {
    control_ = 0;
    for (Drive& d : drive_) {
        d.transfer = Transfer::None, d.intrq = false;
        d.features[0] = d.features[1] = 0;
        d.status = d.disk ? kIdle : 0;
        set_signature(d);
    }
    update_irq();
}

// "Signature and persistence": what an ATA device leaves after reset or diagnostics.
void AtaChannel::set_signature(Drive& d) {
    d.count[0] = 1, d.lba_lo[0] = 1, d.lba_mid[0] = 0, d.lba_hi[0] = 0;
    d.device = 0;
    d.error = 0x01;  // device 0 passed, device 1 passed or absent
}

std::array<u16, 256> AtaChannel::identify_words(unsigned slot) const {
    std::array<u16, 256> w{};
    const u64 n = drive_[slot].disk ? drive_[slot].disk->sectors() : 0;
    w[0] = 0x0040;  // ATA device (bit 15 = 0), fixed
    w[3] = 16, w[6] = 63;
    // Nominal geometry, never used to address: QEMU's guess for a disk without
    // a partition table (16 heads, 63 sectors, 2 to 16383 cylinders).
    w[1] = u16(std::clamp<u64>(n / (16 * 63), 2, 16383));
    put_string(w, 10, 10, slot ? "SY-DISK-1" : "SY-DISK-0");
    put_string(w, 23, 4, "1.0");
    put_string(w, 27, 20, "SWITCHYARD HARDDISK");
    w[47] = 0x8000;  // READ/WRITE MULTIPLE not supported
    w[49] = 1u << 11 | 1u << 9;  // IORDY supported, LBA supported; no DMA
    w[50] = 0x4000;
    w[51] = 0x0200;  // PIO timing mode 2 (obsolete field)
    w[53] = 0x0002;  // words 64-70 valid; 54-58 (current CHS) and 88 (UDMA) not
    u64 lba28 = std::min<u64>(n, 0x0FFFFFFF);
    w[60] = u16(lba28), w[61] = u16(lba28 >> 16);
    w[64] = 0x0003;  // PIO modes 3 and 4
    w[67] = 120, w[68] = 120;
    w[80] = 0x0078;  // ATA-3 to ATA/ATAPI-6
    w[82] = 0x4000;  // NOP
    w[83] = 0x4000 | 1u << 13 | 1u << 12 | 1u << 10;  // FLUSH CACHE EXT, FLUSH CACHE, 48-bit
    w[84] = 0x4000;
    w[85] = 0x4000;
    w[86] = 1u << 13 | 1u << 12 | 1u << 10;
    w[87] = 0x4000;
    for (unsigned i = 0; i < 4; ++i) w[100 + i] = u16(n >> (16 * i));
    // Word 255: signature A5h and a checksum that makes all 512 bytes sum to 0.
    w[255] = 0xA5;
    u8 sum = 0;
    for (u16 x : w) sum = u8(sum + (x & 0xFF) + (x >> 8));
    w[255] |= u16(u8(-sum) << 8);
    return w;
}

void AtaChannel::update_irq() {
    const Drive& d = drive_[selected_slot()];
    bool level = d.disk && d.intrq && !(control_ & NIEN);
    if (level != irq_level_) irq_.set(level);
    irq_level_ = level;
}

void AtaChannel::finish(Drive& d, u8 error) {
    d.error = error;
    d.status = kIdle | (error ? ERR : 0);
    d.transfer = Transfer::None;
    d.intrq = true;
}

// PIO data-in: each block is announced with DRQ and INTRQ.
void AtaChannel::start_in_block(Drive& d) {
    if (!d.disk->read(d.lba, d.buf.data())) {
        finish(d, UNC);
        return;
    }
    d.pos = 0;
    d.transfer = Transfer::In;
    d.status = kIdle | DRQ;
    d.intrq = true;
}

void AtaChannel::begin_rw(Drive& d, bool write, bool ext) {
    if (!(d.device & kDevLba)) {
        finish(d, ABRT);  // CHS addressing is not supported
        return;
    }
    u64 lba, count;
    if (ext) {
        lba = u64(d.lba_lo[0]) | u64(d.lba_mid[0]) << 8 | u64(d.lba_hi[0]) << 16 | u64(d.lba_lo[1]) << 24 |
              u64(d.lba_mid[1]) << 32 | u64(d.lba_hi[1]) << 40;
        count = u64(d.count[0]) | u64(d.count[1]) << 8;
        if (count == 0) count = 65536;
    } else {
        lba = u64(d.lba_lo[0]) | u64(d.lba_mid[0]) << 8 | u64(d.lba_hi[0]) << 16 | u64(d.device & 0x0F) << 24;
        count = d.count[0] ? d.count[0] : 256;
    }
    if (lba + count > d.disk->sectors()) {
        finish(d, IDNF);
        return;
    }
    d.lba = lba, d.remaining = count;
    if (!write) {
        start_in_block(d);
        return;
    }
    // PIO data-out: the first block is requested without an interrupt.
    d.pos = 0;
    d.transfer = Transfer::Out;
    d.status = kIdle | DRQ;
}

void AtaChannel::execute(Drive& d, u8 cmd) {
    d.intrq = false;
    d.transfer = Transfer::None;
    d.error = 0;
    switch (cmd) {
    case 0xEC: {  // IDENTIFY DEVICE
        auto w = identify_words(unsigned(&d - drive_.data()));
        for (unsigned i = 0; i < 256; ++i) d.buf[2 * i] = u8(w[i]), d.buf[2 * i + 1] = u8(w[i] >> 8);
        d.pos = 0, d.remaining = 1;
        d.transfer = Transfer::In;
        d.status = kIdle | DRQ;
        d.intrq = true;
        break;
    }
    case 0x20:
    case 0x21: begin_rw(d, false, false); break;  // READ SECTORS (21h: the old "without retry")
    case 0x24: begin_rw(d, false, true); break;   // READ SECTORS EXT
    case 0x30:
    case 0x31: begin_rw(d, true, false); break;   // WRITE SECTORS
    case 0x34: begin_rw(d, true, true); break;    // WRITE SECTORS EXT
    case 0xE7:
    case 0xEA: finish(d, d.disk->flush() ? 0 : ABRT); break;  // FLUSH CACHE (EXT)
    case 0xEF: finish(d, 0); break;                           // SET FEATURES: accepted, no effect
    case 0x90:                                                // EXECUTE DEVICE DIAGNOSTIC
        for (Drive& x : drive_) {
            if (!x.disk) continue;
            set_signature(x);
            x.status = kIdle, x.transfer = Transfer::None;
        }
        drive_[1].device = drive_[0].device = 0;
        (drive_[0].disk ? drive_[0] : d).intrq = true;
        break;
    default: finish(d, ABRT); break;  // NOP and everything not listed in ata.h
    }
}

u16 AtaChannel::data_read() {
    Drive& d = selected();
    if (!d.disk || d.transfer != Transfer::In || !(d.status & DRQ)) return 0;
    u16 v = u16(d.buf[d.pos] | d.buf[d.pos + 1] << 8);
    d.pos += 2;
    if (d.pos == kSectorSize) {
        ++d.lba;
        if (--d.remaining) {
            start_in_block(d);
        } else {
            d.transfer = Transfer::None;
            d.status = kIdle;  // no interrupt after the last data-in block
        }
        update_irq();
    }
    return v;
}

void AtaChannel::data_write(u16 v) {
    Drive& d = selected();
    if (!d.disk || d.transfer != Transfer::Out || !(d.status & DRQ)) return;
    d.buf[d.pos] = u8(v), d.buf[d.pos + 1] = u8(v >> 8);
    d.pos += 2;
    if (d.pos < kSectorSize) return;
    if (!d.disk->write(d.lba, d.buf.data())) {
        finish(d, ABRT);
    } else if (++d.lba, --d.remaining) {
        d.pos = 0;
        d.status = kIdle | DRQ;
        d.intrq = true;
    } else {
        finish(d, 0);
    }
    update_irq();
}

u8 AtaChannel::read_reg(unsigned reg) {
    bool any = drive_[0].disk || drive_[1].disk;
    if (!any) return 0;
    Drive& d = selected();
    if (reg == kRegStatus) {
        if (!d.disk) return 0;
        d.intrq = false;  // reading Status clears a pending interrupt
        update_irq();
        return d.status;
    }
    if (d.disk && (d.status & BSY)) return d.status;  // task file is not readable while busy
    unsigned hob = control_ & HOB ? 1 : 0;
    switch (reg) {
    case kRegError: return d.disk ? d.error : 0;
    case kRegCount: return d.count[hob];
    case kRegLbaLo: return d.lba_lo[hob];
    case kRegLbaMid: return d.lba_mid[hob];
    case kRegLbaHi: return d.lba_hi[hob];
    case kRegDevice: return d.device;
    default: return 0;
    }
}

void AtaChannel::write_reg(unsigned reg, u8 v) {
    control_ &= ~HOB;  // any command block write clears HOB
    if (reg == kRegStatus) {
        Drive& d = selected();
        if (!d.disk || (d.status & BSY)) return;
        execute(d, v);
        update_irq();
        return;
    }
    // The task file is shared: both devices see every register write.
    for (Drive& d : drive_) {
        auto push = [v](u8 (&r)[2]) { r[1] = r[0], r[0] = v; };
        switch (reg) {
        case kRegError: push(d.features); break;
        case kRegCount: push(d.count); break;
        case kRegLbaLo: push(d.lba_lo); break;
        case kRegLbaMid: push(d.lba_mid); break;
        case kRegLbaHi: push(d.lba_hi); break;
        case kRegDevice: d.device = v; break;
        default: break;
        }
    }
    if (reg == kRegDevice) update_irq();  // INTRQ follows the selected device
}

// Device Control: SRST held puts both devices in reset; releasing it completes
// the software reset with the signature (instantaneously, see ata.h).
void AtaChannel::write_control(u8 v) {
    bool was_reset = control_ & SRST;
    control_ = v;
    if ((v & SRST) && !was_reset) {
        for (Drive& d : drive_) {
            d.transfer = Transfer::None, d.intrq = false;
            if (d.disk) d.status = BSY;
        }
    } else if (!(v & SRST) && was_reset) {
        for (Drive& d : drive_) {
            set_signature(d);
            if (d.disk) d.status = kIdle;
        }
    }
    update_irq();
}

u32 AtaChannel::io_read(u16 port, unsigned size, u64 now) {
    (void)now;
    if (port == kCtrl) {
        bool any = drive_[0].disk || drive_[1].disk;
        const Drive& d = selected();
        return any && d.disk ? d.status : 0;  // Alternate Status: no interrupt side effect
    }
    unsigned reg = port - kCmdBase;
    if (reg == kRegData) {
        if (size == 1) return 0xFF;
        u32 v = data_read();
        if (size == 4) v |= u32(data_read()) << 16;
        return v;
    }
    return read_reg(reg);
}

void AtaChannel::io_write(u16 port, unsigned size, u32 value, u64 now) {
    (void)now;
    if (port == kCtrl) {
        write_control(u8(value));
        return;
    }
    unsigned reg = port - kCmdBase;
    if (reg == kRegData) {
        if (size == 1) return;
        data_write(u16(value));
        if (size == 4) data_write(u16(value >> 16));
        return;
    }
    write_reg(reg, u8(value));
}

}  // namespace sy::dev
