/* The debugger descriptor (include/debug_descriptor.h): filled at compile
 * time, so it is valid from the first instruction. */
#include "debug_descriptor.h"
#include "lab.h"
#include "mm.h"
#include "percpu.h"
#include "sched.h"
#include "sched_xv6.h"
#include "switch_model.h"
#include "switch_to.h"
#include "switch_to_linux26.h"

_Static_assert(SY_DEBUG_MAX_CPUS == NR_CPUS, "the descriptor lists every possible CPU");
_Static_assert(SY_SWITCH_LINUX == SWITCH_LINUX && SY_SWITCH_LINUX26 == SWITCH_LINUX26 && SY_SWITCH_XV6 == SWITCH_XV6 &&
                   SY_SWITCH_SOLARIS == SWITCH_SOLARIS && SY_DEBUG_NR_MODELS == SWITCH_NR_MODELS,
               "the descriptor numbers the models as switch_model.h does");

extern char entry_SYSCALL_64[];
extern char _text[], _etext[];

#define T(f) offsetof(struct task_struct, f)
#define R(f) offsetof(struct pt_regs, f)
#define F(f) offsetof(struct inactive_task_frame, f)
#define P(f) offsetof(struct percpu, f)
#define GS(n) (uint64_t)&cpu_data[n]
#define C(f) offsetof(struct context, f)
#define L(f) offsetof(label_t, f)

