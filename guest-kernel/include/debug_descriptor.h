/* The kernel's description of itself for a debugger (like Linux's
 * vmcoreinfo): everything needed to find the tasks and read a switched-out
 * task's saved registers from guest memory, without guessing addresses or
 * layouts. This header is the documentation of the format; it uses only
 * <stdint.h> so that a debugger written in C or C++ can include it.
 *
 * Finding it: the symbol `switchyard_debug_descriptor` in the kernel ELF; or,
 * without symbols, scan the kernel image (physical memory from 1 MiB) for a
 * page that begins with SY_DEBUG_MAGIC: it is page-aligned and the first thing
 * in the kernel's .data. Check `version` and `size` before trusting the rest;
 * a reader that knows version N reads any descriptor with version N and
 * size >= the size it knows (fields are only ever appended).
 *
 * Addresses are kernel virtual addresses. Translate with the kernel's page
 * tables (init_mm.pgd, or any CR3: the kernel half is the same everywhere), or
 * directly: an address a >= start_kernel_map is physical a - start_kernel_map
 * (the kernel image), an address in [page_offset, page_offset + 4 GiB) is
 * physical a - page_offset (the direct map). Kernel stacks are in the vmap
 * area and need the page tables. In the i386 build (pointer_size 4)
 * start_kernel_map = page_offset, the image lies in the direct map, and the
 * direct map is [page_offset, vmap_stack_start): above it, the page tables.
 *
 * Walking the tasks:
 *   head = task_list; for (p = *(u64 *)(head + list_next); p != head; p = *(u64 *)(p + list_next))
 *       task = p - task.tasks;
 * Every task is on the list, the per-CPU idle tasks (pid 0, "swapper/N") too.
 * A task is running when some CPU's per-CPU current_task equals it; a task
 * with on_cpu == 0 is switched out, and then:
 *   frame = *(u64 *)(task + task.thread_sp)   -> struct inactive_task_frame
 *   resume address = *(u64 *)(frame + frame.ret_addr)  (in [sched_text_start,
 *       sched_text_end) for a task that ran before: just after the call to
 *       __switch_to_asm in __schedule; ret_from_fork for one that never ran)
 *   its RBP chain starts at frame + frame.bp; its stack is
 *   [stack, stack + thread_size) with stack = *(u64 *)(task + task.stack);
 *   a user task's user registers are the pt_regs at stack + thread_size - pt_regs_size.
 *
 * That is the linux model (the i386 build: version 4 below). Version 3 adds the others (switch_model: an int,
 * read it at run time; the command line sets it before the first switch);
 * for a switched-out task (on_cpu == 0) of each:
 *   SY_SAVED_FRAME      linux: as above
 *   SY_SAVED_CONTEXT26  linux26: at thread.sp the two words SAVE_CONTEXT
 *                       pushed (linux26.bp, linux26.flags); the task resumes at
 *                       models[].resume_pc (thread_return) with RSP = thread.sp,
 *                       RBP = the saved bp. No stack holds that PC. A task with
 *                       ti_flags bit linux26.tif_fork never ran: thread.sp is
 *                       its fork_frame, and thread_return goes on to ret_from_fork
 *   SY_SAVED_CONTEXT    xv6: thread.sp points at a struct context (xv6.*):
 *                       resume PC = context.rip (the return of swtch into sched(),
 *                       or ret_from_fork), RSP after = thread.sp + xv6.size.
 *                       Each CPU's scheduler thread has its context at
 *                       *(u64 *)(xv6.cpus + n * xv6.cpu_stride + xv6.cpu_scheduler)
 *                       (0 until its first switch); its PC is in scheduler()
 *   SY_SAVED_LABEL      solaris: a label_t at task + solaris.task_label:
 *                       resume PC = label.pc (resume_return, or ret_from_fork),
 *                       RSP = label.sp, RBP = label.rbp; after resume_return,
 *                       the return address into the caller of resume() is at
 *                       label.sp + 8 and the RBP chain goes on from label.rbp
 * And a switch in progress: it begins at one of models[].begin (RDI = prev,
 * RSI = next) and ends at a `ret` of the routine models[].end, which pops
 * next's resume PC from next's stack.
 *
 * A model with SY_MODEL_DEAD_UNSAVED in models[].flags saves nothing of a prev
 * whose state is task_dead (solaris: resume_from_zombie, begin[1]): such a
 * task is never switched out, whatever on_cpu and the CPUs' RSP say, and
 * what its saved-state place holds is stale (its last switch before it died).
 * Every other model saves a dying task like any other, so its saved state is
 * valid until its stack is freed.
 *
 * Per CPU: the area of CPU n is at percpu_base + n * percpu_stride, which is
 * also that CPU's GS base while it runs kernel code (gs_base[n] lists them);
 * current_task and the rest are at the offsets in `percpu`. */
#ifndef _DEBUG_DESCRIPTOR_H
#define _DEBUG_DESCRIPTOR_H
#include <stdint.h>

