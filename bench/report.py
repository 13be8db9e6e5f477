#!/usr/bin/env python3
"""Turns the samples bench/run collected (samples.jsonl) into one table.

usage: report.py RESULTS_DIR     reads RESULTS_DIR/samples.jsonl, writes table.txt, results.tsv
                                 and results.json there and prints the table
       report.py --self-check    formats a made-up sample set and checks the figures

A sample is one JSON object per line:
  {"rep": 1, "link": "lo", "system": "fullsync", "metric": "randw4k-qd32", "value": 8100, "unit": "IOPS"}
link is "local" for what crosses no link (raw, nbdkit, dd). Each figure in the table is the
median over the repetitions with its spread (min-max), its ratio to nbdkit-file (same metric)
and to the mirror (same metric, same link), and the verdict of the issue's target if one
applies to that row. Ratios are always ours / theirs, so for a latency lower is better.
"""
import json
import os
import statistics
import sys
import tempfile

# Systems in display order; the ones that are not a hast mode are references.
SYSTEMS = ["raw", "nbdkit", "mirror", "fullsync", "memsync", "async",
           "iperf3", "tcp-rtt", "dd-odirect", "hastd-log"]
LINKS = ["local", "lo", "veth", "veth1g"]
METRICS = ["seqw1m-qd32", "randw4k-qd32", "randw4k-qd1", "randw4k-qd1-flush", "randr4k-qd32",
           "hot-randw4k-qd32", "hot-randw4k-qd1", "link", "rtt", "fullsync-1g", "sync-connect", "copy-1g",
           "failover", "worker-rss-peak", "worker-gc", "secondary-rss-peak", "secondary-gc"]


def order(key, table):
    return table.index(key) if key in table else len(table)


def load(path):
    samples = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                samples.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"report.py: {path}:{n}: not JSON: {e}")
    return samples


def aggregate(samples):
    """(metric, link, system) -> {median, min, max, n, unit}"""
    groups = {}
    for s in samples:
        groups.setdefault((s["metric"], s["link"], s["system"]), []).append(s)
    figures = {}
    for key, group in groups.items():
        values = [float(s["value"]) for s in group]
        figures[key] = {"median": statistics.median(values), "min": min(values),
                        "max": max(values), "n": len(values), "unit": group[0]["unit"]}
    return figures


def median(figures, metric, link, system):
    f = figures.get((metric, link, system))
    return f["median"] if f else None


def to_mbit(figure):
    """A throughput figure in Mbit/s (10^6 bits), whatever unit it was sampled in."""
    if figure is None:
        return None
    return figure["median"] * 8 if figure["unit"] == "MB/s" else figure["median"]


def verdict(reached, text):
    return ("reached: " if reached else "NOT reached: ") + text


def ratio(r, bound):
    """A ratio with two decimals, or three where two would read as the bound itself (0.501 is
    not "0.50× ... target ≤ 0.5×")."""
    text = f"{r:.2f}"
    return f"{r:.3f}" if float(text) == bound and r != bound else text


