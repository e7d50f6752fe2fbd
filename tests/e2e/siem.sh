#!/bin/sh
# Delivery to a SIEM (issue 4), with a real rsyslogd as the SIEM, all in a
# network namespace of our own (its loopback has no other listeners):
#  1. formats: the JAL day replayed --to-outputs over TCP (octet counting)
#     in rfc5424-json/-ecs/-cef/-leef and rfc3164-json; rsyslog's own parse
#     (MSGID, structured data through mmpstrucdata, severity, facility) and
#     the bodies split by siem_parse.py equal the replay's stdout alerts;
#  2. hostile Host names (pcapgen --hostile): every message still parses,
#     dst_host round-trips as each format allows, messages <= max_message,
#     and at max_message 3072 (the least) the 10 KB name is cut with the marker; the
#     same over UDP and TCP (LF framing) on IPv6, a host name, and a unix
#     datagram socket;
#  3. outage: the daemon on a veth pair fed by tcpreplay while rsyslog is
#     stopped, then also restarted mid-outage: every alert id arrives, once
#     after de-duplication, in the order of the daemon's file output;
#  4. a UDP burst of 10,000 alerts (pcapgen --burst): all 10,000 counted.
# Exit 0 pass, 1 fail, 77 skipped (no root, namespaces, rsyslogd or tcpreplay).
set -u
BUILD=${BUILD:-build}
TOP=$(pwd)
EXFILD="$TOP/$BUILD/exfild"
PCAPGEN="$TOP/$BUILD/pcapgen"
PARSE="python3 $TOP/tests/e2e/siem_parse.py"
SPEED=8000
BURST=10000
NS="exfild-siem-$$"
PATH="$PATH:/usr/sbin:/sbin"

# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
skip() { skip_all siem "$@"; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, capture)"
missing=""
command -v rsyslogd >/dev/null 2>&1 || missing="$missing rsyslog"
command -v tcpreplay >/dev/null 2>&1 || missing="$missing tcpreplay"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then
	echo "siem: installing$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $missing >/dev/null 2>&1 ||
	    { apt-get update -qq >/dev/null 2>&1 &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing >/dev/null 2>&1; }
fi
command -v rsyslogd >/dev/null 2>&1 || skip "rsyslogd not installed (apt-get install rsyslog)"
command -v tcpreplay >/dev/null 2>&1 || skip "tcpreplay not installed"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
command -v jq >/dev/null 2>&1 || skip "jq not installed"
getent passwd nobody >/dev/null || skip "no user nobody"
[ -x "$EXFILD" ] && [ -x "$PCAPGEN" ] || { echo "siem: build $EXFILD and $PCAPGEN first"; exit 1; }
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace here"

T=$(mktemp -d)
pass=0; fail=0
daemon_pid=; siem_pid=; outage_pid=
started=$(date +%s)
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "siem FAIL: $*"; }
cleanup() {
	for p in $daemon_pid $siem_pid $outage_pid; do kill "$p" 2>/dev/null; done
	for p in $daemon_pid $siem_pid $outage_pid; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# (background jobs use ip netns exec itself, which execs in place: $! is
# the program, not a subshell)
in_ns() { ip netns exec "$NS" "$@"; }

lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }
listening() { in_ns ss -Hltun "sport = :$1" | grep -q .; }

in_ns ip link set lo up
# IPv6 loopback for the transports run, when the kernel has IPv6
if in_ns ip -6 addr show dev lo 2>/dev/null | grep -q '::1/'; then V6=::1; V6URL='[::1]'
else V6=127.0.0.1; V6URL=127.0.0.1; echo "siem: no IPv6 on loopback: the transports run uses IPv4"; fi

