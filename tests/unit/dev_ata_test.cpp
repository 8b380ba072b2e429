// ATA PIO channel. Expected values come from ATA/ATAPI-6 (T13/1410D): the
// IDENTIFY DEVICE word table (words 10-19 serial, 27-46 model as byte-swapped
// ASCII, 49 bit 9 LBA, 60-61 LBA28 capacity, 83 bit 10 48-bit, 100-103 LBA48
// capacity, 255 signature A5h + checksum), the PIO data-in and data-out
// protocols (when DRQ and INTRQ appear), the Status/Error/Device Control bit
// definitions and the reset signature. The xv6 case replays ide.c's port
// sequence (idewait, ideinit's disk 1 probe, idestart, ideintr with insl).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ata.h"
#include "io_bus.h"
#include "dev_support.h"

using namespace sy;
using namespace sy::dev;

namespace {
constexpr u64 kSectors = 2048;  // 1 MiB

std::vector<u8> pattern_image(u64 sectors) {
    std::vector<u8> img(sectors * kSectorSize);
    for (size_t i = 0; i < img.size(); ++i) img[i] = u8((i / kSectorSize) * 31 + i * 7);
    return img;
}

struct Rig {
    test::IrqRecorder irq;
    AtaChannel ata{IrqLine{&irq, AtaChannel::kIrq}};
    MemoryDisk* disk0 = nullptr;
    explicit Rig(u64 sectors = kSectors, bool master = true) {
        if (!master) return;
        auto d = std::make_unique<MemoryDisk>(pattern_image(sectors));
        disk0 = d.get();
        ata.attach(0, std::move(d));
    }
    u8 inb(u16 port) { return u8(ata.io_read(port, 1, 0)); }
    void outb(u16 port, u8 v) { ata.io_write(port, 1, v, 0); }
    u16 inw() { return u16(ata.io_read(0x1F0, 2, 0)); }
    void outw(u16 v) { ata.io_write(0x1F0, 2, v, 0); }
    bool intrq() const { return irq.level[AtaChannel::kIrq]; }
    void lba28(u32 lba, u8 count, unsigned dev = 0) {
        outb(0x1F2, count);
        outb(0x1F3, u8(lba));
        outb(0x1F4, u8(lba >> 8));
        outb(0x1F5, u8(lba >> 16));
        outb(0x1F6, u8(0xE0 | dev << 4 | ((lba >> 24) & 0x0F)));
    }
    std::vector<u8> read_block() {
        std::vector<u8> b;
        for (unsigned i = 0; i < 256; ++i) {
            u16 w = inw();
            b.push_back(u8(w)), b.push_back(u8(w >> 8));
        }
        return b;
    }
    std::vector<u8> sector(u64 lba) const {
        auto& img = disk0->bytes();
        return {img.begin() + lba * kSectorSize, img.begin() + (lba + 1) * kSectorSize};
    }
};

std::string ata_string(const std::array<u16, 256>& w, unsigned first, unsigned words) {
    std::string s;
    for (unsigned i = first; i < first + words; ++i) s += char(w[i] >> 8), s += char(w[i] & 0xFF);
    return s;
}
}  // namespace

TEST_CASE("ata: power-on signature and idle status") {
    Rig r;
    CHECK(r.inb(0x1F7) == (AtaChannel::DRDY | AtaChannel::DSC));
    CHECK(r.inb(0x1F1) == 0x01);  // diagnostic code: device 0 passed
    CHECK(r.inb(0x1F2) == 0x01);
    CHECK(r.inb(0x1F3) == 0x01);
    CHECK(r.inb(0x1F4) == 0x00);
    CHECK(r.inb(0x1F5) == 0x00);
    CHECK(r.inb(0x1F6) == 0x00);
    CHECK_FALSE(r.intrq());
}

