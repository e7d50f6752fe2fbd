#!/bin/sh
# A sensor that starts right (issue 13): exfild -t checks what start-up
# needs as the daemon's user, each failure naming the key and file:line
# (user, output file and its directory, state_dir, baseline.state's
# directory, a file read, -i), beside a configuration that passes; relative
# paths resolve against the configuration's directory; a file that cannot
# be opened names its key; errors reach stderr without -f when there is no
# syslog socket (or a terminal), and only syslog otherwise; replay-only
# options without -r/-l and a -l file of which no line parses are errors;
# the untrusted-resolver and no-public-geo warnings, each with its control.
# Exit 77: skipped (not root: the checks drop to another user).
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$(pwd)
BUILD=${BUILD:-build}
EXFILD="$REPO/$BUILD/exfild"
. tests/e2e/tally.sh
[ "$(id -u)" -eq 0 ] || skip_all startup "needs root (exfild -t drops to another user)"
getent passwd nobody >/dev/null || skip_all startup "no user nobody"
command -v setpriv >/dev/null 2>&1 || skip_all startup "setpriv (util-linux) not installed"
command -v script >/dev/null 2>&1 || skip_all startup "script (bsdutils) not installed"
unshare -m true 2>/dev/null || skip_all startup "cannot create a mount namespace here"
T=$(mktemp -d)
chmod 755 "$T"
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "startup FAIL: $*"; }
sock_pid=
cleanup() {
	[ -n "$sock_pid" ] && kill "$sock_pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# expect NAME RC WANT_STDERR CMD...: exit status and stderr exactly
expect() {
	name=$1 want_rc=$2 want_err=$3; shift 3
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && [ "$(cat "$T/err")" = "$want_err" ]; then ok; else
		bad "$name: exit $rc (want $want_rc), stderr:"; cat "$T/err"
		echo "  want: $want_err"
	fi
}
# line_of FILE TEXT: the line number of the first line with TEXT
line_of() { grep -n -m1 -F "$2" "$1" | cut -d: -f1; }

# ---- usage: replay-only options without -r or -l ----
for opt in --pairs --to-outputs --save-baseline; do
	expect "$opt alone" 1 "exfild: $opt is for a replay: give -r or -l" \
	    "$EXFILD" -c conf/demo.yaml "$opt"
done
for f in json text; do
	expect "--format $f alone" 1 "exfild: --format is for a replay: give -r or -l" \
	    "$EXFILD" -c conf/demo.yaml --format "$f"
done
expect "--report alone" 1 "exfild: --report is for a replay: give -r or -l" \
    "$EXFILD" -c conf/demo.yaml --report "$T/r.html"
"$EXFILD" -c conf/demo.yaml --pairs -r pcaps/egress-xff.pcap >"$T/pairs.out" 2>/dev/null
if [ $? -eq 0 ] && [ -s "$T/pairs.out" ]; then ok; else bad "--pairs with -r (the control)"; fi

# ---- -l: a file of which no line parses ----
printf 'hello world\nnot a squid line\n' >"$T/junk.log"
printf '1411012800.000    120 10.1.20.24 TCP_MISS/200 5120 GET http://www.example.com/ - HIER_DIRECT/198.51.100.140 text/html\n' >"$T/good.log"
: >"$T/empty.log"
"$EXFILD" -c conf/demo.yaml -l "$T/junk.log" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -qx "exfild: no line of $T/junk.log matches format squid" "$T/err"; then ok; else
	bad "-l junk: exit $rc"; cat "$T/err"; fi
"$EXFILD" -c conf/demo.yaml --log-format zeek -l "$T/good.log" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -qx "exfild: no line of $T/good.log matches format zeek" "$T/err"; then ok; else
	bad "-l squid line as zeek: exit $rc"; cat "$T/err"; fi
# controls: a line that parses, an empty file, a good file beside a bad one
for f in good empty; do
	"$EXFILD" -c conf/demo.yaml -l "$T/$f.log" >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc -eq 0 ] && ! grep -q "no line of" "$T/err"; then ok; else bad "-l $f.log: exit $rc"; cat "$T/err"; fi
done
if "$EXFILD" -c conf/demo.yaml -l "$T/good.log" 2>&1 >/dev/null | grep -q ' records=1 '; then ok; else
	bad "-l good.log: the line was not read as a record"; fi
