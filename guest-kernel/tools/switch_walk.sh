#!/usr/bin/env bash
# Prints the addresses and stack contents that docs/guest-kernel.md's "One
# switch" section shows, from a real run: the bundled kernel under QEMU, which
# gdb starts through a pipe (`-gdb stdio`), one CPU, `--append "spin 2 400"`
# (two busy loops, pid 2 and 3). Run it after changing the kernel and update
# the section from its output.
#   guest-kernel/tools/switch_walk.sh [build/guest-kernel/kernel.elf]
set -euo pipefail
kernel=${1:-build/guest-kernel/kernel.elf}
here=$(cd "$(dirname "$0")" && pwd)
qemu="qemu-system-x86_64 -kernel $kernel -smp 1 -m 256 -display none -serial null -monitor none -no-reboot"
qemu+=" -device isa-debug-exit,iobase=0xf4,iosize=0x04 -append 'spin 2 400' -gdb stdio -S"
gdb -q -batch -ex "file $kernel" -ex "target remote | exec $qemu" -x "$here/switch_walk.gdb" 2>&1 |
  grep -v '^warning:\|determining executable'
nm -n "$kernel" | grep -E ' (__switch_to_asm|__switch_to|ret_from_fork|schedule|__schedule|error_return|common_interrupt)$'
