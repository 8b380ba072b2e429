/* The support routines of kernel.h. */
#include "kernel.h"

#include <stdarg.h>

/* ---- consoles ---- */

void serial_init(u8 fcr) {
    outb(COM1 + 1, 0x00);  /* IER: no interrupts */
    outb(COM1 + 3, 0x80);  /* DLAB */
    outb(COM1 + 0, 0x01);  /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);  /* 8N1 */
    outb(COM1 + 2, fcr);
    outb(COM1 + 4, 0x0B);  /* DTR, RTS, OUT2 */
}

void putc(char c) {
    outb(0xE9, (u8)c);
    while (!(inb(COM1 + 5) & 0x20)) {}  /* THRE */
    outb(COM1, (u8)c);
}

void puts(const char *s) {
    while (*s) putc(*s++);
}

/* v / base, remainder in *rem, with 32-bit DIVs only (there is no 32-bit
 * libgcc for __udivdi3): the high half first, then remainder:low, which
 * cannot overflow because the remainder is below the base. */
static u64 divmod(u64 v, u32 base, u32 *rem) {
    u32 hi = (u32)(v >> 32), lo = (u32)v, qhi = hi / base, r = hi % base, qlo;
    __asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(base));
    *rem = r;
    return ((u64)qhi << 32) | qlo;
}

static void put_unsigned(u64 v, unsigned base, int width) {
    char buf[24];
    int n = 0;
    do {
        u32 digit;
        v = divmod(v, base, &digit);
        buf[n++] = "0123456789abcdef"[digit];
    } while (v || n < width);
    while (n) putc(buf[--n]);
}

static void vprintf(const char *fmt, va_list ap) {
    for (; *fmt; ++fmt) {
        if (*fmt != '%') {
            putc(*fmt);
            continue;
        }
        switch (*++fmt) {
        case 's': puts(va_arg(ap, const char *)); break;
        case 'c': putc((char)va_arg(ap, int)); break;
        case 'u': put_unsigned(va_arg(ap, u32), 10, 1); break;
        case 'd': {
            int v = va_arg(ap, int);
            if (v < 0) { putc('-'); v = -v; }
            put_unsigned((u32)v, 10, 1);
            break;
        }
        case 'x': puts("0x"); put_unsigned(va_arg(ap, u32), 16, 8); break;
        case 'b': put_unsigned(va_arg(ap, u32) & 0xFF, 16, 2); break;     /* a byte: two hex digits */
        case 'w': put_unsigned(va_arg(ap, u32) & 0xFFFF, 16, 4); break;   /* a word: four */
        case 'l':  /* %llu */
            fmt += 2;
            put_unsigned(va_arg(ap, u64), 10, 1);
            break;
        default: putc('%'); putc(*fmt); break;
        }
    }
}

void printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static volatile u32 console_lock;

static void lock(volatile u32 *l) {
    u32 v;
    for (;;) {
        v = 1;
        __asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(*l) :: "memory");
        if (!v) return;
        while (*l) cpu_relax();
    }
}

static void unlock(volatile u32 *l) { __asm__ volatile("movl $0, %0" : "=m"(*l) :: "memory"); }

void lprintf(const char *fmt, ...) {
    va_list ap;
    lock(&console_lock);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    unlock(&console_lock);
}

void exit(u8 v) {
    outb(0xF4, v);
    for (;;) __asm__ volatile("cli; hlt");
}

void panic(const char *msg) {
    printf("PANIC: %s\n", msg);
    exit(0x7F);
}

int cmdline_has(u32 mb_info, const char *word) {
    const u32 *info = (const u32 *)mb_info;
    if (!(info[0] & (1u << 2))) return 0;
    const char *s = (const char *)info[4];
    while (*s) {
        const char *w = word, *t = s;
        while (*w && *t == *w) ++w, ++t;
        if (!*w && (*t == ' ' || !*t) && (s == (const char *)info[4] || s[-1] == ' ')) return 1;
        ++s;
    }
    return 0;
}

/* The value after "key=" on the command line (a whole word), or 0 if absent. */
static const char *cmdline_value(u32 mb_info, const char *key) {
    const u32 *info = (const u32 *)mb_info;
    if (!(info[0] & (1u << 2))) return 0;
    const char *start = (const char *)info[4];
    for (const char *s = start; *s; ++s) {
        if (s != start && s[-1] != ' ') continue;
        const char *k = key, *t = s;
        while (*k && *t == *k) ++k, ++t;
        if (!*k && *t == '=') return t + 1;
    }
    return 0;
}

