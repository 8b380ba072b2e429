/* From the boot loader to the first user program (Linux: init/main.c and
 * arch/x86/kernel/head64.c).
 *
 *   startup_32 -> startup_64 (head64.S) -> x86_64_start_kernel -> start_kernel
 *   -> rest_init: pid 1 = kernel_init, a kernel thread that execs the first
 *      program (or runs the self-tests); the boot task becomes CPU 0's idle task.
 *
 * The command line (--append, after the kernel's path) is a list of words:
 *   ktest            run the in-kernel self-tests, then power off
 *   stackoverflow    overflow a kernel thread's stack on purpose (ends in a panic)
 *   rsb_fill         __switch_to_asm fills the return stack buffer
 *   nopreempt        no kernel preemption (user tasks are still preempted)
 *   schedstat        power-off prints each CPU's switch, syscall and IRQ counts
 *   break=NAME       a lab switch: break one mechanism on purpose (include/lab.h)
 *   switch=MODEL     how stacks are switched: linux (default), linux26, xv6,
 *                    solaris (include/switch_model.h)
 *   PROGRAM ARGS...  the first other word names the program pid 1 runs
 *                    (default: demo), the rest are its arguments */
#include "acpi.h"
#include "apic.h"
#include "console.h"
#include "desc.h"
#include "irq_vectors.h"
#include "kernel.h"
#include "lab.h"
#include "mm.h"
#include "multiboot.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"
#include "switch_model.h"

struct boot_params boot_params;
static char cmdline_words[256];
static const char *words[32];
static int nr_words;
const char *init_argv[16] = {"demo", NULL};

bool cmdline_has(const char *word)
{
    for (int k = 0; k < nr_words; ++k)
        if (!strcmp(words[k], word)) return true;
    return false;
}

static bool is_flag(const char *w)
{
    static const char *const flags[] = {"ktest", "stackoverflow", "rsb_fill", "nopreempt", "schedstat"};
    if (!strncmp(w, "break=", 6) || !strncmp(w, "switch=", 7)) return true;
    for (size_t k = 0; k < ARRAY_SIZE(flags); ++k)
        if (!strcmp(w, flags[k])) return true;
    return false;
}

/* Splits the command line; the first word is the kernel's own name (switchyard)
 * or path (QEMU), skipped. */
static void parse_cmdline(void)
{
    strncpy(cmdline_words, boot_params.cmdline, sizeof cmdline_words - 1);
    char *p = cmdline_words;
    bool first = true;
    while (*p && nr_words < (int)ARRAY_SIZE(words)) {
        while (*p == ' ') *p++ = 0;
        if (!*p) break;
        if (!first) words[nr_words++] = p;
        first = false;
        while (*p && *p != ' ') ++p;
    }
    int n = 0;
    for (int k = 0; k < nr_words && n < (int)ARRAY_SIZE(init_argv) - 1; ++k)
        if (n > 0 || !is_flag(words[k])) init_argv[n++] = words[k];
    if (n) init_argv[n] = NULL;
}

/* Copies what we need out of the Multiboot information before anything can
 * overwrite it (QEMU puts it right after the kernel, in memory we will use). */
/* The boot page tables map the first GiB at __START_KERNEL_map only. */
#define early_va(pa) ((void *)((unsigned long)(pa) + __START_KERNEL_map))

void parse_multiboot(u32 magic, unsigned long mbi_phys)
{
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) panic("not started by a Multiboot loader (EAX = %x)", magic);
    const struct multiboot_info *mbi = early_va(mbi_phys);
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        strncpy(boot_params.cmdline, early_va(mbi->cmdline), sizeof boot_params.cmdline - 1);
    if (mbi->flags & (1 << 9))
        strncpy(boot_params.loader, early_va(mbi->boot_loader_name), sizeof boot_params.loader - 1);
    if (!(mbi->flags & MULTIBOOT_INFO_MEM_MAP)) panic("the boot loader gave no memory map");
    for (unsigned long off = 0; off < mbi->mmap_length;) {
        const struct multiboot_mmap_entry *e = early_va(mbi->mmap_addr + off);
        if (e->type == 1 && e->len && boot_params.nr_ram < MAX_MEM_REGIONS) {
            boot_params.ram[boot_params.nr_ram++] = (struct mem_region){e->addr, e->addr + e->len};
            boot_params.ram_bytes += e->len;
        }
        off += e->size + 4;
    }
    if (!boot_params.nr_ram) panic("the memory map lists no available RAM");
}

static void boot_init_stack_canary(void)
{
    unsigned long canary = (unsigned long)get_random_long();
    init_task.stack_canary = canary;
    this_cpu()->stack_canary = canary;
}

