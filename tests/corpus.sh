#!/bin/sh
# make corpus: replay every capture under ../shared/corpus with the sanitizer
# build; any crash or sanitizer report fails. Skips when the corpus is absent.
set -u
EXFILD=${1:-build-san/exfild}
CORPUS=${CORPUS:-../shared/corpus}
if [ ! -d "$CORPUS" ]; then
	echo "corpus: $CORPUS not found; skipped (it holds third-party captures, not part of the project)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# run a private copy, so that a rebuild during the sweep cannot change it
cp "$EXFILD" "$tmp/exfild"
EXFILD="$tmp/exfild"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# the shipped configuration, its evidence (on, with the packet ring) kept
# in the sweep's directory, never /var/lib/exfild
# shellcheck source=e2e/tally.sh
. tests/e2e/tally.sh
config_copy conf/exfild.yaml |
    sed "s|^  #dir: /var/lib/exfild/evidence|  dir: $tmp/evidence|" >"$tmp/exfild.yaml"
grep -q "dir: $tmp/evidence" "$tmp/exfild.yaml" || { echo "corpus: no evidence.dir line in conf/exfild.yaml"; exit 1; }
n=0; failed=0
find "$CORPUS" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.gz' -o -name '*.pcap*' \) | sort >"$tmp/list"
while read -r f; do
	n=$((n + 1))
	rm -rf "$tmp/evidence"
	"$EXFILD" -q -c "$tmp/exfild.yaml" --pairs -r "$f" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -gt 1 ] || grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|runtime error|LeakSanitizer' "$tmp/err"; then
		failed=$((failed + 1))
		echo "corpus FAIL (rc=$rc): $f"
		head -20 "$tmp/err"
		continue
	fi
	# Classic pcap files are read by exfild's own reader when named, and by
	# libpcap when piped in: both must see the same packets and find the same.
	case "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" in
	d4c3b2a1|a1b2c3d4|4d3cb2a1|a1b23c4d)
		rm -rf "$tmp/evidence"
		"$EXFILD" -q -c "$tmp/exfild.yaml" --pairs -r "$f" >"$tmp/a.out" 2>"$tmp/a.err"
		rm -rf "$tmp/evidence"
		"$EXFILD" -q -c "$tmp/exfild.yaml" --pairs -r - <"$f" >"$tmp/b.out" 2>"$tmp/b.err"
		sed -n 's/.*replay: files=1 failed=\([0-9]*\) packets=\([0-9]*\) bytes=\([0-9]*\).*/\1 \2 \3/p' "$tmp/a.err" >"$tmp/a.sum"
		sed -n 's/.*replay: files=1 failed=\([0-9]*\) packets=\([0-9]*\) bytes=\([0-9]*\).*/\1 \2 \3/p' "$tmp/b.err" >"$tmp/b.sum"
		if ! cmp -s "$tmp/a.out" "$tmp/b.out" || ! cmp -s "$tmp/a.sum" "$tmp/b.sum"; then
			failed=$((failed + 1))
			echo "corpus FAIL (own reader and libpcap differ): $f: $(cat "$tmp/a.sum") vs $(cat "$tmp/b.sum")"
		fi
		;;
	esac
done <"$tmp/list"
echo "corpus: $((n - failed)) passed, $failed failed ($n captures)"
[ "$failed" -eq 0 ]
