#!/usr/bin/env bash
# Checks that kernel.elf can be loaded by the Multiboot a.out kludge: every
# PT_LOAD segment with file contents must sit in the file at the same distance
# from the first one as in physical memory (p_offset - p_paddr constant), and
# the Multiboot header must be in the first 8 KiB.
set -euo pipefail
elf=$1
fail() { echo "check_layout.sh: $elf: $*" >&2; rm -f "$elf"; exit 1; }
delta=""
while read -r type off vaddr paddr filesz memsz rest; do
  [ "$type" = LOAD ] || continue
  [ $((filesz)) -gt 0 ] || continue
  d=$((off - paddr))
  if [ -z "$delta" ]; then delta=$d
  elif [ "$d" != "$delta" ]; then fail "segment at paddr $paddr is at file offset $off, breaking the contiguous image"; fi
done < <(readelf -lW "$elf" | awk '$1 == "LOAD" { print $1, $2, $3, $4, $5, $6 }')
[ -n "$delta" ] || fail "no loadable segment"
magic_at=$(od -An -tx4 -w4 -v -N 8192 "$elf" | grep -n -m1 '1badb002' | cut -d: -f1 || true)
[ -n "$magic_at" ] || fail "no Multiboot header in the first 8 KiB"
