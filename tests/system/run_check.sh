#!/usr/bin/env bash
# Runs one kernel in switchyard and checks the exit status, the serial output
# (stdout), the 0xE9 output and stderr.
#   run_check.sh [--status N] [--serial FILE] [--debugcon FILE] [--stderr REGEX]
#                [--one-line-error] [--no-debugcon] [--input FILE]
#                [--subst NAME=VALUE]... -- SWITCHYARD run-args...
# Expected files may contain @NAME@ placeholders replaced by --subst values.
# The 0xE9 output is captured with --debugcon file:... unless --no-debugcon
# (the run then has no isa-debugcon device, its default). --one-line-error
# requires stderr to be exactly one line, starting "switchyard: ".
set -u
status=0 serial="" debugcon="" stderr_re="" input=/dev/null substs=() one_line=0 capture_e9=1
while [ $# -gt 0 ]; do
  case "$1" in
    --status) status=$2; shift 2 ;;
    --serial) serial=$2; shift 2 ;;
    --debugcon) debugcon=$2; shift 2 ;;
    --stderr) stderr_re=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --one-line-error) one_line=1; shift ;;
    --no-debugcon) capture_e9=0; shift ;;
    --subst) substs+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "run_check.sh: unknown option $1"; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expand() {  # expected file with placeholders replaced
  local f=$1 s
  cp "$f" "$tmp/expected"
  for s in "${substs[@]+"${substs[@]}"}"; do
    sed -i "s|@${s%%=*}@|${s#*=}|g" "$tmp/expected"
  done
  cat "$tmp/expected"
}

if [ $capture_e9 = 1 ]; then
  "$@" --debugcon "file:$tmp/e9" < "$input" > "$tmp/out" 2> "$tmp/err"
else
  "$@" < "$input" > "$tmp/out" 2> "$tmp/err"
fi
got=$?
fail=0
if [ "$got" != "$status" ]; then
  echo "exit status: expected $status, got $got"; fail=1
fi
if [ -n "$serial" ] && ! diff -u <(expand "$serial") "$tmp/out"; then
  echo "serial output differs (expected $serial)"; fail=1
fi
if [ -n "$debugcon" ] && ! diff -u <(expand "$debugcon") "$tmp/e9"; then
  echo "0xE9 output differs (expected $debugcon)"; fail=1
fi
if [ -n "$stderr_re" ] && ! grep -Eq -e "$stderr_re" "$tmp/err"; then
  echo "stderr does not match /$stderr_re/"; fail=1
fi
if [ $one_line = 1 ] && { [ "$(wc -l < "$tmp/err")" != 1 ] || ! head -1 "$tmp/err" | grep -q '^switchyard: '; }; then
  echo "stderr is not one line starting 'switchyard: '"; fail=1
fi
if [ $fail != 0 ]; then
  echo "---- command: $* --debugcon file:... < $input"
  echo "---- stderr:"; cat "$tmp/err"
  echo "---- stdout:"; cat "$tmp/out"
fi
exit $fail
