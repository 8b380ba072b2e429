/* The line discipline of the console (like xv6's console.c, and Linux's
 * n_tty in canonical mode): received characters are echoed and edited into
 * lines in a ring buffer; read() sleeps until a whole line is there.
 *
 *   buf[r .. w)  complete lines, waiting for read()
 *   buf[w .. e)  the line being typed (backspace edits it)
 *   buf[echoed .. e)  not echoed yet
 *
 * Echo happens when someone reads: a character is echoed as it arrives while
 * a reader waits for its line (no complete line is pending), and input typed ahead (or piped in) while no
 * one reads is echoed line by line as the reader takes it, so a transcript
 * shows each command after the prompt it answers. */
#include "console.h"
#include "sched.h"
#include "wait.h"

#define TTY_BUF 1024

static struct {
    spinlock_t lock;
    char buf[TTY_BUF];
    unsigned long r, w, e, echoed;
    int readers;
    bool echo;
    unsigned long received;
} tty = {SPINLOCK_INIT("tty.lock"), {0}, 0, 0, 0, 0, 0, true, 0};
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
            if (tty.echoed > tty.e) {
                tty.echoed = tty.e;
                echo('\b');
            }
        }
    } else if (c && tty.e - tty.r < TTY_BUF) {
        tty.buf[tty.e++ % TTY_BUF] = c;
        /* Only while the reader still waits for its line: once a line is
         * complete (w > r) the reader may not have taken it yet (woken, not
         * run: under QEMU the other CPU, or a loaded host, can delay it), and
         * what follows is typed ahead, echoed when the next read takes it. */
        if (tty.readers > 0 && tty.r == tty.w && tty.echoed == tty.e - 1) {
            echo(c);
            tty.echoed = tty.e;
        }
        if (c == '\n' || tty.e - tty.r == TTY_BUF) {
            tty.w = tty.e;
            wake_up(&tty_wait);
        }
    }
    spin_unlock_irqrestore(&tty.lock, flags);
}

/* Copies at most n bytes of the next line (with its '\n') to kbuf. Sleeps
 * while there is no complete line: a voluntary context switch. */
/* Echoes the typed-ahead input up to the end of its first line. tty.lock held. */
static void echo_pending_line(void)
{
    while (tty.echoed < tty.e) {
        char c = tty.buf[tty.echoed++ % TTY_BUF];
        echo(c);
        if (c == '\n') break;
    }
}

long tty_read(char *kbuf, size_t n)
{
    unsigned long flags = spin_lock_irqsave(&tty.lock);
    echo_pending_line();
    tty.readers++;
    spin_unlock_irqrestore(&tty.lock, flags);
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
    tty.readers--;
    spin_unlock_irqrestore(&tty.lock, flags);
    return (long)k;
}

void tty_set_echo(bool on) { tty.echo = on; }
unsigned long tty_chars_received(void) { return READ_ONCE(tty.received); }
