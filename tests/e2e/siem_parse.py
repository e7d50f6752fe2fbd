#!/usr/bin/env python3
"""siem_parse.py - splits what rsyslog received from exfild (tests/e2e/siem.sh)
the way a SIEM would: the RFC 5424 header and structured data (RFC 5424 6),
the RFC 3164 header (RFC 3164 4.1), CEF ("Implementing ArcSight Common Event
Format" rev 25: header '|' and '\\' escapes, extension '\\', '=', \\n, \\r) and
LEEF 2.0 (IBM QRadar: six '|' header fields, the delimiter field, key=value
attributes, no escapes), and JSON bodies.

Input: the lines rsyslog's "props" template wrote (siem.sh), one JSON object
a message with rsyslog's own view: msgid, sd (%structured-data%), app, sev,
fac, msg, raw (%rawmsg%) and parsed (mmpstrucdata's $! tree as a string).

  siem_parse.py split FORMAT < recv.jsonl
      one JSON object per message and part, for comparison with the alerts:
      {"part":"syslog", id, sev, fac, app[, msgid]}   rsyslog's header view
      {"part":"sd", id, rule, severity, src, dst, ...} rsyslog's SD parse
      {"part":"body", id, rule, severity, src, dst, ...} the body, split here
      Keys a format leaves out are null. Numbers stay strings unless they
      are plain decimals.
  siem_parse.py bodies FORMAT < recv.jsonl
      the message bodies, one a line (JSON formats: for jq).

Also checked here, each an error on stderr and exit status 1: the line is
valid UTF-8 and JSON, the raw message splits, our split and rsyslog's agree
(MSGID, SD text, SD values, MSG), no key twice, CEF/LEEF constants right.
FORMAT: rfc5424-json, rfc5424-ecs, rfc5424-cef, rfc5424-leef, rfc3164-json.
"""
import json
import re
import sys

SD_ID = "exfild@32473"
FORMATS = ("rfc5424-json", "rfc5424-ecs", "rfc5424-cef", "rfc5424-leef",
           "rfc3164-json")
FIELDS = ("id", "kind", "rule", "severity", "src", "dst", "dst_port", "dst_host",
          "dst_country", "via", "bytes_out", "bytes_in", "records_est_low",
          "records_est_high", "src_port", "community_id")
CEF_LABELS = {"cs1Label": "Destination Country", "cs2Label": "Via",
              "cs3Label": "Alert ID", "cs4Label": "Payload Bytes Total",
              "cs5Label": "Input Source", "cn1Label": "Flows",
              "cn2Label": "Window Seconds"}
CEF_NAMES = {
    "compressed-upload": "Compressed upload to an unfamiliar foreign destination",
    "bulk-upload": "Bulk upload to an unfamiliar foreign destination",
    "beacon": "Regular contact with an unfamiliar foreign destination (beacon)",
    "campaign": "Several internal hosts upload to one unfamiliar foreign "
                "destination (campaign)",
    "dormant-host": "A host quiet for days wakes and uploads to unfamiliar "
                    "foreign destinations",
    "off-hours": "Upload to an unfamiliar foreign destination outside working "
                 "hours",
    "server-egress": "A server opened a connection to an unfamiliar foreign "
                     "destination",
    "slow-upload": "Slow upload to an unfamiliar foreign destination over days",
    "staging": "Upload to an unfamiliar foreign destination after a bulk read "
               "of a crown jewel",
}
CEF_KEYS = {"rt", "start", "dvchost", "src", "dst", "c6a2", "c6a2Label",
            "c6a3", "c6a3Label", "suser", "dpt", "dhost", "out", "in",
            "deviceDirection", "cs1", "cs2", "cs3", "cs4", "cs5", "cn1",
            "cn2", "cn3", "cn3Label", "cs6", "cs6Label", "spt", "proto",
            "externalId", "requestMethod", "request",
            "requestClientApplication", "fname", "flexString1",
            "flexString1Label", "flexString2", "flexString2Label"} | \
    set(CEF_LABELS)
