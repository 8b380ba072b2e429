#!/usr/bin/env bash
# The GUI's frame rate at 1920x1080 under Xvfb with Mesa's software OpenGL
# (llvmpipe), the figures docs/gui.md records: 120 frames of the headless mode
# (`--frames`), each case RUNS times (3), and what switchyard prints for each
# on stderr: the frame rate over the frames after the first, running and
# stopped apart, and the CPU time a frame takes over all of the process's
# threads (the rasterizer's included), which depends much less on what else
# the host is running than the rate does.
#   scripts/gui-fps.sh [SWITCHYARD [RUNS]]
# The cases: the default demo running (F5 at the first frame); stopped at the
# first instruction; stopped at the ret of the 12th switch (three tasks, the
# switch anatomy filled).
set -euo pipefail
cd "$(dirname "$0")/.."
sy=${1:-build/switchyard}
runs=${2:-3}
export LIBGL_ALWAYS_SOFTWARE=1
shot=$(mktemp --suffix=.png)
trap 'rm -f "$shot"' EXIT
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
run_case() {
  local name=$1
  shift
  for ((i = 1; i <= runs; ++i)); do
    printf '%-28s ' "$name"
    xvfb-run -a -s "-screen 0 1920x1080x24" "$sy" gui --size 1920x1080 --frames 120 --screenshot "$shot" "$@" 2>&1 |
      grep 'frames per second' | sed 's/^switchyard: //'
  done
}
run_case "running (--keys F5)" --keys F5
run_case "stopped, first instruction"
run_case "stopped, ret of switch 12" --until-switch 12
