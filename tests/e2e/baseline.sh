#!/bin/sh
# The learning baseline end to end (issue 12): a baseline an attacker
# cannot teach, and that shows itself.
# (a) The demo day (learn: 2h): the start-up and end-of-learning log lines
#     and the replay's closing line, exact.
# (b) The whole JAL day inside learning (learn: 1d): only compressed-upload
#     alerts, each with "during_learning": true (the positive control: it
#     does alert), bulk-upload does not (its control: (a) has it), the
#     replay ends "still learning", the saved baseline holds the thief's
#     server with the hosts that alerted marked.
# (c) exfild --baseline on that file, judged with learning over (learn:
#     2h): the widely used sites learned (8 hosts), hk-files.example.net
#     not (its uploaders alerted), exact lines; a hostile byte in a name
#     is escaped; a missing file is an error.
# Exit 0 pass, 1 fail.
set -u
BUILD=${BUILD:-build}
EXFILD="$(pwd)/$BUILD/exfild"

# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
[ -x "$EXFILD" ] || skip_all baseline "$EXFILD not built"
command -v jq >/dev/null 2>&1 || skip_all baseline "jq not installed"

T=$(mktemp -d)
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "baseline FAIL: $*"; }
trap 'rm -rf "$T"' EXIT INT TERM

# expect_line NAME FILE LINE: FILE has LINE, whole
expect_line() {
	if grep -qxF "$3" "$2"; then ok
	else bad "$1: no line '$3'"; cat "$2"; fi
}

# ---- (a) the demo day ----
"$EXFILD" -c conf/demo.yaml -r pcaps/jal-day.pcap >"$T/a.out" 2>"$T/a.err" ||
    bad "demo replay: exit $?"
expect_line "start-up" "$T/a.err" "exfild: baseline: learning until 2014-09-18T02:00:00.000Z (baseline.learn); during it only rules that alert while learning can fire, and a destination is learned when 2 hosts or 2 days use it"
expect_line "learning over" "$T/a.err" "exfild: baseline: learning over at 2014-09-18T02:00:00.000Z: 3 of 3 destinations familiar (3 learned)"
expect_line "closing" "$T/a.err" "exfild: baseline: learned 3 destinations (3 familiar of 6) from 2014-09-18T00:00:00.000Z until 2014-09-18T02:00:00.000Z"
if [ "$(jq -r 'select(.rule == "bulk-upload") | .src' "$T/a.out" | wc -l)" -gt 0 ]; then ok
else bad "demo: no bulk-upload after learning (the control of (b))"; fi
if [ "$(jq -r 'select(.during_learning) | .id' "$T/a.out" | wc -l)" -eq 0 ]; then ok
else bad "demo: alerts during learning"; fi

# ---- (b) the whole day inside learning ----
config_copy conf/demo.yaml | sed -e "s|^  learn: 2h|  learn: 1d\n  state: $T/b.state|" >"$T/b.yaml"
"$EXFILD" -c "$T/b.yaml" -r pcaps/jal-day.pcap --save-baseline >"$T/b.out" \
    2>"$T/b.err" || bad "learning replay: exit $?"
jq -r 'select(.kind == "alert") | [.src, .rule, .dst_host, (.during_learning|tostring)] | join(" ")' \
    "$T/b.out" >"$T/b.got"
cat >"$T/b.want" <<'EOF'
10.1.20.21 compressed-upload hk-files.example.net true
10.1.20.22 compressed-upload hk-files.example.net true
10.1.20.24 compressed-upload  true
EOF
if cmp -s "$T/b.want" "$T/b.got"; then ok
else bad "alerts while learning (want, got)"; diff "$T/b.want" "$T/b.got"; fi
expect_line "still learning" "$T/b.err" "exfild: baseline: still learning at the end of the input (from 2014-09-18T00:00:00.000Z until 2014-09-19T00:00:00.000Z): nothing but baseline.allow is familiar yet and only compressed-upload and indicator-match alert; 6 destinations seen"
# the saved file: hk-files' uploaders marked as alerted (":1")
if grep -q '^seen name hk-files.example.net .* [0-9a-f]*:[0-9a-f]*:1' "$T/b.state"; then ok
else bad "state: no alerted host on hk-files.example.net"; cat "$T/b.state"; fi

# ---- (c) exfild --baseline ----
config_copy conf/demo.yaml | sed -e "s|^  learn: 2h|  learn: 2h\n  state: $T/b.state|" >"$T/c.yaml"
"$EXFILD" --baseline "$T/b.state" -c "$T/c.yaml" >"$T/c.out" 2>"$T/c.err" ||
    bad "--baseline: exit $?"
expect_line "--baseline learning" "$T/c.out" "# learning: from 2014-09-18T00:00:00.000Z until 2014-09-18T02:00:00.000Z (over at the newest record)"
expect_line "--baseline count" "$T/c.out" "# 6 destinations, 3 familiar (3 learned)"
expect_line "--baseline learned" "$T/c.out" "2014-09-18T00:00:00.000Z  2014-09-18T04:36:46.498Z  yes  198.51.100.10                            www.jal.example.jp  (learned: name www.jal.example.jp used by 8 hosts on 1 day)"
expect_line "--baseline thief" "$T/c.out" "2014-09-18T04:10:00.000Z  2014-09-18T04:18:04.218Z  no   203.0.113.66                             hk-files.example.net  (not learned: name hk-files.example.net used by 1 host on 1 day, not counting hosts that alerted (needs 2 hosts or 2 days))"
expect_line "--baseline key" "$T/c.out" "name      no       1     1        2  2014-09-18T04:10:00.000Z  2014-09-18T04:18:00.000Z  hk-files.example.net"
# a hostile byte in a saved name is shown escaped, never raw
sed 's/ mystery\.example\.xyz$/ my%1B%5Bstery.example.xyz/' "$T/b.state" >"$T/h.state"
"$EXFILD" --baseline "$T/h.state" -c "$T/c.yaml" >"$T/h.out" 2>&1 ||
    bad "--baseline hostile: exit $?"
if grep -qF 'my\x1b[stery.example.xyz' "$T/h.out" && ! grep -q "$(printf '\033')" "$T/h.out"; then ok
else bad "--baseline: hostile name not escaped"; cat -v "$T/h.out"; fi
if "$EXFILD" --baseline "$T/missing" -c "$T/c.yaml" >/dev/null 2>"$T/m.err"; then
	bad "--baseline of a missing file: exit 0"
else
	expect_line "--baseline missing" "$T/m.err" "exfild: $T/missing: No such file or directory"
fi

tally baseline "$pass" "$fail"
[ "$fail" -eq 0 ]
