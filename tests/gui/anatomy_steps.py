#!/usr/bin/env python3
"""The Switch anatomy panel's steps for one switch model (emu/debug/anatomy.h):
what `gui --dump-state` and `--dump-steps` say, against objdump and nm.

  * the model's steps begin where the kernel's code does what each step
    names: the first instruction of each step, disassembled by objdump, is the
    one the model's own source says (switch_to.S, switch_to_linux26.h,
    swtch.S, resume.S: a push of RBP, the store of RSP, the load of RSP, the
    call or jump to __switch_to, the `ret` that ends the switch) and lies in
    the routine nm names;
  * stepping one instruction at a time (F11) from the first step's address
    visits every step once, in order, up to next's landing, and the switch
    log grows by one at the landing: the steps follow what the guest
    executes, whatever the step count inside __switch_to and its callees;
  * whenever the panel shows a switch in progress on the way, it is this
    switch (prev and next as the log records it at the landing), never the
    previous one (xv6 enters swtch before its switch begins at __switch_to).

Runs `--smp 1 --append "switch=MODEL spin 2 400"` from the 11th switch (no
display needed).

Usage: anatomy_steps.py MODEL SWITCHYARD KERNEL
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from check_model_state import address_of, symbol_of, symbols

# Per model, per step: the routine its first instruction is in (nm), and that
# instruction as objdump prints it (a regular expression), from the source.
EXPECT = {
    "linux": [
        ("__schedule", r"call\s.*<__switch_to_asm>"),
        ("__switch_to_asm", r"push\s+%rbp"),
        ("__switch_to_asm", r"mov\s+%rsp,0x[0-9a-f]+\(%rdi\)"),
        ("__switch_to_asm", r"mov\s+0x[0-9a-f]+\(%rsi\),%rbx"),  # next's stack canary
        ("__switch_to_asm", r"jmp\s.*<__switch_to>"),
        ("__switch_to", r"ret"),
        ("__schedule", None),  # the instruction after the call of step 1
    ],
    "linux26": [
        ("linux26_switch_to", r"pushf"),
        ("linux26_switch_to", r"mov\s+%rsp,0x[0-9a-f]+\(%rdi\)"),
        ("linux26_switch_to", r"mov\s+0x[0-9a-f]+\(%rsi\),%rsp"),
        ("linux26_switch_to", r"call\s.*<__switch_to>"),
        ("__switch_to", r"ret"),
        ("thread_return", r"mov\s+%gs:"),
        ("thread_return", r"mov\s+%rbp,%rsi"),
    ],
    "xv6": [
        ("sched", r"call\s.*<swtch>"),
        ("swtch", r"push\s+%rbp"),
        ("swtch", r"mov\s+%rsp,\(%rdi\)"),
        ("swtch", r"pop\s+%r15"),
        ("scheduler", None),
        ("scheduler", r"call\s.*<swtch>"),
        ("swtch", r"push\s+%rbp"),
        ("swtch", r"mov\s+%rsp,\(%rdi\)"),
        ("swtch", r"pop\s+%r15"),
        ("swtch", r"ret"),
        ("sched", None),
    ],
    "solaris": [
        ("__schedule", r"call\s.*<resume>"),
        ("resume", r"lea\s.*<resume_return>"),
        ("resume", r"mov\s+0x[0-9a-f]+\(%r11\),%rsp"),
        ("resume", r"call\s.*<__switch_to>"),
        ("resume", r"mov\s+%gs:"),  # RESTORE_REGS: current_task
        ("spl0", r"xor"),
        ("spl0", r"ret"),
        ("resume_return", r"add\s+\$0x8,%rsp"),
        ("__schedule", None),
    ],
}


def fail(msg):
    print("anatomy_steps: FAIL: " + msg)
    sys.exit(1)


def gui(sy, kernel, model, *args):
    r = subprocess.run([sy, "gui", kernel, "--smp", "1", "--mem", "64M", "--append", "switch=%s spin 2 400" % model,
                        "--until-switch", "11"] + list(args), capture_output=True, text=True, timeout=280)
    if r.returncode != 0:
        fail("gui %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))


def instruction(kernel, addr):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "--start-address=%#x" % addr,
                          "--stop-address=%#x" % (addr + 16), kernel], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.strip().startswith("%x:" % addr):
            return line.split(":", 1)[1].strip()
    fail("objdump shows no instruction at %#x" % addr)


def main():
    model, sy, kernel = sys.argv[1:4]
    syms = symbols(kernel)
    with tempfile.TemporaryDirectory() as d:
        gui(sy, kernel, model, "--dump-state", os.path.join(d, "s.json"))
        anatomy = json.load(open(os.path.join(d, "s.json")))["anatomy"]
        if anatomy["model"] != model:
            fail("the anatomy is of model %r, not %s" % (anatomy["model"], model))
        steps = anatomy["steps"]
        expect = EXPECT[model]
        if len(steps) != len(expect):
            fail("%d steps, not the %d of the %s model: %s" % (len(steps), len(expect), model, [s["name"] for s in steps]))
        for n, (step, (routine, insn)) in enumerate(zip(steps, expect)):
            start = step["ranges"][0][0]
            if symbol_of(syms, start) != routine:
                fail("step %d (%s) begins at %#x, in %s, not %s" % (n + 1, step["name"], start, symbol_of(syms, start), routine))
            if insn and not re.match(insn, instruction(kernel, start)):
                fail("step %d (%s) begins at %#x with `%s`, not /%s/" % (n + 1, step["name"], start,
                                                                       instruction(kernel, start), insn))
        if expect[-1][1] is None:  # the landing: right after the call of step 1
            call = steps[0]["ranges"][0]
            if steps[-1]["ranges"][0][0] != call[1]:
                fail("next lands at %#x, not after the call at %#x" % (steps[-1]["ranges"][0][0], call[0]))
        if model == "linux26" and steps[5]["ranges"][0][0] != address_of(syms, "thread_return"):
            fail("the thread_return step does not begin at thread_return")

        keys = ",".join(["F5"] + ["F11"] * 400)
        path = os.path.join(d, "steps.jsonl")
        gui(sy, kernel, model, "--break", "%#x" % steps[0]["ranges"][0][0], "--keys", keys, "--dump-steps", path)
        lines = [json.loads(l) for l in open(path)]
    seen, last = [], len(steps) - 1
    for line in lines:
        cur = line["anatomy"]["current"]
        if cur >= 0 and (not seen or seen[-1][0] != cur):
            seen.append((cur, line))
        if cur == last:
            break
    order = [c for c, _ in seen]
    if order != list(range(len(steps))):
        fail("stepping visited the steps %s, not 1 .. %d in order" % ([c + 1 for c in order], len(steps)))
    before, after = seen[0][1]["switches"], seen[-1][1]["switches"]
    if after != before + 1:
        fail("the switch log went from %d to %d switches by the landing, not one more" % (before, after))
    # The switch the panel shows in progress, whenever it shows one, is this
    # one (the one the log has at the landing), not the one before it.
    done = seen[-1][1]["last_switch"]
    for line in lines[:seen[-1][1]["key"]]:
        sw = line["switch"]
        if sw and (sw["prev_pid"], sw["next_pid"]) != (done["prev_pid"], done["next_pid"]):
            fail("at %s (key %d) the switch in progress is pid %d -> pid %d, but this switch is pid %d -> pid %d"
                 % (line["rip_sym"], line["key"], sw["prev_pid"], sw["next_pid"], done["prev_pid"], done["next_pid"]))
    print("anatomy_steps: ok: %s, %d steps in order over %d instructions, each beginning where objdump shows it"
          % (model, len(steps), seen[-1][1]["key"] - 1))


main()
