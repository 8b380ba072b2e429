#!/usr/bin/env python3
"""The GUI's switch log under --timing detailed (docs/timing.md, "The GUI"):
every completed switch in the model's JSON carries its cost, the parts add up
to its cycles, and the RSB's verdict on the ret of __switch_to follows from
where the ret went: wrong into ret_from_fork (a forked task's frame), right
into __schedule (every task that ran before saved the same ret_addr).
    check_switch_cost.py STATE.json N   (the GUI stopped at switch N's ret)"""
import json
import sys

state = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
log = sorted(state["switch_log"], key=lambda r: r["cycle"])
bad = []
if len(log) != n:
    bad.append(f"{len(log)} switches in the log, expected {n}")
for i, r in enumerate(log, 1):
    cost = r.get("cost")
    if i == n:  # stopped at its ret: next's first instruction has not issued
        if cost is not None:
            bad.append(f"switch {i}: has a cost before its ret ran")
        continue
    if cost is None:
        bad.append(f"switch {i}: no cost")
        continue
    total = sum(cost["parts"].values())
    if total != cost["cycles"]:
        bad.append(f"switch {i}: parts add up to {total}, cycles {cost['cycles']}")
    want = not r["ret_sym"].startswith("ret_from_fork")
    if cost["ret"]["correct"] != want:
        bad.append(f"switch {i} into {r['ret_sym']}: RSB correct={cost['ret']['correct']}, expected {want}")
    if cost["ret"]["actual"] != r["ret_addr"]:
        bad.append(f"switch {i}: the ret went to {cost['ret']['actual']:#x}, the log says {r['ret_addr']:#x}")
    print(f"switch {i}: {cost['cycles']} cycles into {r['ret_sym']}, RSB {'right' if cost['ret']['correct'] else 'wrong'}")
for b in bad:
    print("FAIL", b)
sys.exit(1 if bad else 0)
