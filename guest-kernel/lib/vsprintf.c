/* vsnprintf and snprintf, shared by the kernel and the user programs. */
#include "lib.h"

/* vsnprintf: %d %i %u %x %lx %ld %lu %llx %p %s %c %%, width, '0' and '-'. */
struct outbuf {
    char *buf;
    size_t size, len;
};

static void put(struct outbuf *o, char c)
{
    if (o->len + 1 < o->size) o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct outbuf *o, unsigned long v, unsigned base, bool neg, int width, bool zero, bool left)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    int len = n + (neg ? 1 : 0);
    if (!left && !zero)
        for (; width > len; --width) put(o, ' ');
    if (neg) put(o, '-');
    if (!left && zero)
        for (; width > len; --width) put(o, '0');
    while (n) put(o, tmp[--n]);
    if (left)
        for (; width > len; --width) put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct outbuf o = {buf, size, 0};
    for (; *fmt; ++fmt) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        ++fmt;
        bool zero = false, left = false;
        int width = 0, longs = 0;
        for (;; ++fmt) {
            if (*fmt == '0') zero = true;
            else if (*fmt == '-') left = true;
            else break;
        }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') ++longs, ++fmt;
        switch (*fmt) {
        case 'd':
        case 'i': {
            long v = longs ? va_arg(ap, long) : va_arg(ap, int);
            put_num(&o, v < 0 ? -(unsigned long)v : (unsigned long)v, 10, v < 0, width, zero, left);
            break;
        }
        case 'u':
            put_num(&o, longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 10, false, width, zero, left);
            break;
        case 'x':
            put_num(&o, longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 16, false, width, zero, left);
            break;
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            put_num(&o, (unsigned long)va_arg(ap, void *), 16, false, 16, true, false);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            int len = (int)strlen(s);
            if (!left)
                for (; width > len; --width) put(&o, ' ');
            while (*s) put(&o, *s++);
            if (left)
                for (; width > len; --width) put(&o, ' ');
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            put(&o, '%');
            if (*fmt) put(&o, *fmt);
            else --fmt;
        }
    }
    if (size) buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

