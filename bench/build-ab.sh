#!/usr/bin/env bash
# build-ab.sh - A/B of two built hast checkouts on the primary's write path: for each repetition,
# every variant in turn (interleaved, so the machine's drift hits all alike), a fresh pair on
# 127.0.0.1, a fully written image, then fio through the NBD export. Prints one line per run and
# the median, min and max per variant, mode and workload.
#
#   bench/build-ab.sh REPS RUNTIME SIZE MODES VARIANT...
#   VARIANT = label:HAST_HOME:metaflush[:localio[:jvmopts]]
#             e.g. before:/tmp/base:on after:.:on after-off:.:off direct:.:on:direct
#             jvmopts (comma-separated, no spaces) go to both nodes' JVMs through JAVA_TOOL_OPTIONS,
#             e.g. loops:.:on::-Dhast.worker.sharedLoop=false
#   WORKLOADS="randw4k-qd1 randw4k-qd32" (default) selects fio workloads as in primary-io.sh.
#   THREADS=1 also prints, to stderr, the CPU and voluntary switches per request of each worker thread.
#   SYSCPU=1 also prints, to stderr, the CPU per request of the whole machine (/proc/stat, all
#   cores), of the secondary worker and of fio: where a CPU-bound workload's time goes.
#   WARMUP=S runs 4 KiB random writes for S seconds after the prefill, unmeasured (JIT warm-up).
#   Beside each figure: the primary worker's CPU time (utime+stime, µs) and voluntary context
#   switches (all its threads) per request over the fio run: load-insensitive proxies of the
#   work and of the thread hand-offs per request.
#
# Run as root from built checkouts (mvn package -DskipTests). Files under $HAST_BENCH_DIR
# (default /var/tmp/hast-build-ab-K), ports 30000+2K and the next (AB_PORT=N: N and N+1), K a
# number derived from the checkout's path (or HAST_BENCH_SLOT=K: two paths can hash to one slot),
# so that two checkouts can run it side by side.
set -euo pipefail
REPS=$1 RUNTIME=$2 SIZE=$3 MODES=$4
shift 4
VARIANTS=("$@")
WORKLOADS=(${WORKLOADS:-randw4k-qd1 randw4k-qd32})
# Defaults differ per checkout, so that runs from two worktrees never share files or ports.
checkout_slot=${HAST_BENCH_SLOT:-$(( $(cd "$(dirname "$0")/.." && pwd -P | cksum | cut -d" " -f1) % 199 ))}
work=${HAST_BENCH_DIR:-/var/tmp/hast-build-ab-$checkout_slot}
port_a=${AB_PORT:-$(( 30000 + 2 * checkout_slot ))}
for t in fio python3; do
    command -v $t >/dev/null || { echo "build-ab: $t is missing" >&2; exit 69; }
done

fio_args() {
    case $1 in
        seqw1m-qd32) echo "--rw=write --bs=1m --iodepth=32" ;;
        randw4k-qd32) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
        randw4k-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
        randw4k-qd1-fsync) echo "--rw=randwrite --bs=4k --iodepth=1 --fsync=1" ;;
        randr4k-qd32) echo "--rw=randread --bs=4k --iodepth=32" ;;
        hot-randw4k-qd1) echo "--rw=randwrite --bs=4k --iodepth=1 --size=64m" ;;   # extents already dirty
    esac
}

machine_ticks() {   # busy ticks of all cores: user nice system irq softirq steal
    awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

worker_counters() {   # pid -> "cpu_ticks voluntary_switches"
    local ticks vcsw
    ticks=$(awk '{print $14 + $15}' "/proc/$1/stat")
    vcsw=$(cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s}')
    echo "$ticks $vcsw"
}

run_fio() {   # uri workload -> "MB/s IOPS lat_mean_us requests"
    fio --name="$2" --ioengine=nbd --uri="$1" --size="$SIZE" $(fio_args "$2") --time_based \
        --runtime="$RUNTIME" --randrepeat=0 --end_fsync=1 --output-format=json 2>/dev/null \
        | sed -n '/^{/,$p' | python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
d = j["write"] if j["write"]["io_bytes"] > 0 else j["read"]
print("%.1f %.0f %.1f %d" % (d["bw_bytes"] / 1e6, d["iops"], d["lat_ns"]["mean"] / 1000, d["total_ios"]))'
}

thread_counters() {   # pid -> one line per thread: "tid name cpu_ticks voluntary_switches"
    local t
    for t in /proc/"$1"/task/*; do
        echo "${t##*/} $(tr ' ' _ <"$t/comm") $(awk '{print $14 + $15}' "$t/stat") $(awk '/^voluntary_ctxt/ {print $2}' "$t/status")"
    done 2>/dev/null
}

