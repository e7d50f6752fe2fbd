#!/usr/bin/env python3
"""Writes the first half of a classic pcap's records to another file."""
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
with open(src, "rb") as f:
    data = f.read()
endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
offs, off = [], 24
while off + 16 <= len(data):
    incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
    offs.append(off)
    off += 16 + incl
half = offs[len(offs) // 2]
with open(dst, "wb") as f:
    f.write(data[:half])