LEEF_KEYS = {"devTime", "devTimeFormat", "cat", "sev", "src", "dst",
             "dstPort", "usrName", "srcBytes", "dstBytes", "alertId",
             "dstHost", "dstCountry", "via", "flows", "windowSeconds",
             "payloadTotal", "sensor", "inputSource", "dstAsn", "dstOrg",
             "srcPort", "proto", "zeekUid", "httpMethod", "url",
             "userAgent", "fileName", "attackTechniques", "attackTactics"}
KEY = re.compile(r"[A-Za-z0-9_]+")
# a rule's reason, and custom keys (vendor prefix, camel case): evidence,
# records at risk
CUSTOM_KEY = re.compile(r"reason|exfild[A-Z][A-Za-z0-9]*")


class ParseError(Exception):
    pass


def number(v):
    """A plain decimal as an int; anything else as it is (then it differs)."""
    if isinstance(v, str) and re.fullmatch(r"0|[1-9][0-9]*", v):
        return int(v)
    return v


# ---- RFC 5424 ----

RFC5424_HEAD = re.compile(
    r"<([0-9]{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) ")


def sd_value(s, i):
    """PARAM-VALUE from s[i] (after the opening quote) to the closing quote:
    '\\"', '\\\\' and '\\]' unescaped, any other backslash kept (6.3.3).
    An unescaped ']' is an error: the RFC requires the escape."""
    out = []
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s) and s[i + 1] in "\"\\]":
            out.append(s[i + 1])
            i += 2
            continue
        if c == '"':
            return "".join(out), i + 1
        if c == "]":
            raise ParseError("unescaped ']' in PARAM-VALUE at %d" % i)
        out.append(c)
        i += 1
    raise ParseError("PARAM-VALUE not closed")


def split_sd(s, i):
    """STRUCTURED-DATA at s[i]: ({SD-ID: {name: value}}, index after it)."""
    if s.startswith("-", i):
        return {}, i + 1
    elements = {}
    while i < len(s) and s[i] == "[":
        m = re.compile(r"[^ =\]\"]{1,32}").match(s, i + 1)
        if not m:
            raise ParseError("bad SD-ID at %d" % (i + 1))
        sdid, i = m.group(0), m.end()
        if sdid in elements:
            raise ParseError("SD-ID %s twice" % sdid)
        params = {}
        while i < len(s) and s[i] == " ":
            m = re.compile(r"([^ =\]\"]{1,32})=\"").match(s, i + 1)
            if not m:
                raise ParseError("bad SD-PARAM at %d" % (i + 1))
            name = m.group(1)
            value, i = sd_value(s, m.end())
            if name in params:
                raise ParseError("SD-PARAM %s twice" % name)
            params[name] = value
        if i >= len(s) or s[i] != "]":
            raise ParseError("SD-ELEMENT not closed at %d" % i)
        elements[sdid] = params
        i += 1
    if not elements:
        raise ParseError("no STRUCTURED-DATA at %d" % i)
    return elements, i


def split_rfc5424(raw):
    m = RFC5424_HEAD.match(raw)
    if not m:
        raise ParseError("not an RFC 5424 header")
    sd, i = split_sd(raw, m.end())
    if i < len(raw):
        if raw[i] != " ":
            raise ParseError("no SP after STRUCTURED-DATA")
        i += 1
    return {"pri": int(m.group(1)), "hostname": m.group(3),
            "app": m.group(4), "msgid": m.group(6),
            "sd_text": raw[m.end():i].rstrip(" "), "sd": sd, "msg": raw[i:]}


# ---- RFC 3164 ----

RFC3164_HEAD = re.compile(
    r"<([0-9]{1,3})>([A-Z][a-z]{2}) ([ 1-3][0-9]) ([0-9]{2}:[0-9]{2}:[0-9]{2}) "
    r"(\S+) ([^ :\[\]]{1,32})(?:\[([0-9]+)\])?: ")


