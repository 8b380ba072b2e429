/* The i386 virtual layout and page-table format: 2-level 32-bit paging (SDM
 * Vol. 3A 4.3), Linux i386's layout without PAE (the 3G/1G split).
 *
 *   00000000 - bffff000  user space (TASK_SIZE_MAX), per process
 *   c0000000 - f0000000  direct map of physical 0 - 768 MiB (PAGE_OFFSET), the
 *                        kernel image inside it at c0100000 (__START_KERNEL_map
 *                        = PAGE_OFFSET, as in Linux i386: __pa is one subtraction)
 *   f0000000 - f0800000  kernel stacks, THREAD_SIZE each with unmapped guard
 *                        pages below (VMAP_STACK_START)
 *   ff800000 - ffc00000  the fixmap: the local APIC and the I/O APIC (ioremap)
 *
 * Why 2-level and not PAE: one page directory of 1024 4-byte entries, whose
 * upper quarter (entries 768-1023) is the kernel half every address space
 * copies, exactly as the x86-64 PML4's entries 256-511 are; no PDPTE
 * registers that must be reloaded when a top-level entry changes. The price:
 * no NX bit (it exists only in 8-byte entries), so data is executable and the
 * paging self-test says so. */
#ifndef _PGTABLE_H
#define _PGTABLE_H

#define __START_KERNEL_map 0xc0000000
#define PAGE_OFFSET 0xc0000000
#define DIRECT_MAP_SIZE 0x30000000     /* 768 MiB of RAM at most */
#define DIRECT_MAP_UNCACHED DIRECT_MAP_SIZE /* never: devices are in the fixmap */
#define VMAP_STACK_START 0xf0000000
#define VMAP_STACK_END 0xf0800000
#define FIXMAP_START 0xff800000
#define FIXMAP_END 0xffc00000
#define TASK_SIZE_MAX 0xbffff000

#define PGTABLE_LEVELS 2
#define PT_INDEX_BITS 10
#define PTRS_PER_TABLE 1024
#define KERNEL_PGD_FIRST 768 /* 0xc0000000 >> 22 */
#define LARGE_PAGE_SHIFT 22  /* 4 MiB pages (CR4.PSE) in the page directory */

/* The entry bits they do not share with the other build (mm.h has the rest). */
#define _PAGE_NX 0 /* no such bit in 32-bit paging */
#define PTE_ADDR_MASK 0xfffff000UL

#ifndef __ASSEMBLER__
typedef unsigned long pgd_t; /* a 4-byte entry; a table is 1024 of them */
#endif
#endif
