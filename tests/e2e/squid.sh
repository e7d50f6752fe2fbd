#!/bin/sh
# A real Squid end to end (issue 5): squid (the distribution's package) runs
# with a config of ours on loopback, in front of small origin servers
# (tests/e2e/squid_httpd.py) on 127.0.0.2 ("abroad", HK in a geo file of
# ours) and 127.0.0.3 ("at home", JP); the client 127.0.0.1 is the one
# internal host. Squid's own hosts_file gives the destinations their names.
# curl, through the proxy with basic auth (basic_fake_auth: any user),
# first downloads from a foreign and a domestic host (the learning period,
# baseline.learn: 2s of Squid's real time stamps), then uploads to a new
# foreign host, in parts to another, to a new domestic host and to the
# familiar foreign one, downloads a large file from abroad, uploads through
# a CONNECT tunnel, and makes a 407 (no credentials) and a 503 (closed
# port); the first upload's user name has blanks, which Squid logs as they
# are. Squid writes the same traffic twice: our logformat with %>st, and
# its native format. Checks: the replay of the first gives exactly the
# expected bulk-upload alerts, with bytes_out equal to the log's own %>st
# (summed where the window sums), the user (as Squid logged it), the
# source, the time and the countries; every line is a record; the daemon (as root: -u proxy, the
# group that may read squid's logs) following the log while squid writes
# it gives the same alerts; the native log gives the start-up warning that
# uploads cannot be measured, no alert, and the same destinations.
# Exit 0 pass, 1 fail, 77 skipped (squid, curl, python3 or jq missing: as
# root, a missing squid is apt-get installed first).
set -u
BUILD=${BUILD:-build}
EXFILD="$(pwd)/$BUILD/exfild"
FORMAT='%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt'
SPACED_USER='J. "Q" Döe' # basic auth; Squid logs it lowercased, UTF-8 %-encoded

# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
skip() { skip_all squid "$@"; }
[ -x "$EXFILD" ] || skip "$EXFILD not built"
if ! command -v squid >/dev/null 2>&1; then
	# Debian and Ubuntu put it in /usr/sbin, outside a user's PATH
	PATH=$PATH:/usr/sbin:/sbin
	if ! command -v squid >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] &&
	    command -v apt-get >/dev/null 2>&1; then
		echo "squid: installing the squid package (apt-get)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q squid \
		    >/dev/null 2>&1
	fi
fi
command -v squid >/dev/null 2>&1 || skip "squid not installed (apt-get install squid)"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
command -v jq >/dev/null 2>&1 || skip "jq not installed"
FAKE_AUTH=
for f in /usr/lib/squid/basic_fake_auth /usr/lib64/squid/basic_fake_auth \
    /usr/libexec/squid/basic_fake_auth; do
	[ -x "$f" ] && FAKE_AUTH=$f && break
done
[ -n "$FAKE_AUTH" ] || skip "squid's basic_fake_auth helper not found"

