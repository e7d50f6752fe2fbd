#!/bin/sh
# A fresh box (issue 13): `make install` into a temporary root (DESTDIR)
# makes the user and its state and log directories; then, in a network
# namespace and a mount namespace made here that show that root's
# /etc/passwd, /etc/group, /var/lib and /var/log as the machine's, the
# installed exfild with the installed configuration (only the capture
# interface and the learning period changed) passes -t as its user, starts
# as root, drops to exfild, makes the state directory it lacks, writes
# alerts while tcpreplay sends the JAL-like day into a veth pair, and saves
# the baseline at SIGTERM. Exit 77: skipped (no root, namespaces,
# tcpreplay or systemd-sysusers/useradd).
set -u
cd "$(dirname "$0")/../.." || exit 1
MAKE=${MAKE:-make}
NS="exfild-fresh-$$"
. tests/e2e/tally.sh
skip() { skip_all fresh "$@"; }
[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, capture, install's chown)"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
command -v jq >/dev/null 2>&1 || skip "jq not installed"
command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) not installed"
command -v tcpreplay >/dev/null 2>&1 || skip "tcpreplay not installed"
command -v systemd-sysusers >/dev/null 2>&1 || command -v useradd >/dev/null 2>&1 ||
    skip "neither systemd-sysusers nor useradd"
unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace here"

T=$(mktemp -d)
chmod 755 "$T"
pass=0; fail=0
daemon_pid=
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "fresh FAIL: $*"; }
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# ---- make install into the fresh root ----
R="$T/root"
if $MAKE --no-print-directory install DESTDIR="$R" PREFIX=/usr/local SYSCONFDIR=/etc \
    SYSTEMDUNITDIR=/lib/systemd/system SYSUSERSDIR=/usr/lib/sysusers.d >"$T/install.log" 2>&1; then ok
else bad "make install"; cat "$T/install.log"; exit 1; fi
line=$(grep '^exfild:' "$R/etc/passwd")
uid=$(echo "$line" | cut -d: -f3); gid=$(echo "$line" | cut -d: -f4)
case "$line" in
exfild:*:*:*:*:/var/lib/exfild:/usr/sbin/nologin) ok ;;
*) bad "no system user exfild in $R/etc/passwd: '$line'"; exit 1 ;;
esac
for d in "var/lib/exfild 700" "var/log/exfild 750"; do
	set -- $d
	got=$(stat -c '%u:%g %a' "$R/$1")
	if [ "$got" = "$uid:$gid $2" ]; then ok; else bad "/$1: '$got', want '$uid:$gid $2'"; fi
done
# the installed configuration: no demo data, the placeholder geo file beside it
conf="$R/etc/exfild/exfild.yaml"
if grep -qx '  databases: \[geo.csv\]' "$conf" && [ -f "$R/etc/exfild/geo.csv" ] &&
    ! grep -q 'geo-sample\|hosts.sample\|10\.1\.1\.53\]' "$conf"; then ok; else
	bad "installed configuration"; grep -n 'databases\|hosts\|resolvers' "$conf"; fi

# ---- the box: a veth pair in a network namespace ----
in_ns() { ip netns exec "$NS" "$@"; }
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
in_ns ip link add veth-tap type veth peer name veth-in
in_ns ip link set lo up
in_ns ip link set veth-tap up
in_ns ip link set veth-in up
# the administrator's edits: the interface, and no learning period (the
# replayed day is seconds long)
sed -i -e 's/^  interfaces: \[eth1\]$/  interfaces: [veth-tap]/' \
    -e 's/^  learn: 7d$/  learn: 0/' "$conf"
grep -qx '  interfaces: \[veth-tap\]' "$conf" && grep -qx '  learn: 0' "$conf" ||
    bad "could not edit the installed configuration"
# the state directory is gone (start-up makes it again, the user's)
rm -rf "$R/var/lib/exfild"

# on_box CMD...: CMD in the namespaces, the root's users and /var shown
# (each step execs the next: in the background, $! is CMD itself)
BOX='R=$1; shift
    mount --make-rprivate / &&
    mount --bind "$R/etc/passwd" /etc/passwd &&
    mount --bind "$R/etc/group" /etc/group &&
    mount --bind "$R/var/lib" /var/lib &&
    mount --bind "$R/var/log" /var/log || exit 9
    exec "$@"'
