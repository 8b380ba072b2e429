/* debugreg: DR0-DR7 breakpoints and #DB as a kernel debugger uses them (SDM
 * Vol. 3A, 17.2 "Debug registers", 17.3.1 "Debug exception (#DB)"):
 *  - an instruction breakpoint is a fault before the instruction; RF in the
 *    saved RFLAGS lets it run once, without RF it hits again (17.3.1.1);
 *  - data breakpoints: write-only and read/write, LEN 1/2/4/8 masking the
 *    address, any byte of an access in range (17.2.5); a trap after the
 *    instruction (17.3.1.2), after the iteration for REP string instructions;
 *  - I/O breakpoints with CR4.DE (17.2.4);
 *  - single-step (17.3.1.4), together with a data breakpoint in one #DB;
 *  - general detect: MOV DRn while DR7.GD is a #DB fault with BD, and GD is
 *    clear in the handler (17.2.4);
 *  - breakpoints at CPL 3;
 *  - the fixed bits of DR6 and DR7.
 * The handler prints DR6 only for the enabled breakpoints and BD/BS: B0-B3 of
 * disabled breakpoints may or may not be set (17.2.3). */
#include "lib.h"

#define DR7_L(n) ((u64)1 << (2 * (n)))
#define DR7_RW(n, rw) ((u64)(rw) << (16 + 4 * (n)))
#define DR7_LEN(n, len) ((u64)(len) << (18 + 4 * (n)))
#define DR7_GD ((u64)1 << 13)
#define RW_EXEC 0
#define RW_WRITE 1
#define RW_IO 2
#define RW_RDWR 3
#define LEN1 0
#define LEN2 1
#define LEN8 2
#define LEN4 3
#define CR4_DE (1u << 3)
#define DR6_BD ((u64)1 << 13)
#define DR6_BS ((u64)1 << 14)
#define RF ((u64)1 << 16)
#define TF ((u64)1 << 8)

#define SET_DR(n, v) __asm__ volatile("mov %0, %%dr" #n ::"r"((u64)(v)))
#define GET_DR(n) ({ u64 v_; __asm__ volatile("mov %%dr" #n ", %0" : "=r"(v_)); v_; })

/* What the #DB handler saw, and what it does before returning. */
static volatile int db_count;
static volatile u64 db_dr6, db_rip, db_flags, db_rcx, db_dr7;
static volatile int db_set_rf, db_clear_tf, db_disarm_after;
static u64 shown;  /* the DR6 bits to print: enabled breakpoints, BD, BS */

static void debug_trap(struct trap_frame *f) {
    ++db_count;
    db_dr6 = GET_DR(6);
    db_dr7 = GET_DR(7);
    db_rip = f->rip;
    db_flags = f->rflags;
    db_rcx = f->rcx;
    SET_DR(6, 0);
    if (db_set_rf) f->rflags |= RF;
    if (db_clear_tf) f->rflags &= ~TF;
    if (db_disarm_after && db_count >= db_disarm_after) SET_DR(7, 0);
}

static void report(const char *what) {
    printk("%s: #DB x%d dr6 %lx rf %lu\n", what, db_count, db_dr6 & shown, (db_flags >> 16) & 1);
}

static void reset_db(void) {
    SET_DR(7, 0);
    SET_DR(6, 0);
    db_count = 0;
    db_dr6 = db_rip = db_flags = db_rcx = 0;
    db_set_rf = 1;
    db_clear_tf = 0;
    db_disarm_after = 0;
}

static void arm(int n, u64 addr, u64 rw, u64 len) {
    u64 d7 = GET_DR(7) | DR7_L(n) | DR7_RW(n, rw) | DR7_LEN(n, len);
    switch (n) {
        case 0: SET_DR(0, addr); break;
        case 1: SET_DR(1, addr); break;
        case 2: SET_DR(2, addr); break;
        default: SET_DR(3, addr); break;
    }
    SET_DR(7, d7);
    shown |= 1ull << n;
}

/* Code the breakpoints point at. */
u64 counter;
extern char bp_target[], bp_after[], rep_insn[], io_insn[], io_after[], gd_insn[], step_store[], step_after[];
extern char user_bp_target[];
u8 buffer[64] __attribute__((aligned(64)));
__asm__(
    "  .text\n"
    "  .globl bp_target, bp_after\n"
    "bp_target:\n"
    "  incq counter(%rip)\n"
    "bp_after:\n"
    "  ret\n"
    "  .globl user_bp_target\n"
    "user_bp_target:\n"
    "  incq counter(%rip)\n"
    "  movb $1, buffer+40(%rip)\n"
    "  mov counter(%rip), %rax\n"
    "  ret\n");
