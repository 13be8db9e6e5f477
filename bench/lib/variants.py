"""What the bench scripts that run variants side by side share (worker_memory.py,
failover_split.py): their command line, the stop of their daemons, and their result table of
medians with the range beside each."""
import signal
import statistics
import subprocess
import sys


def parse_args(argv, usage):
    """`ROOT ROUNDS NAME=VALUE...` as (root, rounds, [(name, value)]); exits 64 (EX_USAGE),
    the usage printed, when the words do not fit."""
    if len(argv) < 4 or any("=" not in v for v in argv[3:]):
        print(usage.strip(), file=sys.stderr)
        sys.exit(64)
    return argv[1], int(argv[2]), [v.split("=", 1) for v in argv[3:]]


def stop(daemons, seconds, directory):
    """SIGTERM to every daemon first (they stop side by side), then waits for each, killing
    one that is still there after `seconds`; then removes their `directory`."""
    for p in daemons:
        p.send_signal(signal.SIGTERM)
    for p in daemons:
        try:
            p.wait(seconds)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    subprocess.run(["rm", "-rf", directory])


def print_table(heads, widths, rows, names, decimals):
    """A header line (`heads` in columns of `widths`, then the variant `names`), then per row
    its leading cells and, per variant, the median of its values with their range:
    `rows` holds (cells, {name: [values]})."""
    print("".join("%-*s" % (w, h) for h, w in zip(heads, widths)) + "".join("%-22s" % n for n in names))
    for cells, per in rows:
        line = "".join("%-*s" % (w, c) for c, w in zip(cells, widths))
        for name in names:
            v = per.get(name, [])
            line += "%-22s" % (f"{statistics.median(v):.{decimals}f} ({min(v):.0f}-{max(v):.0f})" if v else "-")
        print(line)
