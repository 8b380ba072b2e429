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
import subprocess
import sys

sy, kernel = sys.argv[1], sys.argv[2]
transcript = sys.argv[3] if len(sys.argv) > 3 else None
here = os.path.dirname(os.path.abspath(__file__))


def fail(msg, out=""):
    print("FAIL: " + msg)
    if out:
        print(out)
    sys.exit(1)


# Symbol ranges from nm (the ELF, not the emulator).
nm = subprocess.run(["nm", "-S", "-n", kernel], capture_output=True, text=True, check=True).stdout
syms = {}
for line in nm.splitlines():
    f = line.split()
    if len(f) == 4:
        syms[f[3]] = (int(f[0], 16), int(f[0], 16) + int(f[1], 16))
    elif len(f) == 3:
        syms.setdefault(f[2], (int(f[0], 16), int(f[0], 16)))
sched, rff = syms["__schedule"], syms["ret_from_fork"][0]
# The i386 build (switch_to's `1:` is switch_to_resume, in __schedule): a new
# task starts at ret_from_fork or ret_from_kernel_thread, and gdb is told the
# stub's x86-64 register layout (the stub has no 32-bit one; docs/gdb.md).
i386 = "switch_to_resume" in syms
starts = {rff} | ({syms["ret_from_kernel_thread"][0]} if i386 else set())

machine = subprocess.Popen([sy, "run", kernel, "--smp", "2", "--append", "sleeper 3", "--serial", "null",
                            "--input", "none", "-S", "-gdb", "tcp::0"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
port = None
for line in machine.stderr:
    m = re.search(r"gdb stub listening on tcp:[^:]*:(\d+)", line)
    if m:
        port = m.group(1)
        break
if not port:
    machine.kill()
    fail("switchyard did not say where its stub listens")

cmds = (["set architecture i386:x86-64"] if i386 else []) + ["file " + kernel, "target remote :" + port, "break schedule_timeout", "ignore 1 2", "continue",
        "info threads", "thread apply all bt", "source " + os.path.join(here, "walk_tasks.py"), "kill"]
args = ["gdb", "-batch", "-nx"]
for c in cmds:
    args += ["-ex", c]
try:
    g = subprocess.run(args, capture_output=True, text=True, timeout=240)
except subprocess.TimeoutExpired:
    machine.kill()
    fail("gdb did not finish")
out = g.stdout + g.stderr
rest = machine.communicate(timeout=60)[1]
if transcript:
    with open(transcript, "w") as f:
        f.write("$ gdb -batch -nx " + " ".join("-ex '%s'" % c for c in cmds) + "\n" + out)
if machine.returncode != 0:
    fail("switchyard exited with status %d after gdb's kill" % machine.returncode, rest)
if "hit Breakpoint 1, schedule_timeout" not in out:
    fail("gdb did not stop at the breakpoint in schedule_timeout", out)

tasks = []
for m in re.finditer(r"^TASK pid=(\d+) cpu=(\d+) on_cpu=(\d+) flags=(\S+) sp=(\S+) ret_addr=(\S+) comm=(.*)$", out, re.M):
    tasks.append(dict(pid=int(m.group(1)), cpu=int(m.group(2)), on_cpu=int(m.group(3)), flags=int(m.group(4), 16),
                      sp=int(m.group(5), 16), ret=int(m.group(6), 16), comm=m.group(7)))
threads = {}
for m in re.finditer(r"^THREAD num=(\d+) tid=(\d+) pc=(\S+) name=(.*)$", out, re.M):
    threads[int(m.group(2))] = dict(num=int(m.group(1)), pc=m.group(3), name=m.group(4))
if len(tasks) < 4:
    fail("gdb's own walk of task_list found %d tasks" % len(tasks), out)

# `info threads`: one line per thread, "Thread TID "name" (extra)".
listed = set(int(x) for x in re.findall(r"^\*?\s+\d+\s+Thread (\d+) \"", out, re.M))
# Thread ids (docs/gdb.md): pid + 1; the idle tasks of CPUs 1.. (pid 0 too) 0x40000000 + cpu.
expected = {}
for t in tasks:
    idle_other = t["pid"] == 0 and t["cpu"] > 0
    tid = 0x40000000 + t["cpu"] if idle_other else t["pid"] + 1
    expected[tid] = t
if listed != set(expected):
    fail("info threads lists %s, the task list has %s" % (sorted(listed), sorted(expected)), out)
if set(threads) != set(expected):
    fail("gdb's threads %s differ from the tasks %s" % (sorted(threads), sorted(expected)), out)

# `thread apply all bt`: frame #0 of each gdb thread, by its number.
bt_first = {}
for m in re.finditer(r"^Thread (\d+) \(Thread (\d+) .*\):\n#0  (?:(0x[0-9a-f]+) in )?(\S+)", out, re.M):
    bt_first[int(m.group(2))] = (m.group(3), m.group(4))
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
