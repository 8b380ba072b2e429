/* Per-CPU set-up of the i386 build: the GDT in Linux i386's order, the 32-bit
 * TSS (SS0:ESP0), the per-CPU segment in FS, CR0/CR4 (Linux:
 * arch/x86/kernel/cpu/common.c, CONFIG_X86_32). */
#include "desc.h"
#include "fpu.h"
#include "kernel.h"
#include "mm.h"
#include "percpu.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"
#include "segment.h"

/* CPU 0's area is in use from startup_32's first call (FS base, the canary,
 * `current`), so its fixed part is filled in statically. The other CPUs'
 * areas are filled by smp_boot_cpus() before each starts. */
struct percpu cpu_data[NR_CPUS] = {
    [0] = {
        .self = &cpu_data[0],
        .current_task = &init_task,
        .top_of_stack = (unsigned long)__init_stack_end,
        .cpu_number = 0,
        .stack_canary = 0x57415443, /* until boot_init_stack_canary() */
    },
};
int nr_cpu_ids = 1;
int nr_online_cpus = 1;

/* An available 32-bit TSS descriptor (SDM Vol. 3A 8.2.2, Figure 8-3): type 9,
 * present, DPL 0, byte granularity. */
static u64 tss_desc(const struct x86_hw_tss *tss)
{
    u64 base = (unsigned long)tss, limit = sizeof *tss - 1;
    return (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
           ((base >> 24) << 56);
}

/* Loads this CPU's GDT, reloads CS (far jump through a far return), SS, DS,
 * ES and FS = the per-CPU segment. GS is the user's (TLS): left alone. */
static void load_gdt(u64 *gdt)
{
    struct {
        u16 size;
        u32 address;
    } __packed d = {GDT_ENTRIES * 8 - 1, (u32)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushl %1\n\t"
                     "pushl $1f\n\t"
                     "lret\n"
                     "1:\n\t"
                     "movl %2, %%eax\n\t"
                     "movl %%eax, %%ss\n\t"
                     "movl %3, %%eax\n\t"
                     "movl %%eax, %%ds\n\t"
                     "movl %%eax, %%es\n\t"
                     "movl %4, %%eax\n\t"
                     "movl %%eax, %%fs\n\t"
                     :
                     : "m"(d), "i"(__KERNEL_CS), "i"(__KERNEL_DS), "i"(__USER_DS), "i"(__KERNEL_PERCPU)
                     : "eax", "memory");
}

void cpu_init(int cpu)
{
    struct percpu *pc = &cpu_data[cpu];
    u64 *gdt = pc->gdt;
    memset(gdt, 0, sizeof pc->gdt);
    gdt[GDT_ENTRY_KERNEL_CS] = GDT_KERNEL_CODE;
    gdt[GDT_ENTRY_KERNEL_DS] = GDT_KERNEL_DATA;
    gdt[GDT_ENTRY_DEFAULT_USER_CS] = GDT_USER_CODE;
    gdt[GDT_ENTRY_DEFAULT_USER_DS] = GDT_USER_DATA;
    gdt[GDT_ENTRY_PERCPU] = gdt_desc_with_base(GDT_PERCPU_DATA, (unsigned long)pc);
    gdt[GDT_ENTRY_TLS] = pc->current_task->thread.tls_desc;
    memset(&pc->tss, 0, sizeof pc->tss);
    pc->tss.sp0 = pc->top_of_stack;
    pc->tss.ss0 = __KERNEL_DS;
    pc->tss.io_bitmap_base = sizeof pc->tss;
    gdt[GDT_ENTRY_TSS] = tss_desc(&pc->tss);
    load_gdt(gdt);
    __asm__ volatile("ltr %w0" ::"r"(GDT_TSS_SELECTOR));
    load_idt();

    write_cr0((read_cr0() | X86_CR0_MP | X86_CR0_NE | X86_CR0_WP) & ~(X86_CR0_EM | X86_CR0_TS));
    write_cr4(read_cr4() | X86_CR4_PSE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
    fpu__init_cpu();
}

/* TSS.ESP0: the stack the CPU switches to (with SS0) on an interrupt or
 * exception from ring 3: the top of the running task's kernel stack, so the
 * hardware frame lands where pt_regs belongs. */
void update_task_stack(unsigned long top) { this_cpu()->tss.sp0 = top; }

extern char trampoline_start[], tr_pgd[], tr_target[];
extern char secondary_startup_32[];

/* The trampoline's page directory: the first 4 MiB identity-mapped (the
 * trampoline runs there when paging turns on) plus the kernel half of init_mm. */
static unsigned long trampoline_pgd(void)
{
    pgd_t *pgd = alloc_page();
    pgd[0] = _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE;
    for (int k = KERNEL_PGD_FIRST; k < PTRS_PER_TABLE; ++k) pgd[k] = init_mm.pgd[k];
    return __pa(pgd);
}

void prepare_trampoline(char *t)
{
    *(u32 *)(t + (tr_pgd - trampoline_start)) = (u32)trampoline_pgd();
    *(u32 *)(t + (tr_target - trampoline_start)) = (u32)secondary_startup_32;
}

/* The first C function of the i386 build (startup_32): the same start as the
 * x86-64 kernel's. Not stack-protected, like what it calls. */
__noreturn void x86_64_start_kernel(u32 magic, unsigned long mbi_phys);
__no_stack_protector __noreturn void i386_start_kernel(u32 magic, unsigned long mbi_phys)
{
    x86_64_start_kernel(magic, mbi_phys);
}