# ---- rsyslog: one input per check, each into its own file ----
# The template keeps rsyslog's view of every message as a JSON line:
# MSGID, the SD text, app, severity, facility, MSG, the raw message and
# mmpstrucdata's parse of the structured data.
props_template() {
	cat <<'EOF'
template(name="props" type="string" string="{\"msgid\":\"%msgid:::json%\",\"sd\":\"%structured-data:::json%\",\"app\":\"%app-name:::json%\",\"sev\":%syslogseverity%,\"fac\":%syslogfacility%,\"msg\":\"%msg:::json%\",\"raw\":\"%rawmsg:::json%\",\"parsed\":\"%$!:::json%\"}\n")
EOF
}
# Ports: runs jal, hostile and hostile1k take TCP 10601-10605, 10611-10615
# and 10621-10625 (json, ecs, cef, leef, 3164, in that order), the
# transports run 10631-10635, the burst UDP 10650; input NAME writes
# recv-NAME.jsonl. The outage rsyslogd (stopped and started) has 10660.
mkdir -p "$T/siem" "$T/outage-siem"
{
	echo "global(workDirectory=\"$T/siem\" maxMessageSize=\"64k\")"
	echo 'module(load="imtcp") module(load="imudp") module(load="mmpstrucdata")'
	port=10600
	for run in jal hostile hostile1k; do
		for f in json ecs cef leef 3164; do
			port=$((port + 1))
			echo "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$port\" name=\"$run-$f\" ruleset=\"siem\")"
		done
		port=$((port + 5))
	done
	echo "input(type=\"imudp\" address=\"127.0.0.1\" port=\"10650\" name=\"burst\" ruleset=\"siem\" rcvbufSize=\"32m\")"
	# the transports run: every format on another transport (below)
	echo "input(type=\"imudp\" address=\"$V6\" port=\"10631\" name=\"transports-json\" ruleset=\"siem\")"
	echo "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"10632\" name=\"transports-ecs\" ruleset=\"siem\")"
	echo "input(type=\"imtcp\" address=\"$V6\" port=\"10634\" name=\"transports-leef\" ruleset=\"siem\")"
	echo "input(type=\"imudp\" address=\"127.0.0.1\" port=\"10635\" name=\"transports-3164\" ruleset=\"siem\")"
	echo 'module(load="imuxsock" SysSock.Use="off")'
	echo "input(type=\"imuxsock\" Socket=\"$T/siem/log.sock\" UseSpecialParser=\"off\" ParseHostname=\"on\" ruleset=\"unix\")"
	props_template
	echo "template(name=\"file\" type=\"string\" string=\"$T/siem/recv-%inputname%.jsonl\")"
	echo 'ruleset(name="siem") { action(type="mmpstrucdata") action(type="omfile" dynaFile="file" template="props") }'
	echo "ruleset(name=\"unix\") { action(type=\"mmpstrucdata\") action(type=\"omfile\" file=\"$T/siem/recv-transports-cef.jsonl\" template=\"props\") }"
} >"$T/siem.conf"
{
	echo "global(workDirectory=\"$T/outage-siem\" maxMessageSize=\"64k\")"
	echo 'module(load="imtcp") module(load="mmpstrucdata")'
	echo 'input(type="imtcp" address="127.0.0.1" port="10660" ruleset="siem")'
	props_template
	echo "ruleset(name=\"siem\") { action(type=\"mmpstrucdata\") action(type=\"omfile\" file=\"$T/outage-siem/recv.jsonl\" template=\"props\") }"
} >"$T/outage-siem.conf"
if ! rsyslogd -N1 -f "$T/siem.conf" >"$T/rsyslog-check.log" 2>&1; then
	grep -qi "could not load module" "$T/rsyslog-check.log" &&
	    skip "rsyslogd lacks a module: $(grep -i 'could not load' "$T/rsyslog-check.log" | head -1)"
	bad "rsyslogd rejects the test's configuration:"; cat "$T/rsyslog-check.log"; exit 1
fi

ip netns exec "$NS" rsyslogd -n -f "$T/siem.conf" -i "$T/siem/pid" >"$T/siem/rsyslogd.log" 2>&1 &
siem_pid=$!
wait_for 10 listening 10601 && wait_for 5 listening 10650 && wait_for 5 test -S "$T/siem/log.sock" ||
    { bad "rsyslogd did not start"; cat "$T/siem/rsyslogd.log"; exit 1; }

