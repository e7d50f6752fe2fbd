#!/bin/sh
# make bench: the full pipeline against a bare libpcap read loop over the same
# generated capture (>= 1 GB, >= 1M packets, >= 100k flows): packets/s,
# Gbit/s, peak RSS; then instructions per packet of both under callgrind on a
# smaller capture (marginal cost: the difference between two capture sizes,
# so start-up work does not count). Then the same pipeline with a MaxMind DB
# as its only geo source (made here from the bench's CSV, same networks):
# target within 3% of the CSV's packets/s and instructions per packet.
set -eu
# shellcheck source=../e2e/tally.sh
. tests/e2e/tally.sh # config_copy
BUILD=${BUILD:-build}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/exfild-bench}
mkdir -p "$DIR"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$BUILD/bare_loop" tests/bench/bare_loop.c $(pkg-config --cflags --libs libpcap)
[ -s "$DIR/large.pcap" ] || "$BUILD/pcapgen" --bench "$DIR/large.pcap"
[ -s "$DIR/small.pcap" ] || "$BUILD/pcapgen" --bench-small "$DIR/small.pcap"
python3 tests/e2e/pcapsplit.py "$DIR/small.pcap" \
    "$(( $(python3 tests/e2e/pcapcount.py "$DIR/small.pcap") / 2 ))" "$DIR/half.pcap" /dev/null
# the bench's geo CSV as a MaxMind DB, and the bench config reading it instead
csv=tests/bench/$(sed -n 's/^ *databases: \[\(.*\)\]$/\1/p' tests/bench/bench.yaml)
perl tests/mkmmdb.pl GeoLite2-Country 6 "$DIR/geo.mmdb" <"$csv"
config_copy tests/bench/bench.yaml |
    sed "s|databases: \[.*\]|databases: [$DIR/geo.mmdb]|" >"$DIR/bench-mmdb.yaml"
# evidence on (evidence.lookback 64): with the bench's alerts (their pairs'
# bodies hashed and stored, their packets written), and with every rule off
# (no alert open) at lookback 0 and 64: the ring write a packet
evidence_conf() { # LOOKBACK
	printf 'evidence:\n  enabled: true\n  dir: %s\n  lookback: %s\n  ring: 64MiB\n' "$DIR/evidence" "$1"
}
{ config_copy tests/bench/bench.yaml; evidence_conf 64; } >"$DIR/bench-evidence.yaml"
for lb in 0 64; do
	{ config_copy tests/bench/bench.yaml | grep -v 'bulk_upload:\|compressed_upload:'
	  for r in bulk_upload compressed_upload beacon campaign slow_upload dormant_host \
	      off_hours server_egress staging indicator_match; do
		printf '  %s: { enabled: false }\n' "$r"
	  done
	  evidence_conf "$lb"; } >"$DIR/bench-quiet-$lb.yaml"
done

echo "== throughput on $(du -h "$DIR/large.pcap" | cut -f1) capture, page cache warm (CPU-bound; best of 3)"
cat "$DIR/large.pcap" >/dev/null
for i in 1 2 3; do
	"$BUILD/bare_loop" "$DIR/large.pcap" >"$DIR/bare.$i.out"
	"$BUILD/exfild" -c tests/bench/bench.yaml -r "$DIR/large.pcap" 2>"$DIR/exfild.$i.err" >"$DIR/alerts.json"
done
python3 tests/bench/report.py "$DIR/bare.1.out" "$DIR/bare.2.out" "$DIR/bare.3.out" -- \
    "$DIR/exfild.1.err" "$DIR/exfild.2.err" "$DIR/exfild.3.err"

echo "== geo from a MaxMind DB instead of the CSV (same networks; runs alternate; best of 3)"
for i in 1 2 3; do
	"$BUILD/exfild" -c tests/bench/bench.yaml -r "$DIR/large.pcap" 2>"$DIR/geo-csv.$i.err" >"$DIR/alerts-csv.json"
	"$BUILD/exfild" -c "$DIR/bench-mmdb.yaml" -r "$DIR/large.pcap" 2>"$DIR/geo-mmdb.$i.err" >"$DIR/alerts-mmdb.json"
