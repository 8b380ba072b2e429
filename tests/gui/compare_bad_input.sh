#!/usr/bin/env bash
# `gui --compare` with bad input: each case is one `switchyard:` line naming
# the problem, and exit status 2, before any window or run.
#   compare_bad_input.sh SWITCHYARD KERNEL
set -u
sy=$1 kernel=$2
status=0
expect() {  # expect "WHAT THE LINE MUST CONTAIN" ARGS...
  local want=$1; shift
  local out got
  out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$sy" gui "$kernel" --mem 64M --dump-state /dev/null "$@" 2>&1)
  got=$?
  if [ $got != 2 ] || [ "$(printf '%s\n' "$out" | wc -l)" != 1 ] || [[ "$out" != "switchyard: "*"$want"* ]]; then
    echo "compare_bad_input: FAIL: gui $*: status $got, output:"; printf '%s\n' "$out"
    echo "  (wanted status 2 and one line 'switchyard: ...$want...')"
    status=1
  else
    echo "compare_bad_input: ok: gui $*: $out"
  fi
}
expect "expected two switch models" --compare linux
expect "expected two switch models" --compare linux,xv6,solaris
expect "expected two switch models" --compare ,xv6
expect "name two different models" --compare xv6,xv6
expect "bsd is not a switch model of" --compare linux,bsd
expect "--append already chooses a model (switch=xv6)" --compare linux,xv6 --append "spin 2 400 switch=xv6"
expect "not with --compare" --compare linux,xv6 --panel threads
exit $status