# ---- configs: conf/demo.yaml's thresholds, plus syslog outputs ----
# replay_config STATE_DIR FIRST_PORT MAX_MESSAGE
replay_config() {
	config_copy conf/demo.yaml
	echo "daemon: { state_dir: $1 }"
	echo "outputs:"
	p=$2
	for f in json ecs cef leef; do
		echo "  - syslog: { target: \"tcp://127.0.0.1:$p\", format: rfc5424-$f, name: $f, max_message: $3 }"
		p=$((p + 1))
	done
	echo "  - syslog: { target: \"tcp://127.0.0.1:$p\", format: rfc3164-json, name: old, max_message: $3, facility: local6 }"
}

# ---- checks shared by the replay runs ----
# The alert fields as each format carries them (siem_parse.py's "split"),
# computed from the replay's stdout JSON: what each part must say. The
# RFC 3164 outputs are configured with facility local6 (22), the rest
# keep the default local4 (20).
JQ_EXPECT='
def sevnum: {"critical": 2, "high": 3, "medium": 4, "low": 5}[.];
def sev10: {"critical": 10, "high": 8, "medium": 5, "low": 3}[.];
def c0c1: . < 32 or (. >= 127 and . < 160);
def sd_text: explode | map(if c0c1 then 65533 else . end) | implode;
def cef_text: explode | map(if c0c1 and . != 10 and . != 13 then 65533 else . end) | implode;
def leef_text: explode | map(if c0c1 or . == 94 or . == 124 then 65533 else . end) | implode;
def none: if . == "" or . == 0 then null else . end;
def fields: {id, kind, rule, severity, src, dst, dst_port, dst_host, dst_country, via, bytes_out, bytes_in, records_est_low, records_est_high, src_port, community_id};
($fmt | split("-")) as [$hdr, $body] |
({part: "syslog", id, sev: (.severity | sevnum), fac: (if $hdr == "rfc5424" then 20 else 22 end), app: "exfild"}
    + (if $hdr == "rfc5424" then {msgid: .rule} else {} end)),
(if $hdr == "rfc5424" then fields + {part: "sd", dst_host: (.dst_host | sd_text)} else empty end),
(fields + {part: "body"} +
  if $body == "json" then {}
  elif $body == "ecs" then {severity: (.severity | sev10), dst: (.dst | none),
      dst_port: (.dst_port | none), dst_host: (.dst_host | none),
      dst_country: (if .dst_country == "??" then null else .dst_country end)}
  elif $body == "cef" then {severity: (.severity | sev10), dst: (.dst | none),
      dst_port: (.dst_port | none), dst_host: (.dst_host | none | values |= cef_text)}
  else {severity: (.severity | sev10), dst: (.dst | none), dst_port: (.dst_port | none),
      dst_host: (.dst_host | none | values |= leef_text), dst_country: (.dst_country | leef_text)}
  end)'
# A shortened field ends with U+2026 (the marker): such a part compares
# without dst_host, and must be one of $cutids (the alerts whose message was
# longer than max_message in the uncut run); JQ_PREFIX checks the rest.
JQ_UNCUT_GOT='if (.dst_host // "" | endswith("\u2026")) then .cut = true | del(.dst_host) else . end'
JQ_UNCUT_WANT='if .part != "syslog" and (.id + " " + .kind | IN($cutids[])) then .cut = true | del(.dst_host) else . end'
# (an alert and its update share an id: the update says update_reason)
JQ_ID='(.raw | match("[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}").string) + " " +
    (if .raw | test("update_?reason"; "i") then "update" else "alert" end)'
