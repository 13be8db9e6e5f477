#!/usr/bin/env python3
"""Failover time and where it goes: two hastd nodes on 127.0.0.1 (fullsync, `device none`, NBD
export on a Unix socket); each round the primary goes `role init`, then `hastctl role primary`
runs on the secondary until the first 4 KiB NBD write through its export is acknowledged (as
lib/failover.py), and the old primary becomes secondary again. Variants (JVM flags given to the
daemons, and so to their workers, through JAVA_TOOL_OPTIONS) alternate within each round, each
on its own pair, so that a loaded machine weighs on all of them alike.

The split comes from the new worker's class-load log (-Xlog:class+load with wall-clock and
uptime stamps): the JVM's start, its main class, the primary role's first class, the NBD
server's, the first NBD request's.

usage: failover_split.py ROOT ROUNDS NAME=FLAGS...   (FLAGS may be empty: "base=")
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import variants  # noqa: E402
from failover import write_once  # noqa: E402

EXPORT = "r0"
# Class-load markers in the worker's log, in the order they are met on the way to a write.
MARKERS = [
    ("main", "org.hast.worker.WorkerMain "),
    ("role", "org.hast.worker.PrimaryWorker "),
    ("export", "org.hast.device.nbd.NbdServer "),
    ("request", "org.hast.device.nbd.NbdRequest "),
]
PHASES = ["hastctl", "to worker JVM", "JVM to main", "main to role", "role to export",
          "export to request", "request to ack", "total", "worker CPU"]
LINE = re.compile(r"^\[(\d+)ms\]\[(\d+)ms\]\[(\d+)\] (\S+) ")


class Pair:
    """Two daemons (nodeA, nodeB) on 127.0.0.1 with their own directory and ports."""

    def __init__(self, root, name, flags, port):
        self.root, self.name, self.flags = root, name, flags
        self.dir = tempfile.mkdtemp(prefix=f"hast-failover-{name}-")
        self.daemons = []
        ports = {"nodeA": port, "nodeB": port + 1}
        sections = "".join(
            f"on {n} {{\n\tcontrol uds://{self.dir}/{n}.ctl\n\tpidfile {self.dir}/{n}.pid\n"
            f"\tlisten tcp4://127.0.0.1:{p}\n}}\n" for n, p in ports.items())
        other = {"nodeA": "nodeB", "nodeB": "nodeA"}
        resource = "".join(
            f"\ton {n} {{\n\t\tlocal {self.dir}/{n}.img\n\t\tremote tcp4://127.0.0.1:{ports[other[n]]}\n"
            f"\t\texport uds://{self.dir}/{n}.nbd\n\t}}\n" for n in ports)
        with open(f"{self.dir}/hast.conf", "w") as conf:
            conf.write(f"replication fullsync\n{sections}resource {EXPORT} {{\n\tdevice none\n{resource}}}\n")
        for n in ports:
            with open(f"{self.dir}/{n}.img", "wb") as img:
                img.truncate(64 << 20)
            self.ctl(n, "create", EXPORT)

    def ctl(self, node, *args):
        env = dict(os.environ, HAST_NODE=node)
        env.pop("JAVA_TOOL_OPTIONS", None)
        return subprocess.run([f"{self.root}/bin/hastctl", args[0], "-c", f"{self.dir}/hast.conf", *args[1:]],
                              env=env, check=True, stdout=subprocess.DEVNULL)

    def start(self):
        for n in ("nodeA", "nodeB"):
            log = f"-Xlog:class+load:file={self.dir}/classes-%p.log:timemillis,uptimemillis,pid"
            env = dict(os.environ, HAST_NODE=n, JAVA_TOOL_OPTIONS=f"{self.flags} {log}".strip())
            out = open(f"{self.dir}/{n}.log", "w")
            self.daemons.append(subprocess.Popen(
                [f"{self.root}/bin/hastd", "-F", "-c", f"{self.dir}/hast.conf"], env=env,
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while not all(os.path.exists(f"{self.dir}/{n}.ctl") for n in ("nodeA", "nodeB")):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: hastd did not start, see {self.dir}")
            time.sleep(0.05)
        self.ctl("nodeB", "role", "secondary", EXPORT)
        self.ctl("nodeA", "role", "primary", EXPORT)
        self.primary = "nodeA"

    def failover(self):
        """One failover to the secondary; returns the phases in ms."""
        old, new = self.primary, ("nodeB" if self.primary == "nodeA" else "nodeA")
        self.ctl(old, "role", "init", EXPORT)
        before = set(os.listdir(self.dir))
        env = dict(os.environ, HAST_NODE=new)
        env.pop("JAVA_TOOL_OPTIONS", None)
        t0 = time.time()
        subprocess.run([f"{self.root}/bin/hastctl", "role", "-c", f"{self.dir}/hast.conf", "primary", EXPORT],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        t1 = time.time()
        while True:
            try:
                write_once(f"{self.dir}/{new}.nbd", EXPORT)
                break
            except (OSError, ConnectionError):
                if time.time() - t0 > 60:
                    raise RuntimeError(f"{self.name}: no write within 60 s, see {self.dir}")
                time.sleep(0.002)
        t2 = time.time()
        new_files = set(os.listdir(self.dir)) - before
        cpu = self.worker_cpu_ms(new_files)
        self.primary = new
        self.ctl(old, "role", "secondary", EXPORT)
        marks = self.worker_marks(new_files)
        ms = lambda a, b: (b - a) * 1000  # noqa: E731
        if marks is None:
            return {"hastctl": ms(t0, t1), "total": ms(t0, t2)}
        jvm = marks["jvm"] / 1000
        points = [t0, jvm] + [marks[m] / 1000 for m, _ in MARKERS] + [t2]
        phases = {"hastctl": ms(t0, t1)}
        for name, a, b in zip(PHASES[1:7], points, points[1:]):
            phases[name] = ms(a, b)
        phases["total"] = ms(t0, t2)
        if cpu is not None:
            phases["worker CPU"] = cpu
        return phases

    def worker_cpu_ms(self, new_files):
        """CPU time (user + system) the new primary worker has used so far: less sensitive to
        a loaded machine than the wall-clock phases. None if it cannot be told."""
        best = None
        for f in new_files:
            m = re.match(r"classes-(\d+)\.log$", f)
            if not m:
                continue
            try:
                with open(f"/proc/{m.group(1)}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{m.group(1)}/cmdline") as cmdline:
                    if "(primary)" not in cmdline.read():
                        continue
            except OSError:
                continue
            best = (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
        return best

    def worker_marks(self, new_files):
        """Wall-clock ms of the new primary worker's JVM start and of each marker class."""
        for f in sorted(new_files):
            if not f.startswith("classes-"):
                continue
            marks = {}
            with open(f"{self.dir}/{f}") as log:
                for line in log:
                    m = LINE.match(line)
                    if not m:
                        continue
                    if "jvm" not in marks:
                        marks["jvm"] = int(m.group(1)) - int(m.group(2))
                    for name, cls in MARKERS:
                        if name not in marks and line.find(" " + cls) > 0:
                            marks[name] = int(m.group(1))
            if all(name in marks for name, _ in MARKERS):
                return marks
        return None

    def close(self):
        variants.stop(list(reversed(self.daemons)), 20, self.dir)


def main(argv):
    root, rounds, named = variants.parse_args(argv, __doc__)
    pairs = []
    samples = {name: [] for name, _ in named}
    try:
        for i, (name, flags) in enumerate(named):
            pair = Pair(root, name, flags, 29000 + 10 * i + os.getpid() % 500 * 20)
            pairs.append(pair)
            pair.start()
        time.sleep(3)  # both pairs connected and synchronised before the first round
        for r in range(rounds):
            for pair in pairs:
                samples[pair.name].append(pair.failover())
                print(f"round {r + 1} {pair.name}: {samples[pair.name][-1]['total']:.0f} ms", file=sys.stderr)
    finally:
        for pair in pairs:
            pair.close()
    print("median ms (min-max) over %d failovers per variant; the phases from 'to worker JVM' on add up to"
          " 'total', 'hastctl' (the command alone) overlaps the first of them" % rounds)
    variants.print_table(("phase",), (18,),
                         [((phase,), {name: [s[phase] for s in samples[name] if phase in s] for name, _ in named})
                          for phase in PHASES], [n for n, _ in named], 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
