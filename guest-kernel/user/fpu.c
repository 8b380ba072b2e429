/* fpu: processes whose SSE and x87 registers hold distinct values while they
 * are preempted by the timer and moved between CPUs. The kernel never touches
 * these registers itself; it saves them in __switch_to (switch_fpu_prepare)
 * and loads them on the way back to user mode (switch_fpu_return).
 *
 * Built with -mgeneral-regs-only like the rest of user space, so the only code
 * that touches XMM0-15 (XMM0-7 in the i386 build: NR_XMM, user_arch.h), MXCSR
 * and the x87 registers is the inline assembly
 * here: whatever is in them after the busy loop was put there before it or
 * restored by the kernel (the FXSAVE image holds both register files).
 *   fpu [N [MS]]: N processes (default 3) for MS ms (default 120). */
#include "ulib.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static void load_xmm(const unsigned int *v)
{
    __asm__ volatile("movdqu 0(%0), %%xmm0\n movdqu 16(%0), %%xmm1\n movdqu 32(%0), %%xmm2\n"
                     "movdqu 48(%0), %%xmm3\n movdqu 64(%0), %%xmm4\n movdqu 80(%0), %%xmm5\n"
                     "movdqu 96(%0), %%xmm6\n movdqu 112(%0), %%xmm7\n" ::"r"(v)
                     : "memory");
#if NR_XMM == 16
    __asm__ volatile("movdqu 128(%0), %%xmm8\n"
                     "movdqu 144(%0), %%xmm9\n movdqu 160(%0), %%xmm10\n movdqu 176(%0), %%xmm11\n"
                     "movdqu 192(%0), %%xmm12\n movdqu 208(%0), %%xmm13\n movdqu 224(%0), %%xmm14\n"
                     "movdqu 240(%0), %%xmm15\n" ::"r"(v)
                     : "memory");
#endif
}

static void store_xmm(unsigned int *v)
{
    __asm__ volatile("movdqu %%xmm0, 0(%0)\n movdqu %%xmm1, 16(%0)\n movdqu %%xmm2, 32(%0)\n"
                     "movdqu %%xmm3, 48(%0)\n movdqu %%xmm4, 64(%0)\n movdqu %%xmm5, 80(%0)\n"
                     "movdqu %%xmm6, 96(%0)\n movdqu %%xmm7, 112(%0)\n" ::"r"(v)
                     : "memory");
#if NR_XMM == 16
    __asm__ volatile("movdqu %%xmm8, 128(%0)\n"
                     "movdqu %%xmm9, 144(%0)\n movdqu %%xmm10, 160(%0)\n movdqu %%xmm11, 176(%0)\n"
                     "movdqu %%xmm12, 192(%0)\n movdqu %%xmm13, 208(%0)\n movdqu %%xmm14, 224(%0)\n"
                     "movdqu %%xmm15, 240(%0)\n" ::"r"(v)
                     : "memory");
#endif
}

/* The last XMM register's low double += 1.0 (xmm15; xmm7 in the i386 build):
 * SSE arithmetic whose result counts the loops. */
static void count_in_last_xmm(void)
{
    static const double one = 1.0;
    __asm__ volatile("addsd %0, %%xmm" STR(LAST_XMM) ::"m"(one));
}

/* The x87 side: six 64-bit integers loaded exactly into st(1)-st(6), with a
 * loop counter in st(0) that each loop adds 1.0 to (st(7) stays free for the
 * FLD1). The control word differs per process (rounding control), so the
 * kernel must also keep FCW, and the tag word must still say "7 in use". */
static void x87_load(const long long *v, unsigned short fcw)
{
    __asm__ volatile("fninit\n fldcw %1\n"
                     "fildll 40(%0)\n fildll 32(%0)\n fildll 24(%0)\n fildll 16(%0)\n fildll 8(%0)\n"
                     "fildll 0(%0)\n fldz\n" ::"r"(v), "m"(fcw)
                     : "memory");
}

static void x87_count(void)
{
    __asm__ volatile("fld1\n faddp %st, %st(1)");
}

/* Pops st(0)-st(6) as integers into out[0..6] after saving the control word
 * and the tag word (FNSTENV: the abridged tag word is not enough to show that
 * exactly seven registers are valid). */
static void x87_store(long long *out, unsigned short *fcw, unsigned short *ftw)
{
    unsigned int env[7];
    __asm__ volatile("fnstenv %0\n fldcw %0" : "=m"(env)::"memory"); /* FNSTENV masks all: reload FCW */
    *fcw = (unsigned short)env[0];
    *ftw = (unsigned short)env[2];
    __asm__ volatile("fistpll 0(%0)\n fistpll 8(%0)\n fistpll 16(%0)\n fistpll 24(%0)\n"
                     "fistpll 32(%0)\n fistpll 40(%0)\n fistpll 48(%0)\n" ::"r"(out)
                     : "memory");
}