def targets(figures):
    """(metric, link, system) -> verdict text, for the rows the issue's targets table names."""
    out = {}
    get = lambda m, l, s: median(figures, m, l, s)

    def ratio_target(metric, link, ref_link, ref_system, bound, at_least, label):
        ours, ref = get(metric, link, "fullsync"), get(metric, ref_link, ref_system)
        if ours is None:
            return
        if not ref:
            out[(metric, link, "fullsync")] = f"n/a ({label}: no {ref_system} figure)"
            return
        r = ours / ref
        ok = r >= bound if at_least else r <= bound
        out[(metric, link, "fullsync")] = verdict(ok, f"{ratio(r, bound)}× {ref_system}, target {'≥' if at_least else '≤'} {bound}×")

    ratio_target("seqw1m-qd32", "lo", "lo", "mirror", 1.5, True, "seq write")
    ratio_target("randw4k-qd32", "lo", "lo", "mirror", 2.0, True, "rand write qd32")
    ratio_target("hot-randw4k-qd32", "lo", "local", "nbdkit", 0.33, True, "hot set qd32")
    ratio_target("randw4k-qd1", "lo", "lo", "mirror", 0.5, False, "qd1 latency")
    ratio_target("randw4k-qd1-flush", "lo", "lo", "mirror", 1.5, True, "qd1 + flush")
    ratio_target("randr4k-qd32", "lo", "local", "nbdkit", 1.0, True, "rand read")

    seq_1g = figures.get(("seqw1m-qd32", "veth1g", "fullsync"))
    link_1g = figures.get(("link", "veth1g", "iperf3"))
    if seq_1g:
        if link_1g:
            r = to_mbit(seq_1g) / to_mbit(link_1g)
            out[("seqw1m-qd32", "veth1g", "fullsync")] = verdict(r >= 0.97, f"{ratio(r, 0.97)}× iperf3, target ≥ 0.97×")
        else:
            out[("seqw1m-qd32", "veth1g", "fullsync")] = "n/a (no iperf3 figure on veth1g)"

    hot_qd1 = get("hot-randw4k-qd1", "lo", "fullsync")
    if hot_qd1 is not None:
        base, rtt = get("hot-randw4k-qd1", "local", "nbdkit"), get("rtt", "lo", "tcp-rtt")
        if base is None or rtt is None:
            out[("hot-randw4k-qd1", "lo", "fullsync")] = "n/a (needs nbdkit hot qd1 and the loopback rtt)"
        else:
            bound = base + 2 * rtt + 30
            out[("hot-randw4k-qd1", "lo", "fullsync")] = verdict(
                hot_qd1 <= bound, f"{hot_qd1:.0f} µs, target ≤ {bound:.0f} µs (nbdkit + 2 rtt + 30)")

    # A full sync is a time: the rate is size/time, so "≥ k× dd's rate" is "time ≤ dd's time / k".
    sync_lo, dd = get("fullsync-1g", "lo", "fullsync"), get("copy-1g", "local", "dd-odirect")
    if sync_lo is not None:
        if dd:
            r = dd / sync_lo
            out[("fullsync-1g", "lo", "fullsync")] = verdict(r >= 0.9, f"{ratio(r, 0.9)}× the dd rate, target ≥ 0.9×")
        else:
            out[("fullsync-1g", "lo", "fullsync")] = "n/a (no dd figure)"
    sync_1g = figures.get(("fullsync-1g", "veth1g", "fullsync"))
    if sync_1g:
        size_mbit = sync_1g.get("size_mbit")
        if link_1g and size_mbit:
            r = (size_mbit / sync_1g["median"]) / to_mbit(link_1g)
            out[("fullsync-1g", "veth1g", "fullsync")] = verdict(r >= 0.95, f"{ratio(r, 0.95)}× iperf3, target ≥ 0.95×")
        else:
            out[("fullsync-1g", "veth1g", "fullsync")] = "n/a (no iperf3 figure on veth1g)"

    failover = get("failover", "lo", "fullsync")
    if failover is not None:
        out[("failover", "lo", "fullsync")] = verdict(failover <= 1000, f"{failover:.0f} ms, target ≤ 1000 ms")

    rss = [(f["max"], k) for k, f in figures.items() if k[0] in ("worker-rss-peak", "secondary-rss-peak")]
    if rss:
        peak, key = max(rss)
        out[key] = verdict(peak <= 128, f"peak {peak:.0f} MiB over all runs, target ≤ 128 MiB")
    return out


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def rows(figures, verdicts):
    out = []
    for key in sorted(figures, key=lambda k: (order(k[0], METRICS), order(k[1], LINKS), order(k[2], SYSTEMS))):
        metric, link, system = key
        f = figures[key]
        nbdkit = median(figures, metric, "local", "nbdkit")
        mirror = median(figures, metric, link, "mirror")
        out.append({
            "metric": metric, "link": link, "system": system, "unit": f["unit"],
            "median": f["median"], "min": f["min"], "max": f["max"], "n": f["n"],
            "x_nbdkit": f["median"] / nbdkit if nbdkit and system != "nbdkit" else None,
            "x_mirror": f["median"] / mirror if mirror and system != "mirror" else None,
            "target": verdicts.get(key, ""),
        })
    return out


COLUMNS = [("metric", 18), ("link", 7), ("system", 10), ("median", 9), ("unit", 7),
           ("spread", 15), ("x_nbdkit", 8), ("x_mirror", 8), ("target", 0)]


def table(table_rows):
    lines = ["  ".join(name.ljust(width) for name, width in COLUMNS).rstrip()]
    for r in table_rows:
        cells = {**r, "median": fmt(r["median"]), "spread": f"{fmt(r['min'])}–{fmt(r['max'])}",
                 "x_nbdkit": fmt(r["x_nbdkit"]), "x_mirror": fmt(r["x_mirror"])}
        lines.append("  ".join(str(cells[name]).ljust(width) for name, width in COLUMNS).rstrip())
    return "\n".join(lines) + "\n"