TEST_CASE("ata: IDENTIFY DEVICE words") {
    Rig r(0x12345);
    r.outb(0x3F6, 0);
    r.outb(0x1F6, 0xA0);
    r.outb(0x1F7, 0xEC);
    CHECK(r.intrq());  // data-in: INTRQ with the block
    CHECK(r.ata.io_read(0x3F6, 1, 0) == (AtaChannel::DRDY | AtaChannel::DSC | AtaChannel::DRQ));
    CHECK(r.intrq());  // alternate status leaves it pending
    CHECK(r.inb(0x1F7) == 0x58);
    CHECK_FALSE(r.intrq());  // status read clears it
    std::array<u16, 256> w{};
    for (u16& x : w) x = r.inw();
    CHECK(r.inb(0x1F7) == 0x50);  // DRQ gone after 256 words, no new interrupt
    CHECK_FALSE(r.intrq());
    CHECK(w == r.ata.identify_words(0));

    CHECK((w[0] & 0x8000) == 0);  // ATA device
    CHECK(ata_string(w, 27, 20) == "SWITCHYARD HARDDISK                     ");
    CHECK(ata_string(w, 10, 10).substr(0, 9) == "SY-DISK-0");
    CHECK((w[49] & (1u << 9)) != 0);  // LBA supported
    CHECK((w[49] & (1u << 8)) == 0);  // no DMA
    CHECK((w[60] | u32(w[61]) << 16) == 0x12345);
    CHECK((w[83] & 0xC000) == 0x4000);      // word 83 valid
    CHECK((w[83] & (1u << 10)) != 0);       // 48-bit address feature set supported
    CHECK((w[86] & (1u << 10)) != 0);       // ... and enabled
    CHECK((w[83] & (1u << 12)) != 0);       // FLUSH CACHE
    CHECK((w[83] & (1u << 13)) != 0);       // FLUSH CACHE EXT
    u64 lba48 = u64(w[100]) | u64(w[101]) << 16 | u64(w[102]) << 32 | u64(w[103]) << 48;
    CHECK(lba48 == 0x12345);
    CHECK((w[255] & 0xFF) == 0xA5);
    u8 sum = 0;
    for (u16 x : w) sum = u8(sum + (x & 0xFF) + (x >> 8));
    CHECK(sum == 0);
}

TEST_CASE("ata: LBA28 capacity saturates at 0FFFFFFFh in words 60-61") {
    struct Huge : BlockBackend {
        u64 sectors() const override { return 0x20000000; }
        bool read(u64, u8*) override { return false; }
        bool write(u64, const u8*) override { return false; }
    };
    AtaChannel ata;
    ata.attach(0, std::make_unique<Huge>());
    auto w = ata.identify_words(0);
    CHECK((w[60] | u32(w[61]) << 16) == 0x0FFFFFFF);
    CHECK((u64(w[100]) | u64(w[101]) << 16) == 0x20000000);
}

TEST_CASE("ata: READ SECTORS, two blocks, INTRQ per block (PIO data-in)") {
    Rig r;
    r.outb(0x3F6, 0);
    r.lba28(5, 2);
    r.outb(0x1F7, 0x20);
    CHECK(r.intrq());
    CHECK(r.inb(0x1F7) == 0x58);
    CHECK(r.read_block() == r.sector(5));
    CHECK(r.intrq());  // second block announced
    CHECK(r.inb(0x1F7) == 0x58);
    CHECK(r.read_block() == r.sector(6));
    CHECK_FALSE(r.intrq());  // none after the last block
    CHECK(r.inb(0x1F7) == 0x50);
    CHECK(r.inw() == 0);  // no DRQ: nothing moves
    // A count of 0 means 256 sectors.
    r.lba28(0, 0);
    r.outb(0x1F7, 0x20);
    for (unsigned s = 0; s < 256; ++s) {
        CHECK((r.inb(0x1F7) & AtaChannel::DRQ) != 0);
        r.read_block();
    }
    CHECK(r.inb(0x1F7) == 0x50);
}

