#!/usr/bin/env bash
# Observation changes nothing: `switchyard run --check --stats ARGS` prints
# what `switchyard run --stats ARGS` prints, the cycle and instruction counts
# of every CPU included, and exits with the same status.
#   same_run.sh SWITCHYARD ARGS...
set -u
sy=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout 280 "$sy" run --stats "$@" < /dev/null > "$tmp/plain" 2>&1; a=$?
timeout 280 "$sy" run --check --stats "$@" < /dev/null > "$tmp/checked" 2>&1; b=$?
fail=0
[ "$a" = "$b" ] || { echo "exit status $a without --check, $b with it"; fail=1; }
grep -q '^cycles=' "$tmp/plain" || { echo "no --stats line"; fail=1; }
if ! diff "$tmp/plain" "$tmp/checked" > "$tmp/diff"; then
  echo "the runs differ:"; head -n 40 "$tmp/diff"; fail=1
fi
[ $fail = 0 ] && echo "same_run.sh: ok: status $a, $(grep '^cycles=' "$tmp/plain")"
exit $fail
