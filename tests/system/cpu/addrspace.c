/* addrspace: two address spaces that map different code and data at the same
 * linear addresses, and everything that must follow a switch between them:
 * MOV to CR3 with and without PCIDs (and with bit 63, no flush), reads at CPL
 * 3, an instruction that straddles two pages whose second page is remapped or
 * unmapped, the invalidations INVLPG, INVPCID (types 0-3), MOV to CR3 and a
 * CR4.PGE toggle, PAE paging over thousands of walks (out of long mode and
 * back), and two CPUs taking turns in the two spaces. SDM Vol. 3A 4.4 (PAE),
 * 4.7 (#PF), 4.10.1 (PCIDs), 4.10.4 (invalidation), 8.4.4.1 (AP start-up).
 *
 * Every line prints what the architecture guarantees, never what a TLB may
 * have kept. QEMU 7.2 (TCG) has neither PCID nor INVPCID; when CPUID lacks
 * them the same steps run without (plain MOV to CR3 for a PCID switch, INVLPG,
 * MOV to CR3 or a CR4.PGE toggle for each INVPCID type), which must give the
 * same results, so the lines do not say which path ran (docs/system-tests.md).
 * Runs with two CPUs (-smp 2). */
#include "lib.h"

#define PTE_P ((u64)1 << 0)
#define PTE_W ((u64)1 << 1)
#define PTE_U ((u64)1 << 2)
#define PTE_A ((u64)1 << 5)
#define PTE_G ((u64)1 << 8)
#define PTE (PTE_P | PTE_W | PTE_U)
#define CR3_NOFLUSH ((u64)1 << 63)
#define CR4_PCIDE (1u << 17)

/* Linear pages in pt_test and what they map to in space A (identity) and B. */
#define FUNC_VA TEST_PAGE(0x20)      /* mov eax, 0xA; ret */
#define FUNC_B_PA TEST_PAGE(0x21)    /* mov eax, 0xB; ret: FUNC_VA in space B */
#define DATA_VA TEST_PAGE(0x22)      /* 0xAAAA */
#define DATA_B_PA TEST_PAGE(0x23)    /* 0xBBBB: DATA_VA in space B */
#define FUNC_C_PA TEST_PAGE(0x24)    /* mov eax, 0xC; ret: FUNC_VA remapped */
#define STRADDLE_VA (TEST_PAGE(0x31) - 2)
#define SECOND_VA TEST_PAGE(0x31)
#define OTHER_PA TEST_PAGE(0x32)     /* other bytes for SECOND_VA */
#define PAE_VALUES 0x800             /* offset of the PAE walk's values in each test page */

/* Space B: its own PML4, PDPT, PD and page table for 2-4 MiB; pt_low is shared. */
static u64 pml4_b[512] __attribute__((aligned(4096)));
static u64 pdpt_b[512] __attribute__((aligned(4096)));
static u64 pd_b[512] __attribute__((aligned(4096)));
static u64 pt_test_b[512] __attribute__((aligned(4096)));
static int have_pcid, have_invpcid;

typedef u32 (*func_t)(void);
static u32 call_at(u64 va) { return ((func_t)va)(); }
static u32 call_func(void) { return call_at(FUNC_VA); }
static u32 read_data(void) { return *(volatile u32 *)DATA_VA; }

/* mov eax, value; ret at physical (= linear in space A) `pa`. */
static void put_func(u64 pa, u32 value) {
    volatile u8 *p = (volatile u8 *)pa;
    p[0] = 0xB8;
    for (int k = 0; k < 4; ++k) p[1 + k] = (u8)(value >> (8 * k));
    p[5] = 0xC3;
}

static void copy_table(u64 *dst, const u64 *src) {
    for (int k = 0; k < 512; ++k) dst[k] = src[k];
}

static void build_space_b(void) {
    copy_table(pml4_b, pml4);
    copy_table(pdpt_b, pdpt);
    copy_table(pd_b, pd);
    copy_table(pt_test_b, pt_test);
    pml4_b[0] = (u64)pdpt_b | PTE;
    pdpt_b[0] = (u64)pd_b | PTE;
    pd_b[1] = (u64)pt_test_b | PTE;
    pt_test_b[0x20] = FUNC_B_PA | PTE;
    pt_test_b[0x22] = DATA_B_PA | PTE;
    pt_test_b[0x31] = OTHER_PA | PTE;
}

