#!/usr/bin/env python3
"""The GUI's debugger keys, pressed by the headless mode (--keys), do what
docs/gui.md says: F11 at the ret of __switch_to lands at the ret_addr the
switch log recorded; F9 there and F5 stop at that address again, on the next
switch back into __schedule; Shift+F11 from there returns to frame #1 of the
backtrace the model gave next while it was switched out;
F10 over a call comes back to the next instruction. Needs no display
(--dump-state only).

Usage: keys.py SWITCHYARD KERNEL
"""
import json
import os
import subprocess
import sys
import tempfile


def state(sy, kernel, *args):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.json")
        r = subprocess.run([sy, "gui", kernel, "--smp", "1", "--mem", "64M", "--dump-state", path] + list(args),
                           capture_output=True, text=True, timeout=280)
        if r.returncode != 0:
            print("keys: FAIL: gui %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
            sys.exit(1)
        return json.load(open(path))


def check(cond, msg):
    if not cond:
        print("keys: FAIL: " + msg)
        sys.exit(1)


def main():
    sy, kernel = sys.argv[1:3]
    at_ret = state(sy, kernel, "--until-switch", "6")
    check(at_ret["switch"] and at_ret["switch"]["at_ret"], "--until-switch 6 is not at the ret of __switch_to")
    target = at_ret["switch"]["ret_addr"]

    landed = state(sy, kernel, "--until-switch", "6", "--keys", "F11")
    cpu = landed["cpus"][0]
    check(cpu["rip"] == target, "F11 at the ret went to %#x, not the ret_addr %#x" % (cpu["rip"], target))
    check(landed["switch"] is None, "the switch is still in progress after its ret")
    check(cpu["regs"]["rsp"] == at_ret["switch"]["rsp"] + 8, "RSP after the ret is not the ret_addr slot + 8")

    again = state(sy, kernel, "--until-switch", "6", "--keys", "F11,F9,F5")
    cpu = again["cpus"][0]
    check(cpu["rip"] == target, "F9 then F5 stopped at %#x, not at the breakpoint %#x" % (cpu["rip"], target))
    check(len(again["switch_log"]) > 6, "F5 did not run on to another switch")

    nxt = [t for t in at_ret["tasks"] if t["task_struct"] == at_ret["switch"]["next_task"]][0]
    caller = nxt["backtrace"][1]
    out = state(sy, kernel, "--until-switch", "6", "--keys", "F11,S-F11")
    cpu = out["cpus"][0]
    check(cpu["rip"] == caller["pc"] and cpu["regs"]["rsp"] == caller["sp"],
          "Shift+F11 from __schedule went to %s (rsp %#x), not to next's frame #1 %s (rsp %#x)"
          % (cpu["rip_sym"], cpu["regs"]["rsp"], caller["sym"], caller["sp"]))

    # F11 until a call (at most 40), then F10: back at the next instruction.
    for n in range(1, 40):
        s = state(sy, kernel, "--until-switch", "6", "--keys", ",".join(["F11"] * (n + 1)))
        rip = s["cpus"][0]["rip"]
        dis = subprocess.run(["objdump", "-d", "--start-address=%#x" % rip, "--stop-address=%#x" % (rip + 16), kernel],
                             capture_output=True, text=True).stdout.splitlines()
        line = next((l for l in dis if l.strip().startswith("%x:" % rip)), "")
        if "\tcall" in line:
            length = len(line.split("\t")[1].split())
            over = state(sy, kernel, "--until-switch", "6", "--keys", ",".join(["F11"] * (n + 1) + ["F10"]))
            c = over["cpus"][0]
            check(c["rip"] == rip + length, "F10 over the call at %#x stopped at %#x" % (rip, c["rip"]))
            check(c["regs"]["rsp"] == s["cpus"][0]["regs"]["rsp"], "F10 came back on another stack position")
            print("keys: ok: F11 lands at %#x, F9+F5 stop there again, Shift+F11 returns into %s, F10 steps over %s"
                  % (target, out["cpus"][0]["rip_sym"], line.split("\t")[-1].strip()))
            return
    check(False, "no call within 40 instructions of the switch")


main()
