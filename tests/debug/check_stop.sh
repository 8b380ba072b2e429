#!/usr/bin/env bash
# Runs `switchyard run --check ...` on a kernel broken on purpose (a lab
# switch) and checks that it stops with status 10 and one line
#   switchyard: check failed on cpuN at cycle C, rip 0xR (SYM): SENTENCE
# whose SENTENCE and SYM match the given regexes, and that the instruction at
# R, as objdump (binutils, not switchyard) disassembles the kernel, matches
# --insn: the stop is at the instruction the sentence is about.
#   check_stop.sh KERNEL --sentence REGEX --at REGEX --insn REGEX -- COMMAND...
set -u
kernel=$1; shift
sentence="" at="" insn=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sentence) sentence=$2; shift 2 ;;
    --at) at=$2; shift 2 ;;
    --insn) insn=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "check_stop.sh: unknown option $1"; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout 280 "$@" < /dev/null > "$tmp/out" 2> "$tmp/err"
got=$?
fail=0
[ "$got" = 10 ] || { echo "exit status: expected 10 (a check failed), got $got"; fail=1; }
line=$(grep -E '^switchyard: check failed on ' "$tmp/err" | tail -n 1)
re='^switchyard: check failed on cpu([0-9]+) at cycle ([0-9]+), rip 0x([0-9a-f]+) \(([^)]*)\): (.*)$'
if [[ "$line" =~ $re ]]; then
  rip=${BASH_REMATCH[3]} sym=${BASH_REMATCH[4]} said=${BASH_REMATCH[5]}
  [[ "$said" =~ $sentence ]] || { echo "the sentence does not match /$sentence/: $said"; fail=1; }
  [[ "$sym" =~ $at ]] || { echo "stopped in $sym, not /$at/"; fail=1; }
  dis=$(objdump -d --no-show-raw-insn --start-address=0x$rip --stop-address=$(printf '0x%x' $((0x$rip + 16))) "$kernel" |
        grep -E "^ *$rip:" | head -n 1)
  [[ "$dis" =~ $insn ]] || { echo "the instruction at 0x$rip is not /$insn/: $dis"; fail=1; }
  [ $fail = 0 ] && echo "check_stop.sh: ok: $line" && echo "  objdump: $dis"
else
  echo "no 'check failed' line on stderr"; fail=1
fi
if [ $fail != 0 ]; then
  echo "---- command: $*"
  echo "---- stderr:"; cat "$tmp/err"
  echo "---- stdout (tail):"; tail -n 20 "$tmp/out"
fi
exit $fail
