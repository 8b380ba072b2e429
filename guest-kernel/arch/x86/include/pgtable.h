/* The x86-64 virtual layout and page-table format (4-level paging, SDM Vol. 3A
 * 4.5). The i386 build has its own pgtable.h (arch/i386/include/); mm/vm.c
 * walks either through the constants below.
 *
 *   0000000000000000 - 00007ffffffff000  user space (TASK_SIZE_MAX), per process
 *   ffff888000000000 - ffff888100000000  direct map of physical 0 - 4 GiB (PAGE_OFFSET)
 *   ffffc90000000000 - ...               kernel stacks, THREAD_SIZE each with
 *                                        unmapped guard pages below (VMAP_STACK_START)
 *   ffffffff80000000 - ffffffffc0000000  the kernel image (__START_KERNEL_map + physical)
 *
 * The same three regions as Linux x86-64 with 4-level paging. The upper half
 * (PML4 entries 256-511) is shared by every address space: each process's PML4
 * copies those entries from init_mm's, and they never change after boot, so a
 * mapping added below them (a new kernel stack) is seen by every process. */
#ifndef _PGTABLE_H
#define _PGTABLE_H

#define __START_KERNEL_map 0xffffffff80000000
#define PAGE_OFFSET 0xffff888000000000
#define DIRECT_MAP_SIZE 0x100000000    /* physical 0 - 4 GiB */
#define DIRECT_MAP_UNCACHED 0xc0000000 /* and uncached from 3 GiB: the APICs */
#define VMAP_STACK_START 0xffffc90000000000
#define VMAP_STACK_END 0xffffc98000000000  /* one PML4 entry, allocated at boot */
#define FIXMAP_START 0                     /* none: the direct map reaches every device */
#define TASK_SIZE_MAX 0x00007ffffffff000

#define PGTABLE_LEVELS 4
#define PT_INDEX_BITS 9
#define PTRS_PER_TABLE 512
#define KERNEL_PGD_FIRST 256 /* top-level entries from here on: the shared kernel half */
#define LARGE_PAGE_SHIFT 21  /* 2 MiB pages, in the level above the leaf */

/* The entry bits they do not share with the other build (mm.h has the rest). */
#define _PAGE_NX (1UL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000UL

#ifndef __ASSEMBLER__
typedef unsigned long pgd_t; /* an entry of any level; a table is 512 of them */
#endif
#endif
