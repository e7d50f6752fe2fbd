#!/bin/sh
# Evidence (issue 15): a host uploads a multipart form with two zip parts
# named "../../etc/passwd" and 10 KB of letters and control bytes to a
# foreign, unfamiliar address over plain HTTP; compressed-upload fires in
# the second part; then it opens a direct TLS connection and a CONNECT
# tunnel to the same address (tests/e2e/evidence_pcap.py writes the
# capture and the exact bytes). exfild -r with evidence on keeps both parts in the
# alert's directory, byte for byte, under safe names, mode 0640, with a
# manifest, and the TLS and tunnel streams' client bytes; the alert names the directory and the first part's SHA-256
# (the update at the end both); another host's upload that raised no
# alert was spooled and leaves no file. Off, nothing is written and the
# alert has no evidence fields. The alert's packets.pcap holds the pair's
# packets: each flow's newest ones, evidence.lookback before the alert and
# all after, byte for byte (tests/e2e/evidence_pcap_check.py); with
# lookback 0 there is none. The HTML report lists the directory and the
# SHA-256 (a second run into the same evidence.dir gets a directory of its
# own, "-2"). A small evidence.max_total deletes the oldest directory, logged.
set -u
# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
BUILD=${BUILD:-build}
EXFILD="$BUILD/exfild"
[ -x "$EXFILD" ] || skip_all evidence "$EXFILD not built"
command -v python3 >/dev/null 2>&1 || skip_all evidence "python3 not installed"
command -v sha256sum >/dev/null 2>&1 || skip_all evidence "sha256sum not installed"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "evidence FAIL: $*"; }
# check DESCRIPTION COMMAND...
check() { d=$1; shift; if "$@"; then ok; else bad "$d"; fi; }

