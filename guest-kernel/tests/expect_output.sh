#!/usr/bin/env bash
# Runs the guest kernel (under switchyard or QEMU: the command is given) with
# stdin from a file, and checks the exit status and the output.
#   expect_output.sh [--status N] [--input FILE] [--expect REGEX]... [--ktest] [--min-tests N] -- COMMAND...
#     --expect REGEX  a line matching the extended regex must follow the line
#                     the previous --expect matched (in order)
#     --ktest         the self-test rules: the last line is exactly
#                     "ktest: N passed, 0 failed", N >= --min-tests (20), and
#                     N lines say "ok"
set -u
status="" input=/dev/null expects=() ktest=0 min_tests=20
while [ $# -gt 0 ]; do
  case "$1" in
    --status) status=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --ktest) ktest=1; shift ;;
    --min-tests) min_tests=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "expect_output.sh: unknown option $1"; exit 2 ;;
  esac
done
case "$1" in
  *qemu-system-*) command -v "$1" > /dev/null ||
    { echo "expect_output.sh: $1 not found (scripts/setup.sh installs qemu-system-x86)"; exit 1; } ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout 280 "$@" < "$input" > "$tmp/out" 2> "$tmp/err"
got=$?
fail=0
if [ -n "$status" ] && [ "$got" != "$status" ]; then
  echo "exit status: expected $status, got $got"; fail=1
fi
line=0
for re in "${expects[@]+"${expects[@]}"}"; do
  n=$(tail -n +$((line + 1)) "$tmp/out" | grep -n -m1 -E -e "$re" | cut -d: -f1)
  if [ -z "$n" ]; then
    echo "no line matching /$re/ after line $line"; fail=1; break
  fi
  line=$((line + n))
done
if [ $ktest = 1 ]; then
  last=$(tail -n 1 "$tmp/out")
  if [[ "$last" =~ ^ktest:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=${BASH_REMATCH[1]} failed=${BASH_REMATCH[2]}
    oks=$(grep -c -E '^ktest: [a-z_0-9]+ +ok ' "$tmp/out")
    [ "$failed" = 0 ] || { echo "$failed self-tests failed:"; grep -E '^ktest: .* FAIL ' "$tmp/out"; fail=1; }
    [ "$passed" -ge "$min_tests" ] || { echo "only $passed self-tests passed, fewer than $min_tests"; fail=1; }
    [ "$oks" = "$passed" ] || { echo "$oks lines say ok, the summary says $passed passed"; fail=1; }
  else
    echo "the last line is not the summary: '$last'"; fail=1
  fi
fi
if [ $fail != 0 ]; then
  echo "---- command: $* < $input"
  echo "---- stderr:"; cat "$tmp/err"
  echo "---- stdout:"; cat "$tmp/out"
fi
exit $fail
