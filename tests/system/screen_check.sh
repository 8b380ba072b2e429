#!/usr/bin/env bash
# The --screen file shows what the kernel wrote into the VGA text buffer: the
# kernel prints each row it wrote as "screen NN:TEXT" (code page 437 bytes);
# converted to UTF-8 those rows must be the --screen file.
#   screen_check.sh -- SWITCHYARD run KERNEL [args...]
set -u
[ "$1" = "--" ] && shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$@" --screen "$tmp/screen.txt" > "$tmp/out" 2> "$tmp/err"
s=$?
fail=0
[ $s = 33 ] || { echo "exit status $s, expected 33"; cat "$tmp/err"; fail=1; }
sed -n 's/^screen [0-9][0-9]://p' "$tmp/out" | iconv -f CP437 -t UTF-8 > "$tmp/expected"
[ "$(wc -l < "$tmp/expected")" = 25 ] || { echo "the kernel did not print 25 screen rows"; fail=1; }
diff -u "$tmp/expected" "$tmp/screen.txt" || { echo "--screen differs from what the kernel wrote"; fail=1; }
exit $fail
