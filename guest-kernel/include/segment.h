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

#endif
