#!/bin/sh
# The forensic report (issue 14): exfild --report FILE renders the JAL-like
# sample, the hostile capture (pcapgen --hostile) and a Squid log whose
# Host names are markup ("<script>...", "'\"><img ..."); report_check.py
# checks each against the same replay's JSON alerts and --pairs rows
# (counts, bytes, records, names, one timeline row per alerted pair and one
# marker per alert, no tag or loading attribute of its own from the wire),
# off-hours shaded on a log spanning a Tokyo evening and not with the rule
# off nor in working hours.
# The same input gives the same bytes; --report needs a replay; a report
# that cannot be written fails the replay. Where Debian's chromium is
# installed, it loads each report headless (started here, stopped by PID):
# the DOM it built has the rows and markers, no console message, a
# screenshot is written, and it prints to PDF.
set -u
# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
BUILD=${BUILD:-build}
EXFILD="$BUILD/exfild"
PCAPGEN="$BUILD/pcapgen"
CHECK=tests/e2e/report_check.py
[ -x "$EXFILD" ] && [ -x "$PCAPGEN" ] || skip_all report "$EXFILD or $PCAPGEN not built"
command -v python3 >/dev/null 2>&1 || skip_all report "python3 not installed"
T=$(mktemp -d)
chrome_pid=
trap '[ -z "$chrome_pid" ] || kill "$chrome_pid" 2>/dev/null; rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "report FAIL: $*"; }

# render NAME UNITS ARGS...: the replay with --pairs and --report, checked
render() {
	name=$1 units=$2; shift 2
	if "$EXFILD" "$@" --pairs --report "$T/$name.html" >"$T/$name.json" \
	    2>"$T/$name.err"; then ok; else bad "$name: exit $?"; cat "$T/$name.err"; fi
	if python3 "$CHECK" "$T/$name.html" "$T/$name.json" "$units" \
	    >"$T/$name.check" 2>&1; then ok
	else bad "$name: report_check"; cat "$T/$name.check"; fi
}

# ---- the JAL-like sample ----
render jal "$(python3 tests/e2e/pcapcount.py pcaps/jal-day.pcap)" \
    -c conf/demo.yaml -r pcaps/jal-day.pcap
# the day's span (4 h 38 min) gives 5-minute buckets
if grep -q 'bars: bytes out per 5 min' "$T/jal.html"; then ok
else bad "jal: bucket is not 5 min"; fi
# the same report again (without --pairs: it changes nothing), byte for byte
"$EXFILD" -c conf/demo.yaml -r pcaps/jal-day.pcap --report "$T/jal2.html" \
    >/dev/null 2>&1
if cmp -s "$T/jal.html" "$T/jal2.html"; then ok; else bad "jal: two runs differ"; fi
# the positive control of the comparison: another input, another file
"$EXFILD" -c conf/demo.yaml -r pcaps/benign-day.pcap --report "$T/benign.html" \
    >/dev/null 2>&1
if [ -s "$T/benign.html" ] && ! cmp -s "$T/jal.html" "$T/benign.html"; then ok
else bad "benign-day: report missing or equal to jal's"; fi

# ---- the hostile capture ----
"$PCAPGEN" --hostile "$T/hostile.pcap" >/dev/null || bad "pcapgen --hostile"
render hostile "$(python3 tests/e2e/pcapcount.py "$T/hostile.pcap")" \
    -c conf/demo.yaml -r "$T/hostile.pcap"
# its names reached the report escaped: the quote one as &quot;, the LF
# one's bytes never raw
if grep -q 'quote&quot;x.evil.example' "$T/hostile.html"; then ok
else bad "hostile: quote name not shown escaped"; fi
if grep -q 'quote"x.evil.example' "$T/hostile.html"; then
	bad "hostile: raw quote in the report"; else ok; fi

