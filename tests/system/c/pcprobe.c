/* pcprobe: what a kernel written for QEMU's PC reads before it trusts a
 * device, printed register by register so that the suite can compare
 * switchyard with QEMU (qemu_compare_pcprobe, with and without a disk).
 *
 * In order: the BIOS data area and vector table the firmware left; the 8259
 * masks and the PIT's mode; a trip to real mode that waits in sti; hlt for the
 * BIOS's timer tick (IRQ 0 -> INT 08h -> INT 1Ch) and for an RTC interrupt
 * (IRQ 8 -> INT 70h, the slave's vector base) and tries the A20 gate; the VGA registers of mode 3,
 * its address decoding, the attribute flip-flop, the CRTC protect bit, the DAC,
 * plane 2 through the A0000 window, the cursor; the keyboard controller's
 * status, command byte, ports and the keyboard's and mouse's answers, then
 * IRQ 1 and IRQ 12 through the I/O APIC; the ATA channel (the selected absent
 * slave, the shared task file, IDENTIFY); the I/O APIC's registers against the
 * MADT and the MP table; the local APIC as the BIOS leaves it; the HPET's
 * registers, its ACPI table, and its timers firing through the I/O APIC
 * (legacy replacement, periodic, level-triggered). Last it fills the text
 * screen and prints the rows it wrote ("screen NN:"), which the
 * system_pcprobe_screen test compares with `run --screen`.
 *
 * Only what both machines must agree on is printed: no addresses of tables,
 * no counter values, no tick counts (QEMU's BIOS starts the tick count at the
 * time of day). Exits with (0x10 << 1) | 1 = 33. */
#include "kernel.h"

struct rm_result {
    u32 ticks_before, ticks_after, hook_1c, hook_70, a20_off_wraps, a20_on_wraps;
};
void realmode_bios_tick(struct rm_result *r);

/* Physical memory by address; the empty asm hides the constant from gcc,
 * which takes the low addresses of the BIOS data area for null pointers. */
static volatile void *at(u32 a) {
    __asm__("" : "+r"(a));
    return (volatile void *)a;
}
static u8 rd8(u32 a) { return *(volatile u8 *)at(a); }
static u16 rd16(u32 a) { return *(volatile u16 *)at(a); }
static u32 rd32(u32 a) { return *(volatile u32 *)at(a); }
static const char *yes(int c) { return c ? "yes" : "no"; }

/* ---- firmware state ---- */

static void probe_bda(void) {
    printf("bda: com ports %w %w %w %w\n", rd16(0x400), rd16(0x402), rd16(0x404), rd16(0x406));
    u16 ebda = rd16(0x40E);
    printf("bda: ebda segment %w (%u KiB), base memory %u KiB\n", ebda, rd8((u32)ebda << 4), rd16(0x413));
    u16 eq = rd16(0x410);
    printf("bda: equipment: %u serial port(s), video %u (80x25 colour), coprocessor %u, ps/2 mouse %u\n",
           (eq >> 9) & 7, (eq >> 4) & 3, (eq >> 1) & 1, (eq >> 2) & 1);
    printf("bda: keyboard buffer head %w tail %w start %w end %w\n", rd16(0x41A), rd16(0x41C), rd16(0x480),
           rd16(0x482));
    printf("bda: video mode %b, %u x %u, page size %w, crtc %w, character height %u, cursor shape %w\n", rd8(0x449),
           rd16(0x44A), rd8(0x484) + 1, rd16(0x44C), rd16(0x463), rd16(0x485), rd16(0x460));
    printf("bda: hard disks %u\n", rd8(0x475));
    printf("ivt: INT 08h, 1Ch, 70h point into the BIOS segment F000: %s\n",
           yes(rd32(0x08 * 4) >> 16 == 0xF000 && rd32(0x1C * 4) >> 16 == 0xF000 && rd32(0x70 * 4) >> 16 == 0xF000));
}

static void probe_timers_at_handoff(void) {
    printf("pic: masks %b %b\n", inb(0x21), inb(0xA1));
    outb(0x43, 0xE2);  /* read-back: status of channel 0 */
    u8 s = inb(0x40);
    printf("pit: channel 0 mode %u, access %u, bcd %u\n", (s >> 1) & 7, (s >> 4) & 3, s & 1);
}

