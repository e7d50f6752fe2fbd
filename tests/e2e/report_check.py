#!/usr/bin/env python3
"""Checks an exfild --report HTML file against the same replay's JSON
(alerts and --pairs rows on stdout): the summary's counts, bytes and
records, one timeline row per alerted (host, destination) and one marker
per alert, the flagged destinations' names (wire bytes shown escaped, never
as markup), the top pairs; only the report's own tags, no script.

usage: report_check.py REPORT.html ALERTS_AND_PAIRS.json UNITS
Prints one line per failed check; exit 1 when any failed."""
import json
import sys
from collections import Counter
from html.parser import HTMLParser

ALLOWED = {"html", "head", "meta", "title", "style", "body", "h1", "h2",
           "h3", "section", "table", "tr", "th", "td", "span", "p", "br",
           "div", "svg", "rect", "line", "text", "g"}


def visible(s):
    """A wire string as the report shows it: controls as U+FFFD."""
    return "".join("\ufffd" if ord(c) < 32 or 127 <= ord(c) < 160 else c
                   for c in s)


class Report(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = Counter()
        self.ids = {}          # id -> attrs
        self.text = {}         # id -> text
        self.stack = []        # (tag, id or class) of open elements
        self.rows = 0
        self.markers = []
        self.dnames = []
        self.top = []          # [cells]
        self.cur = None        # collecting text for (kind, key)
        self.buf = ""
        self.cells = None
        self.svg_rows = None
        self.links = []        # attributes that would load something
        self.row = None
        self.row_bytes = {}    # (src, dst) -> sum of its bars
        self.row_bars = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] += 1
        self.links += [k for k in a if k in ("src", "href", "xlink:href",
                                            "action", "srcset")]
        cls = a.get("class", "")
        if "id" in a:
            self.ids[a["id"]] = a
        if tag == "svg":
            self.svg_rows = int(a.get("data-rows", "-1"))
        if tag == "g" and cls == "row":
            self.rows += 1
            self.row = (a["data-src"], a["data-dst"])
            self.row_bytes[self.row] = 0
        if tag == "rect" and cls == "bar":
            self.row_bytes[self.row] += int(a["data-v"])
            self.row_bars[self.row] = self.row_bars.get(self.row, 0) + 1
        if tag == "g" and cls == "marker":
            self.markers.append(a.get("data-rule"))
        if tag == "tr" and cls == "top":
            self.cells = []
        if tag == "td" and self.cells is not None:
            self.buf = ""
            self.cur = ("cell", None)
        if tag == "td" and ("id" in a or cls == "d-name"):
            self.buf = ""
            self.cur = ("id", a.get("id") or "d-name")
        if tag == "span" and cls == "n" and self.cells is not None:
            self.cells.append(int(a["data-v"]))

    def handle_endtag(self, tag):
        if tag == "td" and self.cur is not None:
            kind, key = self.cur
            if kind == "id" and key == "d-name":
                self.dnames.append(self.buf)
            elif kind == "id":
                self.text[key] = self.buf
            elif self.cells is not None:
                self.cells.append(self.buf)
            self.cur = None
        if tag == "tr" and self.cells is not None:
            self.top.append(self.cells)
            self.cells = None

    def handle_data(self, data):
        if self.cur is not None:
            self.buf += data


def main():
    path, jpath, units = sys.argv[1], sys.argv[2], int(sys.argv[3])
    raw = open(path, "rb").read()
    html = raw.decode("utf-8")  # must be valid UTF-8
    rep = Report()
    rep.feed(html)
    rep.close()
    alerts, pairs = [], []
    for line in open(jpath, encoding="utf-8"):
        o = json.loads(line)
        if o.get("kind") == "update":
            continue  # an alert's later totals: not drawn
        (alerts if o.get("kind", "alert") == "alert" and "rule" in o
         else pairs).append(o)
    errs = []

    def want(what, got, exp):
        if got != exp:
            errs.append("%s: report has %r, the replay %r" % (what, got, exp))

    if len(alerts) == 0:
        errs.append("no alerts in the replay (the checks need some)")
    bad_tags = set(rep.tags) - ALLOWED
    if bad_tags:
        errs.append("tags not the report's own: %s" % sorted(bad_tags))
    if rep.links:
        errs.append("attributes that load something: %s" % rep.links)
    if b"<script" in raw.lower():
        errs.append("<script in the report")
    if len(raw) >= 10 * 1024 * 1024:
        errs.append("report is %d bytes (10 MB or more)" % len(raw))

    dest = lambda o: (o["dst_host"], o.get("dst", ""))
    flagged = {dest(a) for a in alerts}
    want("alerts", int(rep.text["sum-alerts"]), len(alerts))
    want("units", int(rep.text["sum-units"]), units)
    want("hosts", int(rep.ids["sum-hosts"]["data-n"]),
         len({a["src"] for a in alerts}))
    want("flagged destinations", int(rep.text["sum-dests"]), len(flagged))
    fp = [p for p in pairs if dest(p) in flagged]
    want("bytes to flagged", int(rep.text["sum-bytes"].split()[0]),
         sum(p["bytes_out"] for p in fp))
    want("records low", int(rep.ids["sum-records"]["data-low"]),
         sum(p["records_est_low"] for p in fp))
    want("records high", int(rep.ids["sum-records"]["data-high"]),
         sum(p["records_est_high"] for p in fp))
    alerted = {(a["src"],) + dest(a) for a in alerts}
    want("timeline rows", rep.rows, len(alerted))
    want("svg data-rows", rep.svg_rows, len(alerted))
    # each row's bars add up to its pair's bytes out (each bar rounded)
    for p in pairs:
        k = (p["src"], visible(p["dst_host"] or p.get("dst", "")))
        if k in rep.row_bytes:
            got = rep.row_bytes[k]
            if abs(got - p["bytes_out"]) > rep.row_bars.get(k, 0):
                errs.append("row %r: bars add up to %d, bytes_out %d"
                            % (k, got, p["bytes_out"]))
    want("markers", Counter(rep.markers), Counter(a["rule"] for a in alerts))
    want("destination names", sorted(rep.dnames),
         sorted(visible(h) if h else "-" for h, _ in flagged))
    # top pairs: by bytes out, at most 20, alerted says so
    want("top rows at most 20", len(rep.top) <= 20, True)
    bytes_top = [c[3] for c in rep.top]
    want("top sorted", bytes_top, sorted(bytes_top, reverse=True))
    srcs = {(a["src"], visible(a["dst_host"] or a.get("dst", ""))): True
            for a in alerts}
    for c in rep.top:
        want("top %s %s alerted" % (c[0], c[1]), c[6],
             "yes" if (c[0], c[1]) in srcs else "no")
    if len(rep.top) < 20:
        tops = {(c[0], c[1]) for c in rep.top}
        for k in srcs:
            if k not in tops:
                errs.append("alerted pair %r not among the top pairs" % (k,))
    for e in errs:
        print(e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
