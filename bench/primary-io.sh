#!/usr/bin/env bash
# primary-io.sh - fio through the primary's NBD export, per replication mode, beside the
# unreplicated NBD ceiling (nbdkit's file plugin on the same kind of sparse file), all in one
# invocation. Prints MB/s, IOPS and mean latency per workload and the ratio to nbdkit.
#
#   bench/primary-io.sh [RUNTIME_SECONDS=10] [SIZE=1G]
#
# Two hastd nodes on 127.0.0.1 (HAST_NODE=benchA/benchB), files under /var/tmp/hast-bench.
# Run as root from a built checkout (mvn package -DskipTests).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME=${1:-10}
SIZE=${2:-1G}
work=${HAST_BENCH_DIR:-/var/tmp/hast-bench}
WORKLOADS=(seqw1m-qd32 randw4k-qd32 randw4k-qd1 randw4k-qd1-fsync randr4k-qd32)
MODES=${MODES:-"fullsync memsync async"}

for t in fio nbdkit nbdcopy; do
    command -v $t >/dev/null || { echo "primary-io: $t is missing (scripts/install-deps)" >&2; exit 69; }
done
[[ -x bin/hastd && -f hastd/target/hastd.jar || -d hastd/target/classes ]] || {
    echo "primary-io: build first: mvn -q package -DskipTests" >&2; exit 69; }

fio_args() {   # workload -> fio options
    case $1 in
        seqw1m-qd32) echo "--rw=write --bs=1m --iodepth=32" ;;
        randw4k-qd32) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
        randw4k-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
        randw4k-qd1-fsync) echo "--rw=randwrite --bs=4k --iodepth=1 --fsync=1" ;;
        randr4k-qd32) echo "--rw=randread --bs=4k --iodepth=32" ;;
    esac
}

# One fio run against an NBD URI: prints "MB/s IOPS lat_mean_us".
run_fio() {
    local uri=$1 workload=$2 out
    out=$(fio --name="$workload" --ioengine=nbd --uri="$uri" $(fio_args "$workload") \
        --size="$SIZE" --time_based --runtime="$RUNTIME" --randrepeat=0 --end_fsync=1 \
        --output-format=json 2>/dev/null | sed -n '/^{/,$p')   # the nbd engine says hello first
    python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
d = j["write"] if j["write"]["io_bytes"] > 0 else j["read"]
print("%.1f %.0f %.1f" % (d["bw_bytes"] / 1e6, d["iops"], d["lat_ns"]["mean"] / 1000))
' <<<"$out"
}

prefill() {   # sequential fill so reads hit written blocks
    fio --name=prefill --ioengine=nbd --uri="$1" --rw=write --bs=1m --iodepth=16 --size="$SIZE" \
        --output-format=terse >/dev/null 2>&1
}

declare -A RESULT
node() { local n=$1; shift; HAST_NODE="$n" "$@"; }
pids=()
cleanup() {
    for n in benchA benchB; do
        [[ -f $work/hast.conf ]] && node $n bin/hastctl stop -c "$work/hast.conf" >/dev/null 2>&1 || true
    done
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# --- baseline: nbdkit file plugin on a sparse file of the same size
rm -rf "$work"; mkdir -p "$work/a" "$work/b"
truncate -s "$SIZE" "$work/nbdkit.img"
nbdkit --unix "$work/nbdkit.sock" --foreground --exit-with-parent -e base file "$work/nbdkit.img" &
pids+=($!)
for _ in $(seq 100); do [[ -S $work/nbdkit.sock ]] && break; sleep 0.05; done
uri="nbd+unix:///base?socket=$work/nbdkit.sock"
prefill "$uri"
for w in "${WORKLOADS[@]}"; do RESULT[nbdkit,$w]=$(run_fio "$uri" "$w"); done
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()
rm -f "$work/nbdkit.img"

# --- hast, one mode at a time
disk_bytes=$(( $(numfmt --from=iec "$SIZE") + (64 << 20) ))
for mode in $MODES; do
    cleanup; sleep 0.5
    rm -rf "$work/a" "$work/b"; mkdir -p "$work/a" "$work/b"
    truncate -s "$disk_bytes" "$work/a/disk.img" "$work/b/disk.img"
    cat >"$work/hast.conf" <<CONF
replication $mode
on benchA {
	control uds://$work/a/ctl.sock
	pidfile $work/a/hastd.pid
	listen tcp4://127.0.0.1:18557
}
on benchB {
	control uds://$work/b/ctl.sock
	pidfile $work/b/hastd.pid
	listen tcp4://127.0.0.1:18558
}
resource bench {
	device none
	on benchA {
		local $work/a/disk.img
		remote tcp4://127.0.0.1:18558
		export uds://$work/a/bench.nbd
	}
	on benchB {
		local $work/b/disk.img
		remote tcp4://127.0.0.1:18557
	}
}
CONF
    for n in benchA benchB; do
        node $n bin/hastctl create -c "$work/hast.conf" bench
        node $n bin/hastd -c "$work/hast.conf"
    done
    node benchB bin/hastctl role -c "$work/hast.conf" secondary bench
    node benchA bin/hastctl role -c "$work/hast.conf" primary bench
    for _ in $(seq 300); do
        node benchA bin/hastctl status -c "$work/hast.conf" | grep -q complete && [[ -S $work/a/bench.nbd ]] && break
        sleep 0.1
    done
    uri="nbd+unix:///bench?socket=$work/a/bench.nbd"
    prefill "$uri"
    for w in "${WORKLOADS[@]}"; do RESULT[$mode,$w]=$(run_fio "$uri" "$w"); done
done
cleanup

printf '%-18s %-9s %9s %9s %11s %8s\n' workload target MB/s IOPS lat_us x_nbdkit
for w in "${WORKLOADS[@]}"; do
    read -r base_mb _ _ <<<"${RESULT[nbdkit,$w]}"
    for t in nbdkit $MODES; do
        read -r mb iops lat <<<"${RESULT[$t,$w]}"
        ratio=$(python3 -c "print('%.2f' % ($mb / $base_mb if $base_mb > 0 else 0))")
        printf '%-18s %-9s %9s %9s %11s %8s\n' "$w" "$t" "$mb" "$iops" "$lat" "$ratio"
    done
done
