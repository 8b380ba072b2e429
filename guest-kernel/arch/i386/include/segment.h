/* The i386 GDT layout, shared by assembly and C: Linux i386's entry numbers
 * (arch/x86/include/asm/segment.h, CONFIG_X86_32), so the selectors a student
 * sees here (0x60, 0x68, 0x73, 0x7b, 0x80, 0xd8) are Linux's. There is no
 * SYSCALL/SYSRET here to dictate the order: system calls are int $0x80.
 *
 *   6        TLS: the user's thread area (set_thread_area), selector 0x33
 *   12, 13   __KERNEL_CS, __KERNEL_DS: flat 4 GiB, ring 0
 *   14, 15   __USER_CS, __USER_DS: flat 4 GiB, ring 3 (the kernel also runs
 *            with DS = ES = __USER_DS, as Linux i386 does)
 *   16       the TSS (8 bytes): ss0/esp0 for entries from ring 3
 *   27       __KERNEL_PERCPU: base = this CPU's struct percpu, loaded in FS */
#ifndef _SEGMENT_H
#define _SEGMENT_H

#define GDT_ENTRY_TLS 6
#define GDT_ENTRY_KERNEL_CS 12
#define GDT_ENTRY_KERNEL_DS 13
#define GDT_ENTRY_DEFAULT_USER_CS 14
#define GDT_ENTRY_DEFAULT_USER_DS 15
#define GDT_ENTRY_TSS 16
#define GDT_ENTRY_PERCPU 27
#define GDT_ENTRIES 32

#define __TLS_SEL (GDT_ENTRY_TLS * 8 + 3)                 /* 0x33 */
#define __KERNEL_CS (GDT_ENTRY_KERNEL_CS * 8)             /* 0x60 */
#define __KERNEL_DS (GDT_ENTRY_KERNEL_DS * 8)             /* 0x68 */
#define __USER_CS (GDT_ENTRY_DEFAULT_USER_CS * 8 + 3)     /* 0x73 */
#define __USER_DS (GDT_ENTRY_DEFAULT_USER_DS * 8 + 3)     /* 0x7b */
#define GDT_TSS_SELECTOR (GDT_ENTRY_TSS * 8)              /* 0x80 */
#define __KERNEL_PERCPU (GDT_ENTRY_PERCPU * 8)            /* 0xd8 */

/* The 8-byte descriptors (SDM Vol. 3A 3.4.5): G, D/B, P, DPL, S, type. */
#define GDT_KERNEL_CODE 0x00cf9a000000ffff /* 32-bit code, 4 GiB, DPL 0 */
#define GDT_KERNEL_DATA 0x00cf92000000ffff /* data, 4 GiB, DPL 0 */
#define GDT_USER_CODE 0x00cffa000000ffff   /* 32-bit code, 4 GiB, DPL 3 */
#define GDT_USER_DATA 0x00cff2000000ffff   /* data, 4 GiB, DPL 3 */
#define GDT_PERCPU_DATA GDT_KERNEL_DATA    /* plus the base of the CPU's area */

/* No IST on i386: every gate uses the current stack (0). */
#define IST_INDEX_DF 0
#define IST_INDEX_NMI 0

#define IA32_SYSCALL_VECTOR 0x80

#ifndef __ASSEMBLER__
#include "types.h"

/* A data descriptor with the given base (the 4 GiB flat limit of `desc`). */
static inline u64 gdt_desc_with_base(u64 desc, unsigned long base)
{
    return (desc & 0x00ffff000000ffffULL) | ((u64)(base & 0xffffff) << 16) | ((u64)(base >> 24) << 56);
}

/* The 32-bit TSS (SDM Vol. 3A 8.2.1, Figure 8-2). */
struct x86_hw_tss {
    u16 back_link, __blh;
    u32 sp0; /* ESP0: the stack an interrupt from ring 3 switches to */
    u16 ss0, __ss0h;
    u32 sp1;
    u16 ss1, __ss1h;
    u32 sp2;
    u16 ss2, __ss2h;
    u32 cr3, ip, flags, ax, cx, dx, bx, sp, bp, si, di;
    u16 es, __esh, cs, __csh, ss, __ssh, ds, __dsh, fs, __fsh, gs, __gsh, ldt, __ldth;
    u16 trace;
    u16 io_bitmap_base; /* past the limit: no I/O bitmap, user IN/OUT #GP */
} __packed;
ASSERT_SIZE(struct x86_hw_tss, 104);

/* An 8-byte IDT gate (SDM Vol. 3A 6.11, Figure 6-2). */
struct gate_struct {
    u16 offset_low;
    u16 segment;
    u16 bits; /* type (11:8), DPL (14:13), P (15) */
    u16 offset_high;
} __packed;
ASSERT_SIZE(struct gate_struct, 8);

#define GATE_INTERRUPT 0xe /* 32-bit interrupt gate */

static inline void pack_gate(struct gate_struct *g, unsigned long addr, int ist, int dpl)
{
    g->offset_low = addr & 0xffff;
    g->segment = __KERNEL_CS;
    g->bits = (u16)((GATE_INTERRUPT << 8) | (dpl << 13) | (1 << 15));
    g->offset_high = (u16)(addr >> 16);
    (void)ist;
}
#endif

#endif
