#!/usr/bin/env bash
# alloc-profile.sh - how much each worker allocates per request (issue #15: "allocation per
# request ≈ 0, JFR allocation profile in the note"). One hastd pair on 127.0.0.1, fio writes
# through the primary's NBD export while Java Flight Recorder (profile settings, started on both
# workers with jcmd) records; prints, for the primary's worker and then the secondary's, the bytes
# allocated per request, the threads that allocate and the top allocation sites (sampled,
# weighted by bytes).
#
#   bench/alloc-profile.sh [RUNTIME_SECONDS=15] [SIZE=512M] [RW=randwrite] [BS=4k] [QD=32] [MODE=fullsync]
#
# Files under /var/tmp/hast-alloc-bench-K (K from the checkout's path or HAST_BENCH_SLOT; ports 30400+2K and the next) (kept only with KEEP=1: the .jfr for `jfr print`). Run as
# root from a built checkout (mvn package -DskipTests). Needs fio, jcmd and jfr (the JDK).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME=${1:-15}
SIZE=${2:-512M}
RW=${3:-randwrite}
BS=${4:-4k}
QD=${5:-32}
MODE=${6:-fullsync}
# Defaults differ per checkout, so that runs from two worktrees never share files or ports.
# Two paths can hash to one slot (s8-alloc-p and s8-alloc-s did): HAST_BENCH_SLOT=K picks another.
checkout_slot=${HAST_BENCH_SLOT:-$(( $(cd "$(dirname "$0")/.." && pwd -P | cksum | cut -d" " -f1) % 199 ))}
work=${HAST_BENCH_DIR:-/var/tmp/hast-alloc-bench-$checkout_slot}
port_a=$(( 30400 + 2 * checkout_slot ))

for t in fio jcmd jfr python3; do
    command -v $t >/dev/null || { echo "alloc-profile: $t is missing" >&2; exit 69; }
done
[[ -f hastd/target/hastd.jar && -f hastctl/target/hastctl.jar ]] || {
    echo "alloc-profile: build first: mvn -q package -DskipTests" >&2; exit 69; }

. bench/lib/pair.sh
PAIR_DIR=$work
cleanup() {
    pair_stop
    [[ ${KEEP:-0} == 1 ]] && { rm -f "$work"/*/disk.img; echo "kept $work"; } || rm -rf "$work"
}
trap cleanup EXIT

pair_start alloc "$MODE" "$port_a"
uri=$PAIR_URI
pair_prefill
worker=$(pair_worker primary)
[[ -n $worker ]] || { echo "alloc-profile: no primary worker found" >&2; exit 70; }
secondary=$(pair_worker secondary)
[[ -n $secondary ]] || { echo "alloc-profile: no secondary worker found" >&2; exit 70; }

# A short warm-up so the recording sees the steady state, not the JIT's first minutes.
fio --name=warm --ioengine=nbd --uri="$uri" --rw="$RW" --bs="$BS" --iodepth="$QD" --size="$SIZE" \
    --time_based --runtime=3 --randrepeat=0 --output-format=terse >/dev/null 2>&1
# JFR's repository would otherwise be a dated folder in /tmp that outlives the run.
jcmd "$worker" JFR.configure repositorypath="$work/jfr-primary" >/dev/null
jcmd "$secondary" JFR.configure repositorypath="$work/jfr-secondary" >/dev/null
jcmd "$worker" JFR.start name=alloc settings=profile filename="$work/primary.jfr" >/dev/null
jcmd "$secondary" JFR.start name=alloc settings=profile filename="$work/secondary.jfr" >/dev/null
fio --name=measure --ioengine=nbd --uri="$uri" --rw="$RW" --bs="$BS" --iodepth="$QD" --size="$SIZE" \
    --time_based --runtime="$RUNTIME" --randrepeat=0 --output-format=json 2>/dev/null |
    sed -n '/^{/,$p' >"$work/fio.json"
jcmd "$worker" JFR.stop name=alloc >/dev/null
jcmd "$secondary" JFR.stop name=alloc >/dev/null
for role in primary secondary; do
    jfr print --json --events jdk.ThreadAllocationStatistics "$work/$role.jfr" >"$work/$role-threads.json"
    jfr print --json --events jdk.ObjectAllocationSample --stack-depth 8 "$work/$role.jfr" >"$work/$role-samples.json"
done

for role in primary secondary; do
python3 - "$work" "$RW $BS qd$QD $MODE, ${RUNTIME}s" "$role" <<'PY'
import collections, json, sys
work, label, role = sys.argv[1], sys.argv[2], sys.argv[3]
job = json.load(open(work + "/fio.json"))["jobs"][0]
requests = sum(job[d]["total_ios"] for d in ("read", "write", "trim"))

# Cumulative bytes per thread, first and last value seen during the recording.
first, last = {}, {}
for e in json.load(open(f"{work}/{role}-threads.json"))["recording"]["events"]:
    v = e["values"]
    name = (v.get("thread") or {}).get("javaName") or (v.get("thread") or {}).get("osName") or "?"
    first.setdefault(name, v["allocated"])
    last[name] = v["allocated"]
per_thread = sorted(((last[n] - first[n], n) for n in last), reverse=True)
total = sum(b for b, _ in per_thread)
print(f"{role} worker, {label}: {requests} requests, {total} bytes allocated "
      f"= {total / max(requests, 1):.1f} bytes per request")
print("threads that allocated most (bytes, bytes per request):")
for b, n in per_thread[:8]:
    if b > 0:
        print(f"  {b:>12}  {b / max(requests, 1):>9.1f}  {n}")

sites = collections.Counter()
for e in json.load(open(f"{work}/{role}-samples.json"))["recording"]["events"]:
    v = e["values"]
    frames = (v.get("stackTrace") or {}).get("frames") or []
    top = [f"{f['method']['type']['name'].split('.')[-1]}.{f['method']['name']}" for f in frames[:3]]
    sites[(v["objectClass"]["name"], " < ".join(top))] += v["weight"]
print("top allocation sites (sampled weight, bytes):")
for (cls, where), w in sites.most_common(12):
    print(f"  {w:>12}  {cls}  {where}")
PY
done