done
cmp -s "$DIR/alerts-csv.json" "$DIR/alerts-mmdb.json" || echo "geo: the CSV and the mmdb gave different alerts"
python3 tests/bench/geo_compare.py "$DIR"/geo-csv.*.err -- "$DIR"/geo-mmdb.*.err
if [ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/drop_caches ]; then
	echo "== the same from a cold page cache (as a forensic replay of a file on disk)"
	sync; echo 3 >/proc/sys/vm/drop_caches
	"$BUILD/bare_loop" "$DIR/large.pcap" >"$DIR/bare.cold.out"
	sync; echo 3 >/proc/sys/vm/drop_caches
	"$BUILD/exfild" -c tests/bench/bench.yaml -r "$DIR/large.pcap" 2>"$DIR/exfild.cold.err" >/dev/null
	python3 tests/bench/report.py "$DIR/bare.cold.out" -- "$DIR/exfild.cold.err"
fi

# Indicator lists (rule indicator-match): a plain list of 1M entries (half
# IPv4 addresses, a quarter names with a comment, a quarter IPv6 CIDRs), as
# exfild -t reads it: time and bytes an entry (target: under a second).
echo "== indicator lists: a list of 1M entries read (target: under a second)"
[ -s "$DIR/iocs-1m.txt" ] || awk 'BEGIN { for (i = 0; i < 1000000; i++) {
	v = 184549376 + i * 7
	if (i % 4 < 2) printf "%d.%d.%d.%d\n", int(v / 16777216), int(v / 65536) % 256, int(v / 256) % 256, v % 256
	else if (i % 4 == 2) printf "host%d.c2-%d.example # seen %d\n", i, i % 977, i
	else printf "2001:db8:%x:%x::/64\n", int(i / 65536), i % 65536 } }' >"$DIR/iocs-1m.txt"
printf 'indicators:\n  - { file: %s }\n' "$DIR/iocs-1m.txt" >"$DIR/iocs.yaml"
"$BUILD/exfild" -t -c "$DIR/iocs.yaml" 2>&1 | sed -n 's/.*indicators: //p'

if command -v valgrind >/dev/null 2>&1; then
	echo "== instructions per packet (callgrind, marginal over $(python3 tests/e2e/pcapcount.py "$DIR/small.pcap") - $(python3 tests/e2e/pcapcount.py "$DIR/half.pcap") packets)"
	for which in bare exfild exfild-mmdb exfild-evidence exfild-quiet0 exfild-quiet64; do
		for f in small half; do
			rm -rf "$DIR/evidence"
			case $which in
			bare) set -- "$BUILD/bare_loop" "$DIR/$f.pcap" ;;
			exfild) set -- "$BUILD/exfild" -q -c tests/bench/bench.yaml -r "$DIR/$f.pcap" ;;
			exfild-evidence) set -- "$BUILD/exfild" -q -c "$DIR/bench-evidence.yaml" -r "$DIR/$f.pcap" ;;
			exfild-quiet0) set -- "$BUILD/exfild" -q -c "$DIR/bench-quiet-0.yaml" -r "$DIR/$f.pcap" ;;
			exfild-quiet64) set -- "$BUILD/exfild" -q -c "$DIR/bench-quiet-64.yaml" -r "$DIR/$f.pcap" ;;
			*) set -- "$BUILD/exfild" -q -c "$DIR/bench-mmdb.yaml" -r "$DIR/$f.pcap" ;;
			esac
			valgrind --tool=callgrind --callgrind-out-file="$DIR/cg.$which.$f" "$@" >/dev/null 2>&1
		done
	done
	python3 tests/bench/callgrind.py "$DIR" "$(python3 tests/e2e/pcapcount.py "$DIR/small.pcap")" "$(python3 tests/e2e/pcapcount.py "$DIR/half.pcap")"
else
	echo "valgrind not installed: instructions per packet skipped"
fi
