/* sleeper: sleeps on its local APIC timer "ticks=N" times (default 5), each
 * time a one-shot of "count=C" (default 100000) at divide 1, waiting in
 * sti; hlt, then exits with (0x24 << 1) | 1 = 73.
 *
 * system_lapic_sleep_no_idle_insns runs it with two counts 1000 times apart
 * and requires the same instruction count (--stats): a halted CPU jumps to its
 * timer's expiry instead of executing anything while it waits. */
#include "kernel.h"

#define VEC_TIMER 0x50

static volatile u32 fired;
static void on_timer(u32 v) {
    (void)v;
    fired = fired + 1;
    lapic_eoi();
}

void ap_main(unsigned id) { (void)id; }

void kmain(u32 magic, u32 info) {
    serial_init(0xC7);
    if (magic != 0x2BADB002) panic("not booted by a Multiboot loader");
    u32 ticks = cmdline_number(info, "ticks", 5), count = cmdline_number(info, "count", 100000);
    idt_init();
    set_handler(VEC_TIMER, on_timer);
    idt_load();
    lapic_enable();
    pic_mask_all();
    lapic_write(LAPIC_TIMER_DIV, 0xB);  /* divide by 1 */
    for (u32 k = 1; k <= ticks; ++k) {
        lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
        lapic_write(LAPIC_TIMER_INIT, count);
        while (fired < k) sti_hlt();
    }
    printf("slept %u ticks\n", fired);
    exit(0x24);
}
