/* An independent reader of a switched-out task's frame, for the GUI test
 * (tests/gui/CMakeLists.txt): it shares no code with switchyard. From a raw
 * dump of guest physical memory (`switchyard gui --dump-memory`) it finds the
 * kernel's debugger descriptor by its magic (as the header says a debugger
 * without symbols does), walks the task list, translates kernel stack
 * addresses with its own 4-level page walk, and prints one JSON object per
 * line:
 *   {"task":T,"pid":P,"name":"N","stack":S,"thread_sp":SP,"frame":F|null,
 *    "ret_addr":R,"rbp":B,"r12":..,"rbx":..}
 * With `--read CR3 VA`, it prints the 8 bytes at virtual VA in the address
 * space rooted at CR3 instead: {"cr3":..,"va":..,"value":V}.
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

static int phys_read(uint64_t pa, void *dst, size_t n)
{
    if (pa > ram_size || n > ram_size - pa) return 0;
    memcpy(dst, ram + pa, n);
    return 1;
}

/* 4-level paging (SDM Vol. 3A 4.5): PML4, PDPT (1 GiB pages), PD (2 MiB), PT. */
static int walk(uint64_t cr3, uint64_t va, uint64_t *pa)
{
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
        if (va >= d->start_kernel_map) pa = va - d->start_kernel_map;
        else if (va >= d->page_offset && va - d->page_offset < (4ull << 30)) pa = va - d->page_offset;
        else if (!kernel_cr3 || !walk(kernel_cr3, va, &pa)) return 0;
        if (!phys_read(pa, out, chunk)) return 0;
        out += chunk, va += chunk, n -= chunk;
    }
    return 1;
}

static uint64_t k64(uint64_t va)
{
    uint64_t v = 0;
    kread(va, &v, 8);
    return v;
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
    if (argc == 5) {
        uint64_t cr3 = strtoull(argv[3], NULL, 0), va = strtoull(argv[4], NULL, 0), pa, v = 0;
        if (!walk(cr3, va, &pa) || !phys_read(pa, &v, 8)) {
            fprintf(stderr, "frame_reader: %#" PRIx64 " is not mapped under CR3 %#" PRIx64 "\n", va, cr3);
            return 1;
        }
        printf("{\"cr3\":%" PRIu64 ",\"va\":%" PRIu64 ",\"value\":%" PRIu64 "}\n", cr3, va, v);
        return 0;
    }
    for (uint64_t pa = 0x100000; pa + sizeof *d <= ram_size && pa < (64ull << 20); pa += 0x1000)
        if (!memcmp(ram + pa, SY_DEBUG_MAGIC, 16)) {
            d = (const void *)(ram + pa);
            break;
        }
    if (!d) {
        fprintf(stderr, "frame_reader: no debugger descriptor in the dump\n");
        return 1;
    }
    if (d->version < 2 || d->size < sizeof *d) {
        fprintf(stderr, "frame_reader: descriptor version %u, size %u\n", d->version, d->size);
        return 1;
    }
    uint64_t pgd = k64(d->init_mm + d->mm.pgd);
    kernel_cr3 = pgd ? pgd - d->page_offset : 0;
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
        if (stack && sp >= stack && sp < stack + d->thread_size) {
            printf(",\"frame\":%" PRIu64 ",\"ret_addr\":%" PRIu64 ",\"rbp\":%" PRIu64 ",\"rbx\":%" PRIu64
                   ",\"r12\":%" PRIu64 "}\n",
                   sp, k64(sp + d->frame.ret_addr), k64(sp + d->frame.bp), k64(sp + d->frame.bx), k64(sp + d->frame.r12));
        } else {
            printf(",\"frame\":null}\n");
        }
    }
    return 0;
}
