/* faults: exception vectors, their error codes and saved RIP (SDM Vol. 3A,
 * 6.15 "Exception and interrupt reference", 6.13 error codes), and a double
 * fault: #GP whose IDT gate is not present gives #NP during delivery, two
 * contributory exceptions make #DF (Table 6-5), delivered on IST 2. */
#include "lib.h"

u64 recover_rip, fault_rip;

static void report(struct trap_frame *f) {
    const char *where = f->rip == fault_rip ? "the faulting instruction" :
                        f->rip == recover_rip ? "the next instruction" : "ELSEWHERE";
    printk("ok: vector %lu error %lx rip = %s\n", f->vector, f->error, where);
    f->rip = recover_rip;
}

/* A stack reference through a non-canonical RSP. The SDM says #SS(0) (Vol. 3A,
 * 3.3.7.1 and 6.15 "Interrupt 12"); QEMU 7.2 and switchyard both raise #GP(0),
 * so the vector is not printed (docs/system-tests.md). Both gates use IST 1:
 * the interrupted stack is unusable. */
static void stack_fault(struct trap_frame *f) {
    printk("ok: push with non-canonical rsp: error %lx rip = %s, frame at ist1-%lu, saved rsp %lx\n", f->error,
           f->rip == fault_rip ? "the faulting instruction" : "ELSEWHERE", ist1_top - (u64)&f->rip, f->rsp);
    f->rip = recover_rip;
    f->rsp = f->rbx;  /* the probe kept the real stack pointer there */
}

static void double_fault(struct trap_frame *f) {
    printk("ok: #DF error %lx frame at ist2-%lu cs %lx\n", f->error, ist2_top - (u64)&f->rip, f->cs);
    exit_qemu(0x10);
}

/* Runs `setup`, then `insn` at label 1 (fault_rip); resumes at label 2. */
#define PROBE(setup, insn)                                                                            \
    __asm__ volatile("leaq 2f(%%rip), %%rdx\n\tmovq %%rdx, recover_rip(%%rip)\n\t"                    \
                     "leaq 1f(%%rip), %%rdx\n\tmovq %%rdx, fault_rip(%%rip)\n\t" setup "\n1:\t" insn \
                     "\n2:" ::: "rax", "rbx", "rcx", "rdx", "memory")

void kmain(void) {
    for (int v = 0; v < 32; ++v) set_trap_handler((u8)v, report);
    set_trap_handler(8, double_fault);
    set_gate(8, 0, 2, 1);

    PROBE("xor %%ecx, %%ecx\n\tmov $1, %%eax\n\txor %%edx, %%edx", "div %%ecx");  /* #DE */
    PROBE("", "ud2");                                                             /* #UD */
    PROBE("", "int3\n");                                                          /* #BP, a trap */
    PROBE("mov $0x1000, %%eax", "mov %%eax, %%ds");   /* beyond the GDT limit: #GP(0x1000) */
    PROBE("mov $0x38, %%eax", "mov %%eax, %%ds");     /* a TSS is no data segment: #GP(0x38) */
    PROBE("mov $0x50, %%eax", "mov %%eax, %%ds");     /* not present: #NP(0x50) */
    PROBE("movabs $0x0000800000000000, %%rax", "mov (%%rax), %%rcx");  /* non-canonical: #GP(0) */
    set_trap_handler(12, stack_fault);
    set_trap_handler(13, stack_fault);
    set_gate(12, 0, 1, 1);
    set_gate(13, 0, 1, 1);
    PROBE("mov %%rsp, %%rbx\n\tmovabs $0x0000800000000100, %%rsp", "push %%rax");
    set_trap_handler(12, report);
    set_trap_handler(13, report);
    u16 ds;
    __asm__ volatile("mov %%ds, %0" : "=r"(ds));
    printk("ok: ds still %x\n", ds);

    /* #GP with its gate not present: #NP(13 * 8 + 2) while delivering, so #DF. */
    set_gate(13, 0, 0, 0);
    PROBE("mov $0x1000, %%eax", "mov %%eax, %%ds");
    fail("no double fault");
}
