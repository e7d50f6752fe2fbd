#!/bin/sh
# Containment end to end (issue 15): two network namespaces made here, a
# client (10.0.0.2, where exfild runs live and the example ruleset
# conf/exfild-contain.nft is loaded) and servers (203.0.113.10, .20, .30,
# .31 and 198.51.100.5, each a small HTTP server) joined by a veth pair.
# exfild, started as root and dropped to nobody keeping CAP_NET_ADMIN
# alone, sees the client reach an address on an indicator list; the
# alert blocks it in set block4 (contain.timeout 4s): the next connection
# fails while another server still answers, and after the timeout it works
# again. The time from the crossing packet (the alert's ts) to the element
# (nft list set, polled every 10 ms) is measured and must be under 1 s.
# An address on contain.never is not blocked (skipped (never)) and stays
# reachable; with the table gone, nft's error is logged and the alert says
# skipped (error). Then contain.exec: the hook gets the alert's JSON on
# stdin and CAP_NET_ADMIN, and max_per_minute: 1 leaves the second alert
# rate-limited. Exit 77: skipped.
set -u
BUILD=${BUILD:-build}
EXFILD="$(pwd)/$BUILD/exfild"
NC="exfild-cc-$$"
NSV="exfild-cs-$$"

# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
skip() { skip_all contain "$@"; }
[ -x "$EXFILD" ] || skip "$EXFILD not built"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, nftables, capture)"
for c in ip nft curl python3; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
getent passwd nobody >/dev/null || skip "no user nobody"
ip netns add "$NC" 2>/dev/null || skip "cannot create a network namespace here"
ip netns add "$NSV" || { ip netns del "$NC"; skip "cannot create a second namespace"; }

T=$(mktemp -d)
pass=0; fail=0
daemon_pid=; server_pid=
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "contain FAIL: $*"; }
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	ip netns del "$NC" 2>/dev/null
	ip netns del "$NSV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
in_c() { ip netns exec "$NC" "$@"; }
if ! in_c nft -f conf/exfild-contain.nft 2>"$T/nft.err"; then
	skip "nftables unusable here: $(head -1 "$T/nft.err")"
fi

# ---- the link: client 10.0.0.2 -- servers behind 10.0.0.1 ----
ip link add c-eth netns "$NC" type veth peer name s-eth netns "$NSV"
in_c sysctl -qw net.ipv6.conf.all.disable_ipv6=1
in_c ip link set lo up
in_c ip link set c-eth up
in_c ip addr add 10.0.0.2/24 dev c-eth
in_c ip route add default via 10.0.0.1
ip netns exec "$NSV" ip link set lo up
ip netns exec "$NSV" ip link set s-eth up
ip netns exec "$NSV" ip addr add 10.0.0.1/24 dev s-eth
SERVERS="203.0.113.10 203.0.113.20 203.0.113.30 203.0.113.31 198.51.100.5"
for a in $SERVERS; do ip netns exec "$NSV" ip addr add "$a/32" dev s-eth; done
mkdir -p "$T/www" "$T/out"
echo hello >"$T/www/index.html"
(cd "$T/www" && exec ip netns exec "$NSV" python3 -m http.server 8080 \
    >/dev/null 2>&1) &
server_pid=$!

# get ADDR: the client fetches from ADDR (0: answered)
get() { in_c curl -s -o /dev/null --max-time "${2:-2}" "http://$1:8080/"; }
wait_for 10 get 203.0.113.20 1 || { bad "the servers never answered"; tally contain "$pass" "$fail"; exit 1; }

# ---- the configuration: every server foreign; learning off ----
printf '203.0.113.0/24,RU\n198.51.100.0/24,RU\n' >"$T/geo.csv"
printf '203.0.113.10\n198.51.100.5\n203.0.113.31\n' >"$T/iocs.txt"
printf '203.0.113.30\n203.0.113.31\n' >"$T/iocs-exec.txt"
cat >"$T/hook.sh" <<EOF
#!/bin/sh
cat >>$T/out/hook.stdin
grep CapEff /proc/self/status >$T/out/hook.caps
echo "blocked by the test's hook"
exit 0
EOF
write_config() { # FILE IOCS [CONTAIN LINES...]
	f=$1; iocs=$2; shift 2
	cat >"$f" <<EOF
sensor: contain-test
networks:
  internal: [10.0.0.0/24]
geo:
  home: [JP]
  databases: [$T/geo.csv]
baseline:
  learn: 0
rules:
  eval_interval: 1s
indicators:
  - { file: $iocs }
capture:
  interfaces: [c-eth]
stats:
  interval: 1h
outputs:
  - file: { path: $T/out/alerts.json, format: json }
contain:
  enabled: true
EOF
	for line in "$@"; do echo "  $line" >>"$f"; done
}
write_config "$T/nft.yaml" "$T/iocs.txt" "timeout: 4s" "max_timeout: 1m" "never: [198.51.100.0/24]"
chown -R nobody "$T/out"
chmod 755 "$T" "$T/hook.sh"; chmod 644 "$T/nft.yaml" "$T/geo.csv" "$T/iocs.txt" "$T/iocs-exec.txt"

