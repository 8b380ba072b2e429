#!/usr/bin/env bash
# Runs one kernel in switchyard and checks the exit status, the serial output
# (stdout), the 0xE9 output and stderr.
#   run_check.sh [--status N] [--serial FILE] [--debugcon FILE] [--stderr REGEX]
#                [--input FILE] [--subst NAME=VALUE]... -- SWITCHYARD run-args...
# Expected files may contain @NAME@ placeholders replaced by --subst values.
set -u
status=0 serial="" debugcon="" stderr_re="" input=/dev/null substs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --status) status=$2; shift 2 ;;
    --serial) serial=$2; shift 2 ;;
    --debugcon) debugcon=$2; shift 2 ;;
    --stderr) stderr_re=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
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

"$@" --debugcon "file:$tmp/e9" < "$input" > "$tmp/out" 2> "$tmp/err"
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
if [ $fail != 0 ]; then
  echo "---- command: $* --debugcon file:... < $input"
  echo "---- stderr:"; cat "$tmp/err"
  echo "---- stdout:"; cat "$tmp/out"
fi
exit $fail
