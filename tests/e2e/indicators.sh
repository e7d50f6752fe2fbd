#!/bin/sh
# Indicator lists end to end (issue 12, rule indicator-match).
# (a) Replay: the JAL day with three lists, one of each format
#     (tests/e2e/indicators.yaml): the alerts exactly as
#     tests/e2e/indicators.out (DNS answers naming a Feodo address during
#     the learning period, a plain list's name covering hk-files' subdomain
#     and an address, a hosts file's exact name; the hosts file's
#     search.example.com does not cover www.search.example.com), the other
#     rules' alerts unchanged, the bad lines reported with file:line.
# (b) The daemon on a followed Squid log: a list file that changes is read
#     again within indicators_check (1s) and a pair already settled is
#     asked again without new traffic; a reload naming a missing file keeps
#     the old lists; the reload that follows adds the Feodo list; a list
#     file that vanishes keeps its entries. Exit 0 pass, 1 fail, 77 skipped.
set -u
BUILD=${BUILD:-build}
EXFILD="$(pwd)/$BUILD/exfild"
FORMAT='%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt'

# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
[ -x "$EXFILD" ] || skip_all indicators "$EXFILD not built"
command -v jq >/dev/null 2>&1 || skip_all indicators "jq not installed"

T=$(mktemp -d)
chmod 755 "$T"
pass=0; fail=0
daemon_pid=
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "indicators FAIL: $*"; }
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# ---- (a) replay ----
if "$EXFILD" -c tests/e2e/indicators.yaml -r pcaps/jal-day.pcap >"$T/a.out" 2>"$T/a.err"; then ok
else bad "replay: exit $?"; cat "$T/a.err"; fi
if cmp -s "$T/a.out" tests/e2e/indicators.out; then ok
else bad "replay alerts differ"; diff tests/e2e/indicators.out "$T/a.out" | head -20; fi
if jq -e . "$T/a.out" >/dev/null 2>&1; then ok; else bad "stdout is not JSON lines"; fi
# the hand-written story: who, where, which list, entry and how
jq -r 'select(.rule == "indicator-match") | [.src, .dst_host, .severity,
    (.evidence.list | sub(".*/"; "")), (.evidence.line | tostring),
    .evidence.entry, .evidence.match, .evidence.seen_in] | join(" ")' \
    "$T/a.out" >"$T/a.rows"
cat >"$T/a.want" <<'ROWS'
10.1.20.13 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.18 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.19 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.11 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.17 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.14 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.15 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.12 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.16 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.20 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.15 mystery.example.xyz medium urlhaus.txt 5 mystery.example.xyz name traffic
10.1.20.24 news.example.org critical feodo.csv 7 198.51.100.170 address dns
10.1.20.21 hk-files.example.net high iocs.txt 2 example.net subdomain traffic
10.1.20.22 hk-files.example.net high iocs.txt 2 example.net subdomain traffic
10.1.20.23 hk-files.example.net high iocs.txt 2 example.net subdomain traffic
10.1.20.24  high iocs.txt 3 203.0.113.99 address traffic
ROWS
if cmp -s "$T/a.rows" "$T/a.want"; then ok
else bad "the story's alerts"; diff "$T/a.want" "$T/a.rows"; fi
# one alert in full, every field
want='{"id":"aa25dc2e-9a8a-81fc-9f2b-1d1ac1b12577","kind":"alert","ts":"2014-09-18T04:22:00.000Z","sensor":"hq-proxy-tap","rule":"indicator-match","severity":"high","source":"pcap","src":"10.1.20.24","dst":"203.0.113.99","dst_port":8443,"proto":"tcp","src_port":49462,"community_id":"1:MRyN9B9GFID7XGcMA2CzbNIN2Vw=","dst_host":"","dst_country":"HK","via":"direct","bytes_out":0,"bytes_in":0,"flows":1,"window_s":3600,"window_start":"2014-09-18T04:22:00.000Z","payload_total":{},"first_seen":"2014-09-18T04:22:00.000Z","learn_end":"2014-09-18T02:00:00.000Z","records_est_low":0,"records_est_high":0,"attack":{"techniques":["T1071","T1041"],"tactics":["Command and Control","Exfiltration"]},"reason":"10.1.20.24 contacted 203.0.113.99 (HK); listed in tests/e2e/indicators/iocs.txt line 3 (203.0.113.99, address): direct upload target","evidence":{"list":"tests/e2e/indicators/iocs.txt","line":3,"entry":"203.0.113.99","match":"address","seen_in":"traffic","comment":"direct upload target"}}'
if grep -qxF "$want" "$T/a.out"; then ok; else bad "the 10.1.20.24 alert"; grep 10.1.20.24 "$T/a.out"; fi
grep -v '"rule":"indicator-match"' "$T/a.out" >"$T/a.others"
if cmp -s "$T/a.others" tests/e2e/jal-day.out; then ok; else bad "the other rules' alerts changed"; fi
if grep -qF "indicators: tests/e2e/indicators/iocs.txt:4: not an address, CIDR or domain name: \"not_a_name!\"" "$T/a.err" &&
    grep -qF "indicators: tests/e2e/indicators/feodo.csv:9: invalid dst_port" "$T/a.err" &&
    grep -qF "indicators: tests/e2e/indicators/feodo.csv (feodo): 2 entries (2 addresses, 0 networks, 0 names), 0 duplicates, 1 bad lines;" "$T/a.err"; then ok
