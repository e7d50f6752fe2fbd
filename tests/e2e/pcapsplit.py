#!/usr/bin/env python3
"""pcapsplit.py IN N OUT1 OUT2: the classic pcap IN's first N records to
OUT1 and the rest to OUT2, each with IN's file header (a capture stopped
at packet N and started again).
pcapsplit.py --quiet IN K: K packet numbers, spread over IN, at which no
TCP connection is open (every one seen so far was closed by a FIN from
both ends and the ACK of the last, or by a RST), one a line: where a sensor can stop without cutting
a connection in two."""
import struct
import sys


def records(data):
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        yield off, data[off + 16:off + 16 + incl]
        off += 16 + incl


def tcp_of(frame):
    """(key, flags, source) of an Ethernet (802.1Q too) IPv4 TCP frame,
    else None."""
    ip = 14
    while len(frame) >= ip and frame[ip - 2:ip] in (b"\x81\x00", b"\x88\xa8"):
        ip += 4
    if len(frame) < ip + 20 or frame[ip - 2:ip] != b"\x08\x00" or frame[ip + 9] != 6:
        return None
    t = ip + (frame[ip] & 15) * 4
    if len(frame) < t + 14:
        return None
    a = frame[ip + 12:ip + 16] + frame[t:t + 2]
    b = frame[ip + 16:ip + 20] + frame[t + 2:t + 4]
    return (min(a, b), max(a, b)), frame[t + 13], a


def quiet_points(data, k):
    open_, closed, fins, quiet, i = set(), set(), {}, [], 0
    for i, (_, frame) in enumerate(records(data)):
        if not open_ and i > 0:
            quiet.append(i)
        t = tcp_of(frame)
        if t is None:
            continue
        key, flags, src = t
        if flags & 0x02 and not flags & 0x10:
            closed.discard(key)          # a SYN: a new connection
        if flags & 0x04:                 # RST
            open_.discard(key)
            closed.add(key)
            continue
        if key in closed:
            continue
        if key not in open_:             # a SYN, or one seen mid-stream
            open_.add(key)
            fins[key] = set()
        if len(fins[key]) == 2 and not flags & 0x01:
            open_.discard(key)           # the ACK of the last FIN
            closed.add(key)
        elif flags & 0x01:
            fins[key].add(src)           # FIN from one end
    total = i + 1 if quiet or open_ else 0
    points = set()
    for j in range(1, k + 1):                # the first quiet one after
        after = [q for q in quiet if q >= total * j // (k + 1)]  # each k-th
        if after:
            points.add(after[0])
    return sorted(points)


def main():
    if sys.argv[1] == "--quiet":
        with open(sys.argv[2], "rb") as f:
            for n in quiet_points(f.read(), int(sys.argv[3])):
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


main()
