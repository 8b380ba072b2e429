/* Freestanding support for the C test kernels: port and MMIO access, the
 * consoles (0xE9 and COM1, as common.S), a lock for SMP output, the IDT, the
 * local APIC and I/O APIC, fw_cfg, and AP start-up. 32-bit protected mode,
 * paging off, identity-mapped MMIO. */
#ifndef TESTS_SYSTEM_C_KERNEL_H
#define TESTS_SYSTEM_C_KERNEL_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define COM1 0x3F8
#define LAPIC_BASE 0xFEE00000u
#define IOAPIC_BASE 0xFEC00000u

/* Local APIC registers (SDM Vol. 3A Table 11-1). */
enum {
    LAPIC_ID = 0x020, LAPIC_EOI = 0x0B0, LAPIC_SVR = 0x0F0, LAPIC_ESR = 0x280,
    LAPIC_ICR_LO = 0x300, LAPIC_ICR_HI = 0x310, LAPIC_LVT_TIMER = 0x320,
    LAPIC_LVT_LINT0 = 0x350, LAPIC_TIMER_INIT = 0x380, LAPIC_TIMER_CUR = 0x390,
    LAPIC_TIMER_DIV = 0x3E0,
};
/* ICR fields (SDM 11.6.1). */
#define ICR_FIXED     (0u << 8)
#define ICR_NMI       (4u << 8)
#define ICR_INIT      (5u << 8)
#define ICR_STARTUP   (6u << 8)
#define ICR_ASSERT    (1u << 14)
#define ICR_SELF      (1u << 18)
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_PENDING   (1u << 12)

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 mmio_read(u32 addr) { return *(volatile u32 *)addr; }
static inline void mmio_write(u32 addr, u32 v) { *(volatile u32 *)addr = v; }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
static inline u32 lapic_read(u32 reg) { return mmio_read(LAPIC_BASE + reg); }
static inline void lapic_write(u32 reg, u32 v) { mmio_write(LAPIC_BASE + reg, v); }
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }
static inline u32 atomic_inc(volatile u32 *p) { u32 v = 1; __asm__ volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) :: "memory"); return v + 1; }

/* Consoles: every byte goes to 0xE9 and to COM1 (polled), like common.S. */
void serial_init(u8 fcr);
void putc(char c);
void puts(const char *s);
/* %s %c %u %x (eight digits, 0x prefix) %d, %b and %w (two and four hex
 * digits, no prefix), and %llu for u64. */
void printf(const char *fmt, ...);
/* printf under the console lock, for output from several CPUs. */
void lprintf(const char *fmt, ...);

/* isa-debug-exit: the host exits with status (v << 1) | 1. */
void __attribute__((noreturn)) exit(u8 v);
/* Prints "PANIC: msg" and exits with status (0x7F << 1) | 1 = 255. */
void __attribute__((noreturn)) panic(const char *msg);
/* The Multiboot command line contains `word` (whole word match). */
int cmdline_has(u32 mb_info, const char *word);
/* "key=N" on the command line: N (decimal), or `dflt` without the key. */
u32 cmdline_number(u32 mb_info, const char *key, u32 dflt);
/* "key=value" on the command line, exactly. */
int cmdline_is(u32 mb_info, const char *key, const char *value);

/* IDT: every vector enters interrupt_dispatch, which calls the handler set
 * here or panics. Call idt_load() on every CPU. */
typedef void (*handler_fn)(u32 vector);
void idt_init(void);
void idt_load(void);
void set_handler(u32 vector, handler_fn fn);

/* The CPU count QEMU and switchyard report through fw_cfg (FW_CFG_NB_CPUS). */
unsigned fw_cfg_cpu_count(void);

/* Software-enables this CPU's local APIC with spurious vector 0xFF. */
void lapic_enable(void);
/* Sends an IPI (ICR low word) to `dest` and waits until it is accepted. */
void lapic_send_ipi(u32 dest, u32 icr_lo);
/* I/O APIC redirection entry `pin`: vector, trigger/mask bits, physical destination. */
void ioapic_route(unsigned pin, u8 vector, u32 flags, u8 dest);
#define IOAPIC_LEVEL (1u << 15)
#define IOAPIC_MASKED (1u << 16)
/* Masks every 8259A line, so only the I/O APIC delivers. */
void pic_mask_all(void);

/* INIT-SIPI-SIPI to APIC ID `id` with the trampoline at 0x7000; the AP calls
 * ap_main(id). Returns when the AP has called ap_started(). */
void start_ap(unsigned id);
void ap_started(unsigned id);
void ap_main(unsigned id);

#endif
