#!/usr/bin/env bash
# link-security.sh - the cost of issue #18's options: fio through the primary's NBD export with
# a plain link, with `secret`, with `secret` + TLS on OpenSSL (netty-tcnative, the default
# where it loads) and with `secret` + TLS on the JDK's engine (the fallback, forced here with
# -Dio.netty.handler.ssl.noOpenSsl=true), memsync, interleaved over ROUNDS rounds so that a
# machine loaded by others hurts every variant alike. Prints MB/s, IOPS, mean latency and the
# CPU time of both nodes' hastd processes (main and workers) per MB written.
#
#   bench/link-security.sh [RUNTIME_SECONDS=10] [SIZE=256M] [ROUNDS=2]
#
# Each pair is warmed up with HAST_BENCH_WARMUP seconds (default 5) of sequential writes before
# it is measured, so the figures are the link's and not the JIT's: a fresh worker JVM runs the
# JDK's AES-GCM as Java code until C2 has compiled its intrinsics (HAST_BENCH_WARMUP=0 shows it).
# Two hastd nodes on 127.0.0.1 (HAST_NODE=benchA/benchB), files under /var/tmp/hast-bench-sec.
# Run as root from a built checkout. Defaults: about 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME=${1:-10}
SIZE=${2:-256M}
ROUNDS=${3:-2}
work=${HAST_BENCH_DIR:-/var/tmp/hast-bench-sec}
WORKLOADS=(seqw1m-qd32 randw4k-qd32)
VARIANTS=(plain secret tls tls-jdk)
WARMUP=${HAST_BENCH_WARMUP:-5}
HZ=$(getconf CLK_TCK)

for t in fio openssl; do
    command -v $t >/dev/null || { echo "link-security: $t is missing (scripts/install-deps)" >&2; exit 69; }
done

fio_args() {
    case $1 in
        seqw1m-qd32) echo "--rw=write --bs=1m --iodepth=32" ;;
        randw4k-qd32) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
    esac
}

cpu_ticks() {   # utime + stime of both nodes' hastd processes and their workers
    local total=0 pid
    for pid in $(cat "$work"/a/hastd.pid "$work"/b/hastd.pid 2>/dev/null); do
        for p in $pid $(pgrep -P "$pid"); do
            total=$(( total + $(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null || echo 0) ))
        done
    done
    echo $total
}

run_fio() {   # uri workload [runtime] -> "MB/s IOPS lat_mean_us cpu_ms_per_MB"
    local out before after
    before=$(cpu_ticks)
    out=$(fio --name="$2" --ioengine=nbd --uri="$1" $(fio_args "$2") --size="$SIZE" --time_based \
        --runtime="${3:-$RUNTIME}" --randrepeat=0 --end_fsync=1 --output-format=json 2>/dev/null | sed -n '/^{/,$p')
    after=$(cpu_ticks)
    python3 -c '
import json, sys
d = json.load(sys.stdin)["jobs"][0]["write"]
mb = d["io_bytes"] / 1e6
cpu_ms = (int(sys.argv[2]) - int(sys.argv[1])) * 1000 / int(sys.argv[3])
print("%.1f %.0f %.1f %.2f" % (d["bw_bytes"] / 1e6, d["iops"], d["lat_ns"]["mean"] / 1000, cpu_ms / mb if mb else 0))
' "$before" "$after" "$HZ" <<<"$out"
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
        tls | tls-jdk) extra="secret $work/pki/secret
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
    local engine=()
    [[ $1 == tls-jdk ]] && engine=(env JAVA_TOOL_OPTIONS=-Dio.netty.handler.ssl.noOpenSsl=true)
    for n in benchA benchB; do
        node $n bin/hastctl create -c "$work/hast.conf" bench
        node $n "${engine[@]}" bin/hastd -c "$work/hast.conf"
    done
    node benchB bin/hastctl role -c "$work/hast.conf" secondary bench
    node benchA bin/hastctl role -c "$work/hast.conf" primary bench
    for _ in $(seq 600); do
        node benchA bin/hastctl status -c "$work/hast.conf" | grep -q complete && [[ -S $work/a/bench.nbd ]] && return
        sleep 0.1
    done
    echo "link-security: pair ($1) never became complete" >&2; exit 70
}

printf '%-6s %-14s %-8s %9s %9s %11s %10s\n' round workload variant MB/s IOPS lat_us cpu_ms/MB
for round in $(seq "$ROUNDS"); do
    for v in "${VARIANTS[@]}"; do
        start_pair "$v"
        uri="nbd+unix:///bench?socket=$work/a/bench.nbd"
        (( WARMUP > 0 )) && run_fio "$uri" seqw1m-qd32 "$WARMUP" >/dev/null
        for w in "${WORKLOADS[@]}"; do
            read -r mb iops lat cpu <<<"$(run_fio "$uri" "$w")"
            printf '%-6s %-14s %-8s %9s %9s %11s %10s\n' "$round" "$w" "$v" "$mb" "$iops" "$lat" "$cpu"
        done
    done
done
