#!/usr/bin/env python3
"""The workers' memory and collector, variant beside variant (issue #15): per round, per
replication mode and per variant (worker JVM options through HAST_WORKER_JVM_OPTIONS), a fresh
hastd pair on 127.0.0.1 (`device none`, NBD export on a Unix socket), the image written in full,
then a 3 s warm-up (not measured), then fio's workloads through the export. Measured per workload: the headline figure (MB/s, IOPS,
or the qd1 mean latency), the CPU time both workers used per request (user + system from
/proc, which a loaded machine distorts far less than the wall clock) and their minor page faults
per request (not distorted at all); at the end of the pair's
run: both workers' peak RSS (VmHWM), their collections and the collectors' pause time (-Xlog:gc).
With NMT=1 each worker's `jcmd VM.native_memory summary` is saved beside the results.

usage: worker_memory.py ROOT ROUNDS NAME=OPTIONS...   (OPTIONS may be empty: "now="; a token
VARIABLE=VALUE in OPTIONS, such as MALLOC_ARENA_MAX=2, goes to the daemons' environment instead)
environment: SIZE (default 256M), RUNTIME seconds per workload (default 5), MODES (default
"fullsync async"), WORKLOADS (default below), NMT=1, RESULTS (directory, default a temporary one).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import variants  # noqa: E402

EXPORT = "r0"
WORKLOADS = {
    "seqw1m-qd32": "--rw=write --bs=1m --iodepth=32",
    "randw4k-qd32": "--rw=randwrite --bs=4k --iodepth=32",
    "randw4k-qd1": "--rw=randwrite --bs=4k --iodepth=1",
    "randr4k-qd32": "--rw=randread --bs=4k --iodepth=32",
}
# bench/run's other workloads, by name in WORKLOADS (a later --size wins in fio).
MORE_WORKLOADS = {
    "randw4k-qd1-flush": "--rw=randwrite --bs=4k --iodepth=1 --fsync=1",
    "hot-randw4k-qd32": "--rw=randwrite --bs=4k --iodepth=32 --size=64m",
    "hot-randw4k-qd1": "--rw=randwrite --bs=4k --iodepth=1 --size=64m",
}
NMT_LINE = re.compile(r"^-\s+(.+?) \(reserved=\d+KB, committed=(\d+)KB\)")
PAUSE = re.compile(r"GC\((\d+)\) Pause.* ([0-9.]+)ms$")
GC_ID = re.compile(r"GC\((\d+)\)")


def stat_fields(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid):
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def minor_faults(pid):
    """Pages the kernel mapped in for the process (each a zeroed page for fresh memory): a
    CPU cost of memory given back and taken again that the machine's load does not distort."""
    return int(stat_fields(pid)[7])


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def smaps_rollup_kib(pid):
    """The resident set split into anonymous memory (heap, direct buffers, malloc, stacks) and
    file pages (libjvm, the CDS archives, jars), from /proc/PID/smaps_rollup."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return {"anon": fields.get("Anonymous", 0), "file": fields.get("Rss", 0) - fields.get("Anonymous", 0)}


def nmt_committed_kib(pid):
    """`jcmd PID VM.native_memory summary` as {category: committed KiB} (NMT must be on)."""
    out = subprocess.run(["jcmd", str(pid), "VM.native_memory", "summary"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return {m.group(1): int(m.group(2)) for m in map(NMT_LINE.match, out.splitlines()) if m}


class PeakWatch(threading.Thread):
    """Samples each worker's VmRSS every 100 ms and keeps what made up its highest one: the
    phase (workload) it fell in, its anonymous and file parts (smaps_rollup, read at once) and,
    with NMT=1, the JVM's own account (jcmd, at most every 2 s and only when the RSS is at
    least 2 MiB above the last account, so the account is taken within a few MiB of the peak)."""

    def __init__(self, workers):
        super().__init__(daemon=True)
        self.workers, self.phase, self.stopped = workers, "start", threading.Event()
        self.peak = {role: {"rss": 0, "phase": "-", "rollup": {}, "nmt": {}, "nmt_rss": 0} for role in workers}
        self.nmt = os.environ.get("NMT") == "1"
        self.last_nmt = 0.0

    def run(self):
        while not self.stopped.wait(0.1):
            for role, pid in self.workers.items():
                try:
                    rss = status_kib(pid, "VmRSS")
                    p = self.peak[role]
                    if rss > p["rss"]:
                        p.update(rss=rss, phase=self.phase, rollup=smaps_rollup_kib(pid))
                        if self.nmt and rss >= p["nmt_rss"] + 2048 and time.monotonic() - self.last_nmt >= 2:
                            p.update(nmt=nmt_committed_kib(pid), nmt_rss=rss)
                            self.last_nmt = time.monotonic()
                except OSError:
                    pass

    def figures(self):
        self.stopped.set()
        self.join()
        figures = {}
        for role, p in self.peak.items():
            figures[f"{role} peak anon MiB"] = p["rollup"].get("anon", 0) / 1024
            figures[f"{role} peak file MiB"] = p["rollup"].get("file", 0) / 1024
            if p["nmt"]:
                figures[f"{role} nmt@{p['nmt_rss'] // 1024}MiB total"] = sum(p["nmt"].values()) / 1024
                for category, kib in sorted(p["nmt"].items(), key=lambda c: -c[1]):
                    if kib >= 512:
                        figures[f"{role} nmt {category}"] = kib / 1024
        return figures


class Pair:
    """Two daemons on 127.0.0.1, A primary, B secondary, each with the variant's worker options."""

    def __init__(self, root, mode, name, options, port, size):
        # Tokens NAME=VALUE (such as MALLOC_ARENA_MAX=2) go to the daemons' environment, which
        # their workers inherit, except HAST_HOME=DIR: another built checkout to run (an A/B of
        # builds); the rest are worker JVM options.
        extra_env = dict(t.split("=", 1) for t in options.split() if re.match(r"^[A-Z_]+=", t))
        root = extra_env.pop("HAST_HOME", root)
        self.root, self.name = root, name
        self.dir = tempfile.mkdtemp(prefix=f"hast-mem-{name}-", dir="/var/tmp")
        ports = {"nodeA": port, "nodeB": port + 1}
        other = {"nodeA": "nodeB", "nodeB": "nodeA"}
        nodes = "".join(f"on {n} {{\n\tcontrol uds://{self.dir}/{n}.ctl\n\tpidfile {self.dir}/{n}.pid\n"
                        f"\tlisten tcp4://127.0.0.1:{p}\n}}\n" for n, p in ports.items())
        res = "".join(f"\ton {n} {{\n\t\tlocal {self.dir}/{n}.img\n\t\tremote tcp4://127.0.0.1:{ports[other[n]]}\n"
                      f"\t\texport uds://{self.dir}/{n}.nbd\n\t}}\n" for n in ports)
        with open(f"{self.dir}/hast.conf", "w") as conf:
            conf.write(f"replication {mode}\n{nodes}resource {EXPORT} {{\n\tdevice none\n{res}}}\n")
        for n in ports:
            with open(f"{self.dir}/{n}.img", "wb") as img:
                img.truncate(size + (1 << 20))
            self.ctl(n, "create", EXPORT)
        self.daemons = {}
        tool = f"-Xlog:gc:file={self.dir}/gc-%p.log"
        if os.environ.get("NMT") == "1":
            tool += " -XX:NativeMemoryTracking=summary"
        jvm = " ".join(t for t in options.split() if not re.match(r"^[A-Z_]+=", t))
        for n in ports:
            env = dict(os.environ, HAST_NODE=n, HAST_WORKER_JVM_OPTIONS=jvm, JAVA_TOOL_OPTIONS=tool, **extra_env)
            out = open(f"{self.dir}/{n}.log", "w")
            self.daemons[n] = subprocess.Popen([f"{root}/bin/hastd", "-F", "-c", f"{self.dir}/hast.conf"],
                                               env=env, stdout=out, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL)
        self.wait(60, lambda: all(os.path.exists(f"{self.dir}/{n}.ctl") for n in ports), "hastd did not start")
        self.ctl("nodeB", "role", "secondary", EXPORT)
        self.ctl("nodeA", "role", "primary", EXPORT)
        self.wait(60, lambda: os.path.exists(f"{self.dir}/nodeA.nbd"), "no export")
        self.wait(120, lambda: b"complete" in self.ctl("nodeA", "status", EXPORT), "never complete")
        self.workers = {n: self.worker(p.pid) for n, p in self.daemons.items()}
        self.watch = PeakWatch({"primary": self.workers["nodeA"], "secondary": self.workers["nodeB"]})
        self.watch.start()
        self.uri = f"nbd+unix:///{EXPORT}?socket={self.dir}/nodeA.nbd"

    def wait(self, seconds, test, what):
        deadline = time.monotonic() + seconds
        while not test():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: {what}, see {self.dir}")
            time.sleep(0.1)

    def ctl(self, node, *args):
        env = dict(os.environ, HAST_NODE=node)
        env.pop("JAVA_TOOL_OPTIONS", None)
        return subprocess.run([f"{self.root}/bin/hastctl", args[0], "-c", f"{self.dir}/hast.conf", *args[1:]],
                              env=env, check=True, stdout=subprocess.PIPE).stdout

    @staticmethod
    def worker(daemon):
        out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(daemon)], stdout=subprocess.PIPE,
                             text=True).stdout
        for line in out.splitlines():
            if f"hastd: {EXPORT} (" in line:
                return int(line.split()[0])
        raise RuntimeError(f"no worker under {daemon}")

    def fio(self, name, args, size, runtime):
        cmd = ["fio", f"--name={name}", "--ioengine=nbd", f"--uri={self.uri}", f"--size={size}", *args.split(),
               "--output-format=json"]
        if runtime:
            cmd += ["--time_based", f"--runtime={runtime}", "--randrepeat=0", "--norandommap", "--end_fsync=1"]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True).stdout
        job = json.loads(out[out.index("{"):])["jobs"][0]
        return job["write"] if job["write"]["io_bytes"] > 0 else job["read"]

    def measure(self, workload, size, runtime):
        self.watch.phase = workload
        before = sum(cpu_seconds(w) for w in self.workers.values())
        faults = sum(minor_faults(w) for w in self.workers.values())
        d = self.fio(workload, {**WORKLOADS, **MORE_WORKLOADS}[workload], size, runtime)
        cpu = sum(cpu_seconds(w) for w in self.workers.values()) - before
        faults = sum(minor_faults(w) for w in self.workers.values()) - faults
        if workload.startswith("seq"):
            head = d["bw_bytes"] / 1e6
        elif workload.endswith("qd1"):
            head = d["lat_ns"]["mean"] / 1000
        else:
            head = d["iops"]
        return {workload: head, workload + " cpu µs/req": cpu * 1e6 / max(d["total_ios"], 1),
                workload + " faults/req": faults / max(d["total_ios"], 1)}

    def finish(self, results):
        figures = {}
        peaks = self.watch.figures()
        self.peak_phases = {role: p["phase"] for role, p in self.watch.peak.items()}
        for n, w in self.workers.items():
            role = "primary" if n == "nodeA" else "secondary"
            figures[f"{role} rss-peak MiB"] = status_kib(w, "VmHWM") / 1024
            figures[f"{role} rss-end MiB"] = status_kib(w, "VmRSS") / 1024
            if os.environ.get("NMT") == "1":
                nmt = subprocess.run(["jcmd", str(w), "VM.native_memory", "summary"], stdout=subprocess.PIPE,
                                     text=True).stdout
                with open(f"{results}/nmt-{self.name}-{role}-{w}.txt", "w") as f:
                    f.write(nmt)
            ids, pause = set(), 0.0
            try:
                shutil.copy(f"{self.dir}/gc-{w}.log", f"{results}/gc-{self.name}-{role}-{w}.log")
                with open(f"{self.dir}/gc-{w}.log") as log:
                    for line in log:
                        m = GC_ID.search(line)
                        if m:
                            ids.add(m.group(1))
                        p = PAUSE.search(line.rstrip())
                        if p:
                            pause += float(p.group(2))
            except OSError:
                pass
            figures[f"{role} gc count"] = len(ids)
            figures[f"{role} gc pause ms"] = pause
        figures.update(peaks)
        return figures

    def close(self):
        variants.stop(self.daemons.values(), 30, self.dir)


