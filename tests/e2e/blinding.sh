#!/bin/sh
# A host must not be able to blind exfild (issue 11). pcapgen --blind
# writes the JAL PC 10.1.20.21 uploading a 20 MB RAR5 to
# hk-files.example.net (203.0.113.66, HK), through the proxy or straight,
# after or around an attempt to blind exfild: keep-alive connections that
# hold the parser slots, a SYN flood that evicts the upload's flow (the
# direct one a RAR that stores text), floods of flows, pairs and
# destinations (tests/gen/pcapgen.c, gen_blind). Each attack at the issue's
# count and beyond it, replayed with conf/demo.yaml --pairs, must give:
#   - one compressed-upload alert for the PC to the Hong Kong destination
#     (via the proxy: hk-files.example.net, port 80; direct: the address);
#   - the pair's bytes out (its --pairs rows) and its RAR bytes at least
#     95% of what the PC sent on the upload's connection (uploadbytes.py,
#     which reads the capture without exfild's code);
#   - the replay summary with every packet read and its counters; the
#     `limits:` counters, each printed, and those an attack must move
#     (no parser slot reclaimed or missing under keep-alive connections,
#     the SYNs past limits.half_open_per_host refused, destinations
#     evicted past limits.destinations); RSS that does not grow with a
#     flood.
# Positive controls: the same uploads with no attack (N = 0), and 4,095
# keep-alive connections (one parser slot left), which alerted before the
# fixes too. Exit 0 pass, 1 fail, 77 skipped (jq or python3 missing).
# Run alone, it prints a line a case (BLINDING_QUIET=1: failures only).
set -u
# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
BUILD=${BUILD:-build}
EXFILD="$BUILD/exfild"
GEN="$BUILD/pcapgen"
PC=10.1.20.21
HK=203.0.113.66
HK_NAME=hk-files.example.net
COUNTERS_11="parser_slots_reclaimed parser_slots_exhausted half_open_evicted half_open_refused flows_resumed pairs_rebound flows_lost_destination destinations_evicted"
for tool in jq python3; do
	command -v "$tool" >/dev/null 2>&1 || skip_all blinding "$tool not installed"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
quiet=${BLINDING_QUIET:-${CHECK_STEP:+1}}
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "blinding FAIL: $spec: $*"; case_failed=1; }

# counter NAME FILE: the number after " NAME=" in the replay summary, or
# nothing when it is not printed
counter() {
	sed -n "s/.* $1=\([0-9][0-9]*\).*/\1/p" "$2" | head -1
}

# at_least PART WHOLE PCT: PART is at least PCT% of WHOLE
at_least() {
	[ "$(($1 * 100))" -ge "$(($2 * $3))" ]
}

# The summary: every packet read (as many as pcapgen wrote), and the
# counters of today's lines.
check_summary() { # FRAMES
	got=$(sed -n 's/.*replay: files=1 failed=0 packets=\([0-9]*\) .*/\1/p' "$tmp/err")
	if [ -n "$got" ] && [ "$got" = "$1" ]; then ok
	else bad "summary packets='$got', pcapgen wrote $1"; fi
	missing=
	for k in created evicted pairs_evicted destinations proxy_unidentified \
	    http_requests parser_slots_exhausted alerts compressed-upload peak_rss_kb; do
		[ -n "$(counter "$k" "$tmp/err")" ] || missing="$missing $k"
	done
	if [ -z "$missing" ]; then ok; else bad "summary without$missing"; fi
}

# The counters of issue 11, each where printed: a number; destinations
# evicted by a flood of destinations beyond limits.destinations. Their
# values (or "-") in $counters_11.
check_counters_11() { # ATTACK N
	counters_11=
	for k in $COUNTERS_11; do
		v=$(counter "$k" "$tmp/err")
		counters_11="$counters_11 $k=${v:--}"
		if [ -n "$v" ]; then ok
		else bad "the summary's limits: line has no $k"; fi
	done
	case $1 in
	keepalive-*)
		# answered requests hold no parser slot: none taken, none missing
		expect_counter parser_slots_reclaimed 0
		expect_counter parser_slots_exhausted 0 ;;
	synflood-*)
		# the PC's SYNs beyond limits.half_open_per_host (128) untracked
		if [ "$2" -gt 128 ]; then expect_counter half_open_refused $(($2 - 128)); fi ;;
	dests)
		if [ "$2" -gt 131072 ]; then
			if [ "$(counter destinations_evicted "$tmp/err")" -gt 0 ]; then ok
			else bad "$2 destinations, limits.destinations 131072: destinations_evicted=0"; fi
		fi ;;
	esac
}

expect_counter() { # KEY VALUE
	if [ "$(counter "$1" "$tmp/err")" = "$2" ]; then ok
	else bad "$1=$(counter "$1" "$tmp/err"), want $2"; fi
}

# The alert: one compressed-upload for the PC to Hong Kong, named (through
# the proxy by its request; straight, the address by the request's Host).
check_alert() { # VIA
	name=$HK_NAME
	found=$(jq -r --arg pc "$PC" --arg hk "$HK" --arg name "$name" --arg via "$1" \
	    'select(.kind == "alert" and .rule == "compressed-upload" and .severity == "critical" and
	        .src == $pc and .dst == $hk and .dst_host == $name and
	        .dst_country == "HK" and .via == $via and .dst_port == 80) | .id' \
	    "$tmp/out" | wc -l | tr -d ' ')
	if [ "$found" -eq 1 ]; then ok
	else bad "$found compressed-upload alerts $PC -> $HK ${name:-(no name)} HK $1 80, want 1"; fi
}