void bp_target_fn(void) __asm__("bp_target");
u64 user_bp_fn(void) __asm__("user_bp_target");

static void store8(volatile u8 *p, u8 v) { *p = v; }
static u8 load8(volatile u8 *p) { return *p; }
static void store64(volatile u64 *p, u64 v) { *p = v; }

static void instruction_breakpoints(void) {
    reset_db();
    shown = 0;
    arm(0, (u64)bp_target, RW_EXEC, LEN1);
    counter = 0;
    bp_target_fn();
    printk("exec: rip %s, counter %lu\n", db_rip == (u64)bp_target ? "= target (fault)" : "WRONG", counter);
    report("exec with rf");

    /* The handler leaves RF clear twice: the breakpoint hits again each time,
     * until the handler disarms it on the third hit. */
    reset_db();
    shown = 0;
    db_set_rf = 0;
    db_disarm_after = 3;
    arm(0, (u64)bp_target, RW_EXEC, LEN1);
    counter = 0;
    bp_target_fn();
    printk("exec without rf: #DB x%d, counter %lu\n", db_count, counter);

    /* A breakpoint on the second byte of an instruction is not its start. */
    reset_db();
    shown = 0;
    arm(1, (u64)bp_target + 1, RW_EXEC, LEN1);
    bp_target_fn();
    printk("exec mid-instruction: #DB x%d\n", db_count);
    reset_db();
}

static void data_breakpoints(void) {
    /* A write breakpoint of each length on buffer+8, then writes of one byte
     * at every offset 0..23: which offsets hit. Then the same with the address
     * given unaligned (+1): LEN masks its low bits (17.2.5). */
    static const u64 lens[4] = {LEN1, LEN2, LEN4, LEN8};
    static const char *names[4] = {"1", "2", "4", "8"};
    for (int unaligned = 0; unaligned <= 1; ++unaligned)
        for (int l = unaligned; l < 4; ++l) {
            reset_db();
            shown = 0;
            arm(2, (u64)&buffer[8] + unaligned, RW_WRITE, lens[l]);
            printk("write len %s%s: hits at", names[l], unaligned ? " at +1" : "");
            for (int k = 0; k < 24; ++k) {
                int before = db_count;
                store8(&buffer[k], (u8)k);
                if (db_count != before) printk(" %d", k);
            }
            printk(" (dr6 %lx)\n", db_dr6 & shown);
        }
    /* R/W = 01 ignores reads; R/W = 11 does not; an 8-byte store covering the
     * range hits too. */
    reset_db();
    shown = 0;
    arm(1, (u64)&buffer[16], RW_WRITE, LEN4);
    (void)load8(&buffer[16]);
    printk("write bp, read: #DB x%d\n", db_count);
    reset_db();
    shown = 0;
    arm(3, (u64)&buffer[16], RW_RDWR, LEN4);
    (void)load8(&buffer[18]);
    report("rw bp, read");
    reset_db();
    shown = 0;
    arm(0, (u64)&buffer[20], RW_RDWR, LEN2);
    store64((volatile u64 *)&buffer[16], 0);
    report("rw bp, wide store");

    /* REP STOSB over the watched byte: the trap comes after that iteration,
     * with RIP at the REP and the count left in RCX. */
    reset_db();
    shown = 0;
    arm(0, (u64)&buffer[37], RW_WRITE, LEN1);
    __asm__ volatile("lea buffer+32(%%rip), %%rdi\n mov $16, %%ecx\n mov $0x5a, %%al\n"
                     ".globl rep_insn\nrep_insn: rep stosb"
                     ::: "rdi", "rcx", "rax", "memory");
    printk("rep stosb: #DB x%d rip %s rcx %lu dr6 %lx, buffer[47] %x\n", db_count,
           db_rip == (u64)rep_insn ? "= rep" : "WRONG", db_rcx, db_dr6 & shown, buffer[47]);
    printk("rep stosb: rf in the frame %lu\n", (db_flags >> 16) & 1);
    reset_db();
}