TEST_CASE("ata: WRITE SECTORS round trip (PIO data-out)") {
    Rig r;
    r.outb(0x3F6, 0);
    r.lba28(100, 2);
    r.outb(0x1F7, 0x30);
    CHECK_FALSE(r.intrq());  // no interrupt before the first block
    CHECK(r.inb(0x1F7) == 0x58);
    for (unsigned i = 0; i < 256; ++i) r.outw(u16(0xA000 + i));
    CHECK(r.intrq());  // second block requested
    CHECK(r.inb(0x1F7) == 0x58);
    for (unsigned i = 0; i < 256; ++i) r.outw(u16(0xB000 + i));
    CHECK(r.intrq());  // completion
    CHECK(r.inb(0x1F7) == 0x50);
    const auto& img = r.disk0->bytes();
    CHECK(img[100 * 512 + 0] == 0x00);
    CHECK(img[100 * 512 + 1] == 0xA0);
    CHECK(img[100 * 512 + 2 * 255] == 0xFF);
    CHECK(img[101 * 512 + 1] == 0xB0);
    // Read it back through the port.
    r.lba28(100, 1);
    r.outb(0x1F7, 0x20);
    auto b = r.read_block();
    CHECK(b == r.sector(100));
    CHECK(b[3] == 0xA0);
    CHECK(b[2] == 0x01);
    // FLUSH CACHE and SET FEATURES are non-data commands ending in INTRQ.
    r.outb(0x1F7, 0xE7);
    CHECK(r.intrq());
    CHECK(r.inb(0x1F7) == 0x50);
    r.outb(0x1F1, 0x03);
    r.outb(0x1F2, 0x0C);  // transfer mode: PIO mode 4
    r.outb(0x1F7, 0xEF);
    CHECK(r.inb(0x1F7) == 0x50);
}

TEST_CASE("ata: READ/WRITE SECTORS EXT take the 48-bit address from the register FIFO") {
    Rig r(0x20000);
    const u64 lba = 0x1FF00;
    // "previous" (high) bytes first, then the current (low) bytes.
    r.outb(0x1F2, 0), r.outb(0x1F3, u8(lba >> 24)), r.outb(0x1F4, u8(lba >> 32)), r.outb(0x1F5, u8(lba >> 40));
    r.outb(0x1F2, 1), r.outb(0x1F3, u8(lba)), r.outb(0x1F4, u8(lba >> 8)), r.outb(0x1F5, u8(lba >> 16));
    r.outb(0x1F6, 0x40);
    // HOB reads back the previous bytes.
    r.outb(0x3F6, AtaChannel::HOB);
    CHECK(r.inb(0x1F4) == u8(lba >> 32));
    r.outb(0x3F6, 0);
    CHECK(r.inb(0x1F4) == u8(lba >> 8));
    r.outb(0x1F7, 0x24);
    CHECK(r.inb(0x1F7) == 0x58);
    CHECK(r.read_block() == r.sector(lba));
    // WRITE SECTORS EXT beyond the end: IDNF.
    r.outb(0x1F2, 0), r.outb(0x1F3, 0x01), r.outb(0x1F4, 0), r.outb(0x1F5, 0);
    r.outb(0x1F2, 1), r.outb(0x1F3, 0), r.outb(0x1F4, 0), r.outb(0x1F5, 0);
    r.outb(0x1F7, 0x34);
    CHECK(r.inb(0x1F7) == (0x50 | AtaChannel::ERR));
    CHECK(r.inb(0x1F1) == AtaChannel::IDNF);
}

TEST_CASE("ata: errors: past the end, CHS addressing, unknown command") {
    Rig r;
    r.outb(0x3F6, 0);
    r.lba28(kSectors - 1, 2);
    r.outb(0x1F7, 0x20);
    CHECK(r.intrq());
    CHECK(r.inb(0x1F7) == 0x51);
    CHECK(r.inb(0x1F1) == AtaChannel::IDNF);
    r.outb(0x1F6, 0xA0);  // LBA bit clear
    r.outb(0x1F7, 0x20);
    CHECK(r.inb(0x1F7) == 0x51);
    CHECK(r.inb(0x1F1) == AtaChannel::ABRT);
    r.outb(0x1F7, 0x00);  // NOP always aborts
    CHECK(r.inb(0x1F1) == AtaChannel::ABRT);
    r.outb(0x1F7, 0xC8);  // READ DMA: no DMA
    CHECK(r.inb(0x1F7) == 0x51);
    r.lba28(0, 1);
    r.outb(0x1F7, 0x20);
    CHECK(r.inb(0x1F7) == 0x58);  // success clears ERR
    CHECK(r.inb(0x1F1) == 0);
}