# ---- markup in Host names (a Squid log: the URL's host as it came) ----
F='%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt'
cat >"$T/markup.log" <<'EOF'
1410998400.000    100 10.1.20.30 TCP_MISS/200 5000 300 GET http://www.example.com/ - HIER_DIRECT/198.51.100.10 text/html
1411009200.000    100 10.1.20.31 TCP_MISS/200 500 3000000 POST http://<script>alert(1)</script>.evil.example/up - HIER_DIRECT/203.0.113.50 text/html
1411009300.000    100 10.1.20.32 TCP_MISS/200 500 2500000 POST http://x'"><img src=x onerror=alert(1)>.evil.example/up - HIER_DIRECT/203.0.113.51 text/html
1411007400.000    100 10.1.20.33 TCP_MISS/200 500 100 POST http://later.example/up - HIER_DIRECT/203.0.113.52 text/html
1411011000.000    100 10.1.20.33 TCP_MISS/200 500 3000000 POST http://later.example/up - HIER_DIRECT/203.0.113.52 text/html
1411014600.000    100 10.1.20.33 TCP_MISS/200 500 1000000 POST http://later.example/up - HIER_DIRECT/203.0.113.52 text/html
EOF
sort -n -o "$T/markup.log" "$T/markup.log"
render markup 6 -c conf/demo.yaml -l "$T/markup.log" --log-format "squid:$F"
# positive control: the markup reached the alerts (JSON-escaped there)
if grep -q '"dst_host":"<script>' "$T/markup.json" &&
    grep -q '<img' "$T/markup.json"; then ok
else bad "markup: the hostile names did not reach the alerts"; fi
if grep -q '&lt;script&gt;alert(1)&lt;' "$T/markup.html" &&
    ! grep -q '<img' "$T/markup.html"; then ok
else bad "markup: names not escaped in the report"; fi

# the bars are the pair's own buckets, not its total spread: 10.1.20.33
# sent 3 MB at 03:30 (alert; a window bucket of 7.5 min, 03:30-03:37:30,
# drawn over two 5-minute bars: 2 MB and 1 MB) and 1 MB at 04:30 (its last
# bucket, ending with its last record: one bar); spread evenly over its two
# hours, each bar would hold about 167 kB
row33=$(sed -n '/<g class="row" data-src="10.1.20.33"/,/<\/g>$/p' "$T/markup.html")
if echo "$row33" | grep -q 'class="bar" data-v="2000000"' &&
    [ "$(echo "$row33" | grep -c 'class="bar" data-v="1000000"')" -eq 2 ]; then ok
else bad "markup: 10.1.20.33's bars are not its buckets"; echo "$row33" | head; fi

# ---- off-hours shaded: the markup log's traffic 10 h later, 19:00-23:30
# in Tokyo (rules.off_hours: Asia/Tokyo, Mon-Fri 08:00-20:00 by default) ----
awk '$1 !~ /^1410998400/ { $1 = sprintf("%.3f", $1 + 36000) } $1 ~ /^1410998400/ {
	$1 = "1411034400.000" } { print }' "$T/markup.log" | grep -v -e '<script>' -e '<img' >"$T/night.log"
render night 4 -c conf/demo.yaml -l "$T/night.log" --log-format "squid:$F"
# one band from 20:00 local (11:00 UTC) to the axis's end (14:35, the
# 5-minute bucket after the last record), and the key names it
if [ "$(grep -c '<rect class="shade" data-shade="off-hours"' "$T/night.html")" -eq 1 ] &&
    grep -q '<title>off-hours 2014-09-18T11:00:00.000Z &#8211; 2014-09-18T14:35:00.000Z</title>' "$T/night.html" &&
    grep -q '>off-hours</text></g>' "$T/night.html"; then ok
else bad "night: no off-hours band from 11:00 UTC"; grep 'shade' "$T/night.html" | head -5; fi
# the same with the rule off: no band, no key (the alerts still drawn)
config_copy conf/demo.yaml | sed '/^rules:/a\
  off_hours: { enabled: false }' >"$T/no-off-hours.yaml"
