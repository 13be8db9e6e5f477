#!/usr/bin/env bash
# integrity.sh - issue #17's measurements on a capped link between two network namespaces:
#
#  1. crash resync: a primary killed (-9) under a 4 KiB qd1 random-write load, restarted; the
#     resynchronisation of its keepdirty extents (keepdirty 64, 2 MiB extents) with
#     `syncmode plain` and `syncmode checksum`: bytes on the wire each way (the veth's own
#     counters, so TCP/IP headers included), hastd's sync time ("Synchronization complete ...
#     in"), and from the restart of hastd (worker start, `role primary`, connect) to that line;
#  2. write latency during a full resync of SIZE (the secondary re-created): fio 4 KiB qd1
#     through the primary's NBD export from "Synchronization started" to "complete", with
#     `syncrate unlimited`, a fixed rate and `adaptive`; and the same writes with no sync
#     running right after, as each variant's idle baseline.
#
#   bench/integrity.sh [SIZE=1G] [LOAD_SECONDS=10]
#
# Environment: LINK=veth1g (htb-capped veth pair, both directions; or veth, uncapped),
# RATE=1gbit (the cap), FIXED=50m (the fixed syncrate), ADAPTIVE_MS=5 (the adaptive target),
# IDLE_SECONDS=5, HAST_BENCH_DIR=/var/tmp/hast-bench-integrity (images, logs; removed at the end
# unless KEEP=1). Root, a built checkout (mvn -B -q package -DskipTests), fio with its nbd engine,
# iproute2, jq. About 4 min with the defaults on a quiet 2-core machine; `bench/integrity.sh 64M 3`
# checks that it works in about 2 min. Exit codes: 69 a tool or the build is missing, 77 not
# root, 70 a step failed.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
SIZE=${1:-1G}
LOAD_SECONDS=${2:-10}
LINK=${LINK:-veth1g} RATE=${RATE:-1gbit} FIXED=${FIXED:-50m} ADAPTIVE_MS=${ADAPTIVE_MS:-5}
IDLE_SECONDS=${IDLE_SECONDS:-5}
RESULTS=${HAST_BENCH_DIR:-/var/tmp/hast-bench-integrity}
EXPORT=r0 REP=1

# shellcheck source=lib/common.sh
source "$BENCH/lib/common.sh"
# shellcheck source=lib/net.sh
source "$BENCH/lib/net.sh"

((EUID == 0)) || die "run as root (network namespaces)" 77
for t in fio jq ip tc numfmt; do
    command -v $t >/dev/null || die "$t is missing (scripts/install-deps)" 69
done
fio --enghelp 2>/dev/null | grep -qw nbd || die "fio has no nbd engine" 69
[[ -r $ROOT/hastd/target/hastd.jar ]] || die "not built: mvn -B -q package -DskipTests" 69
[[ $LINK == veth || $LINK == veth1g ]] || die "LINK must be veth or veth1g" 64

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
IMAGES=$RESULTS/images
mkdir -p "$IMAGES"
[[ ${KEEP:-0} == 1 ]] && IMAGES=   # cleanup() removes IMAGES; KEEP=1 keeps the logs there
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
base=$((20000 + $$ % 20000))
PORT_A=$base PORT_B=$((base + 1))
DIR=$RESULTS/images
use_link "$LINK"

DATA=$(numfmt --from=iec "$SIZE")
# hastctl create: 4096 bytes of metadata, then the bitmap (one bit per 2 MiB extent, in 512 B).
OFFSET=$((4096 + ((DATA / 2097152 + 7) / 8 + 511) / 512 * 512))
dd if=/dev/urandom of="$DIR/random.img" bs=1M count=$((DATA >> 20)) status=none

hastctl_on() {   # hastctl_on nodeA|nodeB COMMAND ARGS...
    HAST_NODE=$1 "$ROOT/bin/hastctl" "$2" -c "$DIR/hast.conf" "${@:3}"
}

