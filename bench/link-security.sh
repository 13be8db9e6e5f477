#!/usr/bin/env bash
# link-security.sh - the cost of issue #18's options: fio through the primary's NBD export with
# a plain link, with `secret`, and with `secret` + TLS (memsync), interleaved over ROUNDS rounds
# so that a machine loaded by others hurts every variant alike. Prints MB/s, IOPS and mean
# latency per round, variant and workload.
#
#   bench/link-security.sh [RUNTIME_SECONDS=10] [SIZE=256M] [ROUNDS=2]
#
# Two hastd nodes on 127.0.0.1 (HAST_NODE=benchA/benchB), files under /var/tmp/hast-bench-sec.
# Run as root from a built checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME=${1:-10}
SIZE=${2:-256M}
ROUNDS=${3:-2}
work=${HAST_BENCH_DIR:-/var/tmp/hast-bench-sec}
WORKLOADS=(seqw1m-qd32 randw4k-qd32)
VARIANTS=(plain secret tls)

for t in fio openssl; do
    command -v $t >/dev/null || { echo "link-security: $t is missing (scripts/install-deps)" >&2; exit 69; }
done

fio_args() {
    case $1 in
        seqw1m-qd32) echo "--rw=write --bs=1m --iodepth=32" ;;
        randw4k-qd32) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
    esac
}

run_fio() {   # uri workload -> "MB/s IOPS lat_mean_us"
    local out
    out=$(fio --name="$2" --ioengine=nbd --uri="$1" $(fio_args "$2") --size="$SIZE" --time_based \
        --runtime="$RUNTIME" --randrepeat=0 --end_fsync=1 --output-format=json 2>/dev/null | sed -n '/^{/,$p')
    python3 -c '
import json, sys
d = json.load(sys.stdin)["jobs"][0]["write"]
print("%.1f %.0f %.1f" % (d["bw_bytes"] / 1e6, d["iops"], d["lat_ns"]["mean"] / 1000))
' <<<"$out"
}

node() { local n=$1; shift; HAST_NODE="$n" "$@"; }
cleanup() {
    for n in benchA benchB; do
        [[ -f $work/hast.conf ]] && node $n bin/hastctl stop -c "$work/hast.conf" >/dev/null 2>&1 || true
    done
}
trap 'cleanup; rm -rf "$work"' EXIT

rm -rf "$work"; mkdir -p "$work/pki"
(
    cd "$work/pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout ca-key.pem \
        -out ca-cert.pem -subj /CN=bench-ca -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout node-key.pem -out node.csr \
        -subj /CN=bench-node 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > node.ext
    openssl x509 -req -in node.csr -CA ca-cert.pem -CAkey ca-key.pem -set_serial 1 -days 2 \
        -extfile node.ext -out node-cert.pem 2>/dev/null
    openssl rand -hex 32 > secret; chmod 600 secret
)

start_pair() {   # variant
    local extra=""
    case $1 in
        secret) extra="secret $work/pki/secret" ;;
        tls) extra="secret $work/pki/secret
tlscert $work/pki/node-cert.pem
tlskey $work/pki/node-key.pem
tlsca $work/pki/ca-cert.pem" ;;
    esac
    cleanup; sleep 0.5
    rm -rf "$work/a" "$work/b"; mkdir -p "$work/a" "$work/b"
    truncate -s $(( $(numfmt --from=iec "$SIZE") + (64 << 20) )) "$work/a/disk.img" "$work/b/disk.img"
    cat >"$work/hast.conf" <<CONF
$extra
on benchA {
	control uds://$work/a/ctl.sock
	pidfile $work/a/hastd.pid
	listen tcp4://127.0.0.1:18567
}
on benchB {
	control uds://$work/b/ctl.sock
	pidfile $work/b/hastd.pid
	listen tcp4://127.0.0.1:18568
}
resource bench {
	device none
	on benchA {
		local $work/a/disk.img
		remote tcp4://127.0.0.1:18568
		export uds://$work/a/bench.nbd
	}
	on benchB {
		local $work/b/disk.img
		remote tcp4://127.0.0.1:18567
	}
}
CONF
    for n in benchA benchB; do
        node $n bin/hastctl create -c "$work/hast.conf" bench
        node $n bin/hastd -c "$work/hast.conf"
    done
    node benchB bin/hastctl role -c "$work/hast.conf" secondary bench
    node benchA bin/hastctl role -c "$work/hast.conf" primary bench
    for _ in $(seq 600); do
        node benchA bin/hastctl status -c "$work/hast.conf" | grep -q complete && [[ -S $work/a/bench.nbd ]] && return
        sleep 0.1
    done
    echo "link-security: pair ($1) never became complete" >&2; exit 70
}

printf '%-6s %-14s %-7s %9s %9s %11s\n' round workload variant MB/s IOPS lat_us
for round in $(seq "$ROUNDS"); do
    for v in "${VARIANTS[@]}"; do
        start_pair "$v"
        for w in "${WORKLOADS[@]}"; do
            read -r mb iops lat <<<"$(run_fio "nbd+unix:///bench?socket=$work/a/bench.nbd" "$w")"
            printf '%-6s %-14s %-7s %9s %9s %11s\n' "$round" "$w" "$v" "$mb" "$iops" "$lat"
        done
    done
done
