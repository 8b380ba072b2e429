/* Basic types and compiler helpers shared by every kernel file (C only). */
#ifndef _TYPES_H
#define _TYPES_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef __UINT64_TYPE__ u64; /* unsigned long on x86-64, unsigned long long on i386 */
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef __INT64_TYPE__ s64;
typedef unsigned long size_t;
typedef long ssize_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef _Bool bool;

#define true 1
#define false 0
#define NULL ((void *)0)

#define offsetof(type, member) __builtin_offsetof(type, member)
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((typeof(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define __aligned(n) __attribute__((aligned(n)))
#define __packed __attribute__((packed))
#define __noreturn __attribute__((noreturn))
#define __used __attribute__((used))
#define __unused __attribute__((unused))
#define __section(s) __attribute__((section(s)))
/* Functions that are part of the scheduler proper go to .sched.text, as in
 * Linux: a switched-out task's saved ret_addr always points into this range
 * (in_sched_functions(), and the debugger uses it to recognise a sleeping
 * task's resume point). */
#define __sched __section(".sched.text") __attribute__((noinline))
/* Early code that runs before the per-CPU stack canary is valid. */
#define __no_stack_protector __attribute__((no_stack_protector))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ volatile("" ::: "memory")
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

/* Compile-time checks of layouts that assembly or the debugger rely on. */
#define ASSERT_OFFSET(type, member, off) \
    _Static_assert(offsetof(type, member) == (off), #type "." #member " must be at offset " #off)
#define ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), "sizeof(" #type ") must be " #size)

#endif
