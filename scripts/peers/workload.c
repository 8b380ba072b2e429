/* The bare-metal workloads of scripts/compare-peers.sh: one 64-bit Multiboot
 * kernel (the long-mode boot library of tests/system/cpu) that runs the loops
 * of `switchyard bench` (emu/bench.cpp) under switchyard, QEMU and Bochs.
 *
 * The script builds one image per workload (-DWORKLOAD_ALU, _CALL or _SIEVE);
 * the last word of the Multiboot command line is the iteration count, so the
 * same image also runs with 0 to measure the boot. Output goes to the 0xE9
 * debug port: "start", the result, "end". The kernel then leaves through
 * isa-debug-exit (switchyard, QEMU) and, where that port does not exist, the
 * Bochs power-off port 0x8900 ("Shutdown").
 *
 * The sieve is the paging one of `bench`: one byte per number below 64 Mi,
 * at 1 GiB linear, mapped with 4 KiB pages (SDM Vol. 3A, 4.5) onto physical
 * memory from 64 MiB (the machine needs 128 MiB or more). */
#include "lib.h"

#define SIEVE_N (64ul << 20)
#define SIEVE_VA (1ul << 30)
#define SIEVE_PA (64ul << 20)

extern u32 mb_info;

/* The last word of the Multiboot command line (information flags bit 2,
 * cmdline at offset 16), as a decimal number. */
static u64 count_argument(void)
{
    const u32 *info = (const u32 *)(u64)mb_info;
    if (!(info[0] & (1u << 2))) return 0;
    const char *s = (const char *)(u64)info[4], *last = s;
    for (const char *p = s; *p; ++p)
        if (*p == ' ' && p[1] && p[1] != ' ') last = p + 1;
    u64 v = 0;
    for (; *last >= '0' && *last <= '9'; ++last) v = v * 10 + (u64)(*last - '0');
    return v;
}

static __attribute__((noreturn)) void power_off(void)
{
    __asm__ volatile("outb %0, $0xF4" ::"a"((u8)0));
    for (const char *p = "Shutdown"; *p; ++p) __asm__ volatile("outb %0, %1" ::"a"(*p), "d"((u16)0x8900));
    for (;;) __asm__ volatile("cli; hlt");
}

#if defined(WORKLOAD_SIEVE)
static u64 pd_sieve[512] __attribute__((aligned(4096)));
static u64 pt_sieve[SIEVE_N >> 21][512] __attribute__((aligned(4096)));

static u64 sieve(u64 n)
{
    for (u64 k = 0; k < SIEVE_N >> 21; ++k) {
        pd_sieve[k] = (u64)pt_sieve[k] | 3;
        for (u64 j = 0; j < 512; ++j) pt_sieve[k][j] = (SIEVE_PA + ((k * 512 + j) << 12)) | 3;
    }
    pdpt[1] = (u64)pd_sieve | 3;
    __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
    u8 *s = (u8 *)SIEVE_VA;
    u64 *q = (u64 *)SIEVE_VA;
    for (u64 k = 0; k < n / 8; ++k) q[k] = 0;
    s[0] = s[1] = 1;
    for (u64 i = 2; i * i < n; ++i)
        if (!s[i])
            for (u64 j = i * i; j < n; j += i) s[j] = 1;
    u64 composites = 0;
    for (u64 k = 0; k < n / 8; ++k) composites += (q[k] * 0x0101010101010101ull) >> 56; /* bytes are 0 or 1 */
    return n - composites;
}
#endif

void kmain(void)
{
    u64 n = count_argument();
    printk("start %lu\n", n);
#if defined(WORKLOAD_ALU)
    /* emu/bench.cpp's alu loop: 9 instructions per iteration. */
    if (n)
        __asm__ volatile("1: add %%rbx, %%rax\n\txor %%rax, %%rdx\n\tshl $3, %%rdx\n\tsar $1, %%rdx\n\t"
                         "inc %%rsi\n\tdec %%rdi\n\tadd $7, %%rbx\n\tdec %%ecx\n\tjnz 1b"
                         : "+c"(n) : : "rax", "rbx", "rdx", "rsi", "rdi", "cc");
    printk("end\n");
#elif defined(WORKLOAD_CALL)
    /* emu/bench.cpp's call/ret loop: call, inc, ret, dec, jnz. */
    if (n)
        __asm__ volatile("jmp 2f\n1: inc %%rax\n\tret\n2: call 1b\n\tdec %%ecx\n\tjnz 2b"
                         : "+c"(n) : : "rax", "cc", "memory");
    printk("end\n");
#elif defined(WORKLOAD_SIEVE)
    /* n = 0: the boot alone; otherwise n sieves of 64 Mi numbers. */
    u64 primes = 0;
    for (u64 k = 0; k < n; ++k) primes = sieve(SIEVE_N);
    printk("primes below %lu: %lu\nend\n", SIEVE_N, primes);
#else
#error "build with -DWORKLOAD_ALU, -DWORKLOAD_CALL or -DWORKLOAD_SIEVE"
#endif
    power_off();
}