def write_reports(results_dir):
    samples = load(os.path.join(results_dir, "samples.jsonl"))
    figures = aggregate(samples)
    for s in samples:   # a full sync's size rides along so the rate can be compared with a link
        if s["metric"] == "fullsync-1g" and "bytes" in s:
            figures[(s["metric"], s["link"], s["system"])]["size_mbit"] = s["bytes"] * 8 / 1e6
    table_rows = rows(figures, targets(figures))
    text = table(table_rows)
    with open(os.path.join(results_dir, "table.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(results_dir, "results.tsv"), "w") as f:
        names = ["metric", "link", "system", "median", "min", "max", "n", "unit", "x_nbdkit", "x_mirror", "target"]
        f.write("\t".join(names) + "\n")
        for r in table_rows:
            f.write("\t".join("" if r[n] is None else str(r[n]) for n in names) + "\n")
    with open(os.path.join(results_dir, "results.json"), "w") as f:
        json.dump(table_rows, f, indent=1, ensure_ascii=False)
    return text, table_rows


def self_check():
    fake = [
        ("randw4k-qd32", "local", "nbdkit", [130000, 133000, 140000], "IOPS"),
        ("randw4k-qd32", "lo", "mirror", [18000, 18600, 19000], "IOPS"),
        ("randw4k-qd32", "lo", "fullsync", [40000, 37200, 39000], "IOPS"),
        ("randw4k-qd1", "lo", "mirror", [190, 200, 180], "µs"),
        ("randw4k-qd1", "lo", "fullsync", [449, 400, 500], "µs"),
        ("seqw1m-qd32", "veth1g", "fullsync", [100, 101, 102], "MB/s"),
        ("link", "veth1g", "iperf3", [940, 941, 942], "Mbit/s"),
        ("failover", "lo", "fullsync", [800, 900, 1500], "ms"),
        ("worker-rss-peak", "lo", "fullsync", [100, 140, 120], "MiB"),
    ]
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "samples.jsonl"), "w") as f:
            for metric, link, system, values, unit in fake:
                for rep, v in enumerate(values, 1):
                    f.write(json.dumps({"rep": rep, "link": link, "system": system, "metric": metric,
                                        "value": v, "unit": unit}) + "\n")
        text, table_rows = write_reports(d)
        by = {(r["metric"], r["link"], r["system"]): r for r in table_rows}
        failures = []

        def check(cond, what):
            if not cond:
                failures.append(what)
        r = by[("randw4k-qd32", "lo", "fullsync")]
        check(r["median"] == 39000 and (r["min"], r["max"]) == (37200, 40000), "median and spread")
        check(ratio(0.5013, 0.5) == "0.501" and ratio(0.53, 0.5) == "0.53" and ratio(0.5, 0.5) == "0.50",
              "a ratio that rounds to its bound shows a third decimal")
        check(abs(r["x_mirror"] - 39000 / 18600) < 1e-9, "ratio to the mirror on the same link")
        check(abs(r["x_nbdkit"] - 39000 / 133000) < 1e-9, "ratio to nbdkit-file")
        check(r["target"].startswith("reached: 2.10×"), "qd32 target reached: " + r["target"])
        check(by[("randw4k-qd1", "lo", "fullsync")]["target"].startswith("NOT reached: 2.36×"), "qd1 latency target")
        check(by[("seqw1m-qd32", "veth1g", "fullsync")]["target"].startswith("NOT reached: 0.86×"), "capped seq vs iperf3")
        check(by[("failover", "lo", "fullsync")]["target"].startswith("reached: 900 ms"), "failover median")
        check(by[("worker-rss-peak", "lo", "fullsync")]["target"].startswith("NOT reached: peak 140"), "RSS uses the peak")
        check(by[("randw4k-qd32", "local", "nbdkit")]["x_nbdkit"] is None, "no ratio of a reference to itself")
        check(len(text.splitlines()) == len(table_rows) + 1, "one line per figure plus a header")
        for name in ("table.txt", "results.tsv", "results.json"):
            check(os.path.getsize(os.path.join(d, name)) > 0, name + " written")
        with open(os.path.join(d, "results.json")) as f:
            check(len(json.load(f)) == len(table_rows), "JSON has every row")
    if failures:
        print("report.py self-check FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    print("report.py self-check: ok")
    return 0


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) != 2 else sys.stdout)
        return 0 if len(argv) == 2 else 64
    if argv[1] == "--self-check":
        return self_check()
    if not os.path.isfile(os.path.join(argv[1], "samples.jsonl")):
        print(f"report.py: no samples.jsonl in {argv[1]}", file=sys.stderr)
        return 66
    text, _ = write_reports(argv[1])
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
