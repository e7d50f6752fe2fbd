#!/usr/bin/env python3
"""Counts the records of a classic pcap file independently of exfild."""
import struct
import sys

with open(sys.argv[1], "rb") as f:
    data = f.read()
magic = data[:4]
endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
off, n = 24, 0
while off + 16 <= len(data):
    incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
    if off + 16 + incl > len(data):
        break
    off += 16 + incl
    n += 1
print(n)