T=$(mktemp -d)
chmod 755 "$T" # squid runs as its own user
pass=0; fail=0
squid_pid=; httpd_pid=; daemon_pid=
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "squid FAIL: $*"; }
cleanup() {
	[ -n "$squid_pid" ] && kill "$squid_pid" 2>/dev/null && wait "$squid_pid" 2>/dev/null
	[ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- the origin servers: "abroad" on 127.0.0.2, "at home" on 127.0.0.3 ----
python3 tests/e2e/squid_httpd.py "$T/httpd.port" 127.0.0.2 127.0.0.3 2>"$T/httpd.err" &
httpd_pid=$!
wait_for 10 test -s "$T/httpd.port" || { cat "$T/httpd.err"; skip "cannot listen on 127.0.0.2 and 127.0.0.3"; }
HP=$(cat "$T/httpd.port")

# ---- squid: our config, no cache, two access logs, names from our hosts file ----
SP=$(free_port)
mkdir "$T/squid"
cat >"$T/squid/hosts" <<EOF
127.0.0.2 www.hk-news.test files.hk-drop.test sync.hk-drop.test mirror.hk-cdn.test vault.hk-tunnel.test
127.0.0.3 intranet.jp-home.test backup.jp-dc.test
EOF
{
	echo "http_port 127.0.0.1:$SP"
	echo "pid_filename $T/squid/squid.pid"
	echo "cache_log $T/squid/cache.log"
	echo "coredump_dir $T/squid"
	echo "cache deny all"
	echo "cache_mem 8 MB"
	echo "logformat exfild $FORMAT"
	echo "access_log stdio:$T/squid/access.log exfild"
	echo "access_log stdio:$T/squid/native.log squid"
	echo "buffered_logs off"
	echo "logfile_rotate 0"
	echo "hosts_file $T/squid/hosts"
	echo "dns_nameservers 127.0.0.1"
	echo "auth_param basic program $FAKE_AUTH"
	echo "auth_param basic children 1"
	echo "acl users proxy_auth REQUIRED"
	echo "http_access deny !localhost"
	echo "http_access allow users"
	echo "http_access deny all"
	echo "shutdown_lifetime 0 seconds"
	echo "netdb_filename none"
	echo "pinger_enable off"
	# as root, squid drops to its own user: it must write its files
	[ "$(id -u)" -eq 0 ] && getent passwd proxy >/dev/null && echo "cache_effective_user proxy"
} >"$T/squid/squid.conf"
[ "$(id -u)" -eq 0 ] && getent passwd proxy >/dev/null && chown -R proxy "$T/squid"
squid -k parse -f "$T/squid/squid.conf" >"$T/parse.log" 2>&1 ||
	{ tail -20 "$T/parse.log"; skip "squid -k parse rejects our config (squid $(squid -v | head -1))"; }
squid -N -f "$T/squid/squid.conf" >"$T/squid.out" 2>&1 &
squid_pid=$!
if ! wait_for 20 grep -q "Accepting HTTP Socket connections" "$T/squid/cache.log" 2>/dev/null; then
	tail -20 "$T/squid/cache.log" "$T/squid.out" 2>/dev/null
	bad "squid did not start"
	exit 1
fi

# ---- exfild: our geo, the client as the only internal host ----
printf '127.0.0.2/32,HK\n127.0.0.3/32,JP\n' >"$T/geo.csv"
cat >"$T/exfild.yaml" <<EOF
sensor: squid-e2e
networks:
  internal: [127.0.0.1/32]
geo:
  home: [JP]
  databases: [$T/geo.csv]
baseline:
  learn: 2s
  # every client here is 127.0.0.1 and learning lasts 2 s: one host on
  # one day is enough (the default needs 2 hosts or 2 days)
  min_hosts: 1
rules:
  window: 1h
  suppress: 1h
  bulk_upload: { bytes: 2MB, min_ratio: 3, severity: high }
  compressed_upload: { bytes: 1MB, severity: critical }
  # the traffic is made now, at the wall clock: off-hours would fire or not
  # by the time of day the test runs (tests/unit/test_rule_off_hours.c and
  # tests/e2e/week.sh test it on fixed times)
  off_hours: { enabled: false }
EOF
# The daemon follows squid's log while squid writes it: it runs as proxy,
# the user whose group may read squid's logs (mode 0640)
DAEMON_USER=
[ "$(id -u)" -eq 0 ] && getent passwd proxy >/dev/null && DAEMON_USER=proxy
if [ -n "$DAEMON_USER" ]; then
	mkdir "$T/out"
	chown "$DAEMON_USER" "$T/out"
	{
		cat "$T/exfild.yaml"
		echo "daemon:"
		echo "  state_dir: $T/out"
		echo "stats:"
		echo "  interval: 0"
		echo "logs:"
		echo "  - follow: $T/squid/access.log"
		echo "    format: \"squid:$FORMAT\""
		echo "outputs:"
		echo "  - file: { path: $T/out/alerts.json, format: json }"
	} >"$T/daemon.yaml"
	chmod 644 "$T/geo.csv" "$T/daemon.yaml"
	"$EXFILD" -f -u "$DAEMON_USER" -c "$T/daemon.yaml" 2>"$T/daemon.log" &
	daemon_pid=$!
	wait_for 10 grep -q "logs: following" "$T/daemon.log" ||
		{ bad "the daemon did not start"; cat "$T/daemon.log"; }
fi

# ---- the traffic ----
head -c 3000000 /dev/urandom >"$T/3MB"
head -c 1000000 /dev/urandom >"$T/1MB"
# through USER URL [curl options...]: 0 when the origin answered 200
through() {
	user=$1; url=$2; shift 2
	code=$(curl -sS -o "$T/body" -w '%{http_code}' --max-time 30 \
	    -x "http://127.0.0.1:$SP" -U "$user:secret" "$@" "$url" 2>"$T/curl.err")
	[ "$code" = 200 ] && return 0
	bad "curl $* $url through squid: HTTP '$code' $(cat "$T/curl.err")"
	return 1
}
# learning: a foreign and a domestic host become familiar
through alice "http://www.hk-news.test:$HP/dl?size=20000"
through alice "http://intranet.jp-home.test:$HP/dl?size=20000"
sleep 3 # baseline.learn: 2s from the first line's time stamp
# after it:
through "$SPACED_USER" "http://files.hk-drop.test:$HP/up" --data-binary "@$T/3MB"
through alice "http://backup.jp-dc.test:$HP/up" --data-binary "@$T/3MB"
through alice "http://www.hk-news.test:$HP/up" --data-binary "@$T/3MB"
through alice "http://mirror.hk-cdn.test:$HP/dl?size=5000000"
through carol "http://sync.hk-drop.test:$HP/part1" -T "$T/1MB"
through carol "http://sync.hk-drop.test:$HP/part2" -T "$T/1MB"
through carol "http://sync.hk-drop.test:$HP/part3" -T "$T/1MB"
# a CONNECT tunnel (plain HTTP inside: the proxy sees only bytes)
through bob "http://vault.hk-tunnel.test:$HP/up" --proxytunnel --data-binary "@$T/3MB"
if grep -q "^got 3000000$" "$T/body"; then ok; else bad "the tunnelled upload did not arrive"; fi
# lines that are not a 200: no credentials (407, no server address), and
# a port where nothing listens (503)
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -x "http://127.0.0.1:$SP" \
    "http://denied.hk-drop.test:$HP/" 2>"$T/curl.err")
if [ "$code" = 407 ]; then ok; else bad "no credentials: HTTP '$code', want 407"; fi
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -x "http://127.0.0.1:$SP" \
    -U alice:secret "http://intranet.jp-home.test:1/" 2>"$T/curl.err")
