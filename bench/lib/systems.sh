# systems.sh - starts and stops the systems bench/run compares (sourced, not run). Each start
# sets TARGET (what fio reaches: an NBD URI or a file) and SYSTEM_PIDS (what stop_system ends).
# Images live under $IMAGES/<system>-<link>/ and are deleted by stop_system.

ALL_SYSTEMS=(raw nbdkit mirror fullsync memsync async)
EXPORT=bench

is_local() { [[ $1 == raw || $1 == nbdkit ]]; }
is_hast() { [[ $1 == fullsync || $1 == memsync || $1 == async ]]; }

start_system() {   # start_system SYSTEM LINK
    SYSTEM_DIR=$IMAGES/$1-$2
    SYSTEM_PIDS=()
    rm -rf "$SYSTEM_DIR"
    mkdir -p "$SYSTEM_DIR"
    case $1 in
        raw) truncate -s "$SIZE" "$SYSTEM_DIR/raw.img"; TARGET=$SYSTEM_DIR/raw.img ;;
        nbdkit) start_nbdkit_file ;;
        mirror) start_mirror ;;
        *) hast_start "$1" "$SYSTEM_DIR" ;;
    esac
}

stop_system() {
    if ((${#SYSTEM_PIDS[@]})); then stop_started "${SYSTEM_PIDS[@]}"; fi
    SYSTEM_PIDS=()
    rm -rf "$SYSTEM_DIR"
}

start_nbdkit_file() {
    truncate -s "$SIZE" "$SYSTEM_DIR/file.img"
    nbdkit --foreground --exit-with-parent -U "$SYSTEM_DIR/nbd.sock" -e "$EXPORT" \
        file "$SYSTEM_DIR/file.img" >"$SYSTEM_DIR/nbdkit.log" 2>&1 &
    started $!; SYSTEM_PIDS+=($!)
    wait_until 20 test -S "$SYSTEM_DIR/nbd.sock" || die "nbdkit did not start: $(cat "$SYSTEM_DIR/nbdkit.log")"
    TARGET="nbd+unix:///$EXPORT?socket=$SYSTEM_DIR/nbd.sock"
}

# QEMU's closest equivalent of fullsync: a qemu-storage-daemon exporting the source image
# (O_DIRECT unless MIRROR_CACHE=writeback) with a write-blocking mirror to an nbdkit file target
# over TCP on the current link (source in A, target in B).
start_mirror() {
    local dir=$SYSTEM_DIR file_opts
    truncate -s "$SIZE" "$dir/src.img" "$dir/tgt.img"
    "${IN_B[@]}" nbdkit --foreground --exit-with-parent -i "$HOST_B" -p "$PORT_MIRROR" -e target \
        file "$dir/tgt.img" >"$dir/nbdkit-target.log" 2>&1 &
    started $!; SYSTEM_PIDS+=($!)
    wait_until 20 port_open "$HOST_B" "$PORT_MIRROR" "${IN_B[@]}" ||
        die "mirror target did not start: $(cat "$dir/nbdkit-target.log")"
    if [[ ${MIRROR_CACHE:-none} == writeback ]]; then
        file_opts="cache.direct=off,aio=threads"
    else
        file_opts="cache.direct=on,aio=native"
    fi
    "${IN_A[@]}" qemu-storage-daemon \
        --chardev "socket,id=qmp,path=$dir/qmp.sock,server=on,wait=off" --monitor chardev=qmp \
        --blockdev "driver=file,node-name=source-file,filename=$dir/src.img,$file_opts" \
        --blockdev driver=raw,node-name=source,file=source-file \
        --nbd-server "addr.type=unix,addr.path=$dir/nbd.sock" \
        --export "type=nbd,id=export,node-name=source,name=$EXPORT,writable=on" \
        >"$dir/qsd.log" 2>&1 &
    started $!; SYSTEM_PIDS+=($!)
    wait_until 20 test -S "$dir/qmp.sock" -a -S "$dir/nbd.sock" ||
        die "qemu-storage-daemon did not start: $(cat "$dir/qsd.log")"
    "$BENCH/lib/qmp.py" "$dir/qmp.sock" mirror "$HOST_B" "$PORT_MIRROR" target >/dev/null ||
        die "the mirror did not start"
    TARGET="nbd+unix:///$EXPORT?socket=$dir/nbd.sock"
}
