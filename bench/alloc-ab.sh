#!/usr/bin/env bash
# alloc-ab.sh - allocation per request, base checkout beside this one (issue #15: "allocation per
# request ≈ 0"). For each repetition and workload, bench/alloc-profile.sh of the base checkout then
# of this one (each with its own files and ports, interleaved); prints each run's bytes per request
# of the primary's and the secondary's worker and their event loops, then a table of medians.
# Bytes per request hardly depend on the machine's load; the wall-clock figures of the runs
# (requests per run) are in the raw lines.
#
#   bench/alloc-ab.sh [BASE=/var/tmp/s7-base] [REPS=1] [RUNTIME=15]
#   WORKLOADS="randwrite:4k:32 write:1m:32" (RW:BS:QD, fullsync) selects the workloads.
#
# About 70 s per run: REPS=1 with the two default workloads takes about 5 minutes. Both checkouts
# must be built (mvn package -DskipTests). Run as root; needs what alloc-profile.sh needs.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-/var/tmp/s7-base}
REPS=${2:-1}
RUNTIME=${3:-15}
WORKLOADS=(${WORKLOADS:-randwrite:4k:32 write:1m:32})
[[ -x $BASE/bench/alloc-profile.sh ]] || { echo "alloc-ab: no built checkout at $BASE" >&2; exit 66; }
raw=$(mktemp /tmp/alloc-ab.XXXXXX)
trap 'rm -f "$raw"' EXIT

for ((rep = 1; rep <= REPS; rep++)); do
    for w in "${WORKLOADS[@]}"; do
        IFS=: read -r rw bs qd <<<"$w"
        for variant in base this; do
            home=$([[ $variant == base ]] && echo "$BASE" || pwd)
            out=$("$home/bench/alloc-profile.sh" "$RUNTIME" 512M "$rw" "$bs" "$qd" fullsync 2>/dev/null)
            # "<role> worker, ...: N requests, B bytes allocated = X bytes per request", then per thread
            python3 - "$variant" "$rw-$bs-qd$qd" "$out" <<'PY' | tee -a "$raw"
import re, sys
variant, workload, out = sys.argv[1:]
fig = {}
role = None
for line in out.splitlines():
    m = re.match(r"(primary|secondary) worker, .*: (\d+) requests, \d+ bytes allocated = ([\d.]+) bytes per request", line)
    if m:
        role = m.group(1)
        fig[role] = float(m.group(3))
        fig[role + "-requests"] = int(m.group(2))
        continue
    m = re.match(r"\s+\d+\s+([\d.]+)\s+(worker-io|secondary-net)\S*", line)
    if m and role and role + "-loop" not in fig:
        fig[role + "-loop"] = float(m.group(1))
print(variant, workload, *(f"{k}={fig.get(k, 'na')}" for k in
      ("primary", "primary-loop", "secondary", "secondary-loop", "primary-requests")))
PY
        done
    done
done

python3 - "$raw" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    variant, workload, *kv = line.split()
    for item in kv:
        k, v = item.split("=")
        if v != "na":
            runs.setdefault((workload, k), {}).setdefault(variant, []).append(float(v))
cols = ("primary", "primary-loop", "secondary", "secondary-loop")
print()
print("bytes allocated per request (median), base -> this")
print(f"{'workload':<22}" + "".join(f"{c:>24}" for c in cols))
for workload in dict.fromkeys(w for w, _ in runs):
    cells = []
    for c in cols:
        r = runs.get((workload, c), {})
        b = statistics.median(r["base"]) if "base" in r else float("nan")
        t = statistics.median(r["this"]) if "this" in r else float("nan")
        cells.append(f"{b:9.1f} -> {t:9.1f}")
    print(f"{workload:<22}" + "".join(f"{c:>24}" for c in cells))
PY
