#!/usr/bin/env bash
# Install what is missing, build, and run the main job: the bundled guest
# kernel (build/guest-kernel/kernel.elf, docs/guest-kernel.md) on the emulated
# 2-CPU PC. First its default demo, which makes the kernel switch tasks in
# every way it can and shows the switches; it powers the machine off when it
# is done. Then its shell: from a terminal you type the commands (help lists
# the programs, poweroff stops); otherwise a few commands are fed to it.
# With a display ($DISPLAY or $WAYLAND_DISPLAY set) it opens the GUI on the
# same kernel instead (docs/gui.md): F6 runs to the next context switch.
# Headless: all of it is on the serial console, stdout.
#   scripts/run.sh                 the GUI, or the demo and then the shell
#   scripts/run.sh RUN-ARGS...     just `switchyard run RUN-ARGS...`, e.g. --append ktest
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if (($#)); then exec build/switchyard run "$@"; fi
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  echo "== switchyard gui --smp 2   (the demo; F6: next context switch, F11: step, F5: continue)"
  exec build/switchyard gui --smp 2
fi

echo "== switchyard run --smp 2        (no --append: the default demo)"
status=0
build/switchyard run --smp 2 < /dev/null || status=$?
# The demo powers off with 0 when every part worked: status (0 << 1) | 1 = 1.
[ "$status" = 1 ] || { echo "run.sh: the demo ended with status $status" >&2; exit 1; }

echo
status=0
if [ -t 0 ]; then
  echo "== switchyard run --smp 2 --append sh   (type help; poweroff ends it)"
  build/switchyard run --smp 2 --append sh || status=$?
else
  echo "== switchyard run --smp 2 --append sh   (with these commands on its console:)"
  commands='help\nps\nhello world\nforktree 1\nspin 2 40 &\nps\nwait\npoweroff\n'
  printf "$commands" | sed 's/^/   /'
  printf "$commands" | build/switchyard run --smp 2 --append sh || status=$?
fi
[ "$status" = 1 ] || { echo "run.sh: the shell ended with status $status" >&2; exit 1; }
