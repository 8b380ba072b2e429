/* The real-mode trampoline for the application processors.
 *
 * A start-up IPI (SIPI) with vector 0x07 starts an AP in real mode at
 * CS:IP = 0x0700:0000, physical TRAMPOLINE_PHYS = 0x7000 (SDM Vol. 3A 9.4.4;
 * the MP spec B.4). smp_boot_cpus() copies trampoline_start..trampoline_end
 * there and fills the three fields at the end. The code climbs real mode ->
 * protected mode -> long mode (the same steps as startup_32) and jumps to
 * secondary_startup_64 in the kernel proper. Data is addressed from the copy:
 * TRAMPOLINE_PHYS + (label - trampoline_start). */
#include "processor.h"
#include "segment.h"

#define TRAMPOLINE_PHYS 0x7000

    .section .rodata.trampoline, "a"
    .balign 16
    .globl trampoline_start, trampoline_end, tr_pgd, tr_efer, tr_target
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
    ljmpl $__KERNEL32_CS, $(TRAMPOLINE_PHYS + tr_32 - trampoline_start)

    .code32
tr_32:
    movl $__KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl $X86_CR4_PAE, %eax
    movl %eax, %cr4
    movl TRAMPOLINE_PHYS + tr_pgd - trampoline_start, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    movl TRAMPOLINE_PHYS + tr_efer - trampoline_start, %eax
    xorl %edx, %edx
    wrmsr                           /* LME, SCE, NX as on the boot CPU */
    movl $(X86_CR0_PG | X86_CR0_WP | X86_CR0_NE | X86_CR0_ET | X86_CR0_MP | X86_CR0_PE), %eax
    movl %eax, %cr0
    ljmpl $__KERNEL_CS, $(TRAMPOLINE_PHYS + tr_64 - trampoline_start)

    .code64
tr_64:
    movq TRAMPOLINE_PHYS + tr_target - trampoline_start, %rax
    jmp *%rax

    .balign 8
tr_gdt:
    .quad 0
    .quad GDT_KERNEL32_CODE
    .quad GDT_KERNEL_CODE
    .quad GDT_KERNEL_DATA
tr_gdt_end:
tr_gdt_descr:
    .word tr_gdt_end - tr_gdt - 1
    .long TRAMPOLINE_PHYS + tr_gdt - trampoline_start
    .balign 8
tr_target:  .quad 0                 /* secondary_startup_64 */
tr_pgd:     .long 0                 /* physical address of the trampoline PML4 */
tr_efer:    .long 0                 /* EFER low half */
trampoline_end:

    .section .note.GNU-stack, "", @progbits