#define SY_DEBUG_MAGIC "switchyard-kdesc" /* 16 bytes, no terminating NUL */
/* Version history (fields are only ever appended):
 *   1  the first layout
 *   2  text_start/text_end (kernel text, for "is this a kernel code address")
 *      and lab_breaks (the break=NAME lab switches, include/lab.h)
 *   3  the switch models (include/switch_model.h): switch_model says which one
 *      this boot runs, models[] how each switch begins and ends and where it
 *      keeps a switched-out task's state, and the layouts below them. Under
 *      the linux model (the default, and what version 2 described) everything
 *      above still holds as written.
 *   4  the i386 build (pointer_size 4: every pointer and unsigned long in the
 *      kernel's structures is 4 bytes; the descriptor's own fields keep their
 *      widths): models[SY_SWITCH_LINUX] is then "i386", saved
 *      SY_SAVED_THREAD_IP, and ia32.* says where its state is. */
#define SY_DEBUG_VERSION 4
#define SY_DEBUG_MAX_CPUS 16

/* Version 3: the switch models (switch_model, models[]). */
#define SY_SWITCH_LINUX 0
#define SY_SWITCH_LINUX26 1
#define SY_SWITCH_XV6 2
#define SY_SWITCH_SOLARIS 3
#define SY_DEBUG_NR_MODELS 4
#define SY_SAVED_FRAME 0     /* struct inactive_task_frame at thread.sp */
#define SY_SAVED_CONTEXT26 1 /* SAVE_CONTEXT's RBP and RFLAGS at thread.sp; PC fixed */
#define SY_SAVED_CONTEXT 2   /* xv6's struct context at thread.sp */
#define SY_SAVED_LABEL 3     /* Solaris' label_t in the task */
#define SY_SAVED_THREAD_IP 4 /* i386: EBP and EFLAGS at thread.sp; PC in thread.ip */
/* models[].flags */
#define SY_MODEL_DEAD_UNSAVED 1 /* a task_dead prev switches away saving nothing */

struct sy_debug_descriptor {
    char magic[16];
    uint32_t version;
    uint32_t size;         /* sizeof(struct sy_debug_descriptor) */
    uint32_t pointer_size; /* 8; 4 in the i386 build (version 4) */
    uint32_t max_cpus;     /* entries in gs_base[] (NR_CPUS) */
    uint64_t self;         /* this descriptor's virtual address */

    /* The address space. */
    uint64_t page_offset;      /* direct map of physical memory */
    uint64_t start_kernel_map; /* the kernel image */
    uint64_t vmap_stack_start; /* kernel stacks */
    uint64_t thread_size;      /* kernel stack size (16384) */
    uint64_t init_mm;          /* struct mm_struct of the kernel */

    /* Global objects. */
    uint64_t task_list;       /* struct list_head: every task's ->tasks */
    uint64_t init_task;       /* pid 0 of CPU 0 */
    uint64_t percpu_base;     /* struct percpu cpu_data[max_cpus] */
    uint64_t nr_cpu_ids;      /* int: CPUs found */
    uint64_t cpu_online_mask; /* unsigned long: bit n, CPU n is up */
    uint64_t runqueues;       /* struct rq runqueues[max_cpus] */
    uint64_t jiffies;         /* unsigned long: timer ticks since boot */
    uint64_t hz;              /* ticks per second */

    /* Code: where tasks switch and enter the kernel. */
    uint64_t sym_switch_to_asm;
    uint64_t sym_switch_to;
    uint64_t sym_ret_from_fork;
    uint64_t sym_schedule;
    uint64_t sym___schedule;
    uint64_t sym_entry_SYSCALL_64;
    uint64_t sym_sched_text_start; /* [start, end): the scheduler's code */
    uint64_t sym_sched_text_end;

    /* struct list_head */
    uint32_t list_next, list_prev;

    /* struct task_struct */
    struct {
        uint32_t size;
        uint32_t tasks;        /* struct list_head on task_list */
        uint32_t pid;          /* int */
        uint32_t comm;         /* char[comm_len], NUL-terminated */
        uint32_t comm_len;
        uint32_t state;        /* long: the TASK_* values below */
        uint32_t exit_state;   /* int: 0, or EXIT_ZOMBIE / EXIT_DEAD */
        uint32_t flags;        /* unsigned int: PF_* */
        uint32_t on_cpu;       /* int: 1 while running or switching away */
        uint32_t cpu;          /* int: its CPU */
        uint32_t stack;        /* void *: lowest address of its stack; NULL once freed */
        uint32_t stack_canary; /* unsigned long */
        uint32_t mm;           /* struct mm_struct *: NULL for kernel threads */
        uint32_t active_mm;    /* struct mm_struct *: the one in CR3 while it runs */
        uint32_t parent;       /* struct task_struct * */
        uint32_t ti_flags;     /* unsigned long: TIF_* bits */
        uint32_t nvcsw, nivcsw; /* unsigned long: voluntary / involuntary switches */
        uint32_t blocked_on;   /* const char *: what it sleeps on, or NULL */
        uint32_t thread;       /* struct thread_struct, and within it: */
        uint32_t thread_sp;    /*   unsigned long: RSP when switched out */
        uint32_t thread_fsbase;
        uint32_t thread_gsbase;
        uint32_t thread_fpu_state; /* 512-byte FXSAVE image */
    } task;
    uint32_t task_running, task_interruptible, task_uninterruptible, task_dead;
    uint32_t exit_zombie, exit_dead;
    uint32_t pf_kthread, pf_idle;
    uint32_t tif_need_resched, tif_need_fpu_load; /* bit numbers */

