/* x87sse: gcc-compiled long double arithmetic and formatting on the x87 FPU,
 * the precision and rounding controls, integer and BCD stores, transcendentals,
 * the FPU environment and FXSAVE of the registers, #MF (CR0.NE = 1), MMX and
 * the tag word, and SSE3, SSSE3, SSE4.1 and SSE4.2 code compiled from
 * intrinsics: PCMPISTRI string functions and CRC32 (SDM Vol. 1 ch. 8, 9, 12).
 * The FERR#/IRQ13 path (CR0.NE = 0) is x87ferr.c: QEMU 7.2 aborts on it.
 *
 * Built with x87 and SSE code generation allowed (the other kernels use
 * -mgeneral-regs-only); the trap handlers stay off the vector registers.
 * Results are printed exactly (the 80 bits in hex) where the two
 * implementations must agree bit for bit, and to 12 significant digits for the
 * transcendentals, which QEMU computes in double precision and switchyard on
 * the host's x87 unit. Status words are printed without TOP and C3-C0, which
 * QEMU 7.2 does not keep as the hardware does (it pops FDIVRP after an unmasked
 * ZE and leaves C1 after an invalid operation; the isa-test checks switchyard's
 * against the host), and after FNCLEX wherever a denormal operand came before:
 * QEMU does not raise DE for x87 denormal operands. Inputs go through opaque()
 * so that gcc cannot fold the intrinsics at compile time. */
#include <nmmintrin.h>

#include "lib.h"

#define NOVEC __attribute__((target("general-regs-only")))

/* ---- printing long doubles ---------------------------------------------------- */
union ld80 {
    long double v;
    struct {
        u64 sig;
        u16 se;
    } b;
};

static void put_hex80(long double v) {
    union ld80 u = {.v = v};
    static const char hexd[] = "0123456789abcdef";
    char s[22];
    for (int k = 0; k < 4; ++k) s[k] = hexd[(u.b.se >> (12 - 4 * k)) & 15];
    s[4] = ':';
    for (int k = 0; k < 16; ++k) s[5 + k] = hexd[(u.b.sig >> (60 - 4 * k)) & 15];
    s[21] = 0;
    puts_e9(s);
}

/* Scientific notation with `digits` significant digits, computed with long
 * double arithmetic (so both machines must round every step alike). */
static void put_ld(long double v, int digits) {
    if (v != v) {
        puts_e9("nan");
        return;
    }
    if (v < 0 || (v == 0 && 1.0L / v < 0)) {
        putc_e9('-');
        v = -v;
    }
    if (v > 1e4000L) {
        puts_e9("inf");
        return;
    }
    int e = 0;
    if (v != 0) {
        while (v >= 10.0L) {
            v /= 10.0L;
            ++e;
        }
        while (v < 1.0L) {
            v *= 10.0L;
            --e;
        }
    }
    for (int k = 0; k < digits; ++k) {
        int d = (int)v;
        putc_e9((char)('0' + d));
        if (k == 0) putc_e9('.');
        v = (v - d) * 10.0L;
    }
    printk("e%d", e);
}

static void show(const char *what, long double v) {
    printk("ok: %s = ", what);
    put_ld(v, 19);
    puts_e9(" [");
    put_hex80(v);
    puts_e9("]\n");
}

#define opaque(v) __asm__ volatile("" : "+x"(v))