/* The IEEE 754 binary64 encoding of n (0 < n < 2^53), computed with integers. */
static unsigned long long double_bits(unsigned long long n)
{
    int e = 63 - __builtin_clzll(n);
    return ((unsigned long long)(1023 + e) << 52) | ((n << (52 - e)) & ((1ULL << 52) - 1));
}

static int quiet; /* -q: print only failures (the self-tests) */

static int worker(int id, unsigned long ms)
{
    enum { WORDS = 4 * NR_XMM, COUNTER = 4 * LAST_XMM }; /* 32-bit words; the counter register's */
    unsigned int want[WORDS], got[WORDS];
    for (int k = 0; k < WORDS; ++k) want[k] = ((unsigned)getpid() << 16) ^ (unsigned)(k * 0x01010101u) ^ (unsigned)id;
    want[COUNTER] = want[COUNTER + 1] = want[COUNTER + 2] = want[COUNTER + 3] = 0; /* 0.0: the counter */
    /* Round to nearest / down / up / toward zero, all exceptions masked. */
    unsigned int mxcsr = 0x1f80 | ((unsigned)(id % 4) << 13), mx_got;
    int cpus = 0, cpu_now, migrations = 0, last = getcpu();
    unsigned long loops = 0, end = uptime_ms() + ms, next_nap = uptime_ms() + 30;
    long long x87_want[6], x87_got[7];
    for (int k = 0; k < 6; ++k) x87_want[k] = ((long long)getpid() << 40) ^ ((long long)(k + 1) << 20) ^ id;
    unsigned short fcw = (unsigned short)(0x037f | ((id % 4) << 10)), fcw_got, ftw_got;
    __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
    load_xmm(want);
    x87_load(x87_want, fcw);
    do {
        for (int i = 0; i < 20000; ++i) __asm__ volatile("");
        count_in_last_xmm();
        x87_count();
        ++loops;
        cpu_now = getcpu();
        cpus |= 1 << cpu_now;
        migrations += cpu_now != last;
        last = cpu_now;
        if (uptime_ms() >= next_nap) { /* a sleep lets the wake-up pick a CPU */
            msleep(10);
            next_nap = uptime_ms() + 30;
        }
    } while (uptime_ms() < end);
    store_xmm(got);
    __asm__ volatile("stmxcsr %0" : "=m"(mx_got));
    x87_store(x87_got, &fcw_got, &ftw_got);
    /* Seven valid registers from st(0) at physical register 1 (TOP = 1): tags
     * of registers 1-7 valid or zero (00/01), register 0 empty (11). */
    int x87_bad = fcw_got != fcw || (ftw_got & 3) != 3 || (unsigned long long)x87_got[0] != loops;
    for (int k = 0; k < 6; ++k) x87_bad |= x87_got[k + 1] != x87_want[k];
    for (int r = 1; r < 8; ++r) x87_bad |= ((ftw_got >> (2 * r)) & 3) > 1;
    unsigned long long counted;
    memcpy(&counted, &got[COUNTER], sizeof counted); /* the double's bits */
    int bad = memcmp(got, want, COUNTER * sizeof got[0]) != 0 || mx_got != mxcsr;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    bool count_ok = counted == double_bits(loops);
    if (!quiet || bad || !count_ok || x87_bad)
        printf("fpu %d (pid %d): xmm0-" STR(PREV_XMM) " %s, MXCSR %x %s, xmm" STR(LAST_XMM) " %s %lu loops, x87 st0-6 and FCW %x %s; "
           "preempted %ld times, moved between CPUs %d times (cpus%s%s)\n",
           id, getpid(), bad ? "CHANGED" : "intact", mx_got, mx_got == mxcsr ? "intact" : "CHANGED",
           count_ok ? "counted all" : "MISCOUNTED", loops, fcw_got, x87_bad ? "CHANGED" : "intact",
           ru.ru_nivcsw, migrations, cpus & 1 ? " 0" : "", cpus & 2 ? " 1" : "");
    return bad || !count_ok || x87_bad;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    unsigned long ms = argc > 2 ? (unsigned long)atoi(argv[2]) : 120;
    quiet = argc > 3 && !strcmp(argv[3], "-q");
    int pids[8], failed = 0, status;
    for (int k = 0; k < n && k < 8; ++k)
        if ((pids[k] = fork()) == 0) exit(worker(k, ms));
    for (int k = 0; k < n && k < 8; ++k) {
        waitpid(pids[k], &status, 0);
        failed |= !WIFEXITED(status) || WEXITSTATUS(status);
    }
    return failed;
}
