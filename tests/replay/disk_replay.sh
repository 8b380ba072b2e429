#!/usr/bin/env bash
# A recorded run that writes its disk image, replayed against the image as the
# run left it: the replay rebuilds the image the run started with (the
# recording kept each sector from before its first write), gives the same
# output, status and --stats, and leaves the file alone. An image that is
# neither the recorded one nor that image after the run is refused.
#   disk_replay.sh STATUS -- SWITCHYARD run KERNEL
set -u
status=$1; shift
[ "$1" = "--" ] && shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
img=$tmp/disk.img
printf 'switchyard test disk, sector 0\n' > "$img"
truncate -s 65536 "$img"
before=$(sha256sum < "$img")
fail=0
"$@" --drive "file=$img,index=0" --record "$tmp/run.syr" --stats > "$tmp/out1" 2> "$tmp/err1"
got=$?
[ "$got" = "$status" ] || { echo "recorded run: status $got, expected $status"; cat "$tmp/err1"; fail=1; }
after=$(sha256sum < "$img")
[ "$before" != "$after" ] || { echo "the recorded run did not write its disk: the test shows nothing"; fail=1; }
"$@" --drive "file=$img,index=0" --replay "$tmp/run.syr" --stats > "$tmp/out2" 2> "$tmp/err2"
got2=$?
[ "$got2" = "$got" ] || { echo "replay: status $got2, recorded $got"; cat "$tmp/err2"; fail=1; }
cmp -s "$tmp/out1" "$tmp/out2" || { echo "outputs differ"; diff "$tmp/out1" "$tmp/out2" | head; fail=1; }
diff <(grep -E '^(cycles=|cpu[0-9]+ )' "$tmp/err1") <(grep -E '^(cycles=|cpu[0-9]+ )' "$tmp/err2") || { echo "--stats differ"; fail=1; }
[ "$(sha256sum < "$img")" = "$after" ] || { echo "the replay wrote the disk image"; fail=1; }
# Another image: refused in one line, status 2.
printf 'another disk\n' > "$tmp/other.img"
truncate -s 65536 "$tmp/other.img"
"$@" --drive "file=$tmp/other.img,index=0" --replay "$tmp/run.syr" > /dev/null 2> "$tmp/err3"
got3=$?
[ "$got3" = 2 ] || { echo "another image: status $got3, expected 2"; fail=1; }
grep -q '^switchyard: .*other.img: not the disk image the recording started with' "$tmp/err3" && [ "$(wc -l < "$tmp/err3")" = 1 ] ||
  { echo "another image: expected one line naming it:"; cat "$tmp/err3"; fail=1; }
exit $fail