static void probe_realmode(void) {
    struct rm_result r;
    realmode_bios_tick(&r);
    idt_load();
    u32 ticks = r.ticks_after - r.ticks_before;
    printf("realmode: sti; hlt woke for the BIOS tick: %s; INT 1Ch once per tick: %s; IRQ 8 reached INT 70h: %s\n",
           yes(ticks >= 1), yes(r.hook_1c == ticks), yes(r.hook_70 >= 1));
    printf("realmode: port 92h A20 off: 1 MiB wraps to 0 %s; A20 on again: wraps %s\n", yes(r.a20_off_wraps),
           yes(r.a20_on_wraps));
}

/* ---- VGA ---- */

static u8 crtc(u8 i) { outb(0x3D4, i); return inb(0x3D5); }
static void crtc_write(u8 i, u8 v) { outb(0x3D4, i); outb(0x3D5, v); }
static u8 seq(u8 i) { outb(0x3C4, i); return inb(0x3C5); }
static void seq_write(u8 i, u8 v) { outb(0x3C4, i); outb(0x3C5, v); }
static u8 gfx(u8 i) { outb(0x3CE, i); return inb(0x3CF); }
static void gfx_write(u8 i, u8 v) { outb(0x3CE, i); outb(0x3CF, v); }
static u8 attr(u8 i) {
    inb(0x3DA);             /* the flip-flop to "index" */
    outb(0x3C0, i | 0x20);  /* keep the palette address source set: the screen stays on */
    u8 v = inb(0x3C1);
    inb(0x3DA);
    return v;
}

static void probe_vga_registers(void) {
    printf("vga: misc output %b, input status 0 %b, feature control %b\n", inb(0x3CC), inb(0x3C2), inb(0x3CA));
    printf("vga: crtc");
    for (u8 i = 0; i <= 0x18; ++i)
        if (i != 0x0E && i != 0x0F) printf(" %b", crtc(i));  /* not the cursor the BIOS moved */
    printf("\nvga: sequencer");
    for (u8 i = 0; i <= 4; ++i) printf(" %b", seq(i));
    printf("\nvga: graphics");
    for (u8 i = 0; i <= 8; ++i) printf(" %b", gfx(i));
    printf("\nvga: attribute");
    for (u8 i = 0; i <= 0x14; ++i) printf(" %b", attr(i));
    outb(0x3C4, 0xFF);
    u8 si = inb(0x3C4);
    outb(0x3CE, 0xFF);
    u8 gi = inb(0x3CE);
    outb(0x3D4, 0x3F);
    u8 ci = inb(0x3D4);
    printf("\nvga: index registers read back %b %b %b\n", si, gi, ci);
    u8 a = inb(0x3DA), b = inb(0x3DA);
    printf("vga: input status 1 toggles %b, steady %b\n", a ^ b, a & b);

    /* The attribute controller: index and data share 3C0h through a flip-flop
     * that reading 3DAh resets; 3C0h reads the index only in the index state. */
    inb(0x3DA);
    outb(0x3C0, 0x31);  /* index 11h (overscan), palette source on */
    u8 in_data_state = inb(0x3C0);
    outb(0x3C0, 0x05);
    u8 in_index_state = inb(0x3C0), overscan = inb(0x3C1);
    inb(0x3DA);
    outb(0x3C0, 0x31);
    outb(0x3C0, 0x00);
    inb(0x3DA);
    outb(0x3C0, 0x20);
    printf("vga: attribute flip-flop: 3C0h reads %b after an index, %b after the data; register 11h %b\n",
           in_data_state, in_index_state, overscan);

    /* CRTC 11h bit 7 protects 00h-07h, except the line compare bit of 07h. */
    u8 c11 = crtc(0x11), c01 = crtc(0x01), c07 = crtc(0x07);
    crtc_write(0x01, 0x33);
    u8 p01 = crtc(0x01);
    crtc_write(0x07, 0x00);
    u8 p07 = crtc(0x07);
    crtc_write(0x07, c07);
    crtc_write(0x11, c11 & 0x7F);
    crtc_write(0x01, 0x4E);
    u8 u01 = crtc(0x01);
    crtc_write(0x01, c01);
    crtc_write(0x11, c11);
    printf("vga: crtc 11h %b: 01h write ignored (%b), 07h only bit 4 (%b); unprotected 01h takes %b\n", c11, p01, p07,
           u01);

    /* Monochrome addressing: Miscellaneous Output bit 0 moves the CRTC and
     * Input Status 1 to 3B4h/3B5h/3BAh; the colour ports then float. */
    crtc_write(0x0E, 0x01);
    crtc_write(0x0F, 0x23);
    u8 mor = inb(0x3CC);
    outb(0x3C2, mor & ~1);
    outb(0x3B4, 0x0F);
    u8 mono_cursor = inb(0x3B5), color_index = inb(0x3D4), color_data = inb(0x3D5), color_status = inb(0x3DA);
    u8 m1 = inb(0x3BA), m2 = inb(0x3BA);
    outb(0x3C2, mor);
    printf("vga: mono addressing: misc %b, 3B5h(0Fh) %b, 3D4h %b, 3D5h %b, 3DAh %b, 3BAh toggles %b\n", mor & ~1,
           mono_cursor, color_index, color_data, color_status, m1 ^ m2);
}

