#!/usr/bin/env bash
# obs-demo.sh - every observability interface during a real synchronisation (issue #16): a pair
# of hastd on 127.0.0.1, the secondary away while SIZE is written, then back: prints hastd's log
# lines, "hastctl events", "hastctl list --json" and /metrics taken during the sync, keeps a
# scrape every 0.5 s in $work/scrapes.tsv and plots it (gnuplot) to docs/img/hast-sync.png.
# Also times hastctl list with and without --json (start-up cost of the JSON library).
#
#   bench/obs-demo.sh [SIZE=1G]
#
# Run as root from a built checkout (mvn package -DskipTests). Files under /var/tmp/hast-obs-demo.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1G}
work=${HAST_DEMO_DIR:-/var/tmp/hast-obs-demo}
PORT=${METRICS_PORT:-19458}
for t in fio curl gnuplot python3; do
    command -v $t >/dev/null || { echo "obs-demo: $t is missing" >&2; exit 69; }
done
node() { local n=$1; shift; HAST_NODE="$n" "$@"; }
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for n in demoA demoB; do
        [[ -f $work/hast.conf ]] && node $n bin/hastctl stop -c "$work/hast.conf" >/dev/null 2>&1 || true
    done
    rm -f "$work"/*/disk.img
}
trap cleanup EXIT
rm -rf "$work"; mkdir -p "$work/a" "$work/b"
truncate -s $(( $(numfmt --from=iec "$SIZE") + (64 << 20) )) "$work/a/disk.img" "$work/b/disk.img"
cat >"$work/hast.conf" <<CONF
metrics 127.0.0.1:$PORT
on demoA {
	control uds://$work/a/ctl.sock
	pidfile $work/a/hastd.pid
	listen tcp4://127.0.0.1:18757
}
on demoB {
	control uds://$work/b/ctl.sock
	pidfile $work/b/hastd.pid
	listen tcp4://127.0.0.1:18758
}
resource demo {
	device none
	on demoA {
		local $work/a/disk.img
		remote tcp4://127.0.0.1:18758
		export uds://$work/a/demo.nbd
	}
	on demoB {
		local $work/b/disk.img
		remote tcp4://127.0.0.1:18757
	}
}
CONF
# metrics is global and both nodes share this host: B reads a copy with another port.
sed "s/^metrics .*/metrics 127.0.0.1:$((PORT + 1))/" "$work/hast.conf" >"$work/hast-b.conf"
node demoA bin/hastctl create -c "$work/hast.conf" demo
node demoB bin/hastctl create -c "$work/hast-b.conf" demo
node demoA bin/hastd -F -c "$work/hast.conf" >"$work/a/hastd.log" 2>&1 & pids+=($!)
node demoB bin/hastd -F -c "$work/hast-b.conf" >"$work/b/hastd.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [[ -S $work/a/ctl.sock && -S $work/b/ctl.sock ]] && break; sleep 0.2; done
node demoA bin/hastctl events -c "$work/hast.conf" >"$work/events.txt" 2>&1 & pids+=($!)
node demoB bin/hastctl role -c "$work/hast-b.conf" secondary demo
node demoA bin/hastctl role -c "$work/hast.conf" primary demo
for _ in $(seq 600); do
    node demoA bin/hastctl status -c "$work/hast.conf" | grep -q complete && [[ -S $work/a/demo.nbd ]] && break
    sleep 0.2
done
node demoB bin/hastctl role -c "$work/hast-b.conf" init demo
sleep 1
uri="nbd+unix:///demo?socket=$work/a/demo.nbd"
fio --name=fill --ioengine=nbd --uri="$uri" --rw=write --bs=1m --iodepth=16 --size="$SIZE" \
    --output-format=terse >/dev/null 2>&1
echo "== hastctl list (text, unchanged) before the sync"
node demoA bin/hastctl list -c "$work/hast.conf" demo
# Scrape every 0.5 s: time, done, total, rate, dirty, write bytes.
(
    t0=$(date +%s.%N)
    while sleep 0.5; do
        curl -s "http://127.0.0.1:$PORT/metrics" | python3 -c '
import sys, time
v = {}
for line in sys.stdin:
    if line.startswith("#"): continue
    name, _, value = line.rpartition(" ")
    v[name] = float(value)
key = lambda n, extra="": n + "{" + extra + "resource=\"demo\"}"
print("%.2f %d %d %d %d %d" % (time.time() - float(sys.argv[1]), v.get(key("hast_sync_done_bytes"), 0),
      v.get(key("hast_sync_total_bytes"), 0), v.get(key("hast_sync_rate_bytes_per_second"), 0),
      v.get(key("hast_dirty_bytes"), 0), v.get("hast_request_bytes_total{op=\"write\",resource=\"demo\"}", 0)))
' "$t0" >>"$work/scrapes.tsv" || true
    done
) & pids+=($!)
sleep 2
node demoB bin/hastctl role -c "$work/hast-b.conf" secondary demo
for _ in $(seq 100); do grep -q "sync-progress" "$work/events.txt" && break; sleep 0.1; done
echo "== hastctl list --json during the sync"
node demoA bin/hastctl list --json -c "$work/hast.conf" demo
echo "== /metrics during the sync (hast_ series of the resource)"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -v '^#' | grep -v '_bucket'
for _ in $(seq 3000); do grep -q "sync-done" "$work/events.txt" && break; sleep 0.2; done
sleep 2
echo "== hastd log on A (sync lines)"
grep -E "Synchroni" "$work/a/hastd.log"
echo "== hastctl events on A"
cat "$work/events.txt"
echo "== hastctl start-up: list vs list --json (median of 10, ms)"
for mode in "" "--json"; do
    python3 - "$work" $mode <<'PY'
import statistics, subprocess, sys, time, os
work = sys.argv[1]; extra = sys.argv[2:]
env = dict(os.environ, HAST_NODE="demoA")
times = []
for _ in range(10):
    t = time.perf_counter()
    subprocess.run(["bin/hastctl", "list", "-c", work + "/hast.conf", *extra, "demo"], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    times.append((time.perf_counter() - t) * 1000)
print("hastctl list %-6s median %.0f ms (min %.0f)" % (" ".join(extra), statistics.median(times), min(times)))
PY
done
mkdir -p docs/img
gnuplot <<GP
set terminal pngcairo size 900,520 font "sans,10"
set output "docs/img/hast-sync.png"
set multiplot layout 2,1 title "hastd /metrics during a $SIZE synchronisation (scraped every 0.5 s)"
set ylabel "MiB"; set key outside right center; set grid
plot "$work/scrapes.tsv" using 1:(\$2/1048576) with lines lw 2 title "hast\\\\_sync\\\\_done\\\\_bytes", \
     "" using 1:(\$3/1048576) with lines lw 2 title "hast\\\\_sync\\\\_total\\\\_bytes", \
     "" using 1:(\$5/1048576) with lines lw 2 title "hast\\\\_dirty\\\\_bytes"
set ylabel "MB/s"; set xlabel "seconds"; set key outside right center
plot "$work/scrapes.tsv" using 1:(\$4/1e6) with lines lw 2 title "hast\\\\_sync\\\\_rate\\\\_bytes\\\\_per\\\\_second"
unset multiplot
GP
ls -l docs/img/hast-sync.png
