#!/usr/bin/env python3
"""Marginal instructions per packet from callgrind totals of two capture sizes."""
import os
import sys

d, n_small, n_half = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise SystemExit("no totals in " + path)


for which in ("bare", "exfild"):
    small = total(os.path.join(d, "cg.%s.small" % which))
    half = total(os.path.join(d, "cg.%s.half" % which))
    print("%-7s %12d Ir (%d pkts) %12d Ir (%d pkts): %.0f instructions/packet"
          % (which, small, n_small, half, n_half, (small - half) / (n_small - n_half)))
