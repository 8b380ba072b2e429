#!/usr/bin/env python3
"""Stock gdb's `thread apply all bt` under each switch model of the bundled
kernel (docs/switch-models.md): every switched-out task's frame #0 is where
its model resumes it, and frame #1 is where that frame returns to.

Boots `switchyard run -S -gdb tcp::0 --append "switch=MODEL sleeper 3"` on 2
CPUs, waits for the stub's "listening" line (no sleeps), stops at the third
call of schedule_timeout (by then three sleepers have switched out) and checks,
for every task not on a CPU:
  linux26  frame #0 is thread_return, at the address nm gives the symbol (no
           memory holds it), in the bt text too; frame #1 is at the return
           address above the frame pointer SAVE_CONTEXT pushed at thread.sp
           ([[thread.sp] + 8], read by gdb from guest memory), in a function
           other than __schedule (its caller: gdb unwound through
           thread_return's own CFI)
  solaris  frame #0 is resume_return (nm) and label.pc; frame #1 at the
           return address resume() left at label.sp + 8
  xv6      frame #0 is context.rip, inside sched (nm); frame #1 at the return
           address above context.rbp, in __schedule
  linux    frame #0 is inactive_task_frame.ret_addr, inside __schedule (nm)
           or ret_from_fork (gdb_threads.py checks the threads themselves)
Under linux26 a second stop, just after the fourth wake_up_new_task, has tasks
that never ran: frame #0 thread_return too, and the backtrace ends at frame
#1 with PC 0 (thread_return's CFI reads the 0 that starts their fork_frame),
not with a read of unmapped memory.
And inside each model's switch routine, stopped at its first call (the xv6
scheduler thread's, which is no gdb thread, come later) and
stepped over its pushes (RSP still on prev's stack): gdb's frame #1 is the
return address the routine was entered with, read by gdb at the breakpoint
([RSP]; linux26, entered by a jump: [RBP + 8]). That needs the routines' own
unwind rules: gdb's guess from the prologue took a pushed register for it.
And a breakpoint in __switch_to (linux, linux26, solaris: called with RSP
already on next's stack) stops, in the thread of next (RSI), whose frame #1
is the return address at [RSP]: the stub gives the CPU to the task being
switched to once RSP is in its stack (before, no thread had that CPU, the
stop named none, and gdb resumed silently past every hit).
The saved state comes from walk_tasks.py: gdb reading the task list and each
model's structures with the kernel's DWARF types, not the stub's registers.
  gdb_switch_models.py SWITCHYARD KERNEL MODEL...
"""
import os
import re
import sys

from stockgdb import Machine, bt_frames, fail, symbols, thread_id, walked

sy, kernel, models = sys.argv[1], sys.argv[2], sys.argv[3:]
here = os.path.dirname(os.path.abspath(__file__))
syms = symbols(kernel)


def inside(name, addr):
    lo, hi = syms[name]
    return lo <= addr < hi


SLEEPING = ["break schedule_timeout", "ignore 1 2", "continue"]
FORKED = ["break wake_up_new_task", "ignore 1 3", "continue", "finish"]


def check(model, stop=SLEEPING):
    machine = Machine(sy, kernel, "switch=%s sleeper 3" % model)
    out = machine.gdb(stop + ["thread apply all bt", "source " + os.path.join(here, "walk_tasks.py"), "kill"])
    if machine.status != 0:
        fail("%s: switchyard exited with status %d after gdb's kill" % (model, machine.status), machine.stderr)
    if "hit Breakpoint 1, " + stop[0].split()[1] not in out:
        fail("%s: gdb did not stop at the breakpoint in %s" % (model, stop[0].split()[1]), out)
    running, tasks, threads = walked(out)
    if running != model:
        fail("the kernel runs switch model %s, not %s" % (running, model), out)
    bts = bt_frames(out)
    checked = resumed = forked = 0
    for t in tasks:
        if t["on_cpu"]:
            continue
        tid = thread_id(t)
        who = "%s: pid %d (%s)" % (model, t["pid"], t["comm"])
        if tid not in threads or not bts.get(tid):
            fail(who + ": no thread or no backtrace in gdb", out)
        th, bt = threads[tid], bts[tid]
        pc = int(th["pc"], 16) if th["pc"].startswith("0x") else None
        pc1 = int(th["pc1"], 16) if th["pc1"].startswith("0x") else None
        if model == "linux26":
            expect = syms["thread_return"][0]
            if pc != expect or th["func"] != "thread_return" or bt[0] != ("0x%x" % expect, "thread_return"):
                fail(who + ": frame #0 is %s in %s (bt: %s), not thread_return at 0x%x" %
                     (th["pc"], th["func"], bt[0], expect), out)
        elif model == "solaris":
            expect = syms["resume_return"][0]
            if pc != t["resume"] or pc != expect or th["func"] != "resume_return":
                fail(who + ": frame #0 is %s in %s, label.pc is 0x%x, resume_return 0x%x" %
                     (th["pc"], th["func"], t["resume"], expect), out)
        elif model == "xv6":
            if pc != t["resume"] or not inside("sched", pc) or th["func"] != "sched":
                fail(who + ": frame #0 is %s in %s, context.rip is 0x%x (in sched?)" % (th["pc"], th["func"], t["resume"]), out)
        else:
            if pc != t["ret"] or not (inside("__schedule", pc) or pc == syms["ret_from_fork"][0]):
                fail(who + ": frame #0 is %s, ret_addr is 0x%x" % (th["pc"], t["ret"]), out)
        checked += 1
        if t["fork"]:
            forked += 1
            stopped = re.search(r"^Thread \d+ \(Thread %d .*\):\n(?:#.*\n)*Backtrace stopped" % tid, out, re.M)
            if th["pc1"] != "0x0" or len(bt) != 2 or stopped:
                fail(who + ": never ran: frame #1 is %s, %d frames: the backtrace does not end at PC 0" %
                     (th["pc1"], len(bt)), out)
        if not t["caller"]:
            continue  # linux, or a task that never ran: no caller frame to compare
        if pc1 != t["caller"]:
            fail(who + ": frame #1 is %s (%s), the return address its model left is 0x%x" %
                 (th["pc1"], th["func1"], t["caller"]), out)
        if model == "xv6" and th["func1"] != "__schedule":
            fail(who + ": frame #1 is in %s, not __schedule" % th["func1"], out)
        if model == "linux26" and th["func1"] in ("__schedule", "thread_return", "??"):
            fail(who + ": frame #1 is in %s, not __schedule's caller" % th["func1"], out)
        resumed += 1
    if stop is FORKED:
        if forked < 1:
            fail("%s: no task that never ran at the stop after wake_up_new_task" % model, out)
        return "%s: %d switched-out tasks, %d never ran" % (model, checked, forked)
    if checked < 3 or (model != "linux" and resumed < 3):
        fail("%s: only %d switched-out tasks (%d with a caller frame) at the breakpoint" % (model, checked, resumed), out)
    return "%s: %d switched-out tasks, frame #1 checked for %d" % (model, checked, resumed)


