#!/usr/bin/env bash
# Regenerates the stack pictures of docs/switch-models.md
# (docs/images/switch-MODEL-threads.png) with the GUI's headless mode under
# Xvfb: the same run under each switch model, two spinners sharing one CPU
# (`--append "switch=MODEL spin 2 400"`), stopped at the ret that ends the
# 12th switch; and one of `gui --compare linux,xv6`. Rerun it when the kernel or the GUI changes; the runs are
# deterministic.
set -euo pipefail
cd "$(dirname "$0")/.."
sy=build/switchyard
out=docs/images
mkdir -p "$out"
export LIBGL_ALWAYS_SOFTWARE=1
for model in linux linux26 xv6 solaris; do
  xvfb-run -a -s "-screen 0 1920x1080x24" "$sy" gui --smp 1 --append "switch=$model spin 2 400" \
    --until-switch 12 --panel threads --size 1280x720 --screenshot "$out/switch-$model-threads.png"
done
# The i386 build (its one switch, switch_to with $1f): the same run.
xvfb-run -a -s "-screen 0 1920x1080x24" "$sy" gui build/guest-kernel/kernel-i386.elf --smp 1 --append "spin 2 400" \
  --until-switch 12 --panel threads --size 1280x720 --screenshot "$out/switch-i386-threads.png"
# Two models side by side (gui --compare): the same run under linux and xv6,
# each machine stopped at the ret that ends its own 12th switch.
xvfb-run -a -s "-screen 0 1920x1080x24" "$sy" gui --smp 1 --compare linux,xv6 --append "spin 2 400" \
  --until-switch 12 --size 1920x1080 --screenshot "$out/switch-compare-linux-xv6.png"
ls -l "$out"/switch-*.png
