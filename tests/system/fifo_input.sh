#!/usr/bin/env bash
# Feeds a kernel's serial input through a FIFO while it runs: waits for the
# kernel's first line of output, only then writes the input, and checks the
# whole output and the exit status. No sleeps: both ends are FIFOs, so each
# step waits for the other side.
#   fifo_input.sh --first LINE --send TEXT --expect FILE [--status N] -- SWITCHYARD run-args...
# TEXT is printf format (so "quit\n" is a line).
set -u
first="" send="" expect="" status=0
while [ $# -gt 0 ]; do
  case "$1" in
    --first) first=$2; shift 2 ;;
    --send) send=$2; shift 2 ;;
    --expect) expect=$2; shift 2 ;;
    --status) status=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "fifo_input.sh: unknown option $1"; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/in" "$tmp/out"
"$@" < "$tmp/in" > "$tmp/out" 2> "$tmp/err" &
pid=$!
exec 3> "$tmp/in"    # switchyard's stdin opens once a writer is there
exec 4< "$tmp/out"   # and its stdout once a reader is
fail=0
if ! IFS= read -r line <&4; then echo "no output at all"; fail=1; fi
if [ "$fail" = 0 ] && [ "$line" != "$first" ]; then echo "first line: expected '$first', got '$line'"; fail=1; fi
# The kernel is running (it has printed) and has had no input: now type.
printf "$send" >&3
exec 3>&-
{ printf '%s\n' "$line"; cat <&4; } > "$tmp/all"
exec 4<&-
wait $pid
got=$?
[ "$got" = "$status" ] || { echo "exit status: expected $status, got $got"; fail=1; }
diff -u "$expect" "$tmp/all" || { echo "output differs (expected $expect)"; fail=1; }
if [ $fail != 0 ]; then echo "---- stderr:"; cat "$tmp/err"; fi
exit $fail
