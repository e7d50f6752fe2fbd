#!/usr/bin/env python3
"""Prints the throughput comparison from bare_loop's line and exfild's summary."""
import re
import sys

bare = dict(kv.split("=") for kv in sys.argv[1].split())
err = open(sys.argv[2]).read()
m = re.search(r"packets=(\d+) bytes=(\d+)", err)
e_pk, e_bytes = int(m.group(1)), int(m.group(2))
e_sec = float(re.search(r"elapsed=([\d.]+)s", err).group(1))
e_rss = int(re.search(r"peak_rss_kb=(\d+)", err).group(1))
flows = int(re.search(r"created=(\d+)", err).group(1))
b_pk, b_bytes, b_sec = int(bare["packets"]), int(bare["bytes"]), float(bare["seconds"])
b_rss = int(bare["maxrss_kb"])
assert b_pk == e_pk, "packet counts differ: bare %d exfild %d" % (b_pk, e_pk)
for name, pk, by, sec, rss in (("bare libpcap loop", b_pk, b_bytes, b_sec, b_rss),
                               ("exfild pipeline", e_pk, e_bytes, e_sec, e_rss)):
    print("%-18s %10d packets %6.2f GB %7.3f s %10.0f pkt/s %6.2f Gbit/s peak RSS %7.1f MiB"
          % (name, pk, by / 1e9, sec, pk / sec, by * 8 / sec / 1e9, rss / 1024))
print("flows: %d; exfild reaches %.0f%% of the bare loop's packets/s (target >= 70%%)"
      % (flows, 100.0 * (e_pk / e_sec) / (b_pk / b_sec)))
