#!/usr/bin/env bash
# The workers' memory and collector (issue #15: worker RSS ≤ 128 MiB, the GC that suits it),
# each variant of worker JVM options beside the others in one run: per round and replication
# mode, a fresh hastd pair on 127.0.0.1 per variant, the image written in full, a 3 s warm-up,
# then fio (nbd engine) seqw1m-qd32, randw4k-qd32, randw4k-qd1 and randr4k-qd32 through the
# primary's export. Prints, per variant, medians (min-max) of: each workload's figure (MB/s,
# IOPS, qd1 mean latency in µs), the CPU both workers spent per request and their minor page
# faults per request (a CPU cost the load does not distort: memory given back and taken again), both workers' peak
# RSS (VmHWM) and RSS at the end, their collections and total pause time (-Xlog:gc); and what
# made up each worker's highest RSS (sampled every 100 ms): its anonymous and file-backed parts
# (/proc/PID/smaps_rollup) and the workload it fell in (the per-round lines), and with NMT=1 the
# JVM's own account (`jcmd VM.native_memory summary`, committed MiB per category) taken within
# a few MiB of the peak. Anonymous memory NMT does not account for is the C library's free heap.
#
#   bench/worker-memory.sh [ROUNDS=3] [NAME=OPTIONS...]
#
# Variants go to the workers through HAST_WORKER_JVM_OPTIONS (added after the defaults; one that
# names a collector replaces SerialGC and its -Xmn); a token VARIABLE=VALUE goes to the daemons'
# environment instead (e.g. MALLOC_ARENA_MAX=16), except HAST_HOME=DIR, which runs another built
# checkout for that variant (an A/B of builds, e.g. base=HAST_HOME=/var/tmp/s5-base). Default variants: `now` (as shipped), `before`
# (the flags before issue #15's memory work) and the other collectors: parallel, g1, z, and
# epsilon (no collection at all, a 1 GiB heap: the allocation-free limit, not a candidate).
# Environment: SIZE (256M), RUNTIME (5 s per workload), MODES ("fullsync memsync async"), WORKLOADS
# (also randw4k-qd1-flush, hot-randw4k-qd32, hot-randw4k-qd1: bench/run's others),
# NMT=1 (saves `jcmd VM.native_memory summary` of each worker), RESULTS (directory).
# Builds nothing: run `mvn -B -q package -DskipTests` first. Needs fio and python3; no root.
# Duration: about 45 s per pair on a quiet machine; the default (3 rounds, 3 modes, 6 variants)
# about 40 minutes; `bench/worker-memory.sh 1 now= before=...` with MODES=async about 2 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -r hastctl/target/hastctl.jar ] && [ -r hastd/target/hastd.jar ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 69; }
command -v fio >/dev/null || { echo "worker-memory: fio is missing" >&2; exit 69; }
rounds=${1:-3}
shift || true
if (($# == 0)); then
    set -- now= \
        before="-XX:+UseSerialGC -Xms96m -XX:MaxDirectMemorySize=96m -XX:TrimNativeHeapInterval=0 -Dio.netty.allocator.numDirectArenas=4 -Dio.netty.allocator.maxOrder=9 MALLOC_ARENA_MAX=16" \
        parallel=-XX:+UseParallelGC g1=-XX:+UseG1GC z=-XX:+UseZGC \
        epsilon="-XX:+UnlockExperimentalVMOptions -XX:+UseEpsilonGC -Xmx1g"
fi
exec python3 bench/lib/worker_memory.py "$PWD" "$rounds" "$@"
