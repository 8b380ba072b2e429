#!/usr/bin/env bash
# A recording belongs to its kernel image and options: records a short run of
# KERNEL, then checks that replays against another machine are refused in one
# `switchyard:` line with status 2, and that bad files are too.
#   refuse.sh SWITCHYARD KERNEL OTHER-KERNEL
set -u
sy=$1 kernel=$2 other=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
"$sy" run "$kernel" --smp 2 --append "a b" --record "$tmp/run.syr" < /dev/null > /dev/null 2>&1
# refused EXPECTED-MESSAGE-REGEX -- run-args...
refused() {
  local want=$1; shift 2
  "$sy" run "$@" < /dev/null > /dev/null 2> "$tmp/err"
  local got=$?
  if [ "$got" != 2 ] || [ "$(wc -l < "$tmp/err")" != 1 ] || ! grep -Eq "^switchyard: $want" "$tmp/err"; then
    echo "run $*: expected status 2 and one line matching '$want', got status $got:"; cat "$tmp/err"; fail=1
  fi
}
refused "$tmp/run.syr: the kernel .* is not the image it was recorded with" -- "$other" --smp 2 --append "a b" --replay "$tmp/run.syr"
refused "$tmp/run.syr: --append is \"a\", the recording has \"a b\"" -- "$kernel" --smp 2 --append a --replay "$tmp/run.syr"
refused "$tmp/run.syr: --smp is 1, the recording has 2" -- "$kernel" --smp 1 --append "a b" --replay "$tmp/run.syr"
refused "$tmp/run.syr: --mem is 64M, the recording has 256M" -- "$kernel" --mem 64M --smp 2 --append "a b" --replay "$tmp/run.syr"
refused "$tmp/run.syr: --quantum is 500, the recording has 2000" -- "$kernel" --quantum 500 --smp 2 --append "a b" --replay "$tmp/run.syr"
refused "$tmp/run.syr: --timing is detailed, the recording has fast" -- "$kernel" --timing detailed --smp 2 --append "a b" --replay "$tmp/run.syr"
refused "$tmp/run.syr: the recording was made without --debugcon" -- "$kernel" --debugcon stdio --smp 2 --append "a b" --replay "$tmp/run.syr"
refused "--input x with --replay: the input comes from the recording" -- "$kernel" --input x --replay "$tmp/run.syr"
refused "--record and --replay: one or the other" -- "$kernel" --record "$tmp/x.syr" --replay "$tmp/run.syr"
refused "$tmp/nonexistent.syr: cannot open the recording" -- "$kernel" --replay "$tmp/nonexistent.syr"
refused "$kernel: not a switchyard recording" -- "$kernel" --replay "$kernel"
head -c $(( $(stat -c %s "$tmp/run.syr") - 3 )) "$tmp/run.syr" > "$tmp/cut.syr"
refused "$tmp/cut.syr: truncated record" -- "$kernel" --smp 2 --append "a b" --replay "$tmp/cut.syr"
# The same options again replay fine.
"$sy" run "$kernel" --smp 2 --append "a b" --replay "$tmp/run.syr" < /dev/null > /dev/null 2> "$tmp/err"
got=$?
[ "$got" != 2 ] && [ "$got" != 12 ] || { echo "the same options: status $got"; cat "$tmp/err"; fail=1; }
exit $fail
