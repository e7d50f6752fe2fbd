#!/usr/bin/env python3
# logdaemon_lines.py - the Squid access log lines of tests/e2e/logdaemon.sh
# (format: %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt)
# and the alerts they must raise, written from the story below, not from
# exfild's output. Times: line i of a kind is at T0 + offset + i * 10 ms.
#
# "follow" (5000 lines, offset 0; baseline.learn: 10s = the first 1000):
#   background: 20 PCs (10.1.20.10-29) fetch from www.jal.example.jp (JP),
#   cdn.us-mirror.example.com (US), news.hk-daily.example (HK) and CONNECT
#   to upload.boxsaas.example.com (US), all first seen while learning; after
#   it the CONNECTs carry 200 KB each (10 MB per PC: familiar, no alert);
#   10.1.20.66 (mallory) POSTs 100 KB to drop.hk-exfil.example 30 times,
#   every 100th line from 1500: the 20th crosses 2 MB (line 3400);
#   10.1.20.77 (eve) CONNECTs to vault.us-store.example:443 with 250 KB 8
#   times, every 50th line from 2025: the 8th crosses 2 MB (line 2375);
#   10.1.20.88 uploads 5 MB to backup.jp-dc.example (domestic: quiet);
#   10.1.20.99 downloads 100 MB from mirror.hk-dl.example and posts 3 MB to
#   it (out/in under min_ratio 3: quiet).
# "udp" (300 lines, offset 60 s): 10.1.30.0-9 fetch www.jal.example.jp;
#   10.1.30.50 (trudy) POSTs 300 KB to leak.hk-exfil.example every 20th
#   line from 100: the 7th crosses 2 MB (line 220).
# "tcp" (300 lines, offset 70 s): 10.1.40.0-9 fetch www.jal.example.jp;
#   10.1.40.50 (oscar) CONNECTs to tunnel.hk-exfil.example:443 with 400 KB
#   every 25th line from 50: the 5th crosses 2 MB (line 150).
#
#   logdaemon_lines.py lines KIND T0      the lines on stdout
#   logdaemon_lines.py alerts KIND T0     "rule src user host cc bytes_out ts"
import sys
import time

FOLLOW_LEARN = 1000
BULK_BYTES = 2000000
MIN_RATIO = 3

# name -> (server address, country)
HOSTS = {
    "www.jal.example.jp": ("198.51.100.10", "JP"),
    "cdn.us-mirror.example.com": ("198.51.100.160", "US"),
    "news.hk-daily.example": ("203.0.113.5", "HK"),
    "upload.boxsaas.example.com": ("198.51.100.150", "US"),
    "drop.hk-exfil.example": ("203.0.113.66", "HK"),
    "vault.us-store.example": ("198.51.100.170", "US"),
    "backup.jp-dc.example": ("198.51.100.20", "JP"),
    "mirror.hk-dl.example": ("203.0.113.80", "HK"),
    "leak.hk-exfil.example": ("203.0.113.99", "HK"),
    "tunnel.hk-exfil.example": ("203.0.113.100", "HK"),
}
OFFSET = {"follow": 0, "udp": 60, "tcp": 70}


def ts_of(kind, t0, i):
    ms = (t0 + OFFSET[kind]) * 1000 + i * 10
    return ms


def line(ms, client, up, down, method, host, path, user, mime):
    addr = HOSTS[host][0]
    if method == "CONNECT":
        url, code, mime = "%s:443" % host, "TCP_TUNNEL/200", "-"
    else:
        url, code = "http://%s%s" % (host, path), "TCP_MISS/200"
    return "%d.%03d %6d %s %s %d %d %s %s %s HIER_DIRECT/%s %s\n" % (
        ms // 1000, ms % 1000, 20 + ms % 500, client, code, down, up, method,
        url, user or "-", addr, mime)


