/* Entry, GDT, interrupt stubs and the AP trampoline shared by the C test
 * kernels (tests/system/c/). Multiboot 0.6.96 3.2 leaves us in 32-bit
 * protected mode with paging off; everything here stays there.
 *
 *   void _start(void): Multiboot entry. EAX = magic, EBX = info. Loads our GDT,
 *       sets the boot stack and calls kmain(magic, info), which must not return.
 *   isr_stubs: 256 stubs, 16 bytes apart; stub n pushes n and enters
 *       isr_common, which saves the general registers and calls
 *       interrupt_dispatch(n). Vectors that push an error code are not
 *       expected (the C side treats every exception as fatal).
 *   ap_tramp_start..ap_tramp_end: real-mode code copied below 1 MiB; an AP
 *       started by SIPI at that page loads the GDT, enters protected mode and
 *       calls ap_main(apic_id) on its own stack. */
#include "../common.h"

MULTIBOOT_HEADER

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define LAPIC_ID  0xFEE00020
#define AP_STACK_SIZE 4096

    .text
    .globl _start
_start:
    mov $boot_stack_top, %esp
    lgdt gdt_desc
    ljmp $KERNEL_CS, $1f
1:  call load_data_segments
    push %ebx               /* kmain(magic, info) */
    push %eax
    call kmain
2:  hlt
    jmp 2b

/* Reloads DS, ES, FS, GS, SS with the flat data segment. Clobbers %ecx. */
load_data_segments:
    mov $KERNEL_DS, %cx
    mov %cx, %ds
    mov %cx, %es
    mov %cx, %fs
    mov %cx, %gs
    mov %cx, %ss
    ret

/* Interrupt entry: the stub pushed the vector. Saves the registers the C
 * calling convention lets interrupt_dispatch clobber (the others it
 * preserves). Not PUSHA/POPA: switchyard's CPU does not decode them yet. */
isr_common:
    push %eax
    push %ecx
    push %edx
    mov 12(%esp), %eax      /* the vector, above the three saved registers */
    push %eax
    call interrupt_dispatch
    add $4, %esp
    pop %edx
    pop %ecx
    pop %eax
    add $4, %esp            /* drop the vector */
    iret

    .balign 16
    .globl isr_stubs
isr_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .byte 0x68              /* push imm32: no sign extension of vectors >= 0x80 */
    .long vec
    jmp isr_common
    .set vec, vec + 1
    .endr

/* The AP trampoline. Runs at CS = page, IP = 0, so data is addressed
 * relative to the start through DS = CS. */
    .code16
    .globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
    cli
    mov %cs, %ax
    mov %ax, %ds
    lgdtl ap_tramp_gdtr - ap_tramp_start
    mov %cr0, %eax
    or $1, %eax             /* CR0.PE */
    mov %eax, %cr0
    ljmpl $KERNEL_CS, $ap_entry32
    .balign 4
ap_tramp_gdtr:
    .word gdt_end - gdt - 1
    .long gdt
ap_tramp_end:
    .code32

ap_entry32:
    call load_data_segments
    mov LAPIC_ID, %ebx
    shr $24, %ebx           /* this CPU's APIC ID */
    lea 1(%ebx), %eax
    shl $12, %eax           /* AP_STACK_SIZE * (id + 1) */
    add $ap_stacks, %eax
    mov %eax, %esp
    push %ebx
    call ap_main
1:  hlt
    jmp 1b

    .section .rodata
    .balign 8
gdt:
    .quad 0                         /* null */
    .quad 0x00CF9A000000FFFF        /* 0x08: code, base 0, 4 GiB, 32-bit */
    .quad 0x00CF92000000FFFF        /* 0x10: data, base 0, 4 GiB */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .bss
    .balign 4096
boot_stack:
    .skip 16384
boot_stack_top:
    .globl ap_stacks
ap_stacks:
    .skip AP_STACK_SIZE * 64        /* indexed by APIC ID; APs 1..63 */
    .section .note.GNU-stack, "", @progbits
