#!/usr/bin/env bash
# Runs a kernel twice with the same options and input and requires identical
# output, exit status and --stats figures (the determinism guarantee).
#   determinism.sh [--status N] INPUT_FILE -- SWITCHYARD run-args...
set -u
want=""
if [ "$1" = "--status" ]; then want=$2; shift 2; fi
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
[ $fail = 0 ] && grep '^cycles=' "$tmp/err1"
exit $fail