JQ_PREFIX='
($want | map(select(.part != "syslog")) | map({key: (.part + " " + .id), value: .dst_host}) | from_entries) as $w |
$got[] | select(.dst_host // "" | endswith("\u2026")) |
(.dst_host | rtrimstr("\u2026")) as $cut | $w[.part + " " + .id] as $full |
if $full == null then "\(.part) \(.id): no such alert"
elif ($cut | length) > 0 and ($cut | length) < ($full | length) and ($full | startswith($cut)) then empty
else "\(.part) \(.id): \($cut | .[0:60]) is not a prefix of \($full | .[0:60])" end'

fmt_of() { case "$1" in 3164) echo rfc3164-json ;; *) echo "rfc5424-$1" ;; esac; }

# check_run RUN ALERTS_JSON MAX_MESSAGE [UNCUT_RUN]: with UNCUT_RUN (the
# same alerts at a larger max_message), the messages that were longer than
# MAX_MESSAGE there must come shortened here, and only those.
check_run() {
	run=$1 alerts=$2 max=$3 uncut=${4:-}
	n=$(lines "$alerts")
	for f in json ecs cef leef 3164; do
		recv="$T/siem/recv-$run-$f.jsonl"
		fmt=$(fmt_of "$f")
		what="$run $fmt"
		wait_for 10 has_lines "$recv" "$n"
		got=$(lines "$recv")
		if [ "$got" -eq "$n" ]; then ok; else bad "$what: rsyslog received $got messages, want $n"; fi
		# split (our parser and rsyslog's agree, checked there), compare
		if $PARSE split "$fmt" <"$recv" >"$T/split" 2>"$T/split.err"; then ok
		else bad "$what: messages do not parse:"; head -5 "$T/split.err"; fi
		jq -c -S --arg fmt "$fmt" "$JQ_EXPECT" "$alerts" >"$T/want.json"
		jq -c -S "$JQ_UNCUT_GOT" "$T/split" | LC_ALL=C sort >"$T/got.cmp"
		cutids='[]'
		if [ -n "$uncut" ]; then
			cutids=$(jq -c -n --argjson max "$max" "[inputs | select(.raw | utf8bytelength > \$max) | $JQ_ID]" \
			    "$T/siem/recv-$uncut-$f.jsonl")
		fi
		jq -c -S --argjson cutids "$cutids" "$JQ_UNCUT_WANT" "$T/want.json" | LC_ALL=C sort >"$T/want.cmp"
		if cmp -s "$T/got.cmp" "$T/want.cmp"; then ok
		else bad "$what: fields differ from the alerts (want <, got >):"; diff "$T/want.cmp" "$T/got.cmp" | head -10; fi
		jq -r -n --slurpfile got "$T/split" --slurpfile want "$T/want.json" "$JQ_PREFIX" >"$T/prefix.err"
		if [ ! -s "$T/prefix.err" ]; then ok; else bad "$what: shortened dst_host:"; head -5 "$T/prefix.err"; fi
		# JSON bodies: jq reads every one
		case "$f" in json|ecs|3164)
			$PARSE bodies "$fmt" <"$recv" 2>/dev/null | jq -c . >"$T/bodies" 2>"$T/bodies.err"
			if [ "$(lines "$T/bodies")" -eq "$n" ] && [ ! -s "$T/bodies.err" ]; then ok
			else bad "$what: JSON bodies: $(head -1 "$T/bodies.err")"; fi ;;
		esac
		# never longer than max_message; the shortened ones filled up to it
		longest=$(jq -r '.raw | utf8bytelength' "$recv" | sort -n | tail -1)
		if [ "${longest:-0}" -le "$max" ]; then ok; else bad "$what: a message of $longest bytes > max_message $max"; fi
		if [ "$cutids" != '[]' ]; then
			short=$(jq -r 'select(.raw | contains("\u2026")) | .raw | utf8bytelength' "$recv" | sort -n | head -1)
			if [ -n "$short" ] && [ "$short" -gt $((max - 16)) ]; then ok
			else bad "$what: shortened message of ${short:-no} bytes, want ($((max - 16)), $max]"; fi
		elif [ -n "$uncut" ] && [ "$f" != 3164 ]; then
			bad "$what: no message of the uncut run is longer than $max: nothing to shorten"
		fi
	done
}

