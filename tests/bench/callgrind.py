#!/usr/bin/env python3
"""Marginal instructions per packet from callgrind totals of two capture sizes
(bare loop, exfild, and exfild with its geo from a MaxMind DB when run)."""
import os
import sys

d, n_small, n_half = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise SystemExit("no totals in " + path)


per_packet = {}
for which in ("bare", "exfild", "exfild-mmdb"):
    if not os.path.exists(os.path.join(d, "cg.%s.small" % which)):
        continue
    small = total(os.path.join(d, "cg.%s.small" % which))
    half = total(os.path.join(d, "cg.%s.half" % which))
    per_packet[which] = (small - half) / (n_small - n_half)
    print("%-11s %12d Ir (%d pkts) %12d Ir (%d pkts): %.1f instructions/packet"
          % (which, small, n_small, half, n_half, per_packet[which]))
if "exfild-mmdb" in per_packet:
    print("geo from the mmdb: %+.2f%% instructions/packet against the CSV (target within 3%%)"
          % (100.0 * (per_packet["exfild-mmdb"] / per_packet["exfild"] - 1)))
