#!/usr/bin/env python3
"""The unwind rules that switch_to_linux26.h gives its out-of-line routines
(linux26_switch_to, thread_return) agree with gcc's own for __schedule, whose
frame they run in: at the jump from __schedule to linux26_switch_to, gcc's
table (readelf's view of .debug_frame) has CFA = rbp+16 (the routines' entry
rule) and saves rbp, rbx, r12-r15 and the return address where every row of
the two routines says. A change in gcc's frame layout for __schedule fails
here instead of giving gdb wrong registers above thread_return.
  check_linux26_cfi.py KERNEL_ELF
"""
import re
import subprocess
import sys

elf = sys.argv[1]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


syms = {}
for line in subprocess.run(["nm", "-S", elf], capture_output=True, text=True, check=True).stdout.splitlines():
    f = line.split()
    if len(f) == 4:
        syms[f[3]] = (int(f[0], 16), int(f[0], 16) + int(f[1], 16))
sched, switch, ret = syms["__schedule"], syms["linux26_switch_to"], syms["thread_return"]
if sched[0] <= switch[0] < sched[1] or sched[0] <= ret[0] < sched[1]:
    fail("linux26_switch_to or thread_return lies inside __schedule: gdb would name __schedule")

dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "--start-address=%d" % sched[0],
                      "--stop-address=%d" % sched[1], elf], capture_output=True, text=True, check=True).stdout
jumps = [int(m.group(1), 16) for m in re.finditer(r"^\s*([0-9a-f]+):\s+jmp\s+[0-9a-f]+ <linux26_switch_to>", dis, re.M)]
if len(jumps) != 1:
    fail("%d jumps from __schedule to linux26_switch_to (expected 1)" % len(jumps))

# FDE start -> rows of (location, {column: rule}).
frames = subprocess.run(["readelf", "--debug-dump=frames-interp", elf], capture_output=True, text=True).stdout
fdes = {}
for m in re.finditer(r"FDE cie=\S+ pc=([0-9a-f]+)\.\.([0-9a-f]+)\n\s+LOC\s+(.*)\n((?:[0-9a-f]+ .*\n)*)", frames):
    cols = m.group(3).split()
    rows = []
    for line in m.group(4).splitlines():
        f = line.split()
        rows.append((int(f[0], 16), dict(zip(cols, f[1:]))))
    fdes[int(m.group(1), 16)] = rows


def row_at(start, addr):
    rows = [r for loc, r in fdes.get(start, []) if loc <= addr]
    if not rows:
        fail("no unwind rules at 0x%x (FDE at 0x%x)" % (addr, start))
    return rows[-1]


REGS = ["rbp", "rbx", "r12", "r13", "r14", "r15", "ra"]
gcc = row_at(sched[0], jumps[0])
if gcc.get("CFA") != "rbp+16":
    fail("gcc's CFA for __schedule at the jump is %s, not rbp+16" % gcc.get("CFA"))
for name, (start, end) in (("linux26_switch_to", switch), ("thread_return", ret)):
    rows = fdes.get(start)
    if not rows:
        fail(name + " has no unwind rules")
    for loc, r in rows:
        for reg in REGS:
            if r.get(reg, "u") != gcc.get(reg, "u"):
                fail("%s+0x%x: %s saved at %s, gcc's __schedule at %s" % (name, loc - start, reg, r.get(reg, "u"), gcc.get(reg, "u")))
if fdes[switch[0]][0][1].get("CFA") != "rbp+16":
    fail("linux26_switch_to starts with CFA %s, not rbp+16" % fdes[switch[0]][0][1].get("CFA"))
print("ok: __schedule at 0x%x: CFA rbp+16, %s; the same in linux26_switch_to and thread_return" %
      (jumps[0], " ".join("%s %s" % (reg, gcc.get(reg, "u")) for reg in REGS)))
