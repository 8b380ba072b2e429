#!/usr/bin/env python3
"""Checks, for one switch model of the guest kernel (include/switch_model.h),
what `switchyard gui --until-switch N --dump-state J --dump-memory M
--append switch=MODEL` wrote, against paths that share no code with the GUI's
model: the raw dump M read by frame_reader (its own descriptor scan, task walk
and page walk, in C) and the kernel's symbols from nm and objdump (binutils).

  * the model JSON names MODEL, and so does the kernel's switch_model in M;
  * the switch is stopped at a `ret` (objdump) of the model's end routine
    (nm: __switch_to for linux and linux26, swtch for xv6, spl0 for solaris),
    and the value at RSP, read from M, is next's resume point: its
    inactive_task_frame.ret_addr (M) for linux, thread_return (nm) for linux26,
    its saved context.rip (M) for xv6, its label_t pc (M) for solaris; RSP is
    where the model keeps it;
  * no task the model calls switched out is one whose switch saved nothing
    (solaris: a dead task, gone through resume_from_zombie);
  * every switched-out task's first frame is its model's resume point, with
    the RSP the model resumes it with, and (for a task that ran before) the
    second frame is the return address M holds where the model says;
  * xv6: each CPU's scheduler thread resumes inside scheduler().

Usage: check_model_state.py MODEL KERNEL FRAME_READER JSON DUMP N
(check_compare_state.py imports check() for each side of `gui --compare`.)
"""
import json
import subprocess
import sys

END = {"linux": "__switch_to", "linux26": "__switch_to", "xv6": "swtch", "solaris": "spl0", "i386": "__switch_to"}
# Where a switched-out task that ran before resumes, by nm, and who it returns to.
# i386: thread.ip = switch_to's `1:` (switch_to_resume), a label inside __schedule.
RESUME = {"linux": ("__schedule",), "linux26": ("thread_return",), "xv6": ("sched",), "solaris": ("resume_return",),
          "i386": ("__schedule",)}
# Where a task that never ran starts.
NEW = {"i386": ("ret_from_fork", "ret_from_kernel_thread")}


def fail(msg):
    print("check_model_state: FAIL: " + msg)
    sys.exit(1)


