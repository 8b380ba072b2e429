#!/usr/bin/env bash
# Runs a Multiboot ELF32 kernel under QEMU and under switchyard with the same
# QEMU-style options and input, and compares serial output, 0xE9 output and
# exit status. A missing QEMU is a failure, not a skip: scripts/setup.sh installs it.
#   qemu_compare.sh [--input FILE] [--ignore REGEX] [--qemu-arg ARG]... [--reboot] -- SWITCHYARD KERNEL [qemu args...]
# Lines matching REGEX are dropped from both outputs before comparing (for
# values the two firmwares legitimately differ on, such as mem_upper).
# --qemu-arg passes one argument to QEMU only (e.g. -cpu MODEL, which
# switchyard does not take: its CPU model is fixed). --reboot leaves out
# -no-reboot, so that a guest reset reboots both machines.
set -u
input=/dev/null ignore='^$^' qemu_only=() no_reboot=-no-reboot
while [ $# -gt 0 ]; do
  case "$1" in
    --input) input=$2; shift 2 ;;
    --ignore) ignore=$2; shift 2 ;;
    --qemu-arg) qemu_only+=("$2"); shift 2 ;;
    --reboot) no_reboot=""; shift ;;
    --) shift; break ;;
    *) echo "qemu_compare.sh: unknown option $1"; exit 2 ;;
  esac
done
sy=$1 kernel=$2; shift 2
qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
  echo "qemu_compare.sh: qemu-system-x86_64 not found (scripts/setup.sh installs qemu-system-x86)"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(-kernel "$kernel" -display none -serial stdio
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 ${no_reboot:+"$no_reboot"} "$@")
timeout 120 "$qemu" "${common[@]}" "${qemu_only[@]+"${qemu_only[@]}"}" -monitor none -debugcon "file:$tmp/qemu.e9" \
  < "$input" > "$tmp/qemu.out" 2> "$tmp/qemu.err"
qs=$?
if [ $qs = 124 ]; then echo "QEMU timed out"; cat "$tmp/qemu.err"; exit 1; fi
# QEMU's Multiboot command line begins with the path given to -kernel,
# switchyard's with the file's name alone (docs/machine.md): a kernel that
# prints its command line shows the one where QEMU shows the other.
name=$(basename "$kernel")
path_re=$(printf '%s' "$kernel" | sed 's/[][\\.|*^$]/\\&/g')
sed -i "s|$path_re|$name|g" "$tmp/qemu.out" "$tmp/qemu.e9"
"$sy" run "${common[@]}" -debugcon "file:$tmp/sy.e9" < "$input" > "$tmp/sy.out" 2> "$tmp/sy.err"
ss=$?
fail=0
[ $qs = $ss ] || { echo "exit status: qemu $qs, switchyard $ss"; fail=1; }
for s in out e9; do
  if ! diff -u <(grep -Ev "$ignore" "$tmp/qemu.$s") <(grep -Ev "$ignore" "$tmp/sy.$s"); then
    echo "$s differs (- qemu, + switchyard)"; fail=1
  fi
done
if [ $fail != 0 ]; then
  echo "---- switchyard stderr:"; cat "$tmp/sy.err"
  echo "---- qemu stderr:"; cat "$tmp/qemu.err"
fi
exit $fail
