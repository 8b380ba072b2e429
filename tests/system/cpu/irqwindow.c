/* irqwindow: where a pending maskable interrupt is delivered once an
 * instruction makes it acceptable (SDM Vol. 3A, 6.8.1 "Masking Maskable
 * Hardware Interrupts", 6.8.3 "Masking Exceptions and Interrupts When
 * Switching Stacks"; Vol. 2B STI; Vol. 2A MOV, POP). The interpreter runs a
 * block without looking for interrupts between its instructions, and starts
 * the next block at once when the boundary is quiet (docs/performance.md,
 * "quiet block boundaries"): these are the boundaries where it must look.
 *
 * Each case makes a local APIC self-IPI (vector 0x40) pending with IF clear,
 * checks that it waits in the IRR, then runs a short sequence of labelled
 * instructions. The handler records the RIP it interrupted, and the kernel
 * prints which label that is:
 *   - STI: after the instruction that follows STI (the STI shadow);
 *   - POPF, POPFQ that sets IF: at once, before the next instruction;
 *   - IRETQ whose RFLAGS image has IF: at once, at the IRET's target;
 *   - MOV to CR8 lowering the task priority below the pending vector (IF
 *     already set; SDM Vol. 3A 11.8.3.1): at once;
 *   - MOV SS, then POPF that sets IF: at once after POPF (the MOV SS shadow
 *     covers only the instruction after MOV SS, here POPF itself);
 *   - MOV SS, then IRETQ that sets IF: at the IRET's target;
 *   - POP SS (compatibility mode; POP SS is #UD in 64-bit mode), then POPF:
 *     after POPF, as with MOV SS;
 *   - and CR8 reads what the APIC's TPR holds and writes it (11.8.6);
 *   - STI, then MOV SS: the STI manual page: in a sequence of instructions
 *     that each delay interrupts by one instruction only the first is
 *     guaranteed to; the interrupt may come before or after the instruction
 *     after MOV SS. The kernel prints whether it came at one of those two
 *     boundaries, not which (QEMU and switchyard choose differently, see
 *     docs/system-tests.md).
 * Every case also checks that the interrupt came exactly once. */
#include "lib.h"

#define VECTOR 0x40
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_IRR 0x200
#define LAPIC_ICR_LO 0x300
#define ICR_SELF (1u << 18)    /* destination shorthand 01: self (SDM Vol. 3A 11.6.1) */
#define ICR_ASSERT (1u << 14)
#define ICR_PENDING (1u << 12)

static volatile u32 *lapic(u32 reg) { return (volatile u32 *)(LAPIC_BASE + reg); }

static volatile int irq_count;
static volatile u64 irq_rip;

static void on_irq(struct trap_frame *f) {
    ++irq_count;
    irq_rip = f->rip;
    *lapic(LAPIC_EOI) = 0;
}

/* The sequences: each is entered with IF clear and the interrupt pending, and
 * returns with IF clear. Labels name the boundaries the interrupt may come at. */
extern void case_sti(void), case_popf(void), case_iret(void), case_cr8(void), case_movss_popf(void),
    case_movss_iret(void), case_popss_popf(void), case_sti_movss(void);
extern char sti_1[], sti_2[], sti_3[], popf_1[], popf_2[], iret_1[], iret_2[], cr8_1[], cr8_2[], movss_popf_1[],
    movss_popf_2[], movss_iret_1[], movss_iret_2[], popss_popf_1[], popss_popf_2[], sti_movss_1[], sti_movss_2[],
    sti_movss_3[];
extern u32 compat_entry_ptr[];

__asm__(
    ".text\n"
    /* sti; nop; nop; nop */
    "case_sti:\n"
    "    sti\n"
    "sti_1: nop\n"
    "sti_2: nop\n"
    "sti_3: nop\n"
    "    cli\n"
    "    ret\n"
    /* popfq with IF in the image */
    "case_popf:\n"
    "    pushfq\n"
    "    orq $0x200, (%rsp)\n"
    "    popfq\n"
    "popf_1: nop\n"
    "popf_2: nop\n"
    "    cli\n"
    "    ret\n"
    /* iretq to the next line, IF in the RFLAGS image */
    "case_iret:\n"
    "    mov %rsp, %rax\n"
    "    mov %ss, %ecx\n"
    "    pushq %rcx\n"                 /* SS */
    "    pushq %rax\n"                 /* RSP */
    "    pushfq\n"
    "    orq $0x200, (%rsp)\n"         /* RFLAGS */
    "    mov %cs, %ecx\n"
    "    pushq %rcx\n"                 /* CS */
    "    lea iret_1(%rip), %rax\n"
    "    pushq %rax\n"                 /* RIP */
    "    iretq\n"
    "iret_1: nop\n"
    "iret_2: nop\n"
    "    cli\n"
    "    ret\n"
    /* IF set, TPR 15 holds the interrupt off; mov cr8 lowers it to 0 */
    "case_cr8:\n"
    "    mov $15, %eax\n"
    "    mov %rax, %cr8\n"
    "    sti\n"
    "    nop\n"
    "    nop\n"
    "    xor %eax, %eax\n"
    "    mov %rax, %cr8\n"
    "cr8_1: nop\n"
    "cr8_2: nop\n"
    "    cli\n"
    "    ret\n"
    /* mov ss; popfq (IF) */
    "case_movss_popf:\n"
    "    pushfq\n"
    "    orq $0x200, (%rsp)\n"
    "    mov %ss, %eax\n"
    "    mov %eax, %ss\n"
    "    popfq\n"
    "movss_popf_1: nop\n"
    "movss_popf_2: nop\n"
    "    cli\n"
    "    ret\n"
    /* mov ss; iretq (IF) */
    "case_movss_iret:\n"
    "    mov %rsp, %rax\n"
    "    mov %ss, %ecx\n"
    "    pushq %rcx\n"
    "    pushq %rax\n"
    "    pushfq\n"
    "    orq $0x200, (%rsp)\n"
    "    mov %cs, %edx\n"
    "    pushq %rdx\n"
    "    lea movss_iret_1(%rip), %rax\n"
    "    pushq %rax\n"
    "    mov %ecx, %ss\n"
    "    iretq\n"
    "movss_iret_1: nop\n"
    "movss_iret_2: nop\n"
    "    cli\n"
    "    ret\n"
    /* sti; mov ss; nop; nop */
    "case_sti_movss:\n"
    "    mov %ss, %eax\n"
    "    sti\n"
    "    mov %eax, %ss\n"
    "sti_movss_1: nop\n"
    "sti_movss_2: nop\n"
    "sti_movss_3: nop\n"
    "    cli\n"
    "    ret\n"
    /* pop ss; popfl (IF) in compatibility mode: a far call to the 32-bit
     * code segment, a far return back to 64-bit code. */
    "case_popss_popf:\n"
    "    lcall *compat_entry_ptr(%rip)\n"
    "    ret\n"
    ".code32\n"
    "compat_entry:\n"
    "    pushfl\n"
    "    orl $0x200, (%esp)\n"
    "    push %ss\n"
    "    pop %ss\n"
    "    popfl\n"
    "popss_popf_1: nop\n"
    "popss_popf_2: nop\n"
    "    cli\n"
    "    lret\n"
    ".code64\n"
    ".data\n"
    ".balign 8\n"
    "compat_entry_ptr: .long compat_entry, " "0x30" "\n"  /* KERNEL_CS32 */
    ".text\n");