u32 cmdline_number(u32 mb_info, const char *key, u32 dflt) {
    const char *t = cmdline_value(mb_info, key);
    if (!t) return dflt;
    u32 v = 0;
    for (; *t >= '0' && *t <= '9'; ++t) v = v * 10 + (u32)(*t - '0');
    return v;
}

int cmdline_is(u32 mb_info, const char *key, const char *value) {
    const char *t = cmdline_value(mb_info, key);
    if (!t) return 0;
    while (*value && *t == *value) ++value, ++t;
    return !*value && (!*t || *t == ' ');
}

/* ---- the IDT ---- */

extern char isr_stubs[];
static u64 idt[256];
static handler_fn handlers[256];
static struct __attribute__((packed)) { u16 limit; u32 base; } idtr = {sizeof idt - 1, (u32)idt};

void idt_init(void) {
    for (u32 v = 0; v < 256; ++v) {
        u32 off = (u32)isr_stubs + 16 * v;
        /* 32-bit interrupt gate, DPL 0, present, selector 0x08 (SDM 6.11). */
        idt[v] = (off & 0xFFFF) | (0x08u << 16) | ((u64)0x8E00 << 32) | ((u64)(off >> 16) << 48);
    }
}

void idt_load(void) { __asm__ volatile("lidt %0" : : "m"(idtr)); }

void set_handler(u32 vector, handler_fn fn) { handlers[vector] = fn; }

void interrupt_dispatch(u32 vector) {
    if (handlers[vector]) {
        handlers[vector](vector);
        return;
    }
    printf("PANIC: unexpected vector %u on APIC ID %u\n", vector, lapic_read(LAPIC_ID) >> 24);
    exit(0x7F);
}

/* ---- fw_cfg ---- */

unsigned fw_cfg_cpu_count(void) {
    outw(0x510, 0x05);  /* FW_CFG_NB_CPUS, little endian */
    unsigned lo = inb(0x511), hi = inb(0x511);
    return lo | hi << 8;
}

/* ---- APICs ---- */

void lapic_enable(void) { lapic_write(LAPIC_SVR, 0x1FF); }

void lapic_send_ipi(u32 dest, u32 icr_lo) {
    lapic_write(LAPIC_ICR_HI, dest << 24);
    lapic_write(LAPIC_ICR_LO, icr_lo);
    while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING) cpu_relax();
}

void ioapic_route(unsigned pin, u8 vector, u32 flags, u8 dest) {
    mmio_write(IOAPIC_BASE, 0x10 + 2 * pin + 1);
    mmio_write(IOAPIC_BASE + 0x10, (u32)dest << 24);
    mmio_write(IOAPIC_BASE, 0x10 + 2 * pin);
    mmio_write(IOAPIC_BASE + 0x10, vector | flags);
}

void pic_mask_all(void) {
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

/* ---- AP start-up (SDM Vol. 3A 8.4.4.1, MP spec B.4) ---- */

#define TRAMPOLINE 0x7000u
extern char ap_tramp_start[], ap_tramp_end[];
static volatile u32 ap_up = ~0u;

void ap_started(unsigned id) { ap_up = id; }

static void spin(unsigned n) {
    for (volatile unsigned k = 0; k < n; ++k) cpu_relax();
}

void start_ap(unsigned id) {
    u8 *dst = (u8 *)TRAMPOLINE;
    for (const char *s = ap_tramp_start; s != ap_tramp_end; ++s) *dst++ = (u8)*s;
    lapic_send_ipi(id, ICR_INIT | ICR_ASSERT);
    spin(100);  /* the 10 ms of the MP spec are for real hardware */
    for (int k = 0; k < 2; ++k) {
        lapic_send_ipi(id, ICR_STARTUP | ICR_ASSERT | (TRAMPOLINE >> 12));
        spin(100);
        if (ap_up == id) break;
    }
    for (unsigned k = 0; ap_up != id; ++k) {
        if (k == 100000000u) panic("an AP did not start");
        cpu_relax();
    }
}
