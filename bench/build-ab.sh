#!/usr/bin/env bash
# build-ab.sh - A/B of two built hast checkouts on the primary's write path: for each repetition,
# every variant in turn (interleaved, so the machine's drift hits all alike), a fresh pair on
# 127.0.0.1, a fully written image, then fio through the NBD export. Prints one line per run and
# the median, min and max per variant, mode and workload: IOPS, mean latency, and the CPU time
# (user + system) and voluntary context switches of both workers per request, which a loaded
# machine distorts far less than the wall clock.
#
#   bench/build-ab.sh REPS RUNTIME SIZE MODES VARIANT...
#   VARIANT = label:HAST_HOME:metaflush[:localio[:JVM options]]
#             e.g. before:/tmp/base:on after:.:on after-off:.:off direct:.:on:direct
#             one-flusher:.:on::-Dhast.activemap.flushers=1 (options reach the workers through
#             JAVA_TOOL_OPTIONS; several separated by spaces, no colon)
#   WARMUP=5 seconds of random 4 KiB writes (qd32) after the prefill, not measured.
#   WORKLOADS="randw4k-qd1 randw4k-qd32" (default) selects fio workloads:
#             seqw1m-qd32 randw4k-qd32 randw4k-qd1 randw4k-qd1-fsync (a FLUSH after each write)
#             randr4k-qd32
#
# Run as root from built checkouts (mvn package -DskipTests). Files under $HAST_BENCH_DIR
# (default /var/tmp/hast-build-ab), ports 18657/18658.
set -euo pipefail
REPS=$1 RUNTIME=$2 SIZE=$3 MODES=$4
shift 4
VARIANTS=("$@")
WORKLOADS=(${WORKLOADS:-randw4k-qd1 randw4k-qd32})
work=${HAST_BENCH_DIR:-/var/tmp/hast-build-ab}
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
    esac
}

run_fio() {   # uri workload -> "MB/s IOPS lat_mean_us requests"
    fio --name="$2" --ioengine=nbd --uri="$1" $(fio_args "$2") --size="$SIZE" --time_based \
        --runtime="$RUNTIME" --randrepeat=0 --norandommap --end_fsync=1 --output-format=json 2>/dev/null \
        | sed -n '/^{/,$p' | python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
d = j["write"] if j["write"]["io_bytes"] > 0 else j["read"]
print("%.1f %.0f %.1f %d" % (d["bw_bytes"] / 1e6, d["iops"], d["lat_ns"]["mean"] / 1000, d["total_ios"]))'
}

workers() {   # the worker JVMs under both nodes' hastd
    local n
    for n in a b; do
        ps -o pid=,args= --ppid "$(cat "$work/$n/hastd.pid")" | awk '/hastd: ab \(/ {print $1}'
    done
}

