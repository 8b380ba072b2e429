/* An independent reader of a switched-out task's frame, for the GUI test
 * (tests/gui/CMakeLists.txt): it shares no code with switchyard. From a raw
 * dump of guest physical memory (`switchyard gui --dump-memory`) it finds the
 * kernel's debugger descriptor by its magic (as the header says a debugger
 * without symbols does), walks the task list, translates kernel stack
 * addresses with its own 4-level page walk, and prints one JSON object per
 * line:
 *   {"task":T,"pid":P,"name":"N","stack":S,"thread_sp":SP,"frame":F|null,
 *    "ret_addr":R,"rbp":B,"r12":..,"rbx":..,
 *    "model":"M","resume_pc":PC|null,"resume_sp":RSP,"resume_rbp":B,
 *    "caller_ret":R|null,"end_rsp":E,"never_ran":0|1,"unsaved":0|1}
 * where frame/ret_addr/rbp are the linux model's inactive_task_frame at
 * thread.sp, and resume_* what the running switch model (descriptor version
 * 3) saved: the PC the task resumes at (null for linux26, whose thread_return
 * no memory holds), RSP and RBP there, Solaris' return into resume()'s caller,
 * and end_rsp, RSP at the ret that ends a switch to the task; unsaved is 1 for
 * a task whose model saved nothing when it switched away (state task_dead
 * under a model with SY_MODEL_DEAD_UNSAVED: resume_* are stale). Under xv6, one
 * more line per CPU: {"scheduler_cpu":N,"context":C,"rip":PC,"rbp":B}.
 * With `--read CR3 VA`, it prints the 8 bytes at virtual VA in the address
 * space rooted at CR3 instead: {"cr3":..,"va":..,"value":V}.
 * The i386 build (descriptor version 4, pointer_size 4): pointers are 4
 * bytes, the page walk is 2-level (SDM Vol. 3A 4.3), --read prints 4 bytes,
 * and a task's resume PC is its thread.ip (model "i386").
 *
 * Usage: frame_reader DUMP [--read CR3 VA] */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-kernel/include/debug_descriptor.h"

static const uint8_t *ram;
static uint64_t ram_size;
static const struct sy_debug_descriptor *d;
static unsigned ptr_size = 8; /* the kernel's pointers and longs: 8, or 4 (i386) */

static int phys_read(uint64_t pa, void *dst, size_t n)
{
    if (pa > ram_size || n > ram_size - pa) return 0;
    memcpy(dst, ram + pa, n);
    return 1;
}

/* 2-level 32-bit paging (SDM Vol. 3A 4.3): PD (4 MiB pages), PT. */
static int walk32(uint64_t cr3, uint64_t va, uint64_t *pa)
{
    uint32_t pde, pte;
    if (!phys_read((cr3 & 0xfffff000) + 4 * ((va >> 22) & 1023), &pde, 4) || !(pde & 1)) return 0;
    if (pde & 0x80) {
        *pa = (pde & 0xffc00000) | (va & 0x3fffff);
        return 1;
    }
    if (!phys_read((pde & 0xfffff000) + 4 * ((va >> 12) & 1023), &pte, 4) || !(pte & 1)) return 0;
    *pa = (pte & 0xfffff000) | (va & 0xfff);
    return 1;
}

/* 4-level paging (SDM Vol. 3A 4.5): PML4, PDPT (1 GiB pages), PD (2 MiB), PT. */
static int walk(uint64_t cr3, uint64_t va, uint64_t *pa)
{
    if (ptr_size == 4) return walk32(cr3, va, pa);
    const uint64_t mask = 0x000ffffffffff000ull;
    uint64_t table = cr3 & mask;
    for (int level = 3; level >= 0; --level) {
        uint64_t e;
        if (!phys_read(table + 8 * ((va >> (12 + 9 * level)) & 511), &e, 8) || !(e & 1)) return 0;
        if (level > 0 && level < 3 && (e & 0x80)) {
            uint64_t size = 1ull << (12 + 9 * level);
            *pa = (e & mask & ~(size - 1)) | (va & (size - 1));
            return 1;
        }
        table = e & mask;
    }
    *pa = table | (va & 0xfff);
    return 1;
}

static uint64_t kernel_cr3;

