#!/usr/bin/env python3
"""Starts QEMU's write-blocking mirror through a qemu-storage-daemon's QMP socket.

usage: qmp.py SOCK mirror HOST PORT EXPORT [TIMEOUT]
  attaches the NBD export EXPORT on HOST:PORT as node "target", mirrors node "source" onto it
  (sync=full, copy-mode=write-blocking) and waits until the job is ready; prints the seconds
  from blockdev-mirror to ready (the initial copy). Exit 1 on a QMP error or a timeout.
"""
import json
import socket
import sys
import time


class Monitor:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.stream = self.sock.makefile("rwb", buffering=0)
        self.reply()                       # the greeting
        self.call("qmp_capabilities")

    def reply(self):
        while True:
            line = self.stream.readline()
            if not line:
                raise EOFError("the QMP socket closed")
            message = json.loads(line)
            if "event" not in message:     # events arrive unasked; only replies matter here
                return message

    def call(self, command, **arguments):
        request = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        self.stream.write(json.dumps(request).encode() + b"\n")
        message = self.reply()
        if "error" in message:
            raise RuntimeError(f"{command}: {message['error'].get('desc')}")
        return message.get("return")


def mirror(path, host, port, export, timeout):
    monitor = Monitor(path)
    monitor.call("blockdev-add", driver="nbd", **{"node-name": "target"}, export=export,
                 server={"type": "inet", "host": host, "port": str(port)})
    start = time.monotonic()
    monitor.call("blockdev-mirror", **{"job-id": "mirror", "copy-mode": "write-blocking"},
                 device="source", target="target", sync="full")
    while time.monotonic() - start < timeout:
        jobs = [j for j in monitor.call("query-block-jobs") if j.get("device") == "mirror"]
        if not jobs or jobs[0].get("error"):
            raise RuntimeError(f"mirror job failed: {jobs[0].get('error') if jobs else 'gone'}")
        if jobs[0].get("ready"):
            print(f"{time.monotonic() - start:.3f}")
            return 0
        time.sleep(0.05)
    raise RuntimeError(f"mirror not ready within {timeout} s")


if __name__ == "__main__":
    if len(sys.argv) not in (6, 7) or sys.argv[2] != "mirror":
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(64)
    try:
        sys.exit(mirror(sys.argv[1], sys.argv[3], int(sys.argv[4]), sys.argv[5],
                        float(sys.argv[6]) if len(sys.argv) == 7 else 300))
    except (OSError, RuntimeError, EOFError) as e:
        print(f"qmp.py: {e}", file=sys.stderr)
        sys.exit(1)
