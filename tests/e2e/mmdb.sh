#!/bin/sh
# MaxMind DB geo and ASN end to end (issue 12). Databases are written here by
# tests/mkmmdb.pl (libmaxmind-db-writer-perl): the sample CSV's networks as a
# GeoLite2-Country file, and tests/mmdb/demo-asn.spec. Checks: every case of
# TESTLIST gives the same bytes with the mmdb as the only geo source as with
# the CSV (alerts and --pairs rows); with geo.asn, the same alerts and rows
# plus exact dst_asn/dst_org; an AS<number> allow entry quiets an
# address-only destination of that AS; a truncated, a wrong-type and a
# missing database are refused at start with the path and the reason; the
# daemon (log source, -u nobody) keeps its old databases when a reload
# (SIGHUP) finds a truncated one, and takes a good one at the next.
#   BUILD=build sh tests/e2e/mmdb.sh      (build-san: ASan+UBSan driver)
set -u
BUILD=${BUILD:-build}
EXFILD="$(pwd)/$BUILD/exfild"
FORMAT='%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt'

# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
skip() { skip_all mmdb "$@"; }
[ -x "$EXFILD" ] || skip "$EXFILD not built"
command -v jq >/dev/null 2>&1 || skip "jq not installed"
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
    skip "libmaxmind-db-writer-perl not installed"

