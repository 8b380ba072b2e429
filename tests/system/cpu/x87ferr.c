/* x87ferr: the MS-DOS compatibility path for x87 errors (CR0.NE = 0; SDM Vol.
 * 1, 8.7.2 "MS-DOS compatibility sub-mode" and D.2.1 with Figure D-1). An
 * unmasked exception is pending (ES = 1); the next waiting instruction (FWAIT)
 * does not raise #MF but asserts FERR#, which the PC routes to IRQ13, and the
 * processor freezes before that instruction until the interrupt is taken. The
 * handler writes port F0h (clears the IRQ13 latch and asserts IGNNE#) and
 * FNCLEX clears ES, which drops FERR# and with it IGNNE#; FWAIT then runs.
 * Without the FNCLEX, IGNNE# stays asserted and the FWAIT runs although ES is
 * still set.
 *
 * The expected output is written from those sections, not taken from QEMU:
 * QEMU 7.2 aborts (an assertion in tcg_handle_interrupt) when an FWAIT raises
 * its FERR interrupt. */
#include "lib.h"

static volatile int irq13_count, mf_count;
static volatile int handler_clears;  /* the handler executes FNCLEX */

static u16 fsw(void) {
    u16 s;
    __asm__ volatile("fnstsw %0" : "=m"(s));
    return s & 0x80FF;  /* B, ES, SF and the flags */
}

static void on_irq13(struct trap_frame *f) {
    __asm__ volatile("outb %%al, $0xF0" ::"a"(0));
    if (handler_clears) __asm__ volatile("fnclex");
    __asm__ volatile("outb %%al, $0xA0\n\toutb %%al, $0x20" ::"a"(0x20));  /* EOI: slave, master */
    ++irq13_count;
    printk("ok: IRQ13 (FERR#) %d, fsw %x after the handler's work\n", irq13_count, fsw());
    (void)f;
}
static void on_mf(struct trap_frame *f) {
    ++mf_count;
    __asm__ volatile("fnclex");
    (void)f;
}

static void pic_init(void) {
    static const u8 seq[][2] = {{0x20, 0x11}, {0xA0, 0x11}, {0x21, 0x20}, {0xA1, 0x28},
                                {0x21, 0x04}, {0xA1, 0x02}, {0x21, 0x01}, {0xA1, 0x01},
                                {0x21, 0xFB}, {0xA1, 0xDF}};  /* only IRQ2 (cascade) and IRQ13 */
    for (unsigned k = 0; k < sizeof seq / sizeof seq[0]; ++k)
        __asm__ volatile("outb %0, %w1" ::"a"(seq[k][1]), "Nd"((u16)seq[k][0]));
}

/* 1/0 with ZE unmasked: ZE and ES pending, the stack kept. */
static void divide_by_zero(void) {
    u16 cw = 0x037B;
    __asm__ volatile("fninit\n\tfldcw %0\n\tfld1\n\tfldz\n\tfdivrp" ::"m"(cw));
}

void kmain(void) {
    set_trap_handler(0x2D, on_irq13);
    set_trap_handler(16, on_mf);
    pic_init();
    WRITE_CR(0, READ_CR(0) & ~(1ull << 5));
    printk("ok: cr0.ne %lu, IRQ13 unmasked at the PIC\n", (READ_CR(0) >> 5) & 1);

    handler_clears = 1;
    divide_by_zero();
    printk("ok: pending: fsw %x, IRQ13 %d\n", fsw(), irq13_count);
    __asm__ volatile("sti\n\tfwait\n\tcli" ::: "memory");
    printk("ok: fwait ran after the interrupt: IRQ13 %d, #MF %d, fsw %x\n", irq13_count, mf_count, fsw());

    /* IGNNE#: the handler leaves ES set; the restarted FWAIT ignores it. */
    handler_clears = 0;
    divide_by_zero();
    __asm__ volatile("sti\n\tfwait\n\tfwait\n\tcli" ::: "memory");
    printk("ok: with IGNNE# asserted two fwaits ran: IRQ13 %d, #MF %d, fsw %x\n", irq13_count, mf_count, fsw());
    __asm__ volatile("fnclex");  /* FERR# and IGNNE# drop */

    /* And the next error freezes again. */
    handler_clears = 1;
    divide_by_zero();
    __asm__ volatile("sti\n\tfwait\n\tcli" ::: "memory");
    printk("ok: after fnclex the next error interrupts again: IRQ13 %d, #MF %d\n", irq13_count, mf_count);

    WRITE_CR(0, READ_CR(0) | (1ull << 5));
    divide_by_zero();
    __asm__ volatile("fwait");
    printk("ok: cr0.ne 1 again: #MF %d, IRQ13 %d\n", mf_count, irq13_count);
    exit_qemu(0x10);
}
