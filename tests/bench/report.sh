#!/bin/sh
# report.sh - make bench, report part: exfild --report over a generated
# Squid log of 1M (host, destination) pairs and 10k alerts (1000 internal
# hosts x 1000 destinations over 30 days, one request each; 10k of the pairs
# upload 3 MB: one bulk-upload each; tests/bench/report.yaml). exfild's own
# line "report: wrote FILE (N bytes) in X.XXX s" times the report alone
# (the pairs gathered and the HTML written, monotonic clock), not the
# replay. Targets: under 2 s (the slowest of 3 runs) and under 10 MB.
#   BUILD=build sh tests/bench/report.sh
set -eu
BUILD=${BUILD:-build}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/exfild-bench}
LOG=$DIR/report-1m.log
F='%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt'
mkdir -p "$DIR"
# pair p: host p % 1000, destination p / 1000 (each a name at its own
# address of no known country: foreign); (host + destination) % 100 == 0
# sends 3 MB, the others 500 bytes
[ -s "$LOG" ] || awk 'BEGIN {
	n = 1000000; t0 = 1410998400; step = 30 * 86400 / n
	for (p = 0; p < n; p++) {
		h = p % 1000; d = int(p / 1000)
		printf "%.3f    100 10.0.%d.%d TCP_MISS/200 300 %d POST http://d%04d.bench.example/up - HIER_DIRECT/100.64.%d.%d text/html\n",
		    t0 + p * step, int(h / 250), h % 250 + 1,
		    (h + d) % 100 == 0 ? 3000000 : 500, d, int(d / 250), d % 250 + 1
	} }' >"$LOG"
cat "$LOG" >/dev/null

echo "== forensic report of 1M pairs and 10k alerts ($(($(wc -c <"$LOG") / 1000000)) MB Squid log, 30 days; 3 runs)"
for i in 1 2 3; do
	"$BUILD/exfild" -c tests/bench/report.yaml -l "$LOG" --log-format "squid:$F" \
	    --report "$DIR/report.html" >/dev/null 2>"$DIR/report.$i.err"
done
sed -n 's/.*pairs=\([0-9]*\) .* alerts=\([0-9]*\) .*/pairs=\1 alerts=\2/p' "$DIR/report.1.err"
sed -n 's/^exfild: report: wrote .* (\([0-9]*\) bytes) in \([0-9.]*\) s$/\1 \2/p' \
    "$DIR"/report.[123].err | awk '
	{ n++; bytes = $1; if (n == 1 || $2 < best) best = $2; if ($2 > worst) worst = $2 }
	END {
		if (n != 3) { print "report: FAIL: no \"report: wrote\" line in a run"; exit 1 }
		printf "rendering  %6.3f s best, %6.3f s slowest (target < 2 s): %s\n",
		    best, worst, worst < 2 ? "PASS" : "FAIL"
		printf "file size  %6.2f MB (target < 10 MB): %s\n", bytes / 1e6,
		    bytes < 10e6 ? "PASS" : "FAIL"
	}'
