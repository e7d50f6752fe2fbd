# tally.sh - sourced by the end-to-end scripts: how a script reports (and
# wait_for, the polling they share).
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

# config_copy FILE: FILE's text for a copy of it elsewhere: its relative
# geo.databases (one entry) and geo.hosts, relative to FILE's directory,
# made absolute
config_copy() {
	config_dir=$(cd "$(dirname "$1")" && pwd)
	sed -e "s|^\( *databases: \[\)\([^/]\)|\1$config_dir/\2|" \
	    -e "s|^\( *hosts: \)\([^/]\)|\1$config_dir/\2|" \
	    -e "s|^\( *public_suffix_list: \)\([^/]\)|\1$config_dir/\2|" "$1"
}

# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds;
# false when it never did
wait_for() {
	wait_left=$(($1 * 10)); shift
	while [ "$wait_left" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1; wait_left=$((wait_left - 1))
	done
	return 1
}
