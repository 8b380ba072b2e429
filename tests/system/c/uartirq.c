/* uartirq: COM1 input by interrupt through the I/O APIC.
 *
 * The 8259As are masked; I/O APIC pin 4 (COM1's IRQ) is routed edge-triggered
 * to the BSP at vector 0x24 and the UART's receive-data interrupt is enabled
 * (IER bit 0, FIFOs off so every byte interrupts). The handler drains the
 * receiver; the main loop only halts. Each line comes back upper-cased as
 * "> LINE"; "quit" ends the run with (0x23 << 1) | 1 = 71. */
#include "kernel.h"

#define VEC_COM1 0x24

static char line[64];
static unsigned len;

static void on_com1(u32 v) {
    (void)v;
    while (inb(COM1 + 5) & 0x01) {  /* LSR.DR */
        char c = (char)inb(COM1);
        if (c == '\r') continue;
        if (c != '\n') {
            if (c >= 'a' && c <= 'z') c = (char)(c - 0x20);
            if (len < sizeof line - 1) line[len++] = c;
            continue;
        }
        line[len] = 0;
        len = 0;
        if (line[0] == 'Q' && line[1] == 'U' && line[2] == 'I' && line[3] == 'T' && !line[4]) {
            printf("bye\n");
            exit(0x23);
        }
        printf("> %s\n", line);
    }
    lapic_eoi();
}

void ap_main(unsigned id) { (void)id; }

void kmain(u32 magic, u32 info) {
    (void)info;
    serial_init(0x00);  /* FIFOs off: keep what arrived before we started */
    if (magic != 0x2BADB002) panic("not booted by a Multiboot loader");
    idt_init();
    set_handler(VEC_COM1, on_com1);
    idt_load();
    lapic_enable();
    pic_mask_all();
    ioapic_route(4, VEC_COM1, 0, 0);
    printf("ready\n");
    outb(COM1 + 1, 0x01);  /* IER: received data available */
    for (;;) sti_hlt();
}
