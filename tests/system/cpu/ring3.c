/* ring3: privilege transitions in 64-bit mode.
 *  - IRETQ to CPL 3 (SDM Vol. 2A IRET, "RETURN-TO-OUTER-PRIVILEGE-LEVEL");
 *  - SYSCALL to an LSTAR handler that does SWAPGS to find its stack, and
 *    SYSRETQ back (SDM Vol. 2B SYSCALL/SYSRET/SWAPGS): RCX = return address,
 *    R11 = RFLAGS, RFLAGS masked by IA32_FMASK;
 *  - INT 0x80 through a DPL 3 gate: the stack switches to TSS.RSP0 and SS
 *    becomes null (SDM Vol. 3A, 6.14.2, 6.14.4);
 *  - INT 0x81 through a DPL 3 gate with IST 1, from CPL 3 and CPL 0 (6.14.5);
 *  - INT 0x82 through a DPL 0 gate from CPL 3: #GP(0x82 * 8 + 2) (6.12.1.1). */
#include "lib.h"

/* What SYSCALL's entry code saves; struct order is the stack order. */
struct syscall_frame {
    u64 gs_magic;        /* %gs:16 after SWAPGS: the per-CPU area's marker */
    u64 kernel_rflags;   /* RFLAGS in the handler (after IA32_FMASK) */
    u64 rsi, rdi, rax, rcx, r11, user_rsp;
};
_Static_assert(offsetof(struct syscall_frame, rcx) == 40 && offsetof(struct syscall_frame, user_rsp) == 56,
               "syscall_entry's restore offsets");

/* The per-CPU area IA32_KERNEL_GS_BASE points to; SWAPGS makes it GS. */
struct percpu {
    u64 kernel_rsp;  /* %gs:0 */
    u64 user_rsp;    /* %gs:8 */
    u64 magic;       /* %gs:16 */
};
static struct percpu cpu0;
static u64 user_gs_area[4] = {0, 0, 0x5553455247530000ull /* "USERGS" marker */, 0};
static u8 syscall_stack[8192] __attribute__((aligned(16)));

u64 do_syscall(struct syscall_frame *f);
void syscall_entry(void);
u64 user_main(void);
extern char user_after_syscall[], user_after_int80[], user_int82[], user_after_int82[];
u64 user_result, user_cs_after, user_flags_after, user_gs_read;

__asm__(
    "   .text\n"
    /* SYSCALL target: CPL 0, RSP still the user's, GS still the user's. */
    "   .globl syscall_entry\n"
    "syscall_entry:\n"
    "   swapgs\n"
    "   mov %rsp, %gs:8\n"        /* percpu.user_rsp */
    "   mov %gs:0, %rsp\n"        /* percpu.kernel_rsp */
    "   pushq %gs:8\n"            /* syscall_frame.user_rsp */
    "   pushq %r11\n"             /* .r11: the user's RFLAGS */
    "   pushq %rcx\n"             /* .rcx: the user's RIP */
    "   pushq %rax\n"
    "   pushq %rdi\n"
    "   pushq %rsi\n"
    "   pushfq\n"                 /* .kernel_rflags */
    "   pushq %gs:16\n"           /* .gs_magic */
    "   mov %rsp, %rdi\n"
    "   call do_syscall\n"
    "   mov 40(%rsp), %rcx\n"
    "   mov 48(%rsp), %r11\n"
    "   mov 56(%rsp), %rsp\n"
    "   swapgs\n"
    "   sysretq\n"
    /* CPL 3, entered by run_user's IRETQ. */
    "   .globl user_main, user_after_syscall, user_after_int80, user_int82, user_after_int82\n"
    "user_main:\n"
    "   mov %cs, %edi\n"
    "   mov %ss, %esi\n"
    "   mov $1, %eax\n"
    "   cmp %eax, %eax\n"         /* ZF, PF set ... */
    "   stc\n"                    /* ... and CF ... */
    "   std\n"                    /* ... and DF: RFLAGS = 0x447 */
    "   syscall\n"
    "user_after_syscall:\n"
    "   mov %rax, user_result(%rip)\n"
    "   mov %cs, %eax\n"
    "   mov %rax, user_cs_after(%rip)\n"
    "   pushfq\n"
    "   popq user_flags_after(%rip)\n"
    "   cld\n"
    "   mov %gs:16, %rax\n"
    "   mov %rax, user_gs_read(%rip)\n"
    "   int $0x80\n"
    "user_after_int80:\n"
    "   int $0x81\n"
    "user_int82:\n"
    "   int $0x82\n"
    "user_after_int82:\n"
    "   mov $2, %eax\n"
    "   syscall\n"
    "   ud2\n");

