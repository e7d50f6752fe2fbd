#!/bin/sh
# make demo: replay the bundled sample captures with the demo configuration
# and show what exfild finds: a readable line per alert, then the JSON lines
# (what a SIEM receives), then the summary from stderr.
set -u
EXFILD=${1:-build/exfild}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

replay() { # capture, description
	echo "== pcaps/$1.pcap: $2"
	if ! "$EXFILD" -c conf/demo.yaml -r "pcaps/$1.pcap" >"$tmp/out" 2>"$tmp/err"; then
		cat "$tmp/err"
		exit 1
	fi
	if [ -s "$tmp/out" ]; then
		jq -r '"  ALERT \(.ts) \(.rule) (\(.severity)): \(.src) -> \(if .dst_host != "" then .dst_host else .dst end):\(.dst_port) [\(.dst_country), \(.via)] \(.bytes_out) bytes out, \(.bytes_in) in; payload \(.payload_total | to_entries | map("\(.key)=\(.value)") | join(" ")); records at risk \(.records_est_low)-\(.records_est_high)\(if .reason then "\n    " + .reason else "" end)"' "$tmp/out"
		echo "  -- as JSON lines:"
		cat "$tmp/out"
	else
		echo "  (no alerts)"
	fi
	sed 's/^exfild: /  /' "$tmp/err" | grep -E '^  (replay|alerts)'
	echo
}

replay jal-day "PC-side tap, JAL-like day: RAR by POST and CONNECT, TLS upload, direct ZIP to Hong Kong"
replay benign-day "large uploads to a familiar SaaS, a domestic host and an allow-listed site; a download from abroad"
replay egress-xff "tap outside the proxy: the uploader named by X-Forwarded-For"
echo "The forensic table (who sent what to whom) of the JAL-like day:"
echo "  $EXFILD -c conf/demo.yaml --pairs -r pcaps/jal-day.pcap"
