/* The initializer of the debugger descriptor (debug_descriptor.c includes it),
 * but for the address fields every build has (COMMON_ADDRESSES there). */
    .magic = SY_DEBUG_MAGIC,
    .version = SY_DEBUG_VERSION,
    .size = sizeof(struct sy_debug_descriptor),
    .pointer_size = sizeof(void *), /* 4 in the i386 build */
    .max_cpus = NR_CPUS,
    .page_offset = PAGE_OFFSET,
    .start_kernel_map = __START_KERNEL_map,
    .vmap_stack_start = VMAP_STACK_START,
    .thread_size = THREAD_SIZE,
    .hz = HZ,
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
#ifdef __x86_64__
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
#else
    .frame = {
        .size = sizeof(struct inactive_task_frame), /* switch_to's pushes: EBP, EFLAGS */
        .r15 = NONE, .r14 = NONE, .r13 = NONE, .r12 = NONE, .bx = NONE, .bp = F(bp), .ret_addr = NONE,
    },
    .fork_frame = {.size = 0, .frame = NONE, .regs = 0}, /* only pt_regs: thread.sp = task_pt_regs() */
    .pt_regs = {
        .size = sizeof(struct pt_regs),
        .r15 = NONE, .r14 = NONE, .r13 = NONE, .r12 = NONE, .bp = R(bp), .bx = R(bx),
        .r11 = NONE, .r10 = NONE, .r9 = NONE, .r8 = NONE, .ax = R(ax), .cx = R(cx), .dx = R(dx),
        .si = R(si), .di = R(di), .orig_ax = R(orig_ax), .ip = R(ip), .cs = R(cs), .flags = R(flags),
        .sp = R(sp), .ss = R(ss),
    },
#endif
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
#ifdef __x86_64__
    .models = {
        [SWITCH_LINUX] = {.name = "linux", .begin = {A(__switch_to_asm)}, .end = A(__switch_to),
                          .saved = SY_SAVED_FRAME},
        [SWITCH_LINUX26] = {.name = "linux26", .begin = {A(linux26_switch_to)}, .end = A(__switch_to),
                            .saved = SY_SAVED_CONTEXT26, .resume_pc = A(thread_return)},
        /* xv6: the task -> task part, in scheduler(): __switch_to(prev, next), then swtch to next. */
        [SWITCH_XV6] = {.name = "xv6", .begin = {A(__switch_to)}, .end = A(swtch),
                        .saved = SY_SAVED_CONTEXT},
        [SWITCH_SOLARIS] = {.name = "solaris", .begin = {A(resume), A(resume_from_zombie)},
                            .end = A(spl0), .saved = SY_SAVED_LABEL,
                            .flags = SY_MODEL_DEAD_UNSAVED}, /* resume_from_zombie */
    },
    .linux26 = {.size = LINUX26_CTX_SIZE, .bp = LINUX26_CTX_bp, .flags = LINUX26_CTX_flags, .tif_fork = TIF_FORK},
    .xv6 = {
        .size = sizeof(struct context),
        .r15 = C(r15), .r14 = C(r14), .r13 = C(r13), .r12 = C(r12), .rbx = C(rbx), .rbp = C(rbp), .rip = C(rip),
        .cpus = A(xv6_cpus),
        .cpu_stride = sizeof(struct xv6_cpu),
        .cpu_scheduler = offsetof(struct xv6_cpu, scheduler),
        .sym_sched = A(sched),
        .sym_scheduler = A(scheduler),
        .sym_swtch = A(swtch),
    },
    .solaris = {
        .task_label = T(thread.label),
        .size = sizeof(label_t),
        .pc = L(pc), .sp = L(sp), .rbp = L(rbp), .rbx = L(rbx),
        .r12 = L(r12), .r13 = L(r13), .r14 = L(r14), .r15 = L(r15),
        .sym_resume_return = A(resume_return),
    },
#else
    .models = {
        /* The i386 switch_to (arch/i386/include/switch_to.h), in the linux slot:
         * it begins at its pushfl (EAX = prev, EDX = next) and ends at the ret
         * of __switch_to, which pops next's thread.ip. */
        [SWITCH_LINUX] = {.name = "i386", .saved = SY_SAVED_THREAD_IP}, /* addresses: I386_ADDRESSES */
    },
    .ia32 = {
        .task_thread_ip = T(thread.ip),
        .size = sizeof(struct inactive_task_frame),
        .bp = F(bp),
        .flags = F(flags),
    },
#endif
