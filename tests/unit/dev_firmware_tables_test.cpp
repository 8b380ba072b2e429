// ACPI and MP tables, read back by a small independent parser that knows only
// the specs: ACPI 6.x 5.2.5 (RSDP: "RSD PTR ", 16-byte aligned, checksums over
// 20 and 36 bytes), 5.2.6-5.2.8 (header, RSDT 32-bit / XSDT 64-bit entries),
// 5.2.12 (MADT entry types 0, 1, 2, 4 and their lengths); MP spec 1.4 4.1-4.3
// ("_MP_" 16 bytes, "PCMP" header 44 bytes, entries 20 bytes for processors and
// 8 bytes otherwise).
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "firmware_tables.h"

using namespace sy;
using namespace sy::dev;

namespace {
struct Image {
    const FirmwareTables& t;
    const u8* at(u64 paddr) const {
        REQUIRE(paddr >= t.base);
        REQUIRE(paddr < t.base + t.bytes.size());
        return t.bytes.data() + (paddr - t.base);
    }
    u64 le(u64 paddr, unsigned n) const {
        u64 v = 0;
        for (unsigned i = 0; i < n; ++i) v |= u64(at(paddr)[i]) << (8 * i);
        return v;
    }
    std::string str(u64 paddr, size_t n) const { return std::string(reinterpret_cast<const char*>(at(paddr)), n); }
    u8 sum(u64 paddr, size_t n) const {
        u8 s = 0;
        for (size_t i = 0; i < n; ++i) s = u8(s + at(paddr)[i]);
        return s;
    }
    // Scans 16-byte boundaries for a signature, as an OS scans the BIOS area.
    u64 scan(const char* sig, size_t len) const {
        for (size_t off = 0; off + len <= t.bytes.size(); off += 16)
            if (std::memcmp(t.bytes.data() + off, sig, len) == 0) return t.base + off;
        return 0;
    }
};
}  // namespace

TEST_CASE("acpi: RSDP -> RSDT/XSDT -> MADT with N local APICs, IOAPIC and IRQ0 -> GSI2") {
    FirmwareConfig cfg;
    cfg.cpu_count = 4;
    FirmwareTables t = build_firmware_tables(cfg, 0xF0000);
    Image img{t};
    u64 rsdp = img.scan("RSD PTR ", 8);
    REQUIRE(rsdp != 0);
    CHECK(rsdp == t.rsdp);
    CHECK(img.sum(rsdp, 20) == 0);
    CHECK(img.at(rsdp)[15] == 2);          // revision
    CHECK(img.le(rsdp + 20, 4) == 36);     // length
    CHECK(img.sum(rsdp, 36) == 0);

    u64 rsdt = img.le(rsdp + 16, 4), xsdt = img.le(rsdp + 24, 8);
    CHECK(img.str(rsdt, 4) == "RSDT");
    CHECK(img.str(xsdt, 4) == "XSDT");
    u32 rsdt_len = u32(img.le(rsdt + 4, 4)), xsdt_len = u32(img.le(xsdt + 4, 4));
    CHECK(img.sum(rsdt, rsdt_len) == 0);
    CHECK(img.sum(xsdt, xsdt_len) == 0);
    REQUIRE(rsdt_len == 36 + 2 * 4);  // the MADT and the HPET table
    REQUIRE(xsdt_len == 36 + 2 * 8);
    u64 madt = img.le(rsdt + 36, 4);
    CHECK(img.le(xsdt + 36, 8) == madt);
    u64 hpet = img.le(rsdt + 40, 4);
    CHECK(img.le(xsdt + 44, 8) == hpet);
    CHECK(hpet == t.hpet);

    // IA-PC HPET 1.0a 3.2.4: 56 bytes, block ID, GAS in system memory.
    CHECK(img.str(hpet, 4) == "HPET");
    CHECK(img.le(hpet + 4, 4) == 56);
    CHECK(img.sum(hpet, 56) == 0);
    CHECK(img.le(hpet + 36, 4) == 0x8086A201);
    CHECK(img.at(hpet)[40] == 0);               // address space: system memory
    CHECK(img.le(hpet + 44, 8) == 0xFED00000);  // base address
    CHECK(img.at(hpet)[52] == 0);               // HPET number

    CHECK(img.str(madt, 4) == "APIC");
    u32 len = u32(img.le(madt + 4, 4));
    CHECK(img.sum(madt, len) == 0);
    CHECK(img.le(madt + 36, 4) == 0xFEE00000);
    CHECK((img.le(madt + 40, 4) & 1) == 1);  // PCAT_COMPAT
    unsigned lapics = 0, ioapics = 0, overrides = 0, nmis = 0;
    for (u64 p = madt + 44; p < madt + len;) {
        u8 type = img.at(p)[0], elen = img.at(p)[1];
        REQUIRE(elen >= 2);
        switch (type) {
        case 0:
            CHECK(elen == 8);
            CHECK(img.at(p)[3] == lapics);      // APIC ID
            CHECK(img.le(p + 4, 4) == 1);       // enabled
            ++lapics;
            break;
        case 1:
            CHECK(elen == 12);
            CHECK(img.at(p)[2] == 0);           // IOAPIC ID 0, as QEMU's MADT and the IOAPIC's ID register
            CHECK(img.le(p + 4, 4) == 0xFEC00000);
            CHECK(img.le(p + 8, 4) == 0);       // GSI base
            ++ioapics;
            break;
        case 2:
            CHECK(elen == 10);
            CHECK(img.at(p)[2] == 0);           // ISA
            CHECK(img.at(p)[3] == 0);           // IRQ 0
            CHECK(img.le(p + 4, 4) == 2);       // -> GSI 2
            ++overrides;
            break;
        case 4:
            CHECK(elen == 6);
            CHECK(img.at(p)[5] == 1);           // LINT1
            ++nmis;
            break;
        }
        p += elen;
    }
    CHECK(lapics == 4);
    CHECK(ioapics == 1);
    CHECK(overrides == 1);
    CHECK(nmis == 1);
}