static void probe_vga_dac(void) {
    outb(0x3C7, 0);
    printf("vga: dac 0-63:");
    for (int i = 0; i < 64; ++i) {
        u8 r = inb(0x3C9), g = inb(0x3C9), b = inb(0x3C9);
        printf("%s%b%b%b", i % 16 ? " " : "\n  ", r, g, b);
    }
    printf("\n");
    outb(0x3C8, 200);
    outb(0x3C9, 0x11), outb(0x3C9, 0x22), outb(0x3C9, 0x33);
    u8 widx = inb(0x3C8), wstate = inb(0x3C7);
    outb(0x3C7, 200);
    u8 r = inb(0x3C9), g = inb(0x3C9), b = inb(0x3C9);
    printf("vga: dac write index after one entry %u (state %b); entry 200 reads %b %b %b (state %b, write index %u)\n",
           widx, wstate, r, g, b, inb(0x3C7), inb(0x3C8));
    outb(0x3C8, 200);
    outb(0x3C9, 0), outb(0x3C9, 0), outb(0x3C9, 0);
}

static void probe_vga_memory(void) {
    volatile u8 *win = (volatile u8 *)0xA0000;
    win[0] = 0x12;
    printf("vga: window outside map 3 reads A0000 %b AFFFF %b B0000 %b B7FFF %b\n", win[0], win[0xFFFF],
           win[0x10000], win[0x17FFF]);

    /* Plane 2, where the font lives, the way a kernel loads a font: planar
     * writes to plane 2 only, reads of plane 2, the window at A0000. */
    volatile u8 *text = (volatile u8 *)0xB8000;
    text[0] = 'P', text[1] = 0x1F;
    seq_write(0x02, 0x04);
    seq_write(0x04, 0x06);
    gfx_write(0x04, 0x02);
    gfx_write(0x05, 0x00);
    gfx_write(0x06, 0x04);
    volatile u8 *glyph = win + 255 * 32;  /* character FFh's rows */
    u8 saved[4], got[4];
    for (int k = 0; k < 4; ++k) saved[k] = glyph[k];
    for (int k = 0; k < 4; ++k) glyph[k] = (u8)(0x12 + 0x22 * k);
    for (int k = 0; k < 4; ++k) got[k] = glyph[k];
    for (int k = 0; k < 4; ++k) glyph[k] = saved[k];
    u8 outside = win[0x18000];  /* B8000: not in the A0000-AFFFF map */
    seq_write(0x02, 0x03);
    seq_write(0x04, 0x02);
    gfx_write(0x04, 0x00);
    gfx_write(0x05, 0x10);
    gfx_write(0x06, 0x0E);
    printf("vga: plane 2 at A0000: wrote 12 34 56 78, read %b %b %b %b; B8000 %b meanwhile; text cell 0 kept: %s\n",
           got[0], got[1], got[2], got[3], outside, yes(text[0] == 'P' && text[1] == 0x1F));
}

/* ---- keyboard controller ---- */

static int kbc_read(void) {
    for (u32 k = 0; k < 100000; ++k)
        if (inb(0x64) & 1) return inb(0x60);
    return -1;
}
static void kbc_cmd(u8 c) { outb(0x64, c); }
static void kbc_data(u8 d) { outb(0x60, d); }
/* Everything the controller has for us, then "--" when it is empty. */
static void kbc_drain(const char *what) {
    printf("kbc: %s:", what);
    for (int v; (v = kbc_read()) >= 0;) printf(" %b", v);
    printf("\n");
}

