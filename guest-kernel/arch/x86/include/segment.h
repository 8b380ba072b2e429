/* The GDT layout, shared by assembly and C. It is Linux's x86-64 layout, which
 * SYSCALL/SYSRET dictate (SDM Vol. 2B SYSCALL, SYSRET):
 *   SYSCALL: CS = STAR[47:32], SS = STAR[47:32] + 8
 *   SYSRETQ: CS = STAR[63:48] + 16, SS = STAR[63:48] + 8 (both with RPL 3)
 * so kernel data must follow kernel code, and user data sits between the
 * 32-bit user code (the base of STAR[63:48]) and the 64-bit user code. */
#ifndef _SEGMENT_H
#define _SEGMENT_H

#define GDT_ENTRY_KERNEL32_CS 1 /* 32-bit kernel code: only while booting */
#define GDT_ENTRY_KERNEL_CS 2
#define GDT_ENTRY_KERNEL_DS 3
#define GDT_ENTRY_DEFAULT_USER32_CS 4
#define GDT_ENTRY_DEFAULT_USER_DS 5
#define GDT_ENTRY_DEFAULT_USER_CS 6
#define GDT_ENTRY_TSS 8 /* 16 bytes: entries 8 and 9 */
#define GDT_ENTRIES 10

#define __KERNEL32_CS (GDT_ENTRY_KERNEL32_CS * 8)      /* 0x08 */
#define __KERNEL_CS (GDT_ENTRY_KERNEL_CS * 8)          /* 0x10 */
#define __KERNEL_DS (GDT_ENTRY_KERNEL_DS * 8)          /* 0x18 */
#define __USER32_CS (GDT_ENTRY_DEFAULT_USER32_CS * 8 + 3) /* 0x23 */
#define __USER_DS (GDT_ENTRY_DEFAULT_USER_DS * 8 + 3)  /* 0x2b */
#define __USER_CS (GDT_ENTRY_DEFAULT_USER_CS * 8 + 3)  /* 0x33 */
#define GDT_TSS_SELECTOR (GDT_ENTRY_TSS * 8)           /* 0x40 */

/* The 8-byte descriptors (SDM Vol. 3A 3.4.5): G, D/B, L, P, DPL, S, type. */
#define GDT_KERNEL32_CODE 0x00cf9a000000ffff /* 32-bit code, 4 GiB, DPL 0 */
#define GDT_KERNEL_CODE 0x00af9a000000ffff   /* L=1 code, DPL 0 */
#define GDT_KERNEL_DATA 0x00cf92000000ffff   /* data, DPL 0 */
#define GDT_USER32_CODE 0x00cffa000000ffff   /* 32-bit code, DPL 3 */
#define GDT_USER_DATA 0x00cff2000000ffff     /* data, DPL 3 */
#define GDT_USER_CODE 0x00affa000000ffff     /* L=1 code, DPL 3 */

/* IST slots (TSS.IST1..7; the IDT gate holds the 1-based number). */
#define IST_INDEX_DF 1
#define IST_INDEX_NMI 2

#ifndef __ASSEMBLER__
#include "types.h"

/* The 64-bit TSS (SDM Vol. 3A 8.7, Figure 8-11). */
struct x86_hw_tss {
    u32 reserved1;
    u64 sp0; /* RSP0: the stack an interrupt from ring 3 switches to */
    u64 sp1;
    u64 sp2;
    u64 reserved2;
    u64 ist[7]; /* IST1..IST7 */
    u32 reserved3;
    u32 reserved4;
    u16 reserved5;
    u16 io_bitmap_base; /* past the limit: no I/O bitmap, user IN/OUT #GP */
} __packed;
ASSERT_SIZE(struct x86_hw_tss, 104);

/* A 16-byte IDT gate (SDM Vol. 3A 6.14.1, Figure 6-8). */
struct gate_struct {
    u16 offset_low;
    u16 segment;
    u16 bits; /* IST (2:0), type (11:8), DPL (14:13), P (15) */
    u16 offset_middle;
    u32 offset_high;
    u32 reserved;
} __packed;
ASSERT_SIZE(struct gate_struct, 16);

#define GATE_INTERRUPT 0xe

static inline void pack_gate(struct gate_struct *g, unsigned long addr, int ist, int dpl)
{
    g->offset_low = addr & 0xffff;
    g->segment = __KERNEL_CS;
    g->bits = (u16)(ist | (GATE_INTERRUPT << 8) | (dpl << 13) | (1 << 15));
    g->offset_middle = (addr >> 16) & 0xffff;
    g->offset_high = (u32)(addr >> 32);
    g->reserved = 0;
}
#endif

#endif
