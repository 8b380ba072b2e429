/* disk: ATA PIO on the primary channel (ATA/ATAPI-6), master drive.
 *
 * IDENTIFY DEVICE for the capacity, READ SECTORS of sector 0 (the test
 * writes a text line there when it creates the image), WRITE SECTORS of a
 * pattern to sector 1 and a read back, polling status; then the same read
 * once more completed by IRQ 14 through the I/O APIC (pin 14, vector 0x2E).
 * Exits with (0x22 << 1) | 1 = 69. */
#include "kernel.h"

#define ATA_DATA 0x1F0
#define ATA_COUNT 0x1F2
#define ATA_LBA0 0x1F3
#define ATA_LBA1 0x1F4
#define ATA_LBA2 0x1F5
#define ATA_DEVICE 0x1F6
#define ATA_CMD 0x1F7  /* status on read */
#define ATA_CTRL 0x3F6 /* alternate status on read */
#define BSY 0x80
#define DRQ 0x08
#define ERR 0x01
#define VEC_ATA 0x2E

static volatile u32 irq_count;

static void on_ata(u32 v) {
    (void)v;
    (void)inb(ATA_CMD);  /* reading Status clears INTRQ */
    irq_count = irq_count + 1;
    lapic_eoi();
}

static u8 wait_not_busy(void) {
    u8 s;
    for (u32 k = 0; (s = inb(ATA_CTRL)) & BSY; ++k)
        if (k == 10000000u) panic("ATA stays busy");
    return s;
}

static void issue(u8 cmd, u32 lba) {
    wait_not_busy();
    outb(ATA_DEVICE, 0xE0 | ((lba >> 24) & 0x0F));  /* LBA, master */
    outb(ATA_COUNT, 1);
    outb(ATA_LBA0, (u8)lba);
    outb(ATA_LBA1, (u8)(lba >> 8));
    outb(ATA_LBA2, (u8)(lba >> 16));
    outb(ATA_CMD, cmd);
}

static void wait_drq(void) {
    u8 s = wait_not_busy();
    if (s & ERR) panic("ATA command failed");
    if (!(s & DRQ)) panic("ATA has no data ready");
}

static void read_words(u16 *buf) {
    for (int k = 0; k < 256; ++k) buf[k] = inw(ATA_DATA);
}

static void read_sector(u32 lba, u16 *buf) {
    issue(0x20, lba);  /* READ SECTORS */
    wait_drq();
    read_words(buf);
    (void)inb(ATA_CMD);
}

static void write_sector(u32 lba, const u16 *buf) {
    issue(0x30, lba);  /* WRITE SECTORS */
    wait_drq();
    for (int k = 0; k < 256; ++k) outw(ATA_DATA, buf[k]);
    if (wait_not_busy() & ERR) panic("ATA write failed");
    (void)inb(ATA_CMD);
}

static u16 sector[256], pattern[256];

void ap_main(unsigned id) { (void)id; }

void kmain(u32 magic, u32 info) {
    (void)info;
    serial_init(0xC7);
    if (magic != 0x2BADB002) panic("not booted by a Multiboot loader");
    idt_init();
    set_handler(VEC_ATA, on_ata);
    idt_load();
    lapic_enable();
    pic_mask_all();
    outb(ATA_CTRL, 0x02);  /* nIEN: polled until the interrupt test */

    issue(0xEC, 0);  /* IDENTIFY DEVICE */
    wait_drq();
    read_words(sector);
    (void)inb(ATA_CMD);
    printf("disk0: LBA28 capacity %u sectors\n", sector[60] | (u32)sector[61] << 16);

    read_sector(0, sector);
    const char *text = (const char *)sector;
    puts("sector 0: ");
    for (int k = 0; k < 80 && text[k] && text[k] != '\n'; ++k) putc(text[k]);
    putc('\n');

    for (int k = 0; k < 256; ++k) pattern[k] = (u16)(k * 0x0101 ^ 0xA55A);
    write_sector(1, pattern);
    read_sector(1, sector);
    int same = 1;
    for (int k = 0; k < 256; ++k) same &= sector[k] == pattern[k];
    printf("sector 1: wrote a pattern, read it back: %s\n", same ? "same" : "DIFFERENT");

    ioapic_route(14, VEC_ATA, 0, 0);
    outb(ATA_CTRL, 0x00);  /* interrupts on */
    for (int k = 0; k < 256; ++k) sector[k] = 0;
    irq_count = 0;
    issue(0x20, 1);
    while (!irq_count) sti_hlt();
    read_words(sector);
    same = 1;
    for (int k = 0; k < 256; ++k) same &= sector[k] == pattern[k];
    printf("sector 1: read by IRQ 14 through the I/O APIC: %s\n", same ? "same" : "DIFFERENT");
    printf("disk: done\n");
    exit(0x22);
}