    /* struct mm_struct */
    struct {
        uint32_t pgd;      /* pgd_t *: the PML4 (direct-map address) */
        uint32_t mm_users; /* int */
        uint32_t mm_count; /* int */
    } mm;

    /* struct inactive_task_frame, at thread.sp of a switched-out task. */
    struct {
        uint32_t size;
        uint32_t r15, r14, r13, r12, bx, bp, ret_addr;
    } frame;
    /* struct fork_frame: an inactive_task_frame, then pt_regs. */
    struct {
        uint32_t size;
        uint32_t frame, regs;
    } fork_frame;
    /* struct pt_regs */
    struct {
        uint32_t size;
        uint32_t r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
    } pt_regs;

    /* struct percpu */
    struct {
        uint32_t stride;       /* sizeof(struct percpu) */
        uint32_t self;         /* the area's own address */
        uint32_t current_task; /* struct task_struct * */
        uint32_t top_of_stack; /* top of current's kernel stack */
        uint32_t user_rsp_scratch;
        uint32_t cpu_number;
        uint32_t stack_canary; /* 40: %gs:40 */
        uint32_t preempt_count;
        uint32_t idle;         /* struct task_struct *: its idle task */
        uint32_t tss;          /* struct x86_hw_tss; RSP0 at tss + tss_sp0 */
        uint32_t tss_sp0;
        uint32_t apic_id;
    } percpu;
    /* struct rq */
    struct {
        uint32_t stride, curr, idle, nr_running, nr_switches;
    } rq;
    uint32_t reserved_rq; /* where x86-64 pads before gs_base and i386 would not: one layout for both */

    uint64_t gs_base[SY_DEBUG_MAX_CPUS]; /* GS base of CPU n in the kernel */

    /* Version 2. */
    uint64_t text_start, text_end; /* [_text, _etext): the kernel's code */
    uint64_t lab_breaks;           /* unsigned int: LAB_BREAK_* bits (include/lab.h) */

    /* Version 3: the switch models (include/switch_model.h). */
    uint64_t switch_model; /* int: SY_SWITCH_* of this boot, an index into models[] */
    struct sy_switch_model {
        char name[16];     /* "linux", "linux26", "xv6", "solaris" */
        uint64_t begin[2]; /* where a switch begins, RDI = prev, RSI = next (0: no second) */
        uint64_t end;      /* the routine whose `ret` pops next's resume PC */
        uint32_t saved;    /* SY_SAVED_*: where a switched-out task's state is */
        uint32_t flags;    /* SY_MODEL_*: how the model deviates from the rule above */
        uint64_t resume_pc; /* SY_SAVED_CONTEXT26: the PC every switched-out task resumes at */
    } models[SY_DEBUG_NR_MODELS];
    struct { /* linux26: SAVE_CONTEXT's pushes at thread.sp */
        uint32_t size, bp, flags;
        uint32_t tif_fork; /* bit number in ti_flags: never ran */
    } linux26;
    struct { /* xv6: struct context, and the per-CPU struct xv6_cpu */
        uint32_t size, r15, r14, r13, r12, rbx, rbp, rip;
        uint64_t cpus;          /* struct xv6_cpu xv6_cpus[max_cpus] */
        uint32_t cpu_stride;    /* sizeof(struct xv6_cpu) */
        uint32_t cpu_scheduler; /* struct context *: the scheduler thread's */
        uint64_t sym_sched, sym_scheduler, sym_swtch;
    } xv6;
    struct { /* solaris: label_t in the task */
        uint32_t task_label; /* offset of thread.label in task_struct */
        uint32_t size, pc, sp, rbp, rbx, r12, r13, r14, r15;
        uint64_t sym_resume_return;
    } solaris;

    /* Version 4: the i386 build's switch_to (arch/i386/include/switch_to.h).
     * A switched-out task: at thread.sp the two words switch_to pushed
     * (i386.bp: its EBP; i386.flags: its EFLAGS), and its resume PC at
     * task + ia32.task_thread_ip: models[].resume_pc (switch_to's `1:`, where
     * ESP = thread.sp and EBP = the saved bp) for a task that ran before,
     * sym_ret_from_fork or sym_ret_from_kernel_thread (ESP = thread.sp = its
     * pt_regs) for one that never ran. No stack holds that PC. */
    struct {
        uint32_t task_thread_ip; /* offset of thread.ip in task_struct */
        uint32_t size, bp, flags;
        uint64_t sym_ret_from_fork, sym_ret_from_kernel_thread;
    } ia32;
};

#endif