"$EXFILD" -c conf/demo.yaml -l "$T/good.log" -l "$T/junk.log" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -qx "exfild: no line of $T/junk.log matches format squid" "$T/err"; then ok; else
	bad "-l good and junk: exit $rc"; cat "$T/err"; fi

# ---- relative paths: against the configuration's directory ----
mkdir -p "$T/conf"
cp conf/demo.yaml conf/geo-sample.csv conf/hosts.sample conf/example-psl.dat "$T/conf/"
if (cd / && "$EXFILD" -c "$T/conf/demo.yaml" -r "$REPO/pcaps/jal-day.pcap") >"$T/rel.out" 2>"$T/err" &&
    cmp -s "$T/rel.out" tests/e2e/jal-day.out; then ok; else bad "relative paths from /"; cat "$T/err"; fi
# ... a relative configuration path from elsewhere
if (cd "$T" && "$EXFILD" -c conf/demo.yaml -r "$REPO/pcaps/jal-day.pcap") >"$T/rel2.out" 2>"$T/err" &&
    cmp -s "$T/rel2.out" tests/e2e/jal-day.out; then ok; else bad "relative paths, relative config"; cat "$T/err"; fi
# a file that cannot be opened: its key and file:line:col
mv "$T/conf/hosts.sample" "$T/conf/hosts.moved"
l=$(line_of "$T/conf/demo.yaml" "hosts: hosts.sample")
expect "missing hosts file" 1 "exfild: $T/conf/demo.yaml:$l:10: geo.hosts: $T/conf/hosts.sample: No such file or directory" \
    "$EXFILD" -c "$T/conf/demo.yaml" -r pcaps/jal-day.pcap
mv "$T/conf/geo-sample.csv" "$T/conf/geo.moved"
l=$(line_of "$T/conf/demo.yaml" "databases: [geo-sample.csv]")
expect "missing geo file (-t)" 1 "exfild: $T/conf/demo.yaml:$l:15: geo.databases: $T/conf/geo-sample.csv: No such file or directory" \
    "$EXFILD" -t -u nobody -c "$T/conf/demo.yaml"
mv "$T/conf/geo.moved" "$T/conf/geo-sample.csv"
mv "$T/conf/hosts.moved" "$T/conf/hosts.sample"

# ---- exfild -t: start-up's needs, as the user ----
D="$T/t"
mkdir -p "$D/out" "$D/state" "$D/lib" "$D/rootdir"
cp conf/geo-sample.csv conf/hosts.sample "$D/"
chown nobody "$D/out" "$D/state" "$D/lib"
chmod 755 "$D" "$D/rootdir"
# write_t FILE [USER [OUT [STATE [LIB [HOSTS]]]]]: a config naming them
write_t() {
	cat >"$1" <<EOF
networks:
  resolvers: [10.1.1.53]
geo:
  home: [JP]
  databases: [geo-sample.csv]
  hosts: ${6:-hosts.sample}
baseline:
  state: ${4:-state/baseline.state}
daemon:
  user: ${2:-nobody}
  state_dir: ${5:-lib}
outputs:
  - file: { path: ${3:-out/alerts.json} }
EOF
}
# t_ok NAME CONFIG [ARGS]: -t passes (stdout's last line), nothing on stderr
t_ok() {
	name=$1 cfg=$2; shift 2
	"$EXFILD" -t -c "$cfg" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$T/err" ] && [ "$(tail -1 "$T/out")" = "configuration OK" ]; then ok; else
		bad "$name: -t exit $rc"; cat "$T/out" "$T/err"; fi
}
write_t "$D/ok.yaml"
t_ok "the control" "$D/ok.yaml" -i lo
# as root, a directory start-up creates may be missing
write_t "$D/new.yaml" nobody new/alerts.json new-state/b.state new-lib
t_ok "missing directories (root creates them)" "$D/new.yaml"
if [ ! -e "$D/new" ] && [ ! -e "$D/new-lib" ]; then ok; else bad "-t created a directory"; fi

write_t "$D/user.yaml" exfild-no-such-user
expect "-t: no such user" 1 "exfild: $D/user.yaml:10:9: daemon.user: no such user \"exfild-no-such-user\" (make install creates exfild; or set daemon.user, or give -u)" \
    "$EXFILD" -t -c "$D/user.yaml"
