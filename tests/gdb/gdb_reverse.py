#!/usr/bin/env python3
"""gdb's reverse-stepi and reverse-continue against `switchyard run -S -gdb`.

Drives Debian's gdb in batch mode on the bundled kernel: continue to the
second hit of schedule_timeout, record the registers (`info registers`) after
each of N forward `stepi`s, then `reverse-stepi` N times, recording again.
The oracle is the forward run itself: after k reverse steps the registers must
be exactly those gdb saw N-k steps into the forward run (the machine was
there), and the last must equal the state at the breakpoint. Then
`reverse-continue` must come back to the breakpoint's previous hit: the
schedule_timeout hit counter gdb keeps goes forward, while the registers must
equal those recorded at the first hit.
  gdb_reverse.py SWITCHYARD KERNEL
"""
import re
import sys

from stockgdb import Machine, fail

sy, kernel = sys.argv[1], sys.argv[2]
N = 12

machine = Machine(sy, kernel, "sleeper 3")
REGS = "info registers rip rsp rbp rax rbx rcx rdx rsi rdi r8 r9 r10 r11 r12 r13 r14 r15 eflags"
cmds = ["break schedule_timeout", "continue", "echo MARK first\\n", REGS, "continue", "echo MARK at 0\\n", REGS]
for k in range(1, N + 1):
    cmds += ["stepi", "echo MARK at %d\\n" % k, REGS]
for k in range(N - 1, -1, -1):
    cmds += ["reverse-stepi", "echo MARK back %d\\n" % k, REGS]
cmds += ["reverse-continue", "echo MARK revcont\\n", REGS, "kill"]
out = machine.gdb(cmds)
tail = 6000

states = {}
for m in re.finditer(r"^MARK (.*)\n((?:(?!MARK ).*\n)*)", out, re.M):
    regs = dict((r.group(1), r.group(2)) for r in re.finditer(r"^(\w+)\s+(0x[0-9a-f]+)", m.group(2), re.M))
    states[m.group(1)] = regs
for need in ["first", "at 0", "revcont"] + ["at %d" % k for k in range(1, N + 1)] + ["back %d" % k for k in range(N)]:
    if len(states.get(need, {})) < 18:
        fail("no registers recorded at '%s'" % need, out, tail)
if states["at 0"]["rip"] == states["at %d" % N]["rip"] and states["at 0"]["rsp"] == states["at %d" % N]["rsp"]:
    fail("stepi did not move the machine", out, tail)
for k in range(N):
    if states["back %d" % k] != states["at %d" % k]:
        diff = {r: (states["at %d" % k][r], states["back %d" % k].get(r)) for r in states["at %d" % k]
                if states["at %d" % k][r] != states["back %d" % k].get(r)}
        fail("after reverse-stepi to step %d the registers differ from the forward run's: %s" % (k, diff), out, tail)
if states["revcont"] != states["first"]:
    fail("reverse-continue did not come back to the first hit of schedule_timeout", out, tail)
print("gdb_reverse.py: ok: %d reverse-steps and a reverse-continue matched the forward run" % N)
