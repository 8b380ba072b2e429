/* sysstate: instructions whose behaviour depends on system state, run at CPL 0
 * and CPL 3 under every combination of the control bits that decide it, with
 * the exception (or none) and the result of each printed as one line:
 *   <group> <bits> <form> cpl<n>: ok <result> | <vector>[(<error code>)]
 * The same table comes out of QEMU; the suite compares them line by line
 * (docs/system-tests.md lists where QEMU departs from the SDM).
 *
 * Groups and the bits they vary (the others stay at the baseline below):
 *   fpu   CR0.EM/MP/TS, CR4.OSFXSR/OSXSAVE (SDM Vol. 3A 2.5, Table 2-2, Table 13-1):
 *         fences, CLFLUSH(OPT), PREFETCHh, PREFETCHW, MOVNTI, PAUSE, POPCNT,
 *         ADDPS, MOVD, LDMXCSR, STMXCSR, FXSAVE, XSAVE, XGETBV, FNINIT, FWAIT,
 *         PADDB and EMMS (MMX), CVTPI2PS (MMX and SSE)
 *   umip  CR4.UMIP (2.5): SGDT, SIDT, SLDT, SMSW, STR
 *   tsd   CR4.TSD (2.5; Vol. 2B RDTSC, RDTSCP)
 *   pce   CR4.PCE (2.5; Vol. 2B RDPMC)
 *   fsgs  CR4.FSGSBASE (2.5; Vol. 2A RDFSBASE/WRGSBASE)
 *   sce   EFER.SCE (Vol. 2B SYSCALL)
 *   nxe   EFER.NXE (4.6, 4.7): a call into a page whose PTE has XD set
 * Baseline: CR0 = PG|WP|NE|ET|MP|PE, CR4 = PAE|OSFXSR|OSXMMEXCPT|OSXSAVE|
 * FSGSBASE, EFER = LME|SCE|NXE. Before each probe the x87/SSE state is reset
 * in the baseline (FNINIT, MXCSR 0x1F80, XMM0 = 1.0f, XMM1 = 2.0f, MM0 =
 * 0x01020304, MM1 = 0x10101010), then the
 * row's bits are applied and the form runs once. A fault goes to probe_trap,
 * which records it and resumes at the form's end; CPL 3 forms enter through
 * IRETQ and come back with INT 0x81, which works whatever EFER.SCE is. */
#include "lib.h"

#define CR0_PE (1u << 0)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_PG (1u << 31)
#define CR4_TSD (1u << 2)
#define CR4_PCE (1u << 8)
#define CR4_UMIP (1u << 11)
#define CR4_OSXSAVE (1u << 18)

#define BASE_CR0 (CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE)
#define BASE_CR4 (CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE | CR4_FSGSBASE)
#define BASE_EFER (EFER_LME | EFER_SCE | EFER_NXE)
#define FS_VALUE 0x123000ull
#define NX_PAGE 7  /* TEST_PAGE(7) holds `mov $0x77, %eax; ret` and has XD set */

/* Data the forms use: [scratch] and an FXSAVE/XSAVE area. User-accessible like
 * every page of the identity map. */
u64 scratch[8] __attribute__((aligned(64)));
u8 save_area[1024] __attribute__((aligned(64)));
u32 mxcsr_value = 0x5F80;  /* LDMXCSR's operand: round up, all masked */
u64 nx_target = TEST_PAGE(NX_PAGE);

/* ---- the forms --------------------------------------------------------------
 * FORM(name, body): form_<name> runs body and returns RAX; form_<name>_end is
 * where a fault resumes (its `ret`). */
#define FORM(name, body)                      \
    "  .globl form_" #name ", form_" #name "_end\n" \
    "form_" #name ":\n" body "\n"                     \
    "form_" #name "_end:\n  ret\n"