start_daemon() { # CONFIG
	rm -f "$T/daemon.log"
	ip netns exec "$NC" "$EXFILD" -f -u nobody -c "$1" 2>"$T/daemon.log" &
	daemon_pid=$!
	wait_for 10 grep -qs "capturing on 1 interface" "$T/daemon.log"
}
stop_daemon() {
	kill -TERM "$daemon_pid"; wait "$daemon_pid"; daemon_pid=
}
log_has() { grep -q "$1" "$T/daemon.log"; }
# alert_field ADDR FIELD: FIELD of the alert for ADDR
alert_field() {
	python3 - "$T/out/alerts.json" "$1" "$2" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    if a.get("kind") == "alert" and a["dst"] == sys.argv[2]:
        print(a.get(sys.argv[3], "")); break
EOF
}
has_alert() { [ -n "$(alert_field "$1" id 2>/dev/null)" ]; }
in_set() { in_c nft list set inet exfild block4 | grep -q "$1"; }

if start_daemon "$T/nft.yaml"; then ok; else bad "the daemon did not start"; cat "$T/daemon.log"; exit 1; fi
# as nobody, with CAP_NET_ADMIN (bit 12) and nothing else
capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$daemon_pid/status")
if [ "$capeff" = "0000000000001000" ]; then ok; else bad "CapEff $capeff, want CAP_NET_ADMIN alone"; fi
uid=$(awk '/^Uid:/ {print $2}' "/proc/$daemon_pid/status")
if [ "$uid" = "$(id -u nobody)" ]; then ok; else bad "uid $uid, want nobody"; fi

# ---- block: the poller notes when the element appears (10 ms) ----
in_c python3 - "$T/appeared" <<'EOF' &
import subprocess, sys, time
end = time.time() + 15
while time.time() < end:
    out = subprocess.run(["nft", "list", "set", "inet", "exfild", "block4"],
                         capture_output=True, text=True).stdout
    if "203.0.113.10" in out:
        open(sys.argv[1], "w").write("%.3f\n" % time.time()); break
    time.sleep(0.01)
EOF
poller=$!
sleep 0.3
# (the alert comes with the connection's first packet: this very fetch
# may be cut short by the block)
get 203.0.113.10 1
wait "$poller"
if wait_for 5 has_alert 203.0.113.10; then ok; else bad "no alert for 203.0.113.10"; cat "$T/daemon.log"; fi
ts=$(alert_field 203.0.113.10 ts)
contained=$(alert_field 203.0.113.10 contained)
# "nft set block4 until T", T the block's end: 4 s after it was added
if python3 - "$ts" "$contained" <<'EOF'
import sys, datetime as d
ts, c = sys.argv[1], sys.argv[2]
p = lambda s: d.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
assert c.startswith("nft set block4 until "), c
gap = (p(c[len("nft set block4 until "):]) - p(ts)).total_seconds()
assert 4.0 <= gap < 5.0, gap
EOF
then ok; else bad "contained '$contained' (alert ts $ts)"; fi
if [ -s "$T/appeared" ]; then
	ms=$(python3 -c 'import sys, datetime as d
t = d.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=d.timezone.utc).timestamp()
print("%.0f" % ((float(sys.argv[2]) - t) * 1000))' "$ts" "$(cat "$T/appeared")")
	nl_ms=$(sed -n 's/.*contain: nft set block4 add 203.0.113.10 timeout 4s in \([0-9.]*\) ms.*/\1/p' "$T/daemon.log")
	echo "contain: crossing packet to set element: $ms ms (poll 10 ms); netlink add: $nl_ms ms"
	if [ "$ms" -lt 1000 ]; then ok; else bad "the element appeared $ms ms after the packet"; fi
	if [ -n "$nl_ms" ]; then ok; else bad "no 'contain: nft set block4 add' log line"; fi
else
	bad "203.0.113.10 never appeared in set block4"
