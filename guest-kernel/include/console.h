/* The serial console (COM1, 16550A; drivers/serial.c) and the terminal line
 * discipline on top of it (drivers/tty.c). */
#ifndef _CONSOLE_H
#define _CONSOLE_H
#include "spinlock.h"
#include "types.h"

void serial_init(void);
void serial_putc(char c); /* polled; caller holds console_lock */
void serial_enable_rx_irq(void);
void serial_set_loopback(bool on);
extern spinlock_t console_lock;
void console_write(const char *s, size_t n); /* takes console_lock */

/* Receive side: characters from the interrupt handler are edited into lines
 * (echo, backspace); read() sleeps until a whole line is there. */
void tty_receive_char(char c); /* interrupt context */
long tty_read(char *kbuf, size_t n); /* sleeps; returns bytes of one line at most */
void tty_set_echo(bool on);
unsigned long tty_chars_received(void);
void serial_interrupt(void);

#endif