/* CR3 values for the two spaces: PCIDs 1 and 2 when `pcid`, bit 63 when `keep`. */
static u64 cr3_a(int pcid, int keep) { return (u64)pml4 | (pcid ? 1 | (keep ? CR3_NOFLUSH : 0) : 0); }
static u64 cr3_b(int pcid, int keep) { return (u64)pml4_b | (pcid ? 2 | (keep ? CR3_NOFLUSH : 0) : 0); }

static void set_pcide(int on) {
    if (on) {
        WRITE_CR(3, (u64)pml4);  /* CR4.PCIDE may be set only with CR3[11:0] = 0 */
        WRITE_CR(4, READ_CR(4) | CR4_PCIDE);
    } else {
        WRITE_CR(3, (u64)pml4);
        WRITE_CR(4, READ_CR(4) & ~(u64)CR4_PCIDE);
    }
}

static void flush_all(void) {  /* a CR4.PGE toggle drops global entries too */
    u64 cr4 = READ_CR(4);
    WRITE_CR(4, cr4 ^ CR4_PGE);
    WRITE_CR(4, cr4);
}

/* ---- MOV to CR3 --------------------------------------------------------------- */

static u64 user_read_data(void) { return read_data(); }

static void cr3_switches(void) {
    static const char *const names[3] = {"plain", "pcid", "pcid-noflush"};
    for (int m = 0; m < 3; ++m) {
        const int pcid = m > 0 && have_pcid, keep = m == 2;
        set_pcide(pcid);
        WRITE_CR(3, cr3_a(pcid, 0));
        u32 da = 0, db = 0, ca = 0, cb = 0;
        for (int r = 0; r < 1000; ++r) {
            WRITE_CR(3, cr3_b(pcid, keep));
            db += read_data();
            cb += call_func();
            WRITE_CR(3, cr3_a(pcid, keep));
            da += read_data();
            ca += call_func();
        }
        /* A write in B lands in B's page; A's page at that offset stays 0. */
        WRITE_CR(3, cr3_b(pcid, keep));
        *(volatile u32 *)(DATA_VA + 8) = 0x5550 + m;
        WRITE_CR(3, cr3_a(pcid, keep));
        u32 in_a = *(volatile u32 *)(DATA_VA + 8), in_b = *(volatile u32 *)(DATA_B_PA + 8);
        printk("ok: cr3 %s: 1000 rounds, data a %u b %u, code a %u b %u; a write in b: b %x a %x\n", names[m], da,
               db, ca, cb, in_b, in_a);
        /* CPL 3 reads through the user host TLB after each switch. */
        u64 u1 = run_user(user_read_data, user_stack_top);
        WRITE_CR(3, cr3_b(pcid, keep));
        u64 u2 = run_user(user_read_data, user_stack_top);
        WRITE_CR(3, cr3_a(pcid, keep));
        u64 u3 = run_user(user_read_data, user_stack_top);
        printk("ok: cr3 %s: cpl 3 reads a %lx, b %lx, a %lx\n", names[m], u1, u2, u3);
        *(volatile u32 *)(DATA_B_PA + 8) = 0;
        set_pcide(0);
    }
}

/* ---- an instruction across two pages ------------------------------------------ */

static int straddle_faults;

static void straddle_fault(struct trap_frame *f) {
    if (++straddle_faults > 1) fail("#PF loop at the straddling instruction");
    printk("ok: straddle unmapped: #PF cr2 %lx error %lx, rip at the instruction %u\n", READ_CR(2), f->error,
           f->rip == STRADDLE_VA);
    /* Return from the call that reached it, with EAX = 0xdead. */
    f->rax = 0xdead;
    f->rip = *(u64 *)f->rsp;
    f->rsp += 8;
}