else bad "bad lines with file:line"; cat "$T/a.err"; fi

# ---- (b) the daemon ----
[ "$(id -u)" -eq 0 ] || { echo "indicators: daemon part skipped (needs root)"; tally indicators "$pass" "$fail" "daemon part skipped: not root"; [ "$fail" -eq 0 ]; exit; }
getent passwd nobody >/dev/null || { tally indicators "$pass" "$fail" "daemon part skipped: no user nobody"; [ "$fail" -eq 0 ]; exit; }
mkdir -p "$T/logs" "$T/out" "$T/lists"
LOG=$T/logs/access.log
: >"$LOG"
printf 'example.net  # C2 domain\nbad_entry!\n' >"$T/lists/iocs.txt"
write_config() { # FEODO_TOO
	{
		cat <<CONF
sensor: indicators-e2e
networks:
  internal: [10.0.0.0/8]
baseline:
  learn: 1h
indicators_check: 1s
indicators:
  - { file: $T/lists/iocs.txt }
CONF
		[ "$1" = yes ] && echo "  - { file: $T/lists/feodo.csv, format: feodo, severity: critical }"
		cat <<CONF
rules:
  eval_interval: 1s
  off_hours: { enabled: false }
daemon:
  state_dir: $T/out
stats:
  interval: 0
logs:
  - follow: $LOG
    format: "squid:$FORMAT"
outputs:
  - file: { path: $T/out/alerts.json, format: json }
CONF
	} >"$T/exfild.yaml"
}
write_config no
chown nobody "$T/out"
chmod 755 "$T/logs" "$T/lists"; chmod 644 "$T/exfild.yaml" "$LOG" "$T/lists"/*

wait_for() { # SECONDS COMMAND...: polls every 0.1 s
	n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1; n=$((n - 1))
	done
	return 1
}
log_has() { grep -qF "$1" "$T/daemon.log"; }
count_alerts() { cat "$T/out/alerts.json" 2>/dev/null | wc -l | tr -d ' '; }
has_alerts() { [ "$(count_alerts)" -ge "$1" ]; }
# request CLIENT HOST SERVER_ADDR: one GET line, now
request() {
	printf '%s.000     20 %s TCP_MISS/200 1000 300 GET http://%s/ - HIER_DIRECT/%s text/html\n' \
	    "$(date +%s)" "$1" "$2" "$3" >>"$LOG"
}
# the newest alert: "src dst_host severity entry match list"
last_alert() {
	tail -1 "$T/out/alerts.json" | jq -r '[.rule, .src, .dst_host, .severity,
	    .evidence.entry, .evidence.match, (.evidence.list | sub(".*/"; "")),
	    (.evidence.malware // .evidence.comment // "-")] | join(" ")'
}
expect_alert() { # N WHAT WANT
	if wait_for 10 has_alerts "$1"; then
		got=$(last_alert)
		if [ "$got" = "$3" ] && [ "$(count_alerts)" -eq "$1" ]; then ok
		else bad "$2: alert '$got' (of $(count_alerts)), want '$3'"; fi
	else bad "$2: no alert $1"; cat "$T/daemon.log"; fi
}

