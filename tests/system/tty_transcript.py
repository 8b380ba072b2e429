#!/usr/bin/env python3
"""Typing at the bundled kernel's shell on a terminal, as QEMU's -nographic
gives it: the same pseudo-terminal driver runs `switchyard run --append sh`
and `qemu-system-x86_64 -nographic -append sh` on the same kernel, waits for
the shell's prompt, types "hellp", a backspace (DEL) and "o x", Enter, one
byte at a time (each after the guest's answer to the one before), waits for
the program's reply and quits with C-a x. The oracle is QEMU: what the
terminal shows from the prompt to the reply must be the same bytes under
both. On a terminal left in canonical mode with echo, the host echoes each
character and the guest echoes the line again when it arrives at Enter, so
the line shows twice. The terminal's settings must be the same after the run
as before it.
  tty_transcript.py SWITCHYARD QEMU KERNEL
"""
import os
import select
import subprocess
import sys
import termios

sy, qemu, kernel = sys.argv[1:4]
TYPED = b"hellp\x7fo x\r"
REPLY = b"hello from pid"
PROMPT = b"\n$ "
HANG = 120  # seconds: only a guard against a run that never answers


def fail(msg):
    print("tty_transcript: FAIL: " + msg)
    sys.exit(1)


def drive(name, argv, expect=None):
    """Runs argv on a new pseudo-terminal; returns (transcript from the
    prompt to the reply, terminal settings before, settings after). With
    `expect`, a different transcript fails at once (C-a x might not reach a
    terminal left in canonical mode)."""
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, close_fds=True)
    out = b""

    def more(what):
        nonlocal out
        r, _, _ = select.select([master], [], [], HANG)
        if not r:
            p.kill()
            fail("%s: nothing more while waiting for %s; so far: %r" % (name, what, out[-400:]))
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b""
        if not data:
            fail("%s: the terminal closed while waiting for %s; so far: %r" % (name, what, out[-400:]))
        out += data

    while PROMPT not in out:
        more("the prompt")
    start = out.rindex(PROMPT) + 1
    for b in TYPED:
        seen = len(out)
        os.write(master, bytes([b]))
        while len(out) == seen:  # the guest's echo (or the host's)
            more("an answer to %r" % bytes([b]))
    while REPLY not in out[start:]:
        more("the program's reply")
    transcript = out[start:out.index(REPLY, start)]
    if expect is not None and transcript != expect:
        p.kill()
        p.wait()
        fail("the terminal shows %r under %s, %r under QEMU" % (transcript, name, expect))
    os.write(master, b"\x01x")
    p.wait(timeout=HANG)  # what it prints on the way out fits in the terminal's buffer
    after = termios.tcgetattr(slave)
    os.close(master)
    os.close(slave)
    return transcript, before, after


theirs, before_q, after_q = drive("qemu", [qemu, "-kernel", kernel, "-smp", "2", "-nographic", "-no-reboot",
                                            "-append", "sh"])
if before_q != after_q:
    fail("QEMU left the terminal changed (the driver is wrong)")
ours, before, after = drive("switchyard", [sy, "run", kernel, "--smp", "2", "--append", "sh"], theirs)
if before != after:
    fail("switchyard left the terminal changed: %r -> %r" % (before, after))
print("tty_transcript: ok: %r under both; the terminal's settings restored" % ours)