TEST_CASE("ata: nIEN masks INTRQ, SRST resets to the signature") {
    Rig r;
    r.outb(0x3F6, AtaChannel::NIEN);
    r.lba28(1, 1);
    r.outb(0x1F7, 0x20);
    CHECK_FALSE(r.intrq());
    r.outb(0x3F6, 0);  // the pending interrupt appears once enabled
    CHECK(r.intrq());
    r.outb(0x3F6, AtaChannel::SRST);
    CHECK_FALSE(r.intrq());
    CHECK(r.inb(0x1F7) == AtaChannel::BSY);
    CHECK(r.inb(0x1F2) == AtaChannel::BSY);  // registers read as status while busy
    r.outb(0x3F6, 0);
    CHECK(r.inb(0x1F7) == 0x50);
    CHECK(r.inb(0x1F1) == 0x01);
    CHECK(r.inb(0x1F2) == 0x01);
    CHECK(r.inb(0x1F3) == 0x01);
    CHECK(r.inw() == 0);  // the interrupted transfer is gone
}

TEST_CASE("ata: absent devices read 00h") {
    Rig none(0, false);
    for (u16 p = 0x1F1; p <= 0x1F7; ++p) CHECK(none.inb(p) == 0);
    CHECK(none.ata.io_read(0x3F6, 1, 0) == 0);
    none.outb(0x1F7, 0xEC);
    CHECK(none.inb(0x1F7) == 0);
    CHECK_FALSE(none.intrq());

    Rig r;
    r.outb(0x1F6, 0xF0);  // select the absent slave
    CHECK(r.inb(0x1F7) == 0);
    CHECK(r.inb(0x1F1) == 0);
    r.outb(0x1F7, 0xEC);  // ignored
    CHECK(r.inb(0x1F7) == 0);
    r.outb(0x1F6, 0xE0);
    CHECK(r.inb(0x1F7) == 0x50);
}

TEST_CASE("ata: master and slave are separate disks on one task file") {
    Rig r;
    auto img1 = std::vector<u8>(16 * kSectorSize, 0x5A);
    r.ata.attach(1, std::make_unique<MemoryDisk>(img1));
    r.outb(0x3F6, 0);
    r.lba28(3, 1, 1);
    r.outb(0x1F7, 0x20);
    CHECK(r.intrq());
    CHECK(r.inb(0x1F7) == 0x58);
    CHECK(r.inw() == 0x5A5A);
    // Selecting the master, which has nothing pending, shows its status.
    r.outb(0x1F6, 0xE0);
    CHECK(r.inb(0x1F7) == 0x50);
    CHECK(r.ata.identify_words(1)[60] == 16);
}