conf() {   # conf SYNCMODE SYNCRATE
    cat >"$DIR/hast.conf" <<CONF
integrity on
syncmode $1
syncrate $2
on nodeA {
	control uds://$DIR/a.ctl
	pidfile $DIR/a.pid
	listen tcp4://$HOST_A:$PORT_A
}
on nodeB {
	control uds://$DIR/b.ctl
	pidfile $DIR/b.pid
	listen tcp4://$HOST_B:$PORT_B
}
resource $EXPORT {
	device none
	on nodeA {
		local $DIR/a.img
		remote tcp4://$HOST_B:$PORT_B
		export uds://$DIR/a.nbd
	}
	on nodeB {
		local $DIR/b.img
		remote tcp4://$HOST_A:$PORT_A
	}
}
CONF
}

start_node() {   # start_node A|B - hastd in the node's namespace; sets PID_A or PID_B
    local ns=("${IN_A[@]}") node=nodeA log=$DIR/a.log
    [[ $1 == B ]] && ns=("${IN_B[@]}") node=nodeB log=$DIR/b.log
    "${ns[@]}" env HAST_NODE=$node "$ROOT/bin/hastd" -F -c "$DIR/hast.conf" >>"$log" 2>&1 &
    started $!
    printf -v "PID_$1" %s $!
    POLL=0.5 wait_until 60 hastctl_on $node status $EXPORT >/dev/null || die "node $1 did not start: see $log"
}

status_is() { hastctl_on "$1" status $EXPORT | grep -q "^$EXPORT[[:space:]]\+$2"; }

# pair SYNCMODE SYNCRATE - both images hold the same random data; A primary, B secondary, complete.
pair() {
    stop_started "${STARTED_PIDS[@]}"
    rm -f "$DIR"/a.* "$DIR"/b.*
    truncate -s $((OFFSET + DATA)) "$DIR/a.img" "$DIR/b.img"
    for img in a b; do
        dd if="$DIR/random.img" of="$DIR/$img.img" bs=1M seek="$OFFSET" oflag=seek_bytes conv=notrunc status=none
    done
    conf "$1" "$2"
    hastctl_on nodeA create -k 64 $EXPORT
    hastctl_on nodeB create -k 64 $EXPORT
    start_node A
    start_node B
    hastctl_on nodeB role secondary $EXPORT
    hastctl_on nodeA role primary $EXPORT
    POLL=0.5 wait_until 60 status_is nodeA complete || die "the pair never became complete: see $DIR/a.log"
    wait_until 60 test -S "$DIR/a.nbd" || die "no export: see $DIR/a.log"
}

wire() {   # wire A|B - bytes the node's end of the veth has sent
    local ns=$NS_A dev=$VETH_A
    [[ $1 == B ]] && ns=$NS_B dev=$VETH_B
    ip netns exec "$ns" cat "/sys/class/net/$dev/statistics/tx_bytes"
}

since() { tail -c +"$((MARK + 1))" "$DIR/a.log" | grep -m1 "$1"; }

# hastd's own sync time in seconds: "... synchronized in 5.2s (...)" or "in 950ms"
own_seconds() {
    since 'Synchronization complete' | grep -oE 'synchronized in [0-9.]+m?s' |
        awk '{t = $3 + 0; print ($3 ~ /ms$/) ? t / 1000 : t}'
}

# 4 KiB random writes at queue depth 1 through A's export; started as fio itself (not a shell
# function) so that the PID is fio's: fio ends its jobs on SIGTERM and still writes its report.
QD1=(fio --name=qd1 --ioengine=nbd "--uri=nbd+unix:///$EXPORT?socket=$DIR/a.nbd" --rw=randwrite --bs=4k
    --iodepth=1 --size="$SIZE" --time_based --randrepeat=0 --norandommap --lat_percentiles=1 --output-format=json)

# fio_json FILE EXPR - EXPR of the write side of fio's report (after its "terminating" line)
fio_json() { sed -n '/^{/,$p' "$1" | jq ".jobs[0].write | $2"; }
fio_ms() { fio_json "$1" "$2 / 1e6 | . * 100 | round / 100"; }

CRASH=() LATENCY=()