/* ---- x87 helpers ---------------------------------------------------------------- */
/* The status word's B, ES, SF and exception flags (see the top of the file). */
static u16 fnstsw(void) {
    u16 s;
    __asm__ volatile("fnstsw %0" : "=m"(s));
    return s & 0x80FF;
}
static void fldcw(u16 c) { __asm__ volatile("fldcw %0" ::"m"(c)); }
struct fenv32 {
    u32 fcw, fsw, ftw, fip, fcs_fop, fdp, fds;
};
static struct fenv32 fnstenv(void) {
    struct fenv32 e;
    __asm__ volatile("fnstenv %0" : "=m"(e));
    return e;
}
static long double fsqrtl(long double x) {
    __asm__("fsqrt" : "+t"(x));
    return x;
}
static long double fsinl(long double x) {
    __asm__("fsin" : "+t"(x));
    return x;
}
static long double fcosl(long double x) {
    __asm__("fcos" : "+t"(x));
    return x;
}
static long double fpatanl(long double y, long double x) {
    long double r;
    __asm__("fpatan" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}
static long double fyl2xl(long double y, long double x) {
    long double r;
    __asm__("fyl2x" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}
static long double f2xm1l(long double x) {
    __asm__("f2xm1" : "+t"(x));
    return x;
}
static long double fscalel(long double x, long double n) {
    __asm__("fscale" : "+t"(x) : "u"(n));
    return x;
}
static long double fpreml(long double x, long double y, u16 *sw) {
    __asm__("1: fprem\n\tfnstsw %%ax\n\ttestb $4, %%ah\n\tjnz 1b" : "+t"(x), "=a"(*sw) : "u"(y));
    return x;
}
static long double frndintl(long double x) {
    __asm__("frndint" : "+t"(x));
    return x;
}
static long double fldpi(void) {
    long double r;
    __asm__("fldpi" : "=t"(r));
    return r;
}

/* ---- traps ------------------------------------------------------------------------ */
static volatile int mf_count;
NOVEC static void on_mf(struct trap_frame *f) {
    u16 sw;
    __asm__ volatile("fnstsw %0\n\tfnclex" : "=m"(sw));
    ++mf_count;
    printk("ok: #MF at the fwait (rip moved back to it: %d), fsw %x\n", f->rip != 0, sw & 0x80FF);
}
/* ---- the x87 part ----------------------------------------------------------------- */
static void x87_tests(void) {
    __asm__ volatile("fninit");
    struct fenv32 e = fnstenv();
    printk("ok: fninit fcw %x fsw %x ftw %x\n", e.fcw & 0xFFFF, e.fsw & 0xFFFF, e.ftw & 0xFFFF);
    __asm__ volatile("fnclex");

    volatile long double three = 3.0L, two = 2.0L, ten = 10.0L;
    show("1/3", 1.0L / three);
    show("2/3", two / three);
    show("sqrtl(2)", fsqrtl(two));
    show("fldpi", fldpi());
    long double f = 1.0L;
    for (int k = 1; k <= 25; ++k) f *= k;
    show("25!", f);
    long double h = 0;
    for (int k = 1; k <= 1000; ++k) h += 1.0L / k;
    show("H(1000)", h);
    show("1e-4940 (denormal)", 1e-4940L * ten);
    show("1e4932 * 10 (overflow, masked)", 1e4932L * ten);
    __asm__ volatile("fnclex");

    /* Precision control: 1/3 rounded to 24 and 53 bits, then 64 again. */
    static const u16 pcs[] = {0x007F, 0x027F, 0x037F};
    static const char *pcn[] = {"pc24", "pc53", "pc64"};
    for (int k = 0; k < 3; ++k) {
        fldcw(pcs[k]);
        long double q = 1.0L / three;
        fldcw(0x037F);
        printk("ok: %s 1/3 = ", pcn[k]);
        put_hex80(q);
        puts_e9("\n");
    }
    /* Rounding control: 2/3 and -2/3 under each mode. */
    static const char *rcn[] = {"nearest", "down", "up", "zero"};
    for (int k = 0; k < 4; ++k) {
        fldcw((u16)(0x037F | (k << 10)));
        long double p = two / three, m = -two / three;
        long double r = frndintl(2.5L * three);
        fldcw(0x037F);
        printk("ok: rc %s: 2/3 ", rcn[k]);
        put_hex80(p);
        puts_e9(" -2/3 ");
        put_hex80(m);
        puts_e9(" frndint(7.5) ");
        put_ld(r, 3);
        puts_e9("\n");
    }
    /* Integer and BCD stores (FISTP, FISTTP, FBSTP), FXTRACT/FSCALE/FPREM. */
    long long i64;
    int i32;
    short i16;
    u8 bcd[10];
    long double big = 123456789012345678.6L;
    __asm__ volatile("fistpll %0" : "=m"(i64) : "t"(big) : "st");
    __asm__ volatile("fisttpl %0" : "=m"(i32) : "t"(-7.9L) : "st");
    __asm__ volatile("fistps %0" : "=m"(i16) : "t"(40000.0L) : "st");  /* out of range: indefinite */
    __asm__ volatile("fbstp %0" : "=m"(bcd) : "t"(-9876543210.5L) : "st");
    u16 sw = fnstsw();
    printk("ok: fistp %ld fisttp %d fistp(40000) %d fbstp %x%x%x%x%x%x sign %x, fsw %x\n", (long)i64, i32, i16,
           bcd[5], bcd[4], bcd[3], bcd[2], bcd[1], bcd[0], bcd[9], sw);
    __asm__ volatile("fnclex");
    show("fscale(1.5, 100)", fscalel(1.5L, 100.0L));
    show("fprem(1e20, pi)", fpreml(1e20L, fldpi(), &sw));
    printk("ok: fprem quotient bits c0 c3 c1: %u %u %u\n", (sw >> 8) & 1, (sw >> 14) & 1, (sw >> 9) & 1);
    /* 0/0 with IE masked: the indefinite, and IE in the status word. */
    volatile long double z = 0;
    long double nan = z / z;
    printk("ok: 0/0 = ");
    put_hex80(nan);
    printk(" fsw %x\n", fnstsw());
    __asm__ volatile("fnclex");

    /* Transcendentals (12 digits: QEMU uses double precision for some). */
    printk("ok: sin(1) ");
    put_ld(fsinl(1.0L), 12);
    printk(" cos(1) ");
    put_ld(fcosl(1.0L), 12);
    printk(" atan2(1,2) ");
    put_ld(fpatanl(1.0L, 2.0L), 12);
    printk(" log2(10) ");
    put_ld(fyl2xl(1.0L, 10.0L), 12);
    printk(" 2^0.5-1 ");
    put_ld(f2xm1l(0.5L), 12);
    puts_e9("\n");

    /* The environment: FNSTENV after a push shows TOP and the tags. */
    __asm__ volatile("fninit\n\tfld1\n\tfldz\n\tfldpi");
    e = fnstenv();
    printk("ok: after three pushes fsw %x ftw %x\n", e.fsw & 0xFFFF, e.ftw & 0xFFFF);
    /* FXSAVE keeps the registers: clobber with FNINIT, restore, pop them back. */
    static struct {
        u8 b[512];
    } __attribute__((aligned(16))) fx;
    __asm__ volatile("fxsave64 %0\n\tfninit" : "=m"(fx));
    __asm__ volatile("fxrstor64 %0" ::"m"(fx));
    long double a, b, c;
    __asm__ volatile("fstpt %0\n\tfstpt %1\n\tfstpt %2" : "=m"(a), "=m"(b), "=m"(c));
    printk("ok: fxsave/fxrstor kept ");
    put_hex80(a);
    puts_e9(" ");
    put_hex80(b);
    puts_e9(" ");
    put_hex80(c);
    printk(", abridged tag in the image %x\n", fx.b[4]);
}

/* ---- #MF and FERR# ---------------------------------------------------------------- */
static void exception_tests(void) {
    set_trap_handler(16, on_mf);
    __asm__ volatile("fninit");
    fldcw(0x037B);  /* ZE unmasked */
    __asm__ volatile("fld1\n\tfldz\n\tfdivrp\n\t" ::: "st", "st(1)");
    printk("ok: 1/0 with ZE unmasked: fsw %x, no trap yet\n", fnstsw());
    __asm__ volatile("fwait");
    printk("ok: after the handler: #MF count %d\n", mf_count);

    __asm__ volatile("fninit");
}

/* ---- MMX ------------------------------------------------------------------------------ */
static void mmx_tests(void) {
    static volatile u64 x = 0x01020304050607F0ull, y = 0x0A141E28323C46F0ull, w = 0x0001000200030004ull,
                        v = 0x0005000600070008ull, p16 = 0x012CFED40005FFFBull;
    u64 r[5];
    struct fenv32 e, e2;
    /* Every register +0.0 first: the contents the tag word reports are then known. */
    __asm__ volatile("fninit\n\t fldz\n\t fldz\n\t fldz\n\t fldz\n\t fldz\n\t fldz\n\t fldz\n\t fldz\n\t fninit\n\t"
                     "movq %[x], %%mm0\n\t paddsb %[y], %%mm0\n\t movq %%mm0, %[r0]\n\t"
                     "movq %[p], %%mm1\n\t packsswb %[w], %%mm1\n\t movq %%mm1, %[r1]\n\t"
                     "movq %[x], %%mm2\n\t punpckhbw %[y], %%mm2\n\t movq %%mm2, %[r2]\n\t"
                     "movq %[w], %%mm3\n\t pmaddwd %[v], %%mm3\n\t movq %%mm3, %[r3]\n\t"
                     "movq %[x], %%mm4\n\t pshufb %[y], %%mm4\n\t psrlq $4, %%mm4\n\t movq %%mm4, %[r4]\n\t"
                     "fnstenv %[e]\n\t emms\n\t fnstenv %[e2]"
                     : [r0] "=m"(r[0]), [r1] "=m"(r[1]), [r2] "=m"(r[2]), [r3] "=m"(r[3]), [r4] "=m"(r[4]),
                       [e] "=m"(e), [e2] "=m"(e2)
                     : [x] "m"(x), [y] "m"(y), [w] "m"(w), [v] "m"(v), [p] "m"(p16)
                     : "mm0", "mm1", "mm2", "mm3", "mm4");
    printk("ok: mmx paddsb %lx packsswb %lx punpckhbw %lx pmaddwd %lx pshufb+psrlq %lx\n", r[0], r[1], r[2], r[3],
           r[4]);
    printk("ok: tags after mmx %x (fsw %x), after emms %x\n", e.ftw & 0xFFFF, e.fsw & 0xFFFF, e2.ftw & 0xFFFF);
}

/* ---- SSE3 to SSE4.2 ----------------------------------------------------------------- */
static u64 lo64(__m128i v) { return (u64)_mm_cvtsi128_si64(v); }
static u64 hi64(__m128i v) { return (u64)_mm_extract_epi64(v, 1); }

static unsigned sse_strlen(const char *s) {
    for (unsigned i = 0;; i += 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(s + i));
        int at = _mm_cmpistri(_mm_setzero_si128(), chunk, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_EACH);
        if (at < 16) return i + (unsigned)at;
    }
}
static int sse_strchr(const char *s, char c) {
    __m128i set = _mm_cvtsi32_si128((unsigned char)c);
    for (unsigned i = 0;; i += 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(s + i));
        int at = _mm_cmpistri(set, chunk, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ANY);
        if (at < 16) return (int)(i + (unsigned)at);
        if (_mm_cmpistrz(set, chunk, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ANY)) return -1;
    }
}
static int sse_strstr(const char *s, const char *needle) {
    __m128i n = _mm_loadu_si128((const __m128i *)needle);
    for (unsigned i = 0;; i += 8) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(s + i));
        int at = _mm_cmpistri(n, chunk, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ORDERED);
        if (at < 16 && i + at < sse_strlen(s)) {
            /* a match that starts in this chunk; check it runs to the needle's end */
            unsigned k = 0;
            while (needle[k] && s[i + at + k] == needle[k]) ++k;
            if (!needle[k]) return (int)(i + (unsigned)at);
        }
        if (_mm_cmpistrz(n, chunk, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ORDERED)) return -1;
    }
}
static u32 crc32c_soft(const u8 *p, unsigned n) {
    u32 c = 0xFFFFFFFF;
    for (unsigned k = 0; k < n; ++k) {
        c ^= p[k];
        for (int b = 0; b < 8; ++b) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
}
static u32 crc32c_sse(const u8 *p, unsigned n) {
    u64 c = 0xFFFFFFFF;
    unsigned k = 0;
    for (; k + 8 <= n; k += 8) {
        u64 q;
        __builtin_memcpy(&q, p + k, 8);
        c = _mm_crc32_u64(c, q);
    }
    u32 c32 = (u32)c;
    for (; k < n; ++k) c32 = _mm_crc32_u8(c32, p[k]);
    return ~c32;
}

char text[96] = "The quick brown fox jumps over the lazy dog; context switches are visible here.";

static void sse_tests(void) {
    printk("ok: strlen %u strchr('j') %d strchr('Q') %d strstr(\"lazy\") %d strstr(\"cat\") %d\n",
           sse_strlen(text), sse_strchr(text, 'j'), sse_strchr(text, 'Q'), sse_strstr(text, "lazy"),
           sse_strstr(text, "cat"));
    printk("ok: crc32c sse %x soft %x\n", crc32c_sse((const u8 *)text, sse_strlen(text)),
           crc32c_soft((const u8 *)text, sse_strlen(text)));
    __m128i a = _mm_loadu_si128((const __m128i *)text), b = _mm_loadu_si128((const __m128i *)(text + 16));
    opaque(a);
    opaque(b);
    __m128i m = _mm_cmpistrm(_mm_set1_epi8('o'), a, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ANY | _SIDD_BIT_MASK);
    __m128i r = _mm_cmpestrm(b, 5, a, 16, _SIDD_UBYTE_OPS | _SIDD_CMP_RANGES | _SIDD_UNIT_MASK);
    printk("ok: pcmpistrm 'o' %lx pcmpestrm ranges %lx%lx\n", lo64(m), hi64(r), lo64(r));
    __m128i sh = _mm_shuffle_epi8(a, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    __m128i al = _mm_alignr_epi8(b, a, 5), hs = _mm_hadd_epi16(a, b), ab = _mm_abs_epi8(_mm_sub_epi8(a, b));
    printk("ok: ssse3 pshufb %lx%lx palignr %lx phaddw %lx pabsb %lx\n", hi64(sh), lo64(sh), lo64(al), lo64(hs),
           lo64(ab));
    __m128i mn = _mm_min_epi32(a, b), ml = _mm_mullo_epi32(a, b), pk = _mm_packus_epi32(a, b);
    __m128i bl = _mm_blendv_epi8(a, b, _mm_set_epi32(-1, 0, -1, 0)), zx = _mm_cvtepu8_epi32(a);
    printk("ok: sse4.1 pminsd %lx pmulld %lx packusdw %lx pblendvb %lx%lx pmovzxbd %lx extract %x\n", lo64(mn),
           lo64(ml), lo64(pk), hi64(bl), lo64(bl), lo64(zx), _mm_extract_epi32(b, 3));
    __m128 x = _mm_set_ps(1.5f, -2.25f, 3.0f, 0.1f), y = _mm_set_ps(4.0f, 0.5f, -1.0f, 8.0f);
    opaque(x);
    opaque(y);
    __m128 dp = _mm_dp_ps(x, y, 0xF1), hd = _mm_hadd_ps(x, y), dup = _mm_movehdup_ps(x);
    __m128d xd = _mm_set_pd(2.5, -1.75), yd = _mm_set_pd(0.25, 0.5), hx = _mm_set_pd(2.5, -3.5), hz = _mm_set_pd(2.7, -3.7);
    opaque(xd);
    opaque(yd);
    opaque(hx);
    opaque(hz);
    __m128d as = _mm_addsub_pd(xd, yd);
    __m128d rd = _mm_round_pd(hx, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m128d rz = _mm_round_pd(hz, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    printk("ok: sse dpps %lx haddps %lx%lx movshdup %lx addsubpd %lx%lx roundpd %lx%lx %lx%lx\n",
           lo64(_mm_castps_si128(dp)), hi64(_mm_castps_si128(hd)), lo64(_mm_castps_si128(hd)),
           lo64(_mm_castps_si128(dup)), hi64(_mm_castpd_si128(as)), lo64(_mm_castpd_si128(as)),
           hi64(_mm_castpd_si128(rd)), lo64(_mm_castpd_si128(rd)), hi64(_mm_castpd_si128(rz)),
           lo64(_mm_castpd_si128(rz)));
}

void kmain(void) {
    /* What boot.S set up for the FPU and SSE (SDM Vol. 3A, 2.5 and 13.1). */
    const u64 cr0 = READ_CR(0), cr4 = READ_CR(4);
    printk("ok: cr0.mp=%lu ne=%lu em=%lu ts=%lu cr4.osfxsr=%lu osxmmexcpt=%lu\n", (cr0 >> 1) & 1, (cr0 >> 5) & 1,
           (cr0 >> 2) & 1, (cr0 >> 3) & 1, (cr4 >> 9) & 1, (cr4 >> 10) & 1);
    u32 r[4];
    cpuid(1, 0, r);
    printk("ok: cpuid fpu=%u mmx=%u sse3=%u ssse3=%u sse4.1=%u sse4.2=%u popcnt=%u\n", r[3] & 1, (r[3] >> 23) & 1,
           r[2] & 1, (r[2] >> 9) & 1, (r[2] >> 19) & 1, (r[2] >> 20) & 1, (r[2] >> 23) & 1);
    x87_tests();
    exception_tests();
    mmx_tests();
    sse_tests();
    exit_qemu(0x10);
}