expect "-t: -u no such user" 1 "exfild: -u: no such user \"exfild-no-such-user\" (make install creates exfild; or set daemon.user, or give -u)" \
    "$EXFILD" -t -u exfild-no-such-user -c "$D/ok.yaml"
expect "-t: no such interface" 1 "exfild: -i: no interface \"exfild-nosuch0\" on this machine: No such device" \
    "$EXFILD" -t -c "$D/ok.yaml" -i exfild-nosuch0
write_t "$D/outdir.yaml" nobody rootdir/alerts.json
expect "-t: output directory not the user's" 1 "exfild: $D/outdir.yaml:13:19: outputs.file.path: $D/rootdir/alerts.json: directory $D/rootdir is not writable by user nobody: Permission denied" \
    "$EXFILD" -t -c "$D/outdir.yaml"
: >"$D/out/root.json"; chmod 644 "$D/out/root.json"
write_t "$D/outfile.yaml" nobody out/root.json
expect "-t: output file not the user's" 1 "exfild: $D/outfile.yaml:13:19: outputs.file.path: $D/out/root.json: not writable by user nobody: Permission denied" \
    "$EXFILD" -t -c "$D/outfile.yaml"
write_t "$D/statedir.yaml" nobody out/alerts.json state/baseline.state rootdir
expect "-t: state_dir not the user's" 1 "exfild: $D/statedir.yaml:11:14: daemon.state_dir: $D/rootdir: directory $D/rootdir is not writable by user nobody: Permission denied" \
    "$EXFILD" -t -c "$D/statedir.yaml"
write_t "$D/baseline.yaml" nobody out/alerts.json rootdir/baseline.state
expect "-t: baseline.state's directory not the user's" 1 "exfild: $D/baseline.yaml:8:10: baseline.state: $D/rootdir/baseline.state: directory $D/rootdir is not writable by user nobody: Permission denied" \
    "$EXFILD" -t -c "$D/baseline.yaml"
cp conf/hosts.sample "$D/hosts.secret"; chmod 600 "$D/hosts.secret"
write_t "$D/read.yaml" nobody out/alerts.json state/baseline.state lib hosts.secret
expect "-t: a file the user cannot read" 1 "exfild: $D/read.yaml:6:10: geo.hosts: $D/hosts.secret: not readable by user nobody: Permission denied" \
    "$EXFILD" -t -c "$D/read.yaml"
# several failures: each its own line
write_t "$D/two.yaml" nobody rootdir/alerts.json rootdir/baseline.state
"$EXFILD" -t -c "$D/two.yaml" >/dev/null 2>"$T/err"
if [ $? -eq 1 ] && [ "$(grep -c 'is not writable by user nobody' "$T/err")" = 2 ]; then ok; else bad "-t: two failures"; cat "$T/err"; fi
# not root: checked as this user, and a missing directory is an error
write_t "$D/new2.yaml" nobody new/alerts.json
setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups \
    "$EXFILD" -t -c "$D/new2.yaml" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(cat "$T/err")" = "exfild: $D/new2.yaml:13:19: outputs.file.path: $D/new/alerts.json: directory $D/new: No such file or directory" ]; then ok; else
	bad "-t as nobody, missing directory: exit $rc"; cat "$T/err"; fi
setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups \
    "$EXFILD" -t -c "$D/ok.yaml" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$T/err" ]; then ok; else bad "-t as nobody (the control): exit $rc"; cat "$T/err"; fi

# ---- the geo data locates no public address: a warning (and its control) ----
cp conf/exfild.yaml conf/geo.csv "$T/conf/"
l=$(line_of "$T/conf/exfild.yaml" "  databases: [geo.csv]")
"$EXFILD" -t -u nobody -c "$T/conf/exfild.yaml" >"$T/out" 2>"$T/err"
if [ "$(cat "$T/err")" = "exfild: $T/conf/exfild.yaml:$l:15: geo.databases: the geo data locates no public address: every destination's country is unknown (\"??\", foreign); replace it with a country database (README: Running as a service)" ] &&
    [ "$(tail -1 "$T/out")" = "configuration OK" ]; then ok; else bad "no-public-geo warning"; cat "$T/out" "$T/err"; fi
# (the control: t_ok above, with geo-sample.csv, had an empty stderr)