def main(argv):
    root, rounds, named = variants.parse_args(argv, __doc__)
    size_text = os.environ.get("SIZE", "256M")
    size = int(subprocess.run(["numfmt", "--from=iec", size_text], stdout=subprocess.PIPE, text=True,
                              check=True).stdout)
    runtime = int(os.environ.get("RUNTIME", "5"))
    modes = os.environ.get("MODES", "fullsync memsync async").split()
    workloads = os.environ.get("WORKLOADS", " ".join(WORKLOADS)).split()
    results = os.environ.get("RESULTS") or tempfile.mkdtemp(prefix="hast-mem-results-", dir="/var/tmp")
    os.makedirs(results, exist_ok=True)
    samples = {}
    port = 31000 + os.getpid() % 500 * 8
    for r in range(rounds):
        for mode in modes:
            for name, options in named:
                pair = Pair(root, mode, name, options, port, size)
                try:
                    pair.watch.phase = "prefill"
                    pair.fio("prefill", "--rw=write --bs=1m --iodepth=32", size, 0)
                    # Not measured: the JIT's first compilations would weigh on the first workload.
                    pair.watch.phase = "warm-up"
                    pair.fio("warm-up", WORKLOADS["randw4k-qd32"], size, 3)
                    figures = {}
                    for workload in workloads:
                        figures.update(pair.measure(workload, size, runtime))
                    figures.update(pair.finish(results))
                finally:
                    pair.close()
                for k, v in figures.items():
                    samples.setdefault((mode, k), {}).setdefault(name, []).append(v)
                print(f"round {r + 1} {mode} {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items())
                      + "; peaks during " + ", ".join(f"{k} {v}" for k, v in pair.peak_phases.items()),
                      file=sys.stderr, flush=True)
    with open(f"{results}/samples.json", "w") as f:
        json.dump([{"mode": m, "figure": k, "variant": n, "values": v}
                   for (m, k), per in samples.items() for n, v in per.items()], f)
    print(f"medians (min-max) of {rounds} round(s), {size_text} image, {runtime} s per workload; "
          f"variants: " + "; ".join(f"{n} = '{o}'" for n, o in named))
    variants.print_table(("mode", "figure"), (11, 28), [(key, per) for key, per in samples.items()],
                         [n for n, _ in named], 1)
    print(f"results: {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
