#!/usr/bin/env bash
# Creates a fresh 64 KiB raw disk image whose sector 0 starts with a text
# line, then runs the rest of the command line with @IMG@ replaced by its path.
#   make_disk.sh IMAGE -- COMMAND...
set -eu
img=$1; shift
[ "$1" = "--" ] && shift
printf 'switchyard test disk, sector 0\n' > "$img"
truncate -s 65536 "$img"
args=()
for a in "$@"; do args+=("${a//@IMG@/$img}"); done
exec "${args[@]}"