static void probe_kbc(void) {
    u8 status = inb(0x64);
    u8 last = inb(0x60);
    printf("kbc: status %b, data port while empty %b\n", status, last);
    kbc_cmd(0x20), kbc_drain("command byte");
    kbc_cmd(0xD0), kbc_drain("output port");
    kbc_cmd(0xC0), kbc_drain("input port");
    printf("kbc: port 92h %b\n", inb(0x92));
    kbc_cmd(0xAA), kbc_drain("self-test");
    kbc_cmd(0xAB), kbc_drain("keyboard interface test");
    kbc_cmd(0xA9), kbc_drain("mouse interface test");
    printf("kbc: status %b\n", inb(0x64));
    kbc_data(0xF2), kbc_drain("keyboard identify");
    kbc_data(0xEE), kbc_drain("keyboard echo");
    kbc_data(0xF0), kbc_drain("keyboard scan code set");
    kbc_data(0x00), kbc_drain("keyboard scan code set, get");
    kbc_data(0xED), kbc_drain("keyboard LEDs");
    kbc_data(0x02), kbc_drain("keyboard LEDs, num lock");
    kbc_data(0x12), kbc_drain("keyboard bad command");
    kbc_cmd(0xD2), kbc_data(0x1E);
    u8 s1 = inb(0x64), d1 = inb(0x60), s2 = inb(0x64);
    printf("kbc: D2h 1Eh: status %b, data %b, status %b\n", s1, d1, s2);
    kbc_cmd(0xD3), kbc_data(0x5A);
    s1 = inb(0x64), d1 = inb(0x60), s2 = inb(0x64);
    printf("kbc: D3h 5Ah: status %b, data %b, status %b\n", s1, d1, s2);
    kbc_cmd(0xD4), kbc_data(0xF2), kbc_drain("mouse identify");
    kbc_cmd(0xAD), kbc_cmd(0x20), kbc_drain("command byte, keyboard disabled");
    kbc_cmd(0xAE), kbc_cmd(0x20), kbc_drain("command byte, keyboard enabled");
}

/* IRQ 1 and IRQ 12 through the I/O APIC, from bytes the controller is told
 * to put in its output buffer. */
#define VEC_KBD 0x41
#define VEC_MOUSE 0x4C
static volatile u32 kbd_irqs, mouse_irqs;
static volatile u8 kbd_byte, mouse_byte;
static void on_kbd(u32 v) { (void)v; kbd_byte = inb(0x60); kbd_irqs = kbd_irqs + 1; lapic_eoi(); }
static void on_mouse(u32 v) { (void)v; mouse_byte = inb(0x60); mouse_irqs = mouse_irqs + 1; lapic_eoi(); }

static void wait_for(volatile u32 *counter, u32 n) {
    for (u32 k = 0; k < 10000000u && *counter < n; ++k) __asm__ volatile("sti; nop; cli" ::: "memory");
}

static void probe_kbc_irqs(void) {
    set_handler(VEC_KBD, on_kbd);
    set_handler(VEC_MOUSE, on_mouse);
    ioapic_route(1, VEC_KBD, 0, 0);
    ioapic_route(12, VEC_MOUSE, 0, 0);
    kbc_cmd(0xD2), kbc_data(0x2A);
    wait_for(&kbd_irqs, 1);
    kbc_cmd(0x60), kbc_data(0x63);  /* mouse interrupt on */
    kbc_cmd(0xD3), kbc_data(0x5B);
    wait_for(&mouse_irqs, 1);
    kbc_cmd(0x60), kbc_data(0x61);
    printf("kbc: IRQ 1 through I/O APIC pin 1: %u, byte %b; IRQ 12 through pin 12: %u, byte %b\n", kbd_irqs, kbd_byte,
           mouse_irqs, mouse_byte);
    ioapic_route(1, VEC_KBD, IOAPIC_MASKED, 0);
    ioapic_route(12, VEC_MOUSE, IOAPIC_MASKED, 0);
}

/* ---- ATA ---- */

static void ata_regs(const char *what) {
    u8 st = inb(0x1F7), alt = inb(0x3F6), err = inb(0x1F1), cnt = inb(0x1F2), l0 = inb(0x1F3), l1 = inb(0x1F4),
       l2 = inb(0x1F5), dev = inb(0x1F6);
    printf("ata: %s: status %b alt %b error %b count %b lba %b %b %b device %b\n", what, st, alt, err, cnt, l0, l1, l2,
           dev);
}

static u8 ata_wait(void) {
    u8 s = 0;
    for (u32 k = 0; k < 1000000 && ((s = inb(0x3F6)) & 0x80); ++k) {}
    return s;
}

