#!/usr/bin/env bash
# Two switch models side by side (`gui --compare A,B`, no display needed): run
# both machines to their N-th switch, write the JSON and each side's RAM, and
# check each side against its own dump (check_compare_state.py).
#   compare_state.sh SWITCHYARD KERNEL FRAME_READER A,B N [GUI OPTIONS...]
set -u
sy=$1 kernel=$2 reader=$3 pair=$4 n=$5
shift 5
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A kernel path of fixed length: the command line's length moves the run's timing (model_state.sh).
cp "$kernel" "$tmp/kernel.elf"
kernel=$tmp/kernel.elf
timeout 280 "$sy" gui "$kernel" --mem 64M --compare "$pair" --until-switch "$n" \
  --dump-state "$tmp/s.json" --dump-memory "$tmp/s.ram" "$@" > "$tmp/out" 2>&1
got=$?
if [ $got != 0 ]; then
  echo "switchyard gui exited with status $got:"; cat "$tmp/out"; exit 1
fi
python3 "$here/check_compare_state.py" "$pair" "$kernel" "$reader" "$tmp/s.json" "$tmp/s.ram" "$n"
