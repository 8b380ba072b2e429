#!/usr/bin/env bash
# The same guest workloads under switchyard, QEMU (TCG) and Bochs, side by side
# (docs/performance.md shows a table from here). A benchmark, not a test: it
# prints figures and checks only that every engine computed the right thing.
#
#   scripts/compare-peers.sh            install what is missing, build, run all
#   WORKLOADS="alu sieve" scripts/compare-peers.sh      a subset
#   ALU_N=... CALL_N=... KERNEL_N=... scripts/compare-peers.sh   other sizes
#
# Workloads, each one Multiboot image whose command line ends with a count:
#   alu     emu/bench.cpp's ALU loop, ALU_N iterations of 9 instructions
#   call    its call/ret loop, CALL_N iterations of 5 instructions
#   sieve   its paging sieve: 64 Mi numbers in 4 KiB pages, once (checked
#           against the host's prime count)
#   kernel  the bundled guest kernel running `bench KERNEL_N` on one CPU: two
#           processes making KERNEL_N getpid and KERNEL_N sched_yield each
# The bare-metal ones are scripts/peers/workload.c on the long-mode boot
# library of tests/system/cpu.
#
# How each engine boots them: switchyard and QEMU load the image directly
# (-kernel, -append); Bochs boots a GRUB CD (grub-mkrescue) with the image and
# the command line in grub.cfg, configured by a bochsrc written here (no
# display: the ncurses "term" library on a pty-less stdout; the Bochs debugger
# of Debian's build is told to continue at once). Every workload also runs
# with count 0, and the table shows the differences of the two runs' host
# times: the workload without the boot (BIOS, GRUB, the kernel's start) and
# exit. Two times per engine: CPU (user + system seconds of the engine's
# process, GNU time) and wall. On a host shared with other work the wall
# times of short runs are noise (even negative); the ratios use CPU time.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/packages.sh
install_missing qemu-system-x86 bochs bochsbios vgabios bochs-term grub-pc-bin grub-common xorriso mtools \
  build-essential python3 time
scripts/setup.sh >/dev/null

WORKLOADS=${WORKLOADS:-alu call sieve kernel}
ALU_N=${ALU_N:-150000000}
CALL_N=${CALL_N:-50000000}
KERNEL_N=${KERNEL_N:-40000}
SY=build/switchyard
KERNEL=build/guest-kernel/kernel.elf
OUT=build/peers
TIMEOUT=${TIMEOUT:-300}  # seconds per engine run
mkdir -p "$OUT"

die() { echo "compare-peers: $*" >&2; exit 1; }

# ---- the images ----
CPU_LIB=tests/system/cpu
for w in alu call sieve; do
  gcc -m64 -ffreestanding -fno-pie -no-pie -mno-red-zone -mgeneral-regs-only -mcmodel=small -fno-stack-protector \
    -fno-asynchronous-unwind-tables -O2 -Wall -Wextra -nostdlib -static -I"$CPU_LIB" -T "$CPU_LIB/kernel.ld" \
    -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack "-DWORKLOAD_${w^^}" \
    -o "$OUT/$w.elf64" "$CPU_LIB/boot.S" "$CPU_LIB/lib.c" scripts/peers/workload.c
  objcopy -O elf32-i386 "$OUT/$w.elf64" "$OUT/$w.elf"  # QEMU's -kernel takes ELF32 Multiboot images
done
cp "$KERNEL" "$OUT/kernel.elf"

# The oracle for the sieve: the primes below 64 Mi, counted on the host.
PRIMES=$(python3 -c '
n = 64 << 20
s = bytearray([1]) * n
s[0] = s[1] = 0
i = 2
while i * i < n:
    if s[i]: s[i * i::i] = bytes(len(range(i * i, n, i)))
    i += 1
print(sum(s))')

image() { case $1 in kernel) echo "$OUT/kernel.elf" ;; *) echo "$OUT/$1.elf" ;; esac; }
cmdline() {  # workload count -> the words after the kernel's path
  case $1 in
    alu) echo "alu $2" ;; call) echo "call $2" ;; sieve) echo "sieve $2" ;; kernel) echo "bench $2" ;;
  esac
}
count() { case $1 in alu) echo "$ALU_N" ;; call) echo "$CALL_N" ;; sieve) echo 1 ;; kernel) echo "$KERNEL_N" ;; esac; }

# A Bochs run: the GRUB CD and the bochsrc for one image and command line.
bochs_files() {  # tag image cmdline
  local dir="$OUT/bochs-$1"
  rm -rf "$dir" && mkdir -p "$dir/iso/boot/grub"
  cp "$2" "$dir/iso/boot/image.elf"
  # GRUB passes only the words after the file name; the kernels skip a first
  # word (their path, under QEMU's and switchyard's -append), so give one.
  cat >"$dir/iso/boot/grub/grub.cfg" <<EOF
set timeout=0
set default=0
menuentry "workload" {
  multiboot /boot/image.elf /boot/image.elf $3
  boot
}
EOF
  grub-mkrescue -o "$dir/boot.iso" "$dir/iso" >/dev/null 2>&1 || die "grub-mkrescue failed"
  cat >"$dir/bochsrc" <<EOF
megs: 256
cpu: model=corei7_sandy_bridge_2600k, ips=100000000
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
ata0-master: type=cdrom, path=$dir/boot.iso, status=inserted
boot: cdrom
display_library: term
port_e9_hack: enabled=1
com1: enabled=1, mode=file, dev=$dir/serial.txt
log: $dir/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
clock: sync=none
EOF
  echo c >"$dir/debugger.rc"  # Debian's Bochs has the debugger: continue at once
}

