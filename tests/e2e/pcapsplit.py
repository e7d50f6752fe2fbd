#!/usr/bin/env python3
"""pcapsplit.py IN N OUT1 OUT2: the classic pcap IN's first N records to
OUT1 and the rest to OUT2, each with IN's file header (a capture stopped
at packet N and started again).
pcapsplit.py --points IN K: K packet numbers spread evenly over IN, one
a line (mid-connection ones too: the state file keeps the flows)."""
import struct
import sys


def records(data):
    """(offset, bytes) of each whole record of a classic pcap file (a
    truncated last record is not one)."""
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        if off + 16 + incl > len(data):
            return
        yield off, data[off + 16:off + 16 + incl]
        off += 16 + incl


def points(data, k):
    """k packet numbers spread evenly over the capture (1 .. n-1)."""
    n = sum(1 for _ in records(data))
    return sorted(set(n * j // (k + 1) for j in range(1, k + 1)) - {0})


def main():
    if sys.argv[1] == "--points":
        with open(sys.argv[2], "rb") as f:
            for n in points(f.read(), int(sys.argv[3])):
                print(n)
        return
    src, n, out1, out2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    with open(src, "rb") as f:
        data = f.read()
    offs = [off for off, _ in records(data)]
    cut = offs[n] if n < len(offs) else len(data)
    with open(out1, "wb") as f:
        f.write(data[:cut])
    with open(out2, "wb") as f:
        f.write(data[:24] + data[cut:])


if __name__ == "__main__":
    main()
