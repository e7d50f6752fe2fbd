#!/usr/bin/env python3
"""evidence_pcap.py OUT.pcap DIR: a capture for tests/e2e/evidence.sh, and
the exact bytes it uploads, in DIR: host 10.1.0.5 POSTs a multipart form
to 203.0.113.50 (HK in conf/geo-sample.csv: foreign, unfamiliar) with two
zip parts, part1.zip named "../../etc/passwd" and part2.zip named with
10 KB of letters and control bytes (600 KB each: compressed-upload's 1 MB
is crossed in the second part), then sends tls.bin on a direct TLS
connection and tunnel.bin through a CONNECT tunnel (proxy 10.77.1.2:3128)
to the same address; host 10.1.0.6 POSTs small.zip (300 KB,
no alert) to 203.0.113.60 as a plain body, and host 10.1.0.8 200 KB
to 198.51.100.10 (JP: home, no candidate); a last packet 30 s later moves
input time past evidence.grace. Random bytes from a fixed seed."""
import random
import struct
import sys

MSS = 1400


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00"
    return eth + ip + tcp


class Writer:
    def __init__(self, path, t0):
        self.fp = open(path, "wb")
        self.fp.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.t = t0

    def put(self, data, dt=0.001):
        self.t += dt
        sec = int(self.t)
        usec = int(round((self.t - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        self.fp.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
        self.fp.write(data)


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


def connection(w, cli, srv, sport, talk, dport=80):
    """A TCP connection from cli:sport to srv:dport: talk is a list of
    (True: the client's bytes, False: the server's), in order."""
    seq, sseq = 1000, 5000
    w.put(frame(cli, srv, sport, dport, seq, 0, 0x02, b""))
    w.put(frame(srv, cli, dport, sport, sseq, seq + 1, 0x12, b""))
    seq += 1
    sseq += 1
    w.put(frame(cli, srv, sport, dport, seq, sseq, 0x10, b""))
    for client, stream in talk:
        for off in range(0, len(stream), MSS):
            chunk = stream[off:off + MSS]
            if client:
                w.put(frame(cli, srv, sport, dport, seq, sseq, 0x18, chunk))
                seq += len(chunk)
            else:
                w.put(frame(srv, cli, dport, sport, sseq, seq, 0x18, chunk))
                sseq += len(chunk)
    w.put(frame(cli, srv, sport, dport, seq, sseq, 0x11, b""))
    w.put(frame(srv, cli, dport, sport, sseq, seq + 1, 0x11, b""))


def tls_stream(rng, n):
    """A ClientHello-shaped record, then application data records."""
    hello = b"\x01\x00\x00\x2a\x03\x03" + bytes(32) + b"\x00\x00\x02\x13\x01\x01\x00"
    out = b"\x16\x03\x01" + len(hello).to_bytes(2, "big") + hello
    while len(out) < n:
        data = bytes(rng.getrandbits(8) for _ in range(1000))
        out += b"\x17\x03\x03" + len(data).to_bytes(2, "big") + data
    return out


def zipbytes(rng, n):
    return b"PK\x03\x04" + bytes(rng.getrandbits(8) for _ in range(n - 4))


def main():
    out, d = sys.argv[1], sys.argv[2]
    rng = random.Random(15)
    part1, part2 = zipbytes(rng, 600000), zipbytes(rng, 600000)
    small = zipbytes(rng, 300000)
    for name, data in (("part1.zip", part1), ("part2.zip", part2),
                       ("small.zip", small)):
        with open("%s/%s" % (d, name), "wb") as fp:
            fp.write(data)
    long_name = ("A" * 5000 + "\x01\x7f" + "B" * 5000 + ".zip").encode()
    b = b"exfildEvidenceBoundary"
    body = (b"--" + b + b"\r\nContent-Disposition: form-data; name=\"f1\"; "
            b"filename=\"../../etc/passwd\"\r\nContent-Type: "
            b"application/zip\r\n\r\n" + part1 + b"\r\n--" + b +
            b"\r\nContent-Disposition: form-data; name=\"f2\"; filename=\"" +
            long_name + b"\"\r\n\r\n" + part2 + b"\r\n--" + b + b"--\r\n")
    head = (b"POST /upload HTTP/1.1\r\nHost: 203.0.113.50\r\n"
            b"Content-Type: multipart/form-data; boundary=" + b +
            b"\r\nContent-Length: %d\r\n\r\n" % len(body))
    w = Writer(out, 1700000000.0)
    connection(w, "10.1.0.5", "203.0.113.50", 40001,
               [(True, head + body), (False, OK)])
    # after the alert: a direct TLS connection and a CONNECT tunnel through
    # the proxy 10.77.1.2:3128, both to the alerted destination
    tls, tunnel = tls_stream(rng, 20000), tls_stream(rng, 30000)
    for name, data in (("tls.bin", tls), ("tunnel.bin", tunnel)):
        with open("%s/%s" % (d, name), "wb") as fp:
            fp.write(data)
    connection(w, "10.1.0.5", "203.0.113.50", 40004, [(True, tls)], 443)
    connect = b"CONNECT 203.0.113.50:443 HTTP/1.1\r\nHost: 203.0.113.50:443\r\n\r\n"
    connection(w, "10.1.0.5", "10.77.1.2", 40005,
               [(True, connect),
                (False, b"HTTP/1.1 200 Connection established\r\n\r\n"),
                (True, tunnel)], 3128)
    head = (b"POST /put HTTP/1.1\r\nHost: 203.0.113.60\r\n"
            b"Content-Type: application/zip\r\nContent-Length: %d\r\n\r\n"
            % len(small))
    connection(w, "10.1.0.6", "203.0.113.60", 40002,
               [(True, head + small), (False, OK)])
    # the same kind of upload to a home address (198.51.100.10, JP): no
    # candidate
    home = zipbytes(rng, 200000)
    head = (b"POST /put HTTP/1.1\r\nHost: 198.51.100.10\r\n"
            b"Content-Type: application/zip\r\nContent-Length: %d\r\n\r\n"
            % len(home))
    connection(w, "10.1.0.8", "198.51.100.10", 40006,
               [(True, head + home), (False, OK)])
    # input time moves on: the grace of the small upload ends
    w.put(frame("10.1.0.7", "203.0.113.70", 40003, 80, 1, 0, 0x02, b""), 30.0)
    w.fp.close()


if __name__ == "__main__":
    main()
