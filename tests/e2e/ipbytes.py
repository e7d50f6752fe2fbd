#!/usr/bin/env python3
"""Independent oracle for the end-to-end tests: sums IP-layer bytes between
two addresses in a classic pcap (Ethernet, 802.1Q tags, IPv4/IPv6), without
any of exfild's code. Usage: ipbytes.py FILE HOST PEER -> "out in"."""
import ipaddress
import struct
import sys

path, host, peer = sys.argv[1], ipaddress.ip_address(sys.argv[2]), ipaddress.ip_address(sys.argv[3])
data = open(path, "rb").read()
endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
off, out_b, in_b = 24, 0, 0
while off + 16 <= len(data):
    incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    p, etype = 12, struct.unpack("!H", frame[12:14])[0]
    while etype in (0x8100, 0x88A8):
        p += 4
        etype = struct.unpack("!H", frame[p:p + 2])[0]
    ip = frame[p + 2:]
    if etype == 0x0800:
        src, dst = ipaddress.ip_address(ip[12:16]), ipaddress.ip_address(ip[16:20])
        length = struct.unpack("!H", ip[2:4])[0]
    elif etype == 0x86DD:
        src, dst = ipaddress.ip_address(ip[8:24]), ipaddress.ip_address(ip[24:40])
        length = 40 + struct.unpack("!H", ip[4:6])[0]
    else:
        continue
    if (src, dst) == (host, peer):
        out_b += length
    elif (src, dst) == (peer, host):
        in_b += length
print(out_b, in_b)
