#!/usr/bin/env bash
# sync-ab.sh - A/B of the full sync on 127.0.0.1: builds of the project (git revisions) and the
# sync's knobs, the sync window (steps in flight, SyncLoop.WINDOW) and the secondary's appliers
# (SecondaryDisk.APPLIERS). For each repetition, a local dd O_DIRECT copy of the same data (the
# issue's reference) and then every variant in turn (interleaved, so the machine's drift hits
# all alike): a fresh pair, SIZE of random data on the primary, the secondary created again,
# and the time hastd logs for the full sync.
#
#   bench/sync-ab.sh [REPS] [SIZE] [VARIANT...]       defaults: 3 512M 16:1 64:1 16:4 64:4
#   VARIANT = [REV@]window:appliers   (passed as -Dhast.sync.window / -Dhast.secondary.appliers)
#   REV     = a git revision of this checkout, exported and built once under $HAST_BENCH_DIR
#             (mvn -o package, a minute or two), or the absolute path of a built checkout
#             (used as it is, read-only); without it, this checkout as built.
#
#   e.g. the 1 MiB steps against the 128 KiB ones of before (issue #15), about 5 minutes quiet:
#   bench/sync-ab.sh 5 1G 618a37f@16:1 16:1
#
# Prints one line per run (with the CPU time both workers spent per GiB synced, a figure the
# machine's load disturbs less than the rate), then per variant the median, min and max MB/s,
# the ratio to dd's median and the median CPU s/GiB. Run as root from a built checkout
# (mvn -B -q package -DskipTests). Files under $HAST_BENCH_DIR (default /var/tmp/hast-sync-ab),
# ports 30800+2K and the next (K from the checkout's path). The primary retries its link every second here (HAST_RECONNECT_SECONDS=1),
# which only shortens the wait before each sync starts. Each run takes 15-25 s on a quiet 2-core
# machine (JVM starts, the first connect, the sync, a cmp of the data).
set -euo pipefail
REPS=${1:-3}
SIZE=${2:-512M}
shift $(($# < 2 ? $# : 2))
VARIANTS=("$@")
((${#VARIANTS[@]})) || VARIANTS=(16:1 64:1 16:4 64:4)
here=$(cd "$(dirname "$0")/.." && pwd)
# Defaults differ per checkout, so that runs from two worktrees never share files or ports.
checkout_slot=${HAST_BENCH_SLOT:-$(( $(cd "$(dirname "$0")/.." && pwd -P | cksum | cut -d" " -f1) % 199 ))}
work=${HAST_BENCH_DIR:-/var/tmp/hast-sync-ab-$checkout_slot}
port_a=$(( 30800 + 2 * checkout_slot )) port_b=$(( 30801 + 2 * checkout_slot ))
[[ -r $here/hastd/target/hastd.jar ]] || { echo "sync-ab: build first: mvn -B -q package -DskipTests" >&2; exit 69; }
bytes=$(numfmt --from=iec "$SIZE")
disk_bytes=$((bytes + (64 << 20)))

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
node() { local n=$1; shift; HAST_NODE="$n" "$home/bin/hastctl" "$1" -c "$work/hast.conf" "${@:2}"; }
wait_for() {   # seconds pattern file
    local i
    for ((i = 0; i < $1 * 20; i++)); do grep -q "$2" "$3" 2>/dev/null && return 0; sleep 0.05; done
    return 1
}

rm -rf "$work"; mkdir -p "$work"
head -c "$bytes" /dev/urandom >"$work/random.img"

build_of() {   # REV -> the checkout to run: REV exported from git and built once, or a built path
    [[ $1 != /* ]] || { echo "$1"; return; }
    local rev=$1 dir=$work/build-${1//\//_}
    if [[ ! -r $dir/hastd/target/hastd.jar ]]; then
        echo "building $rev in $dir" >&2
        mkdir -p "$dir"
        git -C "$here" archive "$rev" | tar -x -C "$dir"
        (cd "$dir" && mvn -B -q -o package -DskipTests >"$dir/build.log" 2>&1) ||
            { echo "sync-ab: the build of $rev failed, see $dir/build.log" >&2; exit 70; }
    fi
    echo "$dir"
}
for v in "${VARIANTS[@]}"; do
    [[ $v != *@* ]] || build_of "${v%@*}" >/dev/null
done

sync_run() {   # home window appliers -> RESULT: MB/s as hastd logs it (in this shell: the trap sees its PIDs)
    local home=$1 d=$work/pair
    shift
    rm -rf "$d"; mkdir -p "$d"
    truncate -s "$disk_bytes" "$d/a.img" "$d/b.img"
    cat >"$work/hast.conf" <<CONF
replication memsync
on syncA {
	control uds://$d/a.ctl
	pidfile $d/a.pid
	listen tcp4://127.0.0.1:$port_a
}
on syncB {
	control uds://$d/b.ctl
	pidfile $d/b.pid
	listen tcp4://127.0.0.1:$port_b
}
resource sab {
	device none
	on syncA {
		local $d/a.img
		remote tcp4://127.0.0.1:$port_b
	}
	on syncB {
		local $d/b.img
		remote tcp4://127.0.0.1:$port_a
	}
}
CONF
    node syncA create sab; node syncB create sab
    dd if="$work/random.img" of="$d/a.img" bs=1M seek=$((disk_bytes - bytes)) oflag=seek_bytes conv=notrunc,fsync status=none
    local opts="-Dhast.sync.window=$1 -Dhast.secondary.appliers=$2"
    HAST_NODE=syncA HAST_RECONNECT_SECONDS=1 JAVA_TOOL_OPTIONS="$opts" "$home/bin/hastd" -F -c "$work/hast.conf" \
        >"$d/a.log" 2>&1 &
    local a=$!; pids+=($a)
    HAST_NODE=syncB HAST_RECONNECT_SECONDS=1 JAVA_TOOL_OPTIONS="$opts" "$home/bin/hastd" -F -c "$work/hast.conf" \
        >"$d/b.log" 2>&1 &
    local b=$!; pids+=($b)
    local i
    for i in $(seq 600); do [[ -S $d/a.ctl && -S $d/b.ctl ]] && break; sleep 0.1; done
    [[ -S $d/a.ctl && -S $d/b.ctl ]] || { echo "sync-ab: hastd did not start, see $d/a.log $d/b.log" >&2; exit 70; }
    # First connect: both fresh, nothing to copy; then B is created again: the next connect
    # is a full sync of everything (spec §8 case 1).
    node syncB role secondary sab; node syncA role primary sab
    for i in $(seq 240); do node syncA status sab | grep -q complete && break; sleep 0.5; done
    node syncB role init sab; node syncB create sab; node syncB role secondary sab
    wait_for 120 'Synchronization started' "$d/a.log" || { echo "sync-ab: no sync started, see $d/a.log" >&2; exit 70; }
    local c0; c0=$(cpu_ticks "$a" "$b")
    wait_for 900 'Synchronization complete' "$d/a.log" || { echo "sync-ab: no sync end, see $d/a.log" >&2; exit 70; }
    CPU=$(awk -v t=$(($(cpu_ticks "$a" "$b") - c0)) -v hz="$(getconf CLK_TCK)" -v b="$disk_bytes" \
        'BEGIN {printf "%.2f", t / hz / (b / 2^30)}')
    local line; line=$(grep -m1 'Synchronization complete' "$d/a.log")
    # The workers too: one still going would hold the images and the ports of the next run.
    local workers; workers=$(pgrep -P "$a"; pgrep -P "$b"; true)
    RSS=$(for p in $workers; do awk '/^VmHWM:/ {printf "%d ", $2 / 1024}' "/proc/$p/status" 2>/dev/null; done)
    kill "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
    for i in $(seq 100); do
        local alive=
        for p in $workers; do kill -0 "$p" 2>/dev/null && alive=1; done
        [[ -n $alive ]] || break
        sleep 0.1
    done
    pids=()
    cmp -s -i "$((disk_bytes - bytes)):$((disk_bytes - bytes))" -n "$bytes" "$d/a.img" "$d/b.img" ||
        { echo "sync-ab: the data areas differ after the sync" >&2; exit 70; }
    # "... 576MB synchronized in 9.5s (61MB/sec)." or "in 950ms": MB/s of the whole provider
    RESULT=$(echo "$line" | grep -oE 'synchronized in [0-9.]+m?s' | awk -v b="$disk_bytes" \
        '{t = $3 + 0; if ($3 ~ /ms$/) t /= 1000; printf "%.1f\n", b / t / 1e6}')
}

cpu_ticks() {   # main PIDs -> utime+stime of their children (the workers), in clock ticks
    local p sum=0
    for p in $(pgrep -P "$1" 2>/dev/null) $(pgrep -P "$2" 2>/dev/null); do
        sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$sum"
}

dd_run() {   # the issue's reference: a local O_DIRECT copy of the same bytes, MB/s
    local t0 t1
    t0=$(date +%s%N)
    dd if="$work/random.img" of="$work/dd.img" bs=1M iflag=direct oflag=direct status=none
    t1=$(date +%s%N)
    rm -f "$work/dd.img"
    awk -v b="$bytes" -v ns=$((t1 - t0)) 'BEGIN {printf "%.1f\n", b / (ns / 1e9) / 1e6}'
}

: >"$work/samples"
for rep in $(seq "$REPS"); do
    r=$(dd_run); echo "rep $rep dd-odirect: $r MB/s"; echo "dd-odirect $r" >>"$work/samples"
    for v in "${VARIANTS[@]}"; do
        rev=; [[ $v != *@* ]] || rev=${v%@*}
        IFS=: read -r window appliers <<<"${v#*@}"
        home=$here; [[ -z $rev ]] || home=$(build_of "$rev")
        sync_run "$home" "$window" "$appliers"
        label="${rev:-this}:window=$window,appliers=$appliers"
        echo "rep $rep $label: $RESULT MB/s, both workers' CPU ${CPU} s per GiB, peak RSS (MiB) ${RSS:-?}"
        echo "$label $RESULT $CPU" >>"$work/samples"
    done
done
echo "variant                                 median MB/s  (min-max)  ratio to dd's median  CPU s/GiB (median)"
awk '{ print $1, $2 }' "$work/samples" | sort -k1,1 -k2,2n >"$work/rates"
awk 'NF > 2 { print $1, $3 }' "$work/samples" | sort -k1,1 -k2,2n >"$work/cpus"
awk 'FNR == NR { c[$1, ++m[$1]] = $2; next }
    { v[$1, ++n[$1]] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
    END { dd = v["dd-odirect", int((n["dd-odirect"] + 1) / 2)]
          for (i = 1; i <= k; i++) { key = order[i]; cnt = n[key]; med = v[key, int((cnt + 1) / 2)]
              cpu = m[key] ? c[key, int((m[key] + 1) / 2)] : "-"
              printf "%-38s %12s  (%s-%s)  %.2f  %s\n", key, med, v[key, 1], v[key, cnt], med / dd, cpu } }' \
    "$work/cpus" "$work/rates"