measure() {   # uri workload -> "MB/s IOPS lat_mean_us cpu_us_per_request vcsw_per_request"
    local pid before after r threads_before
    pid=$(pair_worker primary)
    before=$(worker_counters "$pid")
    [[ -n ${THREADS:-} ]] && threads_before=$(thread_counters "$pid")
    local spid sys_before sec_before fio_before me=$BASHPID
    if [[ -n ${SYSCPU:-} ]]; then
        spid=$(pair_worker secondary); sys_before=$(machine_ticks)
        [[ -n $spid && -r /proc/$spid/stat ]] || spid=$$   # not found: the figure is then this script's own, about 0
        sec_before=$(worker_counters "$spid"); fio_before=$(awk '{print $16 + $17}' /proc/$me/stat)
    fi
    r=$(run_fio "$1" "$2")
    if [[ -n ${SYSCPU:-} ]]; then   # fio's CPU: the script's reaped children (cutime + cstime of this subshell)
        python3 -c '
import os, sys
n = max(int(sys.argv[1].split()[3]), 1); hz = os.sysconf("SC_CLK_TCK")
d = lambda a, b: (int(b.split()[0]) - int(a.split()[0])) * 1e6 / hz / n
print("#   machine cpu_us/req %7.1f  secondary worker %7.1f  fio and this shell %7.1f" % (
      d(sys.argv[2], sys.argv[3]), d(sys.argv[4], sys.argv[5]), d(sys.argv[6], sys.argv[7])), file=sys.stderr)
' "$r" "$sys_before" "$(machine_ticks)" "$sec_before" "$(worker_counters "$spid")" \
          "$fio_before" "$(awk '{print $16 + $17}' /proc/$me/stat)"
    fi
    after=$(worker_counters "$pid")
    if [[ -n ${THREADS:-} ]]; then   # per thread (name without its number), to stderr
        python3 -c '
import os, re, sys
def load(text):
    return {l.split()[0]: l.split()[1:] for l in text.splitlines() if len(l.split()) == 4}
b, a = load(sys.argv[1]), load(sys.argv[2]); n = max(int(sys.argv[3].split()[3]), 1); hz = os.sysconf("SC_CLK_TCK")
rows = {}
for tid, (name, t, v) in a.items():
    t0, v0 = (int(b[tid][1]), int(b[tid][2])) if tid in b else (0, 0)
    key = re.sub(r"[-_]?\d+$", "", name)
    r = rows.setdefault(key, [0, 0]); r[0] += int(t) - t0; r[1] += int(v) - v0
for key, (t, v) in sorted(rows.items(), key=lambda kv: -kv[1][0]):
    if t or v:
        print("#   %-20s cpu_us/req %7.1f  vcsw/req %6.2f" % (key, t * 1e6 / hz / n, v / n), file=sys.stderr)
' "$threads_before" "$(thread_counters "$pid")" "$r"
    fi
    python3 -c '
import os, sys
mb, iops, lat, n = sys.argv[1].split(); t0, v0 = map(int, sys.argv[2].split()); t1, v1 = map(int, sys.argv[3].split())
n = max(int(n), 1); hz = os.sysconf("SC_CLK_TCK")
print("%s %s %s %.1f %.2f" % (mb, iops, lat, (t1 - t0) * 1e6 / hz / n, (v1 - v0) / n))' "$r" "$before" "$after"
}

PAIR_DIR=$work
. "$(dirname "$0")/lib/pair.sh"
trap 'pair_stop; rm -rf "$work"' EXIT

start_pair() {   # home mode metaflush localio jvmopts
    PAIR_HOME=$1 PAIR_HASTD_ENV=()
    [[ -n $5 ]] && PAIR_HASTD_ENV=("JAVA_TOOL_OPTIONS=${5//,/ }")
    pair_start ab "$2" "$port_a" "metaflush $3${4:+
localio $4}"
    pair_prefill
    if (( ${WARMUP:-0} > 0 )); then   # the JIT compiles the 4 KiB path here, not in the first measured run
        fio --name=warmup --ioengine=nbd --uri="$PAIR_URI" --rw=randwrite --bs=4k \
            --iodepth=8 --size="$SIZE" --time_based --runtime="$WARMUP" --output-format=terse >/dev/null 2>&1
    fi
}

results=$(mktemp)
for rep in $(seq "$REPS"); do
    for mode in $MODES; do
        for v in "${VARIANTS[@]}"; do
            IFS=: read -r label home flush localio jvmopts <<<"$v"
            start_pair "$(readlink -f "$home")" "$mode" "$flush" "${localio:-}" "${jvmopts:-}"
            for w in "${WORKLOADS[@]}"; do
                r=$(measure "$PAIR_URI" "$w")
                echo "$rep $mode $label $w $r" | tee -a "$results"
            done
            pair_stop; sleep 0.5
        done
    done
done
python3 - "$results" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    rep, mode, label, w, mb, iops, lat, cpu, vcsw = line.split()
    rows.setdefault((mode, w, label), []).append((float(iops), float(lat), float(mb), float(cpu), float(vcsw)))
print("%-9s %-14s %-12s %28s %30s %8s %10s %10s" % ("mode", "workload", "variant", "IOPS median [min..max]",
      "lat_us median [min..max]", "MB/s", "cpu_us/req", "vcsw/req"))
for (mode, w, label), v in sorted(rows.items()):
    i = [x[0] for x in v]; l = [x[1] for x in v]
    med = lambda k: statistics.median(x[k] for x in v)
    print("%-9s %-14s %-12s %10.0f [%6.0f..%6.0f] %10.1f [%7.1f..%7.1f] %8.0f %10.1f %10.2f" % (mode, w, label,
          statistics.median(i), min(i), max(i), statistics.median(l), min(l), max(l), med(2), med(3), med(4)))
PY
rm -f "$results"