/* Kernel virtual -> physical: the image and the direct map by the header's
 * rules, the rest (kernel stacks) through init_mm's page tables. */
static int kread(uint64_t va, void *dst, size_t n)
{
    uint8_t *out = dst;
    while (n) {
        size_t chunk = 0x1000 - (va & 0xfff);
        if (chunk > n) chunk = n;
        uint64_t pa;
        if (ptr_size == 4 && va >= d->page_offset && va < d->vmap_stack_start) pa = va - d->page_offset;
        else if (ptr_size == 8 && va >= d->start_kernel_map) pa = va - d->start_kernel_map;
        else if (ptr_size == 8 && va >= d->page_offset && va - d->page_offset < (4ull << 30)) pa = va - d->page_offset;
        else if (!kernel_cr3 || !walk(kernel_cr3, va, &pa)) return 0;
        if (!phys_read(pa, out, chunk)) return 0;
        out += chunk, va += chunk, n -= chunk;
    }
    return 1;
}

/* A pointer or long of the kernel (ptr_size bytes). */
static uint64_t k64(uint64_t va)
{
    uint64_t v = 0;
    kread(va, &v, ptr_size);
    return v;
}

static int model = SY_SWITCH_LINUX;

/* The running model's saved state of task t (thread.sp = sp), by the
 * descriptor's version-3 rules, printed as JSON fields. */
static void print_model_state(uint64_t t, uint64_t sp)
{
    uint64_t pc = 0, rsp = 0, rbp = 0, caller = 0, end = 0;
    int have_pc = 1, have_caller = 0, never_ran = 0;
    uint64_t ti_flags = k64(t + d->task.ti_flags);
    switch (d->version >= 4 && d->models[model].saved == SY_SAVED_THREAD_IP ? -1 : model) {
    case -1: /* i386: EBP, EFLAGS at thread.sp; the PC in thread.ip; switch_to pushed it at sp - 4 */
        pc = k64(t + d->ia32.task_thread_ip), rsp = sp, rbp = k64(sp + d->ia32.bp), end = sp - 4;
        never_ran = pc == d->ia32.sym_ret_from_fork || pc == d->ia32.sym_ret_from_kernel_thread;
        break;
    case SY_SWITCH_LINUX26:
        have_pc = 0; /* thread_return: in no memory */
        rsp = sp, rbp = k64(sp + d->linux26.bp), end = sp - 8;
        never_ran = (int)((ti_flags >> d->linux26.tif_fork) & 1);
        break;
    case SY_SWITCH_XV6:
        pc = k64(sp + d->xv6.rip), rsp = sp + d->xv6.size, rbp = k64(sp + d->xv6.rbp), end = sp + d->xv6.rip;
        never_ran = pc == d->sym_ret_from_fork;
        break;
    case SY_SWITCH_SOLARIS: {
        uint64_t l = t + d->solaris.task_label;
        pc = k64(l + d->solaris.pc), rsp = k64(l + d->solaris.sp), rbp = k64(l + d->solaris.rbp), end = rsp - 8;
        never_ran = pc == d->sym_ret_from_fork;
        if (pc == d->solaris.sym_resume_return) caller = k64(rsp + 8), have_caller = 1;
        break;
    }
    default:
        pc = k64(sp + d->frame.ret_addr), rsp = sp + d->frame.size, rbp = k64(sp + d->frame.bp), end = sp + d->frame.ret_addr;
        never_ran = pc == d->sym_ret_from_fork;
    }
    printf(",\"model\":\"%.16s\"", d->version >= 3 ? d->models[model].name : "linux");
    if (have_pc) printf(",\"resume_pc\":%" PRIu64, pc);
    else printf(",\"resume_pc\":null");
    printf(",\"resume_sp\":%" PRIu64 ",\"resume_rbp\":%" PRIu64 ",\"end_rsp\":%" PRIu64 ",\"never_ran\":%d", rsp, rbp,
           end, never_ran);
    if (have_caller) printf(",\"caller_ret\":%" PRIu64, caller);
    else printf(",\"caller_ret\":null");
}