__asm__(
    "  .text\n"
    FORM(mfence, "  mfence")
    FORM(lfence, "  lfence")
    FORM(sfence, "  sfence")
    FORM(clflush, "  clflush scratch(%rip)")
    FORM(clflushopt, "  clflushopt scratch(%rip)")
    FORM(prefetcht0, "  prefetcht0 scratch(%rip)")
    FORM(prefetchw, "  prefetchw scratch(%rip)")
    FORM(movnti, "  mov $0x1234, %eax\n  movnti %eax, scratch(%rip)\n  mov scratch(%rip), %eax")
    FORM(pause, "  pause")
    FORM(popcnt, "  mov $0xF0F0, %ecx\n  popcnt %ecx, %eax")
    FORM(addps, "  addps %xmm1, %xmm0\n  movd %xmm0, %eax")
    FORM(movd, "  mov $0x12345678, %ecx\n  movd %ecx, %xmm2\n  movd %xmm2, %eax")
    FORM(ldmxcsr, "  ldmxcsr mxcsr_value(%rip)\n  stmxcsr scratch(%rip)\n  mov scratch(%rip), %eax")
    FORM(stmxcsr, "  stmxcsr scratch(%rip)\n  mov scratch(%rip), %eax")
    FORM(fxsave, "  fxsave64 save_area(%rip)\n  movzwl save_area(%rip), %eax")
    FORM(xsave, "  mov $3, %eax\n  xor %edx, %edx\n  xsave64 save_area(%rip)\n  mov $1, %eax")
    FORM(xgetbv, "  xor %ecx, %ecx\n  xgetbv")
    FORM(fninit, "  fninit\n  fnstcw scratch(%rip)\n  movzwl scratch(%rip), %eax")
    FORM(fwait, "  fwait\n  mov $1, %eax")
    FORM(paddb, "  paddb %mm1, %mm0\n  movd %mm0, %eax")
    FORM(emms, "  emms\n  mov $1, %eax")
    FORM(cvtpi2ps, "  cvtpi2ps %mm1, %xmm3\n  movd %xmm3, %eax")
    FORM(sgdt, "  sgdt scratch(%rip)\n  movzwl scratch(%rip), %eax")
    FORM(sidt, "  sidt scratch(%rip)\n  movzwl scratch(%rip), %eax")
    FORM(sldt, "  movw $0x5555, scratch(%rip)\n  sldt scratch(%rip)\n  movzwl scratch(%rip), %eax")
    FORM(smsw, "  smsw scratch(%rip)\n  movzwl scratch(%rip), %eax")
    FORM(str, "  str scratch(%rip)\n  movzwl scratch(%rip), %eax")
    FORM(rdtsc, "  rdtsc\n  mov $1, %eax")
    FORM(rdtscp, "  rdtscp\n  mov %ecx, %eax")
    FORM(rdpmc, "  xor %ecx, %ecx\n  rdpmc\n  mov $1, %eax")
    FORM(rdfsbase, "  rdfsbase %rax")
    FORM(wrgsbase, "  mov $0x5000, %eax\n  wrgsbase %rax\n  rdgsbase %rax")
    FORM(syscall, "  xor %eax, %eax\n  syscall")
    FORM(nxcall, "  mov nx_target(%rip), %rcx\n  xor %eax, %eax\n  call *%rcx"));

/* SYSCALL lands here (LSTAR) at CPL 0 on the caller's stack: mark RAX and go
 * back, with SYSRETQ to CPL 3 or, from CPL 0, by restoring RFLAGS and jumping. */
u8 probe_cpl;
__asm__(
    "  .globl syscall_probe_entry\n"
    "syscall_probe_entry:\n"
    "  mov $0x5c, %eax\n"
    "  cmpb $3, probe_cpl(%rip)\n"
    "  je 1f\n"
    "  push %r11\n"
    "  popfq\n"
    "  jmp *%rcx\n"
    "1:sysretq\n");
void syscall_probe_entry(void);

