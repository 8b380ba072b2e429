#!/usr/bin/env bash
# Regenerates the screenshots of docs/gui.md (docs/images/gui-*.png) with the
# GUI's headless mode under Xvfb: one switch between two spinners on one CPU
# (`--append "spin 2 400"`, the same run docs/guest-kernel.md walks through),
# stepped from the first instruction of __switch_to_asm to where its ret lands.
# Rerun it when the kernel or the GUI changes; the runs are deterministic.
set -euo pipefail
cd "$(dirname "$0")/.."
sy=build/switchyard
out=docs/images
mkdir -p "$out"
export LIBGL_ALWAYS_SOFTWARE=1
gui() { xvfb-run -a -s "-screen 0 1920x1080x24" "$sy" gui --smp 1 --append "spin 2 400" "$@"; }
# The 12th switch of the run, from its first instruction: F5 to the breakpoint.
at_entry=(--until-switch 11 --break __switch_to_asm)
f11() { local k=F5; for ((i = 0; i < $1; ++i)); do k="$k,F11"; done; echo "$k"; }

gui --until-switch 12 --size 1920x1080 --screenshot "$out/gui-overview.png"
gui "${at_entry[@]}" --keys "$(f11 0)" --panel anatomy --size 1280x720 --screenshot "$out/gui-anatomy-1-entry.png"
gui "${at_entry[@]}" --keys "$(f11 6)" --panel anatomy --size 1280x720 --screenshot "$out/gui-anatomy-2-pushed.png"
gui "${at_entry[@]}" --keys "$(f11 8)" --panel anatomy --size 1280x720 --screenshot "$out/gui-anatomy-3-rsp-moved.png"
gui "${at_entry[@]}" --keys "$(f11 20)" --panel anatomy --size 1280x720 --screenshot "$out/gui-anatomy-4-popped.png"
gui "${at_entry[@]}" --keys "$(f11 21),F6" --panel anatomy --size 1280x720 --screenshot "$out/gui-anatomy-5-ret.png"
gui "${at_entry[@]}" --keys "$(f11 21),F6" --panel threads --size 1280x720 --screenshot "$out/gui-threads-ret.png"
gui "${at_entry[@]}" --keys "$(f11 21),F6,F11" --panel threads --size 1280x720 --screenshot "$out/gui-threads-landed.png"
gui --until-switch 12 --panel cpu --size 1280x720 --screenshot "$out/gui-cpu.png"
gui --until-switch 12 --panel log --size 1280x720 --screenshot "$out/gui-log.png"
gui --until-switch 12 --panel memory --size 1280x720 --screenshot "$out/gui-memory.png"
ls -l "$out"/gui-*.png