int main(int argc, char **argv)
{
    if (argc != 2 && !(argc == 5 && !strcmp(argv[2], "--read"))) {
        fprintf(stderr, "usage: frame_reader DUMP [--read CR3 VA]\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        perror(argv[1]);
        return 2;
    }
    ram_size = (uint64_t)st.st_size;
    ram = mmap(NULL, ram_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (ram == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    for (uint64_t pa = 0x100000; pa + sizeof *d <= ram_size && pa < (64ull << 20); pa += 0x1000)
        if (!memcmp(ram + pa, SY_DEBUG_MAGIC, 16)) {
            d = (const void *)(ram + pa);
            break;
        }
    if (d && d->version >= 4 && d->pointer_size == 4) ptr_size = 4;
    if (argc == 5) {
        uint64_t cr3 = strtoull(argv[3], NULL, 0), va = strtoull(argv[4], NULL, 0), pa, v = 0;
        if (!walk(cr3, va, &pa) || !phys_read(pa, &v, ptr_size)) {
            fprintf(stderr, "frame_reader: %#" PRIx64 " is not mapped under CR3 %#" PRIx64 "\n", va, cr3);
            return 1;
        }
        printf("{\"cr3\":%" PRIu64 ",\"va\":%" PRIu64 ",\"value\":%" PRIu64 "}\n", cr3, va, v);
        return 0;
    }
    if (!d) {
        fprintf(stderr, "frame_reader: no debugger descriptor in the dump\n");
        return 1;
    }
    if (d->version < 3 || d->size < sizeof *d) {
        fprintf(stderr, "frame_reader: descriptor version %u, size %u\n", d->version, d->size);
        return 1;
    }
    uint64_t pgd = k64(d->init_mm + d->mm.pgd);
    kernel_cr3 = pgd ? pgd - d->page_offset : 0;
    if (d->version >= 3) {
        int m = 0;
        kread(d->switch_model, &m, 4);
        if (m < 0 || m >= SY_DEBUG_NR_MODELS) {
            fprintf(stderr, "frame_reader: switch_model %d is not a model\n", m);
            return 1;
        }
        model = m;
    }
    uint64_t head = d->task_list, p = k64(head + d->list_next);
    for (int n = 0; p && p != head && n < 4096; ++n, p = k64(p + d->list_next)) {
        uint64_t t = p - d->task.tasks;
        int pid = 0;
        char comm[64] = "";
        kread(t + d->task.pid, &pid, 4);
        kread(t + d->task.comm, comm, d->task.comm_len < sizeof comm ? d->task.comm_len : sizeof comm - 1);
        uint64_t stack = k64(t + d->task.stack), sp = k64(t + d->task.thread_sp);
        printf("{\"task\":%" PRIu64 ",\"pid\":%d,\"name\":\"%s\",\"stack\":%" PRIu64 ",\"thread_sp\":%" PRIu64, t, pid,
               comm, stack, sp);
        if (ptr_size == 8 && stack && sp >= stack && sp < stack + d->thread_size) {
            printf(",\"frame\":%" PRIu64 ",\"ret_addr\":%" PRIu64 ",\"rbp\":%" PRIu64 ",\"rbx\":%" PRIu64
                   ",\"r12\":%" PRIu64,
                   sp, k64(sp + d->frame.ret_addr), k64(sp + d->frame.bp), k64(sp + d->frame.bx), k64(sp + d->frame.r12));
        } else {
            printf(",\"frame\":null");
        }
        print_model_state(t, sp);
        long state = 0;
        kread(t + d->task.state, &state, sizeof state);
        printf(",\"unsaved\":%d", (d->models[model].flags & SY_MODEL_DEAD_UNSAVED) && state == (long)d->task_dead);
        printf("}\n");
    }
    if (model == SY_SWITCH_XV6)
        for (uint64_t c = 0; c < (uint64_t)(int)k64(d->nr_cpu_ids) && c < d->max_cpus; ++c) {
            uint64_t ctx = k64(d->xv6.cpus + c * d->xv6.cpu_stride + d->xv6.cpu_scheduler);
            printf("{\"scheduler_cpu\":%" PRIu64 ",\"context\":%" PRIu64 ",\"rip\":%" PRIu64 ",\"rbp\":%" PRIu64 "}\n",
                   c, ctx, ctx ? k64(ctx + d->xv6.rip) : 0, ctx ? k64(ctx + d->xv6.rbp) : 0);
        }
    return 0;
}
