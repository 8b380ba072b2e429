/* COM1, a 16550A UART (PC16550D datasheet): the kernel console.
 * Output is polled (wait for THRE, write THR); input arrives by interrupt:
 * IER.ERBFI raises IRQ 4, which the I/O APIC delivers to the boot CPU
 * (ISA_IRQ_VECTOR(4)), and serial_interrupt() hands each byte to the tty. */
#include "console.h"
#include "processor.h"

#define COM1 0x3f8
#define UART_RX 0  /* receive buffer (read) */
#define UART_TX 0  /* transmit holding (write) */
#define UART_IER 1 /* interrupt enable */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_MCR_LOOP 0x10

DEFINE_SPINLOCK(console_lock);

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x80); /* DLAB: divisor follows */
    outb(COM1 + 0, 0x01);        /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + UART_LCR, 0x03); /* 8 data bits, no parity, 1 stop bit */
    /* The FIFOs stay off (16450 mode, one byte in the receive buffer): turning
     * them on clears them (datasheet 8.5), and input may already be streaming
     * in (typed ahead, or a file on an emulator's stdin), so whatever byte
     * arrived just before the FCR write would be lost. With one byte held and
     * an interrupt per byte, the emulators' flow control (they deliver the next
     * byte only when the receive buffer is free) loses nothing. */
    outb(COM1 + UART_FCR, 0x00);
    outb(COM1 + UART_MCR, 0x0b); /* DTR, RTS, OUT2 (the IRQ gate on a PC) */
}

void serial_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE)) cpu_relax();
    outb(COM1 + UART_TX, (u8)c);
}

void console_write(const char *s, size_t n)
{
    unsigned long flags = spin_lock_irqsave(&console_lock);
    for (size_t k = 0; k < n; ++k) serial_putc(s[k]);
    spin_unlock_irqrestore(&console_lock, flags);
}

void serial_enable_rx_irq(void) { outb(COM1 + UART_IER, 0x01); }

/* Loopback (MCR bit 4): what is transmitted is received (datasheet 8.8).
 * The self-test uses it to make real receive interrupts. */
void serial_set_loopback(bool on) { outb(COM1 + UART_MCR, on ? 0x1b : 0x0b); }

/* IRQ 4: drain the receiver. */
void serial_interrupt(void)
{
    while (inb(COM1 + UART_LSR) & UART_LSR_DR) tty_receive_char((char)inb(COM1 + UART_RX));
}
