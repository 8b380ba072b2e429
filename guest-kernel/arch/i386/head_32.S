/* The Multiboot header and the boot path of the i386 build to C.
 *
 * A Multiboot v1 loader enters startup_32 in 32-bit protected mode with
 * paging off, EAX = 0x2BADB002 and EBX = the physical address of the
 * information structure (Multiboot spec 3.2). The image is an ELF32 file
 * linked at PAGE_OFFSET + physical (0xc0100000); the header's a.out-kludge
 * fields give the physical addresses, as in the x86-64 build.
 *
 * startup_32 (.boot: linked at its physical address) turns on 2-level paging
 * on a static page directory that maps the first 4 MiB at 0 (identity, so
 * the code keeps running when CR0.PG turns on) and the direct map's 768 MiB
 * at PAGE_OFFSET, all with 4 MiB pages (CR4.PSE; SDM Vol. 3A 4.3), then jumps
 * to its higher-half alias, loads FS with the per-CPU segment (base =
 * cpu_data[0], so `current` and the canary at %fs:20 work from the first C
 * function) and calls i386_start_kernel(magic, mbi) on init_task's stack.
 * paging_init() later replaces these tables with init_mm's.
 *
 * secondary_startup_32 is where an application processor arrives from the
 * trampoline (trampoline_32.S), with paging on. */
#include "mm.h"
#include "multiboot.h"
#include "percpu.h"
#include "processor.h"
#include "segment.h"

/* ------------------------------------------------------------------ */
    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MULTIBOOT_HEADER_MAGIC
    .long MULTIBOOT_HEADER_FLAGS
    .long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)
    .long multiboot_header       /* header_addr */
    .long __load_start_phys      /* load_addr */
    .long __load_end_phys        /* load_end_addr: end of .data */
    .long __bss_end_phys         /* bss_end_addr */
    .long startup_32             /* entry_addr */

/* Writes the base `reg` into the per-CPU descriptor of boot_gdt (through its
 * kernel-half address; clobbers EAX). */
.macro set_percpu_base reg
    movl \reg, %eax
    movw %ax, boot_gdt + PAGE_OFFSET + GDT_ENTRY_PERCPU * 8 + 2   /* base 15:0 */
    shrl $16, %eax
    movb %al, boot_gdt + PAGE_OFFSET + GDT_ENTRY_PERCPU * 8 + 4   /* base 23:16 */
    movb %ah, boot_gdt + PAGE_OFFSET + GDT_ENTRY_PERCPU * 8 + 7   /* base 31:24 */
.endm

/* ------------------------------------------------------------------ */
    .section .boot.text, "ax"
    .globl startup_32
/* void startup_32(void): EAX = Multiboot magic, EBX = information structure.
 * Keeps them in EDI and ESI until they are i386_start_kernel's arguments. */
startup_32:
    cli
    cld
    movl %eax, %edi
    movl %ebx, %esi
    lgdt boot_gdt_descr
    ljmp $__KERNEL_CS, $1f
1:  movl $__KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs

    movl %cr4, %eax
    orl $X86_CR4_PSE, %eax
    movl %eax, %cr4
    movl $boot_page_directory, %eax
    movl %eax, %cr3
    movl $(X86_CR0_PG | X86_CR0_WP | X86_CR0_NE | X86_CR0_ET | X86_CR0_MP | X86_CR0_PE), %eax
    movl %eax, %cr0                 /* paging on */
    movl $startup_32_high, %eax
    jmp *%eax

/* ------------------------------------------------------------------ */
    .section .boot.data, "aw"
    .balign 8
boot_gdt:                           /* the entries every CPU's GDT starts with */
    .fill GDT_ENTRY_KERNEL_CS, 8, 0
    .quad GDT_KERNEL_CODE           /* __KERNEL_CS */
    .quad GDT_KERNEL_DATA           /* __KERNEL_DS */
    .quad GDT_USER_CODE             /* __USER_CS */
    .quad GDT_USER_DATA             /* __USER_DS */
    .fill GDT_ENTRY_PERCPU - GDT_ENTRY_DEFAULT_USER_DS - 1, 8, 0
    .quad GDT_PERCPU_DATA           /* __KERNEL_PERCPU: base set at run time */
boot_gdt_end:
boot_gdt_descr:                     /* for LGDT with paging off: physical base */
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt
    .globl boot_gdt_descr_high
boot_gdt_descr_high:                /* the same table through the direct map */
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt + PAGE_OFFSET

/* The boot page directory: 4 MiB pages, the first at 0 and the direct map. */
    .balign PAGE_SIZE
boot_page_directory:
    .long 0 + (_PAGE_PRESENT | _PAGE_RW | _PAGE_PSE)    /* 0 - 4 MiB, identity */
    .fill KERNEL_PGD_FIRST - 1, 4, 0
    .set i, 0
    .rept DIRECT_MAP_SIZE >> LARGE_PAGE_SHIFT
    .long (i << LARGE_PAGE_SHIFT) + (_PAGE_PRESENT | _PAGE_RW | _PAGE_PSE)
    .set i, i + 1
    .endr
    .fill PTRS_PER_TABLE - KERNEL_PGD_FIRST - (DIRECT_MAP_SIZE >> LARGE_PAGE_SHIFT), 4, 0

/* ------------------------------------------------------------------ */
    .text
/* startup_32_high: paging on, at the kernel-half address. */
startup_32_high:
    lgdt boot_gdt_descr_high        /* the identity map goes away in paging_init */
    set_percpu_base $cpu_data
    movl $__KERNEL_PERCPU, %eax
    movl %eax, %fs                  /* `current`, the canary at %fs:20 */
    movl $__init_stack_end, %esp    /* init_task's stack */
    xorl %ebp, %ebp                 /* the end of the frame-pointer chain */
    pushl %esi                      /* i386_start_kernel(magic, ... mbi) */
    pushl %edi
    call i386_start_kernel
2:  hlt
    jmp 2b

/* void secondary_startup_32(void): an AP, from the trampoline, paging on with
 * the trampoline's page directory. Takes its CR3, stack and per-CPU area from
 * smpboot_params, which the boot CPU filled for it, and calls
 * start_secondary() on its idle task's stack. APs start one at a time, so
 * they can share boot_gdt's per-CPU entry until cpu_init() loads their own. */
    .globl secondary_startup_32
secondary_startup_32:
    lgdt boot_gdt_descr_high
    movl $__KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    set_percpu_base smpboot_params + 4   /* &cpu_data[cpu] */
    movl $__KERNEL_PERCPU, %eax
    movl %eax, %fs
    xorl %eax, %eax
    movl %eax, %gs
    movl smpboot_params + 8, %eax        /* init_mm's page directory */
    movl %eax, %cr3
    movl smpboot_params, %esp            /* the idle task's stack top */
    xorl %ebp, %ebp
    call start_secondary
3:  hlt
    jmp 3b

    .section .note.GNU-stack, "", @progbits
