# pair.sh - one hastd pair on 127.0.0.1 for the profiling and A/B scripts (sourced, not run):
# cpu-profile.sh, secondary-profile.sh, alloc-profile.sh and build-ab.sh. Both nodes run as
# daemons of the checkout PAIR_HOME (default: the current directory); node A is primary with its
# NBD export on a Unix socket, B is secondary. Every file lives under PAIR_DIR (a/ and b/).
#
#   pair_start NAME MODE PORT [CONF_LINES] - resource NAME (nodes NAMEA, NAMEB) in replication
#       MODE, A on PORT and B on PORT+1, disks of SIZE + 64 MiB; CONF_LINES go to the top of
#       hast.conf (e.g. "metaflush off"). PAIR_HASTD_ENV (an array of VAR=value) is the daemons'
#       environment, which their workers inherit. Returns once A's status is complete and its
#       export is there; PAIR_URI is the export's fio URI.
#   pair_prefill                 - writes SIZE through the export (so reads and rewrites hit data).
#   pair_worker primary|secondary - the PID of that node's worker: its daemon's child titled
#       "hastd: NAME (ROLE)" (by title alone, pgrep found another checkout's pair).
#   pair_stop                    - stops both daemons (hastctl stop), if a pair was started.

PAIR_HOME=${PAIR_HOME:-.}

pair_node() {   # pair_node NODE PROGRAM ARGS...
    HAST_NODE=$1 "$PAIR_HOME/bin/$2" "${@:3}"
}

pair_start() {
    PAIR_NAME=$1
    local mode=$2 port_a=$3 port_b=$(( $3 + 1 )) lines=${4:-} n
    rm -rf "$PAIR_DIR"; mkdir -p "$PAIR_DIR/a" "$PAIR_DIR/b"
    truncate -s $(( $(numfmt --from=iec "$SIZE") + (64 << 20) )) "$PAIR_DIR/a/disk.img" "$PAIR_DIR/b/disk.img"
    cat >"$PAIR_DIR/hast.conf" <<CONF
replication $mode
$lines
on ${PAIR_NAME}A {
	control uds://$PAIR_DIR/a/ctl.sock
	pidfile $PAIR_DIR/a/hastd.pid
	listen tcp4://127.0.0.1:$port_a
}
on ${PAIR_NAME}B {
	control uds://$PAIR_DIR/b/ctl.sock
	pidfile $PAIR_DIR/b/hastd.pid
	listen tcp4://127.0.0.1:$port_b
}
resource $PAIR_NAME {
	device none
	on ${PAIR_NAME}A {
		local $PAIR_DIR/a/disk.img
		remote tcp4://127.0.0.1:$port_b
		export uds://$PAIR_DIR/a/$PAIR_NAME.nbd
	}
	on ${PAIR_NAME}B {
		local $PAIR_DIR/b/disk.img
		remote tcp4://127.0.0.1:$port_a
	}
}
CONF
    for n in "${PAIR_NAME}A" "${PAIR_NAME}B"; do
        pair_node "$n" hastctl create -c "$PAIR_DIR/hast.conf" "$PAIR_NAME"
        env ${PAIR_HASTD_ENV[@]+"${PAIR_HASTD_ENV[@]}"} HAST_NODE="$n" "$PAIR_HOME/bin/hastd" -c "$PAIR_DIR/hast.conf"
    done
    # hastd returns once it has forked; under load its control socket comes a little later.
    for _ in $(seq 300); do
        [[ -S $PAIR_DIR/a/ctl.sock && -S $PAIR_DIR/b/ctl.sock ]] && break
        sleep 0.1
    done
    pair_node "${PAIR_NAME}B" hastctl role -c "$PAIR_DIR/hast.conf" secondary "$PAIR_NAME"
    pair_node "${PAIR_NAME}A" hastctl role -c "$PAIR_DIR/hast.conf" primary "$PAIR_NAME"
    PAIR_URI="nbd+unix:///$PAIR_NAME?socket=$PAIR_DIR/a/$PAIR_NAME.nbd"
    for _ in $(seq 600); do
        pair_node "${PAIR_NAME}A" hastctl status -c "$PAIR_DIR/hast.conf" "$PAIR_NAME" | grep -q complete &&
            [[ -S $PAIR_DIR/a/$PAIR_NAME.nbd ]] && return 0
        sleep 0.1
    done
    echo "pair: $PAIR_NAME never became complete with its export (see hastd's syslog)" >&2
    return 70
}

pair_prefill() {
    fio --name=prefill --ioengine=nbd --uri="$PAIR_URI" --rw=write --bs=1m --iodepth=16 --size="$SIZE" \
        --end_fsync=1 --output-format=terse >/dev/null 2>&1
}

pair_worker() {
    local dir=a
    [[ $1 == secondary ]] && dir=b
    ps -o pid=,args= --ppid "$(cat "$PAIR_DIR/$dir/hastd.pid")" |
        awk -v t="hastd: $PAIR_NAME ($1)" 'index($0, t) {print $1; exit}'
}

pair_stop() {
    [[ -n ${PAIR_NAME:-} && -f $PAIR_DIR/hast.conf ]] || return 0
    local n
    for n in "${PAIR_NAME}A" "${PAIR_NAME}B"; do
        pair_node "$n" hastctl stop -c "$PAIR_DIR/hast.conf" >/dev/null 2>&1 || true
    done
}
