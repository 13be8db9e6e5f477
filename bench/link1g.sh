#!/usr/bin/env bash
# bench/link1g.sh [REPS] [RUNTIME] [SIZE] - issue #15's 1 Gbit target: seqw1m-qd32 (fio's nbd
# engine, 1 MiB writes at queue depth 32, end_fsync as in bench/run) through a fullsync pair on
# the htb-capped veth pair, with the local write-behind (default) and without it
# (-Dhast.local.writebehind=0), beside the QEMU mirror and iperf3 on the same link, interleaved
# within each repetition. Prints medians, spreads and the ratio to iperf3's goodput. As root,
# from a built checkout (mvn -B -q package -DskipTests). Defaults 3 reps, 10 s, 1G: ~5 minutes.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
REPS=${1:-3} RUNTIME=${2:-10} SIZE=${3:-1G} RATE=1gbit
RAMP=$((RUNTIME >= 5 ? 1 : 0)) IPERF_SECONDS=$((RUNTIME >= 5 ? 5 : RUNTIME))
RESULTS=${RESULTS:-/var/tmp/hast-bench/link1g-$(date -u +%Y%m%dT%H%M%SZ)}
# shellcheck source=lib/common.sh
source "$BENCH/lib/common.sh"
# shellcheck source=lib/net.sh
source "$BENCH/lib/net.sh"
# shellcheck source=lib/fio.sh
source "$BENCH/lib/fio.sh"
# shellcheck source=lib/systems.sh
source "$BENCH/lib/systems.sh"
# shellcheck source=lib/hast.sh
source "$BENCH/lib/hast.sh"

[[ $(id -u) == 0 ]] || die "run as root (network namespaces, tc)" 77
[[ -r $ROOT/hastd/target/hastd.jar ]] || die "build first: mvn -B -q package -DskipTests" 69
mkdir -p "$RESULTS"
IMAGES=$RESULTS/images
mkdir -p "$IMAGES"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
base=$((20000 + $$ % 20000))
PORT_A=$base PORT_B=$((base + 1)) PORT_MIRROR=$((base + 2)) PORT_IPERF=$((base + 3))
: >"$RESULTS/samples.jsonl"
echo "bench/link1g.sh $REPS reps, ${RUNTIME}s, $SIZE — $(date -u '+%F %T UTC'), commit" \
    "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), load $(cut -d' ' -f1-3 /proc/loadavg)" |
    tee "$RESULTS/header.txt" >&2

# one SYSTEM LABEL [JVM OPTIONS] - start, fill, one seqw1m-qd32 run recorded as LABEL, stop.
one() {
    HAST_JAVA_OPTS=${3:-} start_system "$1" veth1g
    prefill "$TARGET" || { step_failed "$2" veth1g prefill; stop_system; return 0; }
    run_workload veth1g "$2" "$TARGET" seqw1m-qd32 || step_failed "$2" veth1g seqw1m-qd32
    stop_system
}

use_link veth1g
for ((REP = 1; REP <= REPS; REP++)); do
    log "repetition $REP of $REPS"
    measure_link veth1g
    one fullsync fullsync
    one fullsync fullsync-nowb -Dhast.local.writebehind=0
    one mirror mirror
done

echo "load $(cut -d' ' -f1-3 /proc/loadavg) at the end" | tee -a "$RESULTS/header.txt" >&2
# Medians and spreads; iperf3's Mbit/s as MB/s of goodput, the target being 0.97 of it.
jq -rs '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def r1: . * 10 | round / 10;
  (map(select(.metric == "link")) | map(.value / 8) | median) as $iperf
  | (group_by(.system)[] | {system: .[0].system, unit: .[0].unit, values: map(.value)})
  | if .system == "iperf3"
    then "iperf3         \(.values | median | r1) Mbit/s (\(.values | min)–\(.values | max)) = \($iperf | r1) MB/s goodput"
    else "\(.system | . + "               " | .[0:14]) \(.values | median | r1) \(.unit) (\(.values | min)–\(.values | max))  \(.values | median / $iperf * 100 | round / 100)× iperf3 (target ≥ 0.97×)"
    end' "$RESULTS/samples.jsonl" | tee "$RESULTS/table.txt"
echo "results: $RESULTS" >&2
