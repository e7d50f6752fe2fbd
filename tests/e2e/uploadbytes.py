#!/usr/bin/env python3
"""uploadbytes.py FILE: the HTTP uploads of a classic pcap, found without
any of exfild's code: every TCP connection on which the client sent a
segment starting "POST ", as "CLIENT SERVER BYTES": the addresses, and
every IP byte the client sent on it from its SYN (or, picked up in the
middle, from the POST) on, which is what exfild counts as bytes out. One
line a connection (tests/e2e/blinding.sh)."""
import ipaddress
import sys

from ipbytes import ip_packets

TCP, SYN, ACK = 6, 0x02, 0x10


def main():
    with open(sys.argv[1], "rb") as fp:
        data = fp.read()
    sent = {}     # (client, server, ports) -> IP bytes the client sent
    posted = set()
    for src, dst, length, f, p in ip_packets(data):
        if len(src) == 4:
            proto, l4 = f[p + 9], p + (f[p] & 15) * 4
        else:
            proto, l4 = f[p + 6], p + 40  # (no extension headers here)
        if proto != TCP or len(f) < l4 + 20:
            continue
        key = (src, dst, f[l4:l4 + 4])
        n = sent.get(key)
        if n is None:
            # a connection starts with its SYN, or is picked up at a POST
            if f[l4 + 13] & (SYN | ACK) == SYN:
                n = 0
            elif f.startswith(b"POST ", l4 + (f[l4 + 12] >> 4) * 4):
                n = 0
            else:
                continue
        if f.startswith(b"POST ", l4 + (f[l4 + 12] >> 4) * 4):
            posted.add(key)
        sent[key] = n + length
    for key in sorted(posted):
        print(ipaddress.ip_address(key[0]), ipaddress.ip_address(key[1]), sent[key])


if __name__ == "__main__":
    main()
