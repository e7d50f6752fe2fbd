# tally.sh - sourced by the end-to-end scripts: how a script reports.
# Under tests/check.sh (CHECK_STEP names a file) the counts and skip reasons
# go to that file and make check sums them into its one closing line; run
# alone, a script prints its own line.

# tally NAME PASSED FAILED [NOTE]
tally() {
	if [ -n "${CHECK_STEP:-}" ]; then
		echo "counts $2 $3 ${4:-}" >>"$CHECK_STEP"
	else
		echo "$1: $2 passed, $3 failed${4:+ ($4)}"
	fi
}

# skip_all NAME REASON...: this machine cannot run the script; exit 77
skip_all() {
	tally_name=$1; shift
	echo "$tally_name: SKIP: $*"
	[ -z "${CHECK_STEP:-}" ] || echo "skip $*" >>"$CHECK_STEP"
	exit 77
}
