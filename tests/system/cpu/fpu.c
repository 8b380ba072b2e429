/* fpu: lazy FPU/SSE state switching under CR0.TS (SDM Vol. 3A, 2.5 CR0.TS/EM/MP
 * and 13.4 "Saving the state lazily"; Vol. 1, 10.5.1 FXSAVE area, Table 10-2).
 * Two "tasks" own different XMM0/MXCSR values; switching only sets CR0.TS, and
 * the #NM handler (CLTS, FXSAVE for the old owner, FXRSTOR for the new) moves
 * the state when a task first touches SSE. CR0.EM makes SSE #UD. */
#include "lib.h"

struct fxsave_area {
    u16 fcw, fsw;
    u8 ftw, reserved0;
    u16 fop;
    u64 fip, fdp;
    u32 mxcsr, mxcsr_mask;
    u8 st[8][16];
    u64 xmm[16][2];
    u8 reserved[96];
} __attribute__((aligned(16)));
_Static_assert(offsetof(struct fxsave_area, mxcsr) == 24 && offsetof(struct fxsave_area, xmm) == 160 &&
                   sizeof(struct fxsave_area) == 512,
               "FXSAVE layout (SDM Vol. 1, Table 10-2)");

struct task {
    const char *name;
    struct fxsave_area fx;
};
static struct task task_a = {"a", {0}}, task_b = {"b", {0}};
static struct task *current, *fpu_owner;
u64 recover_rip;

static void fxsave(struct fxsave_area *a) { __asm__ volatile("fxsave64 %0" : "=m"(*a)); }
static void fxrstor(const struct fxsave_area *a) { __asm__ volatile("fxrstor64 %0" ::"m"(*a)); }
static u64 read_xmm0(void) { u64 v; __asm__ volatile("movq %%xmm0, %0" : "=r"(v)); return v; }
static void write_xmm0(u64 v) { __asm__ volatile("movq %0, %%xmm0" ::"r"(v)); }
static u32 read_mxcsr(void) { u32 v; __asm__ volatile("stmxcsr %0" : "=m"(v)); return v; }

/* The context switch: no state moves, the next SSE instruction traps. */
static void switch_to(struct task *t) {
    current = t;
    WRITE_CR(0, READ_CR(0) | CR0_TS);
}

static void device_not_available(struct trap_frame *f) {
    __asm__ volatile("clts");
    if (fpu_owner != current) {
        fxsave(&fpu_owner->fx);
        fxrstor(&current->fx);
        printk("ok: #NM in task %s: state of %s saved, %s restored\n", current->name, fpu_owner->name,
               current->name);
        fpu_owner = current;
    } else {
        printk("ok: #NM in task %s: it still owns the FPU\n", current->name);
    }
    (void)f;  /* the instruction is retried */
}

static void invalid_opcode(struct trap_frame *f) {
    printk("ok: #UD at the SSE instruction with cr0.em=1\n");
    f->rip = recover_rip;
}

/* What a task does: reads XMM0 and MXCSR (the first SSE use traps), adds 1. */
static void run_task(struct task *t) {
    switch_to(t);
    printk("ok: task %s runs, cr0.ts %lu\n", t->name, (READ_CR(0) >> 3) & 1);
    u64 x = read_xmm0();
    u32 m = read_mxcsr();
    write_xmm0(x + 1);
    printk("ok: task %s sees xmm0 %lx mxcsr %x, leaves %lx\n", t->name, x, m, x + 1);
}

void kmain(void) {
    set_trap_handler(7, device_not_available);
    set_trap_handler(6, invalid_opcode);

    __asm__ volatile("fninit");
    u16 fcw;
    __asm__ volatile("fnstcw %0" : "=m"(fcw));
    printk("ok: fninit fcw %x mxcsr %x\n", fcw, read_mxcsr());

    /* Task a's state is live; b's starts as a copy with other values. */
    write_xmm0(0x1111);
    fxsave(&task_a.fx);
    task_b.fx = task_a.fx;
    task_b.fx.xmm[0][0] = 0x2222;
    task_b.fx.mxcsr = 0x3F80;  /* round toward zero */
    task_b.fx.fcw = 0x027F;    /* 53-bit precision */
    printk("ok: fxsave of a: fcw %x mxcsr %x xmm0 %lx\n", task_a.fx.fcw, task_a.fx.mxcsr, task_a.fx.xmm[0][0]);
    current = fpu_owner = &task_a;

    run_task(&task_b);
    run_task(&task_a);
    run_task(&task_a);
    run_task(&task_b);
    fxsave(&task_b.fx);
    u16 fcw_b;
    __asm__ volatile("fnstcw %0" : "=m"(fcw_b));
    printk("ok: fxsave of b: fcw %x mxcsr %x xmm0 %lx, fnstcw %x\n", task_b.fx.fcw, task_b.fx.mxcsr,
           task_b.fx.xmm[0][0], fcw_b);

    /* CR0.EM = 1: SSE instructions are #UD (SDM Vol. 3A, Table 2-2). */
    WRITE_CR(0, READ_CR(0) | CR0_EM);
    __asm__ volatile("leaq 1f(%%rip), %%rdx\n\tmovq %%rdx, recover_rip(%%rip)\n\tmovq %%xmm0, %%rax\n1:"
                     ::: "rax", "rdx", "memory");
    WRITE_CR(0, READ_CR(0) & ~(u64)CR0_EM);
    printk("ok: cr0.em cleared, xmm0 %lx\n", read_xmm0());
    exit_qemu(0x10);
}