if [ "$code" = 503 ]; then ok; else bad "closed port: HTTP '$code', want 503"; fi

kill "$squid_pid"
wait "$squid_pid"
squid_pid=
LOG=$T/squid/access.log
NATIVE=$T/squid/native.log
if [ "$(wc -l <"$LOG")" -eq 12 ] && [ "$(wc -l <"$NATIVE")" -eq 12 ]; then ok
else bad "squid logged $(wc -l <"$LOG") and $(wc -l <"$NATIVE") lines, want 12"; cat "$LOG"; exit 1; fi

# ---- the replay of squid's log ----
"$EXFILD" -c "$T/exfild.yaml" --log-format "squid:$FORMAT" -l "$LOG" \
    >"$T/alerts.json" 2>"$T/replay.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "replay exit status $rc"; cat "$T/replay.err"; fi
if grep -q "^exfild: logs: lines=12 records=12 headers=0 rejected=0 " "$T/replay.err"; then ok
else bad "replay summary: $(grep 'logs:' "$T/replay.err")"; fi
if grep -q "cannot be measured" "$T/replay.err"; then bad "upload warning for a log with %>st"; else ok; fi

# the expected alerts, from the log itself: field 6 is %>st, 8 the URL
up_of() { awk -v u="$1" '$8 == u {print $6}' "$LOG"; }
files_up=$(up_of "http://files.hk-drop.test:$HP/up")
# the user as squid logged it: the fields between the URL and the last two
files_user=$(awk -v u="http://files.hk-drop.test:$HP/up" '$8 == u {
    s = $9; for (i = 10; i <= NF - 2; i++) s = s " " $i; print s }' "$LOG")
case $files_user in
*" "*) ok ;;
*) bad "squid logged user '$files_user' for '$SPACED_USER', want blanks in it"; cat "$LOG" ;;
esac
# the parts add up: the second one crosses 2 MB
sync_up=$(($(up_of "http://sync.hk-drop.test:$HP/part1") + $(up_of "http://sync.hk-drop.test:$HP/part2")))
vault_up=$(up_of "vault.hk-tunnel.test:$HP")
if [ "${files_up:-0}" -gt 3000000 ] && [ "${vault_up:-0}" -gt 3000000 ] &&
    [ "$sync_up" -gt 2000000 ]; then ok