# ---- 1. formats: the JAL day ----
replay_config "$T/jal-state" 10601 8KiB >"$T/jal.yaml"
in_ns "$EXFILD" -c "$T/jal.yaml" -r pcaps/jal-day.pcap --to-outputs >"$T/jal.out" 2>"$T/jal.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "jal replay --to-outputs: exit $rc"; tail -5 "$T/jal.err"; fi
if cmp -s "$T/jal.out" tests/e2e/jal-day.out; then ok; else bad "jal replay stdout differs from tests/e2e/jal-day.out"; fi
check_run jal "$T/jal.out" 8192
# both severities and the facility were seen (not only what the alerts say)
sevs=$(jq -r '"\(.sev)/\(.fac)"' "$T/siem/recv-jal-cef.jsonl" | sort -u | tr '\n' ' ')
if [ "$sevs" = "2/20 3/20 " ]; then ok; else bad "severity/facility seen by rsyslog: '$sevs', want '2/20 3/20 '"; fi

# ---- 2. hostile Host names ----
"$PCAPGEN" --hostile "$T/hostile.pcap" >/dev/null || bad "pcapgen --hostile"
replay_config "$T/hostile-state" 10611 8KiB >"$T/hostile.yaml"
replay_config "$T/hostile1k-state" 10621 3072 >"$T/hostile1k.yaml"
for run in hostile hostile1k; do
	in_ns "$EXFILD" -c "$T/$run.yaml" -r "$T/hostile.pcap" --to-outputs >"$T/$run.out" 2>"$T/$run.err"
	rc=$?
	if [ "$rc" -eq 0 ]; then ok; else bad "$run replay --to-outputs: exit $rc"; tail -5 "$T/$run.err"; fi
done
n=$(grep -c '"kind":"alert"' "$T/hostile.out")
if [ "$n" -eq 12 ]; then ok; else bad "hostile replay: $n alerts, want 12"; fi
check_run hostile "$T/hostile.out" 8192
if cmp -s "$T/hostile.out" "$T/hostile1k.out"; then ok; else bad "hostile replays differ on stdout"; fi
check_run hostile1k "$T/hostile1k.out" 3072 hostile
# the same over the other transports: UDP and TCP on IPv6 (TCP with LF
# framing), a host name (localhost), a unix datagram socket
{ config_copy conf/demo.yaml; cat; } >"$T/transports.yaml" <<EOF
daemon: { state_dir: $T/transports-state }
outputs:
  - syslog: { target: "udp://$V6URL:10631", format: rfc5424-json, name: json }
  - syslog: { target: "tcp://localhost:10632", format: rfc5424-ecs, name: ecs }
  - syslog: { target: "unix://$T/siem/log.sock", format: rfc5424-cef, name: cef }
  - syslog: { target: "tcp://$V6URL:10634", format: rfc5424-leef, name: leef, framing: lf }
  - syslog: { target: "udp://127.0.0.1:10635", format: rfc3164-json, name: old, facility: local6 }
EOF
in_ns "$EXFILD" -c "$T/transports.yaml" -r "$T/hostile.pcap" --to-outputs >"$T/transports.out" 2>"$T/transports.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "transports replay --to-outputs: exit $rc"; tail -5 "$T/transports.err"; fi
# (check_run compares what arrived with the replay's alerts: none would pass)
if cmp -s "$T/transports.out" "$T/hostile.out"; then ok; else bad "transports replay: stdout differs from the hostile run's"; fi
check_run transports "$T/transports.out" 8192

# ---- 4. UDP burst: 10,000 alerts at once ----
"$PCAPGEN" --burst "$BURST" "$T/burst.pcap" >/dev/null || bad "pcapgen --burst"
cat >"$T/burst.yaml" <<EOF
sensor: burst
networks:
  internal: [10.0.0.0/8]
geo:
  home: [JP]
  databases: [$(pwd)/conf/geo-sample.csv]
baseline:
  learn: 0
rules:
  window: 1h
  suppress: 1h
  bulk_upload: { enabled: false }
  compressed_upload: { bytes: 1KB, severity: critical }
