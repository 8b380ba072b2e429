#!/usr/bin/env python3
"""Validates a `switchyard run --trace` file (Chrome trace-event JSON) on its own
terms and against the kernel's own counts.

    check_trace.py TRACE.json SERIAL.txt      check a trace; SERIAL is the run's
                                              serial output with the kernel's
                                              `schedstat:` lines (--append schedstat)
    check_trace.py --self-test TRACE.json SERIAL.txt
                                              check it, then break copies of it in
                                              known ways and require each to fail

What it checks (no code shared with switchyard):
  - the file parses as JSON, has a traceEvents list, and every event has the
    fields its phase needs (X: ts, dur >= 0; i: ts, s; B/E: ts; M: args);
  - per track (pid, tid): B/E pairs match, and B/E and X slices nest: each one
    either lies inside the innermost open one or starts after it has ended;
  - per track, the task stretches (cat "task") do not overlap, and every
    interrupt, exception and syscall slice lies inside a stretch;
  - each switch instant sits where one stretch ends and the next begins, and its
    prev/next are those two stretches' tasks (by pid);
  - per CPU, the switch instants number exactly what the kernel counted in
    rq->nr_switches, the syscall slices (their first parts: "resumed" ones
    continue a syscall after a switch) what it counted in do_syscall_64, and the
    interrupt slices of vectors >= 32 what do_IRQ counted. The kernel's counts
    come from the serial output, printed by the guest at power-off: they are
    independent of the emulator's observation that produced the trace.
"""
import bisect
import copy
import json
import re
import sys

failures = []


def fail(msg):
    failures.append(msg)


def ns(us):
    # Microseconds with three decimals in the file; compare whole nanoseconds.
    return int(round(float(us) * 1000))


def tracks_of(events):
    tracks = {}
    for k, e in enumerate(events):
        if e.get("ph") in ("X", "B", "E", "i", "I"):
            tracks.setdefault((e.get("pid"), e.get("tid")), []).append((k, e))
    return tracks


def check_fields(events):
    for k, e in enumerate(events):
        ph = e.get("ph")
        if not isinstance(e, dict) or ph is None:
            fail(f"event {k}: not an object with ph")
            continue
        if ph == "M":
            if "args" not in e or "name" not in e:
                fail(f"event {k}: metadata without name/args")
            continue
        for f in ("name", "pid", "tid", "ts"):
            if f not in e:
                fail(f"event {k} ({ph}): no {f}")
        if ph == "X" and (not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0):
            fail(f"event {k}: X without a dur >= 0")
        if ph in ("i", "I") and e.get("s") not in ("t", "p", "g"):
            fail(f"event {k}: instant without scope s")
        if ph not in ("X", "B", "E", "i", "I", "M"):
            fail(f"event {k}: unexpected phase {ph}")


def slices_of(track):
    """(begin_ns, end_ns, index, event) for X events and matched B/E pairs."""
    out, stack = [], []
    for k, e in sorted(track, key=lambda ke: (ns(ke[1]["ts"]), ke[0])):
        ph = e["ph"]
        if ph == "X":
            b = ns(e["ts"])
            out.append((b, b + ns(e["dur"]), k, e))
        elif ph == "B":
            stack.append((k, e))
        elif ph == "E":
            if not stack:
                fail(f"event {k}: E without a B on track {e.get('pid')}/{e.get('tid')}")
                continue
            kb, eb = stack.pop()
            out.append((ns(eb["ts"]), ns(e["ts"]), kb, eb))
    for kb, eb in stack:
        fail(f"event {kb}: B without an E")
    return out


def check_nesting(key, slices):
    # Parents first: by begin, then the longer one, then file order.
    open_ = []
    for b, e, k, ev in sorted(slices, key=lambda s: (s[0], -(s[1] - s[0]), s[2])):
        while open_ and open_[-1][1] <= b:
            open_.pop()
        if open_ and e > open_[-1][1]:
            p = open_[-1]
            fail(f"track {key}: '{ev['name']}' [{b}, {e}] ns overlaps '{p[3]['name']}' [{p[0]}, {p[1]}] ns "
                 f"without nesting in it (events {k} and {p[2]})")
            continue
        open_.append((b, e, k, ev))


def check_tasks(key, slices, instants):
    stretches = sorted([s for s in slices if s[3].get("cat") == "task"], key=lambda s: (s[0], s[1]))
    for a, b in zip(stretches, stretches[1:]):
        if b[0] < a[1]:
            fail(f"track {key}: stretches '{a[3]['name']}' [{a[0]}, {a[1]}] and '{b[3]['name']}' [{b[0]}, {b[1]}] overlap")
    begins = [s[0] for s in stretches]
    for b, e, k, ev in slices:
        if ev.get("cat") == "task":
            continue
        j = bisect.bisect_right(begins, b) - 1
        # A slice of zero length at a boundary may belong to either side.
        inside = any(stretches[i][0] <= b and e <= stretches[i][1] for i in (j, j - 1) if 0 <= i < len(stretches))
        if not inside:
            fail(f"track {key}: '{ev['name']}' [{b}, {e}] ns (event {k}) is in no task stretch")
    ends = {}
    starts = {}
    for s in stretches:
        ends.setdefault(s[1], []).append(s[3])
        starts.setdefault(s[0], []).append(s[3])
    # By pid: a task's name may change inside its stretch (execve), and the
    # stretch is named as it was when it ended.
    def pid_of(text):
        m = re.match(r"pid (-?\d+)", text or "")
        return int(m.group(1)) if m else None

    for k, ev in instants:
        t = ns(ev["ts"])
        args = ev.get("args", {})
        before = [s["args"].get("pid") for s in ends.get(t, [])]
        after = [s["args"].get("pid") for s in starts.get(t, [])]
        if pid_of(args.get("prev")) not in before or pid_of(args.get("next")) not in after:
            fail(f"track {key}: switch at {t} ns (event {k}) {args.get('prev')} -> {args.get('next')}, but the "
                 f"stretches there are of pids {before} -> {after}")