u64 do_syscall(struct syscall_frame *f) {
    if (f->rax == 1) {
        printk("ok: syscall from cs %lx ss %lx rcx %s r11 %lx\n", f->rdi, f->rsi,
               f->rcx == (u64)user_after_syscall ? "= return address" : "WRONG", f->r11);
        /* IA32_FMASK = CF|TF|IF|DF: those come out clear. (QEMU 7.2 also
         * clears ZF and PF, see docs/system-tests.md, so they are not shown.) */
        printk("ok: syscall handler cs %x ss %x rflags&fmask %lx gs marker %lx\n", read_cs(), read_ss(),
               f->kernel_rflags & 0x701, f->gs_magic);
        printk("ok: syscall user rsp %s\n", f->user_rsp == user_stack_top - 8 ? "= user stack top" : "WRONG");
        return 0x1234;
    }
    printk("ok: sysretq gave rax %lx cs %lx rflags %lx, user gs marker %lx\n", user_result, user_cs_after,
           user_flags_after, user_gs_read);
    printk("ok: back in kernel through syscall %lu\n", f->rax);
    u64 kgs = rdmsr(MSR_KERNEL_GS_BASE), gs = rdmsr(MSR_GS_BASE);
    printk("ok: after swapgs gs base %s, kernel gs base %s\n", gs == (u64)&cpu0 ? "= percpu" : "WRONG",
           kgs == (u64)user_gs_area ? "= user area" : "WRONG");
    exit_qemu(0x10);
}

static void report_frame(struct trap_frame *f, const char *stack, u64 top) {
    u64 at = (u64)&f->rip;
    printk("ok: int %lx from cpl %lu: frame at %s-%lu cs %lx ss %lx rpl %lu, handler cs %x", f->vector, f->cs & 3,
           stack, top - at, f->cs, f->ss, f->ss & 3, read_cs());
    /* A privilege change loads a null SS with RPL = new CPL (SDM Vol. 3A,
     * 6.14.4). Without one the SDM keeps SS; QEMU nulls it whenever the IST
     * switches stacks, so that case is not printed (docs/system-tests.md). */
    if ((f->cs & 3) != 0) printk(" ss %x", read_ss());
    printk("\n");
}

static void int80(struct trap_frame *f) {
    report_frame(f, "rsp0", rsp0_top);
    printk("ok: int 0x80 rip %s rsp %s\n", f->rip == (u64)user_after_int80 ? "= next instruction" : "WRONG",
           f->rsp == user_stack_top - 8 ? "= user rsp" : "WRONG");
}

static void int81(struct trap_frame *f) { report_frame(f, "ist1", ist1_top); }

static void gp(struct trap_frame *f) {
    /* Only the IDT and EXT bits: QEMU puts vector * 16 in the index field
     * (docs/system-tests.md); the SDM says the index is the vector. */
    printk("ok: #GP from cpl %lu error idt=%lu ext=%lu, rip %s\n", f->cs & 3, (f->error >> 1) & 1, f->error & 1,
           f->rip == (u64)user_int82 ? "= the INT instruction" : "WRONG (not the INT instruction)");
    if (f->rip != (u64)user_int82 && f->rip != (u64)user_after_int82) fail("#GP from an unexpected place");
    f->rip = (u64)user_after_int82;
}

void kmain(void) {
    set_gate(0x80, 3, 0, 1);
    set_gate(0x81, 3, 1, 1);
    set_gate(0x82, 0, 0, 1);
    set_trap_handler(0x80, int80);
    set_trap_handler(0x81, int81);
    set_trap_handler(13, gp);

    __asm__ volatile("int $0x81" ::: "memory");  /* CPL 0 through IST 1 */

    cpu0.kernel_rsp = (u64)(syscall_stack + sizeof syscall_stack);
    cpu0.magic = 0x4B45524E454C0000ull;  /* "KERNEL" marker */
    wrmsr(MSR_GS_BASE, (u64)user_gs_area);
    wrmsr(MSR_KERNEL_GS_BASE, (u64)&cpu0);
    wrmsr(MSR_LSTAR, (u64)syscall_entry);
    wrmsr(MSR_SFMASK, 0x701);  /* CF, TF, IF, DF */
    printk("ok: iretq to cs %x ss %x\n", USER_CS, USER_DS);
    run_user(user_main, user_stack_top);
    fail("user_main returned");
}
