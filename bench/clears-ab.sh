#!/usr/bin/env bash
# clears-ab.sh [REPS] [RUNTIME] [BASE] - what the activemap's clears cost the workloads that lost
# when extents pushed off keepdirty were cleared every second with an fdatasync of the whole
# component (sequential 1 MiB writes and random 4 KiB reads at qd32; docs/performance-activemap.md,
# "Clears by range write-back"; WORKLOADS="... randw4k-qd32" adds others). Variants, interleaved within
# each repetition (bench/build-ab.sh, fullsync, 1 GiB image, fresh pair each):
#   base   BASE (default /var/tmp/s5-base: main before the range write-back, fdatasync clears,
#          evicted extents every 30 s)
#   fsync1s  BASE with evicted extents cleared every second (the regression the 30 s avoided)
#   range1s  this checkout: range write-back, every second (the default)
#   range30s this checkout with -Dhast.activemap.evictionClearSeconds=30
# Defaults 3 repetitions of 8 s per workload: about 6 minutes on a quiet machine. Run as root
# from a built checkout (mvn -B -q package -DskipTests) with BASE built too.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3} runtime=${2:-8} base=${3:-/var/tmp/s5-base}
[[ -r $base/hastd/target/hastd.jar ]] || { echo "clears-ab: $base is not a built checkout" >&2; exit 66; }
WARMUP=${WARMUP:-2} WORKLOADS=${WORKLOADS:-"seqw1m-qd32 randr4k-qd32"} \
    exec bench/build-ab.sh "$reps" "$runtime" 1G fullsync \
    "base:$base:on" "fsync1s:$base:on::-Dhast.activemap.evictionClearSeconds=1" \
    "range1s:.:on" "range30s:.:on::-Dhast.activemap.evictionClearSeconds=30"
