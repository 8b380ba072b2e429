# Run inside gdb (the stock-gdb tests source it after a stop): the oracle
# side of their checks. It walks the kernel's task_list with gdb's own reading
# of the kernel's DWARF types (struct task_struct, struct inactive_task_frame,
# struct context, label_t), not with switchyard's descriptor reader, through
# memory reads of the running thread, and prints for every switched-out task
# what its switch model saved (include/switch_model.h in the guest kernel):
#   ret_addr  linux: inactive_task_frame.ret_addr at thread.sp
#   resume    where it resumes: linux ret_addr; xv6 struct context.rip at
#             thread.sp; solaris label.pc; linux26 none (0): no memory holds it
#   caller    the return address its frame #1 must show: linux26 [[thread.sp] + 8]
#             (the frame pointer SAVE_CONTEXT pushed), xv6 [context.rbp + 8],
#             solaris [label.sp + 8]; 0 for a task that never ran, or linux
#   fork      1 for a linux26 task that never ran (TIF_FORK: thread_return
#             goes on to ret_from_fork_linux26)
#   (i386, the 32-bit build: thread.ip, switch_to's `1:` or where a new task
#   starts, printed as ret_addr and resume; the model is called i386)
# Then, for every gdb thread, the pc and function of its frames #0 and #1.
import gdb

MODELS = ["linux", "linux26", "xv6", "solaris"]
TIF_FORK = 18  # guest-kernel/include/switch_to_linux26.h


def u64(expr):
    return int(gdb.parse_and_eval(expr)) & 0xFFFFFFFFFFFFFFFF


def mem(addr):
    return u64("*(unsigned long *)%d" % addr)


def saved_state(model, task, sp):
    """(ret_addr, resume, caller, fork) of a switched-out task."""
    if model == "i386":
        ip = u64("(unsigned long)" + task + "->thread.ip")
        return ip, ip, 0, 0
    ret = mem(sp + u64("&((struct inactive_task_frame *)0)->ret_addr")) if model == "linux" else 0
    if model == "linux":
        return ret, ret, 0, 0
    if model == "linux26":
        never_ran = (u64(task + "->thread_info.flags") >> TIF_FORK) & 1
        return 0, 0, 0 if never_ran else mem(mem(sp) + 8), never_ran
    if model == "xv6":
        ctx = "((struct context *)%d)" % sp
        rip, rbp = u64(ctx + "->rip"), u64(ctx + "->rbp")
        return 0, rip, mem(rbp + 8) if rbp else 0, 0
    label = task + "->thread.label"
    pc, lsp = u64(label + ".pc"), u64(label + ".sp")
    return 0, pc, mem(lsp + 8) if pc == u64("(unsigned long)&resume_return") else 0, 0


def walk():
    try:
        gdb.parse_and_eval("&((struct task_struct *)0)->thread.ip")
        model = "i386"
    except gdb.error:
        model = MODELS[int(gdb.parse_and_eval("switch_model"))]
    print("MODEL " + model)
    head = u64("&task_list")
    off = u64("&((struct task_struct *)0)->tasks")
    node = u64("task_list.next")
    seen = 0
    while node != head and seen < 1000:
        t = node - off
        task = "((struct task_struct *)%d)" % t
        pid = int(gdb.parse_and_eval(task + "->pid"))
        comm = gdb.parse_and_eval(task + "->comm").string()
        on_cpu = int(gdb.parse_and_eval(task + "->on_cpu"))
        cpu = int(gdb.parse_and_eval(task + "->cpu"))
        flags = int(gdb.parse_and_eval(task + "->flags"))
        sp = u64(task + "->thread.sp")
        stack = u64("(unsigned long)" + task + "->stack")
        ret, resume, caller, fork = saved_state(model, task, sp) if stack and not on_cpu else (0, 0, 0, 0)
        print("TASK pid=%d cpu=%d on_cpu=%d flags=0x%x sp=0x%x ret_addr=0x%x resume=0x%x caller=0x%x fork=%d comm=%s" %
              (pid, cpu, on_cpu, flags, sp, ret, resume, caller, fork, comm))
        node = u64(task + "->tasks.next")
        seen += 1


def frame_desc(f):
    if f is None:
        return "none", "none"
    try:
        return "0x%x" % f.pc(), f.name() or "??"
    except gdb.error:
        return "unavailable", "??"


walk()
for th in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
    th.switch()
    f0 = f1 = None
    try:
        f0 = gdb.newest_frame()
        f1 = f0.older()
    except gdb.error:
        pass
    (pc, name), (pc1, name1) = frame_desc(f0), frame_desc(f1)
    print("THREAD num=%d tid=%d pc=%s func=%s pc1=%s func1=%s name=%s" %
          (th.num, th.ptid[1] or th.ptid[2], pc, name, pc1, name1, th.name))
