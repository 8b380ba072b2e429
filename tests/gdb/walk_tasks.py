# Run inside gdb (gdb_threads.py loads it with -x after a stop): the oracle
# side of the check. It walks the kernel's task_list with gdb's own reading of
# the kernel's DWARF types (struct task_struct, struct inactive_task_frame),
# not with switchyard's descriptor reader, through memory reads of the
# running thread; then it prints, for every gdb thread, the pc of its frame 0.
# The i386 kernel keeps a sleeping task's resume PC in thread.ip (its
# switch_to): printed as ret_addr there.
import gdb


def u64(expr):
    return int(gdb.parse_and_eval(expr)) & 0xFFFFFFFFFFFFFFFF


def walk():
    head = u64("&task_list")
    off = u64("&((struct task_struct *)0)->tasks")
    try:
        gdb.parse_and_eval("&((struct task_struct *)0)->thread.ip")
        i386 = True
    except gdb.error:
        i386 = False
        ret_off = u64("&((struct inactive_task_frame *)0)->ret_addr")
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
        if not stack or on_cpu:
            ret = 0
        elif i386:
            ret = u64("(unsigned long)" + task + "->thread.ip")
        else:
            ret = u64("*(unsigned long *)%d" % (sp + ret_off))
        print("TASK pid=%d cpu=%d on_cpu=%d flags=0x%x sp=0x%x ret_addr=0x%x comm=%s" % (pid, cpu, on_cpu, flags, sp, ret, comm))
        node = u64(task + "->tasks.next")
        seen += 1


walk()
for th in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
    th.switch()
    try:
        pc = "0x%x" % gdb.newest_frame().pc()
    except gdb.error:
        pc = "unavailable"
    print("THREAD num=%d tid=%d pc=%s name=%s" % (th.num, th.ptid[1] or th.ptid[2], pc, th.name))
