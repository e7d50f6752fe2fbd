#!/usr/bin/env python3
"""make bench: exfild with its geo from the CSV against the same networks
from a MaxMind DB. Arguments: the CSV runs' stderr files, "--", the mmdb
runs'; the fastest run of each is compared (target: within 3%)."""
import re
import sys

args = sys.argv[1:]
sep = args.index("--")


def rate(path):
    err = open(path).read()
    packets = int(re.search(r"packets=(\d+)", err).group(1))
    return packets, packets / float(re.search(r"elapsed=([\d.]+)s", err).group(1))


csv = max((rate(f) for f in args[:sep]), key=lambda r: r[1])
mmdb = max((rate(f) for f in args[sep + 1:]), key=lambda r: r[1])
assert csv[0] == mmdb[0], "packet counts differ: csv %d mmdb %d" % (csv[0], mmdb[0])
for name, (_, r) in (("geo from the CSV", csv), ("geo from the mmdb", mmdb)):
    print("%-18s %10.0f pkt/s" % (name, r))
print("the mmdb runs at %.1f%% of the CSV's packets/s (target within 3%%)"
      % (100.0 * mmdb[1] / csv[1]))
