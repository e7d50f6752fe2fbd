#!/bin/sh
# loglines.sh - make bench, log part: Squid lines parsed per second on one
# core, against `wc -l` over the same generated 1M-line native access.log
# (page cache warm, best of 3 each). Targets: >= 1M lines/s, within 2x of
# wc -l; both are reported, neither fails the run.
#   BUILD=build sh tests/bench/loglines.sh
set -eu
BUILD=${BUILD:-build}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/exfild-bench}
LINES=${LOG_LINES:-1000000}
LOG=$DIR/squid-$LINES.log
mkdir -p "$DIR" "$BUILD"
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Iinclude \
    -o "$BUILD/loglines" tests/bench/loglines.c src/logs/logparse_squid.c \
    src/logs/logparse_zeek.c src/util/netaddr.c src/util/util.c src/util/log.c
[ -s "$LOG" ] || "$BUILD/loglines" generate "$LINES" >"$LOG"
cat "$LOG" >/dev/null

now_ns() { date +%s%N; }

best_wc=
for _ in 1 2 3; do
	t0=$(now_ns)
	n=$(LC_ALL=C wc -l <"$LOG")
	t1=$(now_ns)
	t=$((t1 - t0))
	if [ -z "$best_wc" ] || [ "$t" -lt "$best_wc" ]; then best_wc=$t; fi
done
[ "$n" -eq "$LINES" ] || { echo "loglines: wc -l says $n lines, not $LINES"; exit 1; }

best_parse=
for _ in 1 2 3; do
	out=$("$BUILD/loglines" bench squid "$LOG")
	case $out in
	*" records=$LINES rejected=0 "*) ;;
	*) echo "loglines: not every line parsed: $out"; exit 1 ;;
	esac
	s=$(printf '%s\n' "$out" | sed 's/.* seconds=\([0-9.]*\) .*/\1/')
	t=$(awk -v s="$s" 'BEGIN { printf "%d", s * 1e9 }')
	if [ -z "$best_parse" ] || [ "$t" -lt "$best_parse" ]; then best_parse=$t; fi
done

awk -v n="$LINES" -v wc="$best_wc" -v p="$best_parse" \
    -v mb="$(($(wc -c <"$LOG") / 1000000))" 'BEGIN {
	printf "== Squid log lines: %d lines (%d MB, native format), page cache warm, best of 3\n", n, mb
	printf "wc -l          %8.3f s  %12.0f lines/s\n", wc / 1e9, n / (wc / 1e9)
	printf "squid parser   %8.3f s  %12.0f lines/s  (%.1fx the time of wc -l)\n", p / 1e9, n / (p / 1e9), p / wc
	printf "target >= 1M lines/s per core: %s; within 2x of wc -l: %s\n",
	    (n / (p / 1e9) >= 1e6 ? "met" : "NOT met"), (p <= 2 * wc ? "met" : "NOT met")
}'

# The same from a cold page cache (a log replayed from disk), when we may
# drop the caches: one run each, the file read from disk both times.
if [ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/drop_caches ]; then
	sync; echo 3 >/proc/sys/vm/drop_caches
	t0=$(now_ns); LC_ALL=C wc -l <"$LOG" >/dev/null; t1=$(now_ns)
	cold_wc=$((t1 - t0))
	sync; echo 3 >/proc/sys/vm/drop_caches
	t0=$(now_ns); "$BUILD/loglines" bench squid "$LOG" >/dev/null; t1=$(now_ns)
	cold_parse=$((t1 - t0))
	awk -v n="$LINES" -v wc="$cold_wc" -v p="$cold_parse" 'BEGIN {
		printf "== the same from a cold page cache (one run each)\n"
		printf "wc -l          %8.3f s  %12.0f lines/s\n", wc / 1e9, n / (wc / 1e9)
		printf "squid parser   %8.3f s  %12.0f lines/s  (%.1fx the time of wc -l)\n", p / 1e9, n / (p / 1e9), p / wc
	}'
fi
