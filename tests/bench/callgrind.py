#!/usr/bin/env python3
"""Marginal instructions per packet from callgrind totals of two capture sizes
(bare loop, exfild, exfild with its geo from a MaxMind DB, and exfild with
evidence on and its packet ring, when run)."""
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
for which in ("bare", "exfild", "exfild-mmdb", "exfild-evidence"):
    if not os.path.exists(os.path.join(d, "cg.%s.small" % which)):
        continue
    small = total(os.path.join(d, "cg.%s.small" % which))
    half = total(os.path.join(d, "cg.%s.half" % which))
    per_packet[which] = (small - half) / (n_small - n_half)
    print("%-15s %12d Ir (%d pkts) %12d Ir (%d pkts): %.1f instructions/packet"
          % (which, small, n_small, half, n_half, per_packet[which]))
if "exfild-mmdb" in per_packet:
    print("geo from the mmdb: %+.2f%% instructions/packet against the CSV (target within 3%%)"
          % (100.0 * (per_packet["exfild-mmdb"] / per_packet["exfild"] - 1)))
if "exfild-evidence" in per_packet:
    print("evidence on, lookback 64 (a ring write a packet, and what the alerts store):"
          " %+.1f instructions/packet"
          " (%+.1f%%)" % (per_packet["exfild-evidence"] - per_packet["exfild"],
                          100.0 * (per_packet["exfild-evidence"] / per_packet["exfild"] - 1)))
