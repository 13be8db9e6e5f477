#!/usr/bin/env bash
# failover-times.sh - the failover a user gets with each cluster manager, in parts: runs the
# failover ITs' timing scenarios RUNS times and prints, per scenario and part, the median and the
# spread (min-max) in milliseconds.
#
#   bench/failover-times.sh [RUNS]      (default 5)
#
# Scenarios (issue #14): keepalived-crash and keepalived-planned (KeepalivedFailoverIT: SIGKILL,
# or SIGTERM, of the master's keepalived), pacemaker-crash and pacemaker-move
# (PacemakerFailoverIT: crash of the promoted node, crm_resource --move). Each run is one
# `mvn verify` of those two classes with -Dfailover.timesOnly=true (the link-cut guard and the
# sync-target veto checks are skipped: they time nothing). The parts are each test's
# "failover-times <scenario>: <part> <n> ms, ..." lines: keepalived's from hast-failover's log
# (detection = fault to notify_master, then query, wait, role, device, fsck, mount), Pacemaker's
# as watched from outside (detection = peer seen lost, or for a move the old mount gone; role =
# until hastd changed the role; device; fsck; mount); total = fault to mounted file system.
#
# Run as root from the checkout, on a machine with scripts/install-deps done. One run took
# 4 min 56 s on the shared 2-core machine under load (build, keepalived's two tests 116 s,
# Pacemaker's 120 s); expect about 3 min per run on a quiet one, so about 15 min for RUNS=5.
# Logs of every run stay in $HAST_BENCH_DIR (default /var/tmp/hast-failover-times).
set -euo pipefail
RUNS=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${HAST_BENCH_DIR:-/var/tmp/hast-failover-times}
mkdir -p "$work"
results="$work/results.txt"
: >"$results"
[ "$(id -u)" -eq 0 ] || { echo "failover-times: run as root (namespaces, mounts)" >&2; exit 77; }
command -v python3 >/dev/null || { echo "failover-times: python3 is missing" >&2; exit 69; }

for run in $(seq 1 "$RUNS"); do
    log="$work/run-$run.log"
    echo "failover-times: run $run of $RUNS (log: $log)" >&2
    if ! (cd "$root" && HAST_E2E_REQUIRED=1 mvn -B -o -pl it -am verify -Dtest=none \
            -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
            '-Dit.test=KeepalivedFailoverIT#crash*+planned*,PacemakerFailoverIT' \
            -Dfailover.timesOnly=true) >"$log" 2>&1; then
        echo "failover-times: run $run failed, see $log (its figures are not used)" >&2
        continue
    fi
    grep -o 'failover-times [a-z-]*: .*' "$log" | sed "s/^/run $run /" >>"$results"
done

python3 - "$results" <<'EOF'
import re, statistics, sys
parts, order = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r'run \d+ failover-times ([a-z-]+): (.*)', line)
    if not m:
        continue
    scenario = m.group(1)
    for name, ms in re.findall(r'(\w+) (-?\d+) ms', m.group(2)):
        parts.setdefault(scenario, {}).setdefault(name, []).append(int(ms))
        order.setdefault(scenario, [])
        if name not in order[scenario]:
            order[scenario].append(name)
if not parts:
    sys.exit("failover-times: no figures (every run failed?)")
print("median (min-max) in ms")
for scenario in sorted(parts):
    runs = max(len(v) for v in parts[scenario].values())
    cells = []
    for name in order[scenario]:
        v = parts[scenario][name]
        cells.append("%s %d (%d-%d)" % (name, statistics.median(v), min(v), max(v)))
    print("%-19s n=%d  %s" % (scenario, runs, ", ".join(cells)))
EOF
