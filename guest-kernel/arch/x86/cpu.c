/* Per-CPU set-up: the GDT laid out for SYSCALL/SYSRET, the 64-bit TSS with
 * its IST stacks, the system-call MSRs, CR0/CR4 (Linux: arch/x86/kernel/cpu/common.c). */
#include "desc.h"
#include "fpu.h"
#include "kernel.h"
#include "mm.h"
#include "percpu.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"
#include "segment.h"

extern char entry_SYSCALL_64[], entry_SYSCALL_compat[];
extern char trampoline_start[], tr_pgd[], tr_efer[], tr_target[];
extern char secondary_startup_64[];

/* CPU 0's area is in use from the first instruction of startup_64 (GS base,
 * the canary, `current`), so its fixed part is filled in statically. The other
 * CPUs' areas are filled by smp_boot_cpus() before each starts. */
struct percpu cpu_data[NR_CPUS] = {
    [0] = {
        .self = &cpu_data[0],
        .current_task = &init_task,
        .top_of_stack = (unsigned long)__init_stack_end,
        .cpu_number = 0,
        .stack_canary = 0x5741544348594152, /* until boot_init_stack_canary() */
    },
};
int nr_cpu_ids = 1;
int nr_online_cpus = 1;

char df_stacks[NR_CPUS][4096] __aligned(16);
char nmi_stacks[NR_CPUS][4096] __aligned(16);

/* A 16-byte system-segment descriptor for the TSS (SDM Vol. 3A 8.2.3,
 * Figure 8-4): type 9 = available 64-bit TSS, present, DPL 0. */
static void set_tss_desc(u64 *gdt, const struct x86_hw_tss *tss)
{
    u64 base = (u64)tss, limit = sizeof *tss - 1;
    gdt[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89UL << 40) | (((limit >> 16) & 0xf) << 48) |
             (((base >> 24) & 0xff) << 56);
    gdt[1] = base >> 32;
}

struct desc_ptr {
    u16 size;
    u64 address;
} __packed;

/* Loads this CPU's GDT and reloads CS (far return) and SS. DS/ES/FS are null
 * in 64-bit mode; GS is left alone: a selector load would clear its base. */
static void load_gdt(u64 *gdt)
{
    struct desc_ptr d = {GDT_ENTRIES * 8 - 1, (u64)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movl %2, %%eax\n\t"
                     "movl %%eax, %%ss\n\t"
                     "xorl %%eax, %%eax\n\t"
                     "movl %%eax, %%ds\n\t"
                     "movl %%eax, %%es\n\t"
                     "movl %%eax, %%fs\n\t"
                     :
                     : "m"(d), "i"(__KERNEL_CS), "i"(__KERNEL_DS)
                     : "rax", "memory");
}

void cpu_init(int cpu)
{
    struct percpu *pc = &cpu_data[cpu];
    u64 *gdt = pc->gdt;
    gdt[0] = 0;
    gdt[GDT_ENTRY_KERNEL32_CS] = GDT_KERNEL32_CODE;
    gdt[GDT_ENTRY_KERNEL_CS] = GDT_KERNEL_CODE;
    gdt[GDT_ENTRY_KERNEL_DS] = GDT_KERNEL_DATA;
    gdt[GDT_ENTRY_DEFAULT_USER32_CS] = GDT_USER32_CODE;
    gdt[GDT_ENTRY_DEFAULT_USER_DS] = GDT_USER_DATA;
    gdt[GDT_ENTRY_DEFAULT_USER_CS] = GDT_USER_CODE;
    gdt[7] = 0;
    memset(&pc->tss, 0, sizeof pc->tss);
    pc->tss.sp0 = pc->top_of_stack;
    pc->tss.ist[IST_INDEX_DF - 1] = (u64)(df_stacks[cpu] + sizeof df_stacks[cpu]);
    pc->tss.ist[IST_INDEX_NMI - 1] = (u64)(nmi_stacks[cpu] + sizeof nmi_stacks[cpu]);
    pc->tss.io_bitmap_base = sizeof pc->tss;
    set_tss_desc(&gdt[GDT_ENTRY_TSS], &pc->tss);
    load_gdt(gdt);
    __asm__ volatile("ltr %w0" ::"r"(GDT_TSS_SELECTOR));
    load_idt();

    /* SYSCALL: CS = __KERNEL_CS, SS = __KERNEL_DS; SYSRETQ: CS = __USER32_CS + 16
     * = __USER_CS, SS = __USER32_CS + 8 = __USER_DS (segment.h). */
    wrmsr(MSR_STAR, ((u64)__USER32_CS << 48) | ((u64)__KERNEL_CS << 32));
    wrmsr(MSR_LSTAR, (u64)entry_SYSCALL_64);
    wrmsr(MSR_CSTAR, (u64)entry_SYSCALL_compat);
    wrmsr(MSR_SYSCALL_MASK, X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_IF | X86_EFLAGS_AC | X86_EFLAGS_NT |
                                (3 << 12) /* IOPL */);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_FS_BASE, 0);
    wrmsr(MSR_KERNEL_GS_BASE, 0); /* the user GS base, swapped in on the way out */

    write_cr0((read_cr0() | X86_CR0_MP | X86_CR0_NE | X86_CR0_WP) & ~(X86_CR0_EM | X86_CR0_TS));
    write_cr4(read_cr4() | X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
    fpu__init_cpu();
}

/* TSS.RSP0: the stack the CPU switches to on an interrupt or exception from
 * ring 3. It is the top of the running task's kernel stack, so the hardware
 * frame lands where pt_regs belongs. */
void update_task_stack(unsigned long top) { this_cpu()->tss.sp0 = top; }

/* The trampoline's page tables: low memory identity-mapped (the trampoline
 * runs there when paging turns on) plus the kernel half of init_mm. */
static unsigned long trampoline_pgd(void)
{
    pgd_t *pgd = alloc_page(), *pud = alloc_page(), *pmd = alloc_page();
    for (int i = 0; i < 512; ++i) pmd[i] = ((unsigned long)i << 21) | _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE;
    pud[0] = __pa(pmd) | _PAGE_PRESENT | _PAGE_RW;
    pgd[0] = __pa(pud) | _PAGE_PRESENT | _PAGE_RW;
    for (int k = 256; k < 512; ++k) pgd[k] = init_mm.pgd[k];
    return __pa(pgd);
}

void prepare_trampoline(char *t)
{
    *(u32 *)(t + (tr_pgd - trampoline_start)) = (u32)trampoline_pgd();
    *(u32 *)(t + (tr_efer - trampoline_start)) = (u32)rdmsr(MSR_EFER);
    *(u64 *)(t + (tr_target - trampoline_start)) = (u64)secondary_startup_64;
}
