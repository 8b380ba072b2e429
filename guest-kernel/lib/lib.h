/* What lib/ needs and provides: no kernel or user headers, so both can use it. */
#ifndef _LIB_LIB_H
#define _LIB_LIB_H
#include <stdarg.h>

typedef unsigned long size_t;
typedef _Bool bool;
#define true 1
#define false 0

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy(char *d, const char *s, size_t n);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