static void io_breakpoints(void) {
    WRITE_CR(4, READ_CR(4) | CR4_DE);
    reset_db();
    shown = 0;
    arm(3, 0x80, RW_IO, LEN1);
    __asm__ volatile("mov $0, %%al\n out %%al, $0x81\n.globl io_insn\nio_insn: out %%al, $0x80\n.globl io_after\nio_after:"
                     ::: "rax");
    printk("io bp: #DB x%d rip %s dr6 %lx\n", db_count, db_rip == (u64)io_after ? "= after the out" : "WRONG",
           db_dr6 & shown);
    reset_db();
    WRITE_CR(4, READ_CR(4) & ~(u64)CR4_DE);
}

static void single_step(void) {
    /* TF set by POPF: the instruction after POPF traps; with a write
     * breakpoint on the same store both are reported together. */
    reset_db();
    shown = 0;
    arm(1, (u64)&buffer[0], RW_WRITE, LEN1);
    db_clear_tf = 1;
    __asm__ volatile("pushfq\n orq $0x100, (%%rsp)\n popfq\n.globl step_store\nstep_store: movb $7, buffer(%%rip)\n"
                     ".globl step_after\nstep_after: nop"
                     ::: "memory", "cc");
    printk("step + write bp: #DB x%d rip %s dr6 %lx\n", db_count,
           db_rip == (u64)step_after ? "= after the store" : "WRONG", db_dr6 & (shown | DR6_BS));
    reset_db();
}

static void mov_ss_shadow(void) {
    /* Single-step over MOV SS: the trap waits for the instruction after it
     * (SDM Vol. 3A, 6.8.3). */
    reset_db();
    shown = 0;
    db_clear_tf = 1;
    extern char ss_next[], ss_after[];
    __asm__ volatile("mov %%ss, %%ax\n pushfq\n orq $0x100, (%%rsp)\n popfq\n mov %%ax, %%ss\n"
                     ".globl ss_next\nss_next: nop\n.globl ss_after\nss_after: nop" ::: "rax", "memory", "cc");
    printk("step over mov ss: #DB x%d rip %s\n", db_count,
           db_rip == (u64)ss_after ? "= after the next instruction" : db_rip == (u64)ss_next ? "= after mov ss" : "WRONG");
    reset_db();
}

/* RF in the frame of a fault-class exception (17.3.1.1: pushed as 1). */
static volatile u64 ud_flags;
static void invalid_opcode(struct trap_frame *f) {
    ud_flags = f->rflags;
    f->rip += 2;
}
static void fault_rf(void) {
    set_trap_handler(6, invalid_opcode);
    __asm__ volatile("ud2");
    printk("#UD frame: rf %lu\n", (ud_flags >> 16) & 1);
}

static void general_detect(void) {
    reset_db();
    shown = 0;
    SET_DR(7, DR7_GD);
    u64 v;
    __asm__ volatile(".globl gd_insn\ngd_insn: mov %%dr7, %0" : "=r"(v));
    printk("gd: #DB x%d rip %s dr6.bd %lu, dr7.gd in handler %lu\n", db_count,
           db_rip == (u64)gd_insn ? "= the mov" : "WRONG", (db_dr6 & DR6_BD) >> 13, (db_dr7 & DR7_GD) >> 13);
    (void)v;
    reset_db();
}

static void user_breakpoints(void) {
    /* Instruction and data breakpoints are armed for every CPL. */
    reset_db();
    shown = 0;
    arm(0, (u64)user_bp_target, RW_EXEC, LEN1);
    arm(1, (u64)&buffer[40], RW_WRITE, LEN1);
    counter = 0;
    u64 r = run_user(user_bp_fn, user_stack_top);
    printk("cpl3: #DB x%d, counter %lu\n", db_count, r);
    reset_db();
}

static void fixed_bits(void) {
    SET_DR(6, 0);
    SET_DR(7, 0);
    printk("dr6 after 0: %lx, dr7 after 0: %lx\n", GET_DR(6), GET_DR(7));
    SET_DR(6, ~(u64)0 >> 32);
    printk("dr6 after 0xffffffff: %lx\n", GET_DR(6));
    SET_DR(6, 0);
}

void kmain(void) {
    set_trap_handler(1, debug_trap);
    fixed_bits();
    instruction_breakpoints();
    data_breakpoints();
    io_breakpoints();
    single_step();
    mov_ss_shadow();
    fault_rf();
    general_detect();
    user_breakpoints();
    exit_qemu(0x10);
}
