#!/usr/bin/env bash
# Long coverage-guided runs of the Jazzer fuzz targets (docs/fuzzing.md), one JVM per target
# because Jazzer fuzzes a single @FuzzTest per run.
#
#   bench/fuzz-long.sh [RUNS] [TARGET...]
#
# RUNS: executions per target (default 1000000); each target also stops at its @FuzzTest
# maxDuration. TARGET: module:Class#method, default every target below. Logs, the generated
# corpus and any crash file stay under <module>/target/jazzer and target/fuzz-long; a crash
# worth keeping goes by hand into the target's src/test/resources/.../<Class>Inputs/<method>/.
# Prints one line per target: executions, seconds, coverage (edges, features), finding.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1000000}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(
        common:org.hast.nv.NvMessageCoverageFuzzTest#decode
        common:org.hast.codec.LzfCoverageFuzzTest#decompress
        common:org.hast.codec.LzfCoverageFuzzTest#roundTrip
        common:org.hast.meta.MetadataCoverageFuzzTest#decode
        common:org.hast.proto.HandshakeCoverageFuzzTest#parse
        common:org.hast.conf.ConfigCoverageFuzzTest#parse
        hastd:org.hast.link.HastFrameDecoderCoverageFuzzTest#decode
        hastd:org.hast.device.nbd.NbdRequestDecoderCoverageFuzzTest#decode
        hastd:org.hast.device.nbd.NbdHandshakeCoverageFuzzTest#negotiate
        hastd:org.hast.daemon.ControlRequestsCoverageFuzzTest#handle
        hastctl:org.hast.ctl.ControlReplyCoverageFuzzTest#readAndFormat
    )
fi

logs="$here/target/fuzz-long"
mkdir -p "$logs"
cd "$here"
printf '%-60s %10s %6s %12s %s\n' target executions s "cov/ft" finding
for target in "${targets[@]}"; do
    module=${target%%:*}
    test=${target#*:}
    log="$logs/${test##*.}.log"
    start=$(date +%s)
    # -Xmx: the default (a quarter of RAM) lets the heap grow for nothing on a shared machine
    if JAZZER_FUZZ=1 mvn -B -o -pl "$module" -am test -Dtest="$test" \
            -Dsurefire.failIfNoSpecifiedTests=false -DargLine=-Xmx768m \
            -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-runs="$runs" \
            -Djazzer.internal.arg.2=-print_final_stats=1 >"$log" 2>&1; then
        finding=none
    else
        finding=$(grep -m1 -o 'Java Exception: .*\|FuzzTestFindingException.*\|BUILD FAILURE' "$log" || echo failed)
    fi
    seconds=$(( $(date +%s) - start ))
    executions=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 | sed 's/cov: \([0-9]*\) ft: \([0-9]*\)/\1\/\2/' || echo '?')
    printf '%-60s %10s %6s %12s %s (log: %s)\n' "$test" "$executions" "$seconds" "$cov" "$finding" "$log"
done
