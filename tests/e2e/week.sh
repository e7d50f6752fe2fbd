#!/bin/sh
# A week at the tap (issue 10): pcapgen --week writes a capture with every
# pattern of the issue-10 rules and the traps beside them (tests/gen/
# pcapgen.c, gen_week, says which host does what), and the same
# conversations as Squid's access.log (with %>st) and Zeek's conn.log and
# http.log. Each is replayed with tests/e2e/week.yaml and a projection of
# its alerts (JST day, src, rule, dst_host, dst, country, via, port) is
# compared, sorted, with the hand-written list of what the scenario calls
# for from that source: week-expected.txt (packets), week-squid-expected.txt,
# week-zeek-expected.txt ('#' lines are comments: what a source cannot show,
# and defects found). Also: every packet and log line read, the generator
# deterministic. Exit 0 pass, 1 fail, 77 skipped (jq or python3 missing).
set -u
# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
BUILD=${BUILD:-build}
EXFILD="$BUILD/exfild"
GEN="$BUILD/pcapgen"
CONF=tests/e2e/week.yaml
SQUID_FORMAT='squid:%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt'
command -v jq >/dev/null 2>&1 || skip_all week "jq not installed"
command -v python3 >/dev/null 2>&1 || skip_all week "python3 not installed"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "week FAIL: $*"; }

# The alert's day in Asia/Tokyo (UTC+9, no daylight saving) and where it went.
PROJ='select(.kind == "alert") | [(.ts | sub("\\.[0-9]+Z$"; "Z") | fromdate + 32400 | strftime("%a")), .src, .rule,
    (if .dst_host == "" then "-" else .dst_host end), (if .dst == "" then "-" else .dst end),
    .dst_country, .via, (.dst_port | tostring)] | join(" ")'

# expect_alerts NAME OUT EXPECTED
expect_alerts() {
	jq -r "$PROJ" "$2" | sort >"$tmp/got.$1"
	grep -v '^#' "$3" | grep -v '^$' | sort >"$tmp/want.$1"
	if cmp -s "$tmp/got.$1" "$tmp/want.$1"; then ok
	else bad "$1: alerts differ from $3 (< expected, > exfild)"; diff "$tmp/want.$1" "$tmp/got.$1"; fi
}

# expect_lines NAME STDERR N: the summary counts N log records, none rejected
expect_lines() {
	if grep -q "logs: lines=[0-9]* records=$3 headers=[0-9]* rejected=0 " "$2"; then ok
	else bad "$1: summary does not say records=$3 rejected=0"; cat "$2"; fi
}

if ! "$GEN" --week "$tmp/w" >"$tmp/gen.out" || ! "$GEN" --week "$tmp/again" >/dev/null; then
	bad "pcapgen --week failed"; tally week "$pass" "$fail"; exit 1
fi
for f in week.pcap week-squid.log week-conn.log week-http.log; do
	if cmp -s "$tmp/w/$f" "$tmp/again/$f"; then ok; else bad "pcapgen --week: $f differs between runs"; fi
done
rm -rf "$tmp/again"

# Packets.
if "$EXFILD" -c "$CONF" -r "$tmp/w/week.pcap" >"$tmp/pcap.out" 2>"$tmp/pcap.err"; then
	expect_alerts pcap "$tmp/pcap.out" tests/e2e/week-expected.txt
	want=$(python3 tests/e2e/pcapcount.py "$tmp/w/week.pcap")
	got=$(sed -n 's/.*replay: files=1 failed=0 packets=\([0-9]*\) .*/\1/p' "$tmp/pcap.err")
	if [ "$want" -gt 0 ] && [ "$got" = "$want" ]; then ok
	else bad "pcap: summary packets='$got', the capture holds $want"; cat "$tmp/pcap.err"; fi
else
	bad "pcap: exit status $?"; cat "$tmp/pcap.err"
fi

# Squid's access.log with %>st.
if "$EXFILD" -c "$CONF" --log-format "$SQUID_FORMAT" -l "$tmp/w/week-squid.log" \
    >"$tmp/squid.out" 2>"$tmp/squid.err"; then
	expect_alerts squid "$tmp/squid.out" tests/e2e/week-squid-expected.txt
	expect_lines squid "$tmp/squid.err" "$(wc -l <"$tmp/w/week-squid.log" | tr -d ' ')"
else
	bad "squid: exit status $?"; cat "$tmp/squid.err"
fi

# Zeek: conn.log and http.log given as two -l files are read as one time
# line (logfeed_replay merges them by time stamp, each with its own
# headers), as the sensor wrote them.
if "$EXFILD" -c "$CONF" --log-format zeek -l "$tmp/w/week-conn.log" -l "$tmp/w/week-http.log" >"$tmp/zeek.out" 2>"$tmp/zeek.err"; then
	expect_alerts zeek "$tmp/zeek.out" tests/e2e/week-zeek-expected.txt
	expect_lines zeek "$tmp/zeek.err" "$(cat "$tmp/w/week-conn.log" "$tmp/w/week-http.log" | grep -vc '^#')"
else
	bad "zeek: exit status $?"; cat "$tmp/zeek.err"
fi

tally week "$pass" "$fail"
[ "$fail" -eq 0 ]
