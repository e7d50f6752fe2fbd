#!/usr/bin/env python3
"""Throughput comparison: bare_loop output files, then "--", then exfild
stderr files (one per run); the fastest run of each is reported."""
import re
import sys

args = sys.argv[1:]
sep = args.index("--")
bare_files, ex_files = args[:sep], args[sep + 1:]


def bare(path):
    kv = dict(x.split("=") for x in open(path).read().split())
    return int(kv["packets"]), int(kv["bytes"]), float(kv["seconds"]), int(kv["maxrss_kb"])


def exfild(path):
    err = open(path).read()
    m = re.search(r"packets=(\d+) bytes=(\d+)", err)
    return (int(m.group(1)), int(m.group(2)),
            float(re.search(r"elapsed=([\d.]+)s", err).group(1)),
            int(re.search(r"peak_rss_kb=(\d+)", err).group(1)),
            int(re.search(r"flows: created=(\d+)", err).group(1)))


b = min((bare(f) for f in bare_files), key=lambda r: r[2])
e = min((exfild(f) for f in ex_files), key=lambda r: r[2])
assert b[0] == e[0], "packet counts differ: bare %d exfild %d" % (b[0], e[0])
for name, (pk, by, sec, rss) in (("bare libpcap loop", b[:4]), ("exfild pipeline", e[:4])):
    print("%-18s %10d packets %6.2f GB %7.3f s %10.0f pkt/s %6.2f Gbit/s peak RSS %7.1f MiB"
          % (name, pk, by / 1e9, sec, pk / sec, by * 8 / sec / 1e9, rss / 1024))
print("flows: %d; exfild reaches %.0f%% of the bare loop's packets/s (target >= 70%%)"
      % (e[4], 100.0 * (e[0] / e[2]) / (b[0] / b[2])))
