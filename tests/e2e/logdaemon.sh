#!/bin/sh
# The daemon on proxy logs end to end (issue 5). One daemon (root, then
# -u nobody) with three log sources and nothing to capture:
# (a) follow: a writer that keeps its descriptor open like Squid
#     (tests/e2e/logdaemon_writer.py) appends 5000 known Squid lines (some
#     writes end mid-line) to an empty followed file while this script
#     rotates it again and again, by rename (logrotate "create", or the
#     writer making the new file when told to reopen, and still writing to
#     the old one until then) and by truncation (copytruncate, done while
#     the writer pauses at a line boundary and after the daemon has read
#     what was written: lines written between a copy and its truncation
#     are lost to any follower). SIGUSR1's stats must then say lines=5000
#     records=5000 exactly (no line lost or read twice), and the alerts be
#     exactly the story's (tests/e2e/logdaemon_lines.py): the line that
#     crosses the threshold names the alert's time and bytes, so a lost or
#     doubled line shows there too. Each rename and truncation is logged
#     once; a reload (SIGHUP, same file) midway changes nothing; a fourth
#     source in Squid's native format gets the one start-up warning that
#     uploads cannot be measured.
# (b) syslog: a real rsyslogd (config of ours) reads two more files with
#     imfile and forwards them with omfwd, one over UDP (RFC 3164), one
#     over TCP with octet-counting (RFC 6587, RFC 5424 messages), to the
#     daemon's two listeners: lines=300 records=300 on each, and their
#     alerts. Loopback only. Exit 0 pass, 1 fail, 77 skipped.
set -u
BUILD=${BUILD:-build}
EXFILD="$(pwd)/$BUILD/exfild"
E2E="$(pwd)/tests/e2e"
FORMAT='%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt'
FOLLOW_LINES=5000 # logdaemon_lines.py's story
SYSLOG_LINES=300

# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
skip() { skip_all logdaemon "$@"; }
[ -x "$EXFILD" ] || skip "$EXFILD not built"
[ "$(id -u)" -eq 0 ] || skip "needs root (the daemon starts as root and drops to nobody)"
getent passwd nobody >/dev/null || skip "no user nobody"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
command -v jq >/dev/null 2>&1 || skip "jq not installed"
PATH=$PATH:/usr/sbin:/sbin
if ! command -v rsyslogd >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
	echo "logdaemon: installing the rsyslog package (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsyslog >/dev/null 2>&1
fi
command -v rsyslogd >/dev/null 2>&1 || skip "rsyslogd not installed (apt-get install rsyslog)"

T=$(mktemp -d)
chmod 755 "$T"
pass=0; fail=0
daemon_pid=; writer_pid=; rsyslog_pid=; udp_writer_pid=; tcp_writer_pid=
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "logdaemon FAIL: $*"; }
cleanup() {
	for p in $writer_pid $udp_writer_pid $tcp_writer_pid $rsyslog_pid $daemon_pid; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

free_port() { # udp|tcp
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
log_has() { grep -q "$1" "$T/daemon.log"; }
# the newest stats line of a source (after a SIGUSR1): "lines=N records=N ..."
stats_of() { grep "stats: logs $1: " "$T/daemon.log" | tail -1 | sed 's/.*stats: logs [^ ]*: //'; }
# stats_say SOURCE TEXT: asks for stats, true when the source's newest line starts with TEXT
stats_say() {
	kill -USR1 "$daemon_pid"
	sleep 0.1
	case "$(stats_of "$1")" in "$2"*) return 0 ;; esac
	return 1
}
alerts_json() { cat "$T/out/alerts.json" 2>/dev/null; }
count_alerts() { alerts_json | wc -l | tr -d ' '; }
has_alerts() { [ "$(count_alerts)" -ge "$1" ]; }
# the fields compared, as logdaemon_lines.py alerts prints them
alert_rows() {
	alerts_json | jq -r '[.rule, .src, (.src_user // "-"), .dst_host, .dst_country,
	    (.bytes_out | tostring), .ts] | join(" ")'
}

