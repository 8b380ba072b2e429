#!/usr/bin/env bash
# A CPU halted until its next timer interrupt executes nothing while it waits:
# runs the sleeper kernel with two LAPIC timer counts (SMALL and LARGE, the
# same number of ticks) and requires the same instruction count (--stats
# insns=) and a final cycle count at least ticks * LARGE.
#   idle_insns.sh TICKS SMALL LARGE -- SWITCHYARD run KERNEL [args...]
set -u
ticks=$1 small=$2 large=$3; shift 3
[ "$1" = "--" ] && shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for c in "$small" "$large"; do
  "$@" --append "ticks=$ticks count=$c" --stats > "$tmp/out.$c" 2> "$tmp/err.$c"
  s=$?
  [ $s = 73 ] || { echo "count $c: exit status $s, expected 73"; cat "$tmp/err.$c"; fail=1; }
done
insns() { sed -n 's/^cycles=[0-9]* insns=\([0-9]*\)$/\1/p' "$1"; }
cycles() { sed -n 's/^cycles=\([0-9]*\) insns=[0-9]*$/\1/p' "$1"; }
a=$(insns "$tmp/err.$small") b=$(insns "$tmp/err.$large")
echo "count $small: insns=$a cycles=$(cycles "$tmp/err.$small"); count $large: insns=$b cycles=$(cycles "$tmp/err.$large")"
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "instruction counts differ: the waiting CPU executed something"; fail=1; }
[ "$(cycles "$tmp/err.$large")" -ge $((ticks * large)) ] 2>/dev/null || { echo "the clock did not reach $ticks x $large"; fail=1; }
exit $fail
