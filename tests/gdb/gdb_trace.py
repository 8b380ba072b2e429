#!/usr/bin/env python3
"""`switchyard run --trace FILE -S -gdb` driven by Debian's gdb: the trace
holds what gdb made the machine execute, and reverse execution cuts it back.

Two sessions on the bundled kernel, each writing a trace:
  forward:  break schedule_timeout, continue (the first hit), kill;
  reversed: break schedule_timeout, continue, continue (the second hit),
            reverse-continue (back to the first hit), kill.
The oracle is the forward session: the machine deterministically stands at
the same place when gdb kills it, so the reversed session's trace must be the
forward one, event for event. Without the cut the reversed trace keeps what
ran up to the second hit (and counts the interrupts re-run on the way back
twice).
  gdb_trace.py SWITCHYARD KERNEL
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sy, kernel = sys.argv[1], sys.argv[2]


def fail(msg, out=""):
    print("gdb_trace: FAIL: " + msg)
    if out:
        print(out[-4000:])
    sys.exit(1)


def session(trace, gdb_cmds):
    machine = subprocess.Popen([sy, "run", kernel, "--smp", "2", "--append", "sleeper 3", "--serial", "null",
                                "--input", "none", "--trace", trace, "-S", "-gdb", "tcp::0"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port = None
    for line in machine.stderr:
        m = re.search(r"gdb stub listening on tcp:[^:]*:(\d+)", line)
        if m:
            port = m.group(1)
            break
    if not port:
        machine.kill()
        fail("switchyard did not say where its stub listens: " + machine.stderr.read())
    args = ["gdb", "-batch", "-nx"]
    for c in ["file " + kernel, "target remote :" + port, "break schedule_timeout"] + gdb_cmds + ["kill"]:
        args += ["-ex", c]
    try:
        g = subprocess.run(args, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        machine.kill()
        fail("gdb did not finish")
    _, err = machine.communicate(timeout=120)
    if "switchyard: trace:" not in err:
        fail("no trace written: " + err, g.stdout + g.stderr)
    with open(trace) as f:
        return json.load(f)["traceEvents"], g.stdout + g.stderr


with tempfile.TemporaryDirectory() as d:
    fwd, out_f = session(os.path.join(d, "fwd.json"), ["continue"])
    rev, out_r = session(os.path.join(d, "rev.json"), ["continue", "continue", "reverse-continue"])
hits = re.findall(r"Breakpoint 1, .*schedule_timeout", out_r)
if len(hits) < 3:
    fail("gdb did not stop at schedule_timeout three times (continue, continue, reverse-continue)", out_r)
switches = [e for e in fwd if e.get("ph") == "i"]
if not switches:
    fail("the forward trace has no switch up to the first hit", out_f)
if rev != fwd:
    extra = [e for e in rev if e not in fwd][:3]
    fail("after reverse-continue the trace has %d events, the forward one %d; e.g. %s"
         % (len(rev), len(fwd), json.dumps(extra)[:600]))
print("gdb_trace: ok: %d events, %d switches, the same after continue, continue, reverse-continue"
      % (len(fwd), len(switches)))