static void probe_ata(void) {
    ata_regs("at hand-off");
    outb(0x1F6, 0xA0);
    ata_regs("master selected");
    outb(0x1F2, 0x55);
    outb(0x1F3, 0xAA);
    outb(0x1F6, 0xB0);
    ata_regs("slave selected after writing count 55h lba 0 AAh");
    outb(0x1F7, 0xEC);
    printf("ata: IDENTIFY to the slave: status %b error %b\n", inb(0x1F7), inb(0x1F1));
    outb(0x1F6, 0xA0);
    ata_wait();
    outb(0x1F7, 0xEC);
    u8 s = ata_wait();
    printf("ata: IDENTIFY to the master: status %b\n", inb(0x1F7));
    (void)s;
    if (inb(0x1F7) & 0x08) {
        u16 w[256];
        for (int i = 0; i < 256; ++i) w[i] = inw(0x1F0);
        printf("ata: identify: config %w, cylinders %u heads %u sectors %u, lba %s, words 64-70 valid %s\n", w[0],
               w[1], w[3], w[6], yes(w[49] & 0x0200), yes(w[53] & 0x0002));
        printf("ata: identify: lba28 sectors %u, 48-bit %s, flush cache %s %s, lba48 sectors %w %w %w %w\n",
               w[60] | (u32)w[61] << 16, yes(w[83] & 0x0400), yes(w[83] & 0x1000), yes(w[86] & 0x2000), w[103],
               w[102], w[101], w[100]);
        printf("ata: status after the data %b, data port without DRQ %w\n", inb(0x1F7), inw(0x1F0));
    }
}

/* ---- APICs and the firmware tables ---- */

static u32 ioapic_reg(u8 r) {
    mmio_write(IOAPIC_BASE, r);
    return mmio_read(IOAPIC_BASE + 0x10);
}

static u8 sum(const u8 *p, u32 n) {
    u8 s = 0;
    while (n--) s = (u8)(s + *p++);
    return s;
}

static const u8 *find_sig(u32 from, u32 to, u32 sig0, u32 sig1) {
    for (u32 a = from; a < to; a += 16)
        if (rd32(a) == sig0 && (!sig1 || rd32(a + 4) == sig1)) return (const u8 *)a;
    return 0;
}

static int madt_ioapic_id = -1, mp_ioapic_id = -1;
static const u8 *hpet_table;

static void probe_acpi(void) {
    const u8 *rsdp = find_sig(0xE0000, 0x100000, 0x20445352, 0x20525450);  /* "RSD PTR " */
    if (!rsdp) rsdp = find_sig((u32)rd16(0x40E) << 4, ((u32)rd16(0x40E) << 4) + 1024, 0x20445352, 0x20525450);
    if (!rsdp) {
        printf("acpi: no RSDP\n");
        return;
    }
    printf("acpi: rsdp checksum ok %s\n", yes(sum(rsdp, 20) == 0));
    const u32 *rsdt = (const u32 *)*(const u32 *)(rsdp + 16);
    u32 n = (rsdt[1] - 36) / 4;
    for (u32 k = 0; k < n; ++k) {
        const u8 *t = (const u8 *)rsdt[9 + k];
        u32 len = *(const u32 *)(t + 4);
        if (t[0] == 'A' && t[1] == 'P' && t[2] == 'I' && t[3] == 'C') {
            printf("acpi: madt checksum ok %s, local APIC %x, flags %x\n", yes(sum(t, len) == 0),
                   *(const u32 *)(t + 36), *(const u32 *)(t + 40));
            for (u32 o = 44; o < len; o += t[o + 1]) {
                const u8 *e = t + o;
                if (e[0] == 0) printf("acpi: madt local APIC uid %u id %u flags %u\n", e[2], e[3], e[4]);
                if (e[0] == 1) {
                    madt_ioapic_id = e[2];
                    printf("acpi: madt I/O APIC id %u address %x gsi base %u\n", e[2], *(const u32 *)(e + 4),
                           *(const u32 *)(e + 8));
                }
                if (e[0] == 2 && e[3] == 0)
                    printf("acpi: madt override: ISA IRQ 0 -> GSI %u flags %w\n", *(const u32 *)(e + 4),
                           *(const u16 *)(e + 8));
                if (e[0] == 4) printf("acpi: madt NMI: processors %b flags %w LINT%u\n", e[2], *(const u16 *)(e + 3), e[5]);
            }
        }
        if (t[0] == 'H' && t[1] == 'P' && t[2] == 'E' && t[3] == 'T') hpet_table = t;
    }
    if (hpet_table) {
        const u8 *t = hpet_table;
        printf("acpi: hpet table length %u checksum ok %s: block id %x, address space %u width %u offset %u access %u, "
               "base %x, number %u, min tick %u, page protection %u\n",
               *(const u32 *)(t + 4), yes(sum(t, *(const u32 *)(t + 4)) == 0), *(const u32 *)(t + 36), t[40], t[41],
               t[42], t[43], *(const u32 *)(t + 44), t[52], *(const u16 *)(t + 53), t[55]);
    } else {
        printf("acpi: no HPET table\n");
    }
}

