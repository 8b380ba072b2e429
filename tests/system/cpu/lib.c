/* The C side of the shared boot library (see lib.h). lib_init runs once from
 * boot.S in 64-bit mode: it loads the IDT (one interrupt gate per vector, DPL 0,
 * no IST), fills and loads the TSS, and points SYSCALL at user_return. */
#include <stdarg.h>

#include "lib.h"

struct __attribute__((packed)) idt_gate {
    u16 offset_lo;
    u16 selector;
    u8 ist;
    u8 type_attr;  /* P, DPL, 0, type */
    u16 offset_mid;
    u32 offset_hi;
    u32 reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit gates are 16 bytes (SDM Vol. 3A, Figure 6-8)");

extern char isr_table[];
extern u64 gdt[];

static struct idt_gate idt[256] __attribute__((aligned(16)));
static trap_handler handlers[256];
struct tss64 tss __attribute__((aligned(16)));

static u8 rsp0_stack[16384] __attribute__((aligned(16)));
static u8 ist1_stack[8192] __attribute__((aligned(16)));
static u8 ist2_stack[8192] __attribute__((aligned(16)));
static u8 user_stack[16384] __attribute__((aligned(16)));
u64 rsp0_top, ist1_top, ist2_top, user_stack_top;

void putc_e9(char c) { __asm__ volatile("outb %0, $0xE9" ::"a"(c)); }

void puts_e9(const char *s) {
    while (*s) putc_e9(*s++);
}

static void put_unsigned(u64 v, unsigned base) {
    char buf[24];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (base == 16) puts_e9("0x");
    while (n) putc_e9(buf[--n]);
}

void printk(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; ++fmt) {
        if (*fmt != '%') {
            putc_e9(*fmt);
            continue;
        }
        int wide = 0;
        if (fmt[1] == 'l') {
            wide = 1;
            ++fmt;
        }
        switch (*++fmt) {
            case 's': puts_e9(va_arg(ap, const char *)); break;
            case 'c': putc_e9((char)va_arg(ap, int)); break;
            case 'd': {
                long v = wide ? va_arg(ap, long) : va_arg(ap, int);
                if (v < 0) {
                    putc_e9('-');
                    v = -v;
                }
                put_unsigned((u64)v, 10);
                break;
            }
            case 'u': put_unsigned(wide ? va_arg(ap, u64) : va_arg(ap, u32), 10); break;
            case 'x': put_unsigned(wide ? va_arg(ap, u64) : va_arg(ap, u32), 16); break;
            case '%': putc_e9('%'); break;
            default: putc_e9('?'); break;
        }
    }
    va_end(ap);
}

void exit_qemu(u8 v) {
    __asm__ volatile("outb %0, $0xF4" ::"a"(v));
    for (;;) __asm__ volatile("cli; hlt");
}

void fail(const char *what) {
    printk("FAIL: %s\n", what);
    exit_qemu(0x7F);
}

void set_gate(u8 vector, u8 dpl, u8 ist, int present) {
    u64 target = (u64)isr_table + 16u * vector;
    struct idt_gate *g = &idt[vector];
    g->offset_lo = (u16)target;
    g->selector = KERNEL_CS;
    g->ist = ist;
    g->type_attr = (u8)((present ? 0x80 : 0) | (dpl << 5) | 0xE);  /* 64-bit interrupt gate */
    g->offset_mid = (u16)(target >> 16);
    g->offset_hi = (u32)(target >> 32);
    g->reserved = 0;
}

void set_trap_handler(u8 vector, trap_handler h) { handlers[vector] = h; }

void trap_dispatch(struct trap_frame *f) {
    if (handlers[f->vector]) {
        handlers[f->vector](f);
        return;
    }
    printk("unexpected trap %lu error %lx rip %lx cs %lx cr2 %lx\n", f->vector, f->error, f->rip, f->cs,
           READ_CR(2));
    exit_qemu(0x7F);
}

static void load_idt(void) {
    struct __attribute__((packed)) { u16 limit; u64 base; } idtr = {sizeof idt - 1, (u64)idt};
    __asm__ volatile("lidt %0" ::"m"(idtr));
}