crash() {   # crash SYNCMODE
    local mode=$1 fio_pid children t0 t1 a0 b0 a1 b1 own
    log "crash resync, syncmode $mode"
    pair "$mode" unlimited
    "${QD1[@]}" --runtime=3600 --output="$DIR/load.json" >/dev/null 2>>"$DIR/fio.err" &
    fio_pid=$!
    started $fio_pid
    sleep "$LOAD_SECONDS"
    # The primary dies with writes in flight: the daemon and its worker, by PID.
    children=$(ps -o pid= --ppid "$PID_A" || true)
    kill -KILL "$PID_A" $children 2>/dev/null || true
    wait "$PID_A" 2>/dev/null || true
    stop_started $fio_pid "$PID_A"
    MARK=$(wc -c <"$DIR/a.log")
    a0=$(wire A) b0=$(wire B) t0=$(now_ms)
    start_node A
    hastctl_on nodeA role primary $EXPORT
    wait_until 600 since 'Synchronization complete' >/dev/null || die "no resync after the crash: see $DIR/a.log"
    t1=$(now_ms) a1=$(wire A) b1=$(wire B)
    own=$(own_seconds)
    CRASH+=("$(printf '%-9s %14d %12d %10s %12s' "$mode" $((a1 - a0)) $((b1 - b0)) "${own}s" \
        "$(jq -n "($t1 - $t0) / 1000")s")")
    log "  ${CRASH[-1]}"
}

latency() {   # latency SYNCRATE...
    local rate=$* during=$DIR/during.json idle=$DIR/idle.json fio_pid own
    log "write latency during a full resync of $SIZE, syncrate $rate"
    pair plain "$rate"
    hastctl_on nodeB role init $EXPORT
    hastctl_on nodeB create -k 64 $EXPORT
    MARK=$(wc -c <"$DIR/a.log")
    hastctl_on nodeB role secondary $EXPORT
    wait_until 120 since 'Synchronization started' >/dev/null || die "no sync started: see $DIR/a.log"
    "${QD1[@]}" --runtime=3600 --output="$during" >/dev/null 2>>"$DIR/fio.err" &
    fio_pid=$!
    started $fio_pid
    wait_until 1800 since 'Synchronization complete' >/dev/null || die "no full sync: see $DIR/a.log"
    stop_started $fio_pid
    own=$(own_seconds)
    "${QD1[@]}" --runtime="$IDLE_SECONDS" --output="$idle" >/dev/null 2>>"$DIR/fio.err"
    LATENCY+=("$(printf '%-12s %8s %9s %9s %11s %10s %9s %8s' "$rate" "$(fio_json "$during" .total_ios)" \
        "$(fio_ms "$during" .lat_ns.mean)" "$(fio_ms "$during" '.lat_ns.percentile["99.000000"]')" \
        "$(fio_ms "$idle" .lat_ns.mean)" "$(fio_ms "$idle" '.lat_ns.percentile["99.000000"]')" \
        "${own}s" "$(jq -n "$DATA / $own / 1e6 | round")")")
    log "  ${LATENCY[-1]}"
}

log "integrity bench: size $SIZE, link $LINK (htb $RATE), load ${LOAD_SECONDS}s; commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); load $(cut -d' ' -f1-3 /proc/loadavg)"
crash plain
crash checksum
latency unlimited
latency "$FIXED"
latency adaptive "$ADAPTIVE_MS"
stop_started "${STARTED_PIDS[@]}"

echo
echo "Crash resync after ${LOAD_SECONDS}s of 4 KiB qd1 random writes (keepdirty 64, 2 MiB extents), $LINK ($RATE), $SIZE:"
printf '%-9s %14s %12s %10s %12s\n' syncmode 'bytes A->B' 'bytes B->A' 'hastd sync' 'restart->done'
printf '%s\n' "${CRASH[@]}"
echo
echo "4 KiB qd1 write latency (ms) through the export during a full resync of $SIZE, $LINK ($RATE):"
printf '%-12s %8s %9s %9s %11s %10s %9s %8s\n' syncrate writes mean p99 'idle mean' 'idle p99' resync MB/s
printf '%s\n' "${LATENCY[@]}"
