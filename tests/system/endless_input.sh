#!/usr/bin/env bash
# An endless input on a pipe (`yes WORD |`) is read as the guest takes it, not
# as a whole before the run: the run ends with the guest's own status (or at
# --max-cycles), never by running out of memory.
#   endless_input.sh WORD STATUS FIRST_LINES -- SWITCHYARD run-args...
# FIRST_LINES is the start of the expected output, lines joined with '|'.
set -u
word=$1 status=$2 first=$3; shift 3
[ "$1" = "--" ] && shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
yes "$word" | "$@" > "$tmp/out" 2> "$tmp/err"
got=${PIPESTATUS[1]}
fail=0
[ "$got" = "$status" ] || { echo "exit status: expected $status, got $got"; fail=1; }
n=$(printf '%s' "$first" | tr '|' '\n' | wc -l)
start=$(head -$((n + 1)) "$tmp/out" | tr '\n' '|')
[ "$start" = "$first|" ] || { echo "output starts '$start', expected '$first|'"; fail=1; }
[ $fail = 0 ] || { echo "---- stderr:"; cat "$tmp/err"; }
exit $fail