static void probe_mp(void) {
    const u8 *mpf = find_sig(0xF0000, 0x100000, 0x5F504D5F, 0);  /* "_MP_" */
    if (!mpf) {
        printf("mp: no floating pointer\n");
        return;
    }
    const u8 *mpc = (const u8 *)*(const u32 *)(mpf + 4);
    printf("mp: spec revision 1.%u, checksums ok %s %s\n", mpf[9], yes(sum(mpf, 16) == 0),
           yes(sum(mpc, *(const u16 *)(mpc + 4)) == 0));
    u32 count = *(const u16 *)(mpc + 34), cpus = 0;
    int isa_bus = -1;
    const u8 *e = mpc + 44;
    for (u32 k = 0; k < count; ++k) {
        if (e[0] == 0) ++cpus;
        if (e[0] == 1 && e[2] == 'I' && e[3] == 'S' && e[4] == 'A') isa_bus = e[1];
        if (e[0] == 2) {
            mp_ioapic_id = e[1];
            printf("mp: I/O APIC id %u version %b flags %u address %x\n", e[1], e[2], e[3], *(const u32 *)(e + 4));
        }
        if (e[0] == 3 && e[1] == 0 && e[4] == isa_bus && e[5] == 0)
            printf("mp: ISA IRQ 0 -> I/O APIC %u pin %u\n", e[6], e[7]);
        e += e[0] == 0 ? 20 : 8;
    }
    (void)cpus;  /* SeaBIOS lists the CPUs it saw start, which is not always all of them */
}

static void probe_apics(void) {
    u32 id = ioapic_reg(0), ver = ioapic_reg(1), arb = ioapic_reg(2);
    printf("ioapic: id %x version %x arbitration %x\n", id, ver, arb);
    u32 lo0 = ioapic_reg(0x10), hi0 = ioapic_reg(0x11), same = 1;
    for (u8 p = 1; p < 24; ++p) same &= ioapic_reg((u8)(0x10 + 2 * p)) == lo0 && ioapic_reg((u8)(0x11 + 2 * p)) == hi0;
    printf("ioapic: redirection entries %x %x, all 24 alike %s\n", hi0, lo0, yes(same));
    u32 reg3 = ioapic_reg(3), past = ioapic_reg(0x40);
    mmio_write(IOAPIC_BASE, 0x3F);
    printf("ioapic: register 3 %x, past the table %x, IOREGSEL reads %x\n", reg3, past, mmio_read(IOAPIC_BASE));
    printf("ioapic: id register %u = madt %d = mp %d: %s\n", id >> 24, madt_ioapic_id, mp_ioapic_id,
           yes((int)(id >> 24) == madt_ioapic_id && madt_ioapic_id == mp_ioapic_id));
    printf("lapic: id %x version %x tpr %x ldr %x dfr %x svr %x\n", lapic_read(0x20), lapic_read(0x30),
           lapic_read(0x80), lapic_read(0xD0), lapic_read(0xE0), lapic_read(0xF0));
    printf("lapic: lvt timer %x thermal %x perf %x lint0 %x lint1 %x error %x\n", lapic_read(0x320), lapic_read(0x330),
           lapic_read(0x340), lapic_read(0x350), lapic_read(0x360), lapic_read(0x370));
}

/* ---- HPET ---- */

#define HPET 0xFED00000u
static u32 hpet_rd(u32 off) { return mmio_read(HPET + off); }
static void hpet_wr(u32 off, u32 v) { mmio_write(HPET + off, v); }
static u64 hpet_counter(void) {
    u32 hi, lo;
    do {
        hi = hpet_rd(0xF4);
        lo = hpet_rd(0xF0);
    } while (hi != hpet_rd(0xF4));
    return (u64)hi << 32 | lo;
}
#define TCONF(n) (0x100 + 0x20 * (n))
#define TCMP(n) (0x108 + 0x20 * (n))
#define INT_LEVEL (1u << 1)
#define INT_ENB (1u << 2)
#define PERIODIC (1u << 3)
#define VAL_SET (1u << 6)

#define VEC_HPET0 0x50
#define VEC_HPET1 0x51
#define VEC_HPET2 0x52
static volatile u32 hpet_fired[3], level_status, status_after;
static volatile u64 fire_counter[3];
static void on_hpet(u32 v) {
    unsigned n = v - VEC_HPET0;
    fire_counter[n] = hpet_counter();
    hpet_fired[n] = hpet_fired[n] + 1;
    if (n == 0 && hpet_fired[0] == 3 && (hpet_rd(TCONF(0)) & PERIODIC)) hpet_wr(TCONF(0), 0);  /* the third period: stop */
    if (n == 2) {
        level_status = hpet_rd(0x20);
        hpet_wr(0x20, 1u << 2);  /* write 1 to clear: the line falls */
        status_after = hpet_rd(0x20);
    }
    lapic_eoi();
}