static void straddling(void) {
    /* mov eax, 0x11223344 (B8 44 | 33 22 11) across the page boundary; ret. */
    volatile u8 *s = (volatile u8 *)STRADDLE_VA;
    const u8 bytes[6] = {0xB8, 0x44, 0x33, 0x22, 0x11, 0xC3};
    for (int k = 0; k < 6; ++k) s[k] = bytes[k];
    volatile u8 *o = (volatile u8 *)OTHER_PA;  /* the second page's bytes elsewhere: 0x55667744 */
    const u8 other[4] = {0x77, 0x66, 0x55, 0xC3};
    for (int k = 0; k < 4; ++k) o[k] = other[k];

    u32 first = call_at(STRADDLE_VA);
    pt_test[0x31] = OTHER_PA | PTE;
    invlpg(SECOND_VA);
    u32 remapped = call_at(STRADDLE_VA);
    pt_test[0x31] = SECOND_VA | PTE;
    invlpg(SECOND_VA);
    u32 back = call_at(STRADDLE_VA);
    printk("ok: straddle %x, second page remapped (invlpg) %x, mapped back %x\n", first, remapped, back);
    WRITE_CR(3, cr3_b(0, 0));
    u32 in_b = call_at(STRADDLE_VA);
    WRITE_CR(3, cr3_a(0, 0));
    u32 in_a = call_at(STRADDLE_VA);
    printk("ok: straddle in space b %x, in space a %x\n", in_b, in_a);

    set_trap_handler(14, straddle_fault);
    pt_test[0x31] = 0;
    invlpg(SECOND_VA);
    u32 unmapped = call_at(STRADDLE_VA);
    set_trap_handler(14, 0);
    pt_test[0x31] = SECOND_VA | PTE;
    invlpg(SECOND_VA);
    printk("ok: straddle unmapped returned %x after %u fault(s); mapped again %x\n", unmapped, straddle_faults,
           call_at(STRADDLE_VA));
}

/* ---- invalidation ------------------------------------------------------------- */

struct invpcid_desc {
    u64 pcid, la;
} __attribute__((aligned(16)));

static int tlb_pcid;  /* the PCID in CR3 during the INVPCID cases */

static void invpcid(u64 type, u64 la) {
    struct invpcid_desc d = {tlb_pcid, la};
    __asm__ volatile("invpcid %0, %1" ::"m"(d), "r"(type) : "memory");
}

/* Each invalidation, as INVPCID or (without it) what it must amount to. */
static void inv_invlpg(void) {
    invlpg(FUNC_VA);
    invlpg(DATA_VA);
}
static void inv_cr3(void) { WRITE_CR(3, READ_CR(3) & ~CR3_NOFLUSH); }
static void inv_type0(void) {
    if (have_invpcid) {
        invpcid(0, FUNC_VA);
        invpcid(0, DATA_VA);
    } else {
        inv_invlpg();
    }
}
static void inv_type1(void) {
    if (have_invpcid) invpcid(1, 0);
    else inv_cr3();
}
static void inv_type2(void) {
    if (have_invpcid) invpcid(2, 0);
    else flush_all();
}
static void inv_type3(void) {
    if (have_invpcid) invpcid(3, 0);
    else inv_cr3();
}

struct inv_case {
    const char *name;
    int global;  /* the remapped pages are global */
    void (*invalidate)(void);
};

static void invalidations(void) {
    static const struct inv_case cases[] = {
        {"invlpg", 0, inv_invlpg},
        {"invlpg, global pages", 1, inv_invlpg},
        {"mov to cr3", 0, inv_cr3},
        {"cr4.pge toggle, global pages", 1, flush_all},
        {"invpcid individual address", 0, inv_type0},
        {"invpcid single context", 0, inv_type1},
        {"invpcid all contexts, global pages", 1, inv_type2},
        {"invpcid all but global", 0, inv_type3},
    };
    WRITE_CR(4, READ_CR(4) | CR4_PGE);
    for (unsigned n = 0; n < sizeof cases / sizeof cases[0]; ++n) {
        const struct inv_case *c = &cases[n];
        const int with_pcid = have_pcid && c->invalidate != inv_invlpg && c->invalidate != flush_all;
        set_pcide(with_pcid);
        tlb_pcid = with_pcid ? 1 : 0;
        WRITE_CR(3, cr3_a(with_pcid, 0));
        const u64 g = c->global ? PTE_G : 0;
        pt_test[0x20] = FUNC_VA | PTE | g;
        pt_test[0x22] = DATA_VA | PTE | g;
        flush_all();
        u32 code0 = call_func(), data0 = read_data();  /* both translations are in use now */
        pt_test[0x20] = FUNC_C_PA | PTE | g;
        pt_test[0x22] = DATA_B_PA | PTE | g;
        c->invalidate();
        u32 code1 = call_func(), data1 = read_data();
        pt_test[0x20] = FUNC_VA | PTE;
        pt_test[0x22] = DATA_VA | PTE;
        flush_all();
        set_pcide(0);
        printk("ok: remap then %s: code %x -> %x, data %x -> %x\n", c->name, code0, code1, data0, data1);
    }
    WRITE_CR(4, READ_CR(4) & ~(u64)CR4_PGE);
}

