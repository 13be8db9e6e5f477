# net.sh - the links of bench/run: 127.0.0.1, and a veth pair between two network namespaces,
# uncapped or capped with htb on both ends (sourced, not run).

NS_A=hbA$$ NS_B=hbB$$ VETH_A=hbva$$ VETH_B=hbvb$$
ADDR_A=10.79.15.1 ADDR_B=10.79.15.2

netns_up() {
    ((${#NAMESPACES[@]})) && return 0
    local ns
    for ns in "$NS_A" "$NS_B"; do
        ip netns list | awk '{print $1}' | grep -qx "$ns" && die "namespace $ns already exists" 75
    done
    ip netns add "$NS_A"; NAMESPACES+=("$NS_A")
    ip netns add "$NS_B"; NAMESPACES+=("$NS_B")
    # Made inside A with the peer moved to B at once: nothing appears in the host's namespace.
    ip -n "$NS_A" link add "$VETH_A" type veth peer name "$VETH_B" netns "$NS_B"
    ip -n "$NS_A" addr add "$ADDR_A/24" dev "$VETH_A"
    ip -n "$NS_B" addr add "$ADDR_B/24" dev "$VETH_B"
    for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_A" link set "$VETH_A" up
    ip -n "$NS_B" link set "$VETH_B" up
}

# use_link LINK - prepares LINK and sets IN_A/IN_B (command prefixes), HOST_A/HOST_B.
use_link() {
    case $1 in
        lo) IN_A=() IN_B=() HOST_A=127.0.0.1 HOST_B=127.0.0.1 ;;
        veth | veth1g)
            netns_up
            IN_A=(ip netns exec "$NS_A") IN_B=(ip netns exec "$NS_B") HOST_A=$ADDR_A HOST_B=$ADDR_B
            local pair ns dev
            for pair in "$NS_A:$VETH_A" "$NS_B:$VETH_B"; do
                ns=${pair%%:*} dev=${pair##*:}
                tc -n "$ns" qdisc del dev "$dev" root 2>/dev/null || true
                [[ $1 == veth1g ]] || continue
                # htb shapes egress only: both ends, so both directions are capped.
                tc -n "$ns" qdisc add dev "$dev" root handle 1: htb default 10
                tc -n "$ns" class add dev "$dev" parent 1: classid 1:10 htb rate "$RATE" ceil "$RATE" quantum 60000
            done
            ;;
    esac
}

# measure_link LINK - iperf3 from A to B (the replication direction) on the current link.
measure_link() {
    local server bps
    "${IN_B[@]}" iperf3 -s -1 -B "$HOST_B" -p "$PORT_IPERF" >/dev/null 2>&1 &
    server=$!
    started "$server"
    wait_until 5 port_open "$HOST_B" "$PORT_IPERF" "${IN_B[@]}" || die "iperf3 server did not start"
    bps=$("${IN_A[@]}" iperf3 -c "$HOST_B" -p "$PORT_IPERF" -t "$IPERF_SECONDS" -J |
        jq '.end.sum_received.bits_per_second')
    stop_started "$server"
    sample "$1" iperf3 link "$(jq -n "$bps / 1e6 | . * 10 | round / 10")" Mbit/s
}

# port_open HOST PORT [NETNS PREFIX...] - whether something listens on HOST:PORT there.
port_open() {
    local host=$1 port=$2
    shift 2
    "$@" ss -Hltn "src $host:$port" | grep -q .
}