render night-off 4 -c "$T/no-off-hours.yaml" -l "$T/night.log" --log-format "squid:$F"
if ! grep -q 'class="shade"' "$T/night-off.html" &&
    ! grep -q '>off-hours</text>' "$T/night-off.html" &&
    grep -q '<g class="marker"' "$T/night-off.html"; then ok
else bad "night-off: shaded with the rule off"; fi
# working hours only (the markup log, 09:00-13:30 local): no band
if ! grep -q 'class="shade"' "$T/markup.html"; then ok
else bad "markup: shaded in working hours"; fi

# ---- errors ----
"$EXFILD" -c conf/demo.yaml --report "$T/x.html" >/dev/null 2>"$T/e1.err"
rc=$?
if [ $rc -eq 1 ] && grep -q -- "--report is for a replay" "$T/e1.err"; then ok
else bad "--report without -r: rc=$rc"; cat "$T/e1.err"; fi
"$EXFILD" -c conf/demo.yaml -r pcaps/jal-day.pcap \
    --report "$T/no/such/dir/x.html" >/dev/null 2>"$T/e2.err"
rc=$?
if [ $rc -eq 1 ] && grep -q -- "--report: .*no/such/dir" "$T/e2.err"; then ok
else bad "unwritable --report: rc=$rc"; cat "$T/e2.err"; fi

# ---- a real browser ----
CHROME=
for c in chromium chromium-browser; do
	command -v "$c" >/dev/null 2>&1 && CHROME=$c && break
done
# chrome_run ARGS...: chromium headless on ARGS, stopped by its PID after 60 s
chrome_run() {
	"$CHROME" --headless --no-sandbox --disable-gpu --no-first-run \
	    --user-data-dir="$T/chrome-profile" --enable-logging=stderr --v=0 \
	    "$@" >"$T/chrome.out" 2>"$T/chrome.err" &
	chrome_pid=$!
	if ! wait_for 60 sh -c "! kill -0 $chrome_pid 2>/dev/null"; then
		kill "$chrome_pid" 2>/dev/null
		bad "chromium did not finish within 60 s"
	fi
	wait "$chrome_pid" 2>/dev/null
	chrome_pid=
}
if [ -n "$CHROME" ]; then
	for name in jal hostile markup night; do
		chrome_run --dump-dom "file://$T/$name.html" 2>/dev/null
		cp "$T/chrome.out" "$T/$name.dom"
		want_rows=$(grep -c '<g class="row"' "$T/$name.html")
		want_marks=$(grep -c '<g class="marker"' "$T/$name.html")
		rows=$(grep -o '<g class="row"' "$T/$name.dom" | wc -l)
		marks=$(grep -o '<g class="marker"' "$T/$name.dom" | wc -l)
		alerts=$(grep -c '"kind":"alert"' "$T/$name.json")
		if [ "$want_rows" -gt 0 ] && [ "$rows" -eq "$want_rows" ] &&
		    [ "$marks" -eq "$alerts" ]; then ok
		else bad "chromium $name: rows=$rows (file $want_rows) markers=$marks (alerts $alerts, file $want_marks)"; fi
		if grep -q 'CONSOLE' "$T/chrome.err"; then
			bad "chromium $name: console messages"; grep CONSOLE "$T/chrome.err"
		else ok; fi
		chrome_run --screenshot="$T/$name.png" --window-size=1200,1600 \
		    "file://$T/$name.html"
		if [ -s "$T/$name.png" ]; then ok; else bad "chromium $name: no screenshot"; fi
	done
	# printed to PDF (what goes to the incident team by mail)
	chrome_run --print-to-pdf="$T/jal.pdf" --no-pdf-header-footer "file://$T/jal.html"
	if [ "$(head -c 5 "$T/jal.pdf" 2>/dev/null)" = "%PDF-" ]; then ok
	else bad "chromium: no PDF printed"; fi
	tally report "$pass" "$fail"
else
	tally report "$pass" "$fail" "chromium not installed: the browser checks skipped"
fi
[ "$fail" -eq 0 ]
