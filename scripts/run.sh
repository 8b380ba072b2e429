#!/usr/bin/env bash
# Install what is missing, build, and run the main job. Until the bundled guest
# kernel lands (its own issue), the main job is: check the interpreter against
# this machine's CPU, then boot the 4-CPU test kernel (AP start-up, IPIs) on the
# emulated PC. Extra arguments go to `switchyard isa-test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/switchyard isa-test "$@"
echo
echo "== switchyard run build/tests/system/smp.elf --smp 4 --stats"
status=0
build/switchyard run build/tests/system/smp.elf --smp 4 --stats || status=$?
# The test kernel exits through isa-debug-exit with 0x20: status (0x20 << 1) | 1 = 65.
[ "$status" = 65 ] || { echo "run.sh: the SMP kernel ended with status $status" >&2; exit 1; }