def kernel_counts(serial_path):
    counts = {}
    pat = re.compile(r"schedstat: cpu(\d+) apic (\d+) switches (\d+) syscalls (\d+) irqs (\d+)")
    with open(serial_path, errors="replace") as f:
        for line in f:
            m = pat.search(line)
            if m:
                apic = int(m.group(2))
                counts[apic] = {"switches": int(m.group(3)), "syscalls": int(m.group(4)), "irqs": int(m.group(5))}
    return counts


def check(trace_text, serial_path, quiet=False):
    failures.clear()
    try:
        doc = json.loads(trace_text)
    except ValueError as e:
        fail(f"does not parse: {e}")
        return list(failures)
    events = doc.get("traceEvents") if isinstance(doc, dict) else doc
    if not isinstance(events, list) or not events:
        fail("no traceEvents list")
        return list(failures)
    check_fields(events)
    if failures:
        return list(failures)
    names = {}
    for e in events:
        if e["ph"] == "M" and e["name"] == "thread_name":
            names[(e["pid"], e["tid"])] = e["args"]["name"]
    seen = {}
    for key, track in tracks_of(events).items():
        slices = slices_of(track)
        check_nesting(key, slices)
        instants = [(k, e) for k, e in track if e["ph"] in ("i", "I") and e.get("cat") == "switch"]
        check_tasks(key, slices, instants)
        m = re.fullmatch(r"cpu (\d+)", names.get(key, ""))
        if not m:
            fail(f"track {key} has no 'cpu N' thread name")
            continue
        cpu = int(m.group(1))
        seen[cpu] = {
            "switches": len(instants),
            "syscalls": sum(1 for s in slices if s[3].get("cat") == "syscall" and not s[3]["args"].get("resumed")),
            "irqs": sum(1 for s in slices if s[3].get("cat") == "interrupt" and s[3]["args"].get("vector", 0) >= 32
                        and not s[3]["args"].get("resumed")),
        }
    kernel = kernel_counts(serial_path)
    if not kernel:
        fail(f"{serial_path}: no schedstat lines (boot with --append schedstat)")
    # Machine CPU n has APIC ID n (docs/machine.md).
    for apic, want in sorted(kernel.items()):
        got = seen.get(apic, {"switches": 0, "syscalls": 0, "irqs": 0})
        for what in ("switches", "syscalls", "irqs"):
            if got[what] != want[what]:
                fail(f"cpu {apic}: the trace has {got[what]} {what}, the kernel counted {want[what]}")
    if not quiet and not failures:
        total = {w: sum(c[w] for c in seen.values()) for w in ("switches", "syscalls", "irqs")}
        print(f"check_trace: ok: {len(events)} events on {len(seen)} CPUs; {total['switches']} switches, "
              f"{total['syscalls']} syscalls, {total['irqs']} interrupts, as the kernel counted them")
    return list(failures)


def self_test(text, serial_path):
    """Each broken copy must fail, with the failure it was broken for."""
    doc = json.loads(text)
    evs = doc["traceEvents"]
    idx = {c: [k for k, e in enumerate(evs) if e.get("cat") == c] for c in ("switch", "task", "syscall", "interrupt")}

    def broken(change):
        d = copy.deepcopy(doc)
        change(d["traceEvents"])
        return json.dumps(d)

    def drop_switch(ev):
        del ev[idx["switch"][len(idx["switch"]) // 2]]

    def duplicate_switch(ev):
        k = idx["switch"][len(idx["switch"]) // 2]
        ev.insert(k, copy.deepcopy(ev[k]))

    def overlap_stretches(ev):
        # A stretch that runs past its successor's begin (and past its slices' ends).
        k = idx["task"][len(idx["task"]) // 2]
        ev[k]["dur"] = ev[k]["dur"] * 3 + 50

    def slice_outlives_parent(ev):
        for k in idx["syscall"]:
            if ev[k]["dur"] > 0:
                ev[k]["dur"] = ev[k]["dur"] + 1e6
                return

    def unmatched_begin(ev):
        e = copy.deepcopy(ev[idx["interrupt"][0]])
        e["ph"] = "B"
        del e["dur"]
        ev.append(e)

    cases = [
        ("truncated file", text[: len(text) // 2], "does not parse"),
        ("a switch dropped", broken(drop_switch), "switches, the kernel counted"),
        ("a switch twice", broken(duplicate_switch), "switches, the kernel counted"),
        ("overlapping stretches", broken(overlap_stretches), "overlap"),
        ("a syscall ending after its stretch", broken(slice_outlives_parent), "without nesting"),
        ("a B without an E", broken(unmatched_begin), "B without an E"),
    ]
    bad = 0
    for what, t, expect in cases:
        got = check(t, serial_path, quiet=True)
        if not any(expect in g for g in got):
            print(f"self-test: {what}: expected a failure containing '{expect}', got {got[:3]}")
            bad += 1
        else:
            print(f"self-test: {what}: rejected ({[g for g in got if expect in g][0][:100]})")
    return bad


def main():
    args = sys.argv[1:]
    selftest = args[:1] == ["--self-test"]
    if selftest:
        args = args[1:]
    if len(args) != 2:
        print(__doc__)
        return 2
    with open(args[0]) as f:
        text = f.read()
    got = check(text, args[1])
    for g in got[:20]:
        print("check_trace: " + g)
    if got:
        return 1
    if selftest and self_test(text, args[1]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
