#!/usr/bin/env python3
"""Failover time: runs a command (hastctl role primary ...), then writes 4 KiB through an NBD
Unix socket until a write succeeds. Prints "TOTAL_MS COMMAND_MS": from starting the command to
the first acknowledged write, and how long the command itself took.

usage: failover.py SOCKET EXPORT TIMEOUT_S -- COMMAND...
"""
import os
import socket
import struct
import subprocess
import sys
import time

OPTS_MAGIC = b"IHAVEOPT"
REPLY_MAGIC = 0x3E889045565A9
OPT_GO, REP_ACK = 7, 1
FLAG_FIXED_NEWSTYLE, FLAG_NO_ZEROES = 1, 2
REQUEST_MAGIC, SIMPLE_REPLY_MAGIC, CMD_WRITE = 0x25609513, 0x67446698, 1


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return data


def write_once(path, export):
    """One fixed-newstyle handshake (NBD_OPT_GO) and one 4 KiB write at offset 0."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(path)
        magic, opts, flags = struct.unpack(">8s8sH", read_exactly(sock, 18))
        if magic != b"NBDMAGIC" or opts != OPTS_MAGIC:
            raise ConnectionError("not a newstyle NBD server")
        sock.sendall(struct.pack(">I", flags & (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)))
        name = export.encode()
        payload = struct.pack(">I", len(name)) + name + struct.pack(">H", 0)
        sock.sendall(OPTS_MAGIC + struct.pack(">II", OPT_GO, len(payload)) + payload)
        while True:
            magic, _, reply, length = struct.unpack(">QIII", read_exactly(sock, 20))
            read_exactly(sock, length)
            if magic != REPLY_MAGIC or reply & 0x80000000:
                raise ConnectionError(f"NBD_OPT_GO refused (reply {reply:#x})")
            if reply == REP_ACK:
                break
        sock.sendall(struct.pack(">IHHQQI", REQUEST_MAGIC, 0, CMD_WRITE, 1, 0, 4096) + os.urandom(4096))
        magic, error, _ = struct.unpack(">IIQ", read_exactly(sock, 16))
        if magic != SIMPLE_REPLY_MAGIC or error:
            raise ConnectionError(f"write failed (error {error})")


def main(argv):
    if len(argv) < 6 or argv[4] != "--":
        print(__doc__.strip(), file=sys.stderr)
        return 64
    path, export, timeout, command = argv[1], argv[2], float(argv[3]), argv[5:]
    start = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    command_done = time.monotonic()
    last = None
    while time.monotonic() - start < timeout:
        try:
            write_once(path, export)
            now = time.monotonic()
            print(f"{(now - start) * 1000:.0f} {(command_done - start) * 1000:.0f}")
            return 0
        except (OSError, ConnectionError) as e:
            last = e
            time.sleep(0.002)
    print(f"failover.py: no successful write within {timeout} s: {last}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