cost() {   # pids... -> "cpu_ticks voluntary_switches" summed
    local pid ticks=0 vcs=0
    for pid in "$@"; do
        ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
        vcs=$((vcs + $(cat /proc/"$pid"/task/*/status | awk '/^voluntary_ctxt_switches/ {n += $2} END {print n}')))
    done
    echo "$ticks $vcs"
}

home=""
node() { local n=$1; shift; HAST_NODE="$n" "$home/bin/$1" "${@:2}"; }
stop_pair() {
    [[ -n $home && -f $work/hast.conf ]] || return 0
    for n in abA abB; do node $n hastctl stop -c "$work/hast.conf" >/dev/null 2>&1 || true; done
}
trap 'stop_pair; rm -rf "$work"' EXIT

start_pair() {   # mode metaflush localio jvm_options
    rm -rf "$work"; mkdir -p "$work/a" "$work/b"
    local disk_bytes=$(( $(numfmt --from=iec "$SIZE") + (64 << 20) ))
    truncate -s "$disk_bytes" "$work/a/disk.img" "$work/b/disk.img"
    cat >"$work/hast.conf" <<CONF
replication $1
metaflush $2
$([[ -n $3 ]] && echo "localio $3")
on abA {
	control uds://$work/a/ctl.sock
	pidfile $work/a/hastd.pid
	listen tcp4://127.0.0.1:18657
}
on abB {
	control uds://$work/b/ctl.sock
	pidfile $work/b/hastd.pid
	listen tcp4://127.0.0.1:18658
}
resource ab {
	device none
	on abA {
		local $work/a/disk.img
		remote tcp4://127.0.0.1:18658
		export uds://$work/a/ab.nbd
	}
	on abB {
		local $work/b/disk.img
		remote tcp4://127.0.0.1:18657
	}
}
CONF
    for n in abA abB; do
        node $n hastctl create -c "$work/hast.conf" ab
        if [[ -n ${4:-} ]]; then
            JAVA_TOOL_OPTIONS=$4 node $n hastd -c "$work/hast.conf"
        else
            node $n hastd -c "$work/hast.conf"
        fi
    done
    node abB hastctl role -c "$work/hast.conf" secondary ab
    node abA hastctl role -c "$work/hast.conf" primary ab
    for _ in $(seq 300); do
        node abA hastctl status -c "$work/hast.conf" | grep -q complete && [[ -S $work/a/ab.nbd ]] && break
        sleep 0.1
    done
    # end_fsync: the first workload must not pay for writing back the whole prefill.
    fio --name=prefill --ioengine=nbd --uri="nbd+unix:///ab?socket=$work/a/ab.nbd" --rw=write --bs=1m \
        --iodepth=16 --size="$SIZE" --end_fsync=1 --output-format=terse >/dev/null 2>&1
    # The JIT compiles the 4 KiB path here, not in the first measured workload (its CPU would
    # count against the requests).
    fio --name=warmup --ioengine=nbd --uri="nbd+unix:///ab?socket=$work/a/ab.nbd" --rw=randwrite --bs=4k \
        --iodepth=32 --size="$SIZE" --time_based --runtime="${WARMUP:-5}" --norandommap --end_fsync=1 \
        --output-format=terse >/dev/null 2>&1
}

results=$(mktemp)
for rep in $(seq "$REPS"); do
    for mode in $MODES; do
        for v in "${VARIANTS[@]}"; do
            IFS=: read -r label home flush localio jvm <<<"$v"
            home=$(readlink -f "$home")
            start_pair "$mode" "$flush" "${localio:-}" "${jvm:-}"
            pids=$(workers)
            for w in "${WORKLOADS[@]}"; do
                read -r t0 v0 <<<"$(cost $pids)"
                read -r mb iops lat ios <<<"$(run_fio "nbd+unix:///ab?socket=$work/a/ab.nbd" "$w")"
                read -r t1 v1 <<<"$(cost $pids)"
                cpu_us=$(python3 -c "print('%.1f' % (($t1 - $t0) * 1e6 / $(getconf CLK_TCK) / max(1, $ios)))")
                vcs=$(python3 -c "print('%.2f' % (($v1 - $v0) / max(1, $ios)))")
                echo "$rep $mode $label $w $mb $iops $lat $cpu_us $vcs" | tee -a "$results"
            done
            stop_pair; sleep 0.5
        done
    done
done
python3 - "$results" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    rep, mode, label, w, mb, iops, lat, cpu, vcs = line.split()
    rows.setdefault((mode, w, label), []).append((float(iops), float(lat), float(cpu), float(vcs)))
print("%-9s %-17s %-12s %28s %30s %9s %8s" % ("mode", "workload", "variant", "IOPS median [min..max]",
      "lat_us median [min..max]", "cpu_us/io", "vcsw/io"))
for (mode, w, label), v in sorted(rows.items()):
    i = [x[0] for x in v]; l = [x[1] for x in v]
    print("%-9s %-17s %-12s %10.0f [%6.0f..%6.0f] %10.1f [%7.1f..%7.1f] %9.1f %8.2f" % (mode, w, label,
          statistics.median(i), min(i), max(i), statistics.median(l), min(l), max(l),
          statistics.median(x[2] for x in v), statistics.median(x[3] for x in v)))
PY
rm -f "$results"
