#!/usr/bin/env bash
# Runs the bundled kernel's shell under --timing detailed --stats and checks the
# per-switch breakdown (docs/timing.md, "What a switch costs"):
#   - every switch has a cost, and its parts add up to its cycles;
#   - where the `ret` of __switch_to goes follows from the kernel's design (its
#     debugger descriptor: a forked task's inactive_task_frame holds
#     ret_from_fork, a task that ran before resumes after its own call to
#     __switch_to_asm in __schedule): the first switch into each task is to
#     ret_from_fork, every later one to __schedule;
#   - what the RSB predicts follows from its rules (SDM-level: a return
#     predicts the address the matching call pushed): without rsb_fill the top
#     entry is prev's own call site in __schedule, so the ret is right for an
#     ordinary switch and wrong into ret_from_fork; with rsb_fill every entry
#     is one of __switch_to_asm's speculation traps, so every ret is wrong and
#     predicts an address inside __switch_to_asm.
#   - the run's --trace carries the same breakdown: each switch instant's
#     args.cost is the line --stats printed for that switch (the trace's
#     instants matched to them by order of the switch log).
#   check_switch_cost.sh SWITCHYARD KERNEL INPUT [plain|rsb_fill]
set -u
sy=$1 kernel=$2 input=$3 mode=${4:-plain}
append=sh
[ "$mode" = rsb_fill ] && append="sh rsb_fill"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$sy" run "$kernel" --timing detailed --stats --trace "$tmp/trace.json" --append "$append" --input "$input" \
  --serial null 2> "$tmp/err"
status=$?
if [ "$status" != 7 ]; then
  echo "exit status: expected 7 (poweroff 3), got $status"; cat "$tmp/err"; exit 1
fi
grep -E '^(switch cost histogram|ordinary|first switches|switches without)' "$tmp/err"
# Every switch the tracker logged has its cost (the run ends long after the last one).
if grep -q '^switches without a cost' "$tmp/err"; then echo "FAIL: some switches have no cost"; exit 1; fi
awk -v mode="$mode" '
  $1 != "switch" || $2 !~ /^[0-9]+$/ { next }
  {
    n += 1
    delete f
    inparts = 0; sum = 0
    for (k = 3; k <= NF; ++k) {
      split($k, kv, "="); f[kv[1]] = kv[2]
      if (kv[1] == "l1i") inparts = 0
      if (inparts) sum += kv[2]
      if (kv[1] == "insns") inparts = 1
    }
    if (sum != f["cycles"]) { printf "FAIL switch %d: parts add up to %d, cycles=%d\n  %s\n", $2, sum, f["cycles"], $0; bad = 1 }
    split(f["next"], nx, ":"); pid = nx[1]
    first = !(pid in seen); seen[pid] = 1
    fork = f["actual"] == "ret_from_fork"
    if (f["ret"] !~ /^__switch_to\+/) { printf "FAIL switch %d: ret=%s is not in __switch_to\n", $2, f["ret"]; bad = 1 }
    # The idle tasks (pid 0) were never forked; every other task starts in ret_from_fork.
    if (pid != 0 && first && !fork) { printf "FAIL switch %d: first switch into pid %s lands at %s, not ret_from_fork\n", $2, pid, f["actual"]; bad = 1 }
    if (!first && f["actual"] !~ /^__schedule\+/) { printf "FAIL switch %d: pid %s ran before but lands at %s\n", $2, pid, f["actual"]; bad = 1 }
    if (mode == "plain") {
      want = fork ? "wrong" : "right"
      if (f["rsb"] != want) { printf "FAIL switch %d: into %s the RSB is %s, expected %s\n  %s\n", $2, f["actual"], f["rsb"], want, $0; bad = 1 }
    } else {
      if (f["rsb"] != "wrong" || f["predicted"] !~ /^__switch_to_asm\+/) {
        printf "FAIL switch %d: after rsb_fill the RSB predicted %s (%s), expected a trap in __switch_to_asm\n", $2, f["predicted"], f["rsb"]; bad = 1
      }
    }
    forks += fork; ordinary += !fork
  }
  END {
    printf "%d switches: %d into a forked task, %d ordinary\n", n, forks, ordinary
    if (forks == 0 || ordinary == 0) { print "FAIL: both kinds of switch are needed"; bad = 1 }
    exit bad
  }
' "$tmp/err" || exit 1
python3 - "$tmp/trace.json" "$tmp/err" <<'PY'
import json, re, sys
trace = json.load(open(sys.argv[1]))
stats = [l.rstrip("\n") for l in open(sys.argv[2]) if re.match(r"^switch \d+ ", l)]
costs = [e["args"].get("cost") for e in trace["traceEvents"] if e.get("ph") == "i" and e.get("cat") == "switch"]
if len(costs) != len(stats) or not stats:
    sys.exit("FAIL: the trace has %d switch instants, --stats %d switch lines" % (len(costs), len(stats)))
if None in costs:
    sys.exit("FAIL: %d switch instants carry no cost" % costs.count(None))
by_n = {int(c.split()[1]): c for c in costs}
for line in stats:
    if by_n.get(int(line.split()[1])) != line:
        sys.exit("FAIL: the trace's cost of %s differs:\n  stats: %s\n  trace: %s" % (line.split()[1], line, by_n.get(int(line.split()[1]))))
print("the trace carries all %d switch costs" % len(costs))
PY
