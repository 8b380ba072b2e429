#!/usr/bin/env bash
# A run stopped by a signal has written everything the guest printed before it
# stopped. Starts a kernel that prints "line N" forever, reads its output until
# line WAIT has appeared, sends SIGNAL, and reads the rest. switchyard stops at
# the end of the round (stderr: "terminated by SIG... at cycle C") and must
# die by the signal with its output flushed. The oracle is a second run of the
# same kernel with --max-cycles C: runs are deterministic, so it prints exactly
# what the guest had printed when the first one stopped.
#   signal_flush.sh SIGNAL WAIT -- SWITCHYARD run KERNEL [args...]
set -u
sig=$1 wait_line=$2; shift 2
[ "$1" = "--" ] && shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/out"
"$@" > "$tmp/out" 2> "$tmp/err" &
pid=$!
exec 4< "$tmp/out"
fail=0
: > "$tmp/seen"
while IFS= read -r line <&4; do
  printf '%s\n' "$line" >> "$tmp/seen"
  [ "$line" = "line $wait_line" ] && break
done
kill -s "$sig" $pid
cat <&4 >> "$tmp/seen"   # the rest, up to the end of the stream
exec 4<&-
wait $pid
got=$?
want=$((128 + $(kill -l "$sig")))
[ "$got" = "$want" ] || { echo "exit status: expected $want (killed by $sig), got $got"; fail=1; }
grep -qx "line $wait_line" "$tmp/seen" || { echo "line $wait_line never appeared"; fail=1; }
cycle=$(sed -n "s/^switchyard: terminated by SIG$sig at cycle \([0-9]*\)$/\1/p" "$tmp/err")
if [ -z "$cycle" ]; then
  echo "no 'terminated by SIG$sig at cycle N' on stderr"; fail=1
else
  "$@" --max-cycles "$cycle" > "$tmp/ref" 2> "$tmp/ref.err"
  cmp -s "$tmp/ref" "$tmp/seen" || {
    echo "the stopped run wrote $(wc -c < "$tmp/seen") bytes, the run to cycle $cycle $(wc -c < "$tmp/ref")"
    diff "$tmp/ref" "$tmp/seen" | tail -5; fail=1; }
fi
if [ $fail != 0 ]; then echo "---- stderr:"; cat "$tmp/err"; fi
exit $fail