void lib_init(void) {
    for (int v = 0; v < 256; ++v) set_gate((u8)v, 0, 0, 1);
    load_idt();

    rsp0_top = (u64)(rsp0_stack + sizeof rsp0_stack);
    ist1_top = (u64)(ist1_stack + sizeof ist1_stack);
    ist2_top = (u64)(ist2_stack + sizeof ist2_stack);
    user_stack_top = (u64)(user_stack + sizeof user_stack);
    tss.rsp[0] = rsp0_top;
    tss.ist[0] = ist1_top;
    tss.ist[1] = ist2_top;
    tss.iomap_base = sizeof tss;  /* no I/O permission bitmap */

    /* 64-bit available TSS descriptor, type 9 (SDM Vol. 3A, 8.2.3). */
    u64 base = (u64)&tss, limit = sizeof tss - 1;
    gdt[TSS_SEL / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
                       (((base >> 24) & 0xFF) << 56);
    gdt[TSS_SEL / 8 + 1] = base >> 32;
    __asm__ volatile("ltr %w0" ::"r"(TSS_SEL));

    /* SYSCALL: kernel CS/SS from STAR[47:32], SYSRET's base from STAR[63:48]. */
    wrmsr(MSR_STAR, ((u64)(USER_CS32 & ~3) << 48) | ((u64)KERNEL_CS << 32));
    wrmsr(MSR_LSTAR, (u64)user_return);
    wrmsr(MSR_SFMASK, 0x700);  /* TF, IF, DF */
}

/* ---- SMP ---- */

unsigned cpu_count(void) {
    outw(0x510, 0x05);  /* FW_CFG_NB_CPUS, 16 bits, little endian */
    unsigned lo = inb(0x511), hi = inb(0x511);
    return lo | hi << 8;
}

unsigned apic_id(void) {
    u32 r[4];
    cpuid(1, 0, r);
    return r[1] >> 24;
}

static u64 pd_apic[512] __attribute__((aligned(4096)));

void map_local_apic(void) {
    /* P, RW, PWT, PCD, PS: a 2 MiB uncached page covering 0xFEE00000. */
    pd_apic[(LAPIC_BASE >> 21) & 511] = (LAPIC_BASE & ~0x1FFFFFull) | 0x9B;
    pdpt[LAPIC_BASE >> 30] = (u64)pd_apic | 3;
    WRITE_CR(3, READ_CR(3));
}

/* Local APIC registers (SDM Vol. 3A Table 11-1) and ICR fields (11.6.1). */
#define LAPIC_SVR 0x0F0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_ASSERT (1u << 14)
#define ICR_PENDING (1u << 12)

static volatile u32 *lapic(u32 reg) { return (volatile u32 *)(LAPIC_BASE + reg); }

static void send_ipi(unsigned dest, u32 icr_lo) {
    *lapic(LAPIC_ICR_HI) = dest << 24;
    *lapic(LAPIC_ICR_LO) = icr_lo;
    while (*lapic(LAPIC_ICR_LO) & ICR_PENDING) cpu_relax();
}

static void spin(unsigned n) {
    for (volatile unsigned k = 0; k < n; ++k) cpu_relax();
}

extern char ap_tramp_start[], ap_tramp_end[];
u64 ap_stack;                       /* boot.S loads it into the AP's RSP */
static void (*volatile ap_fn)(unsigned);
static volatile unsigned ap_running = ~0u;

void ap_entry(void) {
    load_idt();
    unsigned id = apic_id();
    void (*fn)(unsigned) = ap_fn;
    ap_running = id;
    fn(id);
    fail("an AP's function returned");
}

void start_ap(unsigned id, void (*fn)(unsigned), u64 stack_top) {
    map_local_apic();
    *lapic(LAPIC_SVR) = 0x1FF;  /* software-enable the BSP's APIC, spurious vector 0xFF */
    u8 *dst = (u8 *)AP_TRAMPOLINE;
    for (const char *s = ap_tramp_start; s != ap_tramp_end; ++s) *dst++ = (u8)*s;
    ap_fn = fn;
    ap_stack = stack_top;
    send_ipi(id, ICR_INIT | ICR_ASSERT);
    spin(100);  /* the 10 ms of the MP spec are for real hardware */
    for (int k = 0; k < 2 && ap_running != id; ++k) {
        send_ipi(id, ICR_STARTUP | ICR_ASSERT | (AP_TRAMPOLINE >> 12));
        spin(100);
    }
    for (unsigned long k = 0; ap_running != id; ++k) {
        if (k == 100000000ul) fail("an AP did not start");
        cpu_relax();
    }
}