def follow_record(t0, i):
    """(client, up, down, method, host, path, user, mime) of line i."""
    if i >= 1500 and i < 4500 and i % 100 == 0:
        return ("10.1.20.66", 100000, 300, "POST", "drop.hk-exfil.example",
                "/up/%d" % i, "mallory", "text/plain")
    if i >= 2000 and i < 2400 and i % 50 == 25:
        return ("10.1.20.77", 250000, 5000, "CONNECT", "vault.us-store.example",
                "", "eve", "-")
    if i >= 3001 and i < 3101 and i % 10 == 1:
        return ("10.1.20.88", 500000, 200, "POST", "backup.jp-dc.example",
                "/store", "", "text/html")
    if i >= 3502 and i < 3512:
        return ("10.1.20.99", 400, 10000000, "GET", "mirror.hk-dl.example",
                "/iso/%d" % i, "", "application/octet-stream")
    if i == 3512:
        return ("10.1.20.99", 3000000, 300, "POST", "mirror.hk-dl.example",
                "/report", "", "text/plain")
    client = "10.1.20.%d" % (10 + i % 20)
    user = "user%d" % (i % 20) if i % 3 else ""
    sel = i % 4
    if sel == 0:
        return (client, 350, 15000 + i, "GET", "www.jal.example.jp",
                "/news/%d?q=a%%20b" % i, user, "text/html")
    if sel == 1:
        return (client, 420, 250000, "GET", "cdn.us-mirror.example.com",
                "/pkg/%d.deb" % i, user, "application/vnd.debian.binary-package")
    if sel == 2:
        return (client, 380, 9000, "GET", "news.hk-daily.example", "/%d" % i,
                user, "text/html")
    up = 1200 if i < FOLLOW_LEARN else 200000
    return (client, up, 4000, "CONNECT", "upload.boxsaas.example.com", "",
            user, "-")


def syslog_record(kind, i):
    net = "10.1.30" if kind == "udp" else "10.1.40"
    if kind == "udp" and i >= 100 and i % 20 == 0:
        return ("10.1.30.50", 300000, 250, "POST", "leak.hk-exfil.example",
                "/p/%d" % i, "trudy", "text/plain")
    if kind == "tcp" and i >= 50 and i % 25 == 0:
        return ("10.1.40.50", 400000, 3000, "CONNECT", "tunnel.hk-exfil.example",
                "", "oscar", "-")
    return ("%s.%d" % (net, i % 10), 300, 12000, "GET", "www.jal.example.jp",
            "/%s/%d" % (kind, i), "", "text/html")


def records(kind, t0):
    n = 5000 if kind == "follow" else 300
    for i in range(n):
        rec = follow_record(t0, i) if kind == "follow" else syslog_record(kind, i)
        yield i, ts_of(kind, t0, i), rec


def lines(kind, t0):
    return [line(ms, *rec) for i, ms, rec in records(kind, t0)]


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
        ".%03dZ" % (ms % 1000)


def alerts(kind, t0):
    """The rule as the story tells it: a pair's window sums up and down;
    the first line that makes up >= 2 MB and >= 3 x down alerts, for an
    unfamiliar foreign destination. The windows (1h) never slide here."""
    first = {}
    sums = {}
    fired = set()
    out = []
    t_learn_end = ts_of("follow", t0, 0) + FOLLOW_LEARN * 10
    for i, ms, (client, up, down, method, host, path, user, mime) in records(kind, t0):
        first.setdefault(host, ms)
        key = (client, host)
        u, d = sums.get(key, (0, 0))
        u, d = u + up, d + down
        sums[key] = (u, d)
        familiar = first[host] < t_learn_end
        foreign = HOSTS[host][1] != "JP"
        if (not familiar and foreign and key not in fired and u >= BULK_BYTES
                and u >= MIN_RATIO * d):
            fired.add(key)
            out.append("bulk-upload %s %s %s %s %d %s" % (
                client, user or "-", host, HOSTS[host][1], u, iso(ms)))
    return out


def main():
    what, kind, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if what == "lines":
        sys.stdout.write("".join(lines(kind, t0)))
    else:
        for a in alerts(kind, t0):
            print(a)


if __name__ == "__main__":
    main()
