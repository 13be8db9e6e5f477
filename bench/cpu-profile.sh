#!/usr/bin/env bash
# cpu-profile.sh - where the primary worker's CPU goes per request (issue #15): one hastd pair on
# 127.0.0.1, fio through the primary's NBD export, perf sampling the primary worker (frame
# pointers kept, JIT symbols from `jcmd Compiler.perfmap`). Prints the requests served and the
# sampled CPU per request, the share of samples per thread, then for the three busiest threads
# their samples by system call (the outermost kernel frame's syscall) or else by leaf function.
#
#   bench/cpu-profile.sh [RUNTIME_SECONDS=10] [SIZE=256M] [RW=randwrite] [BS=4k] [QD=32] [MODE=fullsync]
#
# WARMUP=S (default 20) seconds of the same workload before recording; TOP=N rows per thread.
# Files under /var/tmp/hast-cpu-profile-K (K from the checkout's path or HAST_BENCH_SLOT; ports 30800+2K and the
# next), kept with KEEP=1 (perf.data and perf.txt; the JIT map /tmp/perf-PID.map is removed on
# exit). Run as root from a built checkout. Needs fio, perf, jcmd, python3. About
# RUNTIME + WARMUP + 40 s on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME=${1:-10}
SIZE=${2:-256M}
RW=${3:-randwrite}
BS=${4:-4k}
QD=${5:-32}
MODE=${6:-fullsync}
WARMUP=${WARMUP:-20}
# Defaults differ per checkout, so that runs from two worktrees never share files or ports.
checkout_slot=${HAST_BENCH_SLOT:-$(( $(cd "$(dirname "$0")/.." && pwd -P | cksum | cut -d" " -f1) % 199 ))}
work=${HAST_BENCH_DIR:-/var/tmp/hast-cpu-profile-$checkout_slot}
port_a=$(( 30800 + 2 * checkout_slot ))

for t in fio jcmd perf python3; do
    command -v $t >/dev/null || { echo "cpu-profile: $t is missing" >&2; exit 69; }
done
[[ -f hastd/target/hastd.jar && -f hastctl/target/hastctl.jar ]] || {
    echo "cpu-profile: build first: mvn -q package -DskipTests" >&2; exit 69; }

. bench/lib/pair.sh
PAIR_DIR=$work
cleanup() {
    pair_stop
    [[ -n ${worker:-} ]] && rm -f "/tmp/perf-$worker.map"
    [[ ${KEEP:-0} == 1 ]] && { rm -f "$work"/*/disk.img; echo "kept $work"; } || rm -rf "$work"
}
trap cleanup EXIT

PAIR_HASTD_ENV=("HAST_WORKER_JVM_OPTIONS=-XX:+PreserveFramePointer ${XOPTS:-}")
pair_start cpuprof "$MODE" "$port_a"
uri=$PAIR_URI
pair_prefill
worker=$(pair_worker primary)
[[ -n $worker ]] || { echo "cpu-profile: no primary worker found" >&2; exit 70; }

# A warm-up so the recording sees the steady state, not the JIT's first seconds (C2 shows
# in the profile while it still compiles).
fio --name=warm --ioengine=nbd --uri="$uri" --rw="$RW" --bs="$BS" --iodepth="$QD" --size="$SIZE" \
    --time_based --runtime="$WARMUP" --randrepeat=0 --output-format=terse >/dev/null 2>&1
jcmd "$worker" Compiler.perfmap >/dev/null 2>&1 || true
perf record -F 999 -g -p "$worker" -o "$work/perf.data" -- sleep "$RUNTIME" >/dev/null 2>&1 &
perf_pid=$!
fio --name=measure --ioengine=nbd --uri="$uri" --rw="$RW" --bs="$BS" --iodepth="$QD" --size="$SIZE" \
    --time_based --runtime="$RUNTIME" --randrepeat=0 --output-format=json 2>/dev/null |
    sed -n '/^{/,$p' >"$work/fio.json"
wait $perf_pid || true
jcmd "$worker" Compiler.perfmap >/dev/null 2>&1 || true   # what was compiled during the run
perf script -i "$work/perf.data" -F comm,ip,sym,dso 2>/dev/null >"$work/perf.txt"

python3 - "$work" "$RW $BS qd$QD $MODE, ${RUNTIME}s" "${TOP:-15}" <<'PY'
import collections, json, sys
work, label, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
job = json.load(open(work + "/fio.json"))["jobs"][0]
requests = sum(job[d]["total_ios"] for d in ("read", "write", "trim"))
per_thread, where = collections.Counter(), collections.Counter()

def sample(comm, frames):
    if comm is None or not frames:
        return
    if comm.startswith("local-"):
        comm = "local-N"
    per_thread[comm] += 1
    calls = [s for s, _ in frames if s.startswith("__x64_sys_")]
    if calls:
        key = "syscall " + calls[-1][len("__x64_sys_"):]
    else:
        key = ("kernel " if "kernel" in frames[0][1] else "") + frames[0][0][:100]
    where[(comm, key)] += 1

comm, frames = None, []
for line in open(work + "/perf.txt", errors="replace"):
    if not line.strip():
        sample(comm, frames)
        comm, frames = None, []
    elif not line[0].isspace():
        comm = line.split()[0]
    else:
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            sym, _, dso = parts[1].rpartition(" (")
            frames.append((sym or parts[1], dso))
sample(comm, frames)
total = max(sum(per_thread.values()), 1)
print(f"primary worker, {label}: {requests} requests, {total} samples at 999 Hz "
      f"= {total / 999 / max(requests, 1) * 1e6:.1f} us of sampled CPU per request")
print("threads (share of samples):")
for name, n in per_thread.most_common(8):
    print(f"  {100 * n / total:5.1f} %  {name}")
for name, n in per_thread.most_common(3):
    print(f"{name}: its samples by system call, else by leaf function (share of the thread's)")
    rows = sorted(((c, k) for (t, k), c in where.items() if t == name), reverse=True)
    for c, k in rows[:top]:
        print(f"  {100 * c / n:5.1f} %  {k}")
PY
