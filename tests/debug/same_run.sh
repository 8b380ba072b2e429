#!/usr/bin/env bash
# Observation changes nothing: `switchyard run --check --stats ARGS` (or with
# the flags given to --observe, e.g. "--trace /dev/null") prints what
# `switchyard run --stats ARGS` prints, the cycle and instruction counts of
# every CPU included, and exits with the same status. The one line a trace
# adds on stderr ("switchyard: trace: ...") is left out of the comparison.
#   same_run.sh [--observe "FLAGS"] SWITCHYARD ARGS...
set -u
observe=(--check)
if [ "${1-}" = --observe ]; then read -r -a observe <<< "$2"; shift 2; fi
sy=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout 280 "$sy" run --stats "$@" < /dev/null > "$tmp/plain" 2>&1; a=$?
timeout 280 "$sy" run "${observe[@]}" --stats "$@" < /dev/null 2>&1 | grep -v '^switchyard: trace: ' > "$tmp/observed"
b=${PIPESTATUS[0]}
fail=0
[ "$a" = "$b" ] || { echo "exit status $a without ${observe[*]}, $b with it"; fail=1; }
grep -q '^cycles=' "$tmp/plain" || { echo "no --stats line"; fail=1; }
if ! diff "$tmp/plain" "$tmp/observed" > "$tmp/diff"; then
  echo "the runs differ:"; head -n 40 "$tmp/diff"; fail=1
fi
[ $fail = 0 ] && echo "same_run.sh: ok with ${observe[*]}: status $a, $(grep '^cycles=' "$tmp/plain")"
exit $fail