def split_rfc3164(raw):
    m = RFC3164_HEAD.match(raw)
    if not m:
        raise ParseError("not an RFC 3164 header")
    return {"pri": int(m.group(1)), "hostname": m.group(5),
            "app": m.group(6), "msg": raw[m.end():]}


# ---- CEF ----

def cef_unescape_header(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\":
            if i + 1 >= len(s) or s[i + 1] not in "|\\":
                raise ParseError("bad escape in CEF header")
            out.append(s[i + 1])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def cef_unescape_value(s):
    out, i = [], 0
    table = {"\\": "\\", "=": "=", "n": "\n", "r": "\r"}
    while i < len(s):
        if s[i] == "\\":
            if i + 1 >= len(s) or s[i + 1] not in table:
                raise ParseError("bad escape in CEF value %r" % s)
            out.append(table[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def split_cef(msg):
    """(header fields after "CEF:", {key: value}) of a CEF:0 event."""
    if not msg.startswith("CEF:"):
        raise ParseError("body does not start with CEF:")
    fields, cur, i, s = [], [], 4, msg
    while len(fields) < 7:
        if i >= len(s):
            raise ParseError("CEF header has %d of 7 fields" % len(fields))
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur.append(s[i:i + 2])
            i += 2
            continue
        if c == "|":
            fields.append(cef_unescape_header("".join(cur)))
            cur = []
        else:
            cur.append(c)
        i += 1
    ext = s[i:]
    # every unescaped '=' ends a key: the word before it, after a space
    eqs, j = [], 0
    while j < len(ext):
        if ext[j] == "\\":
            j += 2
            continue
        if ext[j] == "=":
            eqs.append(j)
        j += 1
    starts = []
    for p in eqs:
        k = p
        while k > 0 and KEY.fullmatch(ext[k - 1]):
            k -= 1
        if k == p or (k > 0 and ext[k - 1] != " "):
            raise ParseError("unescaped '=' in a CEF value at %d" % p)
        starts.append((k, p))
    if starts and starts[0][0] != 0:
        raise ParseError("CEF extension does not start with a key")
    kv = {}
    for n, (k, p) in enumerate(starts):
        end = starts[n + 1][0] - 1 if n + 1 < len(starts) else len(ext)
        key = ext[k:p]
        if key not in CEF_KEYS and not CUSTOM_KEY.fullmatch(key):
            raise ParseError("unknown CEF key %r" % key)
        if key in kv:
            raise ParseError("CEF key %s twice" % key)
        kv[key] = cef_unescape_value(ext[p + 1:end])
    return fields, kv


# ---- LEEF 2.0 ----

def leef_delimiter(field):
    if len(field) == 1:
        return field
    m = re.fullmatch(r"(?:0x|x)([0-9A-Fa-f]{2,4})", field)
    if not m:
        raise ParseError("bad LEEF delimiter %r" % field)
    return chr(int(m.group(1), 16))


def split_leef(msg):
    """(header fields after "LEEF:2.0", {key: value})."""
    parts = msg.split("|", 6)
    if len(parts) != 7 or parts[0] != "LEEF:2.0":
        raise ParseError("not a LEEF 2.0 header")
    delim = leef_delimiter(parts[5])
    kv = {}
    for attr in parts[6].split(delim):
        key, eq, value = attr.partition("=")
        if not eq or (key not in LEEF_KEYS and not CUSTOM_KEY.fullmatch(key)):
            raise ParseError("bad LEEF attribute %r" % attr[:80])
        if key in kv:
            raise ParseError("LEEF key %s twice" % key)
        kv[key] = value
    return parts[1:6], kv


# ---- bodies as alert fields ----

def project(values):
    out = {"part": "body"}
    for f in FIELDS:
        out[f] = values.get(f)
    for f in ("dst_port", "bytes_out", "bytes_in", "severity",
              "records_est_low", "records_est_high", "src_port"):
        out[f] = number(out[f])
    return out


def body_json(msg):
    try:
        a = json.loads(msg)
    except ValueError as e:
        raise ParseError("JSON body: %s" % e)
    if not isinstance(a, dict):
        raise ParseError("JSON body is not an object")
    return project(a)


def body_ecs(msg):
    try:
        a = json.loads(msg)
    except ValueError as e:
        raise ParseError("ECS body: %s" % e)

    def get(path):
        v = a
        for k in path.split("."):
            if not isinstance(v, dict) or k not in v:
                return None
            v = v[k]
        return v
    # an alert, or an alert-update (the state of the alert's pair)
    kind = {"alert": "alert", "state": "update"}.get(get("event.kind"))
    if kind is None or get("event.module") != "exfild" or \
            get("exfild.kind") not in (None if kind == "alert" else kind,):
        raise ParseError("ECS event.kind/module/exfild.kind")
        raise ParseError("ECS event.kind/module")
    return project({
        "id": get("event.id"), "kind": kind, "rule": get("rule.name"),
        "severity": get("event.severity"), "src": get("source.ip"),
        "dst": get("destination.ip"), "dst_port": get("destination.port"),
        "dst_host": get("destination.domain"),
        "dst_country": get("destination.geo.country_iso_code"),
        "via": get("labels.via"), "bytes_out": get("source.bytes"),
        "bytes_in": get("destination.bytes"),
        "records_est_low": get("exfild.records_est_low"),
        "records_est_high": get("exfild.records_est_high"),
        "src_port": get("source.port"),
        "community_id": get("network.community_id")})


def body_cef(msg):
    head, kv = split_cef(msg)
    if head[0] != "0" or head[1] != "exfild" or head[2] != "exfild":
        raise ParseError("CEF version/vendor/product %r" % head[:3])
    if CEF_NAMES.get(head[4]) != head[5]:
        raise ParseError("CEF name %r for %r" % (head[5], head[4]))
    for k, v in CEF_LABELS.items():
        if kv.get(k) != v:
            raise ParseError("CEF %s=%r" % (k, kv.get(k)))
    if kv.get("deviceDirection") != "1":
        raise ParseError("CEF deviceDirection")
    return project({
        "id": kv.get("cs3"), "kind": kv.get("exfildKind", "alert"),
        "rule": head[4], "severity": head[6],
        "src": kv.get("src"), "dst": kv.get("dst"), "dst_port": kv.get("dpt"),
        "dst_host": kv.get("dhost"), "dst_country": kv.get("cs1"),
        "via": kv.get("cs2"), "bytes_out": kv.get("out"),
        "bytes_in": kv.get("in"),
        "records_est_low": kv.get("exfildRecordsEstLow"),
        "records_est_high": kv.get("exfildRecordsEstHigh"),
        "src_port": kv.get("spt"),
        "community_id": kv.get("exfildCommunityId")})


def body_leef(msg):
    head, kv = split_leef(msg)
    if head[0] != "exfild" or head[1] != "exfild":
        raise ParseError("LEEF vendor/product %r" % head[:2])
    if kv.get("devTimeFormat") != "MMM dd yyyy HH:mm:ss.SSS z" or \
            not re.fullmatch(r"[A-Z][a-z]{2} [0-9]{2} [0-9]{4} "
                             r"[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} GMT",
                             kv.get("devTime", "")):
        raise ParseError("LEEF devTime %r" % kv.get("devTime"))
    if kv.get("cat") != "exfiltration":
        raise ParseError("LEEF cat")
    return project({
        "id": kv.get("alertId"), "kind": kv.get("exfildKind", "alert"),
        "rule": head[3], "severity": kv.get("sev"),
        "src": kv.get("src"), "dst": kv.get("dst"),
        "dst_port": kv.get("dstPort"), "dst_host": kv.get("dstHost"),
        "dst_country": kv.get("dstCountry"), "via": kv.get("via"),
        "bytes_out": kv.get("srcBytes"), "bytes_in": kv.get("dstBytes"),
        "records_est_low": kv.get("exfildRecordsEstLow"),
        "records_est_high": kv.get("exfildRecordsEstHigh"),
        "src_port": kv.get("srcPort"),
        "community_id": kv.get("exfildCommunityId")})


BODIES = {"json": body_json, "ecs": body_ecs, "cef": body_cef,
          "leef": body_leef}


# ---- one received message ----

def split_message(fmt, rec):
    """The parts of one message (list of dicts) and its body text."""
    header, body = fmt.split("-", 1)
    raw = rec["raw"]
    parts = []
    if header == "rfc5424":
        h = split_rfc5424(raw)
        if rec["msgid"] != h["msgid"]:
            raise ParseError("rsyslog MSGID %r, ours %r" % (rec["msgid"], h["msgid"]))
        if rec["sd"] != h["sd_text"]:
            raise ParseError("rsyslog STRUCTURED-DATA differs from ours")
        if rec["msg"] != h["msg"]:
            raise ParseError("rsyslog MSG differs from ours")
        parsed = json.loads(rec["parsed"]) if rec["parsed"] else {}
        theirs = parsed.get("rfc5424-sd", {})
        if theirs != h["sd"]:
            raise ParseError("rsyslog SD values %r, ours %r" % (theirs, h["sd"]))
        if list(h["sd"]) != [SD_ID]:
            raise ParseError("SD-IDs %r" % list(h["sd"]))
        sd = dict(theirs[SD_ID])
        sd["part"] = "sd"
        sd.setdefault("kind", "alert")  # an update says kind="update"
        sdp = {f: sd.get(f) for f in ("part",) + FIELDS}
        for f in ("dst_port", "bytes_out", "bytes_in", "records_est_low",
                  "records_est_high", "src_port"):
            sdp[f] = number(sdp[f])
        parts.append(sdp)
    else:
        h = split_rfc3164(raw)
        # rsyslog keeps the space after "TAG:" in MSG
        if rec["msg"] != " " + h["msg"]:
            raise ParseError("rsyslog MSG differs from ours")
    if h["pri"] != rec["fac"] * 8 + rec["sev"]:
        raise ParseError("PRI %d, rsyslog facility %d severity %d" %
                         (h["pri"], rec["fac"], rec["sev"]))
    b = BODIES[body](h["msg"])
    parts.append(b)
    sys_part = {"part": "syslog", "id": b["id"], "sev": rec["sev"],
                "fac": rec["fac"], "app": rec["app"]}
    if header == "rfc5424":
        sys_part["msgid"] = rec["msgid"]
    parts.insert(0, sys_part)
    return parts, h["msg"]


def main(argv):
    if len(argv) != 3 or argv[1] not in ("split", "bodies") or \
            argv[2] not in FORMATS:
        sys.stderr.write("usage: siem_parse.py split|bodies FORMAT < recv.jsonl\n"
                         "FORMAT: %s\n" % ", ".join(FORMATS))
        return 2
    mode, fmt = argv[1], argv[2]
    errors = 0
    out = sys.stdout
    for n, line in enumerate(sys.stdin.buffer, 1):
        try:
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ParseError("not valid UTF-8: %s" % e)
            try:
                rec = json.loads(text)
            except ValueError as e:
                raise ParseError("rsyslog line is not JSON: %s" % e)
            parts, body = split_message(fmt, rec)
        except (ParseError, KeyError, TypeError, ValueError) as e:
            errors += 1
            sys.stderr.write("siem_parse: %s message %d: %s\n" % (fmt, n, e))
            continue
        if mode == "bodies":
            out.write(body + "\n")
        else:
            for p in parts:
                out.write(json.dumps(p, ensure_ascii=False, sort_keys=True) + "\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