# ---- the daemon: three log sources, alerts to a file nobody can write ----
mkdir -p "$T/logs" "$T/out" "$T/conf" "$T/rs/work" "$T/w" "$T/wu" "$T/wt"
UDP_PORT=$(free_port udp)
TCP_PORT=$(free_port tcp)
UDP="udp://127.0.0.1:$UDP_PORT"
TCP="tcp://127.0.0.1:$TCP_PORT"
LOG=$T/logs/access.log
: >"$LOG"
cp conf/geo-sample.csv "$T/conf/"
cat >"$T/conf/exfild.yaml" <<EOF
sensor: logdaemon-e2e
networks:
  internal: [10.0.0.0/8]
geo:
  home: [JP]
  databases: [$T/conf/geo-sample.csv]
baseline:
  learn: 10s
rules:
  window: 1h
  suppress: 1h
  eval_interval: 1s
  bulk_upload: { bytes: 2MB, min_ratio: 3, severity: high }
  compressed_upload: { bytes: 1MB, severity: critical }
  # the traffic is made now, at the wall clock: off-hours would fire or not
  # by the time of day the test runs (tests/unit/test_rule_off_hours.c and
  # tests/e2e/week.sh test it on fixed times)
  off_hours: { enabled: false }
daemon:
  state_dir: $T/out
stats:
  interval: 0
logs:
  - follow: $LOG
    format: "squid:$FORMAT"
  - listen: "$UDP"
    format: "squid:$FORMAT"
  - listen: "$TCP"
    format: "squid:$FORMAT"
  - follow: $T/logs/native.log
    format: squid
outputs:
  - file: { path: $T/out/alerts.json, format: json }
