#!/usr/bin/env bash
# Failover time split by phase (issue #15), each JVM-flag variant beside the others in one run:
# two hastd nodes on 127.0.0.1, `hastctl role primary` on the secondary until the first 4 KiB
# NBD write through its export is acknowledged, N rounds per variant, variants interleaved.
# Usage: bench/failover-split.sh [N] [NAME=FLAGS...]   (default N 10 and the variants below)
# Builds nothing: run `mvn -B -q package -DskipTests` first. Needs python3; no root, no network
# namespace. About 10 s per failover on a quiet machine: the default run takes 4-6 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -r hastctl/target/hastctl.jar ] && [ -r hastd/target/hastd.jar ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 69; }
n=${1:-10}
shift || true
if (($# == 0)); then
    # now: as shipped; netty-jfr: Netty's JFR events back on (as before issue #15);
    # jnr-reflect: jnr-ffi bindings without generated code (a lever measured, not taken)
    set -- now= netty-jfr=-Dio.netty.jfr.enabled=true jnr-reflect=-Djnr.ffi.asm.enabled=false
fi
exec python3 bench/lib/failover_split.py "$PWD" "$n" "$@"