on_box() { ip netns exec "$NS" unshare -m sh -c "$BOX" _ "$R" "$@"; }
EXFILD="$R/usr/local/sbin/exfild"
on_box "$EXFILD" -t -c "$conf" -i veth-tap >"$T/t.out" 2>"$T/t.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(tail -1 "$T/t.out")" = "configuration OK" ] &&
    grep -q 'geo.databases: the geo data locates no public address' "$T/t.err"; then ok; else
	bad "-t on the fresh box: exit $rc"; cat "$T/t.out" "$T/t.err"; fi
# ... and it would notice a user missing there
on_box "$EXFILD" -t -c "$conf" -u exfild-nobody-here >/dev/null 2>"$T/t.err"
if [ $? -eq 1 ] && grep -q '^exfild: -u: no such user "exfild-nobody-here"' "$T/t.err"; then ok; else
	bad "-t on the fresh box, missing user"; cat "$T/t.err"; fi

# ---- the daemon: as root, in the foreground ----
ip netns exec "$NS" unshare -m sh -c "$BOX" _ "$R" "$EXFILD" -f -c "$conf" 2>"$T/daemon.log" &
daemon_pid=$!
log_has() { grep -q "$1" "$T/daemon.log"; }
if wait_for 10 log_has "capturing on 1 interface"; then ok; else
	bad "the daemon did not start"; cat "$T/daemon.log"; exit 1; fi
if log_has "daemon.state_dir (default /var/lib/exfild): created directory /var/lib/exfild (owner exfild, mode 0700)" ||
    log_has "baseline.state: created directory /var/lib/exfild (owner exfild, mode 0700)"; then ok; else
	bad "no line on the state directory made"; cat "$T/daemon.log"; fi
got=$(stat -c '%u:%g %a' "$R/var/lib/exfild")
if [ "$got" = "$uid:$gid 700" ]; then ok; else bad "/var/lib/exfild made as '$got', want '$uid:$gid 700'"; fi
ids=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$daemon_pid/status")
if [ "$ids" = "$uid$uid$uid$uid" ]; then ok; else bad "running as uids '$ids', want $uid (exfild)"; fi

in_ns tcpreplay -q -x 1000 -i veth-in pcaps/jal-day.pcap >"$T/tcpreplay.log" 2>&1 ||
    bad "tcpreplay: $(cat "$T/tcpreplay.log")"
alerts="$R/var/log/exfild/alerts.json"
has_alerts() { [ -s "$alerts" ]; }
if wait_for 15 has_alerts; then ok; else bad "no alert written to /var/log/exfild/alerts.json"; tail -5 "$T/daemon.log"; fi
if [ -s "$alerts" ] && jq -e 'select(.rule == "compressed-upload" and .src == "10.1.20.24")' "$alerts" >/dev/null 2>&1 &&
    [ "$(stat -c %u "$alerts")" = "$uid" ]; then ok; else
	bad "alerts: no compressed-upload of 10.1.20.24, or not exfild's file"; cat "$alerts"; fi

kill -TERM "$daemon_pid"
wait "$daemon_pid"; rc=$?
daemon_pid=
if [ $rc -eq 0 ]; then ok; else bad "SIGTERM: exit $rc"; tail -5 "$T/daemon.log"; fi
state="$R/var/lib/exfild/baseline.state"
if [ -s "$state" ] && [ "$(stat -c %u "$state")" = "$uid" ] &&
    grep -q ' 203.0.113.99 ' "$state"; then ok; else
	bad "baseline not saved at exit"; ls -la "$R/var/lib/exfild"; tail -5 "$T/daemon.log"; fi
if ! log_has "create temp file\|Permission denied\|No such file"; then ok; else
	bad "errors in the daemon's log"; grep "create temp file\|Permission denied\|No such file" "$T/daemon.log"; fi

tally fresh "$pass" "$fail"
[ "$fail" -eq 0 ]
