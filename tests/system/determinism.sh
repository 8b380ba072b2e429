#!/usr/bin/env bash
# Runs a kernel twice with the same options and input and requires identical
# output, exit status and --stats figures (the determinism guarantee).
#   determinism.sh [--status N] [--all-stderr] INPUT_FILE -- SWITCHYARD run-args...
# --all-stderr: all of stderr must be the same, byte for byte (with --timing
# detailed, --stats prints every switch's cost, the histogram and the means).
set -u
want="" all_stderr=0
if [ "$1" = "--status" ]; then want=$2; shift 2; fi
if [ "$1" = "--all-stderr" ]; then all_stderr=1; shift; fi
input=$1; shift
[ "$1" = "--" ] && shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in 1 2; do
  "$@" --stats < "$input" > "$tmp/out$n" 2> "$tmp/err$n"
  echo $? > "$tmp/status$n"
done
fail=0
[ -z "$want" ] || [ "$(cat "$tmp/status1")" = "$want" ] ||
  { echo "exit status: expected $want, got $(cat "$tmp/status1")"; cat "$tmp/err1"; fail=1; }
cmp -s "$tmp/status1" "$tmp/status2" || { echo "exit status differs: $(cat "$tmp/status1") vs $(cat "$tmp/status2")"; fail=1; }
cmp -s "$tmp/out1" "$tmp/out2" || { echo "output differs:"; diff "$tmp/out1" "$tmp/out2" | head -20; fail=1; }
grep -q '^cycles=' "$tmp/err1" || { echo "no --stats line:"; cat "$tmp/err1"; fail=1; }
diff <(grep -E '^(cycles=|cpu[0-9]+ )' "$tmp/err1") <(grep -E '^(cycles=|cpu[0-9]+ )' "$tmp/err2") ||
  { echo "--stats differ"; fail=1; }
if [ $all_stderr = 1 ] && ! cmp -s "$tmp/err1" "$tmp/err2"; then
  echo "stderr differs:"; diff "$tmp/err1" "$tmp/err2" | head -20; fail=1
fi
[ $fail = 0 ] && grep '^cycles=' "$tmp/err1"
exit $fail
