# fio.sh - the workloads of bench/run and how each is run and reported (sourced, not run).

ALL_WORKLOADS=(seqw1m-qd32 randw4k-qd32 randw4k-qd1 randw4k-qd1-flush randr4k-qd32 hot-randw4k-qd32 hot-randw4k-qd1)
HOT_SET=64m     # the hot-set variant writes inside the first 64 MiB: its activemap extents stay dirty

workload_args() {
    case $1 in
        seqw1m-qd32) echo "--rw=write --bs=1m --iodepth=32" ;;
        randw4k-qd32) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
        randw4k-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
        randw4k-qd1-flush) echo "--rw=randwrite --bs=4k --iodepth=1 --fsync=1" ;;
        randr4k-qd32) echo "--rw=randread --bs=4k --iodepth=32" ;;
        hot-randw4k-qd32) echo "--rw=randwrite --bs=4k --iodepth=32 --size=$HOT_SET" ;;
        hot-randw4k-qd1) echo "--rw=randwrite --bs=4k --iodepth=1 --size=$HOT_SET" ;;
        *) return 1 ;;
    esac
}

# The headline figure of a workload: bandwidth for a sequential one, mean latency at qd1
# (without flushes), IOPS otherwise.
workload_unit() {
    case $1 in
        seqw*) echo MB/s ;;
        *qd1) echo µs ;;
        *) echo IOPS ;;
    esac
}

# target_args TARGET - fio options reaching TARGET: an NBD URI, or a file (O_DIRECT, libaio).
target_args() {
    if [[ $1 == nbd* ]]; then
        echo "--ioengine=nbd --uri=$1"
    else
        echo "--ioengine=libaio --direct=1 --filename=$1"
    fi
}

# prefill TARGET - writes every byte once, so reads hit written blocks and no hole is left.
# end_fsync: the first measured workload must not pay for writing back the whole prefill.
# Fails (fio's output in $RESULTS/fio.err) rather than ending the run.
prefill() {
    # shellcheck disable=SC2046
    fio --name=prefill $(target_args "$1") --rw=write --bs=1m --iodepth=32 --size="$SIZE" --end_fsync=1 \
        --output-format=terse >"$RESULTS/fio.err" 2>&1
}

# run_workload LINK SYSTEM TARGET WORKLOAD - one fio run; records its headline figure, or fails
# with fio's output in $RESULTS/fio.err.
run_workload() {
    local link=$1 system=$2 target=$3 workload=$4 unit out value
    unit=$(workload_unit "$workload")
    # shellcheck disable=SC2046
    out=$(fio --name="$workload" $(target_args "$target") --size="$SIZE" $(workload_args "$workload") \
        --time_based --runtime="$RUNTIME" --ramp_time="$RAMP" --randrepeat=0 --norandommap \
        --end_fsync=1 --output-format=json 2>"$RESULTS/fio.err") || { echo "$out" >>"$RESULTS/fio.err"; return 1; }
    # the nbd engine says hello on stdout before the JSON
    value=$(sed -n '/^{/,$p' <<<"$out" | jq --arg unit "$unit" '.jobs[0] as $j
        | (if $j.write.io_bytes > 0 then $j.write else $j.read end) as $d
        | if $unit == "MB/s" then $d.bw_bytes / 1e6 elif $unit == "µs" then $d.lat_ns.mean / 1000 else $d.iops end
        | . * 10 | round / 10') || return 1
    sample "$link" "$system" "$workload" "$value" "$unit"
}
