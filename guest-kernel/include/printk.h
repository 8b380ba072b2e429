/* Kernel messages on the serial console, and panic(). */
#ifndef _PRINTK_H
#define _PRINTK_H
#include "types.h"
#include <stdarg.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Stops every CPU, prints "Kernel panic - not syncing: <message>" and the
 * state of the CPU that panicked, and leaves through the exit device
 * (status PANIC_EXIT_CODE). */
__noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct pt_regs;
__noreturn void panic_regs(const struct pt_regs *regs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void show_regs(const struct pt_regs *regs);

#define BUG_ON(cond)                                                            \
    do {                                                                        \
        if (unlikely(cond)) panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
    } while (0)

#endif
