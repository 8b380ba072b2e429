/* The shared boot code of the CPU system-test kernels: the Multiboot header,
 * the 32-bit entry that turns on long mode, the GDT and the identity page
 * tables, the trap entry stubs, the ring-3 round trip (run_user) and the AP
 * trampoline that takes a started AP from real mode to long mode.
 *
 * Assembled as x86-64 (.code32 for the entry) and linked at 1 MiB; the build
 * converts the ELF64 result to ELF32, which is what QEMU's -kernel accepts.
 * SDM Vol. 3A, 9.8.5 "Initializing IA-32e mode" is the recipe followed here. */
#include "layout.h"

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_FLAGS        0x3            /* page-align modules, memory information */

    .section .multiboot, "a"
    .balign 4
    .long MB_HEADER_MAGIC
    .long MB_FLAGS
    .long -(MB_HEADER_MAGIC + MB_FLAGS)

/* ---- 32-bit entry ------------------------------------------------------------
 * Multiboot machine state (spec 3.2): protected mode, paging off, EAX = magic,
 * EBX = the information structure. Nothing on the stack is ours yet. */
    .text
    .code32
    .globl _start
_start:
    cli
    mov $boot_stack_top, %esp
    mov %eax, mb_magic
    mov %ebx, mb_info
    lgdt gdt_ptr
    mov $KERNEL_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $0xFF, %al              /* mask both 8259s: no external interrupts */
    out %al, $0x21
    out %al, $0xA1
    mov $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_SCE | EFER_LME | EFER_NXE), %eax
    wrmsr
    /* PG, WP, NE, ET, MP, PE; CD, NW, EM and TS clear. */
    mov $0x80010033, %eax
    mov %eax, %cr0
    ljmp $KERNEL_CS, $long_entry

    .code64
long_entry:
    mov $KERNEL_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov $boot_stack_top, %rsp
    call lib_init
    call kmain
    mov $0x7E, %edi             /* kmain must not return */
    call exit_qemu

/* ---- traps -------------------------------------------------------------------
 * One 16-byte stub per vector at isr_table + 16 * vector. Each pushes a zero
 * error code when the CPU pushes none (SDM Vol. 3A, Table 6-1), then the vector,
 * so that every frame has the shape of struct trap_frame. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)
    .balign 16
    .globl isr_table
isr_table:
    .set vec, 0
    .rept 256
    .balign 16
    .if !HAS_ERROR(vec)
    pushq $0                    /* trap_frame.error */
    .endif
    pushq $vec                  /* trap_frame.vector */
    jmp trap_common
    .set vec, vec + 1
    .endr

/* Builds struct trap_frame under the CPU's frame, calls
 * void trap_dispatch(struct trap_frame *), and returns with IRETQ to whatever
 * the handler left in the frame. */
trap_common:
    pushq %rdi                  /* trap_frame.rdi */
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rax
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15                  /* trap_frame.r15 */
    mov %rsp, %rdi
    mov %rsp, %rbx              /* callee-saved: the frame, whatever the alignment */
    and $-16, %rsp
    cld
    call trap_dispatch
    mov %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rax
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
    add $16, %rsp               /* vector and error code */
    iretq

/* ---- ring 3 round trip -------------------------------------------------------
 * u64 run_user(void (*fn)(void), u64 user_rsp): runs fn at CPL 3 on the given
 * stack (IRETQ to USER_CS/USER_DS, IF clear) and returns fn's RAX once it
 * returns: the user side ends with SYSCALL, and the default LSTAR target,
 * user_return, resumes the kernel where run_user left it. Saves the
 * callee-saved registers; one call at a time. */
    .globl run_user
run_user:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    mov %rsp, run_user_rsp(%rip)
    pushq $USER_DS              /* SS */
    pushq %rsi                  /* RSP */
    pushq $0x2                  /* RFLAGS: IF clear */
    pushq $USER_CS              /* CS */
    leaq user_trampoline(%rip), %rax
    pushq %rax                  /* RIP */
    iretq

/* CPL 3, RDI = fn. */
    .globl user_trampoline
user_trampoline:
    call *%rdi
    syscall

/* SYSCALL target while no kernel installs its own (lib_init sets LSTAR here). */
    .globl user_return