_Static_assert(KERNEL_CS32 == 0x30, "compat_entry_ptr names KERNEL_CS32");

struct label {
    const char *name;
    const void *at;
};

static const char *label_of(const struct label *l, u64 rip) {
    for (; l->name; ++l)
        if ((u64)l->at == rip) return l->name;
    return 0;
}

static void make_pending(void) {
    __asm__ volatile("cli");
    irq_count = 0;
    *lapic(LAPIC_ICR_LO) = ICR_SELF | ICR_ASSERT | VECTOR;
    while (*lapic(LAPIC_ICR_LO) & ICR_PENDING) cpu_relax();
    if (!(*lapic(LAPIC_IRR + 0x10 * (VECTOR / 32)) & (1u << (VECTOR % 32)))) fail("the self-IPI is not in the IRR");
    if (irq_count) fail("the interrupt came with IF clear");
}

/* Runs one case and prints the label the interrupt came at. */
static void run_case(const char *what, void (*seq)(void), const struct label *labels) {
    make_pending();
    seq();
    const char *at = label_of(labels, irq_rip);
    if (irq_count != 1) printk("%s: %d interrupts\n", what, irq_count);
    else if (!at) printk("%s: delivered at %lx, none of the labels\n", what, irq_rip);
    else printk("%s: delivered before %s\n", what, at);
}

void kmain(void) {
    map_local_apic();
    __asm__ volatile("outb %%al, $0x21\n outb %%al, $0xA1" ::"a"(0xFF));  /* no 8259 interrupts */
    *lapic(LAPIC_SVR) = 0x1FF;  /* software-enable the APIC, spurious vector 0xFF */
    set_trap_handler(VECTOR, on_irq);

    run_case("sti; nop; nop", case_sti, (const struct label[]){{"sti_1", sti_1}, {"sti_2", sti_2}, {"sti_3", sti_3}, {0, 0}});
    run_case("popfq (IF)", case_popf, (const struct label[]){{"popf_1", popf_1}, {"popf_2", popf_2}, {0, 0}});
    run_case("iretq (IF)", case_iret, (const struct label[]){{"iret_1", iret_1}, {"iret_2", iret_2}, {0, 0}});
    run_case("mov cr8 (TPR 15 -> 0)", case_cr8, (const struct label[]){{"cr8_1", cr8_1}, {"cr8_2", cr8_2}, {0, 0}});
    run_case("mov ss; popfq (IF)", case_movss_popf,
             (const struct label[]){{"movss_popf_1", movss_popf_1}, {"movss_popf_2", movss_popf_2}, {0, 0}});
    run_case("mov ss; iretq (IF)", case_movss_iret,
             (const struct label[]){{"movss_iret_1", movss_iret_1}, {"movss_iret_2", movss_iret_2}, {0, 0}});
    run_case("pop ss; popfd (IF), compatibility mode", case_popss_popf,
             (const struct label[]){{"popss_popf_1", popss_popf_1}, {"popss_popf_2", popss_popf_2}, {0, 0}});

    /* CR8 is TPR[7:4] (SDM Vol. 3A 11.8.6): each side sees the other's writes. */
    *lapic(LAPIC_TPR) = 0x5A;
    const u64 cr8_seen = READ_CR(8);
    WRITE_CR(8, 3);
    printk("tpr 0x5a: cr8 %lx; cr8 3: tpr %x\n", cr8_seen, *lapic(LAPIC_TPR));
    WRITE_CR(8, 0);

    /* STI then MOV SS: either boundary is the SDM's (see the top). */
    make_pending();
    case_sti_movss();
    const int allowed = irq_count == 1 && ((u64)sti_movss_1 == irq_rip || (u64)sti_movss_2 == irq_rip);
    printk("sti; mov ss; nop: %s\n", allowed ? "delivered after mov ss or after the next instruction"
                                             : "delivered where the SDM does not allow");
    if (!allowed) printk("  (%d interrupts, rip %lx)\n", irq_count, irq_rip);
    exit_qemu(0x10);
}
