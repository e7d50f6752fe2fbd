#!/usr/bin/env python3
"""Independent oracle for the end-to-end tests: sums IP-layer bytes between
two addresses in a classic pcap (Ethernet, 802.1Q tags, IPv4/IPv6), without
any of exfild's code. Usage: ipbytes.py FILE HOST PEER -> "out in".
ip_packets() is the walk, for the other oracles (uploadbytes.py)."""
import ipaddress
import sys

from pcapsplit import records


def ip_packets(data):
    """(src, dst, IP length, frame, offset of the IP header in the frame)
    of each IPv4 or IPv6 packet of a classic pcap file, addresses as
    packed bytes."""
    for _, f in records(data):
        p, etype = 12, f[12] << 8 | f[13]
        while etype in (0x8100, 0x88A8):
            p += 4
            etype = f[p] << 8 | f[p + 1]
        p += 2
        if etype == 0x0800:
            yield f[p + 12:p + 16], f[p + 16:p + 20], f[p + 2] << 8 | f[p + 3], f, p
        elif etype == 0x86DD:
            yield f[p + 8:p + 24], f[p + 24:p + 40], 40 + (f[p + 4] << 8 | f[p + 5]), f, p


def main():
    path = sys.argv[1]
    host = ipaddress.ip_address(sys.argv[2]).packed
    peer = ipaddress.ip_address(sys.argv[3]).packed
    with open(path, "rb") as f:
        data = f.read()
    out_b, in_b = 0, 0
    for src, dst, length, _, _ in ip_packets(data):
        if (src, dst) == (host, peer):
            out_b += length
        elif (src, dst) == (peer, host):
            in_b += length
    print(out_b, in_b)


if __name__ == "__main__":
    main()
