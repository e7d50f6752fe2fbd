#!/bin/sh
# check.sh - runs the tests of `make check` and sums them into one closing
# line, "N passed, N failed[, N skipped]". Every step appends one line to the
# results file $CHECK_RESULTS (label, passed, failed, skipped, note; tabs):
#   check.sh start            empty the results file
#   check.sh unit BIN...      cmocka binaries, counted by test case
#   check.sh e2e NAME...      tests/e2e/NAME.sh; each reports its counts
#                             through tests/e2e/tally.sh (CHECK_STEP)
#   check.sh fail LABEL NOTE  a step that could not run to its end
#   check.sh total            the failures, the skips, then the closing line;
#                             exit 1 if anything failed or nothing ran
# unit and e2e always exit 0 while CHECK_RESULTS is set (the total decides);
# without it (make check-unit alone) they keep their own results file and
# end with its total.
set -u
BUILD=${BUILD:-build}
TAB=$(printf '\t')

# record LABEL PASSED FAILED SKIPPED NOTE
record() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" | tr -d '\r' >>"$CHECK_RESULTS"
	if [ "$2" -eq 0 ] && [ "$3" -eq 0 ] && [ "$4" -gt 0 ]; then
		echo "$1: skipped: $5"
	else
		counts="$2 ok"
		[ "$3" -eq 0 ] || counts="$counts, $3 FAILED"
		[ "$4" -eq 0 ] || counts="$counts, $4 skipped"
		echo "$1: $counts${5:+ ($5)}"
	fi
}

# sum_of FILE PATTERN: adds up the first number of each line matching PATTERN
sum_of() {
	sed -n "s/$2/\1/p" "$1" | awk '{ n += $1 } END { print n + 0 }'
}

# cmocka 1.1 prints "[==========] Running N test(s)." on stdout, and the
# group summary, "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s),
# listed below:" (errors in setup included), on stderr. A case that was
# started and never reported (a crash) counts as failed, and so does a
# binary that exits non-zero with nothing failed (a leak found at exit).
run_unit() { # BIN
	label="unit/$(basename "$1") [$BUILD]"
	"$1" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	planned=$(sum_of "$tmp/out" '^\[==========\] Running \([0-9]*\) test(s)\.$')
	passed=$(sum_of "$tmp/err" '^\[  PASSED  \] \([0-9]*\) test(s)\.$')
	failed=$(sum_of "$tmp/err" '^\[  FAILED  \] \([0-9]*\) test(s), listed below:$')
	skipped=$(sum_of "$tmp/err" '^\[  SKIPPED \] \([0-9]*\) test(s), listed below:$')
	note=
	lost=$((planned - passed - failed - skipped))
	if [ "$planned" -eq 0 ]; then
		failed=1; note="exit $rc, no cmocka summary (crashed before it?)"
	elif [ "$lost" -ne 0 ]; then
		failed=$((failed + lost)); note="exit $rc, $lost of $planned case(s) never reported"
	elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1; note="exit $rc with every case passed"
	elif [ "$rc" -eq 0 ] && [ "$failed" -ne 0 ]; then
		note="exit 0 with failed cases"
	fi
	if [ "$failed" -ne 0 ]; then
		cat "$tmp/out" "$tmp/err"
	fi
	record "$label" "$passed" "$failed" "$skipped" "$note"
}

# An end-to-end script writes "counts PASSED FAILED [NOTE]" or "skip REASON"
# to $CHECK_STEP (tests/e2e/tally.sh). Exit 77: skipped, with its reason.
# A script that stops before its tally, or whose exit status disagrees with
# its counts, or that ran no check at all, counts one failure more.
run_e2e() { # NAME
	label="e2e/$1 [$BUILD]"
	: >"$tmp/step"
	CHECK_STEP="$tmp/step" BUILD=$BUILD sh "tests/e2e/$1.sh"
	rc=$?
	if [ "$rc" -eq 77 ]; then
		reason=$(sed -n 's/^skip //p' "$tmp/step" | head -1)
		record "$label" 0 0 1 "${reason:-exit 77 without a reason}"
		return
	fi
	line=$(grep '^counts ' "$tmp/step" | tail -1)
	if [ -z "$line" ]; then
		record "$label" 0 1 0 "exit $rc before its tally"
		return
	fi
	# shellcheck disable=SC2086 # counts PASSED FAILED NOTE...
	set -- $line
	passed=$2 failed=$3
	shift 3
	note="$*"
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1; note="${note:+$note, }exit $rc with no failed check"
	elif [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
		failed=1; note="${note:+$note, }no check ran"
	fi
	record "$label" "$passed" "$failed" 0 "$note"
}

total() {
	if [ ! -s "$CHECK_RESULTS" ]; then
		echo "check: no test ran"
		echo "0 passed, 0 failed"
		return 1
	fi
	awk -F "$TAB" '$3 > 0 { print "FAILED: " $1 ": " $3 " failed" ($5 == "" ? "" : " (" $5 ")") }
	    $4 > 0 { print "skipped: " $1 ": " ($5 == "" ? $4 " skipped" : $5) }' "$CHECK_RESULTS"
	awk -F "$TAB" '{ p += $2; f += $3; s += $4 }
	    END {
		if (p + f == 0) print "check: no test ran"
		printf "%d passed, %d failed%s\n", p, f, s ? ", " s " skipped" : ""
		exit (f > 0 || p == 0) ? 1 : 0
	    }' "$CHECK_RESULTS"
}

what=${1:-}
[ $# -gt 0 ] && shift
alone=
if [ -z "${CHECK_RESULTS:-}" ]; then
	case $what in
	unit|e2e)
		alone=1
		mkdir -p "$BUILD"
		CHECK_RESULTS="$(pwd)/$BUILD/check-results.$what"
		: >"$CHECK_RESULTS" ;;
	*) echo "check.sh $what: CHECK_RESULTS is not set" >&2; exit 2 ;;
	esac
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case $what in
start) mkdir -p "$(dirname "$CHECK_RESULTS")" && : >"$CHECK_RESULTS" ;;
unit) for t in "$@"; do run_unit "$t"; done ;;
e2e) for s in "$@"; do run_e2e "$s"; done ;;
fail) record "$1" 0 1 0 "$2" ;;
total) total; exit ;;
*) echo "usage: check.sh start|unit BIN...|e2e NAME...|fail LABEL NOTE|total" >&2; exit 2 ;;
esac
if [ -n "$alone" ]; then
	total
	exit
fi
exit 0