else bad "request sizes in the log: files $files_up, sync $sync_up, vault $vault_up"; cat "$LOG"; fi
ts_of() { awk -v u="$1" '$8 == u {print $1}' "$LOG"; }
iso() { python3 -c 'import sys, time; t = float(sys.argv[1]); print(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % round(t % 1 * 1000))' "$1"; }
cat >"$T/want" <<EOF
bulk-upload high squid-log squid-e2e 127.0.0.1 $files_user 127.0.0.2 $HP files.hk-drop.test HK proxy $files_up 1 $(iso "$(ts_of "http://files.hk-drop.test:$HP/up")")
bulk-upload high squid-log squid-e2e 127.0.0.1 carol 127.0.0.2 $HP sync.hk-drop.test HK proxy $sync_up 2 $(iso "$(ts_of "http://sync.hk-drop.test:$HP/part2")")
bulk-upload high squid-log squid-e2e 127.0.0.1 bob 127.0.0.2 $HP vault.hk-tunnel.test HK proxy $vault_up 1 $(iso "$(ts_of "vault.hk-tunnel.test:$HP")")
EOF
jq -r 'select(.kind == "alert") | [.rule, .severity, .source, .sensor, .src, .src_user, .dst, .dst_port, .dst_host,
    .dst_country, .via, .bytes_out, .flows, .ts] | map(tostring) | join(" ")' \
    "$T/alerts.json" >"$T/got" 2>"$T/jq.err"
if cmp -s "$T/want" "$T/got"; then ok
else bad "alerts differ (want, got):"; diff "$T/want" "$T/got"; cat "$T/jq.err" "$LOG"; fi

# the daemon that followed the log as squid wrote it: the same alerts
if [ -n "$DAEMON_USER" ]; then
	daemon_has() { [ "$(wc -l <"$T/out/alerts.json" 2>/dev/null || echo 0)" -ge 3 ]; }
	wait_for 5 daemon_has
	kill -USR1 "$daemon_pid"
	wait_for 5 grep -q "stats: logs $LOG: " "$T/daemon.log"
	if grep -q "stats: logs $LOG: lines=12 records=12 headers=0 rejected=0" "$T/daemon.log"; then ok
	else bad "daemon stats: $(grep "stats: logs" "$T/daemon.log")"; fi
	# SIGUSR2: the pairs table to the outputs, "kind":"pair" rows with the
	# daemon's sensor, each as the replay's --pairs row of the same log
	# (none before the signal: the control)
	pair_rows() { jq -c 'select(.kind == "pair") | del(.ts, .sensor)' "$T/out/alerts.json"; }
	if [ -z "$(pair_rows)" ]; then ok; else bad "pair rows before SIGUSR2"; fi
	"$EXFILD" -c "$T/exfild.yaml" --log-format "squid:$FORMAT" -l "$LOG" --pairs 2>/dev/null |
	    jq -c 'select(.kind == "pair")' >"$T/pairs.want"
	kill -USR2 "$daemon_pid"
	wait_for 5 grep -q "pairs: [0-9]* rows written to the outputs (SIGUSR2)" "$T/daemon.log"
	pair_rows >"$T/pairs.got"
	if [ "$(wc -l <"$T/pairs.want")" -ge 5 ] && cmp -s "$T/pairs.want" "$T/pairs.got" &&
	    grep -q "pairs: $(wc -l <"$T/pairs.want") rows written to the outputs (SIGUSR2)" "$T/daemon.log" &&
	    [ "$(jq -r 'select(.kind == "pair") | .sensor' "$T/out/alerts.json" | sort -u)" = "squid-e2e" ]; then ok
	else bad "SIGUSR2 pairs (want, got):"; diff "$T/pairs.want" "$T/pairs.got"; grep pairs "$T/daemon.log"; fi
	# report.pairs_interval, set by a reload: the table again every second
	# (0 before: none came without the signal, above)
	printf 'report:\n  pairs_interval: 1s\n' >>"$T/daemon.yaml"
	kill -HUP "$daemon_pid"
	n_want=$(wc -l <"$T/pairs.want")
	timed() { [ "$(grep -c "pairs: $n_want rows written to the outputs (report.pairs_interval)" "$T/daemon.log")" -ge 2 ]; }
	if wait_for 5 timed; then ok; else bad "report.pairs_interval: $(grep 'pairs:' "$T/daemon.log")"; fi
	kill "$daemon_pid"; wait "$daemon_pid"; rc=$?
	daemon_pid=
	if [ "$rc" -eq 0 ]; then ok; else bad "daemon exit status $rc"; cat "$T/daemon.log"; fi
	jq -r 'select(.kind == "alert") | [.rule, .severity, .source, .sensor, .src, .src_user, .dst, .dst_port, .dst_host,
	    .dst_country, .via, .bytes_out, .flows, .ts] | map(tostring) | join(" ")' \
	    "$T/out/alerts.json" >"$T/got" 2>"$T/jq.err"
	if cmp -s "$T/want" "$T/got"; then ok
	else bad "the daemon's alerts differ (want, got):"; diff "$T/want" "$T/got"; cat "$T/daemon.log"; fi
	# the daemon's log line of each alert names the destination (name,
	# address, country) as well as the source: exactly, from its record
	jq -r 'select(.kind == "alert") | "exfild: alert \(.id): rule=\(.rule) severity=\(.severity) src=\(.src) dst=\(.dst_host) (" +
	    (if .dst != "" then "\(.dst), " else "" end) + "\(.dst_country)) bytes_out=\(.bytes_out)"' \
	    "$T/out/alerts.json" >"$T/log.want"
	grep '^exfild: alert ' "$T/daemon.log" >"$T/log.got"
	if [ "$(wc -l <"$T/log.want")" -eq 3 ] && cmp -s "$T/log.want" "$T/log.got" &&
	    grep -q ' dst=files.hk-drop.test (127.0.0.2, HK) ' "$T/log.got"; then ok
	else bad "the daemon's alert log lines (want, got):"; diff "$T/log.want" "$T/log.got"; fi
	if grep -qi "sanitizer\|runtime error" "$T/daemon.log"; then bad "daemon log:"; cat "$T/daemon.log"; else ok; fi
