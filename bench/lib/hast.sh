# hast.sh - a pair of hastd nodes on the current link (sourced, not run). Node A runs in the
# namespace IN_A and is primary; B in IN_B is secondary. Control sockets and NBD exports are
# Unix sockets, so hastctl and fio reach them from the host whatever the namespace.

# The data area is exactly SIZE: hastctl create puts 4096 bytes of metadata and then the
# activemap (one bit per 2 MiB extent, rounded up to 512 bytes) in front of it.
hast_disk_bytes() {
    local data map
    data=$(numfmt --from=iec "$SIZE")
    map=$(( ( (data / 2097152 + 7) / 8 + 511) / 512 * 512 ))
    echo $((data + 4096 + map))
}
hast_data_offset() { echo $(( $(hast_disk_bytes) - $(numfmt --from=iec "$SIZE") )); }

hastctl_on() {   # hastctl_on NODE DIR COMMAND ARGS...
    HAST_NODE=$1 "$ROOT/bin/hastctl" "$3" -c "$2/hast.conf" "${@:4}"
}

hast_conf() {   # hast_conf MODE DIR
    cat >"$2/hast.conf" <<CONF
replication $1
on nodeA {
	control uds://$2/a.ctl
	pidfile $2/a.pid
	listen tcp4://$HOST_A:$PORT_A
}
on nodeB {
	control uds://$2/b.ctl
	pidfile $2/b.pid
	listen tcp4://$HOST_B:$PORT_B
}
resource $EXPORT {
	device none
	on nodeA {
		local $2/a.img
		remote tcp4://$HOST_B:$PORT_B
		export uds://$2/a.nbd
	}
	on nodeB {
		local $2/b.img
		remote tcp4://$HOST_A:$PORT_A
		export uds://$2/b.nbd
	}
}
CONF
}

# hast_daemons MODE DIR - creates both images' metadata and starts both daemons (no roles yet).
# Their GC events go to DIR/gc-<pid>.log (the worker JVMs run without perf data, so jstat
# cannot count them); HAST_A_PID/HAST_B_PID are the daemons.
hast_daemons() {
    local dir=$2 bytes
    bytes=$(hast_disk_bytes)
    [[ -f $dir/a.img ]] || truncate -s "$bytes" "$dir/a.img"
    truncate -s "$bytes" "$dir/b.img"
    hast_conf "$1" "$dir"
    hastctl_on nodeA "$dir" create "$EXPORT" >/dev/null
    hastctl_on nodeB "$dir" create "$EXPORT" >/dev/null
    # HAST_JAVA_OPTS: extra JVM options (system properties) for both daemons and their workers.
    local gc="-Xlog:gc:file=$dir/gc-%p.log${HAST_JAVA_OPTS:+ $HAST_JAVA_OPTS}"
    "${IN_A[@]}" env HAST_NODE=nodeA JAVA_TOOL_OPTIONS="$gc" "$ROOT/bin/hastd" -F -c "$dir/hast.conf" >"$dir/a.log" 2>&1 &
    HAST_A_PID=$!; started $!; SYSTEM_PIDS+=($!)
    "${IN_B[@]}" env HAST_NODE=nodeB JAVA_TOOL_OPTIONS="$gc" "$ROOT/bin/hastd" -F -c "$dir/hast.conf" >"$dir/b.log" 2>&1 &
    HAST_B_PID=$!; started $!; SYSTEM_PIDS+=($!)
    wait_until 60 test -S "$dir/a.ctl" -a -S "$dir/b.ctl" || die "hastd did not start: see $dir/a.log, $dir/b.log"
}

hast_status_is() {   # hast_status_is NODE DIR STATUS
    hastctl_on "$1" "$2" status "$EXPORT" | grep -q "^$EXPORT[[:space:]]\+$3"
}

hast_start() {   # hast_start MODE DIR - the pair, connected, A primary with its export up
    hast_daemons "$1" "$2"
    hastctl_on nodeB "$2" role secondary "$EXPORT"
    hastctl_on nodeA "$2" role primary "$EXPORT"
    wait_until 60 test -S "$2/a.nbd" || die "no export $2/a.nbd: see $2/a.log"
    # Each status is a JVM start: poll it slowly, not to slow the daemons' own start.
    POLL=0.5 wait_until 60 hast_status_is nodeA "$2" complete || die "the $1 pair never became complete: see $2/a.log"
    TARGET="nbd+unix:///$EXPORT?socket=$2/a.nbd"
}