def symbols(kernel):
    out = subprocess.run(["nm", "-S", "--defined-only", kernel], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tTwW":
            syms.append((int(f[0], 16), int(f[1], 16), f[3]))
        elif len(f) == 3 and f[1] in "tT":
            syms.append((int(f[0], 16), 0, f[2]))
    return syms


def symbol_of(syms, addr):
    """The innermost sized symbol containing addr, else the nearest label below it."""
    sized = [(a, name) for a, size, name in syms if size and a <= addr < a + size]
    if sized:
        return max(sized)[1]
    labels = [(a, name) for a, size, name in syms if not size and a <= addr]
    return max(labels)[1] if labels else None


def address_of(syms, name):
    for a, size, n in syms:
        if n == name:
            return a
    fail("nm has no symbol " + name)


def check(model, kernel, reader, state, dump, n):
    """Checks one machine's model JSON `state` (a dict) against its RAM dump;
    returns the line to print, or fails."""
    syms = symbols(kernel)
    out = subprocess.run([reader, dump], capture_output=True, text=True)
    if out.returncode != 0:
        fail("frame_reader: " + out.stderr.strip())
    tasks, schedulers = {}, []
    for line in out.stdout.splitlines():
        t = json.loads(line)
        if "scheduler_cpu" in t:
            schedulers.append(t)
        else:
            tasks[t["task"]] = t
            if t["model"] != model:
                fail("the kernel's switch_model in the dump is %s, not %s" % (t["model"], model))
    if state.get("switch_model") != model:
        fail("the model JSON names switch model %r, not %s" % (state.get("switch_model"), model))

    sw = state.get("switch")
    if not sw or not sw["at_ret"]:
        fail("the model is not stopped at the end of a switch")
    if len(state["switch_log"]) != int(n):
        fail("the switch log has %d switches, not %s" % (len(state["switch_log"]), n))
    cpu = state["cpus"][sw["cpu"]]
    rip, rsp, cr3 = cpu["rip"], cpu["regs"]["rsp"], cpu["cr3"] & ~0xfff
    if symbol_of(syms, rip) != END[model]:
        fail("cpu%d's RIP %#x is in %s, not %s" % (sw["cpu"], rip, symbol_of(syms, rip), END[model]))
    dis = subprocess.run(["objdump", "-d", "--start-address=%#x" % rip, "--stop-address=%#x" % (rip + 1), kernel],
                         capture_output=True, text=True).stdout
    if "\tret" not in dis:
        fail("the instruction at %#x is not a ret:\n%s" % (rip, dis))

    def read(va):
        r = subprocess.run([reader, dump, "--read", str(cr3), str(va)], capture_output=True, text=True)
        if r.returncode != 0:
            fail(r.stderr.strip())
        return json.loads(r.stdout)["value"]

    def expected_pc(t):
        """The model's resume PC of task t, from the dump (or nm, for linux26)."""
        return address_of(syms, "thread_return") if model == "linux26" else t["resume_pc"]

    nxt = tasks.get(sw["next_task"])
    if nxt is None:
        fail("next (task %#x) is not on the task list in the dump" % sw["next_task"])
    popped = read(rsp)
    if popped != expected_pc(nxt):
        fail("[RSP] = %#x (%s) but next's resume point is %#x" % (popped, symbol_of(syms, popped), expected_pc(nxt)))
    if rsp != nxt["end_rsp"]:
        fail("RSP %#x is not where the %s model keeps next's resume PC (%#x)" % (rsp, model, nxt["end_rsp"]))
    if sw["ret_addr"] != popped:
        fail("the model's ret_addr %#x differs from [RSP] %#x" % (sw["ret_addr"], popped))

    checked = 0
    for t in state["tasks"]:
        mine = tasks.get(t["task_struct"])
        if mine is None:
            fail("task pid %d of the model is not in the dump's task list" % t["pid"])
        if t["switched_out"] and mine["unsaved"]:
            fail("pid %d is dead and the %s model saved nothing when it switched away, yet the model calls it "
                 "switched out (resuming at %s)" % (t["pid"], model, t["backtrace"][0]["sym"] if t["backtrace"] else "?"))
        if not t["switched_out"] or t["task_struct"] == sw["next_task"] or not mine["stack"]:
            continue
        if not (mine["stack"] <= mine["resume_sp"] < mine["stack"] + 16384):
            continue
        if model == "i386" and not mine["never_ran"] and symbol_of(syms, mine["resume_pc"]) == "__schedule" and \
                mine["resume_pc"] != address_of(syms, "switch_to_resume"):
            fail("pid %d resumes at %#x, in __schedule but not at switch_to's 1: (switch_to_resume)" %
                 (t["pid"], mine["resume_pc"]))
        bt = t["backtrace"]
        pc = expected_pc(mine)
        name = symbol_of(syms, pc)
        if mine["never_ran"]:
            if model != "linux26" and name not in NEW.get(model, ("ret_from_fork",)):
                fail("pid %d never ran but resumes at %s" % (t["pid"], name))
        elif name not in RESUME[model]:
            fail("pid %d resumes at %#x (%s), not %s" % (t["pid"], pc, name, " or ".join(RESUME[model])))
        if not bt or bt[0]["pc"] != pc:
            fail("pid %d: the backtrace starts at %s, not the %s model's resume point %#x (%s)" %
                 (t["pid"], bt[0]["sym"] if bt else "nothing", model, pc, name))
        if bt[0]["sp"] != mine["resume_sp"]:
            fail("pid %d: frame #0's rsp %#x is not the rsp it resumes with, %#x" % (t["pid"], bt[0]["sp"], mine["resume_sp"]))
        if not mine["never_ran"]:
            word = 4 if model == "i386" else 8  # the return address is above the saved frame pointer
            caller = mine["caller_ret"] if model == "solaris" else read(mine["resume_rbp"] + word)
            if len(bt) < 2 or bt[1]["pc"] != caller:
                fail("pid %d: frame #1 is %s, not %#x (%s) from the dump" %
                     (t["pid"], bt[1]["sym"] if len(bt) > 1 else "missing", caller, symbol_of(syms, caller)))
            if model in ("xv6", "solaris") and symbol_of(syms, caller) != "__schedule":
                fail("pid %d: frame #1 %#x is in %s, not __schedule" % (t["pid"], caller, symbol_of(syms, caller)))
        checked += 1
    if checked < 2:
        fail("only %d switched-out tasks to check" % checked)

    if model == "xv6":
        got = {s["cpu"]: s for s in state.get("scheduler_threads", [])}
        live = [s for s in schedulers if s["context"]]
        if not live:
            fail("no CPU's scheduler thread has a saved context in the dump")
        for s in live:
            if symbol_of(syms, s["rip"]) != "scheduler":
                fail("cpu%d's scheduler thread resumes at %#x (%s), not in scheduler()" %
                     (s["scheduler_cpu"], s["rip"], symbol_of(syms, s["rip"])))
            m = got.get(s["scheduler_cpu"])
            if not m or m["context"] != s["context"] or m.get("rip") != s["rip"]:
                fail("cpu%d's scheduler thread in the model differs from the dump" % s["scheduler_cpu"])
    return ("%s, switch %s on cpu%d, pid %d -> pid %d pops %#x (%s) at the ret of %s; "
            "%d switched-out tasks resume where the model says" %
            (model, n, sw["cpu"], sw["prev_pid"], sw["next_pid"], popped, symbol_of(syms, popped), END[model], checked))


def main():
    model, kernel, reader, jpath, dump, n = sys.argv[1:7]
    print("check_model_state: ok: " + check(model, kernel, reader, json.load(open(jpath)), dump, n))


if __name__ == "__main__":
    main()