"$EXFILD" -f -u nobody -c "$T/exfild.yaml" 2>"$T/daemon.log" &
daemon_pid=$!
if wait_for 10 log_has "logs: following $LOG"; then ok
else bad "the daemon did not start"; cat "$T/daemon.log"; exit 1; fi
if log_has "indicators: $T/lists/iocs.txt (plain): 1 entries (0 addresses, 0 networks, 1 names)" &&
    log_has "indicators: $T/lists/iocs.txt:2: not an address, CIDR or domain name: \"bad_entry!\""; then ok
else bad "the list's load line and its bad line"; cat "$T/daemon.log"; fi

request 10.1.20.5 www.c2.example.net 203.0.113.5
expect_alert 1 "a subdomain" "indicator-match 10.1.20.5 www.c2.example.net high example.net subdomain iocs.txt C2 domain"
# not listed (yet): quiet; the positive control is the line above
request 10.1.20.6 www.fine.example.org 203.0.113.6
sleep 2
if [ "$(count_alerts)" -eq 1 ]; then ok; else bad "an unlisted name alerted"; fi
# the file changes: read again within a second or two, and the pair
# (settled: familiar, first seen while learning) asked again at once
printf 'fine.example.org  # added\n' >>"$T/lists/iocs.txt"
expect_alert 2 "a list changed" "indicator-match 10.1.20.6 www.fine.example.org high fine.example.org subdomain iocs.txt added"
if log_has "indicators: $T/lists/iocs.txt (plain): 2 entries"; then ok; else bad "no load line after the change"; fi
# a reload naming a file that is not there: refused, the old lists stay
write_config yes
kill -HUP "$daemon_pid"
if wait_for 10 grep -q "reload failed, keeping the running configuration: $T/exfild.yaml:[0-9]*:[0-9]*: indicators.file: $T/lists/feodo.csv: No such file or directory" "$T/daemon.log"; then ok
else bad "reload with a missing list"; cat "$T/daemon.log"; fi
request 10.1.20.7 example.net 203.0.113.5
expect_alert 3 "old lists after a failed reload" "indicator-match 10.1.20.7 example.net high example.net name iocs.txt C2 domain"
# the file made, reloaded: the Feodo list's address, its severity
printf '"first_seen_utc","dst_ip","dst_port","malware"\n"2024-01-01 00:00:00","192.0.2.77","447","Dridex"\n' >"$T/lists/feodo.csv"
chmod 644 "$T/lists/feodo.csv"
kill -HUP "$daemon_pid"
if wait_for 10 log_has "reload: $T/exfild.yaml applied"; then ok; else bad "reload"; cat "$T/daemon.log"; fi
request 10.1.20.8 192.0.2.77 192.0.2.77
expect_alert 4 "a reload adds a list" "indicator-match 10.1.20.8  critical 192.0.2.77 address feodo.csv Dridex"
# the plain list's file vanishes: said once, its entries kept
rm "$T/lists/iocs.txt"
if wait_for 10 log_has "indicators: $T/lists/iocs.txt: No such file or directory (keeping its 2 entries)"; then ok
else bad "a vanished list"; cat "$T/daemon.log"; fi
request 10.1.20.9 www.c2.example.net 203.0.113.5
expect_alert 5 "a vanished list's entries kept" "indicator-match 10.1.20.9 www.c2.example.net high example.net subdomain iocs.txt C2 domain"
if [ "$(grep -c "iocs.txt: No such file" "$T/daemon.log")" -eq 1 ]; then ok; else bad "the vanished file said more than once"; fi
kill -TERM "$daemon_pid"
wait "$daemon_pid"; rc=$?
daemon_pid=
if [ "$rc" -eq 0 ]; then ok; else bad "daemon exit $rc"; cat "$T/daemon.log"; fi

tally indicators "$pass" "$fail"
[ "$fail" -eq 0 ]