# ---- networks.resolvers that ignore the capture's DNS: a warning, once ----
sed 's/resolvers: \[10.1.1.53\]/resolvers: [10.9.9.9]/' "$T/conf/demo.yaml" >"$T/conf/resolvers.yaml"
"$EXFILD" -c "$T/conf/resolvers.yaml" -r pcaps/jal-day.pcap -r pcaps/benign-day.pcap \
    -r pcaps/egress-xff.pcap >/dev/null 2>"$T/err"
want="exfild: $T/conf/resolvers.yaml: networks.resolvers: 20 of 20 DNS answers were ignored as not from a listed resolver (the first from 10.1.1.53): list the resolvers this network uses, or none to believe every answer"
if [ "$(grep -c 'networks.resolvers' "$T/err")" = 1 ] && grep -qxF "$want" "$T/err"; then ok; else
	bad "resolver warning"; grep 'resolvers\|dns' "$T/err"; fi
"$EXFILD" -c "$T/conf/demo.yaml" -r pcaps/jal-day.pcap -r pcaps/benign-day.pcap \
    -r pcaps/egress-xff.pcap >/dev/null 2>"$T/err"
if ! grep -q 'networks.resolvers' "$T/err" && grep -q ' dns_answers=71 dns_untrusted=0 ' "$T/err"; then ok; else
	bad "resolver warning's control"; grep 'resolvers\|dns' "$T/err"; fi
if grep -qx '  resolvers: \[\]' conf/exfild.yaml; then ok; else bad "conf/exfild.yaml sets networks.resolvers"; fi

# ---- errors reach a person: stderr without -f when syslog is not there ----
printf 'rules:\n  window: soon\n' >"$T/broken.yaml"
want="exfild: $T/broken.yaml:2:11: rules.window: invalid duration \"soon\""
# (in a mount namespace: /dev/log hidden when this machine has one)
unshare -m sh -c '[ ! -e /dev/log ] || mount --bind /dev/null /dev/log || exit 9
    exec "$0" -c "$1"' "$EXFILD" "$T/broken.yaml" >"$T/out" 2>"$T/err" </dev/null
rc=$?
if [ $rc -eq 1 ] && [ "$(cat "$T/err")" = "$want" ]; then ok; else bad "no /dev/log: exit $rc, stderr:"; cat "$T/err"; fi
# with a syslog socket at /dev/log (ours, in a private /dev): syslog alone,
# and with a terminal on stderr, both
mkdir -p "$T/hostdev"
cat >"$T/syslogd.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log"); os.chmod("/dev/log", 0o666)
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode() + "\n")
EOF
unshare -m sh -c '
    mount --make-rprivate / && mount --rbind /dev "$1/hostdev" &&
    mount -t tmpfs none /dev && mkdir /dev/pts &&
    for n in null tty; do touch /dev/$n && mount --bind "$1/hostdev/$n" /dev/$n; done &&
    mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts &&
    ln -s pts/ptmx /dev/ptmx || exit 9
    python3 "$1/syslogd.py" "$1/syslog.log" </dev/null &
    i=0; while [ ! -e "$1/syslog.log.ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    "$2" -c "$1/broken.yaml" >"$1/sock.out" 2>"$1/sock.err" </dev/null
    echo $? >"$1/sock.rc"
    script -qec "\"$2\" -c \"$1/broken.yaml\"" "$1/tty.log" >/dev/null 2>&1 </dev/null
    echo $? >"$1/tty.rc"
    sleep 0.3; kill $!' _ "$T" "$EXFILD" 2>"$T/ns.err"
if [ "$(cat "$T/sock.rc" 2>/dev/null)" = 1 ] && [ ! -s "$T/sock.err" ] &&
    grep -qF "exfild[" "$T/syslog.log" && grep -qF "${want#exfild: }" "$T/syslog.log"; then ok; else
	bad "syslog socket, no terminal: stderr should be empty, the line in syslog"
	cat "$T/ns.err" "$T/sock.err" "$T/syslog.log" 2>/dev/null; fi
if [ "$(cat "$T/tty.rc" 2>/dev/null)" = 1 ] && grep -qF "$want" "$T/tty.log" &&
    [ "$(grep -cF "${want#exfild: }" "$T/syslog.log")" = 2 ]; then ok; else
	bad "syslog socket and a terminal: the line on both"; cat "$T/tty.log" "$T/syslog.log" 2>/dev/null; fi

tally startup "$pass" "$fail"
[ "$fail" -eq 0 ]