/* ---- PAE paging ---------------------------------------------------------------- */

/* PAE tables: PDPTE 0 -> one page directory of 2 MiB pages for the first GiB,
 * except 2-4 MiB, which goes through 4 KiB pages. (Not static: pae_walks
 * names pae_pdpt.) */
u64 pae_pdpt[4] __attribute__((aligned(32)));
static u64 pae_pd[512] __attribute__((aligned(4096)));
static u64 pae_pt[512] __attribute__((aligned(4096)));

/* u32 pae_walks(u32 n): leaves IA-32e mode through compatibility mode (CR0.PG
 * off, EFER.LME off), turns on PAE paging on pae_pdpt, reads n values at
 * PAE_VALUES in test page (i mod 256) with a MOV to CR3 after each (so each
 * read walks the tables again), and comes back to 64-bit mode on the boot
 * tables. Returns the sum. EDI = n; the callee-saved registers are kept on the
 * stack across the switch (the SDM leaves the upper halves undefined). */
u32 pae_walks(u32 n);
__asm__(
    "    .text\n"
    "    .globl pae_walks\n"
    "pae_walks:\n"
    "    push %rbx\n"
    "    push %rbp\n"
    "    push %r12\n"
    "    push %r13\n"
    "    push %r14\n"
    "    push %r15\n"
    "    pushq $0x30\n"             /* KERNEL_CS32 */
    "    leaq 1f(%rip), %rax\n"
    "    pushq %rax\n"
    "    lretq\n"
    "    .code32\n"
    "1:  mov %cr0, %eax\n"
    "    and $0x7FFFFFFF, %eax\n"   /* CR0.PG off: IA-32e mode ends (LMA = 0) */
    "    mov %eax, %cr0\n"
    "    mov $0xC0000080, %ecx\n"
    "    rdmsr\n"
    "    and $0xFFFFFEFF, %eax\n"   /* EFER.LME off */
    "    wrmsr\n"
    "    mov $pae_pdpt, %eax\n"
    "    mov %eax, %cr3\n"
    "    mov %cr0, %eax\n"
    "    or $0x80000000, %eax\n"    /* CR0.PG on with CR4.PAE: PAE paging, PDPTEs loaded */
    "    mov %eax, %cr0\n"
    "    mov %edi, %ecx\n"
    "    xor %edx, %edx\n"
    "    mov $pae_pdpt, %ebp\n"
    "2:  mov %ecx, %eax\n"
    "    and $0xFF, %eax\n"
    "    shl $12, %eax\n"
    "    add 0x200800(%eax), %edx\n"     /* TEST_PAGE(i mod 256) + PAE_VALUES */
    "    mov %ebp, %cr3\n"
    "    dec %ecx\n"
    "    jnz 2b\n"
    "    mov %edx, %ebx\n"
    "    mov %cr0, %eax\n"
    "    and $0x7FFFFFFF, %eax\n"
    "    mov %eax, %cr0\n"
    "    mov $pml4, %eax\n"
    "    mov %eax, %cr3\n"
    "    mov $0xC0000080, %ecx\n"
    "    rdmsr\n"
    "    or $0x100, %eax\n"         /* EFER.LME */
    "    wrmsr\n"
    "    mov %cr0, %eax\n"
    "    or $0x80000000, %eax\n"    /* IA-32e again, in compatibility mode */
    "    mov %eax, %cr0\n"
    "    ljmp $0x08, $3f\n"         /* KERNEL_CS: 64-bit mode */
    "    .code64\n"
    "3:  mov %esp, %esp\n"          /* RSP[63:32] := 0 */
    "    mov %ebx, %eax\n"
    "    pop %r15\n"
    "    pop %r14\n"
    "    pop %r13\n"
    "    pop %r12\n"
    "    pop %rbp\n"
    "    pop %rbx\n"
    "    ret\n");

