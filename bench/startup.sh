#!/usr/bin/env bash
# Start-up figures that bound failover time, each beside a baseline from the same run:
#   1. bin/hastctl -h wall time, median of N, against `java -version` (the JVM floor);
#   2. `hastctl role primary` until the worker answers a status query, median of N;
#   3. RSS and PSS of the hastd main process and of an idle primary worker.
# Usage: bench/startup.sh [N]   (default 10). Builds nothing: run `mvn -q package -DskipTests` first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=${1:-10}
[ -r hastctl/target/hastctl.jar ] && [ -r hastd/target/hastd.jar ] || { echo "build first: mvn -q package -DskipTests" >&2; exit 69; }

ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m}'; }
time_cmd() {  # prints the wall time of "$@" in ms
    local t0 t1; t0=$(ms); "$@" >/dev/null 2>&1 || true; t1=$(ms); echo $(( (t1 - t0) / 100000 )) | awk '{printf "%.1f\n", $1/10}'
}

work=$(mktemp -d /tmp/hast-bench-XXXXXX)
daemon=""
cleanup() {
    if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then kill "$daemon"; wait "$daemon" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

for i in $(seq 2); do bin/hastctl -h 2>/dev/null || true; java -version 2>/dev/null; done
ctl=$(for i in $(seq "$n"); do time_cmd bin/hastctl -h; done | median)
jv=$(for i in $(seq "$n"); do time_cmd java -Xshare:auto -version; done | median)
echo "hastctl -h:            median ${ctl} ms   (java -version: ${jv} ms, ratio $(awk "BEGIN{printf \"%.2f\", $ctl/$jv}"))"

truncate -s 64M "$work/r0.img"
cat >"$work/hast.conf" <<CONF
on bench {
	control uds://$work/ctl.sock
	pidfile $work/hastd.pid
	listen tcp4://127.0.0.1:$((20000 + RANDOM % 20000))
}
resource r0 {
	on bench { local $work/r0.img remote none }
}
CONF
export HAST_NODE=bench
bin/hastctl create -c "$work/hast.conf" r0
bin/hastd -F -c "$work/hast.conf" >"$work/hastd.log" 2>&1 &
daemon=$!
for i in $(seq 100); do [ -S "$work/ctl.sock" ] && break; sleep 0.05; done

ready() { bin/hastctl role -c "$work/hast.conf" primary r0 && bin/hastctl status -c "$work/hast.conf" r0; }
samples=()
for i in $(seq "$n"); do
    bin/hastctl role -c "$work/hast.conf" init r0 >/dev/null
    samples+=("$(time_cmd ready)")
done
printf '%s\n' "${samples[@]}" | median | xargs printf "role primary -> ready: median %s ms (includes two hastctl runs of ~${ctl} ms each)\n"

mem() {  # RSS and PSS in MiB of a pid
    awk '/^Rss:/{r=$2} /^Pss:/{p=$2} END{printf "RSS %.1f MiB, PSS %.1f MiB", r/1024, p/1024}' "/proc/$1/smaps_rollup"
}
sleep 2
worker=$(pgrep -f 'hastd: r0 \(primary\)' | head -1)
echo "hastd main process:    $(mem "$daemon")"
echo "idle primary worker:   $(mem "$worker")"
