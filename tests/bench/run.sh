#!/bin/sh
# make bench: the full pipeline against a bare libpcap read loop over the same
# generated capture (>= 1 GB, >= 1M packets, >= 100k flows): packets/s,
# Gbit/s, peak RSS; then instructions per packet of both under callgrind on a
# smaller capture (marginal cost: the difference between two capture sizes,
# so start-up work does not count).
set -eu
BUILD=${BUILD:-build}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/exfild-bench}
mkdir -p "$DIR"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$BUILD/bare_loop" tests/bench/bare_loop.c $(pkg-config --cflags --libs libpcap)
[ -s "$DIR/large.pcap" ] || "$BUILD/pcapgen" --bench "$DIR/large.pcap"
[ -s "$DIR/small.pcap" ] || "$BUILD/pcapgen" --bench-small "$DIR/small.pcap"
python3 tests/bench/prefix.py "$DIR/small.pcap" "$DIR/half.pcap"

echo "== throughput on $(du -h "$DIR/large.pcap" | cut -f1) capture (page cache warmed)"
cat "$DIR/large.pcap" >/dev/null
bare=$("$BUILD/bare_loop" "$DIR/large.pcap")
"$BUILD/exfild" -c tests/bench/bench.yaml -r "$DIR/large.pcap" 2>"$DIR/exfild.err" >"$DIR/alerts.json"
python3 tests/bench/report.py "$bare" "$DIR/exfild.err"

if command -v valgrind >/dev/null 2>&1; then
	echo "== instructions per packet (callgrind, marginal over $(python3 tests/e2e/pcapcount.py "$DIR/small.pcap") - $(python3 tests/e2e/pcapcount.py "$DIR/half.pcap") packets)"
	for which in bare exfild; do
		for f in small half; do
			if [ $which = bare ]; then set -- "$BUILD/bare_loop" "$DIR/$f.pcap"; else set -- "$BUILD/exfild" -q -c tests/bench/bench.yaml -r "$DIR/$f.pcap"; fi
			valgrind --tool=callgrind --callgrind-out-file="$DIR/cg.$which.$f" "$@" >/dev/null 2>&1
		done
	done
	python3 tests/bench/callgrind.py "$DIR" "$(python3 tests/e2e/pcapcount.py "$DIR/small.pcap")" "$(python3 tests/e2e/pcapcount.py "$DIR/half.pcap")"
else
	echo "valgrind not installed: instructions per packet skipped"
fi