daemon: { state_dir: $T/burst-state }
outputs:
  - syslog: { target: "udp://127.0.0.1:10650", format: rfc5424-cef, name: burst }
EOF
in_ns "$EXFILD" -c "$T/burst.yaml" -r "$T/burst.pcap" --to-outputs >"$T/burst.out" 2>"$T/burst.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "burst replay --to-outputs: exit $rc"; tail -5 "$T/burst.err"; fi
# the pipeline alerted once per host
# (alerts; each has its update too, from the end of the replay or, past
# the table of open alerts, earlier: checked apart below)
jq -c 'select(.kind == "alert")' "$T/burst.out" >"$T/burst.alerts"
jq -r '"\(.src) \(.rule) \(.dst) \(.payload_total.rar)"' "$T/burst.alerts" | sort -u >"$T/burst.hosts"
if [ "$(lines "$T/burst.alerts")" -eq "$BURST" ] && [ "$(lines "$T/burst.hosts")" -eq "$BURST" ] &&
    [ "$(cut -d' ' -f2- "$T/burst.hosts" | sort -u)" = "compressed-upload 203.0.113.66 1200" ]; then ok
else bad "burst: $(lines "$T/burst.alerts") alerts from $(lines "$T/burst.hosts") hosts, want $BURST, one each"; fi
recv="$T/siem/recv-burst.jsonl"
wait_for 20 has_lines "$recv" "$((BURST * 2))" # alerts and updates
sleep 0.5 # anything beyond the count would be a duplicate
jq -r '.parsed | fromjson | .["rfc5424-sd"]["exfild@32473"] | select(.kind == null) | .id' "$recv" 2>/dev/null | sort >"$T/burst.got"
jq -r .id "$T/burst.alerts" | sort >"$T/burst.want"
got=$(lines "$T/burst.got"); distinct=$(sort -u "$T/burst.got" | wc -l | tr -d ' ')
if [ "$got" -eq "$BURST" ] && [ "$distinct" -eq "$BURST" ] && cmp -s "$T/burst.got" "$T/burst.want"; then ok
else
	bad "burst over UDP: rsyslog received $got messages, $distinct distinct ids, want $BURST of the replay's"
	in_ns cat /proc/net/snmp | grep '^Udp:' | tail -1
fi

# ---- 3. outage: the daemon, rsyslog stopped and started, exfild restarted ----
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
in_ns ip link add veth-tap type veth peer name veth-in
in_ns ip link set veth-tap up
in_ns ip link set veth-in up
mkdir -p "$T/d/out" "$T/d/state" "$T/d/conf"
cp conf/geo-sample.csv conf/hosts.sample "$T/d/conf/"
cat >"$T/d/conf/exfild.yaml" <<EOF
sensor: siem-test
networks:
  internal: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7]
  proxies: ["10.77.1.2:3128"]
  resolvers: [10.1.1.53]
geo:
  home: [JP]
  databases: [$T/d/conf/geo-sample.csv]
  hosts: $T/d/conf/hosts.sample
baseline:
  state: $T/d/state/baseline.state
  learn: 2h
  allow: ["*.windowsupdate.com", 192.0.2.0/24]
rules:
  window: 1h
  # short (one replay at SPEED takes under 2 s): the JAL day replayed
  # after the restart alerts again, although the state (suppression too)
  # is saved at stop and loaded at start
  suppress: 5s
  eval_interval: 1s
  bulk_upload: { bytes: 2MB, min_ratio: 3, severity: high }
  compressed_upload: { bytes: 1MB, severity: critical }
  # (a delivery test of the window rules: those over other spans are off;
  # tests/e2e/run.sh and the unit tests cover them)
  beacon: { enabled: false }
  campaign: { enabled: false }
  slow_upload: { enabled: false }
  dormant_host: { enabled: false }
  off_hours: { enabled: false }
  server_egress: { enabled: false }
  staging: { enabled: false }
capture:
  interfaces: [veth-tap]
  snaplen: 2048
  buffer: 8MiB
