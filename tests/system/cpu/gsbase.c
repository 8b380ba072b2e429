/* gsbase: the FS/GS base MSRs, SWAPGS and the FSGSBASE instructions (SDM
 * Vol. 3A, 3.4.4 "Segment loading instructions in IA-32e mode"; Vol. 2B SWAPGS,
 * Vol. 2B RDFSBASE/WRFSBASE; Vol. 4 IA32_FS_BASE, IA32_GS_BASE,
 * IA32_KERNEL_GS_BASE). */
#include "lib.h"

static u64 area_a[2] = {0xAAAA0000, 0xAAAA0008}, area_b[2] = {0xBBBB0000, 0xBBBB0008},
           area_c[2] = {0xCCCC0000, 0xCCCC0008};
u64 recover_rip;

static u64 gs0(void) { u64 v; __asm__ volatile("mov %%gs:0, %0" : "=r"(v)); return v; }
static u64 gs8(void) { u64 v; __asm__ volatile("mov %%gs:8, %0" : "=r"(v)); return v; }
static u64 fs0(void) { u64 v; __asm__ volatile("mov %%fs:0, %0" : "=r"(v)); return v; }

static void skip_fault(struct trap_frame *f) {
    printk("ok: vector %lu error %lx at cpl %lu\n", f->vector, f->error, f->cs & 3);
    f->rip = recover_rip;
}

/* Runs one instruction that is expected to fault; returns 1 if it did not. */
#define EXPECT_FAULT(insn)                                                                              \
    ({                                                                                                  \
        u64 ran_;                                                                                       \
        __asm__ volatile("leaq 1f(%%rip), %%rdx\n\tmovq %%rdx, recover_rip(%%rip)\n\txor %k0, %k0\n\t" \
                         insn "\n\tmov $1, %k0\n1:"                                                      \
                         : "=&a"(ran_) : : "rdx", "rcx", "memory");                                      \
        ran_;                                                                                           \
    })

static u64 user_swapgs(void) { return EXPECT_FAULT("swapgs"); }
static u64 user_rdgsbase(void) {
    u64 v;
    __asm__ volatile("rdgsbase %0" : "=r"(v));
    return v;
}

void kmain(void) {
    set_trap_handler(6, skip_fault);
    set_trap_handler(13, skip_fault);

    wrmsr(MSR_GS_BASE, (u64)area_a);
    wrmsr(MSR_KERNEL_GS_BASE, (u64)area_b);
    printk("ok: gs:0 %lx gs:8 %lx\n", gs0(), gs8());
    __asm__ volatile("swapgs" ::: "memory");
    printk("ok: after swapgs gs:0 %lx, gs base %s, kernel gs base %s\n", gs0(),
           rdmsr(MSR_GS_BASE) == (u64)area_b ? "= b" : "WRONG",
           rdmsr(MSR_KERNEL_GS_BASE) == (u64)area_a ? "= a" : "WRONG");
    __asm__ volatile("swapgs" ::: "memory");
    printk("ok: swapgs twice gs:0 %lx\n", gs0());

    /* (A non-canonical base would be #GP(0) from WRMSR and WRFSBASE; QEMU 7.2
     * accepts it, so it is not tested: docs/system-tests.md.) */

    /* Loading FS with a selector in 64-bit mode loads the descriptor's 32-bit base. */
    wrmsr(MSR_FS_BASE, (u64)area_c);
    printk("ok: fs:0 %lx\n", fs0());
    *(volatile u64 *)BASED_DS_BASE = 0x3450003450;
    __asm__ volatile("mov %0, %%fs" ::"r"((u16)BASED_DS));
    printk("ok: mov fs, %x: fs base %lx fs:0 %lx\n", BASED_DS, rdmsr(MSR_FS_BASE), fs0());

    /* SWAPGS is CPL 0 only: #GP(0) from CPL 3. */
    printk("ok: user swapgs ran=%lu\n", run_user(user_swapgs, user_stack_top));

    u32 r[4];
    cpuid(7, 0, r);
    if (!(r[1] & 1)) {
        printk("skip: no FSGSBASE in CPUID.7.EBX\n");
        exit_qemu(0x10);
    }
    /* With CR4.FSGSBASE clear the instructions are #UD. */
    printk("ok: rdfsbase with cr4.fsgsbase=0 ran=%lu\n", EXPECT_FAULT("rdfsbase %%rcx"));
    WRITE_CR(4, READ_CR(4) | CR4_FSGSBASE);
    __asm__ volatile("wrfsbase %0" ::"r"((u64)area_c) : "memory");
    u64 fsb;
    __asm__ volatile("rdfsbase %0" : "=r"(fsb));
    printk("ok: wrfsbase: rdfsbase %s, msr %s, fs:0 %lx\n", fsb == (u64)area_c ? "= c" : "WRONG",
           rdmsr(MSR_FS_BASE) == (u64)area_c ? "= c" : "WRONG", fs0());
    __asm__ volatile("wrgsbase %0" ::"r"((u64)area_b) : "memory");
    printk("ok: wrgsbase: gs:8 %lx, msr %s\n", gs8(), rdmsr(MSR_GS_BASE) == (u64)area_b ? "= b" : "WRONG");
    printk("ok: user rdgsbase %s\n", run_user(user_rdgsbase, user_stack_top) == (u64)area_b ? "= b" : "WRONG");
    exit_qemu(0x10);
}
