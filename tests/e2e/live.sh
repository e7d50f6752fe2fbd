#!/bin/sh
# Live capture end to end (issue 3): the daemon runs in a network namespace
# made here, capturing on one end of a veth pair while tcpreplay sends the
# sample captures into the other end (1000x faster than recorded). Checks:
# sd_notify (READY/STATUS/WATCHDOG/RELOADING/STOPPING) on a socket of ours,
# privilege drop to nobody, reload with a broken then a good file, the JAL
# alerts appearing while the replay still runs, the benign day staying
# quiet, Prometheus counters equal to the packets sent, SIGUSR1 stats,
# SIGTERM saving the baseline and exiting 0; the daemon (as nobody) keeps
# evidence as a replay does: the JAL day's RAR parts stored byte for byte
# (their SHA-256 the replay's), packets.pcap files. Exit 77: skipped.
set -u
BUILD=${BUILD:-build}
EXFILD="$(pwd)/$BUILD/exfild"
SPEED=1000
NS="exfild-live-$$"

# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
skip() { skip_all live "$@"; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, capture)"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
command -v tcpreplay >/dev/null 2>&1 || skip "tcpreplay not installed"
getent passwd nobody >/dev/null || skip "no user nobody"
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace here"

T=$(mktemp -d)
pass=0; fail=0
daemon_pid=; notify_pid=
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "live FAIL: $*"; }
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	[ -n "$notify_pid" ] && kill "$notify_pid" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
in_ns() { ip netns exec "$NS" "$@"; }

count_alerts() { [ -f "$T/out/alerts.json" ] && wc -l <"$T/out/alerts.json" | tr -d ' ' || echo 0; }
has_alerts() { [ "$(count_alerts)" -ge "$1" ]; }
log_has() { grep -q "$1" "$T/daemon.log"; }
# metric NAME: its value on the daemon's /metrics now
metric() {
	in_ns python3 -c 'import urllib.request as u; print(u.urlopen("http://127.0.0.1:9477/metrics").read().decode())' 2>/dev/null |
	    awk -v m="$1" '$1 == m {print $2}'
}
frames_are() { [ "$(metric exfild_frames_total)" = "$1" ]; }
# expect_frames WHAT WANT: the positive control beside a "stays quiet": the
# daemon read every frame tcpreplay sent (exfild_frames_total), so silence
# is not a capture that stopped early
expect_frames() {
	if wait_for 10 frames_are "$2"; then ok
	else bad "$1: exfild_frames_total '$(metric exfild_frames_total)', want $2"; fi
}
notified() { grep -q "$1" "$T/notify.log" 2>/dev/null; }

# ---- the namespace: a veth pair, no IPv6 chatter (counts stay exact) ----
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
in_ns ip link add veth-tap type veth peer name veth-in
in_ns ip link set lo up
in_ns ip link set veth-tap up
in_ns ip link set veth-in up

# ---- files the daemon (as nobody) reads and writes ----
mkdir -p "$T/out" "$T/conf" "$T/notify" "$T/evroot"
cp conf/geo-sample.csv conf/hosts.sample "$T/conf/"
# The baseline the daemon starts from: what two hours of learning on the
# sample days teach (the live replay squeezes a day into seconds, so the
# learning period has to come from the state file).
write_config() { # FILE COMPRESSED_BYTES BULK_BYTES
	cat >"$1" <<EOF
sensor: live-test
networks:
  internal: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7]
  proxies: ["10.77.1.2:3128"]
  resolvers: [10.1.1.53]
geo:
  home: [JP]
  databases: [$T/conf/geo-sample.csv]
  hosts: $T/conf/hosts.sample
baseline:
  state: $T/out/baseline.state
  learn: 2h
  allow: ["*.windowsupdate.com", 192.0.2.0/24]
rules:
  window: 1h
  suppress: 1h
  eval_interval: 1s
  bulk_upload: { bytes: $3, min_ratio: 3, severity: high }
  compressed_upload: { bytes: $2, severity: critical }
  # (a test of the window rules and their reload: those over other spans are off;
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
  listen: "127.0.0.1:9477"
