#!/bin/sh
# A replay split in two, with --save-baseline between, gives the alerts of
# one replay (issue 10: the detection state, flows in progress included, is
# saved with the baseline and loaded at start). Each shipped capture is
# split at packets spread over it (tests/e2e/pcapsplit.py --points; in the
# middle of uploads through the proxy and direct too), a two-file replay
# between its files; the generated week (tests/e2e/week.sh) at packets
# spread over it and its Squid log at lines spread over it; and, the
# positive control, part two without the saved state misses alerts that
# need part one.
set -u
# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
BUILD=${BUILD:-build}
EXFILD="$BUILD/exfild"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "split FAIL: $*"; }

# the demo's configuration with a state file of the test's own
config_copy conf/demo.yaml | sed "s|^baseline:|baseline:\n  state: $tmp/state|" >"$tmp/demo.yaml"
grep -q "state: $tmp/state" "$tmp/demo.yaml" || bad "no baseline: section in conf/demo.yaml"

# two_runs NAME PART1 PART2 [keep]: part one saving the state, part two
# loading it (unless a fourth argument says to forget it); alerts of both
# in $tmp/NAME.two
two_runs() {
	rm -f "$tmp/state"
	"$EXFILD" -c "$tmp/demo.yaml" -r "$2" --save-baseline >"$tmp/$1.two" 2>"$tmp/$1.err1" ||
	    bad "$1: part one exit $?"
	[ $# -lt 4 ] || rm -f "$tmp/state"
	"$EXFILD" -c "$tmp/demo.yaml" -r "$3" >>"$tmp/$1.two" 2>"$tmp/$1.err2" ||
	    bad "$1: part two exit $?"
}

# same_alerts A B: the same alerts, in order. Updates are left out: each
# replay closes the alerts still open at its end with their updates
# (kind "update"), so part one's come earlier and with smaller totals.
same_alerts() {
	grep -v '"kind":"update"' "$1" >"$1.alerts"
	grep -v '"kind":"update"' "$2" >"$2.alerts"
	cmp -s "$1.alerts" "$2.alerts"
}

midflow=0 # splits inside an HTTP request or tunnel (a parser state saved)
names=0   # splits after DNS answers (names saved)
for cap in jal-day egress-xff benign-day; do
	rm -f "$tmp/state"
	"$EXFILD" -c "$tmp/demo.yaml" -r "pcaps/$cap.pcap" >"$tmp/$cap.one" 2>/dev/null
	points=$(python3 tests/e2e/pcapsplit.py --points "pcaps/$cap.pcap" 8)
	[ -n "$points" ] || bad "$cap: no packet to split at"
	for n in $points; do
		python3 tests/e2e/pcapsplit.py "pcaps/$cap.pcap" "$n" "$tmp/a.pcap" "$tmp/b.pcap"
		two_runs "$cap.$n" "$tmp/a.pcap" "$tmp/b.pcap"
		grep -q '^flow .* http [0-9a-f]*$' "$tmp/state" && midflow=$((midflow + 1))
		grep -q '^name ' "$tmp/state" && names=$((names + 1))
		if same_alerts "$tmp/$cap.one" "$tmp/$cap.$n.two"; then ok
		else bad "$cap split at packet $n: alerts differ from one replay"
			diff "$tmp/$cap.one" "$tmp/$cap.$n.two" | cut -c1-300 | head -6; fi
	done
done
[ "$midflow" -ge 3 ] && ok || bad "only $midflow splits inside a request: the test does not cut connections"
[ "$names" -ge 3 ] && ok || bad "only $names states with names from DNS answers"
# the JAL day alerts: the state must matter somewhere (a campaign whose
# first members came before the split)
n=$(grep -c '"kind":"alert"' "$tmp/jal-day.one")
[ "$n" -eq 7 ] && ok || bad "jal-day: $n alerts, want 7"
# ... and what same_alerts leaves out is there: one update per alert
n=$(grep -c '"kind":"update"' "$tmp/jal-day.one")
[ "$n" -eq 7 ] && ok || bad "jal-day: $n updates, want 7"

# two files in one replay, and the same as two replays
rm -f "$tmp/state"
"$EXFILD" -c "$tmp/demo.yaml" -r pcaps/benign-day.pcap -r pcaps/egress-xff.pcap >"$tmp/merged.one" 2>/dev/null
two_runs merged pcaps/benign-day.pcap pcaps/egress-xff.pcap
if same_alerts "$tmp/merged.one" "$tmp/merged.two" && [ -s "$tmp/merged.one" ]; then ok
else bad "benign-day then egress-xff: two replays differ from one"; fi

# the control: a split with the campaign's first members before it and
# its last after; part two without the saved state misses the campaign
found=
for n in $(python3 tests/e2e/pcapsplit.py --points pcaps/jal-day.pcap 8); do
	python3 tests/e2e/pcapsplit.py pcaps/jal-day.pcap "$n" "$tmp/a.pcap" "$tmp/b.pcap"
	two_runs keep "$tmp/a.pcap" "$tmp/b.pcap"
	two_runs forget "$tmp/a.pcap" "$tmp/b.pcap" forget
	if grep -q '"rule":"campaign"' "$tmp/keep.two" &&
	    ! grep -q '"rule":"campaign"' "$tmp/forget.two"; then found=$n; break; fi
done
if [ -n "$found" ]; then ok
else bad "jal-day: no split at which the saved state made the campaign (it did not matter)"; fi
if grep -q "state $tmp/state: [0-9]* destinations, [0-9]* names, [1-9][0-9]* hosts, [1-9][0-9]* pairs, [0-9]* rule states" "$tmp/keep.err2"; then ok
else bad "part two did not say what state it loaded:"; head -1 "$tmp/keep.err2"; fi

# The week (tests/e2e/week.sh): slow uploads over days, beacon series,
# dormant hosts, campaigns, crown-jewel pulls; and its Squid log.
if [ -x "$BUILD/pcapgen" ] && "$BUILD/pcapgen" --week "$tmp/w" >/dev/null; then
	config_copy tests/e2e/week.yaml |
	    sed "s|^baseline:|baseline:\n  state: $tmp/state|" >"$tmp/week.yaml"
	rm -f "$tmp/state"
	"$EXFILD" -c "$tmp/week.yaml" -r "$tmp/w/week.pcap" >"$tmp/week.one" 2>/dev/null
	for n in $(python3 tests/e2e/pcapsplit.py --points "$tmp/w/week.pcap" 5); do
		python3 tests/e2e/pcapsplit.py "$tmp/w/week.pcap" "$n" "$tmp/a.pcap" "$tmp/b.pcap"
		rm -f "$tmp/state"
		"$EXFILD" -c "$tmp/week.yaml" -r "$tmp/a.pcap" --save-baseline >"$tmp/week.$n.two" 2>/dev/null
		"$EXFILD" -c "$tmp/week.yaml" -r "$tmp/b.pcap" >>"$tmp/week.$n.two" 2>/dev/null
		if same_alerts "$tmp/week.one" "$tmp/week.$n.two" && [ "$(grep -c '"kind":"alert"' "$tmp/week.one")" -ge 10 ]; then ok
		else bad "week split at packet $n: alerts differ from one replay"
			diff "$tmp/week.one" "$tmp/week.$n.two" | cut -c1-300 | head -6; fi
	done
	squid_format='squid:%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt'
	log="$tmp/w/week-squid.log"
	rm -f "$tmp/state"
	"$EXFILD" -c "$tmp/week.yaml" --log-format "$squid_format" -l "$log" >"$tmp/squid.one" 2>/dev/null
	lines=$(wc -l <"$log")
	for k in 1 2 3 4 5; do
		n=$((lines * k / 6 + k))
		head -n "$n" "$log" >"$tmp/a.log"; tail -n +"$((n + 1))" "$log" >"$tmp/b.log"
		rm -f "$tmp/state"
		"$EXFILD" -c "$tmp/week.yaml" --log-format "$squid_format" -l "$tmp/a.log" \
		    --save-baseline >"$tmp/squid.$n.two" 2>/dev/null
		"$EXFILD" -c "$tmp/week.yaml" --log-format "$squid_format" -l "$tmp/b.log" \
		    >>"$tmp/squid.$n.two" 2>/dev/null
		if same_alerts "$tmp/squid.one" "$tmp/squid.$n.two" && [ -s "$tmp/squid.one" ]; then ok
		else bad "week Squid log split at line $n: alerts differ from one replay"
			diff "$tmp/squid.one" "$tmp/squid.$n.two" | cut -c1-300 | head -6; fi
	done
else
	bad "pcapgen --week failed"
fi

tally split "$pass" "$fail"
[ "$fail" -eq 0 ]
