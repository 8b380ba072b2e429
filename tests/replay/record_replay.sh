#!/usr/bin/env bash
# Records a run whose input is typed into a FIFO while it runs, then replays
# the recording and requires the same output, exit status and --stats figures
# (cycles and instructions, per CPU too). No sleeps: the script waits for the
# guest's prompt before each line it types, so the input arrives while the
# guest is waiting for it, at points only the recording knows.
#   record_replay.sh [--status N] [--prompt TEXT] [--line TEXT]... -- SWITCHYARD run-args...
# Each --line is typed (with a newline) once the output has shown the prompt
# given last before it, again.
set -u
prompt="" status=0 lines=() prompts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prompt) prompt=$2; shift 2 ;;
    --status) status=$2; shift 2 ;;
    --line) lines+=("$2"); prompts+=("$prompt"); shift 2 ;;
    --) shift; break ;;
    *) echo "record_replay.sh: unknown option $1"; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/in" "$tmp/out"
"$@" --record "$tmp/run.syr" --stats < "$tmp/in" > "$tmp/out" 2> "$tmp/err" &
pid=$!
exec 3> "$tmp/in"
exec 4< "$tmp/out"
: > "$tmp/recorded"
fail=0
# Reads the output a byte at a time until it ends with the prompt.
wait_prompt() {
  local c seen="" prompt=$1
  while IFS= read -r -d '' -n 1 c <&4; do
    [ -z "$c" ] && c=$'\n'
    printf '%s' "$c" >> "$tmp/recorded"
    seen="$seen$c"
    [ ${#seen} -gt ${#prompt} ] && seen=${seen:$((${#seen} - ${#prompt}))}
    [ "$seen" = "$prompt" ] && return 0
  done
  return 1
}
for k in "${!lines[@]}"; do
  if ! wait_prompt "${prompts[$k]}"; then echo "the output ended before the prompt '${prompts[$k]}'"; fail=1; break; fi
  printf '%s\n' "${lines[$k]}" >&3
done
exec 3>&-
cat <&4 >> "$tmp/recorded"
exec 4<&-
wait $pid
got=$?
[ "$got" = "$status" ] || { echo "recorded run: exit status $got, expected $status"; cat "$tmp/err"; fail=1; }

"$@" --replay "$tmp/run.syr" --stats < /dev/null > "$tmp/replayed" 2> "$tmp/err2"
got2=$?
[ "$got2" = "$got" ] || { echo "replay: exit status $got2, the recorded run $got"; cat "$tmp/err2"; fail=1; }
cmp -s "$tmp/recorded" "$tmp/replayed" || { echo "the replay's output differs:"; diff "$tmp/recorded" "$tmp/replayed" | head -20; fail=1; }
grep -q '^cycles=' "$tmp/err" || { echo "no --stats in the recorded run:"; cat "$tmp/err"; fail=1; }
diff <(grep -E '^(cycles=|cpu[0-9]+ )' "$tmp/err") <(grep -E '^(cycles=|cpu[0-9]+ )' "$tmp/err2") ||
  { echo "--stats differ (recorded, replayed)"; cat "$tmp/err2"; fail=1; }
[ $fail = 0 ] && { grep '^cycles=' "$tmp/err"; echo "recording: $(stat -c %s "$tmp/run.syr") bytes"; }
exit $fail