# The pair's rows: bytes out, and the RAR's bytes, against the upload.
check_credit() { # UPLOAD
	jq -r --arg pc "$PC" --arg hk "$HK" \
	    'select(.kind == "pair") | select(.src == $pc and .dst == $hk) |
	        "\(.bytes_out) \(.payload_total.rar // 0)"' "$tmp/out" |
	    awk '{ o += $1; r += $2 } END { print o + 0, r + 0 }' >"$tmp/credit"
	read -r credited rar <"$tmp/credit"
	if at_least "$credited" "$1" 95; then ok
	else bad "$credited bytes credited to $PC -> $HK, under 95% of the upload's $1"; fi
	if at_least "$rar" "$1" 95; then ok
	else bad "$rar bytes credited as rar, under 95% of the upload's $1"; fi
}

# run_case ATTACK[:N] VIA: generate, replay, check; the capture removed
run_case() {
	spec=$1 via=$2 case_failed='' rss=''
	attack=${spec%%:*}
	n=${spec#"$attack"}; n=${n#:}
	pcap="$tmp/$attack.pcap"
	if ! "$GEN" --blind "$spec" "$pcap" >"$tmp/gen" 2>&1; then
		bad "pcapgen --blind failed: $(cat "$tmp/gen")"; return
	fi
	frames=$(sed -n 's/.*: \([0-9]*\) frames, .*/\1/p' "$tmp/gen")
	upload=$(python3 tests/e2e/uploadbytes.py "$pcap" |
	    awk -v pc="$PC" '$1 == pc { n += $3 } END { print n + 0 }')
	if [ "$upload" -gt 20000000 ]; then ok
	else bad "uploadbytes.py finds $upload bytes of upload from $PC, not 20 MB"; fi
	if "$EXFILD" -c conf/demo.yaml --pairs -r "$pcap" >"$tmp/out" 2>"$tmp/err"; then ok
	else bad "exfild exit status $?"; fi
	rm -f "$pcap"
	check_summary "$frames"
	check_alert "$via"
	check_credit "$upload"
	check_counters_11 "$attack" "${n:-0}"
	rss=$(counter peak_rss_kb "$tmp/err")
	if [ -z "$quiet" ] || [ -n "$case_failed" ]; then
		echo "blinding: $spec: $(counter alerts "$tmp/err") alerts" \
		    "(compressed-upload $(counter compressed-upload "$tmp/err")), credited" \
		    "$credited (rar $rar) of $upload;" \
		    "$(sed -n 's/^exfild: flows: //p' "$tmp/err"); peak_rss_kb=$rss;" \
		    "issue 11:$counters_11"
	fi
}

# rss_bounded RSS_AT_LIMIT RSS_BEYOND (kB): the peak RSS of a flood
# several times a table's limit is within a quarter (and 16 MB) of that of
# a flood that just fills it: the tables are bounded. Not for sanitizer
# builds, whose allocator keeps freed memory in quarantine.
rss_bounded() {
	case $BUILD in *san*) return ;; esac
	if [ -z "$1" ] || [ -z "$2" ]; then
		bad "no peak RSS to compare"
	elif [ "$2" -le $(($1 + $1 / 4 + 16384)) ]; then ok
	else bad "peak RSS $2 kB, with the table just full $1 kB: not bounded"; fi
}

# The same bytes every run (a small flood, the stored RAR, and the keep-alive
# connections).
spec=determinism
for s in synflood-direct:1000 keepalive-proxy:100; do
	"$GEN" --blind "$s" "$tmp/a.pcap" >/dev/null && "$GEN" --blind "$s" "$tmp/b.pcap" >/dev/null
	if cmp -s "$tmp/a.pcap" "$tmp/b.pcap"; then ok; else bad "pcapgen --blind $s differs between runs"; fi
	rm -f "$tmp/a.pcap" "$tmp/b.pcap"
done

# Keep-alive connections holding the parser slots (limits.app_parsers
# 4096), the upload through the proxy, then straight to Hong Kong.
run_case keepalive-proxy:0 proxy
run_case keepalive-proxy:4095 proxy
run_case keepalive-proxy proxy
run_case keepalive-proxy:8192 proxy
run_case keepalive-direct:0 direct
run_case keepalive-direct direct
run_case keepalive-direct:8192 direct
# The upload paused for a SYN flood of the PC's (limits.flows 262144);
# the control pauses as long with no flood.
run_case synflood-proxy:0 proxy
run_case synflood-proxy proxy
run_case synflood-proxy:600000 proxy
run_case synflood-direct:0 direct
run_case synflood-direct direct
run_case synflood-direct:600000 direct
# Floods of one-packet flows around the upload: at the table's limit
# (limits.flows, .pairs, .destinations), and at the issue's million.
for f in flows:262144,flows:1000000 pairs:131072,pairs:1000000 \
    dests:131072,dests:1000000; do
	run_case "${f%,*}" proxy
	rss_at=$rss
	run_case "${f#*,}" proxy
	rss_bounded "$rss_at" "$rss"
done

tally blinding "$pass" "$fail"
[ "$fail" -eq 0 ]
