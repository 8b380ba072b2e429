#!/usr/bin/env bash
# The kernel image keeps the names a reader (and the debugger) looks for: the
# context-switch path and the system-call entry, as global text symbols under
# exactly these names (no compiler clones in their place), and the debugger
# descriptor; and it keeps its debug information.
#   check_symbols.sh KERNEL_ELF
set -u
elf=$1 fail=0
syms=$(nm "$elf") || exit 1
for s in __switch_to_asm __switch_to ret_from_fork schedule __schedule entry_SYSCALL_64; do
  grep -Eq "^[0-9a-f]+ T $s\$" <<< "$syms" || { echo "no global text symbol $s"; fail=1; }
  ! grep -Eq " $s\.(isra|constprop|part|cold)" <<< "$syms" || { echo "$s has compiler clones"; fail=1; }
done
grep -Eq "^[0-9a-f]+ [DdRr] switchyard_debug_descriptor\$" <<< "$syms" || { echo "no switchyard_debug_descriptor"; fail=1; }
readelf -S "$elf" | grep -q '\.debug_info' || { echo "no .debug_info section"; fail=1; }
[ $fail = 0 ] && echo "ok: $(grep -Ec ' [Tt] ' <<< "$syms") text symbols"
exit $fail
