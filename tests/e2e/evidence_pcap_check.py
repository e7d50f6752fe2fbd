#!/usr/bin/env python3
"""Checks an alert's packets.pcap against the capture it came from
(tests/e2e/evidence.sh): every frame is one of the capture's, with its
time; per flow of the alerted host, the frames are the flow's newest
packets, contiguous: all the packets after the one that raised the alert
(at the alert's time) and, before them, that one and at most LOOKBACK - 1
older ones (what the ring held). Prints "frames missing": the frames the
file must have and the packets before them it cannot (for the manifest).

usage: evidence_pcap_check.py CAPTURE PACKETS_PCAP HOST ALERT_TS_NS LOOKBACK
"""
import struct
import sys
from collections import defaultdict

from pcapsplit import records


def frames(path):
    """[(ts_ns, bytes)] of a classic pcap file, micro- or nanosecond."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    out = []
    for off, rec in records(data):
        sec, frac = struct.unpack(endian + "II", data[off:off + 8])
        out.append((sec * 10**9 + frac * (1 if nano else 1000), rec))
    return out


def flow_of(frame):
    """The IPv4/TCP or UDP flow of an Ethernet frame, both ways alike."""
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    a = (ip[12:16], struct.unpack(">H", ip[ihl:ihl + 2])[0])
    b = (ip[16:20], struct.unpack(">H", ip[ihl + 2:ihl + 4])[0])
    return tuple(sorted((a, b)))


def main():
    capture, pcap, host, alert_ts, lookback = sys.argv[1:6]
    host = bytes(int(x) for x in host.split("."))
    alert_ts, lookback = int(alert_ts), int(lookback)
    by_flow = defaultdict(list)
    for ts, fr in frames(capture):
        k = flow_of(fr)
        if host in (k[0][0], k[1][0]):
            by_flow[k].append((ts, fr))
    got = defaultdict(list)
    for ts, fr in frames(pcap):
        got[flow_of(fr)].append((ts, fr))
    assert set(got) <= set(by_flow), "a frame of another host's flow"
    want_frames = missing = 0
    for k, pkts in by_flow.items():
        after = [i for i, (ts, _) in enumerate(pkts) if ts >= alert_ts]
        if not after:
            assert k not in got, "a flow that ended before the alert"
            continue
        first = after[0]           # the packet that raised it, or later
        start = max(0, first - (lookback - 1))
        want = pkts[start:]
        assert got[k] == want, (k, len(got[k]), len(want))
        want_frames += len(want)
        missing += start
    print(want_frames, missing)


main()
