#!/bin/sh
# Follow mode end to end (issue 5): a small driver (tests/e2e/logfollow.c,
# built here with cc from src/logs/logsource.c, util.c, log.c) follows a file
# and prints every line it gets, while this script writes lines through a
# descriptor it keeps open (as squid does) and rotates the file, again and
# again, by rename (the writer still writes to the old file before and
# after the new one appears) and by truncation (logrotate's copytruncate),
# with lines split across writes and one line written in two halves apart.
# Checks: exactly the lines written came out, each once; the driver's
# counts of rotations and truncations; no sanitizer report. Twice: with
# inotify, and with the stat poll alone.
#
# BUILD=build-san (or SANITIZER=address,undefined) builds the driver with
# sanitizers. Exit 0 pass, 1 fail, 77 skipped (no compiler, no libevent).
set -u
BUILD=${BUILD:-build}
CC=${CC:-cc}
case "$BUILD" in *san*) SANITIZER=${SANITIZER:-address,undefined} ;; esac
SANITIZER=${SANITIZER:-}
ROUNDS=${ROUNDS:-8}
BATCH=${BATCH:-1000}

# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
skip() { skip_all logfollow "$@"; }
command -v "$CC" >/dev/null 2>&1 || skip "no C compiler ($CC)"
pkg-config --exists libevent zlib 2>/dev/null ||
	skip "libevent or zlib development files not installed"

T=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "logfollow FAIL: $*"; }

san=
[ -n "$SANITIZER" ] &&
	san="-fsanitize=$SANITIZER -fno-omit-frame-pointer -fno-sanitize-recover=all"
# shellcheck disable=SC2046,SC2086
if ! $CC -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Wshadow \
    -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wcast-qual -Werror \
    $san -Iinclude $(pkg-config --cflags libevent zlib) -o "$T/logfollow" \
    tests/e2e/logfollow.c src/logs/logsource.c src/util/netaddr.c \
    src/util/util.c src/util/log.c \
    $(pkg-config --libs libevent zlib); then
	echo "logfollow FAIL: cannot build the driver"
	exit 1
fi

# gen FROM TO: lines "line-NNNNNNN " and 0..199 x's, FROM <= N < TO.
gen() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		pad = sprintf("%200s", ""); gsub(/ /, "x", pad)
		for (i = a; i < b; i++)
			printf "line-%07d %s\n", i, substr(pad, 1, (i * 37) % 200)
	}'
}

# wait_lines N: until the driver has printed N lines (10 s at most).
wait_lines() {
	i=0
	while [ "$(wc -l <"$out")" -lt "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 200 ] && return 1
		sleep 0.05
	done
	return 0
}

# write FROM TO FD: lines to the log through descriptor FD, and to the
# record of what was written.
write() {
	gen "$1" "$2" | tee -a "$written" >&"$3"
}

# run_case NAME DRIVER-ARGS...
run_case() {
	name=$1
	shift
	failed_before=$fail
	dir="$T/$name"
	mkdir "$dir"
	log="$dir/access.log"; out="$dir/out"; err="$dir/err"
	written="$dir/written"
	: >"$log"; : >"$written"
	"$T/logfollow" "$@" "$log" >"$out" 2>"$err" &
	pid=$!
	i=0
	until grep -q '^ready$' "$err"; do
		i=$((i + 1))
		if [ "$i" -gt 100 ]; then
			bad "$name: the driver did not start"; cat "$err"; return
		fi
		sleep 0.05
	done
	exec 3>>"$log"
	next=0; renames=0; truncs=0; r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		write "$next" $((next + BATCH)) 3
		next=$((next + BATCH))
		# One line in two writes, apart: held until its LF comes.
		printf 'line-%07d first half' "$next" >&3
		sleep 0.1
		printf ', second half\n' >&3
		printf 'line-%07d first half, second half\n' "$next" >>"$written"
		next=$((next + 1))
		if [ $((r % 2)) -eq 0 ]; then
			# Rename; the writer goes on with the old file, reopens
			# the name, and still writes to the old one after that.
			mv "$log" "$log.1"
			write "$next" $((next + 100)) 3
			next=$((next + 100))
			exec 4>&3 3>>"$log"
			write "$next" $((next + 100)) 3
			next=$((next + 100))
			write "$next" $((next + 100)) 4
			next=$((next + 100))
			exec 4>&-
			renames=$((renames + 1))
		else
			# copytruncate: lines written between the copy and the
			# truncation are lost by design, and a file that grows
			# past the old size before the follower looks hides the
			# truncation; so: caught up, copy, truncate, a smaller
			# batch, caught up again.
			wait_lines "$next" || bad "$name: behind before truncation"
			cp "$log" "$log.1"
			: >"$log"
			write "$next" $((next + 50)) 3
			next=$((next + 50))
			wait_lines "$next" || bad "$name: nothing after truncation"
			truncs=$((truncs + 1))
		fi
		r=$((r + 1))
	done
	exec 3>&-
	wait_lines "$next" || bad "$name: $(wc -l <"$out") lines of $next came"
	sleep 0.3 # a line too many would show now
	if kill -0 "$pid" 2>/dev/null; then ok; else bad "$name: the driver died"; fi
	kill -TERM "$pid"
	wait "$pid"; rc=$?
	pid=
	if [ "$rc" -eq 0 ]; then ok; else bad "$name: driver exit status $rc"; fi

	got=$(wc -l <"$out")
	if [ "$got" -eq "$next" ]; then ok; else bad "$name: $got lines, $next written"; fi
	dups=$(sort "$out" | uniq -d | wc -l)
	if [ "$dups" -eq 0 ]; then ok; else
		bad "$name: $dups lines came more than once"; sort "$out" | uniq -d | head -5
	fi
	sort "$out" >"$dir/out.sorted"
	sort "$written" >"$dir/written.sorted"
	if cmp -s "$dir/out.sorted" "$dir/written.sorted"; then ok; else
		bad "$name: the lines out are not the lines written"
		diff "$dir/written.sorted" "$dir/out.sorted" | head -10
	fi
	want="lines=$next bytes=[0-9]* overlong=0 rotations=$renames truncations=$truncs read_errors=0"
	if grep -q "^$want\$" "$err"; then ok; else
		bad "$name: counters, want \"$want\""; cat "$err"
	fi
	if grep -qi "sanitizer\|runtime error" "$err"; then
		bad "$name: sanitizer report"; cat "$err"
	else ok; fi
	[ "$fail" -eq "$failed_before" ] &&
		echo "logfollow: $name: $next lines once each through $renames rename and $truncs copytruncate rotations"
}

run_case inotify
run_case poll -n -p 200 -d 1500

tally logfollow "$pass" "$fail"
[ "$fail" -eq 0 ]
