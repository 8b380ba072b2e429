/* The Multiboot header and the boot path to 64-bit C.
 *
 * A Multiboot v1 loader (QEMU's -kernel, switchyard's run) enters startup_32 in
 * 32-bit protected mode with paging off, EAX = 0x2BADB002 and EBX = the
 * physical address of the information structure (Multiboot spec 3.2). The
 * image is an ELF64 file linked for the higher half; the a.out-kludge fields
 * of the header tell the loader where its bytes go physically, so a loader that
 * only understands ELF32 loads it anyway.
 *
 * startup_32 (this file, .boot: linked at its physical address) switches to
 * long mode as SDM Vol. 3A 10.8.5 describes: static page tables that map the
 * first GiB twice (identity, and at __START_KERNEL_map), CR4.PAE, CR3,
 * EFER.LME, CR0.PG, a far jump to a 64-bit code segment. startup_64 then runs
 * at its higher-half address, points GS at CPU 0's per-CPU area (so that the
 * stack protector's %gs:40 is valid before the first C function) and calls
 * x86_64_start_kernel(magic, mbi) on init_task's stack.
 *
 * secondary_startup_64 is where an application processor arrives from the
 * trampoline (trampoline.S), in long mode on the trampoline page tables. */
#include "mm.h"
#include "multiboot.h"
#include "percpu.h"
#include "processor.h"
#include "segment.h"

#define CPUID_EXT_LM (1 << 29)
#define CPUID_EXT_NX (1 << 20)
#define COM1 0x3f8

/* ------------------------------------------------------------------ */
    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MULTIBOOT_HEADER_MAGIC
    .long MULTIBOOT_HEADER_FLAGS
    .long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)
    /* The a.out kludge (spec 3.1.3), all physical addresses: */
    .long multiboot_header       /* header_addr: where this header is loaded */
    .long __load_start_phys      /* load_addr: the file's bytes from the one
                                    mapped to header_addr - (header_addr - load_addr) */
    .long __load_end_phys        /* load_end_addr: end of .data */
    .long __bss_end_phys         /* bss_end_addr: the loader zeroes up to here */
    .long startup_32             /* entry_addr */

/* ------------------------------------------------------------------ */
    .section .boot.text, "ax"
    .code32
    .globl startup_32
/* void startup_32(void): EAX = Multiboot magic, EBX = information structure.
 * Keeps them in EDI and ESI, which become x86_64_start_kernel's arguments. */
startup_32:
    cli
    cld
    movl %eax, %edi
    movl %ebx, %esi
    lgdt boot_gdt_descr
    ljmp $__KERNEL32_CS, $1f
1:  movl $__KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movl $boot_stack_top32, %esp

    /* Long mode (and NX, if present) from CPUID 8000_0001h EDX. */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $CPUID_EXT_LM, %edx
    jz no_long_mode
    movl %edx, %ebp                 /* keep the feature bits for NX below */

    movl $X86_CR4_PAE, %eax
    movl %eax, %cr4
    movl $early_top_pgt, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $(EFER_LME | EFER_SCE), %eax
    testl $CPUID_EXT_NX, %ebp
    jz 2f
    orl $EFER_NX, %eax
2:  wrmsr
    movl $(X86_CR0_PG | X86_CR0_WP | X86_CR0_NE | X86_CR0_ET | X86_CR0_MP | X86_CR0_PE), %eax
    movl %eax, %cr0                 /* paging on: EFER.LMA = 1, compatibility mode */
    ljmp $__KERNEL_CS, $startup_64_low

no_long_mode:                       /* nothing else can run: say so on COM1 */
    movl $no_lm_msg, %esi
3:  lodsb
    testb %al, %al
    jz 4f
    movw $COM1, %dx
    outb %al, %dx
    jmp 3b
4:  hlt
    jmp 4b

    .code64
startup_64_low:                     /* 64-bit mode, still at the physical address */
    movabsq $startup_64, %rax
    jmp *%rax

/* ------------------------------------------------------------------ */
    .section .boot.data, "aw"
    .balign 8
boot_gdt:                           /* the same first entries as every CPU's GDT */
    .quad 0
    .quad GDT_KERNEL32_CODE         /* __KERNEL32_CS */
    .quad GDT_KERNEL_CODE           /* __KERNEL_CS */
    .quad GDT_KERNEL_DATA           /* __KERNEL_DS */
