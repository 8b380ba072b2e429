/* modes: the state the boot code leaves (SDM Vol. 3A, 9.8.5): long mode active
 * (EFER.LMA), the control-register bits it set, CPUID features both switchyard
 * and QEMU's qemu64 report, and a round trip through compatibility mode
 * (SDM Vol. 3A, 2.2 and 5.8: a far return to a code segment with L = 0, D = 1
 * runs 32-bit code; a far jump to one with L = 1 comes back). */
#include "lib.h"

/* Filled by compat_code (32-bit): EAX after "xor eax,eax; dec eax" (in 64-bit
 * mode 0x48 is REX.W, not DEC), ESP bytes used by one PUSH, EFER low half. */
u32 compat_eax, compat_push_bytes, compat_efer;
void compat_enter(void);

__asm__(
    "   .text\n"
    "   .globl compat_enter\n"
    /* void compat_enter(void): far return into compat_code at KERNEL_CS32. */
    "compat_enter:\n"
    "   pushq %rbx\n"
    "   pushq %rbp\n"
    "   mov %rsp, compat_saved_rsp(%rip)\n"
    "   pushq $0x30\n"            /* KERNEL_CS32 */
    "   leaq compat_code(%rip), %rax\n"
    "   pushq %rax\n"
    "   lretq\n"
    "   .code32\n"
    "compat_code:\n"
    "   xor %eax, %eax\n"
    "   .byte 0x48\n"             /* DEC EAX here; a REX.W prefix in 64-bit mode */
    "   nop\n"
    "   mov %eax, compat_eax\n"
    "   mov %esp, %ebx\n"
    "   push %eax\n"
    "   sub %esp, %ebx\n"
    "   pop %eax\n"
    "   mov %ebx, compat_push_bytes\n"
    "   mov $0xC0000080, %ecx\n"
    "   rdmsr\n"
    "   mov %eax, compat_efer\n"
    "   ljmp $0x08, $compat_back\n"
    "   .code64\n"
    "compat_back:\n"
    "   mov compat_saved_rsp(%rip), %rsp\n"
    "   popq %rbp\n"
    "   popq %rbx\n"
    "   ret\n"
    "   .data\n"
    "compat_saved_rsp: .quad 0\n"
    "   .text\n");

void kmain(void) {
    u32 r[4];
    extern u32 mb_magic;
    printk("ok: multiboot magic %x\n", mb_magic);

    cpuid(0x80000000, 0, r);
    int ext = r[0] >= 0x80000001;
    cpuid(0x80000001, 0, r);
    printk("ok: cpuid ext=%d lm=%u nx=%u syscall=%u\n", ext, (r[3] >> 29) & 1, (r[3] >> 20) & 1, (r[3] >> 11) & 1);
    cpuid(1, 0, r);
    printk("ok: cpuid pae=%u pge=%u msr=%u fxsr=%u sse=%u sse2=%u\n", (r[3] >> 6) & 1, (r[3] >> 13) & 1,
           (r[3] >> 5) & 1, (r[3] >> 24) & 1, (r[3] >> 25) & 1, (r[3] >> 26) & 1);

    u64 efer = rdmsr(MSR_EFER);
    printk("ok: efer sce=%lu lme=%lu lma=%lu nxe=%lu\n", efer & 1, (efer >> 8) & 1, (efer >> 10) & 1,
           (efer >> 11) & 1);
    printk("ok: cr0 %lx cr4 %lx cr3 %lx\n", READ_CR(0), READ_CR(4), READ_CR(3) == (u64)pml4 ? 1ul : 0ul);
    printk("ok: cs %x ss %x tr ", read_cs(), read_ss());
    u16 tr;
    __asm__ volatile("str %0" : "=r"(tr));
    printk("%x\n", tr);

    /* SGDT/SIDT give back what lib_init and boot.S loaded. */
    struct __attribute__((packed)) { u16 limit; u64 base; } gdtr, idtr;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
    printk("ok: gdtr limit %x idtr limit %x\n", gdtr.limit, idtr.limit);

    compat_enter();
    printk("ok: compat mode eax %x push %u bytes efer.lma %u\n", compat_eax, compat_push_bytes,
           (compat_efer >> 10) & 1);
    printk("ok: back in 64-bit mode cs %x\n", read_cs());
    exit_qemu(0x10);
}
