#!/usr/bin/env bash
# resync.sh - full synchronisation of SIZE (default 1 GiB) of random data from a primary to a
# freshly created secondary, over 127.0.0.1 and over a veth pair between two network
# namespaces capped with htb on both ends (default 1gbit). Each result is printed beside
# iperf3 on the same link, measured in the same run, as a ratio.
#
#   bench/resync.sh [SIZE=1G] [RATE=1gbit]      LINKS="lo netns" (default: both)
#
# Run as root from a built checkout (mvn package -DskipTests). Files go under
# /var/tmp/hast-resync. The namespaces (hrsA, hrsB) and their addresses (10.79.0.1/24,
# 10.79.0.2/24) exist only while the script runs. Control sockets are Unix sockets, so hastctl
# drives the nodes from the host even when hastd runs inside a namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SIZE=${1:-1G}
RATE=${2:-1gbit}
work=${HAST_BENCH_DIR:-/var/tmp/hast-resync}
NS_A=hrsA NS_B=hrsB VETH_A=hrsvA VETH_B=hrsvB ADDR_A=10.79.0.1 ADDR_B=10.79.0.2
PORT_A=18657 PORT_B=18658 IPERF_PORT=18659
IPERF_SECONDS=${IPERF_SECONDS:-8}
LINKS=${LINKS:-"lo netns"}   # which links to measure

for t in iperf3 ip tc python3 cmp; do
    command -v $t >/dev/null || { echo "resync: $t is missing (scripts/install-deps)" >&2; exit 69; }
done
[[ -f hastd/target/hastd.jar ]] || { echo "resync: build first: mvn -q package -DskipTests" >&2; exit 69; }
[[ $(id -u) == 0 ]] || { echo "resync: network namespaces need root" >&2; exit 77; }

data_bytes=$(numfmt --from=iec "$SIZE")
# hastctl create: 4096 bytes of metadata, then the bitmap rounded to a 512-byte sector (2 MiB
# extents: one bit each). Sized so that the data area is exactly SIZE.
map_bytes=$(( ( (data_bytes / 2097152 + 7) / 8 + 511) / 512 * 512 ))
localoff=$(( 4096 + map_bytes ))
disk_bytes=$(( data_bytes + localoff ))

pids=()          # processes this script started (hastd, iperf3 servers)
ns_made=0
hastctl() { local n=$1; shift; HAST_NODE="$n" "$root/bin/hastctl" "$1" -c "$work/hast.conf" "${@:2}"; }

stop_nodes() {
    for n in resA resB; do
        [[ -f $work/hast.conf ]] && hastctl $n stop >/dev/null 2>&1 || true
    done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill "$p" 2>/dev/null || true
    done
    pids=()
}

cleanup() {
    stop_nodes
    if (( ns_made )); then
        ip netns del "$NS_A" 2>/dev/null || true
        ip netns del "$NS_B" 2>/dev/null || true
    fi
}
trap cleanup EXIT

make_namespaces() {
    for ns in "$NS_A" "$NS_B"; do
        if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
            echo "resync: namespace $ns already exists; refusing" >&2; exit 1
        fi
    done
    ns_made=1
    ip netns add "$NS_A"
    ip netns add "$NS_B"
    # Created inside A with its peer moved to B at once: nothing appears in the root namespace.
    ip -n "$NS_A" link add "$VETH_A" type veth peer name "$VETH_B" netns "$NS_B"
    ip -n "$NS_A" addr add "$ADDR_A/24" dev "$VETH_A"
    ip -n "$NS_B" addr add "$ADDR_B/24" dev "$VETH_B"
    for pair in "$NS_A:$VETH_A" "$NS_B:$VETH_B"; do
        ns=${pair%%:*} dev=${pair##*:}
        ip -n "$ns" link set lo up
        ip -n "$ns" link set "$dev" up
        # htb shapes egress only: both ends, so the link is capped both ways.
        ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: htb default 10
        ip netns exec "$ns" tc class add dev "$dev" parent 1: classid 1:10 htb rate "$RATE" ceil "$RATE" \
            quantum 60000
    done
}

# iperf3 from A to B (the direction the sync copies): prints bits per second.
iperf() {   # iperf PREFIX_A PREFIX_B ADDR
    local in_a=$1 in_b=$2 addr=$3 server
    $in_b iperf3 -s -1 -B "$addr" -p "$IPERF_PORT" >/dev/null 2>&1 &
    server=$!
    pids+=("$server")
    for _ in $(seq 50); do
        $in_b ss -ltn 2>/dev/null | grep -q ":$IPERF_PORT " && break
        sleep 0.1
    done
    $in_a iperf3 -c "$addr" -p "$IPERF_PORT" -t "$IPERF_SECONDS" -J |
        python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))'
    wait "$server" 2>/dev/null || true
}