boot_gdt_end:
boot_gdt_descr:                     /* for LGDT in 32-bit mode: physical base */
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt
    .balign 8
    .globl boot_gdt_descr64
boot_gdt_descr64:                   /* the same table, through the kernel mapping */
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt + __START_KERNEL_map
no_lm_msg:
    .asciz "switchyard kernel: this CPU has no long mode\n"

/* Boot page tables: the first GiB of physical memory with 2 MiB pages, seen at
 * virtual 0 (identity, so the code above keeps running when paging turns on),
 * at PAGE_OFFSET (the direct map, so __va() works for the first page
 * allocations) and at __START_KERNEL_map (where the kernel is linked).
 * paging_init() replaces them with init_mm's tables. */
#define PGD_INDEX_PAGE_OFFSET ((PAGE_OFFSET >> 39) & 511)
    .balign PAGE_SIZE
early_top_pgt:
    .quad early_pud_ident + (_PAGE_PRESENT | _PAGE_RW)   /* 0x0000000000000000 */
    .fill PGD_INDEX_PAGE_OFFSET - 1, 8, 0
    .quad early_pud_ident + (_PAGE_PRESENT | _PAGE_RW)   /* PAGE_OFFSET */
    .fill 510 - PGD_INDEX_PAGE_OFFSET, 8, 0
    .quad early_pud_kernel + (_PAGE_PRESENT | _PAGE_RW)  /* 0xffffff8000000000 */
early_pud_ident:
    .quad early_pmd + (_PAGE_PRESENT | _PAGE_RW)
    .fill 511, 8, 0
early_pud_kernel:
    .fill 510, 8, 0
    .quad early_pmd + (_PAGE_PRESENT | _PAGE_RW)         /* 0xffffffff80000000 */
    .quad 0
early_pmd:
    .set i, 0
    .rept 512
    .quad (i << 21) + (_PAGE_PRESENT | _PAGE_RW | _PAGE_PSE)
    .set i, i + 1
    .endr
    .skip 256
boot_stack_top32:

/* ------------------------------------------------------------------ */
    .text
    .code64
/* void startup_64(void): 64-bit mode, higher half, boot page tables.
 * EDI = Multiboot magic, ESI = information (physical). Never returns; saves
 * nothing (there is nothing to return to). */
    .globl startup_64
startup_64:
    lgdt boot_gdt_descr64(%rip)
    movl $__KERNEL_DS, %eax
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %fs
    movl %eax, %gs                  /* before the GS base: a selector load clears it */
    leaq __init_stack_end(%rip), %rsp  /* init_task's stack */
    /* GS base = &cpu_data[0]: `current`, the canary at %gs:40 */
    movl $MSR_GS_BASE, %ecx
    leaq cpu_data(%rip), %rax
    movq %rax, %rdx
    shrq $32, %rdx
    wrmsr
    movl %edi, %edi                 /* zero-extend the Multiboot arguments */
    movl %esi, %esi
    xorl %ebp, %ebp                 /* the end of the frame-pointer chain */
    call x86_64_start_kernel
5:  hlt
    jmp 5b

/* void secondary_startup_64(void): an AP, from the trampoline, in long mode on
 * the trampoline's page tables (identity-mapped low memory + the kernel half).
 * Takes its CR3, stack and GS base from smpboot_params, which the boot CPU
 * filled for it, and calls start_secondary() on its idle task's stack. */
    .globl secondary_startup_64
secondary_startup_64:
    lgdt boot_gdt_descr64(%rip)
    movl $__KERNEL_DS, %eax
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %fs
    movl %eax, %gs
    movq smpboot_params + 16(%rip), %rax /* init_mm's PML4: no identity map any more */
    movq %rax, %cr3
    movq smpboot_params(%rip), %rsp      /* the idle task's stack top */
    movl $MSR_GS_BASE, %ecx
    movq smpboot_params + 8(%rip), %rax  /* &cpu_data[cpu] */
    movq %rax, %rdx
    shrq $32, %rdx
    wrmsr
    xorl %ebp, %ebp
    call start_secondary
6:  hlt
    jmp 6b

    .section .note.GNU-stack, "", @progbits
