#!/usr/bin/env bash
# The console on a terminal: `script` gives switchyard a pseudo-terminal as
# stdin and stdout; the test types into it through a FIFO, after the kernel's
# first line has appeared.
#   tty_console.sh SWITCHYARD ECHO_KERNEL PRINTER_KERNEL
# 1. The echo kernel gets a typed line back, C-a x ends the run with status 0,
#    and the terminal's settings (stty -g) are the same afterwards.
# 2. The printer kernel, killed with SIGTERM while it prints, leaves the
#    terminal as it found it too.
set -u
sy=$1 echo_k=$2 printer_k=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# run_in_tty NAME COMMAND: COMMAND runs on a pseudo-terminal between two
# "stty -g" snapshots; fd 3 types into it, fd 4 reads what it shows.
run_in_tty() {
  local name=$1; shift
  mkfifo "$tmp/$name.in" "$tmp/$name.out"
  script -qec "stty -g > $tmp/$name.before; $*; echo status=\$? > $tmp/$name.status; stty -g > $tmp/$name.after" \
    /dev/null < "$tmp/$name.in" > "$tmp/$name.out" 2>&1 &
  exec 3> "$tmp/$name.in"
  exec 4< "$tmp/$name.out"
}
wait_for() {  # wait_for TEXT: reads fd 4 until a line contains TEXT
  local l
  while IFS= read -r l <&4; do
    case "$l" in *"$1"*) return 0 ;; esac
  done
  return 1
}
finish() {  # finish NAME: the rest of the output, then the checks common to both
  local name=$1
  cat <&4 > "$tmp/$name.rest"
  exec 3>&- 4<&-
  wait
  cmp -s "$tmp/$name.before" "$tmp/$name.after" ||
    { echo "$name: terminal settings changed: $(cat "$tmp/$name.before") -> $(cat "$tmp/$name.after")"; fail=1; }
}

run_in_tty echo "$sy" run "$echo_k"
wait_for ready || { echo "echo: no 'ready'"; fail=1; }
printf 'hello\n' >&3
wait_for '> HELLO' || { echo "echo: the typed line did not come back"; fail=1; }
printf '\001x' >&3
finish echo
grep -q 'terminated by C-a x' "$tmp/echo.rest" || { echo "echo: C-a x did not end the run"; cat "$tmp/echo.rest"; fail=1; }
grep -qx 'status=0' "$tmp/echo.status" || { echo "echo: $(cat "$tmp/echo.status"), expected status=0"; fail=1; }

run_in_tty printer "$sy" run "$printer_k" "& echo \$! > $tmp/pid; wait \$!"
wait_for 'line 100' || { echo "printer: no 'line 100'"; fail=1; }
kill -TERM "$(cat "$tmp/pid")"
finish printer
grep -q 'terminated by SIGTERM' "$tmp/printer.rest" || { echo "printer: no SIGTERM report"; fail=1; }
grep -qx 'status=143' "$tmp/printer.status" || { echo "printer: $(cat "$tmp/printer.status"), expected status=143"; fail=1; }
exit $fail