static int overflow_depth;
#pragma GCC diagnostic ignored "-Winfinite-recursion"
/* Recurses until the stack runs into its guard page. */
static int __attribute__((noinline)) overflow_stack(int n)
{
    volatile char buf[512];
    buf[0] = (char)n;
    overflow_depth = n;
    return overflow_stack(n + 1) + buf[0];
}

static int stack_overflow_thread(void *arg)
{
    printk("stackoverflow: task \"%s\" (pid %d) recurses until its %d KiB stack overflows\n", current->comm,
           current->pid, THREAD_SIZE / 1024);
    return overflow_stack(0);
}

/* pid 1. */
static int kernel_init(void *unused)
{
    if (cmdline_has("ktest")) ktest_main();
    if (cmdline_has("stackoverflow")) {
        kernel_thread(stack_overflow_thread, NULL, "overflow", 0);
        for (;;) msleep(1000);
    }
    long r = kernel_execve(init_argv[0], init_argv);
    if (r) {
        printk("init: cannot run \"%s\" (error %ld); the programs are:", init_argv[0], r);
        for (int k = 0; k < nr_user_programs; ++k) printk(" %s", user_programs[k].name);
        printk("\n");
        machine_power_off(EXIT_FAILURE_CODE);
    }
    return 0; /* to user mode, in init_argv[0] */
}

static __noreturn void rest_init(void)
{
    struct kernel_clone_args args = {.fn = kernel_init, .name = "init"};
    kernel_clone(&args);
    cpu_startup_entry(); /* this boot task is now CPU 0's idle task */
}

static __noreturn void start_kernel(void)
{
    printk("switchyard guest kernel, booted by %s\n", boot_params.loader[0] ? boot_params.loader : "?");
    page_alloc_init();
    paging_init();
    idt_setup();
    cpu_init(0);
    acpi_init();
    sched_init();
    parse_cmdline();
    if (cmdline_has("nopreempt")) sched_preempt_enabled = 0;
    if (cmdline_has("rsb_fill")) sched_rsb_fill = true;
    for (int k = 0; k < nr_words; ++k)
        if (!strncmp(words[k], "break=", 6) && !lab_parse(words[k]))
            printk("lab: unknown switch %s (known: break=rsp0 break=swapgs break=fsbase break=canary)\n", words[k]);
    for (int k = 0; k < nr_words; ++k)
        if (!strncmp(words[k], "switch=", 7) && !switch_model_parse(words[k]))
            printk("switch: unknown model %s (known: %s)\n", words[k], switch_models_known);

    cpu_data[0].apic_id = acpi.cpu_apic_id[0];
    lapic_init();
    lapic_calibrate_timer();
    lapic_init(); /* now with the periodic timer */
    ioapic_init();
    ioapic_route_isa_irq(COM1_IRQ, ISA_IRQ_VECTOR(COM1_IRQ), cpu_data[0].apic_id);
    serial_enable_rx_irq();
    local_irq_enable();

    smp_boot_cpus();
    printk("%d CPU%s, %lu MiB of RAM, HZ %d, kernel preemption %s%s\n", nr_online_cpus,
           nr_online_cpus == 1 ? "" : "s", (unsigned long)(boot_params.ram_bytes >> 20), HZ, sched_preempt_enabled ? "on" : "off",
           sched_rsb_fill ? ", RSB filling on context switch" : "");
    if (switch_model != SWITCH_LINUX)
        printk("switch model: %s (include/switch_model.h)\n", switch_model_names[switch_model]);
    if (lab_breaks)
        printk("lab: broken on purpose:%s%s%s%s\n", lab_broken(LAB_BREAK_RSP0) ? " TSS.RSP0" : "",
               lab_broken(LAB_BREAK_SWAPGS) ? " SWAPGS on interrupt entry" : "",
               lab_broken(LAB_BREAK_FSBASE) ? " FS base switch" : "",
               lab_broken(LAB_BREAK_CANARY) ? " stack canary switch" : "");
    rest_init();
}

/* The first C function (startup_64; i386: startup_32 in head_32.S, as
 * i386_start_kernel), on init_task's stack, GS (i386: FS) = cpu_data[0].
 * Not stack-protected: it changes the canary, and never returns. */
__no_stack_protector __noreturn void x86_64_start_kernel(u32 magic, unsigned long mbi_phys)
{
    serial_init();
    set_task_stack_end_magic(init_stack);
    parse_multiboot(magic, mbi_phys);
    boot_init_stack_canary();
    start_kernel();
}