# The routine each model's switch starts with, what gives its return address at
# entry, and how many instructions save the registers.
IN_SWITCH = {"linux": ("__switch_to_asm", "$rsp", 6), "xv6": ("swtch", "$rsp", 6),
             "solaris": ("resume", "$rsp", 10), "linux26": ("linux26_switch_to", "$rbp + 8", 3)}


def check_in_switch(model):
    routine, entry, pushes = IN_SWITCH[model]
    machine = Machine(sy, kernel, "switch=%s sleeper 3" % model)
    out = machine.gdb(["break " + routine, "continue",
                       'printf "ENTRY 0x%%lx\\n", *(unsigned long *)(%s)' % entry, "stepi %d" % pushes,
                       "python f = gdb.newest_frame(); print('FRAMES 0x%x %s 0x%x %s' % "
                       "(f.pc(), f.name(), f.older().pc(), f.older().name()))", "bt 3", "kill"])
    m, f = re.search(r"^ENTRY (0x[0-9a-f]+)$", out, re.M), re.search(r"^FRAMES (\S+) (\S+) (\S+) (\S+)$", out, re.M)
    if not m or not f:
        fail("%s: gdb did not stop in %s and step over its pushes" % (model, routine), out)
    if f.group(2) != routine or not inside(routine, int(f.group(1), 16)):
        fail("%s: %d steps into %s gdb is at %s in %s" % (model, pushes, routine, f.group(1), f.group(2)), out)
    if f.group(3) != m.group(1) or f.group(4) == "None":
        fail("%s: %d steps into %s frame #1 is %s (%s), entered with return address %s" %
             (model, pushes, routine, f.group(3), f.group(4), m.group(1)), out)
    return "%s: frame #1 from inside %s is %s" % (model, routine, f.group(4))


def check_switch_to(model):
    machine = Machine(sy, kernel, "switch=%s sleeper 3" % model)
    out = machine.gdb(["break __switch_to", "ignore 1 3", "continue",
                       'printf "NEXT %d\\n", ((struct task_struct *)$rsi)->pid',
                       'printf "ENTRY 0x%lx\\n", *(unsigned long *)$rsp',
                       "python t = gdb.selected_thread(); f = gdb.newest_frame().older(); "
                       "print('STOPPED %d 0x%x' % (t.ptid[1] or t.ptid[2], f.pc()))", "bt 3", "kill"])
    n, e = re.search(r"^NEXT (\d+)$", out, re.M), re.search(r"^ENTRY (0x[0-9a-f]+)$", out, re.M)
    st = re.search(r"^STOPPED (\d+) (0x[0-9a-f]+)$", out, re.M)
    if "hit Breakpoint 1, __switch_to" not in out or not (n and e and st):
        fail("%s: gdb did not stop at the fourth call of __switch_to" % model, out)
    if int(st.group(1)) != int(n.group(1)) + 1:
        fail("%s: the stop in __switch_to is thread %s, next is pid %s (thread %d)" %
             (model, st.group(1), n.group(1), int(n.group(1)) + 1), out)
    if st.group(2) != e.group(1):
        fail("%s: frame #1 from __switch_to is %s, [RSP] is %s" % (model, st.group(2), e.group(1)), out)
    return "%s: __switch_to stops in next's thread (pid %s)" % (model, n.group(1))


results = [check(m) for m in models] + [check_in_switch(m) for m in models]
results += [check_switch_to(m) for m in models if m != "xv6"]
if "linux26" in models:
    results.append(check("linux26", FORKED))
print("ok: " + "; ".join(results))
