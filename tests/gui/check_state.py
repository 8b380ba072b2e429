#!/usr/bin/env python3
"""Checks what `switchyard gui --until-switch N --screenshot P --dump-state J
--dump-memory M` wrote against the machine, by paths that share no code with
the GUI's model:

  * the guest's memory, read from the raw dump M by frame_reader (its own
    descriptor scan, task walk and page walk, in C);
  * the kernel's symbols, from `nm` (binutils).

It checks that the switch in progress is stopped at the ret of __switch_to
(nm: RIP is inside __switch_to; the instruction there is a ret, per objdump),
that the ret_addr the model says it pops is the value at the stopped CPU's RSP
and the ret_addr saved in next's inactive_task_frame (both read from M), that
it symbolises to __schedule or ret_from_fork, that every switched-out task's
frame and the first frame of its backtrace are its saved ret_addr (from M),
and that the PNG is a real render: at least 1280x720, not blank, many colours.

Usage: check_state.py KERNEL FRAME_READER JSON PNG DUMP N
"""
import json
import struct
import subprocess
import sys
import zlib


def fail(msg):
    print("check_state: FAIL: " + msg)
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
    """The sized symbol containing addr, else the nearest label below it."""
    sized = [(a, name) for a, size, name in syms if size and a <= addr < a + size]
    if sized:
        return max(sized)[1]
    labels = [(a, name) for a, size, name in syms if not size and a <= addr]
    return max(labels)[1] if labels else None


def png_check(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(path + " is not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype != 2:
                fail("PNG is not 8-bit RGB")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if w < 1280 or h < 720:
        fail("PNG is %dx%d, less than 1280x720" % (w, h))
    raw = zlib.decompress(idat)
    stride = w * 3
    counts = {}
    prev = bytearray(stride)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride if ftype else 0):  # undo the PNG filters (RFC 2083 6.3)
            a = line[x - 3] if x >= 3 else 0
            b = prev[x]
            c = prev[x - 3] if x >= 3 else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        if y % 4 == 0:
            for x in range(0, stride, 12):
                px = bytes(line[x:x + 3])
                counts[px] = counts.get(px, 0) + 1
        prev = line
    total = sum(counts.values())
    top = max(counts.values())
    if len(counts) < 16:
        fail("PNG has only %d distinct colours: not a render of the panels" % len(counts))
    if top > 0.92 * total:
        fail("PNG is %.0f%% one colour: blank" % (100.0 * top / total))
    return w, h, len(counts)


def main():
    kernel, reader, jpath, png, dump, n = sys.argv[1:7]
    state = json.load(open(jpath))
    syms = symbols(kernel)
    tasks = {}
    out = subprocess.run([reader, dump], capture_output=True, text=True)
    if out.returncode != 0:
        fail("frame_reader: " + out.stderr.strip())
    for line in out.stdout.splitlines():
        t = json.loads(line)
        tasks[t["task"]] = t

    sw = state.get("switch")
    if not sw:
        fail("no switch in progress in the model")
    if not sw["at_ret"]:
        fail("the model is not at the ret of __switch_to")
    if len(state["switch_log"]) != int(n):
        fail("the switch log has %d switches, not %s" % (len(state["switch_log"]), n))
    cpu = state["cpus"][sw["cpu"]]
    rip, rsp, cr3 = cpu["rip"], cpu["regs"]["rsp"], cpu["cr3"]
    if symbol_of(syms, rip) != "__switch_to":
        fail("cpu%d's RIP %#x is in %s, not __switch_to" % (sw["cpu"], rip, symbol_of(syms, rip)))
    dis = subprocess.run(["objdump", "-d", "--start-address=%#x" % rip, "--stop-address=%#x" % (rip + 1), kernel],
                         capture_output=True, text=True).stdout
    if "\tret" not in dis:
        fail("the instruction at %#x is not a ret:\n%s" % (rip, dis))

    # What the CPU is about to pop, read from the dump through its own CR3.
    r = subprocess.run([reader, dump, "--read", str(cr3 & ~0xfff), str(rsp)], capture_output=True, text=True)
    if r.returncode != 0:
        fail(r.stderr.strip())
    popped = json.loads(r.stdout)["value"]
    nxt = tasks.get(sw["next_task"])
    if nxt is None:
        fail("next (task %#x) is not on the task list in the dump" % sw["next_task"])
    if nxt["frame"] is None:
        fail("next's thread.sp is not on its stack in the dump")
    if popped != nxt["ret_addr"]:
        fail("[RSP] = %#x but next's saved ret_addr is %#x" % (popped, nxt["ret_addr"]))
    if rsp != nxt["frame"] + 48:
        fail("RSP %#x is not next's thread.sp + 48 (%#x)" % (rsp, nxt["frame"] + 48))
    if sw["ret_addr"] != popped:
        fail("the model's ret_addr %#x differs from [RSP] %#x" % (sw["ret_addr"], popped))
    sym = symbol_of(syms, popped)
    if sym not in ("__schedule", "ret_from_fork"):
        fail("ret_addr %#x symbolises to %s, not __schedule or ret_from_fork" % (popped, sym))
    if not sw["ret_sym"].startswith(sym):
        fail("the model names ret_addr %s, nm says %s" % (sw["ret_sym"], sym))

    # Every switched-out task: frame and backtrace from its saved frame.
    checked = 0
    for t in state["tasks"]:
        mine = tasks.get(t["task_struct"])
        if mine is None:
            fail("task pid %d of the model is not in the dump's task list" % t["pid"])
        if not t["switched_out"] or mine["frame"] is None:
            continue
        f = t.get("frame")
        if f is None:
            fail("switched-out pid %d has no frame in the model" % t["pid"])
        if f["ret_addr"] != mine["ret_addr"] or f["rbp"] != mine["rbp"] or f["addr"] != mine["frame"]:
            fail("pid %d: the model's frame (ret_addr %#x rbp %#x at %#x) differs from the dump's (%#x %#x at %#x)" %
                 (t["pid"], f["ret_addr"], f["rbp"], f["addr"], mine["ret_addr"], mine["rbp"], mine["frame"]))
        if not t["backtrace"] or t["backtrace"][0]["pc"] != mine["ret_addr"]:
            fail("pid %d: the backtrace does not start at the saved ret_addr %#x" % (t["pid"], mine["ret_addr"]))
        if t["backtrace"][0]["sp"] != mine["frame"] + 56:
            fail("pid %d: frame #0's rsp is not thread.sp + sizeof(inactive_task_frame)" % t["pid"])
        if symbol_of(syms, mine["ret_addr"]) not in ("__schedule", "ret_from_fork"):
            fail("pid %d resumes at %#x (%s)" % (t["pid"], mine["ret_addr"], symbol_of(syms, mine["ret_addr"])))
        slot = [s for s in t["slots"] if s["addr"] == mine["frame"] + 48]
        if not slot or slot[0].get("field") != "ret_addr" or slot[0]["value"] != mine["ret_addr"]:
            fail("pid %d: the ret_addr slot is not labelled with the saved value" % t["pid"])
        checked += 1
    if checked < 2:
        fail("only %d switched-out tasks to check" % checked)
    w, h, colours = png_check(png)
    print("check_state: ok: switch %s on cpu%d, pid %d -> pid %d pops %#x (%s); %d switched-out tasks match the dump; "
          "PNG %dx%d, %d colours" % (n, sw["cpu"], sw["prev_pid"], sw["next_pid"], popped, sym, checked, w, h, colours))


main()
