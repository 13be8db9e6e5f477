#!/usr/bin/env bash
# metrics-cost.sh - the observability cost on the hot path (issue #16): 4 KiB random writes at
# queue depth 32 through the primary's NBD export, alternating between "metrics off" and
# "metrics on" in one pair of hastd: on = the metrics statement active (switched by SIGHUP),
# /metrics scraped every second and an events follower attached that never reads. Prints
# IOPS per run and the medians.
#
#   bench/metrics-cost.sh [ROUNDS=4] [RUNTIME_SECONDS=10] [SIZE=1G]
#
# Two hastd nodes on 127.0.0.1 (HAST_NODE=obsA/obsB), files under /var/tmp/hast-obs-bench.
# Run as root from a built checkout (mvn package -DskipTests). The counters themselves are
# always on; "off" removes the endpoint, the scrapes and the follower.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-4}
RUNTIME=${2:-10}
SIZE=${3:-1G}
work=${HAST_BENCH_DIR:-/var/tmp/hast-obs-bench}
PORT=${METRICS_PORT:-19457}

for t in fio curl python3; do
    command -v $t >/dev/null || { echo "metrics-cost: $t is missing (scripts/install-deps)" >&2; exit 69; }
done
[[ -f hastd/target/hastd.jar && -f hastctl/target/hastctl.jar ]] || {
    echo "metrics-cost: build first: mvn -q package -DskipTests" >&2; exit 69; }

node() { local n=$1; shift; HAST_NODE="$n" "$@"; }
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    pids=()
    for n in obsA obsB; do
        [[ -f $work/hast.conf ]] && node $n bin/hastctl stop -c "$work/hast.conf" >/dev/null 2>&1 || true
    done
}
trap 'cleanup; rm -rf "$work"' EXIT

write_conf() {   # $1: the metrics line or ""
    cat >"$work/hast.conf" <<CONF
$1
on obsA {
	control uds://$work/a/ctl.sock
	pidfile $work/a/hastd.pid
	listen tcp4://127.0.0.1:18657
}
on obsB {
	control uds://$work/b/ctl.sock
	pidfile $work/b/hastd.pid
	listen tcp4://127.0.0.1:18658
}
resource obs {
	device none
	on obsA {
		local $work/a/disk.img
		remote tcp4://127.0.0.1:18658
		export uds://$work/a/obs.nbd
	}
	on obsB {
		local $work/b/disk.img
		remote tcp4://127.0.0.1:18657
	}
}
CONF
}

run_fio() {   # prints IOPS
    fio --name=w --ioengine=nbd --uri="nbd+unix:///obs?socket=$work/a/obs.nbd" --rw=randwrite --bs=4k \
        --iodepth=32 --size="$SIZE" --time_based --runtime="$RUNTIME" --randrepeat=0 --end_fsync=1 \
        --output-format=json 2>/dev/null | sed -n '/^{/,$p' |
        python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["jobs"][0]["write"]["iops"])'
}

rm -rf "$work"; mkdir -p "$work/a" "$work/b"
disk_bytes=$(( $(numfmt --from=iec "$SIZE") + (64 << 20) ))
truncate -s "$disk_bytes" "$work/a/disk.img" "$work/b/disk.img"
write_conf ""
for n in obsA obsB; do
    node $n bin/hastctl create -c "$work/hast.conf" obs
    node $n bin/hastd -c "$work/hast.conf"
done
node obsB bin/hastctl role -c "$work/hast.conf" secondary obs
node obsA bin/hastctl role -c "$work/hast.conf" primary obs
for _ in $(seq 300); do
    node obsA bin/hastctl status -c "$work/hast.conf" | grep -q complete && [[ -S $work/a/obs.nbd ]] && break
    sleep 0.1
done
fio --name=prefill --ioengine=nbd --uri="nbd+unix:///obs?socket=$work/a/obs.nbd" --rw=write --bs=1m \
    --iodepth=16 --size="$SIZE" --output-format=terse >/dev/null 2>&1

off=(); on=()
for round in $(seq "$ROUNDS"); do
    write_conf ""; kill -HUP "$(cat "$work/a/hastd.pid")"; sleep 1
    off+=("$(run_fio)")
    write_conf "metrics 127.0.0.1:$PORT"; kill -HUP "$(cat "$work/a/hastd.pid")"; sleep 1
    ( while sleep 1; do curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics" || true; done ) &
    scraper=$!; pids+=("$scraper")
    # A follower that never reads: its output is a pipe nobody drains.
    mkfifo "$work/stuck.fifo"; exec 9<>"$work/stuck.fifo"
    node obsA bin/hastctl events -c "$work/hast.conf" >&9 2>/dev/null &
    stuck=$!; pids+=("$stuck")
    on+=("$(run_fio)")
    kill "$scraper" "$stuck" 2>/dev/null || true; wait "$scraper" "$stuck" 2>/dev/null || true
    exec 9>&-; rm -f "$work/stuck.fifo"; pids=()
    echo "round $round: off ${off[-1]} IOPS, on ${on[-1]} IOPS"
done
python3 - "${off[*]}" "${on[*]}" <<'PY'
import statistics, sys
off = [float(x) for x in sys.argv[1].split()]
on = [float(x) for x in sys.argv[2].split()]
mo, mn = statistics.median(off), statistics.median(on)
print("randw4k-qd32 median IOPS: metrics off %.0f, on %.0f (%+.1f %%)" % (mo, mn, 100 * (mn - mo) / mo))
PY
