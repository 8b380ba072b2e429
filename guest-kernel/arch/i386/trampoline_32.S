/* The real-mode trampoline of the i386 build's application processors
 * (Linux: arch/x86/realmode/rm/trampoline_32.S). smp_boot_cpus() copies it to
 * TRAMPOLINE_PHYS (0x7000) and patches tr_pgd and tr_target; a start-up IPI
 * with vector 0x07 starts the AP here, in real mode at 0700:0000. It loads a
 * GDT with the kernel's segments, turns on protected mode, then 2-level
 * paging (CR4.PSE for the identity 4 MiB page) and jumps to
 * secondary_startup_32 at its kernel-half address. */
#include "processor.h"
#include "segment.h"

#define TRAMPOLINE_PHYS 0x7000

    .section .rodata.trampoline, "a"
    .balign 16
    .globl trampoline_start, trampoline_end, tr_pgd, tr_target
    .code16
trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl tr_gdt_descr - trampoline_start   /* DS-relative */
    movl %cr0, %eax
    orl $X86_CR0_PE, %eax
    movl %eax, %cr0
    ljmpl $__KERNEL_CS, $(TRAMPOLINE_PHYS + tr_32 - trampoline_start)

    .code32
tr_32:
    movl $__KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl $X86_CR4_PSE, %eax
    movl %eax, %cr4
    movl TRAMPOLINE_PHYS + tr_pgd - trampoline_start, %eax
    movl %eax, %cr3
    movl $(X86_CR0_PG | X86_CR0_WP | X86_CR0_NE | X86_CR0_ET | X86_CR0_MP | X86_CR0_PE), %eax
    movl %eax, %cr0
    movl TRAMPOLINE_PHYS + tr_target - trampoline_start, %eax
    jmp *%eax                       /* secondary_startup_32 */

    .balign 8
tr_gdt:
    .fill GDT_ENTRY_KERNEL_CS, 8, 0
    .quad GDT_KERNEL_CODE
    .quad GDT_KERNEL_DATA
tr_gdt_end:
tr_gdt_descr:
    .word tr_gdt_end - tr_gdt - 1
    .long TRAMPOLINE_PHYS + tr_gdt - trampoline_start
    .balign 4
tr_target:  .long 0                 /* secondary_startup_32 */
tr_pgd:     .long 0                 /* physical address of the trampoline page directory */
trampoline_end:

    .section .note.GNU-stack, "", @progbits
