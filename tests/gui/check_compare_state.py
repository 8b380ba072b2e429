#!/usr/bin/env python3
"""Checks what `switchyard gui --compare A,B --until-switch N --dump-state J
--dump-memory M` wrote: J is {"compare": [A, B], "sides": [...]}, side k names
its model, and each side, with its own RAM dump M.A or M.B, passes
check_model_state.check() (each sleeping task's first frame is that model's
resume point, read from the dump by frame_reader, not from switchyard's model).

Usage: check_compare_state.py A,B KERNEL FRAME_READER JSON DUMP N
"""
import json
import sys

from check_model_state import check


def fail(msg):
    print("check_compare_state: FAIL: " + msg)
    sys.exit(1)


def main():
    pair, kernel, reader, jpath, dump, n = sys.argv[1:7]
    models = pair.split(",")
    state = json.load(open(jpath))
    if state.get("compare") != models:
        fail("the JSON's compare is %r, not %r" % (state.get("compare"), models))
    sides = state.get("sides", [])
    if len(sides) != 2:
        fail("%d sides in the JSON, not 2" % len(sides))
    for model, side in zip(models, sides):
        if side.get("switch_model") != model:
            fail("the side for %s names switch model %r" % (model, side.get("switch_model")))
        print("check_compare_state: ok: " + check(model, kernel, reader, side, dump + "." + model, n))


main()