user_return:
    mov run_user_rsp(%rip), %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

/* ---- AP start-up ------------------------------------------------------------
 * start_ap() (lib.c) copies ap_tramp_start..ap_tramp_end to AP_TRAMPOLINE and
 * sends INIT-SIPI-SIPI with that page as the vector; the AP starts in real
 * mode at CS = AP_TRAMPOLINE >> 4, IP = 0 (SDM Vol. 3A 8.4.4.1). It loads the
 * GDT (data addressed through DS = CS), enters protected mode, then long mode
 * on the boot page tables as _start does, and calls ap_entry() on the stack
 * start_ap left in ap_stack. */
    .code16
    .globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
    cli
    mov %cs, %ax
    mov %ax, %ds
    lgdtl ap_tramp_gdtr - ap_tramp_start
    mov %cr0, %eax
    or $1, %eax                 /* CR0.PE */
    mov %eax, %cr0
    ljmpl $KERNEL_CS32, $ap_entry32
    .balign 4
ap_tramp_gdtr:
    .word gdt_end - gdt - 1
    .long gdt
ap_tramp_end:

    .code32
ap_entry32:
    mov $KERNEL_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_SCE | EFER_LME | EFER_NXE), %eax
    wrmsr
    mov $0x80010033, %eax       /* as _start: PG, WP, NE, ET, MP, PE */
    mov %eax, %cr0
    ljmp $KERNEL_CS, $ap_entry64

    .code64
ap_entry64:
    mov $KERNEL_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov ap_stack(%rip), %rsp
    call ap_entry               /* lib.c; does not return */
1:  cli
    hlt
    jmp 1b

/* ---- descriptor tables and page tables -------------------------------------- */
    .data
    .balign 16
    .globl gdt
gdt:
    .quad 0                     /* 0x00 null */
    .quad 0x00AF9A000000FFFF    /* 0x08 KERNEL_CS: 64-bit code, DPL 0 */
    .quad 0x00CF92000000FFFF    /* 0x10 KERNEL_DS: data, DPL 0 */
    .quad 0x00CFFA000000FFFF    /* 0x18 USER_CS32: 32-bit code, DPL 3 (SYSRET base) */
    .quad 0x00CFF2000000FFFF    /* 0x20 USER_DS: data, DPL 3 */
    .quad 0x00AFFA000000FFFF    /* 0x28 USER_CS: 64-bit code, DPL 3 */
    .quad 0x00CF9A000000FFFF    /* 0x30 KERNEL_CS32: 32-bit code, DPL 0 */
    .quad 0, 0                  /* 0x38 TSS_SEL: 16-byte TSS descriptor, lib_init fills it */
    .quad 0x00CF92345000FFFF    /* 0x48 BASED_DS: data, DPL 0, base 0x345000 */
    .quad 0x00CF12000000FFFF    /* 0x50 ABSENT_DS: data, DPL 0, not present */
gdt_end:
    .globl gdt_ptr
gdt_ptr:
    .word gdt_end - gdt - 1
    .quad gdt

    .globl mb_magic, mb_info
mb_magic: .long 0
mb_info:  .long 0
run_user_rsp: .quad 0

/* Identity map of the first GiB. PD[0] and PD[1] point to 4 KiB page tables
 * (0-2 MiB: the kernel; 2-4 MiB: pages the tests remap), the rest are 2 MiB
 * pages. Every level is present, writable and user-accessible; the tests take
 * rights away where they need to. Above 1 GiB nothing is mapped. */
    .balign 4096
    .globl pml4, pdpt, pd, pt_low, pt_test
pml4:
    .quad pdpt + 7
    .fill 511, 8, 0
pdpt:
    .quad pd + 7
    .fill 511, 8, 0
pd:
    .quad pt_low + 7
    .quad pt_test + 7
    .set i, 2
    .rept 510
    .quad (i << 21) | 0x87      /* P, RW, U, PS */
    .set i, i + 1
    .endr
pt_low:
    .set i, 0
    .rept 512
    .quad (i << 12) | 7
    .set i, i + 1
    .endr
pt_test:
    .set i, 0
    .rept 512
    .quad (0x200000 + (i << 12)) | 7
    .set i, i + 1
    .endr

    .bss
    .balign 16
    .skip 16384
boot_stack_top:
