"""What the stock-gdb tests share: the bundled kernel's symbols from nm, a
switchyard whose stub listens on a port it picked itself (the tests read the
port from its "listening" line: no sleeps, no guessed ports), and Debian's gdb
driven in batch mode against it."""
import re
import subprocess
import sys


def fail(msg, out="", tail=None):
    print("FAIL: " + msg)
    if out:
        print(out if tail is None else out[-tail:])
    sys.exit(1)


def symbols(kernel):
    """name -> (start, end) of every symbol in the kernel ELF, by nm (end = start when it has no size)."""
    nm = subprocess.run(["nm", "-S", "-n", kernel], capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 4:
            syms[f[3]] = (int(f[0], 16), int(f[0], 16) + int(f[1], 16))
        elif len(f) == 3:
            syms.setdefault(f[2], (int(f[0], 16), int(f[0], 16)))
    return syms


class Machine:
    """`switchyard run KERNEL --smp N --append APPEND -S -gdb tcp::0`, paused until gdb continues."""

    def __init__(self, sy, kernel, append, smp=2):
        self.kernel = kernel
        self.proc = subprocess.Popen([sy, "run", kernel, "--smp", str(smp), "--append", append, "--serial", "null",
                                      "--input", "none", "-S", "-gdb", "tcp::0"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.port = None
        for line in self.proc.stderr:
            m = re.search(r"gdb stub listening on tcp:[^:]*:(\d+)", line)
            if m:
                self.port = m.group(1)
                break
        if not self.port:
            self.proc.kill()
            fail("switchyard did not say where its stub listens")

    def gdb(self, cmds, timeout=240):
        """Runs gdb -batch on the kernel with `target remote` and then cmds (end them with "kill"); returns
        gdb's stdout and stderr, and waits for switchyard to exit (self.status, self.stderr)."""
        # The i386 kernel: the stub has only the x86-64 register layout, so gdb
        # is told that architecture before it reads the ELF32 (docs/gdb.md).
        with open(self.kernel, "rb") as f:
            elf32 = f.read(5)[4] == 1  # EI_CLASS: ELFCLASS32
        self.commands = (["set architecture i386:x86-64"] if elf32 else []) + ["file " + self.kernel, "target remote :" + self.port] + list(cmds)
        args = ["gdb", "-batch", "-nx"]
        for c in self.commands:
            args += ["-ex", c]
        try:
            g = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("gdb did not finish")
        self.stderr = self.proc.communicate(timeout=60)[1]
        self.status = self.proc.returncode
        return g.stdout + g.stderr


def walked(out):
    """What walk_tasks.py printed: (model, tasks, threads by thread id)."""
    model = re.search(r"^MODEL (\S+)$", out, re.M)
    tasks = []
    for m in re.finditer(r"^TASK pid=(\d+) cpu=(\d+) on_cpu=(\d+) flags=(\S+) sp=(\S+) ret_addr=(\S+) resume=(\S+) "
                         r"caller=(\S+) fork=(\d) comm=(.*)$", out, re.M):
        tasks.append(dict(pid=int(m.group(1)), cpu=int(m.group(2)), on_cpu=int(m.group(3)), flags=int(m.group(4), 16),
                          sp=int(m.group(5), 16), ret=int(m.group(6), 16), resume=int(m.group(7), 16),
                          caller=int(m.group(8), 16), fork=int(m.group(9)), comm=m.group(10)))
    threads = {}
    for m in re.finditer(r"^THREAD num=(\d+) tid=(\d+) pc=(\S+) func=(\S+) pc1=(\S+) func1=(\S+) name=(.*)$", out, re.M):
        threads[int(m.group(2))] = dict(num=int(m.group(1)), pc=m.group(3), func=m.group(4), pc1=m.group(5),
                                        func1=m.group(6), name=m.group(7))
    return model.group(1) if model else None, tasks, threads


def thread_id(task):
    """The stub's thread id of a task (docs/gdb.md): pid + 1; CPU N's idle task (N >= 1, pid 0) 0x40000000 + N."""
    return 0x40000000 + task["cpu"] if task["pid"] == 0 and task["cpu"] > 0 else task["pid"] + 1


def bt_frames(out):
    """`thread apply all bt`: gdb thread id -> its frames as (address or None, function)."""
    bts = {}
    for m in re.finditer(r"^Thread \d+ \(Thread (\d+) .*\):\n((?:#\d+ .*\n)*)", out, re.M):
        bts[int(m.group(1))] = [(f.group(1), f.group(2))
                                for f in re.finditer(r"^#\d+\s+(?:(0x[0-9a-f]+) in )?(\S+)", m.group(2), re.M)]
    return bts
