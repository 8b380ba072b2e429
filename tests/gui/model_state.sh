#!/usr/bin/env bash
# One switch model's state at a switch (no display needed): run the GUI's
# headless mode to the N-th context switch under --append switch=MODEL, write
# the model's JSON and a raw dump of guest RAM, and check the one against the
# other and nm (check_model_state.py).
#   model_state.sh SWITCHYARD KERNEL FRAME_READER MODEL N "WORDS" [GUI OPTIONS...]
# WORDS: the rest of the kernel command line ("" for the default demo).
set -u
sy=$1 kernel=$2 reader=$3 model=$4 n=$5 words=$6
shift 6
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The i386 build has one model, its switch_to: no switch= word.
sw="switch=$model "
[ "$model" = i386 ] && sw=""
timeout 280 "$sy" gui "$kernel" --mem 64M --until-switch "$n" --append "$sw$words" \
  --dump-state "$tmp/s.json" --dump-memory "$tmp/s.ram" "$@" > "$tmp/out" 2>&1
got=$?
if [ $got != 0 ]; then
  echo "switchyard gui exited with status $got:"; cat "$tmp/out"; exit 1
fi
python3 "$here/check_model_state.py" "$model" "$kernel" "$reader" "$tmp/s.json" "$tmp/s.ram" "$n"