EOF
chown nobody "$T/out"
chmod 755 "$T/logs" "$T/conf"; chmod 644 "$T/conf"/* "$LOG"
# Log time: the story starts 100 s ago (a followed log is near real time)
T0=$(($(date +%s) - 100))

"$EXFILD" -f -u nobody -c "$T/conf/exfild.yaml" 2>"$T/daemon.log" &
daemon_pid=$!
if wait_for 10 log_has "logs: listening on $TCP"; then ok
else bad "the daemon did not start its log sources"; cat "$T/daemon.log"; exit 1; fi
if log_has "logs: following $LOG (squid:" && log_has "logs: listening on $UDP (squid:"; then ok
else bad "follow or udp source not started"; cat "$T/daemon.log"; fi
uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$daemon_pid/status")
want=$(id -u nobody); want="$want$want$want$want"
if [ "$uid" = "$want" ]; then ok; else bad "running as uid '$uid', want nobody ($want)"; fi
# the native format, once, and only for the source that has it
if [ "$(grep -c "cannot be measured" "$T/daemon.log")" -eq 1 ] &&
    log_has "$T/logs/native.log: the Squid native format logs reply sizes only: uploads cannot be measured"; then ok
else bad "want one warning, for native.log, that uploads cannot be measured:"; cat "$T/daemon.log"; fi

# ---- (a) follow, rotated under the writer ----
python3 -B "$E2E/logdaemon_writer.py" follow "$LOG" "$T0" "$T/w" 25 30 2>"$T/writer.err" &
writer_pid=$!
renames=0; truncations=0; round=0
while [ ! -f "$T/w/done" ] && kill -0 "$writer_pid" 2>/dev/null; do
	sleep 0.5
	[ -f "$T/w/done" ] && break
	round=$((round + 1))
	# once, a reload with the same file: the sources keep their place
	[ "$round" -eq 4 ] && kill -HUP "$daemon_pid"
	case $((round % 3)) in
	1) # logrotate "create": rename, a new empty file, then the writer reopens
		mv "$LOG" "$LOG.$round"
		: >"$LOG"; chmod 644 "$LOG"
		sleep 0.2 # the writer still writes to the renamed file
		kill -HUP "$writer_pid" 2>/dev/null # (unless it has just finished)
		renames=$((renames + 1)) ;;
	2) # rename alone: the writer makes the new file when it reopens
		mv "$LOG" "$LOG.$round"
		sleep 0.2
		kill -HUP "$writer_pid" 2>/dev/null # (unless it has just finished)
		renames=$((renames + 1)) ;;
	0) # copytruncate, at a line boundary, once the daemon has read it all
		rm -f "$T/w/paused"
		kill -USR1 "$writer_pid"
		if ! wait_for 5 test -f "$T/w/paused"; then bad "writer did not pause"; break; fi
		written=$(cat "$T/w/paused")
		if ! wait_for 10 stats_say "$LOG" "lines=$written "; then
			bad "before truncation $round: written $written, daemon: $(stats_of "$LOG")"
		fi
		cp "$LOG" "$LOG.copy$round"
		: >"$LOG"
		rm -f "$T/w/paused"
		kill -USR2 "$writer_pid"
		truncations=$((truncations + 1)) ;;
	esac
done
wait "$writer_pid"; rc=$?
writer_pid=
if [ "$rc" -eq 0 ] && [ "$(cat "$T/w/done" 2>/dev/null)" = "$FOLLOW_LINES" ]; then ok
else bad "writer: exit $rc, done '$(cat "$T/w/done" 2>/dev/null)'"; cat "$T/writer.err"; fi
if [ "$renames" -ge 3 ] && [ "$truncations" -ge 2 ]; then ok
else bad "only $renames renames and $truncations truncations while writing"; fi
if [ "$round" -lt 4 ] || log_has "reload: $T/conf/exfild.yaml applied"; then ok; else bad "no reload"; fi
# every line written is in the files (rotated ones, and the current one
# since the last truncation), so the daemon must have seen each once
want="lines=$FOLLOW_LINES records=$FOLLOW_LINES headers=0 rejected=0"
if wait_for 15 stats_say "$LOG" "$want"; then ok
else bad "follow stats: '$(stats_of "$LOG")', want '$want ...'"; fi
python3 -B "$E2E/logdaemon_lines.py" alerts follow "$T0" >"$T/want"
nwant=$(wc -l <"$T/want")
if [ "$nwant" -eq 2 ]; then ok; else bad "the story has $nwant follow alerts, not 2"; fi
if wait_for 5 has_alerts "$nwant"; then ok; else bad "follow: $(count_alerts) alerts, want $nwant"; fi
alert_rows >"$T/got"
if cmp -s "$T/want" "$T/got"; then ok
else bad "follow alerts differ (want, got):"; diff "$T/want" "$T/got"; fi
# each rotation seen once, as what it was
got="$(grep -c "$LOG: rotated: reading the new file from the start" "$T/daemon.log") $(grep -c "$LOG: truncated (" "$T/daemon.log")"
if [ "$got" = "$renames $truncations" ]; then ok
else bad "the daemon saw renames and truncations '$got', want '$renames $truncations'"; fi
if [ "$(alerts_json | jq -r '.source' | sort -u)" = squid-log ]; then ok
else bad "alert source: $(alerts_json | jq -r '.source' | sort -u | tr '\n' ' ')"; fi

# ---- (b) rsyslog: imfile -> omfwd UDP (RFC 3164) and TCP (octet-counted RFC 5424) ----
RS=$T/rs
: >"$RS/udp.log"; : >"$RS/tcp.log"
cat >"$RS/rsyslog.conf" <<EOF
global(workDirectory="$RS/work")
module(load="imfile" mode="inotify")
input(type="imfile" file="$RS/udp.log" tag="squid:" facility="local4"
      severity="info" ruleset="to-udp" freshStartTail="off")
input(type="imfile" file="$RS/tcp.log" tag="squid" facility="local4"
      severity="info" ruleset="to-tcp" freshStartTail="off")
ruleset(name="to-udp") {
  action(type="omfwd" target="127.0.0.1" port="$UDP_PORT" protocol="udp")
}
ruleset(name="to-tcp") {
  action(type="omfwd" target="127.0.0.1" port="$TCP_PORT" protocol="tcp"
         tcp_framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}
EOF
if ! rsyslogd -N1 -f "$RS/rsyslog.conf" >"$T/rsyslog.check" 2>&1; then
	cat "$T/rsyslog.check"
	bad "rsyslogd -N1 rejects our config"
else
	rsyslogd -n -f "$RS/rsyslog.conf" -i "$RS/pid" >"$T/rsyslog.log" 2>&1 &
	rsyslog_pid=$!
	# paced (20 lines per 20 ms): UDP on loopback may drop a burst
	python3 -B "$E2E/logdaemon_writer.py" udp "$RS/udp.log" "$T0" "$T/wu" 20 20 2>"$T/wu.err" &
	udp_writer_pid=$!
	python3 -B "$E2E/logdaemon_writer.py" tcp "$RS/tcp.log" "$T0" "$T/wt" 20 20 2>"$T/wt.err" &
	tcp_writer_pid=$!
	wait "$udp_writer_pid" || bad "udp writer: $(cat "$T/wu.err")"
	wait "$tcp_writer_pid" || bad "tcp writer: $(cat "$T/wt.err")"
	udp_writer_pid=; tcp_writer_pid=
	want="lines=$SYSLOG_LINES records=$SYSLOG_LINES headers=0 rejected=0"
	if wait_for 15 stats_say "$UDP" "$want"; then ok
	else bad "udp stats: '$(stats_of "$UDP")', want '$want ...'"; cat "$T/rsyslog.log"; fi
	if wait_for 5 stats_say "$TCP" "$want"; then ok
	else bad "tcp stats: '$(stats_of "$TCP")', want '$want ...'"; cat "$T/rsyslog.log"; fi
	# the follow alerts first, then the two listeners' in either order
	for k in udp tcp; do
		python3 -B "$E2E/logdaemon_lines.py" alerts $k "$T0"
	done | sort >>"$T/want"
	nwant=$(wc -l <"$T/want")
	if [ "$nwant" -eq 4 ]; then ok; else bad "the story has $nwant alerts, not 4"; fi
	if wait_for 5 has_alerts "$nwant"; then ok; else bad "syslog: $(count_alerts) alerts, want $nwant"; fi
	alert_rows >"$T/rows"
	{ head -2 "$T/rows"; tail -n +3 "$T/rows" | sort; } >"$T/got"
	if cmp -s "$T/want" "$T/got"; then ok
	else bad "alerts differ (want, got):"; diff "$T/want" "$T/got"; fi
	# still exactly the follow source's lines
	want="lines=$FOLLOW_LINES records=$FOLLOW_LINES headers=0 rejected=0"
	case "$(stats_of "$LOG")" in "$want"*) ok ;; *) bad "follow stats now '$(stats_of "$LOG")'" ;; esac
	kill "$rsyslog_pid"; wait "$rsyslog_pid"; rsyslog_pid=
fi

# ---- SIGTERM: exit 0, a clean log ----
# (LeakSanitizer says "detected memory leaks"; the log names destinations
# now, and the story's is leak.hk-exfil.example)
kill -TERM "$daemon_pid"
wait "$daemon_pid"; rc=$?
daemon_pid=
if [ "$rc" -eq 0 ]; then ok; else bad "exit status $rc after SIGTERM"; tail -5 "$T/daemon.log"; fi
if grep -qi "sanitizer\|runtime error\|detected memory leaks" "$T/daemon.log"; then bad "daemon log:"; cat "$T/daemon.log"; else ok; fi

tally logdaemon "$pass" "$fail" "$renames renames, $truncations truncations"
[ "$fail" -eq 0 ]
