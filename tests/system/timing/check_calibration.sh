#!/usr/bin/env bash
# Runs one calibration kernel under --timing detailed and checks that what it
# measured falls on the model's own parameters (docs/timing.md, "Calibration").
#   check_calibration.sh BENCH SWITCHYARD KERNEL [run-args...]
# The expectations come from `SWITCHYARD timing-params`, never from a previous
# run: each result line is checked against the parameter that should decide it,
# within 10 %. Sizes between two regimes (a buffer about the size of a cache)
# are printed but not checked.
set -u
bench=$1 sy=$2 kernel=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$sy" timing-params > "$tmp/params" || { echo "timing-params failed"; exit 1; }
"$sy" run "$kernel" --timing detailed --serial null --debugcon "file:$tmp/e9" "$@" > /dev/null 2> "$tmp/err"
status=$?
cat "$tmp/e9"
if [ "$status" != 33 ]; then
  echo "exit status: expected 33, got $status"; cat "$tmp/err"; exit 1
fi
awk -v bench="$bench" '
  FNR == NR { if ($1 !~ /^#/) p[$1] = $2; next }   # the parameter table
  $1 != bench { next }
  {
    delete f
    for (k = 2; k <= NF; ++k) { split($k, kv, "="); f[kv[1]] = kv[2] }
    n += 1; line[n] = $0
    for (key in f) v[n, key] = f[key]
  }
  function near(got, want, what, tol) {
    if (tol == "") tol = 0.10 * want
    ok = (got >= want - tol && got <= want + tol)
    printf "%-5s %s: %.3f, expected %.3f +- %.3f\n", ok ? "ok" : "FAIL", what, got, want, tol
    if (!ok) failed = 1
    checked += 1
  }
  END {
    if (n == 0) { print "FAIL: no result lines"; exit 1 }
    if (bench == "chase") {
      for (i = 1; i <= n; ++i) {
        b = v[i, "bytes"]; cpl = v[i, "cycles"] / v[i, "loads"]; want = ""
        if (b <= p["l1d.bytes"] / 2) { want = p["l1d.latency"]; lv = "L1D" }
        else if (b >= 2 * p["l1d.bytes"] && b <= p["l2.bytes"] / 2) { want = p["l2.latency"]; lv = "L2" }
        else if (b >= 2 * p["l2.bytes"] && b <= p["llc.bytes"] / 2) { want = p["llc.latency"]; lv = "LLC" }
        else if (b >= 16 * p["llc.bytes"]) { want = p["dram.latency"]; lv = "DRAM" }
        if (want != "") { near(cpl, want, sprintf("%d KiB fits %s: cycles per load", b / 1024, lv)); levels[lv] = 1 }
      }
      if (length(levels) != 4) { print "FAIL: not every level was measured"; failed = 1 }
    } else if (bench == "tlb") {
      for (i = 1; i <= n; ++i) if (v[i, "pages"] == 8) base = v[i, "cycles"] / v[i, "steps"]
      walk = p["stlb.hit_latency"] + p["walk.latency"] + 4 * p["l1d.latency"]
      for (i = 1; i <= n; ++i) {
        pg = v[i, "pages"]; extra = v[i, "cycles"] / v[i, "steps"] - base
        if (pg <= p["dtlb_4k.entries"] / 2) near(extra, 0, pg " pages fit the DTLB: extra cycles per load", 0.1 * p["stlb.hit_latency"])
        else if (pg >= 2 * p["dtlb_4k.entries"] && pg <= p["stlb.entries"] / 2)
          near(extra, p["stlb.hit_latency"], pg " pages fit the STLB: extra cycles per load")
        else if (pg >= p["stlb.entries"] * 4 / 3 && pg * 8 <= p["l1d.bytes"] / 2)
          near(extra, walk, pg " pages walk, entries in the L1D: extra cycles per load")
      }
    } else if (bench == "branch") {
      # Cycles per iteration of each way, from the two predictable loops.
      for (i = 1; i <= n; ++i) {
        if (v[i, "period"] == 1) taken = v[i, "cycles"] / v[i, "iters"]
        if (v[i, "period"] == 0) fallthrough = v[i, "cycles"] / v[i, "iters"]
      }
      for (i = 1; i <= n; ++i) {
        P = v[i, "period"]; if (P < 2) continue
        K = v[i, "iters"]; periods = K / P
        predicted = periods * taken + (K - periods) * fallthrough
        per = (v[i, "cycles"] - predicted) / p["mispredict.penalty"] / periods
        if (P <= p["history.bits"] / 4) near(per, 0, "period " P " learnt: mispredictions per period", 0.1)
        else if (P >= 2 * p["history.bits"]) near(per, 1, "period " P " beyond the history: mispredictions per period")
      }
    } else if (bench == "rsb") {
      r = p["rsb.entries"]
      for (i = 1; i <= n; ++i) {
        c[v[i, "depth"]] = v[i, "cycles"] / v[i, "iters"]
      }
      if (!((r / 2) in c) || !(r in c)) { print "FAIL: depths " r / 2 " and " r " are needed"; exit 1 }
      per_level = (c[r] - c[r / 2]) / (r / 2)   # a call and its return, predicted
      for (i = 1; i <= n; ++i) {
        d = v[i, "depth"]; mis = (c[d] - c[r] - per_level * (d - r)) / p["mispredict.penalty"]
        if (d < r) near(mis, 0, "depth " d ": mispredicted returns", 0.1)
        else if (d > r) near(mis, d - r, "depth " d ": mispredicted returns")
      }
    } else if (bench == "alu") {
      for (i = 1; i <= n; ++i) {
        ch = v[i, "chain"]; cpi = v[i, "cycles"] / v[i, "insns"]
        if (ch == "dependent-add") near(cpi, p["table.alu"], "dependent ADDs: cycles each")
        if (ch == "independent-add") near(cpi, 1 / p["issue.width"], "independent ADDs: cycles each")
        if (ch == "dependent-mul") near(cpi, p["table.mul"], "dependent IMULs: cycles each")
      }
    }
    if (checked == 0) { print "FAIL: nothing checked"; exit 1 }
    exit failed
  }
' "$tmp/params" "$tmp/e9"