T=$(mktemp -d)
chmod 755 "$T"
pass=0; fail=0
daemon_pid=
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "mmdb FAIL: $*"; }
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
# expect_same NAME GOT WANT
expect_same() {
	if cmp -s "$2" "$3"; then ok; else bad "$1: output differs"; diff "$3" "$2" | head -10; fi
}
# demo_config OUT DATABASES [EXTRA_GEO_LINE [ALLOW]]: conf/demo.yaml with its
# geo databases (and allow list) replaced
demo_config() {
	config_copy conf/demo.yaml | sed -e "s|^  databases: .*|  databases: [$2]${3:+\\
$3}|" -e "s|^  allow: .*|  allow: [${4:-\"*.windowsupdate.com\", 192.0.2.0/24}]|" >"$1"
}

perl tests/mkmmdb.pl GeoLite2-Country 6 "$T/geo.mmdb" <conf/geo-sample.csv || bad "mkmmdb geo"
perl tests/mkmmdb.pl "$T/asn.mmdb" <tests/mmdb/demo-asn.spec || bad "mkmmdb asn"
demo_config "$T/mmdb.yaml" "$T/geo.mmdb"
demo_config "$T/asn.yaml" "$T/geo.mmdb" "  asn: $T/asn.mmdb"

# ---- the same alerts and rows from the CSV and from the mmdb ----
while IFS='|' read -r name args _; do
	name=$(echo "$name" | tr -d ' ')
	case "$name" in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2086 # the case's arguments, split
	set -- $args
	"$EXFILD" "$@" >"$T/$name.csv" 2>"$T/$name.csv.err" || bad "$name (CSV): exit $?"
	shift 2 # -c conf/demo.yaml
	"$EXFILD" -c "$T/mmdb.yaml" "$@" >"$T/$name.mmdb" 2>"$T/$name.mmdb.err" ||
	    { bad "$name (mmdb): exit $?"; cat "$T/$name.mmdb.err"; }
	expect_same "$name: mmdb as the CSV" "$T/$name.mmdb" "$T/$name.csv"
	"$EXFILD" -c "$T/asn.yaml" "$@" >"$T/$name.asn" 2>"$T/$name.asn.err" ||
	    { bad "$name (asn): exit $?"; cat "$T/$name.asn.err"; }
	jq -c 'del(.dst_asn, .dst_org)' "$T/$name.asn" >"$T/$name.asn.less"
	jq -c . "$T/$name.csv" >"$T/$name.csv.c"
	expect_same "$name: with geo.asn, the same besides the AS" "$T/$name.asn.less" "$T/$name.csv.c"
done < tests/e2e/TESTLIST

# ---- exact autonomous systems ----
jq -r 'select(.kind == "alert") | [.rule, .dst, (.dst_asn // 0 | tostring), (.dst_org // "-")] | join(" ")' \
    "$T/jal-day.asn" >"$T/got.asn"
cat >"$T/want.asn" <<'EOF'
compressed-upload 203.0.113.66 64496 HK "Files" Hosting|Ltd
compressed-upload 203.0.113.66 64496 HK "Files" Hosting|Ltd
campaign 203.0.113.66 64496 HK "Files" Hosting|Ltd
campaign 203.0.113.66 64496 HK "Files" Hosting|Ltd
campaign 203.0.113.66 64496 HK "Files" Hosting|Ltd
bulk-upload 203.0.113.66 64496 HK "Files" Hosting|Ltd
compressed-upload 203.0.113.99 64511 Example Transit, Inc.
EOF
expect_same "jal-day: ASNs and organisations" "$T/got.asn" "$T/want.asn"
jq -r '[(.dst_host | if . == "" then "-" else . end), (.dst_asn // 0 | tostring), (.dst_org // "-")] | join(" ")' \
    "$T/jal-day-pairs.asn" | sort -u >"$T/got.pairs"
cat >"$T/want.pairs" <<'EOF'
- 64511 Example Transit, Inc.
hk-files.example.net 64496 HK "Files" Hosting|Ltd
mystery.example.xyz 0 -
news.example.org 64500 Doc Net
www.jal.example.jp 64500 Doc Net
www.search.example.com 64500 Doc Net
EOF
expect_same "jal-day --pairs: ASNs and organisations" "$T/got.pairs" "$T/want.pairs"
if grep -q '"dst_org":"HK \\"Files\\" Hosting|Ltd"' "$T/jal-day.asn"; then ok
else bad "the organisation is not escaped as JSON"; fi

# ---- AS<number> in baseline.allow: 203.0.113.99 (no name) is familiar ----
demo_config "$T/allow.yaml" "$T/geo.mmdb" "  asn: $T/asn.mmdb" '"*.windowsupdate.com", 192.0.2.0/24, AS64511'
"$EXFILD" -c "$T/allow.yaml" -r pcaps/jal-day.pcap >"$T/allow.out" 2>"$T/allow.err" || bad "allow AS64511: exit $?"
grep -v '"dst":"203.0.113.99"' "$T/jal-day.asn" >"$T/allow.want"
expect_same "allow AS64511" "$T/allow.out" "$T/allow.want"
if [ "$(grep -c '"kind":"alert"' "$T/allow.out")" -eq 6 ]; then ok; else bad "allow AS64511: want 6 alerts"; fi

# ---- refused at start: truncated, wrong type, missing ----
head -c 900 "$T/geo.mmdb" >"$T/cut.mmdb"
# expect_refused NAME WANT_ERR CONFIG
expect_refused() {
	if "$EXFILD" -c "$3" -r pcaps/jal-day.pcap >"$T/refused.out" 2>"$T/refused.err"; then
		bad "$1: started"
	elif grep -qF "$2" "$T/refused.err"; then ok
	else bad "$1: want '$2' in:"; cat "$T/refused.err"; fi
}
demo_config "$T/bad.yaml" "$T/cut.mmdb"
expect_refused "truncated" "$T/cut.mmdb: The MaxMind DB file contains invalid metadata" "$T/bad.yaml"
demo_config "$T/bad.yaml" "$T/asn.mmdb"
expect_refused "ASN as geo" "$T/asn.mmdb: database type \"GeoLite2-ASN\" is not a Country, City or Enterprise database" "$T/bad.yaml"
demo_config "$T/bad.yaml" "$T/geo.mmdb" "  asn: $T/geo.mmdb"
expect_refused "country as ASN" "$T/geo.mmdb: database type \"GeoLite2-Country\" is not an ASN or ISP database" "$T/bad.yaml"
demo_config "$T/bad.yaml" "$T/geo.mmdb" "  asn: $T/none.mmdb"
expect_refused "missing" "$T/none.mmdb: Error opening the specified MaxMind DB file: No such file or directory" "$T/bad.yaml"

# ---- the daemon: a reload keeps the old databases when a new one fails ----
daemon_part() {
	getent passwd nobody >/dev/null || { echo "mmdb: no user nobody: reload part skipped"; return; }
	mkdir -p "$T/d/logs" "$T/d/out" "$T/d/geo"
	cp "$T/geo.mmdb" "$T/d/geo/geo.mmdb"
	cp "$T/asn.mmdb" "$T/d/geo/asn.mmdb"
	log=$T/d/logs/access.log
	: >"$log"
	cat >"$T/d/exfild.yaml" <<EOF
sensor: mmdb-e2e
networks:
  internal: [10.0.0.0/8]
geo:
  home: [JP]
  databases: [$T/d/geo/geo.mmdb]
  asn: $T/d/geo/asn.mmdb
baseline:
  learn: 10s
rules:
  window: 1h
  eval_interval: 1s
  bulk_upload: { bytes: 2MB, min_ratio: 3, severity: high }
  off_hours: { enabled: false }
daemon:
  state_dir: $T/d/out
stats:
  interval: 0
logs:
  - follow: $log
    format: "squid:$FORMAT"
outputs:
  - file: { path: $T/d/out/alerts.json, format: json }
EOF
	chown nobody "$T/d/out"
	chmod 755 "$T/d" "$T/d/logs" "$T/d/geo"; chmod 644 "$T/d/exfild.yaml" "$T/d/geo"/* "$log"
	"$EXFILD" -f -u nobody -c "$T/d/exfild.yaml" 2>"$T/d/daemon.log" &
	daemon_pid=$!
	if wait_for 10 grep -qs "logs: following $log" "$T/d/daemon.log"; then ok
	else bad "daemon did not start"; cat "$T/d/daemon.log"; return; fi
	t0=$(($(date +%s) - 100))
	# learning starts with the first line; the uploads come after it
	upload_line "$t0" 198.51.100.10 1000 >>"$log"
	# a truncated file put in place as geoipupdate does (rename)
	head -c 900 "$T/geo.mmdb" >"$T/d/geo/new.mmdb"
	mv "$T/d/geo/new.mmdb" "$T/d/geo/geo.mmdb"
	kill -HUP "$daemon_pid"
	if wait_for 5 grep -q "reload failed, keeping the running configuration: $T/d/exfild.yaml:[0-9]*:[0-9]*: geo.databases: $T/d/geo/geo.mmdb: The MaxMind DB file contains invalid metadata" "$T/d/daemon.log"; then ok
	else bad "the truncated database's reload not refused"; tail -5 "$T/d/daemon.log"; fi
	kill -0 "$daemon_pid" 2>/dev/null && ok || { bad "daemon died at the reload"; return; }
	upload_line $((t0 + 60)) 203.0.113.66 3000000 >>"$log"
	if wait_for 10 has_rows 1 "$T/d/out/alerts.json"; then ok; else bad "no alert after the refused reload"; fi
	# a good file, where 203.0.113.0/24 is now in the US
	sed 's|^203.0.113.0/24,HK|203.0.113.0/24,US|' conf/geo-sample.csv |
	    perl tests/mkmmdb.pl GeoLite2-Country 6 "$T/d/geo/new.mmdb"
	chmod 644 "$T/d/geo/new.mmdb"
	mv "$T/d/geo/new.mmdb" "$T/d/geo/geo.mmdb"
	kill -HUP "$daemon_pid"
	if wait_for 5 grep -qF "reload: $T/d/exfild.yaml applied" "$T/d/daemon.log"; then ok
	else bad "good reload not applied"; tail -5 "$T/d/daemon.log"; fi
	upload_line $((t0 + 70)) 203.0.113.77 3000000 >>"$log"
	if wait_for 10 has_rows 2 "$T/d/out/alerts.json"; then ok; else bad "no alert after the good reload"; fi
	jq -r '[.dst, .dst_country, (.dst_asn | tostring)] | join(" ")' "$T/d/out/alerts.json" >"$T/d/got"
	printf '203.0.113.66 HK 64496\n203.0.113.77 US 64496\n' >"$T/d/want"
	expect_same "daemon: countries before and after the reloads" "$T/d/got" "$T/d/want"
}
has_rows() { [ -f "$2" ] && [ "$(wc -l <"$2")" -ge "$1" ]; }
# upload_line TIME DST BYTES_SENT: one Squid line in FORMAT, a POST from 10.1.20.21
upload_line() {
	printf '%s.000    120 10.1.20.21 TCP_MISS/200 900 %s POST http://%s/u - HIER_DIRECT/%s text/html\n' \
	    "$1" "$3" "$2" "$2"
}
if [ "$(id -u)" -eq 0 ]; then daemon_part; else echo "mmdb: not root: reload part skipped"; fi

tally mmdb "$pass" "$fail"
[ "$fail" -eq 0 ]