# hast_worker_figures LINK MODE - peak RSS and GC count of both workers so far.
hast_worker_figures() {
    local node pid metric_prefix hwm gcs
    for node in A B; do
        [[ $node == A ]] && pid=$HAST_A_PID metric_prefix=worker || pid=$HAST_B_PID metric_prefix=secondary
        # the worker is the daemon's child whose title is "hastd: <resource> (<role>)"
        pid=$(ps -o pid=,args= --ppid "$pid" | awk -v t="hastd: $EXPORT (" 'index($0, t) {print $1; exit}'; true)
        [[ -n $pid && -r /proc/$pid/status ]] || { log "no worker under node $node"; continue; }
        hwm=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
        sample "$1" "$2" "$metric_prefix-rss-peak" "$hwm" MiB
        if [[ -r $SYSTEM_DIR/gc-$pid.log ]]; then
            # Each collection is one "GC(n)" id in the unified log.
            gcs=$(grep -o 'GC([0-9]*)' "$SYSTEM_DIR/gc-$pid.log" | sort -u | wc -l || true)
            sample "$1" "$2" "$metric_prefix-gc" "$gcs" count
        else
            log "no GC log for the worker of node $node (pid $pid): $(ps -o args= -p "$pid" | cut -c1-200)"
        fi
    done
}

# hast_failover LINK MODE - A steps down (role init), then `hastctl role primary` on B until
# the first 4 KiB NBD write through B's export is acknowledged.
hast_failover() {
    local dir=$SYSTEM_DIR out
    hastctl_on nodeA "$dir" role init "$EXPORT"
    out=$("$BENCH/lib/failover.py" "$dir/b.nbd" "$EXPORT" 60 -- \
        env HAST_NODE=nodeB "$ROOT/bin/hastctl" role -c "$dir/hast.conf" primary "$EXPORT") ||
        die "failover failed: see $dir/b.log"
    sample "$1" "$2" failover "${out% *}" ms "\"hastctl_ms\": ${out#* }"
}

# hast_full_sync LINK - SIZE of random data on A, B freshly created: the time from A's
# "Synchronization started" until "Synchronization complete" and `dirty: 0` (fullsync-1g), the
# time from B's `role secondary` to the start (sync-connect), and hastd's own figure.
hast_full_sync() {
    local link=$1 dir=$IMAGES/sync-$1 mark t0 t1 t2 own
    SYSTEM_DIR=$dir SYSTEM_PIDS=()
    rm -rf "$dir"; mkdir -p "$dir"
    truncate -s "$(hast_disk_bytes)" "$dir/a.img"
    dd if="$IMAGES/random.img" of="$dir/a.img" bs=1M seek="$(hast_data_offset)" oflag=seek_bytes \
        conv=notrunc status=none
    hast_daemons memsync "$dir"
    # First connect: both fresh, nothing to copy (the primary is virgin). Then B is created
    # again, which makes the next connect a full sync (spec §8 case 1).
    hastctl_on nodeB "$dir" role secondary "$EXPORT"
    hastctl_on nodeA "$dir" role primary "$EXPORT"
    POLL=0.5 wait_until 60 hast_status_is nodeA "$dir" complete || die "sync pair never complete: see $dir/a.log"
    hastctl_on nodeB "$dir" role init "$EXPORT"
    hastctl_on nodeB "$dir" create "$EXPORT" >/dev/null
    mark=$(wc -c <"$dir/a.log")
    since_mark() { tail -c +"$((mark + 1))" "$dir/a.log" | grep -m1 "$1"; }
    t0=$(now_ms)
    hastctl_on nodeB "$dir" role secondary "$EXPORT"
    # The log is polled every 50 ms (a hastctl run costs a JVM start, too coarse a clock);
    # `dirty: 0` is then confirmed once.
    wait_until 120 since_mark 'Synchronization started' >/dev/null || die "no sync started: see $dir/a.log"
    t1=$(now_ms)
    wait_until 600 since_mark 'Synchronization complete' >/dev/null || die "no full sync within 600 s: see $dir/a.log"
    t2=$(now_ms)
    hastctl_on nodeA "$dir" list "$EXPORT" | grep -q '^  dirty: 0 ' || die "sync complete but dirty is not 0"
    sample "$link" fullsync fullsync-1g "$(jq -n "($t2 - $t1) / 1000")" s "\"bytes\": $(numfmt --from=iec "$SIZE")"
    sample "$link" fullsync sync-connect "$(jq -n "($t1 - $t0) / 1000")" s
    # hastd's own figure: "... synchronized in 5.2s (...)" or "in 950ms"
    own=$(since_mark 'Synchronization complete' | grep -oE 'synchronized in [0-9.]+m?s' |
        awk '{t = $3 + 0; print ($3 ~ /ms$/) ? t / 1000 : t}')
    [[ -z $own ]] || sample "$link" hastd-log fullsync-1g "$own" s "\"bytes\": $(numfmt --from=iec "$SIZE")"
    cmp -s -i "$(hast_data_offset):$(hast_data_offset)" -n "$(numfmt --from=iec "$SIZE")" "$dir/a.img" "$dir/b.img" ||
        die "the data areas differ after the full sync"
    stop_system
}