fi

# every destination in its country (the one squid never reached unknown)
"$EXFILD" -c "$T/exfild.yaml" --log-format "squid:$FORMAT" -l "$LOG" --pairs 2>/dev/null |
    jq -r 'select(.kind == "pair") | [.dst_host, .dst, .dst_country] | join(" ")' | sort >"$T/got"
cat >"$T/want" <<EOF
backup.jp-dc.test 127.0.0.3 JP
denied.hk-drop.test  ??
files.hk-drop.test 127.0.0.2 HK
intranet.jp-home.test 127.0.0.3 JP
mirror.hk-cdn.test 127.0.0.2 HK
sync.hk-drop.test 127.0.0.2 HK
vault.hk-tunnel.test 127.0.0.2 HK
www.hk-news.test 127.0.0.2 HK
EOF
if cmp -s "$T/want" "$T/got"; then ok; else bad "pairs differ (want, got):"; diff "$T/want" "$T/got"; fi

# ---- the native format of the same traffic: a warning, no alert ----
"$EXFILD" -c "$T/exfild.yaml" --log-format squid -l "$NATIVE" >"$T/native.json" 2>"$T/native.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "native replay exit status $rc"; cat "$T/native.err"; fi
if [ "$(grep -c "uploads cannot be measured" "$T/native.err")" -eq 1 ]; then ok
else bad "no (or more than one) warning that uploads cannot be measured"; cat "$T/native.err"; fi
if [ ! -s "$T/native.json" ]; then ok; else bad "alerts from the native log:"; cat "$T/native.json"; fi
if grep -q "^exfild: logs: lines=12 records=12 headers=0 rejected=0 " "$T/native.err"; then ok
else bad "native summary: $(grep 'logs:' "$T/native.err")"; fi
# destinations still learned: the same seven, with their reply sizes
"$EXFILD" -c "$T/exfild.yaml" -l "$NATIVE" --pairs 2>/dev/null |
    jq -r 'select(.rule == null) | [.dst_host, .dst, .dst_country] | join(" ")' | sort >"$T/got"
if cmp -s "$T/want" "$T/got"; then ok; else bad "native pairs differ (want, got):"; diff "$T/want" "$T/got"; fi
down=$(awk -v u="http://mirror.hk-cdn.test:$HP/dl?" '$7 == u {print $5}' "$NATIVE")
got=$("$EXFILD" -c "$T/exfild.yaml" -l "$NATIVE" --pairs 2>/dev/null |
    jq -r 'select(.dst_host == "mirror.hk-cdn.test") | "\(.bytes_out) \(.bytes_in)"')
if [ "$got" = "0 $down" ] && [ "${down:-0}" -gt 5000000 ]; then ok
else bad "native mirror.hk-cdn.test bytes '$got', want '0 $down'"; fi

if grep -qi "sanitizer\|runtime error" "$T/replay.err" "$T/native.err"; then
	bad "sanitizer report"; cat "$T/replay.err" "$T/native.err"
else ok; fi

tally squid "$pass" "$fail"
[ "$fail" -eq 0 ]