static void pae_paging(void) {
    pae_pdpt[0] = (u64)pae_pd | PTE_P;  /* bits 2:1 and 8:5 of a PDPTE are reserved */
    for (u64 k = 0; k < 512; ++k) pae_pd[k] = (k << 21) | 0x83;  /* P, RW, PS */
    pae_pd[1] = (u64)pae_pt | PTE_P | PTE_W;
    for (u64 k = 0; k < 512; ++k) pae_pt[k] = (0x200000 + (k << 12)) | PTE_P | PTE_W;
    u32 want = 0;
    for (u32 k = 0; k < 256; ++k) *(volatile u32 *)(TEST_PAGE(k) + PAE_VALUES) = 3 * k + 1;
    for (u32 i = 4096; i > 0; --i) want += 3 * (i & 0xFF) + 1;
    u32 sum = pae_walks(4096);
    /* Whether the walk left the PDPTE alone is not printed: the SDM reserves
     * its bit 5 (Table 4-8), QEMU 7.2 sets it (docs/system-tests.md). */
    printk("ok: pae: 4096 walks, sum %u (expected %u); pde accessed %lu, pte accessed %lu\n", sum, want,
           (pae_pd[1] >> 5) & 1, (pae_pt[7] >> 5) & 1);
    printk("ok: back in 64-bit mode: cs %x efer.lma %lu, data a %x\n", read_cs(), (rdmsr(MSR_EFER) >> 10) & 1,
           read_data());
}

/* ---- two CPUs ------------------------------------------------------------------ */

#define SMP_ROUNDS 40
#define SMP_CALLS 25

static volatile u32 turn;
static u32 smp_sum[2][2];  /* [cpu][space]: the code's and the data's values */
static u8 ap_stack_area[16384] __attribute__((aligned(16)));

/* CPU `cpu` waits for its turns (0, 2, 4... for the BSP; 1, 3, 5... for the
 * AP) and runs each in the space (round + cpu) mod 2: the two CPUs take turns
 * in opposite spaces, on the same code page and with the same linear FUNC_VA
 * and DATA_VA, so each must run its own space's code. */
static void smp_rounds(unsigned cpu) {
    const int pcid = have_pcid;
    for (unsigned r = 0; r < SMP_ROUNDS; ++r) {
        while (turn != 2 * r + cpu) cpu_relax();
        const unsigned space = (r + cpu) & 1;
        WRITE_CR(3, space ? cr3_b(pcid, 1) : cr3_a(pcid, 1));
        u32 s = 0;
        for (int k = 0; k < SMP_CALLS; ++k) s += call_func() + read_data();
        smp_sum[cpu][space] += s;
        turn = 2 * r + cpu + 1;
    }
}

static void ap_main(unsigned id) {
    (void)id;
    if (have_pcid) WRITE_CR(4, READ_CR(4) | CR4_PCIDE);
    smp_rounds(1);
    for (;;) __asm__ volatile("cli; hlt");
}

static void two_cpus(void) {
    unsigned n = cpu_count();
    if (n < 2) fail("addrspace needs two CPUs (-smp 2)");
    if (have_pcid) set_pcide(1);
    start_ap(1, ap_main, (u64)(ap_stack_area + sizeof ap_stack_area));
    smp_rounds(0);
    while (turn != 2 * SMP_ROUNDS) cpu_relax();
    printk("ok: smp %u rounds: cpu0 a %u b %u, cpu1 a %u b %u\n", SMP_ROUNDS, smp_sum[0][0], smp_sum[0][1],
           smp_sum[1][0], smp_sum[1][1]);
    set_pcide(0);
}

void kmain(void) {
    u32 r[4];
    cpuid(1, 0, r);
    have_pcid = (r[2] >> 17) & 1;
    cpuid(7, 0, r);
    have_invpcid = (r[1] >> 10) & 1;
    map_local_apic();  /* before the copy: both spaces map the local APIC */
    put_func(FUNC_VA, 0xA);
    put_func(FUNC_B_PA, 0xB);
    put_func(FUNC_C_PA, 0xC);
    *(volatile u32 *)DATA_VA = 0xAAAA;
    *(volatile u32 *)DATA_B_PA = 0xBBBB;
    build_space_b();
    WRITE_CR(3, cr3_b(0, 0));
    u32 cb = call_func(), db = read_data();
    WRITE_CR(3, cr3_a(0, 0));
    printk("ok: space a: code %x data %x; space b: code %x data %x\n", call_func(), read_data(), cb, db);

    cr3_switches();
    straddling();
    invalidations();
    pae_paging();
    two_cpus();
    exit_qemu(0x10);
}
