/* printer: prints "line N" on COM1 (and 0xE9), N = 1, 2, 3, ... forever, or,
 * with "lines=N" on the command line, N lines and then waits in sti; hlt with
 * every interrupt masked (8259s, I/O APIC, local APIC timer), which only a
 * signal or C-a x ends.
 *
 * system_sigterm_flush kills the endless version while it prints and checks
 * that everything it printed up to the signal was written; docs/machine.md
 * measures the host CPU time of the waiting version. */
#include "kernel.h"

void ap_main(unsigned id) { (void)id; }

void kmain(u32 magic, u32 info) {
    serial_init(0xC7);
    if (magic != 0x2BADB002) panic("not booted by a Multiboot loader");
    u32 lines = cmdline_number(info, "lines", 0);
    for (u32 n = 1; !lines || n <= lines; ++n) printf("line %u\n", n);
    printf("waiting\n");
    pic_mask_all();  /* the I/O APIC's entries are masked since reset, the LAPIC timer too */
    for (;;) sti_hlt();
}
