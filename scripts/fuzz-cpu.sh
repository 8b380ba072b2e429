#!/usr/bin/env bash
# Random-instruction fuzzing of the interpreter under AddressSanitizer and
# UndefinedBehaviorSanitizer (tests/fuzz/cpu_fuzz.cpp says what a case is).
# Builds sy_cpu_fuzz in a separate directory configured with -DSY_SANITIZE=ON
# and runs it; any sanitizer report or broken invariant stops it with a
# non-zero status and the CPU state. The suite runs a short unsanitized version
# (ctest cpu_fuzz_short).
#   scripts/fuzz-cpu.sh [--cases N] [--seed N] [--build DIR]
# Defaults: 3000000 cases (about 70 s of CPU time once built), seed 1, build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
cases=3000000 seed=1 dir=build-asan
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --build) dir=$2; shift 2 ;;
    *) echo "switchyard: fuzz-cpu.sh: unknown option $1 (use --cases N, --seed N, --build DIR)"; exit 2 ;;
  esac
done
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSY_SANITIZE=ON >/dev/null
cmake --build "$dir" -j2 --target sy_cpu_fuzz
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
start=$(date +%s)
"$dir/tests/sy_cpu_fuzz" --seed "$seed" --cases "$cases"
echo "fuzz-cpu.sh: $cases cases, seed $seed, $(( $(date +%s) - start )) s, no sanitizer report"
