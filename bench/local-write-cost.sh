#!/usr/bin/env bash
# local-write-cost.sh [N=200000] [BS=4096] [REPS=5] - CPU per local data write (issue #15): the
# calling thread's CPU ns per LocalComponent.writeFully of a direct buffer (random aligned offsets
# in 64 MiB of page cache), through FileChannel (-Dhast.local.nativeIo=false, the base) and through
# the native pwrite (this checkout's default), one JVM per run, the two interleaved REPS times.
# Prints each run's median and, per path, the median of the runs. Needs a built checkout
# (mvn package -DskipTests); a 64 MiB file under $HAST_BENCH_DIR (default
# /var/tmp/hast-local-write-cost), deleted on exit. About 1 min quiet with the defaults.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar=$here/../hastd/target/hastd.jar
[[ -r $jar ]] || { echo "local-write-cost: $jar is not built: mvn -B -q package -DskipTests" >&2; exit 69; }
N=${1:-200000} BS=${2:-4096} REPS=${3:-5}
work=${HAST_BENCH_DIR:-/var/tmp/hast-local-write-cost}
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
img=$work/component.img
span=$((64 << 20))
dd if=/dev/zero of="$img" bs=1M count=64 status=none
echo "$(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); bs $BS, $N writes per round"
declare -A runs
for ((rep = 1; rep <= REPS; rep++)); do
    for path in channel native; do
        native=$([[ $path == native ]] && echo true || echo false)
        m=$(java -Dhast.local.nativeIo=$native -cp "$jar" "$here/java/LocalWriteCost.java" "$img" $span "$BS" "$N" 5 \
            2>&1 | grep -v ' DEBUG ' | awk '/^median/ {print $2}')
        echo "rep $rep $path: $m ns/write"
        runs[$path]+="$m "
    done
done
for path in channel native; do
    echo "$path: median $(tr ' ' '\n' <<<"${runs[$path]}" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') ns/write"
done