/* u64 ring3_call(u64 (*fn)(void), u64 user_rsp): runs fn at CPL 3 (IRETQ, IF
 * clear) and returns its RAX; fn comes back with INT 0x81, whose handler
 * resumes at ring3_exit at CPL 0 on the stack saved here. Saves the
 * callee-saved registers. */
u64 ring3_saved_rsp;
__asm__(
    "  .globl ring3_call, ring3_exit\n"
    "ring3_call:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  mov %rsp, ring3_saved_rsp(%rip)\n"
    "  pushq $0x23\n"        /* SS: USER_DS */
    "  pushq %rsi\n"         /* RSP */
    "  pushq $0x2\n"         /* RFLAGS */
    "  pushq $0x2b\n"        /* CS: USER_CS */
    "  leaq ring3_entry(%rip), %rax\n"
    "  pushq %rax\n"         /* RIP */
    "  iretq\n"
    "ring3_entry:\n"
    "  call *%rdi\n"
    "  int $0x81\n"
    "ring3_exit:\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n");
u64 ring3_call(u64 (*fn)(void), u64 user_rsp);
extern char ring3_exit[];

static void ring3_return(struct trap_frame *f) {
    f->rip = (u64)ring3_exit;
    f->cs = KERNEL_CS;
    f->ss = KERNEL_DS;
    f->rsp = ring3_saved_rsp;
    f->rflags = 0x2;
}

/* ---- probing ---------------------------------------------------------------- */
struct form {
    const char *name;
    u64 (*fn)(void);
    char *end;
    int show_result;  /* 0: the result is not deterministic (a counter) or not meaningful */
};
#define F(name, show) { #name, form_##name, form_##name##_end, show }
#define DECLARE(name) extern u64 form_##name(void); extern char form_##name##_end[];
DECLARE(mfence) DECLARE(lfence) DECLARE(sfence) DECLARE(clflush) DECLARE(clflushopt) DECLARE(prefetcht0)
DECLARE(prefetchw) DECLARE(movnti) DECLARE(pause) DECLARE(popcnt) DECLARE(addps) DECLARE(movd) DECLARE(ldmxcsr)
DECLARE(stmxcsr) DECLARE(fxsave) DECLARE(xsave) DECLARE(xgetbv) DECLARE(fninit) DECLARE(fwait) DECLARE(paddb)
DECLARE(emms) DECLARE(cvtpi2ps) DECLARE(sgdt)
DECLARE(sidt) DECLARE(sldt) DECLARE(smsw) DECLARE(str) DECLARE(rdtsc) DECLARE(rdtscp) DECLARE(rdpmc)
DECLARE(rdfsbase) DECLARE(wrgsbase) DECLARE(syscall) DECLARE(nxcall)

static volatile int probe_active;
static volatile u64 probe_vector, probe_error;
static char *probe_resume;

/* Vectors 0-31 while a probe runs: note the exception, resume at the form's end. */
static void probe_trap(struct trap_frame *f) {
    if (!probe_active) {
        printk("unexpected trap %lu error %lx rip %lx\n", f->vector, f->error, f->rip);
        exit_qemu(0x7F);
    }
    probe_vector = f->vector;
    probe_error = f->error;
    f->rip = (u64)probe_resume;
    probe_active = 0;
}