# One full sync over a link: prints "seconds bytes" of the sync as hastd measured it.
full_sync() {   # full_sync PREFIX_A PREFIX_B LISTEN_A LISTEN_B
    local in_a=$1 in_b=$2 listen_a=$3 listen_b=$4 mark line
    rm -rf "$work/a" "$work/b"
    mkdir -p "$work/a" "$work/b"
    truncate -s "$disk_bytes" "$work/a/disk.img" "$work/b/disk.img"
    cat >"$work/hast.conf" <<CONF
replication memsync
on resA {
	control uds://$work/a/ctl.sock
	pidfile $work/a/hastd.pid
	listen tcp4://$listen_a
}
on resB {
	control uds://$work/b/ctl.sock
	pidfile $work/b/hastd.pid
	listen tcp4://$listen_b
}
resource rs {
	device none
	on resA {
		local $work/a/disk.img
		remote tcp4://$listen_b
	}
	on resB {
		local $work/b/disk.img
		remote tcp4://$listen_a
	}
}
CONF
    hastctl resA create rs
    hastctl resB create rs
    # Incompressible data on A (hole compression would make zeros free).
    head -c "$data_bytes" /dev/urandom |
        dd of="$work/a/disk.img" bs=1M seek="$localoff" oflag=seek_bytes conv=notrunc status=none
    $in_a env HAST_NODE=resA "$root/bin/hastd" -F -c "$work/hast.conf" >"$work/a.log" 2>&1 &
    pids+=($!)
    $in_b env HAST_NODE=resB "$root/bin/hastd" -F -c "$work/hast.conf" >"$work/b.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 300); do
        [[ -S $work/a/ctl.sock && -S $work/b/ctl.sock ]] && grep -q 'Started successfully' "$work/a.log" \
            && grep -q 'Started successfully' "$work/b.log" && break
        sleep 0.1
    done
    # First connect: both fresh, nothing to copy (the primary is virgin). Then B is re-created,
    # which makes the next connect a full sync (spec §8 case 1).
    hastctl resB role secondary rs
    hastctl resA role primary rs
    await_status resA complete
    hastctl resB role init rs
    hastctl resB create rs
    mark=$(wc -c <"$work/a.log")
    hastctl resB role secondary rs
    for _ in $(seq 1200); do
        line=$(tail -c +"$((mark + 1))" "$work/a.log" | grep -m1 'Synchronization complete' || true)
        [[ -n $line ]] && break
        sleep 0.1
    done
    [[ -n $line ]] || { echo "resync: no sync within 120 s; see $work/a.log" >&2; exit 1; }
    echo "resync:   $line" >&2
    # "... synchronized in 5.2s (...)" or "in 950ms"
    python3 - "$line" "$data_bytes" <<'PY'
import re, sys
m = re.search(r"synchronized in ([0-9.]+)(ms|s) ", sys.argv[1])
t = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
print(t, sys.argv[2])
PY
    cmp -s -i "$localoff:$localoff" -n "$data_bytes" "$work/a/disk.img" "$work/b/disk.img" ||
        { echo "resync: data areas differ after the sync" >&2; exit 1; }
    stop_nodes
}

await_status() {   # await_status NODE STATUS
    for _ in $(seq 600); do
        hastctl "$1" status 2>/dev/null | grep -q "^rs	$2" && return 0
        sleep 0.1
    done
    echo "resync: $1 never became $2" >&2
    exit 1
}

report() {   # report NAME "seconds bytes" BITS_PER_SECOND
    python3 - "$@" <<'PY'
import sys
name, sync, link = sys.argv[1], sys.argv[2].split(), float(sys.argv[3])
seconds, size = float(sync[0]), int(sync[1])
rate = size * 8 / seconds
print("%-22s %10.1f %14.1f %14.1f %7.2f" % (name, seconds, rate / 1e6, link / 1e6, rate / link))
PY
}

mkdir -p "$work"
printf '%-22s %10s %14s %14s %7s\n' "link ($SIZE full sync)" seconds "sync Mbit/s" "iperf3 Mbit/s" ratio >"$work/report"
if [[ " $LINKS " == *" lo "* ]]; then
    echo "resync: loopback" >&2
    lo_link=$(iperf "" "" 127.0.0.1)
    lo_sync=$(full_sync "" "" "127.0.0.1:$PORT_A" "127.0.0.1:$PORT_B")
    report "127.0.0.1" "$lo_sync" "$lo_link" >>"$work/report"
fi
if [[ " $LINKS " == *" netns "* ]]; then
    echo "resync: veth between namespaces, htb $RATE both ends" >&2
    make_namespaces
    in_a="ip netns exec $NS_A"
    in_b="ip netns exec $NS_B"
    ns_link=$(iperf "$in_a" "$in_b" "$ADDR_B")
    ns_sync=$(full_sync "$in_a" "$in_b" "$ADDR_A:$PORT_A" "$ADDR_B:$PORT_B")
    report "veth+htb $RATE" "$ns_sync" "$ns_link" >>"$work/report"
fi
cat "$work/report"
rm -rf "$work/a" "$work/b"
