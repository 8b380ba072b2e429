#!/usr/bin/env bash
# `switchyard run --trace` on the bundled kernel's demo with 2 CPUs (forks,
# execs, sleeps, yields, preemption, migrations, exits; tens of thousands of
# system calls), booted with `schedstat` so that the kernel prints its own
# per-CPU switch, syscall and IRQ counts at power-off. check_trace.py then
# validates the trace against itself and against those counts, and its
# self-test breaks copies of the trace to show each check can fail.
#   trace_demo.sh SWITCHYARD KERNEL
set -u
sy=$1 kernel=$2
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout 280 "$sy" run "$kernel" --smp 2 --append schedstat --trace "$tmp/trace.json" \
  < /dev/null > "$tmp/serial" 2> "$tmp/stderr"
status=$?
cat "$tmp/stderr"
if [ $status != 1 ]; then
  echo "trace_demo.sh: the demo ended with status $status, not 1 (success)"; tail -n 20 "$tmp/serial"; exit 1
fi
grep '^schedstat:' "$tmp/serial"
python3 "$here/check_trace.py" --self-test "$tmp/trace.json" "$tmp/serial"