/* Waits with interrupts on until `n` interrupts or 100 ms of HPET time. */
/* Waits until the timer has fired n times, at most 1 s of the counter: QEMU's
 * HPET runs in host time, and on a loaded host its periodic callback can run
 * late and merge matches, so a short bound cut the count there (2 of 3). */
static void hpet_wait(unsigned timer, u32 n) {
    u64 until = hpet_counter() + 100000000;
    while (hpet_fired[timer] < n && hpet_counter() < until) __asm__ volatile("sti; nop; cli" ::: "memory");
}

static void probe_hpet(void) {
    printf("hpet: capabilities %x period %u fs, config %x, status %x\n", hpet_rd(0), hpet_rd(4), hpet_rd(0x10),
           hpet_rd(0x20));
    for (unsigned n = 0; n < 4; ++n)
        printf("hpet: timer %u config %x %x comparator %x %x\n", n, hpet_rd(TCONF(n) + 4), hpet_rd(TCONF(n)),
               hpet_rd(TCMP(n) + 4), hpet_rd(TCMP(n)));
    u64 c0 = hpet_counter();
    for (volatile int k = 0; k < 20000; ++k) {}
    int halted = hpet_counter() == c0;
    hpet_wr(0xF0, 0x1234), hpet_wr(0xF4, 5);
    int written = hpet_counter() == 0x500001234ull;
    hpet_wr(0xF0, 0), hpet_wr(0xF4, 0);
    hpet_wr(0x10, 1);
    c0 = hpet_counter();
    for (volatile int k = 0; k < 20000; ++k) {}
    int runs = hpet_counter() > c0;
    hpet_wr(0x10, 0);
    c0 = hpet_counter();
    for (volatile int k = 0; k < 20000; ++k) {}
    printf("hpet: counter halted while disabled %s, takes a write %s, counts when enabled %s, stops again %s\n",
           yes(halted), yes(written), yes(runs), yes(hpet_counter() == c0));
    hpet_wr(0x10, 0xFFFFFFFF);
    u32 gen = hpet_rd(0x10);
    hpet_wr(0x10, 0);
    hpet_wr(TCONF(1), 0xFFFFFFFF);
    u32 t1 = hpet_rd(TCONF(1));
    hpet_wr(TCONF(1), 0);
    hpet_wr(0, 0);
    printf("hpet: writable bits: config %x, timer config %x; capabilities after a write %x\n", gen, t1, hpet_rd(0));

    /* Legacy replacement: timer 0 is IRQ 0 (I/O APIC pin 2), timer 1 IRQ 8 (pin 8). */
    for (unsigned n = 0; n < 3; ++n) set_handler(VEC_HPET0 + n, on_hpet);
    ioapic_route(2, VEC_HPET0, 0, 0);
    ioapic_route(8, VEC_HPET1, 0, 0);
    hpet_wr(0xF0, 0), hpet_wr(0xF4, 0);
    hpet_wr(0x10, 3);  /* enabled, legacy replacement */
    for (unsigned n = 0; n < 2; ++n) {
        u64 cmp = hpet_counter() + 20000;  /* 200 us */
        hpet_wr(TCMP(n), (u32)cmp), hpet_wr(TCMP(n) + 4, (u32)(cmp >> 32));
        hpet_wr(TCONF(n), INT_ENB);
        hpet_wait(n, 1);
        u64 later = fire_counter[n] + 40000;
        while (hpet_counter() < later) {}
        __asm__ volatile("sti; nop; cli" ::: "memory");
        printf("hpet: timer %u one-shot through pin %u: fired %u time(s), at or after the comparator %s\n", n,
               n ? 8 : 2, hpet_fired[n], yes(fire_counter[n] >= cmp));
        hpet_wr(TCONF(n), 0);
    }
    /* Periodic timer 0: the comparator moves on by the period at each match.
     * Programmed with the counter stopped, so that no match can fall between
     * the writes (the first one also sets the period, QEMU runs in real time). */
    hpet_fired[0] = 0;
    u32 period = 100000;  /* 1 ms */
    hpet_wr(0x10, 2);
    u64 first = hpet_counter() + period;
    hpet_wr(TCONF(0), INT_ENB | PERIODIC | VAL_SET);
    hpet_wr(TCMP(0), (u32)first), hpet_wr(TCMP(0) + 4, (u32)(first >> 32));
    hpet_wr(TCMP(0), period);  /* without VAL_SET: the period only */
    hpet_wr(0x10, 3);
    hpet_wait(0, 3);
    u64 cmp = (u64)hpet_rd(TCMP(0) + 4) << 32 | hpet_rd(TCMP(0));
    /* How many periods the comparator has moved is not printed: the
     * specification says one per match (switchyard: 3 here), QEMU 7.2 moves
     * it only once its timer callback sees the counter past it (2 or 3).
     * Nor the exact count: a fourth match can come before the printf. */
    printf("hpet: timer 0 periodic: fired at least 3 times %s, comparator moved by whole periods %s\n",
           yes(hpet_fired[0] >= 3), yes(cmp > first && (u32)(cmp - first) % period == 0));
    /* Level-triggered timer 2 on its own route (pin 2; the legacy routes stay
     * on so the PIT does not drive pin 2): status bit 2 set until cleared. */
    ioapic_route(2, VEC_HPET2, IOAPIC_LEVEL, 0);
    u64 cmp2 = hpet_counter() + 20000;
    hpet_wr(TCMP(2), (u32)cmp2), hpet_wr(TCMP(2) + 4, (u32)(cmp2 >> 32));
    hpet_wr(TCONF(2), INT_ENB | INT_LEVEL | (2u << 9));
    hpet_wait(2, 1);
    printf("hpet: timer 2 level-triggered through pin 2: fired %u, status %x, after writing 1 %x\n", hpet_fired[2],
           level_status, status_after);
    hpet_wr(TCONF(2), 0);
    hpet_wr(0x10, 0);
    ioapic_route(2, VEC_HPET0, IOAPIC_MASKED, 0);
    ioapic_route(8, VEC_HPET1, IOAPIC_MASKED, 0);
}