stats:
  interval: 1h
daemon: { state_dir: $T/d/state, save_interval: 1s }
outputs:
  - file: { path: $T/d/out/alerts.json, format: json }
  - syslog: { target: "tcp://127.0.0.1:10660", format: rfc5424-json, name: siem }
EOF
# the baseline: what the sample days teach (as tests/e2e/live.sh)
"$EXFILD" -q -c "$T/d/conf/exfild.yaml" -r pcaps/jal-day.pcap -r pcaps/benign-day.pcap \
    --save-baseline >/dev/null 2>"$T/d/learn.err" || { cat "$T/d/learn.err"; bad "baseline replay"; }
chown -R nobody "$T/d/out" "$T/d/state"
chmod 755 "$T" "$T/d" "$T/d/conf"; chmod 644 "$T/d/conf"/*

OUT_RECV="$T/outage-siem/recv.jsonl"
FILE_OUT="$T/d/out/alerts.json"
outage_start() {
	ip netns exec "$NS" rsyslogd -n -f "$T/outage-siem.conf" -i "$T/outage-siem/pid" \
	    >>"$T/outage-siem/rsyslogd.log" 2>&1 &
	outage_pid=$!
	wait_for 10 listening 10660 || bad "outage rsyslogd did not start"
}
outage_stop() {
	kill "$outage_pid"; wait "$outage_pid"; outage_pid=
}
daemon_start() { # LOG
	ip netns exec "$NS" "$EXFILD" -f -u nobody -c "$T/d/conf/exfild.yaml" 2>"$1" &
	daemon_pid=$!
	wait_for 10 grep -q "capturing on 1 interface" "$1" || { bad "daemon did not start"; cat "$1"; }
}
daemon_stop() { # LOG
	kill -TERM "$daemon_pid"; wait "$daemon_pid"; rc=$?; daemon_pid=
	if [ "$rc" -eq 0 ]; then ok; else bad "daemon exit status $rc after SIGTERM"; tail -5 "$1"; fi
}
replay() { # CAPTURE
	in_ns tcpreplay -q -x "$SPEED" -i veth-in "pcaps/$1.pcap" >"$T/tcpreplay.log" 2>&1 ||
	    bad "tcpreplay $1: $(cat "$T/tcpreplay.log")"
}
received_ids() {
	jq -r '.parsed | fromjson | .["rfc5424-sd"]["exfild@32473"].id' "$OUT_RECV" 2>/dev/null
}
distinct_received() { [ "$(received_ids | sort -u | wc -l)" -ge "$1" ]; }
# every alert of the file output arrived, first occurrences in its order,
# nothing else; duplicates (a resend after a break) are dropped by id
check_delivered() { # WHAT
	want=$(lines "$FILE_OUT")
	wait_for 40 distinct_received "$want"
	sleep 1
	jq -r .id "$FILE_OUT" >"$T/d/want.ids"
	received_ids | awk '!seen[$0]++' >"$T/d/got.ids"
	if cmp -s "$T/d/want.ids" "$T/d/got.ids"; then ok
	else bad "$1: alert ids received (>) differ from the daemon's (<):"; diff "$T/d/want.ids" "$T/d/got.ids"; fi
	dups=$(( $(lines "$OUT_RECV") - $(lines "$T/d/got.ids") ))
	[ "$dups" -eq 0 ] || echo "siem: $1: $dups duplicate(s) dropped by id"
	# the messages themselves are whole: rsyslog's SD and our split agree
	if $PARSE split rfc5424-json <"$OUT_RECV" >/dev/null 2>"$T/split.err"; then ok
	else bad "$1: received messages do not parse:"; head -3 "$T/split.err"; fi
}

outage_start
daemon_start "$T/d/daemon.log"
wait_for 10 grep -q "syslog output siem: connected" "$T/d/daemon.log" || bad "daemon did not connect to rsyslog"
# (a) rsyslog stops under an open connection; the JAL day; rsyslog back
outage_stop
replay jal-day
jal_done=$(date +%s)
wait_for 10 has_lines "$FILE_OUT" 4 || bad "daemon: JAL alerts did not come ($(lines "$FILE_OUT"))"
# the state is saved in the background while the daemon runs
# (daemon.save_interval, a forked child): a JAL host active today is in it
saved_today() { grep -q '^host 10\.1\.20\.21 [0-9]* 1[7-9][0-9]\{17\} ' "$T/d/state/baseline.state"; }
if wait_for 10 saved_today; then ok; else bad "no background save of the state while running"; fi
outage_start
check_delivered "outage"
if [ "$(lines "$FILE_OUT")" -eq 4 ]; then ok; else bad "daemon: $(lines "$FILE_OUT") alerts for the JAL day, want 4"; fi
# (b) rsyslog stops; the egress sample alerts; exfild restarts during the
# outage (its spool holds that alert, its state file the pairs); the JAL
# day again once suppression has passed: new alerts; rsyslog back: all of
# them, in order
outage_stop
replay egress-xff
wait_for 10 has_lines "$FILE_OUT" 5 || bad "daemon: the egress alert did not come"
daemon_stop "$T/d/daemon.log"
if grep -q "exfild: stopping: alerts not yet delivered stay in the spool" "$T/d/daemon.log"; then ok
else bad "daemon did not say it kept undelivered alerts"; fi
daemon_start "$T/d/daemon2.log"
if grep -q "spool $T/d/state/spool/siem: 1 alerts (.*) left from before" "$T/d/daemon2.log"; then ok
else bad "restarted daemon did not find the spooled alert"; cat "$T/d/daemon2.log"; fi
if grep -q "state $T/d/state/baseline.state: [0-9]* destinations, [0-9]* names, [0-9]* hosts, [1-9][0-9]* pairs" "$T/d/daemon2.log"; then ok
else bad "restarted daemon did not load the saved state"; grep state "$T/d/daemon2.log"; fi
while [ $(( $(date +%s) - jal_done )) -le 6 ]; do sleep 0.5; done
replay jal-day
# the restarted daemon kept the pairs' 1 h windows: the second day's
# uploads add to the first's, and every uploader crosses bulk-upload's
# 2 MB (4 bulk-upload; compressed-upload again for the 3 archives)
wait_for 10 has_lines "$FILE_OUT" 12 || bad "daemon: second JAL alerts did not come ($(lines "$FILE_OUT"))"
outage_start
check_delivered "outage with a restart"
# the file output's order is the order the daemons raised them in
sed -n 's/^exfild: alert \([0-9a-f-]*\): .*/\1/p' "$T/d/daemon.log" "$T/d/daemon2.log" >"$T/d/log.ids"
if cmp -s "$T/d/log.ids" "$T/d/want.ids" && [ "$(lines "$T/d/want.ids")" -eq 12 ] &&
    [ "$(tail -7 "$FILE_OUT" | jq -r .rule | sort | uniq -c | awk '{ printf "%s %s;", $1, $2 }')" = "4 bulk-upload;3 compressed-upload;" ]; then ok
else bad "alert log lines and file output differ, or not 4 + 1 + 7 alerts:"; diff "$T/d/log.ids" "$T/d/want.ids"; jq -c "[.ts,.rule,.src,.dst_host]" "$FILE_OUT"; fi
daemon_stop "$T/d/daemon2.log"
if grep -q "out.siem.dropped=0" "$T/d/daemon2.log"; then ok; else bad "daemon dropped alerts: $(grep -o 'out.siem.[a-z]*=[0-9]*' "$T/d/daemon2.log" | tr '\n' ' ')"; fi
if ! grep -qi "sanitizer\|runtime error" "$T/d/daemon.log" "$T/d/daemon2.log" "$T"/*.err; then ok
else bad "sanitizer report:"; grep -il "sanitizer\|runtime error" "$T/d/daemon.log" "$T/d/daemon2.log" "$T"/*.err; fi

tally siem "$pass" "$fail" "$(( $(date +%s) - started )) s"
[ "$fail" -eq 0 ]
