#!/usr/bin/env bash
# The secondary's apply rate (spec §11.7) for 4 KiB and 1 MiB writes over 127.0.0.1, beside
# iperf3 on the same link and fio writing the same kind of file, all in this one run:
#   bench/secondary-apply.sh [SECONDS] [DEPTH]      (defaults 5 s, 32 in flight)
# A real hastd secondary applies the writes; a test primary (it/ApplyRateBench) sends them
# without compression or checksums, as fullsync. Build first: mvn -q package -DskipTests.
# A/B of the number of appliers (SecondaryDisk.APPLIERS): APPLIERS="1 4" REPS=3 runs, in each
# repetition, every count in turn (a fresh secondary each, -Dhast.secondary.appliers=N), and
# prints the median and spread per count and block size. REPS=3, 5 s: about 3 minutes.
set -euo pipefail
[ -n "${DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
seconds=${1:-5}
depth=${2:-32}
size=$((1024 * 1024 * 1024))
command -v iperf3 >/dev/null && command -v fio >/dev/null || { echo "needs iperf3 and fio" >&2; exit 69; }
bench_class=it/target/test-classes/org/hast/it/ApplyRateBench.class
[ -r hastd/target/hastd.jar ] && [ -r "$bench_class" ] || {
    echo "build first: mvn -B -q package -DskipTests" >&2; exit 69; }
# A test primary compiled against an older daemon once hung this script: refuse stale classes
# (a full package builds it/ after hastd/, so its classes are the newer).
if [ hastd/target/hastd.jar -nt "$bench_class" ]; then
    echo "it/target/test-classes is older than hastd/target/hastd.jar: mvn -B -q package -DskipTests" >&2; exit 69
fi
# The test primary beside the built daemon jar (its manifest names the libraries).
cp="it/target/test-classes:common/target/test-classes:hastd/target/hastd.jar"

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
hastd_pid=""
start_secondary() {   # appliers
    JAVA_TOOL_OPTIONS="-Dhast.secondary.appliers=$1" bin/hastd -F -c "$work/hast.conf" >>"$work/hastd.log" 2>&1 &
    hastd_pid=$!; pids+=($hastd_pid)
    for i in $(seq 200); do [ -S "$work/b.sock" ] && break; sleep 0.05; done
    sleep 0.5
    bin/hastctl role -c "$work/hast.conf" secondary bench
}
stop_secondary() {
    kill "$hastd_pid" 2>/dev/null || true; wait "$hastd_pid" 2>/dev/null || true
    rm -f "$work/b.sock"
}

iperf3 -s -B 127.0.0.1 -p $iport -1 >/dev/null 2>&1 & pids+=($!)
sleep 0.3
link=$(iperf3 -c 127.0.0.1 -p $iport -t "$seconds" -f m | awk '/receiver/ {print $(NF-2)}')
link_mbs=$(awk "BEGIN{printf \"%.1f\", $link/8}")

fio_rate() {  # MB/s of fio writing the file with block size $1 (psync, 1 job, O_DIRECT off)
    fio --name=w --filename="$work/fio.img" --rw=write --bs="$1" --size=1G --time_based \
        --runtime="$seconds" --ioengine=psync --end_fsync=1 --output-format=terse --terse-version=3 \
        2>/dev/null | awk -F';' '{printf "%.1f", $48/1000}'
}
: >"$work/samples"
for rep in $(seq "${REPS:-1}"); do
    for n in ${APPLIERS:-1}; do
        start_secondary "$n"
        for bs in 4096 1048576; do
            ours=$(java -cp "$cp" org.hast.it.ApplyRateBench $port bench $size $bs "$seconds" "$depth")
            for i in $(seq 50); do bin/hastctl status -c "$work/hast.conf" | grep -q "bench	-" && break; sleep 0.1; done
            disk=$(fio_rate $bs)
            echo "$n $bs $ours" >>"$work/samples"
            printf 'rep %s appliers %2s block %7s: secondary applies %8s MB/s | iperf3 link %8s MB/s (ratio %.2f) | fio on the file %8s MB/s (ratio %.2f)\n' \
                "$rep" "$n" "$bs" "$ours" "$link_mbs" "$(awk "BEGIN{print $ours/$link_mbs}")" "$disk" "$(awk "BEGIN{print $ours/$disk}")"
        done
        stop_secondary
    done
done
echo "appliers  block     median MB/s  (min-max)"
sort -k1,1n -k2,2n -k3,3n "$work/samples" | awk '
    { key = $1 " " $2; v[key, ++n[key]] = $3; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
    END { for (i = 1; i <= k; i++) { key = order[i]; c = n[key]; split(key, p, " ")
          printf "%8s %8s %12s  (%s-%s)\n", p[1], p[2], v[key, int((c + 1) / 2)], v[key, 1], v[key, c] } }'