fi
# blocked now; another host answers; 4 s later it answers again
if get 203.0.113.10 1; then bad "203.0.113.10 answered while blocked"; else ok; fi
if in_set 203.0.113.10; then ok; else bad "203.0.113.10 left set block4 early"; fi
if get 203.0.113.20; then ok; else bad "203.0.113.20 (not blocked) did not answer"; fi
if wait_for 8 get 203.0.113.10 1; then ok; else bad "203.0.113.10 still blocked after the timeout"; fi
if in_set 203.0.113.10; then bad "the element outlived its timeout"; else ok; fi

# ---- contain.never: alerted, not blocked, reachable ----
if get 198.51.100.5; then ok; else bad "198.51.100.5 did not answer"; fi
if wait_for 5 has_alert 198.51.100.5; then ok; else bad "no alert for 198.51.100.5"; fi
got=$(alert_field 198.51.100.5 contained)
if [ "$got" = "skipped (never)" ]; then ok; else bad "198.51.100.5 contained '$got'"; fi
if get 198.51.100.5 && ! in_c nft list set inet exfild block4 | grep -q 198.51.100.5; then ok
else bad "198.51.100.5 was blocked"; fi
# ---- nft fails (the table is gone): logged, skipped (error), detection goes on ----
in_c nft delete table inet exfild
get 203.0.113.31 >/dev/null
if wait_for 5 has_alert 203.0.113.31; then ok; else bad "no alert for 203.0.113.31"; fi
got=$(alert_field 203.0.113.31 contained)
if [ "$got" = "skipped (error)" ]; then ok; else bad "203.0.113.31 contained '$got'"; fi
if log_has "contain: nft set block4 add 203.0.113.31: nft: No such file or directory"; then ok
else bad "the nft error not logged"; grep "contain:" "$T/daemon.log"; fi
kill -USR1 "$daemon_pid"
if wait_for 5 log_has "contain_blocked=1 contain_skipped=1 contain_errors=1"; then ok
else bad "stats line: $(grep -o 'contain_[a-z]*=[0-9]*' "$T/daemon.log" | tr '\n' ' ')"; fi
stop_daemon

# ---- contain.exec: the alert's JSON on the hook's stdin; the rate limit ----
rm -f "$T/out/alerts.json"
write_config "$T/exec.yaml" "$T/iocs-exec.txt" "exec: $T/hook.sh" "max_per_minute: 1"
chmod 644 "$T/exec.yaml"; chown -R nobody "$T/out"
if start_daemon "$T/exec.yaml"; then ok; else bad "the daemon (exec) did not start"; cat "$T/daemon.log"; fi
get 203.0.113.30 >/dev/null
wait_for 5 has_alert 203.0.113.30
got=$(alert_field 203.0.113.30 contained)
if [ "$got" = "exec $T/hook.sh exit 0" ]; then ok; else bad "203.0.113.30 contained '$got'"; fi
if log_has "contain: exec $T/hook.sh exit 0 (alert .*): \"blocked by the test's hook\"" &&
    log_has "alert .*: rule=indicator-match .* contained=exec $T/hook.sh exit 0$"; then ok
else bad "the hook's exit and output not logged"; grep contain "$T/daemon.log"; fi
# the hook's stdin: the alert as written, without its contained field
if python3 - "$T/out/hook.stdin" "$T/out/alerts.json" <<'EOF'
import json, sys
hook = [json.loads(l) for l in open(sys.argv[1])]
alerts = [json.loads(l) for l in open(sys.argv[2]) if '"kind":"alert"' in l]
assert len(hook) == 1, len(hook)
a = alerts[0]; a.pop("contained")
assert hook[0] == a, (hook[0], a)
EOF
then ok; else bad "the hook's stdin is not the alert"; fi
# the hook runs as nobody with the daemon's CAP_NET_ADMIN (ambient), as
# under systemd: a hook that calls nft works
if [ "$(cut -f2 "$T/out/hook.caps" 2>/dev/null)" = "0000000000001000" ]; then ok
else bad "the hook's capabilities: $(cat "$T/out/hook.caps" 2>/dev/null)"; fi
get 203.0.113.31 >/dev/null
wait_for 5 has_alert 203.0.113.31
got=$(alert_field 203.0.113.31 contained)
if [ "$got" = "skipped (rate-limited)" ]; then ok; else bad "203.0.113.31 contained '$got'"; fi
if [ "$(wc -l <"$T/out/hook.stdin")" -eq 1 ]; then ok; else bad "the hook ran more than once"; fi
stop_daemon
if ! grep -qi "sanitizer\|runtime error" "$T/daemon.log"; then ok; else bad "daemon log"; cat "$T/daemon.log"; fi

tally contain "$pass" "$fail"
[ "$fail" -eq 0 ]
