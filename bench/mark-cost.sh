#!/usr/bin/env bash
# mark-cost.sh [N] - what one durable activemap mark costs, by part (issue #15): the device's
# cache flush alone, the bitmap write (O_DSYNC) beside pwrite + fdatasync and O_DIRECT|O_DSYNC,
# and DirtyMap.writeStart until its continuation split into the hand-off to the activemap
# thread, its bitmap write and the release. N rounds (default 2000), interleaved, 200 µs apart
# (as at queue depth 1). Needs a built checkout (mvn package -DskipTests); a 1 GiB sparse file
# under $HAST_BENCH_DIR (default /var/tmp/hast-mark-cost), deleted on exit. About 10 s quiet.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar=$here/../hastd/target/hastd.jar
[[ -r $jar ]] || { echo "mark-cost: $jar is not built: mvn -B -q package -DskipTests" >&2; exit 69; }
work=${HAST_BENCH_DIR:-/var/tmp/hast-mark-cost}
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
img=$work/component.img
truncate -s $(((1 << 30) + (64 << 20))) "$img"
dd if=/dev/zero of="$img" bs=1M count=1 conv=notrunc status=none   # the metadata and bitmap area
sync "$img"
echo "$(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); $(df --output=source,fstype "$work" | tail -1);" \
    "write_cache $(cat /sys/block/*/queue/write_cache 2>/dev/null | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
java -cp "$jar" "$here/java/MarkCost.java" "$img" "${1:-2000}" 2>&1 | grep -v ' DEBUG '
