# common.sh - logging, samples and the cleanup registry of bench/run (sourced, not run).
# Everything bench/run starts is recorded here and ended by PID on exit, even on ^C.

STARTED_PIDS=()      # processes this run started, in start order
NAMESPACES=()        # network namespaces this run created

log() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$RESULTS/run.log" >&2; }
die() { echo "bench: $*" >&2; exit "${2:-70}"; }

# sample LINK SYSTEM METRIC VALUE UNIT [EXTRA_JSON_FIELDS] - one figure of this repetition.
sample() {
    local extra=${6:+, $6}
    printf '{"rep": %d, "link": "%s", "system": "%s", "metric": "%s", "value": %s, "unit": "%s"%s}\n' \
        "$REP" "$1" "$2" "$3" "$4" "$5" "$extra" >>"$RESULTS/samples.jsonl"
    log "  $3 $1 $2: $4 $5"
}

# step_failed SYSTEM LINK STEP - a failed step is noted (failures.txt, its logs kept under
# failed/) and the run goes on with the next one.
step_failed() {
    local keep=$RESULTS/failed/rep$REP-$1-$2
    mkdir -p "$keep"
    cp "$RESULTS/fio.err" "$keep/" 2>/dev/null || true
    [[ -n ${SYSTEM_DIR:-} ]] && cp "$SYSTEM_DIR"/*.log "$keep/" 2>/dev/null || true
    echo "rep $REP: $1 on $2: $3 failed (logs in failed/${keep##*/})" >>"$RESULTS/failures.txt"
    log "$1 on $2: $3 FAILED; logs kept in $keep"
}

started() { STARTED_PIDS+=("$1"); }

# stop_pid PID [SECONDS] - TERM, wait, then KILL; only a PID this run started.
stop_pid() {
    local pid=$1 limit=${2:-10} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < limit * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.05
    done
    log "pid $pid ignored SIGTERM for ${limit}s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# stop_started PID... - ends these recorded processes (last started first) and forgets them.
stop_started() {
    local pid i keep=()
    for ((i = $# ; i >= 1; i--)); do stop_pid "${!i}"; done
    for pid in "${STARTED_PIDS[@]}"; do
        [[ " $* " == *" $pid "* ]] || keep+=("$pid")
    done
    STARTED_PIDS=("${keep[@]}")
}

cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${STARTED_PIDS[i]}" 5; done
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    [[ -n ${IMAGES:-} && -d $IMAGES ]] && rm -rf "$IMAGES"
    exit "$rc"
}

# wait_until SECONDS COMMAND... - polls COMMAND every $POLL s (default 0.05); fails after SECONDS.
wait_until() {
    local limit=$1 deadline
    shift
    deadline=$(($(date +%s%N) + limit * 1000000000))
    until "$@" 2>/dev/null; do
        (($(date +%s%N) < deadline)) || return 1
        sleep "${POLL:-0.05}"
    done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
