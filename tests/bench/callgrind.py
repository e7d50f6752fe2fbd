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
for which in ("bare", "exfild", "exfild-mmdb", "exfild-evidence",
              "exfild-quiet0", "exfild-quiet64"):
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
if "exfild-quiet64" in per_packet:
    print("evidence.lookback 64 with no alert open (every rule off): %+.1f instructions/packet"
          " over lookback 0 (the ring write a packet)"
          % (per_packet["exfild-quiet64"] - per_packet["exfild-quiet0"]))
if "exfild-evidence" in per_packet:
    print("evidence on with the bench's alerts (their pairs' bodies hashed and stored,"
          " their packets written): %+.1f instructions/packet"
          % (per_packet["exfild-evidence"] - per_packet["exfild"]))
