#!/usr/bin/env bash
# secondary-profile.sh - where the secondary worker's CPU goes per request (issue #15). One hastd
# pair on 127.0.0.1, fio through the primary's NBD export, then three measured phases of
# RUNTIME seconds each on the secondary's worker:
#   1. CPU µs and voluntary context switches per request (/proc/PID/stat and status, all threads);
#   2. perf record (999 Hz, call graphs) with the JIT's symbols (jcmd Compiler.perfmap): the top
#      symbols by self time and the split user JIT / JVM / libc / kernel;
#   3. strace -c -f: system calls per request by name (strace slows the worker; counts only).
#
#   bench/secondary-profile.sh [RUNTIME_SECONDS=10] [SIZE=512M] [RW=randwrite] [BS=4k] [QD=32] [MODE=fullsync]
#
# HAST_HOME=DIR profiles another built checkout (e.g. /var/tmp/s6-base). Files under
# /var/tmp/hast-sec-profile-K (K from the checkout's path or HAST_BENCH_SLOT; ports 30800+2K and the next), removed at
# the end unless KEEP=1. Run as root from a built checkout (mvn package -DskipTests). Needs fio,
# jcmd, perf and strace; a missing perf or strace skips its phase. WORKER=primary profiles the
# primary's worker instead (same phases).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME=${1:-10} SIZE=${2:-512M} RW=${3:-randwrite} BS=${4:-4k} QD=${5:-32} MODE=${6:-fullsync}
home=$(readlink -f "${HAST_HOME:-.}")
checkout_slot=${HAST_BENCH_SLOT:-$(( $(pwd -P | cksum | cut -d" " -f1) % 199 ))}
work=${HAST_BENCH_DIR:-/var/tmp/hast-sec-profile-$checkout_slot}
port_a=$(( 30800 + 2 * checkout_slot ))
for t in fio jcmd python3; do
    command -v $t >/dev/null || { echo "secondary-profile: $t is missing" >&2; exit 69; }
done
[[ -f $home/hastd/target/hastd.jar ]] || { echo "secondary-profile: build $home first" >&2; exit 69; }

PAIR_HOME=$home PAIR_DIR=$work
. bench/lib/pair.sh
cleanup() {
    pair_stop
    [[ -n ${sec:-} ]] && rm -f "/tmp/perf-$sec.map"
    rm -f "$work"/*/disk.img
    [[ ${KEEP:-0} == 1 ]] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

pair_start prof "$MODE" "$port_a"
uri=$PAIR_URI
fio_run() {   # name seconds -> requests done
    fio --name="$1" --ioengine=nbd --uri="$uri" --rw="$RW" --bs="$BS" --iodepth="$QD" --size="$SIZE" \
        --time_based --runtime="$2" --randrepeat=0 --output-format=json 2>/dev/null | sed -n '/^{/,$p' |
        python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; print(sum(j[d]["total_ios"] for d in ("read","write","trim")))'
}
pair_prefill
role=${WORKER:-secondary}
sec=$(pair_worker "$role")
[[ -n $sec ]] || { echo "secondary-profile: no $role worker found" >&2; exit 70; }
fio_run warm 5 >/dev/null   # the JIT compiles the path here

counters() { echo "$(awk '{print $14 + $15}' /proc/$sec/stat) $(cat /proc/$sec/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {s += $2} END {print s}')"; }
before=$(counters); n=$(fio_run cpu "$RUNTIME"); after=$(counters)
python3 -c '
import os, sys
t0, v0 = map(int, sys.argv[1].split()); t1, v1 = map(int, sys.argv[2].split()); n = max(int(sys.argv[3]), 1)
print("%s worker, %s: %d requests, %.1f CPU µs/request, %.2f voluntary switches/request" % (
      sys.argv[5], sys.argv[4], n, (t1 - t0) * 1e6 / os.sysconf("SC_CLK_TCK") / n, (v1 - v0) / n))' \
    "$before" "$after" "$n" "$RW $BS qd$QD $MODE, ${RUNTIME}s" "$role"

if command -v perf >/dev/null; then
    jcmd "$sec" Compiler.perfmap >/dev/null 2>&1 || echo "(no Compiler.perfmap: JIT frames unnamed)"
    perf record -q -F 999 -g -p "$sec" -o "$work/perf.data" -- sleep "$RUNTIME" >/dev/null 2>&1 &
    perf_pid=$!
    fio_run perf "$RUNTIME" >/dev/null
    wait $perf_pid || true
    jcmd "$sec" Compiler.perfmap >/dev/null 2>&1 || true   # methods compiled during the recording
    echo "perf: top symbols by self time (% of the $role worker's samples)"
    perf report -i "$work/perf.data" --no-children --sort sym --stdio 2>/dev/null |
        grep -E '^ +[0-9.]+%' | head -${TOP:-30} || true
    echo "perf: by object"
    perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -8 || true
fi
if command -v strace >/dev/null; then
    strace -c -f -p "$sec" -o "$work/strace.txt" >/dev/null 2>&1 &
    strace_pid=$!
    sleep 0.5
    n=$(fio_run strace "$RUNTIME")
    kill -INT $strace_pid; wait $strace_pid || true
    echo "strace: system calls per request ($n requests under strace)"
    awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 {c = $4; name = $NF; if (name != "total") printf "  %-20s %8.3f\n", name, c / n}' \
        "$work/strace.txt" | sort -k2 -nr | head -12 || true
fi