__attribute__((used, aligned(4096), section(".data.debug_descriptor")))
const struct sy_debug_descriptor switchyard_debug_descriptor = {
    .magic = SY_DEBUG_MAGIC,
    .version = SY_DEBUG_VERSION,
    .size = sizeof(struct sy_debug_descriptor),
    .pointer_size = 8,
    .max_cpus = NR_CPUS,
    .self = (uint64_t)&switchyard_debug_descriptor,
    .page_offset = PAGE_OFFSET,
    .start_kernel_map = __START_KERNEL_map,
    .vmap_stack_start = VMAP_STACK_START,
    .thread_size = THREAD_SIZE,
    .init_mm = (uint64_t)&init_mm,
    .task_list = (uint64_t)&task_list,
    .init_task = (uint64_t)&init_task,
    .percpu_base = (uint64_t)cpu_data,
    .nr_cpu_ids = (uint64_t)&nr_cpu_ids,
    .cpu_online_mask = (uint64_t)&cpu_online_mask,
    .runqueues = (uint64_t)runqueues,
    .jiffies = (uint64_t)&jiffies,
    .hz = HZ,
    .sym_switch_to_asm = (uint64_t)__switch_to_asm,
    .sym_switch_to = (uint64_t)__switch_to,
    .sym_ret_from_fork = (uint64_t)ret_from_fork,
    .sym_schedule = (uint64_t)schedule,
    .sym___schedule = (uint64_t)__schedule,
    .sym_entry_SYSCALL_64 = (uint64_t)entry_SYSCALL_64,
    .sym_sched_text_start = (uint64_t)__sched_text_start,
    .sym_sched_text_end = (uint64_t)__sched_text_end,
    .list_next = offsetof(struct list_head, next),
    .list_prev = offsetof(struct list_head, prev),
    .task = {
        .size = sizeof(struct task_struct),
        .tasks = T(tasks),
        .pid = T(pid),
        .comm = T(comm),
        .comm_len = TASK_COMM_LEN,
        .state = T(state),
        .exit_state = T(exit_state),
        .flags = T(flags),
        .on_cpu = T(on_cpu),
        .cpu = T(cpu),
        .stack = T(stack),
        .stack_canary = T(stack_canary),
        .mm = T(mm),
        .active_mm = T(active_mm),
        .parent = T(parent),
        .ti_flags = T(thread_info.flags),
        .nvcsw = T(nvcsw),
        .nivcsw = T(nivcsw),
        .blocked_on = T(blocked_on),
        .thread = T(thread),
        .thread_sp = T(thread.sp),
        .thread_fsbase = T(thread.fsbase),
        .thread_gsbase = T(thread.gsbase),
        .thread_fpu_state = T(thread.fpu.state),
    },
    .task_running = TASK_RUNNING,
    .task_interruptible = TASK_INTERRUPTIBLE,
    .task_uninterruptible = TASK_UNINTERRUPTIBLE,
    .task_dead = TASK_DEAD,
    .exit_zombie = EXIT_ZOMBIE,
    .exit_dead = EXIT_DEAD,
    .pf_kthread = PF_KTHREAD,
    .pf_idle = PF_IDLE,
    .tif_need_resched = TIF_NEED_RESCHED,
    .tif_need_fpu_load = TIF_NEED_FPU_LOAD,
    .mm = {
        .pgd = offsetof(struct mm_struct, pgd),
        .mm_users = offsetof(struct mm_struct, mm_users),
        .mm_count = offsetof(struct mm_struct, mm_count),
    },
    .frame = {
        .size = sizeof(struct inactive_task_frame),
        .r15 = F(r15), .r14 = F(r14), .r13 = F(r13), .r12 = F(r12),
        .bx = F(bx), .bp = F(bp), .ret_addr = F(ret_addr),
    },
    .fork_frame = {
        .size = sizeof(struct fork_frame),
        .frame = offsetof(struct fork_frame, frame),
        .regs = offsetof(struct fork_frame, regs),
    },
    .pt_regs = {
        .size = sizeof(struct pt_regs),
        .r15 = R(r15), .r14 = R(r14), .r13 = R(r13), .r12 = R(r12), .bp = R(bp), .bx = R(bx),
        .r11 = R(r11), .r10 = R(r10), .r9 = R(r9), .r8 = R(r8), .ax = R(ax), .cx = R(cx), .dx = R(dx),
        .si = R(si), .di = R(di), .orig_ax = R(orig_ax), .ip = R(ip), .cs = R(cs), .flags = R(flags),
        .sp = R(sp), .ss = R(ss),
    },
    .percpu = {
        .stride = sizeof(struct percpu),
        .self = P(self),
        .current_task = P(current_task),
        .top_of_stack = P(top_of_stack),
        .user_rsp_scratch = P(user_rsp_scratch),
        .cpu_number = P(cpu_number),
        .stack_canary = P(stack_canary),
        .preempt_count = P(preempt_count),
        .idle = P(idle),
        .tss = P(tss),
        .tss_sp0 = offsetof(struct x86_hw_tss, sp0),
        .apic_id = P(apic_id),
    },
    .rq = {
        .stride = sizeof(struct rq),
        .curr = offsetof(struct rq, curr),
        .idle = offsetof(struct rq, idle),
        .nr_running = offsetof(struct rq, nr_running),
        .nr_switches = offsetof(struct rq, nr_switches),
    },
    .gs_base = {GS(0), GS(1), GS(2), GS(3), GS(4), GS(5), GS(6), GS(7),
                GS(8), GS(9), GS(10), GS(11), GS(12), GS(13), GS(14), GS(15)},
    .text_start = (uint64_t)_text,
    .text_end = (uint64_t)_etext,
    .lab_breaks = (uint64_t)&lab_breaks,
    .switch_model = (uint64_t)&switch_model,
    .models = {
        [SWITCH_LINUX] = {.name = "linux", .begin = {(uint64_t)__switch_to_asm}, .end = (uint64_t)__switch_to,
                          .saved = SY_SAVED_FRAME},
        [SWITCH_LINUX26] = {.name = "linux26", .begin = {(uint64_t)linux26_switch_to}, .end = (uint64_t)__switch_to,
                            .saved = SY_SAVED_CONTEXT26, .resume_pc = (uint64_t)thread_return},
        /* xv6: the task -> task part, in scheduler(): __switch_to(prev, next), then swtch to next. */
        [SWITCH_XV6] = {.name = "xv6", .begin = {(uint64_t)__switch_to}, .end = (uint64_t)swtch,
                        .saved = SY_SAVED_CONTEXT},
        [SWITCH_SOLARIS] = {.name = "solaris", .begin = {(uint64_t)resume, (uint64_t)resume_from_zombie},
                            .end = (uint64_t)spl0, .saved = SY_SAVED_LABEL,
                            .flags = SY_MODEL_DEAD_UNSAVED}, /* resume_from_zombie */
    },
    .linux26 = {.size = LINUX26_CTX_SIZE, .bp = LINUX26_CTX_bp, .flags = LINUX26_CTX_flags, .tif_fork = TIF_FORK},
    .xv6 = {
        .size = sizeof(struct context),
        .r15 = C(r15), .r14 = C(r14), .r13 = C(r13), .r12 = C(r12), .rbx = C(rbx), .rbp = C(rbp), .rip = C(rip),
        .cpus = (uint64_t)xv6_cpus,
        .cpu_stride = sizeof(struct xv6_cpu),
        .cpu_scheduler = offsetof(struct xv6_cpu, scheduler),
        .sym_sched = (uint64_t)sched,
        .sym_scheduler = (uint64_t)scheduler,
        .sym_swtch = (uint64_t)swtch,
    },
    .solaris = {
        .task_label = T(thread.label),
        .size = sizeof(label_t),
        .pc = L(pc), .sp = L(sp), .rbp = L(rbp), .rbx = L(rbx),
        .r12 = L(r12), .r13 = L(r13), .r14 = L(r14), .r15 = L(r15),
        .sym_resume_return = (uint64_t)resume_return,
    },
};