/* The control registers for `bits` (a mask of the B_* toggles) over the baseline. */
enum {
    B_EM = 1 << 0, B_MP_OFF = 1 << 1, B_TS = 1 << 2, B_OSFXSR_OFF = 1 << 3, B_OSXSAVE_OFF = 1 << 4,
    B_UMIP = 1 << 5, B_TSD = 1 << 6, B_PCE = 1 << 7, B_FSGSBASE_OFF = 1 << 8, B_SCE_OFF = 1 << 9,
    B_NXE_OFF = 1 << 10,
};
static void apply(unsigned bits) {
    u64 cr0 = BASE_CR0, cr4 = BASE_CR4, efer = BASE_EFER;
    if (bits & B_EM) cr0 |= CR0_EM;
    if (bits & B_MP_OFF) cr0 &= ~(u64)CR0_MP;
    if (bits & B_TS) cr0 |= CR0_TS;
    if (bits & B_OSFXSR_OFF) cr4 &= ~(u64)CR4_OSFXSR;
    if (bits & B_OSXSAVE_OFF) cr4 &= ~(u64)CR4_OSXSAVE;
    if (bits & B_UMIP) cr4 |= CR4_UMIP;
    if (bits & B_TSD) cr4 |= CR4_TSD;
    if (bits & B_PCE) cr4 |= CR4_PCE;
    if (bits & B_FSGSBASE_OFF) cr4 &= ~(u64)CR4_FSGSBASE;
    if (bits & B_SCE_OFF) efer &= ~(u64)EFER_SCE;
    if (bits & B_NXE_OFF) efer &= ~(u64)EFER_NXE;
    WRITE_CR(4, cr4);
    WRITE_CR(0, cr0);
    if ((rdmsr(MSR_EFER) & ~(u64)EFER_LMA) != efer) {
        wrmsr(MSR_EFER, efer);
        WRITE_CR(3, READ_CR(3));  /* no translation cached under the old NXE */
    }
}

/* Baseline, then a known x87/SSE state and FS base. */
static void reset_state(void) {
    apply(0);
    u32 one = 0x3F800000, two = 0x40000000, mx = 0x1F80, m0 = 0x01020304, m1 = 0x10101010;
    __asm__ volatile("fninit\n ldmxcsr %2\n movd %0, %%xmm0\n movd %1, %%xmm1\n pxor %%xmm2, %%xmm2\n"
                     " movd %3, %%mm0\n movd %4, %%mm1"
                     ::"r"(one), "r"(two), "m"(mx), "r"(m0), "r"(m1));
    wrmsr(MSR_FS_BASE, FS_VALUE);
    wrmsr(MSR_GS_BASE, 0);
}

/* The toggles of the row being run (apply()'s argument). */
static unsigned cur_bits;

static void probe(const char *group, const char *row, const struct form *f, int cpl) {
    reset_state();
    probe_vector = ~0ull;
    probe_resume = f->end;
    probe_cpl = (u8)cpl;
    probe_active = 1;
    apply(cur_bits);
    u64 result = cpl == 3 ? ring3_call(f->fn, user_stack_top) : f->fn();
    probe_active = 0;
    reset_state();
    printk("%s %s %s cpl%d: ", group, row, f->name, cpl);
    if (probe_vector == ~0ull) {
        if (f->show_result) printk("ok %lx\n", result);
        else printk("ok\n");
        return;
    }
    static const char *names[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09",
                                    "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM"};
    const char *n = probe_vector < 20 ? names[probe_vector] : "#??";
    u64 v = probe_vector;
    int has_error = v == 8 || (v >= 10 && v <= 14) || v == 17;
    if (!has_error) {
        printk("%s\n", n);
        return;
    }
    u64 e = probe_error;
    /* RSVD page faults: QEMU leaves P clear (docs/system-tests.md). */
    if (v == 14 && (e & 8)) e &= ~1ull;
    printk("%s(%lx)\n", n, e);
}

struct toggle {
    const char *name;
    unsigned bit;
    int set_means;  /* the value the bit name takes when the toggle is set */
};

/* Runs every form of a group under every combination of its toggles. */
static void run_group(const char *group, const struct toggle *t, int nt, const struct form *forms, int nf) {
    for (unsigned combo = 0; combo < (1u << nt); ++combo) {
        char row[96];
        int len = 0;
        cur_bits = 0;
        for (int k = 0; k < nt; ++k) {
            int on = (combo >> k) & 1;
            if (on) cur_bits |= t[k].bit;
            const char *s = t[k].name;
            if (len) row[len++] = ' ';
            while (*s) row[len++] = *s++;
            row[len++] = '=';
            row[len++] = (char)('0' + (on ? t[k].set_means : !t[k].set_means));
        }
        row[len] = 0;
        for (int k = 0; k < nf; ++k)
            for (int cpl = 0; cpl <= 3; cpl += 3) probe(group, row, &forms[k], cpl);
    }
}

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

