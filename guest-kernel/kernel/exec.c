/* execve of a bundled program (Linux: fs/exec.c and fs/binfmt_elf.c, for
 * static ELF64 executables only). The programs are in the kernel image
 * (user/programs.S), found by name. ELF64 or, in the i386 build, ELF32: elf.h. */
#include "elf.h"
#include "fpu.h"
#include "kernel.h"
#include "mm.h"
#include "printk.h"
#include "processor.h"
#include "sched.h"
#include "uapi/switchyard.h"

#define MAX_ARGS 15

const struct user_program *find_user_program(const char *name)
{
    for (int k = 0; k < nr_user_programs; ++k)
        if (!strcmp(user_programs[k].name, name)) return &user_programs[k];
    return NULL;
}

/* Maps the ELF's PT_LOAD segments into mm. Returns the entry point or 0. */
static unsigned long load_elf(struct mm_struct *mm, const struct user_program *prog)
{
    size_t size = (size_t)(prog->end - prog->start);
    const struct elf_ehdr *eh = (const void *)prog->start;
    if (size < sizeof *eh || memcmp(eh->ident, "\177ELF", 4) || eh->ident[4] != ELF_CLASS || eh->type != ET_EXEC ||
        eh->machine != ELF_ARCH || eh->phentsize != sizeof(struct elf_phdr) ||
        eh->phoff + (u64)eh->phnum * sizeof(struct elf_phdr) > size)
        return 0;
    const struct elf_phdr *ph = (const void *)(prog->start + eh->phoff);
    for (int k = 0; k < eh->phnum; ++k) {
        const struct elf_phdr *p = &ph[k];
        if (p->type != PT_LOAD || !p->memsz) continue;
        if (p->filesz > p->memsz || p->offset + p->filesz > size || p->vaddr + p->memsz < p->vaddr ||
            p->vaddr + p->memsz > USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)
            return 0;
        for (unsigned long va = ALIGN_DOWN(p->vaddr, PAGE_SIZE); va < p->vaddr + p->memsz; va += PAGE_SIZE) {
            u8 *page = map_user_page(mm, va, p->flags & PF_W, p->flags & PF_X);
            /* the part of the file image that falls in this page */
            unsigned long lo = MAX(va, p->vaddr), hi = MIN(va + PAGE_SIZE, p->vaddr + p->filesz);
            if (lo < hi) memcpy(page + (lo - va), prog->start + p->offset + (lo - p->vaddr), hi - lo);
        }
    }
    return eh->entry;
}

/* The initial user stack (System V x86-64 ABI 3.4.1; the i386 ABI's is the
 * same in 4-byte words): argc, argv[], NULL, envp NULL, auxv AT_NULL, then the
 * strings. Returns the new RSP. */
static unsigned long setup_user_stack(struct mm_struct *mm, const char *const *argv, int argc)
{
    u8 *top_page = NULL;
    for (int k = 1; k <= USER_STACK_PAGES; ++k) {
        u8 *p = map_user_page(mm, USER_STACK_TOP - (unsigned long)k * PAGE_SIZE, true, false);
        if (k == 1) top_page = p;
    }
    /* Everything fits in the top page: MAX_ARGS strings of bounded length. */
    unsigned long base = USER_STACK_TOP - PAGE_SIZE, off = PAGE_SIZE;
    unsigned long uargv[MAX_ARGS + 1];
    for (int k = argc - 1; k >= 0; --k) {
        size_t len = strlen(argv[k]) + 1;
        off -= len;
        memcpy(top_page + off, argv[k], len);
        uargv[k] = base + off;
    }
    uargv[argc] = 0;
    off = ALIGN_DOWN(off, 16);
    unsigned long words[2 * MAX_ARGS + 8];
    int n = 0;
    words[n++] = (unsigned long)argc;
    for (int k = 0; k <= argc; ++k) words[n++] = uargv[k];
    words[n++] = 0; /* envp */
    words[n++] = 0; /* AT_NULL */
    words[n++] = 0;
    while ((n * sizeof words[0]) % 16) words[n++] = 0; /* keep RSP 16-byte aligned at entry */
    off -= (unsigned long)n * sizeof words[0];
    memcpy(top_page + off, words, (size_t)n * sizeof words[0]);
    return base + off;
}

/* Replaces current's program with the bundled program `name`. argv is in
 * kernel memory. On success the task returns to user mode at the program's
 * entry point, on a new stack, with a fresh FPU state and no TLS. */
static long do_execve(const char *name, const char *const *argv)
{
    const struct user_program *prog = find_user_program(name);
    if (!prog) return -ENOENT;
    int argc = 0;
    size_t bytes = 0;
    while (argv[argc]) {
        bytes += strlen(argv[argc]) + 1;
        if (++argc > MAX_ARGS || bytes > PAGE_SIZE / 2) return -E2BIG;
    }
    struct mm_struct *mm = mm_alloc();
    unsigned long entry = load_elf(mm, prog);
    if (!entry) {
        mmput(mm);
        return -ENOEXEC;
    }
    unsigned long sp = setup_user_stack(mm, argv, argc);

    /* The point of no return: switch current to the new address space. */
    struct task_struct *tsk = current;
    unsigned long flags = local_irq_save();
    struct mm_struct *old_mm = tsk->mm, *active_mm = tsk->active_mm;
    tsk->mm = mm;
    tsk->active_mm = mm;
    switch_mm_irqs_off(active_mm, mm, tsk);
    tsk->flags &= ~PF_KTHREAD;
    flush_thread_tls(tsk); /* no TLS in the new program */
    local_irq_restore(flags);
    if (old_mm) mmput(old_mm);
    else mmdrop(active_mm); /* a kernel thread's borrowed mm */

    task_set_comm(tsk, name);
    fpu_flush_thread();
    start_thread(task_pt_regs(tsk), entry, sp);
    return 0;
}

/* From a kernel thread (init, the self-tests): its ret_from_fork then enters
 * user mode in the new program. */
long kernel_execve(const char *name, const char *const *argv) { return do_execve(name, argv); }

/* execve(2): name and argv are user pointers; envp is ignored. */
long sys_execve(const char *uname, const char *const *uargv, const char *const *uenvp)
{
    char name[64];
    char strs[MAX_ARGS][128];
    const char *argv[MAX_ARGS + 1];
    long r = strncpy_from_user(name, uname, sizeof name);
    if (r < 0) return r == -E2BIG ? -ENOENT : r;
    int argc = 0;
    if (uargv) {
        for (;; ++argc) {
            const char *up;
            if (copy_from_user(&up, &uargv[argc], sizeof up)) return -EFAULT;
            if (!up) break;
            if (argc == MAX_ARGS) return -E2BIG;
            r = strncpy_from_user(strs[argc], up, sizeof strs[argc]);
            if (r < 0) return r;
            argv[argc] = strs[argc];
        }
    }
    if (argc == 0) argv[argc++] = name;
    argv[argc] = NULL;
    return do_execve(name, argv);
}
