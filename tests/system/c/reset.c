/* reset: resets the machine and comes back. On the first boot it leaves a
 * mark in RAM at 3 MiB (outside the kernel image, which the loader writes
 * again) and resets the machine the way "via=" on the command line says:
 * "kbc" (default) pulses the reset line with command FEh to the keyboard
 * controller, "outport" writes its output port with bit 0 clear (D1h), "92"
 * sets bit 0 of port 0x92. A reset reboots, as under QEMU: the kernel is
 * loaded and started again, finds the mark, prints what it saw and exits with
 * (0x25 << 1) | 1 = 75. With -no-reboot the run ends at the reset instead
 * (status 0 under QEMU and switchyard). */
#include "kernel.h"

#define MARK_ADDR 0x300000u
#define MARK 0x52534554u  /* "TESR" */

void ap_main(unsigned id) { (void)id; }

void kmain(u32 magic, u32 info) {
    serial_init(0xC7);
    if (magic != 0x2BADB002) panic("not booted by a Multiboot loader");
    volatile u32 *mark = (volatile u32 *)MARK_ADDR;
    if (*mark == MARK) {
        *mark = 0;
        printf("second boot: loaded again after the reset; A20 %s, keyboard controller status %b\n",
               inb(0x92) & 2 ? "on" : "off", inb(0x64));
        exit(0x25);
    }
    *mark = MARK;
    if (cmdline_is(info, "via", "92")) {
        printf("first boot: reset through port 0x92 bit 0\n");
        outb(0x92, inb(0x92) | 1);
    } else if (cmdline_is(info, "via", "outport")) {
        printf("first boot: reset through the keyboard controller's output port (D1h, bit 0 clear)\n");
        outb(0x64, 0xD1);
        outb(0x60, 0xCE);
    } else {
        printf("first boot: reset through the keyboard controller (command FEh)\n");
        outb(0x64, 0xFE);
    }
    for (;;) __asm__ volatile("cli; hlt");
}
