#!/usr/bin/env bash
# Regenerates tests/system/expected/cpu_<kernel>.txt from QEMU, the independent
# implementation: the 0xE9 output of each kernel under qemu-system-x86_64 with
# the CPU model the ctests use. Review the diff before committing it.
#   gen_expected.sh BUILD_DIR [kernel...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$1; shift
kernels=${*:-modes ring3 pagefault gsbase fpu faults x87sse addrspace irqwindow}
for k in $kernels; do
  out=$here/../expected/cpu_$k.txt
  cpu=qemu64,+fsgsbase
  [ "$k" = x87sse ] && cpu=$cpu,+ssse3,+sse4.1,+sse4.2,+popcnt
  args=()  # as SY_CPU_ARGS_<kernel> in CMakeLists.txt
  [ "$k" = addrspace ] && args=(-smp 2)
  set +e
  timeout 60 qemu-system-x86_64 -kernel "$build/tests/system/cpu/$k.elf" -cpu $cpu ${args[@]+"${args[@]}"} \
    -display none -serial null -monitor none -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon "file:$out"
  status=$?
  set -e
  echo "$k: QEMU exit status $status (a passing kernel exits with 33)"
done