void kmain(void) {
    for (int v = 0; v < 32; ++v) set_trap_handler((u8)v, probe_trap);
    set_gate(0x81, 3, 0, 1);
    set_trap_handler(0x81, ring3_return);
    wrmsr(MSR_LSTAR, (u64)syscall_probe_entry);
    /* The NX page: `mov $0x77, %eax; ret`, then XD in its PTE. */
    static const u8 nx_code[] = {0xB8, 0x77, 0x00, 0x00, 0x00, 0xC3};
    u8 *p = (u8 *)TEST_PAGE(NX_PAGE);
    for (unsigned k = 0; k < sizeof nx_code; ++k) p[k] = nx_code[k];
    pt_test[NX_PAGE] |= 1ull << 63;
    invlpg(TEST_PAGE(NX_PAGE));

    const struct toggle fpu_bits[] = {{"em", B_EM, 1}, {"mp", B_MP_OFF, 0}, {"ts", B_TS, 1},
                                      {"osfxsr", B_OSFXSR_OFF, 0}, {"osxsave", B_OSXSAVE_OFF, 0}};
    const struct form fpu_forms[] = {
        F(mfence, 0), F(lfence, 0), F(sfence, 0), F(clflush, 0), F(clflushopt, 0), F(prefetcht0, 0),
        F(prefetchw, 0), F(movnti, 1), F(pause, 0), F(popcnt, 1), F(addps, 1), F(movd, 1), F(ldmxcsr, 1),
        F(stmxcsr, 1), F(fxsave, 1), F(xsave, 0), F(xgetbv, 1), F(fninit, 1), F(fwait, 0), F(paddb, 1),
        F(emms, 0), F(cvtpi2ps, 1)};
    run_group("fpu", fpu_bits, N(fpu_bits), fpu_forms, N(fpu_forms));

    const struct toggle umip_bits[] = {{"umip", B_UMIP, 1}};
    const struct form umip_forms[] = {F(sgdt, 1), F(sidt, 1), F(sldt, 1), F(smsw, 1), F(str, 1)};
    run_group("umip", umip_bits, 1, umip_forms, N(umip_forms));

    const struct toggle tsd_bits[] = {{"tsd", B_TSD, 1}};
    const struct form tsd_forms[] = {F(rdtsc, 0), F(rdtscp, 1)};
    run_group("tsd", tsd_bits, 1, tsd_forms, N(tsd_forms));

    const struct toggle pce_bits[] = {{"pce", B_PCE, 1}};
    const struct form pce_forms[] = {F(rdpmc, 0)};
    run_group("pce", pce_bits, 1, pce_forms, N(pce_forms));

    const struct toggle fsgs_bits[] = {{"fsgsbase", B_FSGSBASE_OFF, 0}};
    const struct form fsgs_forms[] = {F(rdfsbase, 1), F(wrgsbase, 1)};
    run_group("fsgs", fsgs_bits, 1, fsgs_forms, N(fsgs_forms));

    const struct toggle sce_bits[] = {{"sce", B_SCE_OFF, 0}};
    const struct form sce_forms[] = {F(syscall, 1)};
    run_group("sce", sce_bits, 1, sce_forms, N(sce_forms));

    const struct toggle nxe_bits[] = {{"nxe", B_NXE_OFF, 0}};
    const struct form nxe_forms[] = {F(nxcall, 1)};
    run_group("nxe", nxe_bits, 1, nxe_forms, N(nxe_forms));

    printk("done\n");
    exit_qemu(0x10);
}