# run ENGINE WORKLOAD COUNT: runs it, checks the output, prints the host CPU
# and wall seconds.
run() {
  local engine=$1 w=$2 n=$3 img args tag="$1-$2-$3" status=0
  img=$(image "$w")
  args=$(cmdline "$w" "$n")
  local e9="$OUT/$tag.e9" serial="$OUT/$tag.serial" log="$OUT/$tag.log" times="$OUT/$tag.time"
  local timed=(/usr/bin/time -f "%e %U %S" -o "$times" timeout -s KILL "$TIMEOUT")
  rm -f "$e9" "$serial" "$times"
  case $engine in
    switchyard)
      "${timed[@]}" "$SY" run -kernel "$img" -m 256 -smp 1 -append "$args" \
        -debugcon "file:$e9" -serial "file:$serial" --stats >"$log" 2>&1 || status=$?
      [ "$status" = 1 ] || die "$tag: switchyard exited with $status (see $log)"
      ;;
    qemu)
      "${timed[@]}" qemu-system-x86_64 -accel tcg -m 256 -smp 1 -display none -no-reboot \
        -kernel "$img" -append "$args" -debugcon "file:$e9" -serial "file:$serial" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 >"$log" 2>&1 || status=$?
      [ "$status" = 1 ] || die "$tag: QEMU exited with $status (see $log)"
      ;;
    bochs)
      bochs_files "$tag" "$img" "$args"
      local dir="$OUT/bochs-$tag"
      TERM=${TERM:-xterm} "${timed[@]}" bochs -q -f "$dir/bochsrc" -rc "$dir/debugger.rc" \
        </dev/null >"$log" 2>&1 || status=$?
      grep -aq "Shutdown port: shutdown requested" "$log" || die "$tag: Bochs did not power off (see $log)"
      # port_e9_hack writes to Bochs' stdout; the guest's text is there between the screen updates.
      grep -a -o "start [0-9]*\|primes below [0-9]*: [0-9]*\|end" "$log" >"$e9" || true
      cp "$dir/serial.txt" "$serial" 2>/dev/null || true
      ;;
  esac
  if [ "$w" = kernel ]; then
    [ "$(grep -ac "^bench: .* done:" "$serial")" = 2 ] || die "$tag: the guest's bench did not finish (see $serial)"
  else
    grep -aq "^end" "$e9" || die "$tag: no end marker (see $e9, $log)"
    if [ "$w" = sieve ] && [ "$n" != 0 ]; then
      local got
      got=$(grep -a -o "primes below [0-9]*: [0-9]*" "$e9" | head -1 | sed 's/.*: //')
      [ "$got" = "$PRIMES" ] || die "$tag: the guest counted ${got:-nothing} primes, the host $PRIMES"
    fi
  fi
  if [ "$engine" = switchyard ]; then sed -n 's/.*insns=\([0-9]*\).*/\1/p' "$log" | head -1 >"$OUT/$tag.insns"; fi
  # GNU time's last line: wall, user, system seconds.
  tail -1 "$times" | awk '{ printf "%.3f %.3f\n", $2 + $3, $1 }'
}

echo "compare-peers: $(nproc) host CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "compare-peers: switchyard $(git rev-parse --short HEAD 2>/dev/null || echo "(no git)"), $(qemu-system-x86_64 --version | head -1), Bochs $(dpkg-query -W -f='${Version}' bochs)"
table="$OUT/table.txt"
printf "%-8s %12s   %-17s %-17s %-17s %8s %8s\n" workload "guest insns" "switchyard" "QEMU" "Bochs" \
  "sy/QEMU" "sy/Bochs" >"$table"
printf "%-8s %12s   %-17s %-17s %-17s %8s %8s\n" "" "" "cpu s (wall s)" "cpu s (wall s)" "cpu s (wall s)" "cpu" "cpu" >>"$table"
for w in $WORKLOADS; do
  n=$(count "$w")
  declare -A cpu=() wall=()
  for engine in switchyard qemu bochs; do
    echo "compare-peers: $w ($n) under $engine ..." >&2
    base=$(run "$engine" "$w" 0)  # (an assignment, so that a failed run stops the script)
    full=$(run "$engine" "$w" "$n")
    read -r base_cpu base_wall <<<"$base"
    read -r full_cpu full_wall <<<"$full"
    cpu[$engine]=$(awk -v a="$base_cpu" -v b="$full_cpu" 'BEGIN { printf "%.2f", b - a }')
    wall[$engine]=$(awk -v a="$base_wall" -v b="$full_wall" 'BEGIN { printf "%.2f", b - a }')
  done
  insns=$(( $(cat "$OUT/switchyard-$w-$n.insns") - $(cat "$OUT/switchyard-$w-0.insns") ))
  awk -v w="$w" -v i="$insns" -v s="${cpu[switchyard]}" -v q="${cpu[qemu]}" -v b="${cpu[bochs]}" \
    -v sw="${wall[switchyard]}" -v qw="${wall[qemu]}" -v bw="${wall[bochs]}" '
    function cell(c, t) { return sprintf("%6.2f (%7.2f)", c, t) }
    function ratio(a, b) { return b > 0 ? sprintf("%8.2f", a / b) : sprintf("%8s", "-") }
    BEGIN { printf "%-8s %12d   %-17s %-17s %-17s %s %s\n", w, i, cell(s, sw), cell(q, qw), cell(b, bw),
            ratio(s, q), ratio(s, b) }' >>"$table"
  unset cpu wall
done
echo
cat "$table"
echo "(host seconds of the workload: the run with the count minus the run with 0; guest insns as switchyard retires them)"
