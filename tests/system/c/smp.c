/* smp: AP start-up and IPIs through the local APICs.
 *
 * The BSP reads the CPU count from fw_cfg, takes a self IPI, then starts the
 * APs one at a time with INIT-SIPI-SIPI (the trampoline at 0x7000 takes each
 * to protected mode; it reports under the console lock). Then, one AP at a
 * time, a fixed IPI (vector 0x40) and an NMI; last, a broadcast to all but
 * self (vector 0x42) that every AP counts. The BSP waits for each step, so the
 * output order is fixed on any emulator. Exits with (0x20 << 1) | 1 = 65. */
#include "kernel.h"

#define VEC_FIXED 0x40
#define VEC_SELF 0x41
#define VEC_BROADCAST 0x42

static volatile u32 fixed_seen, nmi_seen, self_seen, broadcast_count;

static unsigned my_id(void) { return lapic_read(LAPIC_ID) >> 24; }

static void on_fixed(u32 v) {
    lprintf("cpu%u: fixed IPI, vector %x\n", my_id(), v);
    fixed_seen = my_id();
    lapic_eoi();
}

static void on_nmi(u32 v) {
    (void)v;
    lprintf("cpu%u: NMI\n", my_id());
    nmi_seen = my_id();
}

static void on_self(u32 v) {
    lprintf("cpu%u: self IPI, vector %x\n", my_id(), v);
    self_seen = 1;
    lapic_eoi();
}

static void on_broadcast(u32 v) {
    (void)v;
    atomic_inc(&broadcast_count);
    lapic_eoi();
}

void ap_main(unsigned id) {
    idt_load();
    lapic_enable();
    lprintf("cpu%u: up in protected mode, APIC ID %u\n", id, my_id());
    ap_started(id);
    for (;;) sti_hlt();
}

void kmain(u32 magic, u32 info) {
    (void)info;
    serial_init(0xC7);
    if (magic != 0x2BADB002) panic("not booted by a Multiboot loader");
    idt_init();
    set_handler(2, on_nmi);
    set_handler(VEC_FIXED, on_fixed);
    set_handler(VEC_SELF, on_self);
    set_handler(VEC_BROADCAST, on_broadcast);
    idt_load();
    lapic_enable();
    pic_mask_all();
    unsigned n = fw_cfg_cpu_count();
    printf("smp: %u CPU(s), BSP APIC ID %u\n", n, my_id());

    lapic_send_ipi(0, ICR_SELF | ICR_FIXED | VEC_SELF);
    __asm__ volatile("sti; nop; cli");  /* take it */
    if (!self_seen) panic("self IPI not delivered");

    for (unsigned id = 1; id < n; ++id) start_ap(id);
    for (unsigned id = 1; id < n; ++id) {
        lapic_send_ipi(id, ICR_FIXED | VEC_FIXED);
        while (fixed_seen != id) cpu_relax();
        lapic_send_ipi(id, ICR_NMI);
        while (nmi_seen != id) cpu_relax();
    }
    if (n > 1) {
        lapic_send_ipi(0, ICR_ALL_BUT_SELF | ICR_FIXED | VEC_BROADCAST);
        while (broadcast_count != n - 1) cpu_relax();
        printf("cpu0: broadcast IPI reached %u AP(s)\n", broadcast_count);
    }
    printf("smp: done\n");
    exit(0x20);
}
