#!/usr/bin/env python3
"""Counts the records of a classic pcap file independently of exfild."""
import sys

from pcapsplit import records

with open(sys.argv[1], "rb") as f:
    print(sum(1 for _ in records(f.read())))
