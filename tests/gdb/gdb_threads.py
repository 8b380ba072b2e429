#!/usr/bin/env python3
"""Stock gdb against `switchyard run -S -gdb tcp::0` on the bundled kernel.

Starts the machine paused (the stub picks a free port and prints it: we wait
for that line, never sleep), drives Debian's gdb in batch mode to a breakpoint
in a sleeping path (schedule_timeout, the third time it is called: by then
other sleepers have switched out), and checks:
  - `info threads` lists every task on the kernel's task_list, as gdb itself
    walks it with the kernel's DWARF types (walk_tasks.py), thread id = pid + 1;
  - `thread apply all bt` starts every switched-out task at a frame whose
    address is the ret_addr saved in its inactive_task_frame in guest memory
    (read by gdb with the DWARF layout, not from the stub's registers), inside
    __schedule or at ret_from_fork (addresses from nm).
  gdb_threads.py SWITCHYARD KERNEL [TRANSCRIPT]
"""
import os
import re
import sys

from stockgdb import Machine, bt_frames, fail, symbols, thread_id, walked

sy, kernel = sys.argv[1], sys.argv[2]
transcript = sys.argv[3] if len(sys.argv) > 3 else None
here = os.path.dirname(os.path.abspath(__file__))

# Symbol ranges from nm (the ELF, not the emulator).
syms = symbols(kernel)
sched, rff = syms["__schedule"], syms["ret_from_fork"][0]
# The i386 build (switch_to's `1:` is switch_to_resume, in __schedule): a new
# task starts at ret_from_fork or ret_from_kernel_thread.
i386 = "switch_to_resume" in syms
starts = {rff} | ({syms["ret_from_kernel_thread"][0]} if i386 else set())

machine = Machine(sy, kernel, "sleeper 3")
cmds = ["break schedule_timeout", "ignore 1 2", "continue", "info threads", "thread apply all bt",
        "source " + os.path.join(here, "walk_tasks.py"), "kill"]
out = machine.gdb(cmds)
if transcript:
    with open(transcript, "w") as f:
        f.write("$ gdb -batch -nx " + " ".join("-ex '%s'" % c for c in machine.commands) + "\n" + out)
if machine.status != 0:
    fail("switchyard exited with status %d after gdb's kill" % machine.status, machine.stderr)
if "hit Breakpoint 1, schedule_timeout" not in out:
    fail("gdb did not stop at the breakpoint in schedule_timeout", out)

model, tasks, threads = walked(out)
if len(tasks) < 4:
    fail("gdb's own walk of task_list found %d tasks" % len(tasks), out)

# `info threads`: one line per thread, "Thread TID "name" (extra)".
listed = set(int(x) for x in re.findall(r"^\*?\s+\d+\s+Thread (\d+) \"", out, re.M))
expected = {thread_id(t): t for t in tasks}
if listed != set(expected):
    fail("info threads lists %s, the task list has %s" % (sorted(listed), sorted(expected)), out)
if set(threads) != set(expected):
    fail("gdb's threads %s differ from the tasks %s" % (sorted(threads), sorted(expected)), out)

# `thread apply all bt`: frame #0 of each gdb thread, by its number.
bt_first = {tid: frames[0] for tid, frames in bt_frames(out).items() if frames}
sleeping = 0
for tid, t in expected.items():
    if t["on_cpu"]:
        continue
    sleeping += 1
    ret = t["ret"]
    if not (sched[0] <= ret < sched[1] or ret in starts):
        fail("pid %d: ret_addr 0x%x in memory is neither in __schedule nor ret_from_fork" % (t["pid"], ret), out)
    if i386 and sched[0] <= ret < sched[1] and ret != syms["switch_to_resume"][0]:
        fail("pid %d: thread.ip 0x%x is in __schedule but not switch_to's 1:" % (t["pid"], ret), out)
    if threads[tid]["pc"] != "0x%x" % ret:
        fail("pid %d (%s): gdb's frame 0 is at %s, its saved ret_addr is 0x%x" % (t["pid"], t["comm"], threads[tid]["pc"], ret), out)
    if tid not in bt_first:
        fail("thread apply all bt shows no frame for pid %d" % t["pid"], out)
    addr, func = bt_first[tid]
    if addr is not None and int(addr, 16) != ret:
        fail("pid %d: bt frame #0 at %s, saved ret_addr 0x%x" % (t["pid"], addr, ret), out)
    if addr is None and func not in ("ret_from_fork", "ret_from_kernel_thread"):
        fail("pid %d: bt frame #0 is %s" % (t["pid"], func), out)
if sleeping < 3:
    fail("only %d switched-out tasks at the breakpoint: the check would prove little" % sleeping, out)
print("ok: %d tasks listed as threads, %d switched-out tasks start at their saved ret_addr" % (len(expected), sleeping))