TEST_CASE("ata: xv6 ide.c: idewait, disk 1 probe, idestart read and write, ideintr insl") {
    Rig r;
    auto idewait = [&](bool checkerr) {
        u8 s;
        unsigned spins = 0;
        while (((s = r.inb(0x1F7)) & (AtaChannel::BSY | AtaChannel::DRDY)) != AtaChannel::DRDY) REQUIRE(++spins < 10);
        return !(checkerr && (s & (AtaChannel::DF | AtaChannel::ERR)));
    };
    // ideinit
    idewait(false);
    r.outb(0x1F6, 0xE0 | 1 << 4);
    bool havedisk1 = false;
    for (int i = 0; i < 1000; ++i)
        if (r.inb(0x1F7) != 0) {
            havedisk1 = true;
            break;
        }
    CHECK_FALSE(havedisk1);
    r.outb(0x1F6, 0xE0);
    // idestart, read of block 7 (BSIZE 512: one sector, IDE_CMD_READ)
    auto idestart = [&](u32 sector, bool dirty, const u8* data) {
        idewait(false);
        r.outb(0x3F6, 0);  // generate interrupt
        r.outb(0x1F2, 1);
        r.outb(0x1F3, u8(sector));
        r.outb(0x1F4, u8(sector >> 8));
        r.outb(0x1F5, u8(sector >> 16));
        r.outb(0x1F6, u8(0xE0 | ((sector >> 24) & 0x0F)));
        if (dirty) {
            r.outb(0x1F7, 0x30);
            for (unsigned i = 0; i < 128; ++i) {
                u32 v = data[4 * i] | data[4 * i + 1] << 8 | data[4 * i + 2] << 16 | u32(data[4 * i + 3]) << 24;
                r.ata.io_write(0x1F0, 4, v, 0);  // outsl
            }
        } else {
            r.outb(0x1F7, 0x20);
        }
    };
    idestart(7, false, nullptr);
    REQUIRE(r.intrq());
    // ideintr
    REQUIRE(idewait(true));
    std::vector<u8> got;
    for (unsigned i = 0; i < 128; ++i) {
        u32 v = r.ata.io_read(0x1F0, 4, 0);  // insl
        for (unsigned k = 0; k < 4; ++k) got.push_back(u8(v >> (8 * k)));
    }
    CHECK(got == r.sector(7));
    CHECK_FALSE(r.intrq());
    // Write block 9 with outsl, then the completion interrupt.
    std::vector<u8> data(512);
    for (unsigned i = 0; i < 512; ++i) data[i] = u8(i ^ 0x3C);
    idestart(9, true, data.data());
    CHECK(r.intrq());
    CHECK(idewait(true));
    CHECK(r.sector(9) == data);
}

TEST_CASE("ata: FileDisk reads and writes an image file, a missing file names itself") {
    CHECK_THROWS_WITH_AS(FileDisk("/nonexistent/sy-disk.img"),
                         "ata: cannot open disk image '/nonexistent/sy-disk.img' for reading and writing",
                         std::runtime_error);
    char tmpl[] = "/tmp/sy-ata-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    std::string path = tmpl;
    {
        std::ofstream f(path, std::ios::binary);
        std::vector<char> img(3 * kSectorSize + 100, 0x11);  // partial tail sector
        f.write(img.data(), std::streamsize(img.size()));
    }
    {
        FileDisk d(path);
        CHECK(d.sectors() == 3);
        std::array<u8, kSectorSize> buf;
        buf.fill(0x77);
        CHECK(d.write(2, buf.data()));
        CHECK(d.flush());
        CHECK_FALSE(d.read(3, buf.data()));
        CHECK(d.read(1, buf.data()));
        CHECK(buf[0] == 0x11);
        CHECK(d.read(2, buf.data()));
        CHECK(buf[511] == 0x77);
    }
    std::remove(path.c_str());
}

TEST_CASE("ata: wired on the IoBus as ata.h says, 32-bit data accesses reach the device whole") {
    Rig r;
    IoBus bus;
    bus.add_ports(0x1F0, 1, &r.ata, 4, "ata data");
    bus.add_ports(0x1F1, 7, &r.ata, 1, "ata cmd");
    bus.add_ports(0x3F6, 1, &r.ata, 1, "ata ctrl");
    bus.io_out(0x1F2, 1, 1, 0);
    bus.io_out(0x1F3, 1, 4, 0);
    bus.io_out(0x1F4, 1, 0, 0);
    bus.io_out(0x1F5, 1, 0, 0);
    bus.io_out(0x1F6, 1, 0xE0, 0);
    bus.io_out(0x1F7, 1, 0x20, 0);
    CHECK(bus.io_in(0x3F6, 1, 0) == 0x58);
    std::vector<u8> got;
    for (unsigned i = 0; i < 128; ++i) {
        u32 v = bus.io_in(0x1F0, 4, 0);
        for (unsigned k = 0; k < 4; ++k) got.push_back(u8(v >> (8 * k)));
    }
    CHECK(got == r.sector(4));
    CHECK(bus.io_in(0x1F7, 1, 0) == 0x50);
}