python3 tests/e2e/evidence_pcap.py "$T/up.pcap" "$T" || bad "evidence_pcap.py"
# config [EXTRA-EVIDENCE-LINE]: the test's configuration, evidence in $T/ev
config() {
	cat <<YAML
sensor: test
networks:
  internal: [10.0.0.0/8]
  proxies: ["10.77.1.2:3128"]
geo:
  home: [JP]
  databases: [$PWD/conf/geo-sample.csv]
baseline:
  learn: 0
rules:
  window: 1h
  suppress: 1h
  compressed_upload: { bytes: 1MB, severity: critical }
YAML
	[ $# -eq 0 ] && return
	printf 'evidence:\n  enabled: true\n  dir: %s\n' "$T/ev"
	[ -z "$1" ] || printf '  %s\n' "$1"
}

# ---- evidence off: no field, no directory ----
config >"$T/off.yaml"
"$EXFILD" -c "$T/off.yaml" -r "$T/up.pcap" >"$T/off.json" 2>"$T/off.err" ||
    bad "off: exit $?"
check "off: one alert" [ "$(grep -c '"kind":"alert"' "$T/off.json")" = 1 ]
check "off: no evidence_dir" [ "$(grep -c evidence_dir "$T/off.json")" = 0 ]
check "off: no directory" [ ! -e "$T/ev" ]
check "off: no evidence line" [ "$(grep -c 'exfild: evidence:' "$T/off.err")" = 0 ]

# ---- evidence on ----
config "" >"$T/on.yaml"
"$EXFILD" -c "$T/on.yaml" -r "$T/up.pcap" >"$T/on.json" 2>"$T/on.err" ||
    bad "on: exit $?"
# the same alerts but for the evidence fields (the positive control of
# the "off" checks above)
sed -e 's/,"evidence_dir":"[^"]*"//' -e 's/,"sha256":\[[^]]*\]//' \
    "$T/on.json" >"$T/on-stripped.json"
check "on: alerts otherwise as off" cmp -s "$T/on-stripped.json" "$T/off.json"
python3 - "$T" >"$T/fields" <<'PY' || bad "on: alert fields"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1] + "/on.json")]
a = [r for r in recs if r["kind"] == "alert"]
u = [r for r in recs if r["kind"] == "update"]
assert len(a) == 1 and len(u) == 1, (len(a), len(u))
assert u[0]["evidence_dir"] == a[0]["evidence_dir"]
import datetime
t = datetime.datetime.strptime(a[0]["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
    tzinfo=datetime.timezone.utc)
print(a[0]["id"][:8], a[0]["evidence_dir"], ",".join(a[0].get("sha256", [])),
      ",".join(u[0].get("sha256", [])),
      int(t.timestamp()) * 10**9 + t.microsecond * 1000)
PY
read -r id dir sha_alert sha_update alert_ns <"$T/fields"
h1=$(sha256sum "$T/part1.zip" | cut -d' ' -f1)
h2=$(sha256sum "$T/part2.zip" | cut -d' ' -f1)
check "dir name: $dir" sh -c "echo '$dir' | grep -Eqx '[0-9]{8}T[0-9]{6}Z-compressed-upload-$id'"
check "alert sha256 is part1's" [ "$sha_alert" = "$h1" ]
check "update sha256 is both" [ "$sha_update" = "$h1,$h2" ]
D="$T/ev/$dir"
long=002-$(python3 -c 'print("A" * 100)')
check "part1 stored as 001-passwd" cmp -s "$D/001-passwd" "$T/part1.zip"
check "part2 stored as $long" cmp -s "$D/$long" "$T/part2.zip"
check "001-passwd sha256" [ "$(sha256sum "$D/001-passwd" | cut -d' ' -f1)" = "$h1" ]
check "mode 0640" [ "$(stat -c %a "$D/001-passwd" "$D/$long" "$D/manifest.jsonl" | sort -u)" = 640 ]
check "directory mode 0750" [ "$(stat -c %a "$D")" = 750 ]
check "TLS stream stored" cmp -s "$D/003-file" "$T/tls.bin"
check "tunnel stream stored" cmp -s "$D/004-file" "$T/tunnel.bin"
check "six files in it" [ "$(ls -A "$D" | wc -l)" = 6 ]
# packets.pcap: the frames the capture's flows of the pair must give, and
# the packets before them the rings (lookback 64, the default) no longer
# held, worked out from the capture
if (cd tests/e2e && python3 evidence_pcap_check.py "$T/up.pcap" "$D/packets.pcap" \
    10.1.0.5 "$alert_ns" 64) >"$T/pcap.want" 2>"$T/pcap.err"; then ok
else bad "packets.pcap: $(tail -1 "$T/pcap.err")"; fi
read -r pcap_frames pcap_missing <"$T/pcap.want"
check "packets.pcap mode 0640" [ "$(stat -c %a "$D/packets.pcap")" = 640 ]
check "packets.pcap frames ($pcap_frames)" [ "$(python3 tests/e2e/pcapcount.py "$D/packets.pcap")" = "$pcap_frames" ]
check "packets.pcap missing counted ($pcap_missing)" [ "$pcap_missing" -gt 0 ]
check "packets.pcap manifest line" grep -qx "{\"name\":\"packets.pcap\",\"kind\":\"pcap\",\"size\":$(stat -c %s "$D/packets.pcap"),\"frames\":$pcap_frames,\"complete\":false,\"missing_before\":$pcap_missing}" "$D/manifest.jsonl"
check "pcap counters" grep -q "exfild: evidence: pcaps=1 frames=$pcap_frames lookback_frames=[0-9]* missing=$pcap_missing cut=0 errors=0" "$T/on.err"
# nothing escaped: the only "passwd" is the stored one
check "no passwd elsewhere" [ "$(find "$T" -name '*passwd*' | wc -l)" = 1 ]
python3 - "$D/manifest.jsonl" "$h1" "$h2" "$(sha256sum "$T/tls.bin" | cut -d' ' -f1)" \
    "$(sha256sum "$T/tunnel.bin" | cut -d' ' -f1)" <<'PY' || bad "manifest"
import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
lines = [m for m in lines if m["kind"] != "pcap"]
assert len(lines) == 4, lines
d = os.path.dirname(sys.argv[1]) + "/../.."
for m, kind, port, h, f in ((lines[2], "tls", 443, sys.argv[4], "tls.bin"),
                            (lines[3], "tunnel", 3128, sys.argv[5], "tunnel.bin")):
    assert m["kind"] == kind and m["dst_port"] == port, m
    assert m["sha256"] == h and m["complete"] is True, m
    assert m["size"] == os.path.getsize(d + "/" + f), m
    assert m["missing_before"] == 0 and m["filename"] == "", m
lines = lines[:2]
want = [("001-passwd", "../../etc/passwd", sys.argv[2]),
        ("002-" + "A" * 100, "A" * 255, sys.argv[3])]
for m, (name, fn, h) in zip(lines, want):
    assert m["name"] == name and m["filename"] == fn, m
    assert m["sha256"] == h and m["size"] == 600000, m
    assert m["complete"] is True and m["kind"] == "part", m
    assert (m["src"], m["src_port"], m["dst"], m["dst_port"], m["proto"]) == \
        ("10.1.0.5", 40001, "203.0.113.50", 80, 6), m
    assert m["missing_before"] == 0 and m["first_ts"] <= m["last_ts"], m
PY
# the upload without an alert was spooled (3 candidates: two parts and
# it), then deleted: no file of it, and only the alert's directory; the
# upload to a home address was no candidate (it would make 4)
check "candidates counted" grep -q 'exfild: evidence: files=5 bytes=1550350 .*candidates_spooled=3 candidates_deleted=1 candidates_dropped=0 cut=0 missing=0 deleted=0 errors=0' "$T/on.err"
check "spool empty" [ "$(ls -A "$T/ev/.spool" | wc -l)" = 0 ]
check "one directory" [ "$(ls -A "$T/ev" | wc -l)" = 2 ]
check "small.zip not kept" sh -c "! find '$T/ev' -type f -size 300000c | grep -q ."
check "home upload not kept" sh -c "! find '$T/ev' -type f -size 200000c | grep -q ."

# ---- the HTML report lists the alert's evidence (and, off, none) ----
"$EXFILD" -c "$T/on.yaml" -r "$T/up.pcap" --report "$T/on.html" >/dev/null 2>&1 ||
    bad "report: exit $?"
check "report: evidence line" grep -q "<div class=\"ev\">evidence: [0-9]\{8\}T[0-9]\{6\}Z-compressed-upload-$id-2 sha256 $h1</div>" "$T/on.html"
"$EXFILD" -c "$T/off.yaml" -r "$T/up.pcap" --report "$T/off.html" >/dev/null 2>&1 ||
    bad "report off: exit $?"
check "report off: no evidence line" [ "$(grep -c 'class="ev">evidence: ' "$T/off.html")" = 0 ]

# ---- lookback 0: no packets.pcap (the control of the one above) ----
rm -rf "$T/ev"
config "lookback: 0" >"$T/nopcap.yaml"
"$EXFILD" -c "$T/nopcap.yaml" -r "$T/up.pcap" >/dev/null 2>"$T/nopcap.err" ||
    bad "lookback 0: exit $?"
check "lookback 0: parts kept" cmp -s "$T/ev/$dir/001-passwd" "$T/part1.zip"
check "lookback 0: no packets.pcap" [ ! -e "$T/ev/$dir/packets.pcap" ]
check "lookback 0: no pcap counters" [ "$(grep -c 'pcaps=' "$T/nopcap.err")" = 0 ]

# ---- max_total: the oldest directory goes, logged ----
rm -rf "$T/ev"
mkdir -p "$T/ev/20000101T000000Z-old-aaaaaaaa"
head -c 1000000 /dev/zero >"$T/ev/20000101T000000Z-old-aaaaaaaa/001-x"
config "max_total: 2MB" >"$T/small.yaml"
"$EXFILD" -c "$T/small.yaml" -r "$T/up.pcap" >"$T/small.json" 2>"$T/small.err" ||
    bad "max_total: exit $?"
check "old directory deleted" [ ! -e "$T/ev/20000101T000000Z-old-aaaaaaaa" ]
check "deletion logged" grep -q "evidence: deleted $T/ev/20000101T000000Z-old-aaaaaaaa (1000000 bytes)" "$T/small.err"
check "deletion counted" grep -q 'exfild: evidence: .* deleted=1 errors=0' "$T/small.err"
check "new evidence kept" cmp -s "$T/ev/$dir/001-passwd" "$T/part1.zip"

# ---- exfild -t: the daemon's user must be able to make and write dir ----
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$T"
	mkdir -m 700 "$T/locked"
	sed "s|dir: $T/ev|dir: $T/locked/ev|" "$T/on.yaml" >"$T/t.yaml"
	if "$EXFILD" -t -u nobody -c "$T/t.yaml" >/dev/null 2>"$T/t.err"; then
		bad "-t: a directory nobody cannot make passed"
	else ok; fi
	check "-t names evidence.dir" grep -q "t.yaml:.*evidence.dir: $T/locked/ev" "$T/t.err"
	check "-t made nothing" [ ! -e "$T/locked/ev" ]
	# a replay that cannot keep evidence still detects
	if su nobody -s /bin/sh -c "'$EXFILD' -c '$T/t.yaml' -r '$T/up.pcap'" \
	    >"$T/nobody.json" 2>"$T/nobody.err"; then ok
	else bad "replay as nobody: exit $?"; cat "$T/nobody.err"; fi
	check "replay as nobody: the alert" [ "$(grep -c '"kind":"alert"' "$T/nobody.json")" = 1 ]
	check "replay as nobody: said" grep -q "evidence.dir: cannot make $T/locked/ev: Permission denied: no evidence is kept" "$T/nobody.err"
	chmod 777 "$T/locked"
	check "-t passes once nobody can" sh -c "'$EXFILD' -t -u nobody -c '$T/t.yaml' >/dev/null 2>&1"
else
	echo "evidence: -t checks skipped (not root, or no user nobody)"
fi

tally evidence "$pass" "$fail"
[ "$fail" -eq 0 ]
