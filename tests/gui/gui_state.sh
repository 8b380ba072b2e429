#!/usr/bin/env bash
# The GUI's headless mode under Xvfb with Mesa's software OpenGL: run to the
# N-th context switch, write the PNG, the model's JSON and a raw dump of guest
# RAM, then check the model against the dump and nm (check_state.py).
#   gui_state.sh SWITCHYARD KERNEL FRAME_READER N [GUI OPTIONS...]
set -u
sy=$1 kernel=$2 reader=$3 n=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
command -v xvfb-run > /dev/null || { echo "gui_state.sh: xvfb-run not found (scripts/setup.sh installs xvfb)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LIBGL_ALWAYS_SOFTWARE=1
timeout 280 xvfb-run -a -s "-screen 0 1920x1080x24" "$sy" gui "$kernel" --mem 64M --until-switch "$n" --size 1280x720 \
  --screenshot "$tmp/s.png" --dump-state "$tmp/s.json" --dump-memory "$tmp/s.ram" "$@" > "$tmp/out" 2>&1
got=$?
if [ $got != 0 ]; then
  echo "switchyard gui exited with status $got:"; cat "$tmp/out"; exit 1
fi
python3 "$here/check_state.py" "$kernel" "$reader" "$tmp/s.json" "$tmp/s.png" "$tmp/s.ram" "$n"
