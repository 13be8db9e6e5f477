#!/usr/bin/env bash
# The secondary's apply rate (spec §11.7) for 4 KiB and 1 MiB writes over 127.0.0.1, beside
# iperf3 on the same link and fio writing the same kind of file, all in this one run:
#   bench/secondary-apply.sh [SECONDS] [DEPTH]      (defaults 5 s, 32 in flight)
# A real hastd secondary applies the writes; a test primary (it/ApplyRateBench) sends them
# without compression or checksums, as fullsync. Build first: mvn -q install -DskipTests.
set -euo pipefail
[ -n "${DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
seconds=${1:-5}
depth=${2:-32}
size=$((1024 * 1024 * 1024))
command -v iperf3 >/dev/null && command -v fio >/dev/null || { echo "needs iperf3 and fio" >&2; exit 69; }
[ -d it/target/test-classes ] || mvn -B -q -ntp -pl it test-compile
cp=$(mvn -B -q -ntp -Dstyle.color=never -pl it dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)
cp="it/target/test-classes:$cp"

work=$(mktemp -d /tmp/hast-apply-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
port=$((20000 + RANDOM % 20000)); iport=$((port + 1))
truncate -s $size "$work/b.img" "$work/fio.img"
cat >"$work/hast.conf" <<CONF
on nodeB { control uds://$work/b.sock
	listen tcp4://127.0.0.1:$port }
resource bench { on nodeB { local $work/b.img remote tcp4://127.0.0.1 } }
CONF
export HAST_NODE=nodeB
bin/hastctl create -c "$work/hast.conf" bench
bin/hastd -F -c "$work/hast.conf" >"$work/hastd.log" 2>&1 & pids+=($!)
for i in $(seq 100); do [ -S "$work/b.sock" ] && break; sleep 0.05; done
sleep 0.5
bin/hastctl role -c "$work/hast.conf" secondary bench

iperf3 -s -B 127.0.0.1 -p $iport -1 >/dev/null 2>&1 & pids+=($!)
sleep 0.3
link=$(iperf3 -c 127.0.0.1 -p $iport -t "$seconds" -f m | awk '/receiver/ {print $(NF-2)}')
link_mbs=$(awk "BEGIN{printf \"%.1f\", $link/8}")

fio_rate() {  # MB/s of fio writing the file with block size $1 (psync, 1 job, O_DIRECT off)
    fio --name=w --filename="$work/fio.img" --rw=write --bs="$1" --size=1G --time_based \
        --runtime="$seconds" --ioengine=psync --end_fsync=1 --output-format=terse --terse-version=3 \
        2>/dev/null | awk -F';' '{printf "%.1f", $48/1000}'
}
for bs in 4096 1048576; do
    ours=$(java -cp "$cp" org.hast.it.ApplyRateBench $port bench $size $bs "$seconds" "$depth")
    for i in $(seq 50); do bin/hastctl status -c "$work/hast.conf" | grep -q "bench	-" && break; sleep 0.1; done
    disk=$(fio_rate $bs)
    printf 'block %7s: secondary applies %8s MB/s | iperf3 link %8s MB/s (ratio %.2f) | fio on the file %8s MB/s (ratio %.2f)\n' \
        "$bs" "$ours" "$link_mbs" "$(awk "BEGIN{print $ours/$link_mbs}")" "$disk" "$(awk "BEGIN{print $ours/$disk}")"
done
