/* The line discipline of the console (like xv6's console.c, and Linux's
 * n_tty in canonical mode): received characters are echoed and edited into
 * lines in a ring buffer; read() sleeps until a whole line is there.
 *
 *   buf[r .. w)  complete lines, waiting for read()
 *   buf[w .. e)  the line being typed (backspace edits it)
 */
#include "console.h"
#include "sched.h"
#include "wait.h"

#define TTY_BUF 1024

static struct {
    spinlock_t lock;
    char buf[TTY_BUF];
    unsigned long r, w, e;
    bool echo;
    unsigned long received;
} tty = {SPINLOCK_INIT("tty.lock"), {0}, 0, 0, 0, true, 0};
static DECLARE_WAIT_QUEUE_HEAD(tty_wait);

static void echo(char c)
{
    if (!tty.echo) return;
    __spin_lock(&console_lock); /* interrupts are off: tty.lock is held */
    if (c == '\b') {
        serial_putc('\b');
        serial_putc(' ');
    }
    serial_putc(c);
    __spin_unlock(&console_lock);
}

/* Called by the serial interrupt handler for each received byte. */
void tty_receive_char(char c)
{
    unsigned long flags = spin_lock_irqsave(&tty.lock);
    tty.received++;
    if (c == '\r') c = '\n';
    if (c == 0x7f || c == '\b') {
        if (tty.e != tty.w) {
            tty.e--;
            echo('\b');
        }
    } else if (c && tty.e - tty.r < TTY_BUF) {
        tty.buf[tty.e++ % TTY_BUF] = c;
        echo(c);
        if (c == '\n' || tty.e - tty.r == TTY_BUF) {
            tty.w = tty.e;
            wake_up(&tty_wait);
        }
    }
    spin_unlock_irqrestore(&tty.lock, flags);
}

/* Copies at most n bytes of the next line (with its '\n') to kbuf. Sleeps
 * while there is no complete line: a voluntary context switch. */
long tty_read(char *kbuf, size_t n)
{
    unsigned long flags;
    for (;;) {
        wait_event(tty_wait, READ_ONCE(tty.r) != READ_ONCE(tty.w), "read");
        flags = spin_lock_irqsave(&tty.lock);
        if (tty.r != tty.w) break; /* another reader took the line */
        spin_unlock_irqrestore(&tty.lock, flags);
    }
    size_t k = 0;
    while (k < n && tty.r != tty.w) {
        char c = tty.buf[tty.r++ % TTY_BUF];
        kbuf[k++] = c;
        if (c == '\n') break;
    }
    spin_unlock_irqrestore(&tty.lock, flags);
    return (long)k;
}

void tty_set_echo(bool on) { tty.echo = on; }
unsigned long tty_chars_received(void) { return READ_ONCE(tty.received); }
