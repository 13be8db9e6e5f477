#!/usr/bin/env python3
"""Median round trip of one byte over TCP on 127.0.0.1, in µs (usage: tcp_rtt.py [COUNT]).

Both ends are in this process (two threads), so the figure includes Python's own cost per
message (a few µs): it overstates the kernel's round trip a little, never understates it.
"""
import socket
import statistics
import sys
import threading
import time


def echo(server):
    conn, _ = server.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while data := conn.recv(1):
        conn.sendall(data)
    conn.close()


def main(count):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    thread = threading.Thread(target=echo, args=(server,), daemon=True)
    thread.start()
    client = socket.create_connection(server.getsockname())
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples = []
    for i in range(count + 100):           # the first hundred warm up the path
        t0 = time.perf_counter_ns()
        client.sendall(b"x")
        client.recv(1)
        if i >= 100:
            samples.append(time.perf_counter_ns() - t0)
    client.close()
    thread.join()
    server.close()
    print(f"{statistics.median(samples) / 1000:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