/* ---- the text screen ---- */

static const char *const rows[] = {
    "switchyard pcprobe: the VGA text buffer at B8000",
    "",
    "  80 columns x 25 rows, a character and an attribute per cell",
    "",
    "  Box: \xC9\xCD\xCD\xCD\xBB  shades: \xB0\xB1\xB2\xDB",
};
#define NROWS (sizeof rows / sizeof rows[0])

static void fill_screen(void) {
    volatile u16 *cell = (volatile u16 *)0xB8000;
    for (int i = 0; i < 80 * 25; ++i) cell[i] = 0x0720;
    for (unsigned r = 0; r < NROWS; ++r)
        for (unsigned c = 0; rows[r][c]; ++c) cell[r * 80 + c] = (u16)(0x1F00 | (u8)rows[r][c]);
    const char *last = "last row, last column ->";
    unsigned len = 0;
    while (last[len]) ++len;
    for (unsigned c = 0; c < len; ++c) cell[24 * 80 + 79 - len + c] = (u16)(0x4E00 | (u8)last[c]);
    cell[24 * 80 + 79] = 0x0758;  /* 'X' in the very last cell */
    /* The cursor under "VGA" of row 0, through the CRT controller. */
    u16 loc = 45;
    crtc_write(0x0E, (u8)(loc >> 8));
    crtc_write(0x0F, (u8)loc);
    printf("vga: cursor location %w, start %b end %b (reads back %b %b)\n", crtc(0x0E) << 8 | crtc(0x0F), crtc(0x0A),
           crtc(0x0B), crtc(0x0E), crtc(0x0F));
    /* What the screen shows, for system_pcprobe_screen: every row, read back
     * from the buffer, trailing blanks dropped. */
    for (unsigned r = 0; r < 25; ++r) {
        char line[81];
        int n = 0, keep = 0;
        for (unsigned c = 0; c < 80; ++c) {
            u8 ch = (u8)cell[r * 80 + c];
            line[n++] = (char)ch;
            if (ch != ' ') keep = n;
        }
        line[keep] = 0;
        printf("screen %u%u:%s\n", r / 10, r % 10, line);
    }
}

void ap_main(unsigned id) { (void)id; }

void kmain(u32 magic, u32 info) {
    (void)info;
    serial_init(0xC7);
    if (magic != 0x2BADB002) panic("not booted by a Multiboot loader");
    idt_init();
    idt_load();
    probe_bda();
    probe_timers_at_handoff();
    probe_realmode();
    probe_vga_registers();
    probe_vga_dac();
    probe_vga_memory();
    probe_kbc();
    probe_ata();
    probe_acpi();
    probe_mp();
    probe_apics();
    lapic_enable();
    pic_mask_all();
    probe_kbc_irqs();
    probe_hpet();
    fill_screen();
    exit(0x10);
}