TEST_CASE("mp: floating pointer and configuration table") {
    FirmwareConfig cfg;
    cfg.cpu_count = 2;
    FirmwareTables t = build_firmware_tables(cfg);
    Image img{t};
    u64 mpf = img.scan("_MP_", 4);
    REQUIRE(mpf != 0);
    CHECK(mpf >= 0xF0000);
    CHECK(img.sum(mpf, 16) == 0);
    CHECK(img.at(mpf)[8] == 1);   // length in paragraphs
    CHECK(img.at(mpf)[9] == 4);   // spec 1.4
    CHECK(img.at(mpf)[11] == 0);  // feature byte 1: configuration table present
    u64 mpc = img.le(mpf + 4, 4);
    CHECK(img.str(mpc, 4) == "PCMP");
    u16 base_len = u16(img.le(mpc + 4, 2));
    CHECK(img.sum(mpc, base_len) == 0);
    CHECK(img.le(mpc + 36, 4) == 0xFEE00000);
    unsigned count = unsigned(img.le(mpc + 34, 2));
    unsigned cpus = 0, bsp = 0, buses = 0, ioapics = 0, irq0_pin = 99, ioints = 0, lints = 0;
    u64 p = mpc + 44;
    for (unsigned i = 0; i < count; ++i) {
        const u8* e = img.at(p);
        switch (e[0]) {
        case 0:
            ++cpus;
            if (e[3] & 2) {
                ++bsp;
                CHECK(e[1] == 0);
            }
            CHECK((e[3] & 1) == 1);
            p += 20;
            continue;
        case 1:
            ++buses;
            CHECK(img.str(p + 2, 6) == "ISA   ");
            break;
        case 2:
            ++ioapics;
            CHECK(e[1] == 0);  // ID 0, as in the MADT (and SeaBIOS's MP table under QEMU)
            CHECK((e[3] & 1) == 1);
            CHECK(img.le(p + 4, 4) == 0xFEC00000);
            break;
        case 3:
            ++ioints;
            CHECK(e[6] == 0);  // destination IOAPIC ID
            if (e[5] == 0) irq0_pin = e[7];
            CHECK(e[5] != 2);  // the cascade is not routed
            break;
        case 4: ++lints; break;
        default: FAIL("unknown MP entry type ", int(e[0]));
        }
        p += 8;
    }
    CHECK(p == mpc + base_len);
    CHECK(cpus == 2);
    CHECK(bsp == 1);
    CHECK(buses == 1);
    CHECK(ioapics == 1);
    CHECK(ioints == 15);
    CHECK(irq0_pin == 2);
    CHECK(lints == 2);
}

TEST_CASE("firmware tables: placement is validated") {
    CHECK_THROWS(build_firmware_tables({}, 0xF0008));
    CHECK_THROWS(build_firmware_tables({}, 0xD0000));
    FirmwareConfig none;
    none.cpu_count = 0;
    CHECK_THROWS(build_firmware_tables(none));
    FirmwareTables t = build_firmware_tables({}, 0xE0000);
    CHECK(t.rsdp == 0xE0000);
}