outputs:
  - file: { path: $T/out/alerts.json, format: json }
evidence:
  enabled: true
  dir: $T/evroot/ev
EOF
}
write_config "$T/conf/learn.yaml" 1MB 2MB
"$EXFILD" -q -c "$T/conf/learn.yaml" -r pcaps/jal-day.pcap -r pcaps/benign-day.pcap \
    --save-baseline >/dev/null 2>"$T/learn.err" || { cat "$T/learn.err"; bad "baseline replay"; }
rm -f "$T/out/alerts.json"
# the replay's evidence: what the daemon's must match; the daemon (as
# nobody) makes its own directory
mv "$T/evroot/ev" "$T/replay-ev" || bad "the replay kept no evidence"
write_config "$T/conf/exfild.yaml" 100MB 100MB # the running config: nothing alerts
chown -R nobody "$T/out" "$T/notify" "$T/evroot"
chmod 755 "$T" "$T/conf"; chmod 644 "$T/conf"/*

# ---- systemd's side of sd_notify: a datagram socket that logs each message ----
python3 - "$T/notify/sock" "$T/notify.log" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", "|") + "\n")
EOF
notify_pid=$!
wait_for 5 test -S "$T/notify/sock" || bad "notify socket not created"

# ---- start: as root, capture opened, then down to nobody ----
# (ip netns exec and env exec in place: $! is the daemon itself)
ip netns exec "$NS" env NOTIFY_SOCKET="$T/notify/sock" WATCHDOG_USEC=1000000 \
    "$EXFILD" -f -u nobody -c "$T/conf/exfild.yaml" 2>"$T/daemon.log" &
daemon_pid=$!
if wait_for 10 notified "READY=1"; then ok; else bad "no READY=1"; cat "$T/daemon.log"; exit 1; fi
if notified "STATUS=capturing on 1 interface"; then ok; else bad "no STATUS= after READY"; fi
uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$daemon_pid/status")
want=$(id -u nobody); want="$want$want$want$want"
if [ "$uid" = "$want" ]; then ok; else bad "running as uid '$uid', want nobody ($want)"; fi
capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$daemon_pid/status")
if [ "$capeff" = "0000000000000000" ]; then ok; else bad "capabilities left: $capeff"; fi
if wait_for 3 notified "WATCHDOG=1"; then ok; else bad "no WATCHDOG=1 with WATCHDOG_USEC set"; fi

# ---- a broken file: the old config stays, and the log says so ----
cp "$T/conf/exfild.yaml" "$T/conf/good-high.yaml"
printf 'rules:\n  window: 1h\n  bulk_upload: { bytes: lots }\n' >"$T/conf/exfild.yaml"
kill -HUP "$daemon_pid"
if wait_for 5 log_has "reload failed, keeping the running configuration: $T/conf/exfild.yaml:3:25: rules.bulk_upload.bytes: invalid size \"lots\""; then ok
else bad "broken reload not reported"; tail -5 "$T/daemon.log"; fi
if kill -0 "$daemon_pid" 2>/dev/null; then ok; else bad "daemon died on a broken reload"; exit 1; fi
if notified "RELOADING=1"; then ok; else bad "no RELOADING=1"; fi
# the old thresholds (100MB) still rule: the egress sample's upload is quiet
frames0=$(metric exfild_frames_total)
egress_frames=$(python3 tests/e2e/pcapcount.py pcaps/egress-xff.pcap)
in_ns tcpreplay -q -x "$SPEED" -i veth-in pcaps/egress-xff.pcap >/dev/null 2>&1 || bad "tcpreplay egress-xff"
expect_frames "egress-xff under the old thresholds" $((${frames0:-0} + egress_frames))
sleep 2
if [ "$(count_alerts)" -eq 0 ]; then ok; else bad "alert under the old 100MB thresholds"; fi

# ---- a good file: the demo thresholds apply ----
write_config "$T/conf/exfild.yaml" 1MB 2MB
kill -HUP "$daemon_pid"
if wait_for 5 log_has "reload: $T/conf/exfild.yaml applied"; then ok; else bad "good reload not applied"; fi
# the egress upload, still inside its window, is judged again at once
if wait_for 5 has_alerts 1; then ok; else bad "reload did not re-evaluate the window"; fi

# ---- the JAL day: alerts while the replay is still running ----
ip netns exec "$NS" tcpreplay -q -x "$SPEED" -i veth-in pcaps/jal-day.pcap \
    >"$T/tcpreplay.log" 2>&1 &
replay_pid=$!
if wait_for 60 has_alerts 5; then
	if kill -0 "$replay_pid" 2>/dev/null; then ok; else bad "alerts only after the replay ended"; fi
else
	bad "JAL alerts did not arrive"
fi
wait "$replay_pid" || bad "tcpreplay jal-day: $(cat "$T/tcpreplay.log")"
sleep 2

# ---- the benign day stays quiet ----
in_ns tcpreplay -q -x "$SPEED" -i veth-in pcaps/benign-day.pcap >/dev/null 2>&1 || bad "tcpreplay benign-day"
# (counted from the start: frames of the JAL day still arriving would not
# be taken for the benign day's)
expect_frames "benign day" $((${frames0:-0} + egress_frames + \
    $(python3 tests/e2e/pcapcount.py pcaps/jal-day.pcap) + \
    $(python3 tests/e2e/pcapcount.py pcaps/benign-day.pcap)))
sleep 2
jq -r 'select(.kind == "alert") | [.src, .rule, (if .dst_host == "" then "-" else .dst_host end), .dst_country, .via, (.bytes_out|tostring), .source, .sensor] | join(" ")' \
    "$T/out/alerts.json" >"$T/got" 2>/dev/null
# The egress upload was judged at the reload, after it had ended: its
# bytes are the pair's whole total, as a replay's --pairs table gives it.
egress_out=$("$EXFILD" -c conf/demo.yaml --pairs -r pcaps/egress-xff.pcap 2>/dev/null |
    jq -r 'select(.src == "10.1.20.25" and .kind == "pair") | .bytes_out')
echo "10.1.20.25 compressed-upload hk-files.example.net HK proxy $egress_out live live-test" >"$T/want"
# ... and the JAL day's are exactly the forensic replay's (tests/e2e/jal-day.out)
jq -r 'select(.kind == "alert" and (.rule == "bulk-upload" or .rule == "compressed-upload")) | [.src, .rule, (if .dst_host == "" then "-" else .dst_host end), .dst_country, .via, (.bytes_out|tostring), "live", "live-test"] | join(" ")' \
    tests/e2e/jal-day.out >>"$T/want"
if cmp -s "$T/got" "$T/want"; then ok; else bad "alerts differ (want, got):"; diff "$T/want" "$T/got"; fi

# ---- stats: Prometheus counters equal what tcpreplay sent; SIGUSR1 ----
frames=$(( $(python3 tests/e2e/pcapcount.py pcaps/egress-xff.pcap) + \
    $(python3 tests/e2e/pcapcount.py pcaps/jal-day.pcap) + \
    $(python3 tests/e2e/pcapcount.py pcaps/benign-day.pcap) ))
in_ns python3 -c 'import urllib.request as u; print(u.urlopen("http://127.0.0.1:9477/metrics").read().decode())' >"$T/metrics" 2>&1
got=$(awk '$1 == "exfild_frames_total" {print $2}' "$T/metrics")
if [ "$got" = "$frames" ]; then ok; else bad "exfild_frames_total '$got', sent $frames"; fi
got=$(awk '$1 == "exfild_packets_received_total{interface=\"veth-tap\"}" {print $2}' "$T/metrics")
if [ "$got" = "$frames" ]; then ok; else bad "packets received on veth-tap '$got', sent $frames"; fi
got=$(awk '$1 == "exfild_alerts_total{rule=\"compressed-upload\"}" {print $2}' "$T/metrics")
if [ "$got" = "4" ]; then ok; else bad "exfild_alerts_total compressed-upload '$got', want 4"; fi
# the baseline learned in the replay (learn: 2h from the JAL day's start)
# is over on today's clock: the gauges say so
got=$(awk '$1 == "exfild_baseline_learning" {print $2}' "$T/metrics")
if [ "$got" = "0" ]; then ok; else bad "exfild_baseline_learning '$got', want 0"; fi
want=$(date -u -d 2014-09-18T02:00:00Z +%s)
got=$(awk '$1 == "exfild_baseline_learn_end_seconds" {print $2}' "$T/metrics")
if [ "$got" = "$want" ]; then ok; else bad "exfild_baseline_learn_end_seconds '$got', want $want"; fi
kill -USR1 "$daemon_pid"
if wait_for 5 log_has "stats: .*packets=$frames "; then ok; else bad "no stats line on SIGUSR1"; fi

# ---- SIGTERM: exit 0, STOPPING=1, baseline saved with the new destination ----
kill -TERM "$daemon_pid"
wait "$daemon_pid"; rc=$?
daemon_pid=
if [ "$rc" -eq 0 ]; then ok; else bad "exit status $rc after SIGTERM"; tail -5 "$T/daemon.log"; fi
if notified "STOPPING=1"; then ok; else bad "no STOPPING=1"; fi
if grep -q " unfamiliar 203.0.113.66 hk-files.example.net" "$T/out/baseline.state" 2>/dev/null; then ok
else bad "baseline not saved at stop"; fi
if grep -q "^exfild: " "$T/daemon.log" && ! grep -qi "sanitizer\|runtime error" "$T/daemon.log"; then ok
else bad "daemon log"; cat "$T/daemon.log"; fi

# ---- evidence: the daemon's as the replay's ----
# the RAR parts of the JAL day's uploads, stored by the replay above
# (learn.yaml) and by the daemon: same names, sizes and SHA-256, the
# stored bytes hashing to it; each alert directory owned by nobody; the
# packets.pcap files with frames
if python3 - "$T/replay-ev" "$T/evroot/ev" <<'PY' >"$T/ev.check" 2>&1; then ok; else bad "evidence: $(tail -1 "$T/ev.check")"; fi
import glob, hashlib, json, os, pwd, sys
def parts(root):
    out = set()
    for m in glob.glob(root + "/2*/manifest.jsonl"):
        for line in open(m):
            r = json.loads(line)
            if r["kind"] == "part":
                data = open(os.path.join(os.path.dirname(m), r["name"]), "rb").read()
                assert hashlib.sha256(data).hexdigest() == r["sha256"], r["name"]
                out.add((r["name"], r["size"], r["sha256"]))
    return out
want, got = parts(sys.argv[1]), parts(sys.argv[2])
assert any(n.endswith(".rar") for n, _, _ in want), sorted(want)
assert want == got, (sorted(want), sorted(got))
nobody = pwd.getpwnam("nobody").pw_uid
dirs = glob.glob(sys.argv[2] + "/2*")
assert dirs, "no alert directory"
pcaps = 0
for d in dirs:
    assert os.stat(d).st_uid == nobody, d
    # (none where the alert came after the pair's flows had gone: the
    # upload judged at the reload)
    if os.path.exists(d + "/packets.pcap"):
        assert os.path.getsize(d + "/packets.pcap") > 24 + 16, d
        pcaps += 1
assert pcaps > 0, "no packets.pcap"
print(len(got), "parts,", len(dirs), "directories,", pcaps, "pcaps")
PY
if [ "$(grep -c '"evidence_dir":' "$T/out/alerts.json")" -gt 0 ]; then ok; else bad "no alert names its evidence"; fi

tally live "$pass" "$fail"
[ "$fail" -eq 0 ]
