#!/usr/bin/env python3
"""The GUI's reverse keys, pressed by the headless mode (--keys), undo what the
forward keys did: the dumped state (every CPU's registers, the switch log, the
task list with its saved frames, the Timeline panel's event list) after Shift+F6 twice from two switches further
on, after Ctrl+F11 twice from two steps on, and after Shift+F5 from the second
of two breakpoint hits, is the state dumped without them. Needs no display.

Usage: gui_reverse_keys.py SWITCHYARD KERNEL
"""
import json
import os
import subprocess
import sys
import tempfile


def state(sy, kernel, *args):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.json")
        r = subprocess.run([sy, "gui", kernel, "--smp", "2", "--mem", "64M", "--dump-state", path] + list(args),
                           capture_output=True, text=True, timeout=280)
        if r.returncode != 0:
            print("gui_reverse_keys: FAIL: gui %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
            sys.exit(1)
        s = json.load(open(path))
        return {k: s.get(k) for k in ("cpus", "switch_log", "tasks", "switch", "timeline")}


def same(sy, kernel, keys_back, keys_plain, what):
    a = state(sy, kernel, "--until-switch", "6", "--keys", keys_back)
    b = state(sy, kernel, "--until-switch", "6", "--keys", keys_plain) if keys_plain else \
        state(sy, kernel, "--until-switch", "6")
    if not a["timeline"] or not any(e["kind"] == "switch" for e in a["timeline"]):
        print("gui_reverse_keys: FAIL: %s: the dumped timeline has no switch" % what)
        sys.exit(1)
    for k in a:
        if a[k] != b[k]:
            print("gui_reverse_keys: FAIL: %s: '%s' differs:\n  back:  %s\n  plain: %s"
                  % (what, k, json.dumps(a[k])[:400], json.dumps(b[k])[:400]))
            sys.exit(1)


def main():
    sy, kernel = sys.argv[1:3]
    same(sy, kernel, "F6,F6,S-F6,S-F6", None, "Shift+F6 twice after F6 twice")
    same(sy, kernel, "F11,F11,C-F11,C-F11", None, "Ctrl+F11 twice after F11 twice")
    same(sy, kernel, "F11,F9,F5,F5,S-F5", "F11,F9,F5", "Shift+F5 after the second hit")
    print("gui_reverse_keys: ok: Shift+F6, Ctrl+F11 and Shift+F5 give back the state the forward keys left")


main()
